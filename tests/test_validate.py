"""``landsim validate``: tables, report files, exit status, resume and patterns-file errors."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import landsim.runner
from landsim.cli import main
from landsim.validation import SPEC_FILE, SpecError, load_spec

#: two runs and a variant of the small world for 4 years; pattern 2 cannot hold
TINY_SPEC = """\
title = "tiny"
years = 4
level_size = "S"
scenarios = ["baseline", "coop_guaranteed_dividend"]

[[variant]]
name = "no_migration"
scenario = "baseline"
set = { "assumptions.migration_rate" = 0.0 }

[[level]]
name = "transfer rate"
a = { run = "baseline", column = "transfer_rate" }
range = [0.0, 1.0]
unit = "share of contracted plots"
source = "test"

[[pattern]]
id = 1
name = "co-ops hold land"
mechanism = "co-ops lease in released plots"

[[pattern.check]]
label = "co-op land share above baseline"
a = { run = "coop_guaranteed_dividend", column = "coop_land_share" }
b = { run = "baseline", column = "coop_land_share" }
"""

FAILING = """
[[pattern]]
id = 2
name = "a deliberately failing pattern"

[[pattern.check]]
label = "abandonment above 2"
a = { run = "baseline", column = "abandonment_rate" }
b = 2.0
"""


def write(tmp_path: Path, text: str, name: str = "spec.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def validate(spec: Path, out: Path, *extra: str) -> int:
    args = ["validate", "--spec", str(spec), "--sizes", "S", "--seeds", "3"]
    return main([*args, "--out", str(out), "--executor", "serial", "--no-progress", *extra])


@pytest.fixture(scope="module")
def passing(tmp_path_factory) -> tuple[int, Path, str]:
    """A tiny validation whose every pattern and level holds."""
    tmp = tmp_path_factory.mktemp("val")
    capsys_out = tmp / "stdout.txt"
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = validate(write(tmp, TINY_SPEC), tmp / "out")
    capsys_out.write_text(buf.getvalue())
    return code, tmp / "out", buf.getvalue()


def test_passing_validation_exits_0(passing):
    """Every pattern holds and every level is inside: exit status 0 and PASS."""
    code, _, printed = passing
    assert code == 0
    assert "PASS" in printed


def test_validation_prints_both_tables(passing):
    """The levels table and the patterns table are printed with their rows."""
    _, _, printed = passing
    assert "Levels (size S)" in printed and "Patterns" in printed
    assert "transfer rate" in printed
    assert "1. co-op land share above baseline" in printed and "holds" in printed


def test_validation_writes_report_files(passing):
    """report.md, report.json and one figure per pattern are written."""
    _, out, _ = passing
    md = (out / "report.md").read_text()
    assert "## Levels" in md and "## Patterns" in md and "Mechanism: co-ops lease in" in md
    assert "![pattern 1](pattern-1.png)" in md
    assert (out / "pattern-1.png").read_bytes()[:4] == b"\x89PNG"
    report = json.loads((out / "report.json").read_text())
    assert report["passed"] is True
    assert report["levels"][0]["quantity"] == "transfer rate"
    assert {r["size"] for r in report["patterns"]} == {"S"}
    assert report["provenance"]["seeds"] == {"S": 3}


def test_failing_pattern_exits_1(tmp_path, capsys):
    """A pattern that cannot hold makes the exit status 1 and is marked FAILS."""
    code = validate(write(tmp_path, TINY_SPEC + FAILING), tmp_path / "out")
    printed = capsys.readouterr().out
    assert code == 1
    assert "2. abandonment above 2" in printed and "FAILS" in printed and "FAIL:" in printed
    assert json.loads((tmp_path / "out" / "report.json").read_text())["passed"] is False


def test_interrupted_validation_resumes(tmp_path, monkeypatch, capsys):
    """After an interruption, --resume runs only the runs that did not finish."""
    spec = write(tmp_path, TINY_SPEC)
    real = landsim.runner.run
    calls = []
    stop_at = [4]

    def flaky(run_spec):
        calls.append(run_spec.tags["key"])
        if len(calls) == stop_at[0]:
            raise KeyboardInterrupt
        return real(run_spec)

    monkeypatch.setattr(landsim.runner, "run", flaky)
    assert validate(spec, tmp_path / "out") == 130
    assert "--resume" in capsys.readouterr().err
    calls.clear()
    stop_at[0] = -1
    assert validate(spec, tmp_path / "out", "--resume") == 0
    assert len(calls) == 9 - 3  # 3 runs x 3 seeds, 3 saved before the interruption
    assert validate(spec, tmp_path / "out", "--resume") == 0
    assert len(calls) == 6  # nothing left to run


def test_results_folder_is_not_overwritten(tmp_path, capsys):
    """An --out that holds results needs --resume or --force."""
    spec = write(tmp_path, TINY_SPEC)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "report.md").write_text("old")
    assert validate(spec, tmp_path / "out") == 2
    assert "already holds results" in capsys.readouterr().err


def test_bundled_patterns_file_loads():
    """The bundled patterns file passes its own checks: the brief's 8 patterns, the response
    checks (9) and the sourced levels."""
    spec = load_spec(SPEC_FILE)
    assert sorted(p.id for p in spec.patterns) == list(range(1, 10))
    assert len(spec.levels) >= 10


HORIZON_SPEC = """\
title = "horizons"
years = 6
level_size = "S"
scenarios = ["baseline"]

[[variant]]
name = "cheap_grain"
scenario = "baseline"
set = { "assumptions.price_index" = 0.8 }

[[variant]]
name = "no_migration"
scenario = "baseline"
set = { "assumptions.migration_rate" = 0.0 }

[[level]]
name = "transfer rate, years 1-2"
a = { run = "cheap_grain", column = "transfer_rate", years = [1, 2] }
b = { run = "baseline", column = "transfer_rate", years = [2] }
range = [-1.0, 1.0]

[[pattern]]
id = 1
name = "migration"
mechanism = "m"

[[pattern.check]]
label = "abandonment, year 3"
a = { run = "baseline", column = "abandonment_rate", years = [3] }
b = { run = "no_migration", column = "abandonment_rate" }
"""


def test_each_run_simulates_only_the_years_its_checks_read(tmp_path):
    """A run ends at the last year a level or check reads from it (all years: the spec's), and
    a check's numbers are the same as with every run simulated to the spec's horizon."""
    import dataclasses

    from landsim.runner import run
    from landsim.validation import evaluate, horizon, run_specs

    spec = load_spec(write(tmp_path, HORIZON_SPEC))
    assert {r: horizon(spec, r) for r in spec.runs} == {
        "baseline": 3,
        "cheap_grain": 2,
        "no_migration": 6,
    }
    short = run_specs(spec, ["S"], 2)
    assert sorted({s.tags["run"]: s.years for s in short}.items()) == [
        ("baseline", 3),
        ("cheap_grain", 2),
        ("no_migration", 6),
    ]
    full = [dataclasses.replace(s, years=spec.years) for s in short]
    by_horizon = evaluate(spec, pd.concat([run(s) for s in short]))
    by_full = evaluate(spec, pd.concat([run(s) for s in full]))
    for table, expected in zip(by_horizon, by_full, strict=True):
        pd.testing.assert_frame_equal(table, expected)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("years = 4\nbogus = 1\n", r"spec\.toml: bogus: unknown key"),
        (
            'scenarios = ["baseline"]\n[[level]]\nname = "x"\nrange = [0, 1]\n'
            'a = { run = "nope", column = "transfer_rate" }\n',
            r"level\[1\]\.a\.run: 'nope' is not a run \(declared: baseline\)",
        ),
        (
            'scenarios = ["baseline"]\n[[level]]\nname = "x"\nrange = [0, 1]\n'
            'a = { run = "baseline", column = "transfer_rat" }\n',
            r"level\[1\]\.a\.column: 'transfer_rat' is not an outcome column "
            r"\(did you mean 'transfer_rate'\?\)",
        ),
        (
            'scenarios = ["baseline"]\n[[level]]\nname = "x"\nrange = [1, 0]\n'
            'a = { run = "baseline", column = "transfer_rate" }\n',
            r"level\[1\]\.range: low 1 above high 0",
        ),
        (
            '[[pattern]]\nid = 1\nname = "p"\n[[pattern.check]]\nkind = "sum"\na = 1.0\n',
            r"pattern\[1\]\.check\[1\]\.kind: input should be 'diff' or 'ratio'",
        ),
        (
            '[[variant]]\nname = "v"\nscenario = "baseline"\n'
            'set = { "assumptions.migration_rate" = 2.0 }\n',
            r"variant\[1\]\.set: assumptions\.migration_rate = 2\.0: must be at most 1",
        ),
        ('scenarios = ["no_such"]\n', r"scenarios\[1\]: no scenario 'no_such'"),
        ("years = [\n", r"spec\.toml: TOML syntax error"),
    ],
)
def test_bad_patterns_file_names_file_key_and_rule(tmp_path, text, message):
    """A bad patterns file raises one line per problem naming the file, key and rule."""
    with pytest.raises(SpecError, match=message):
        load_spec(write(tmp_path, text))


def test_bad_patterns_file_exits_2(tmp_path, capsys):
    """Validate with a bad patterns file prints one line and exits 2 before any run."""
    assert validate(write(tmp_path, "bogus = 1\n"), tmp_path / "out") == 2
    assert "landsim: error:" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--sizes", "S,X"], "--sizes S,X: sizes are"),
        (["--seeds", "1"], "--seeds 1: at least 2 seeds per size (an interval needs two "),
        (["--sizes", "S,D", "--seeds", "S=4,D=1"], "got 1 at size D"),
        (["--seeds", "ten"], "--seeds ten: give a count such as 10 (at every size) or one per"),
        (["--sizes", "S,D", "--seeds", "S=4"], "--seeds S=4: no count for size D"),
    ],
)
def test_bad_options_exit_2(args, message, capsys):
    """An unknown size or a bad seed count is a usage error with exit status 2."""
    assert main(["validate", *args]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("command", ["validate", "calibrate"])
def test_help_has_an_example(command, capsys):
    """--help shows an example of the command."""
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "examples:" in out and f"  landsim {command} " in out


def test_a_pattern_with_many_checks_wraps_its_panels(tmp_path):
    """A pattern with more checks than a row holds (pattern 9 has 13) is drawn in rows of
    ``PANELS_PER_ROW`` panels, so its figure stays readable instead of a strip 40 panels wide."""
    from PIL import Image

    from landsim.validation import Check, Measure, Pattern
    from landsim.validation.report import PANELS_PER_ROW, pattern_figure

    n = 2 * PANELS_PER_ROW + 1
    checks = tuple(
        Check(Measure("baseline", "x", ()), None, "diff", "above", 0.0, f"check {i}")
        for i in range(n)
    )
    pattern = Pattern(9, "many checks", "", checks)
    table = pd.DataFrame(
        [
            {
                "pattern": 9,
                "check": f"check {i}",
                "size": size,
                "effect": 1.0,
                "ci_low": 0.5,
                "ci_high": 1.5,
                "holds": True,
                "threshold": "> 0",
            }
            for i in range(n)
            for size in ("S", "D")
        ]
    )
    wide, narrow = tmp_path / "wide.png", tmp_path / "narrow.png"
    pattern_figure(pattern, table, wide)
    pattern_figure(
        Pattern(1, "one check", "", checks[:1]), table[table["check"] == "check 0"], narrow
    )
    width, height = Image.open(wide).size
    one_width, one_height = Image.open(narrow).size
    assert width <= PANELS_PER_ROW * one_width * 1.1
    assert height >= 2.5 * one_height


def test_each_panel_says_the_unit_of_its_effect():
    """A check's effect is in the unit of the column it compares (yuan, a fraction of what),
    or a relative change for a ratio: the pattern figures label every panel with it."""
    from landsim.validation import Check, Measure
    from landsim.validation.report import effect_unit

    def check(column, kind="diff"):
        return Check(Measure("baseline", column, ()), None, kind, "above", 0.0, "c")

    assert effect_unit(check("household_income_mean")) == "yuan/household/yr"
    assert effect_unit(check("abandonment_rate_hilly")) == "fraction of hilly plots"
    assert effect_unit(check("trust_mean")) == "0-1 scale"
    assert effect_unit(check("transfer_rate_hilly", "ratio")) == "relative change"
