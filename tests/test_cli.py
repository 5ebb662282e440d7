"""The ``landsim`` command line end to end: check, run and compare, and the files they write."""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import signal
import subprocess
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest

from landsim.cli import COMMANDS, build_parser, main
from landsim.compare import execute, plan, summarize
from landsim.intervals import t_interval
from landsim.metrics import MAIN_OUTCOMES, METRICS
from landsim.scenario import load_scenario

REPO = Path(__file__).resolve().parents[1]
BROKEN = Path("tests/broken")  # relative to REPO, as a user would type it
Result = subprocess.CompletedProcess[str]

#: each broken file and the message it must give (after "landsim: error: ")
CORPUS = {
    "syntax_error": r"syntax_error\.toml:6: TOML syntax error: Expected '=' after a key.*"
    r"'audit_rate 0\.3'",
    "wrong_type": r"wrong_type\.toml:5: run\.years = \"thirty\": must be a whole number",
    "out_of_range": r"out_of_range\.toml:6: levers\.audit_rate = 1\.5: must be at most 1$",
    "unknown_key": r"unknown_key\.toml:5: levers\.audit_rat = 0\.3: unknown key; did you mean "
    r"'audit_rate'\?",
    "unknown_rule": r"unknown_rule\.toml:5: levers\.benefit_rule = \"guaranteed_dividends\": "
    r"unknown benefit-sharing rule; must be one of fixed_rent, .*did you mean "
    r"'guaranteed_dividend'\?",
    "shares_not_one": r"shares_not_one\.toml:5: levers: reserve_share \+ collective_share \+ "
    r"member_share must sum to 1, got 0\.2 \+ 0\.1 \+ 0\.8 = 1\.1",
    "bad_timeline_year": r"bad_timeline_year\.toml:13: timeline\[1\]\.year = 15: is after the "
    r"last year of the run \(run\.years = 10\)",
    "bad_timeline_key": r"bad_timeline_key\.toml:7: timeline\[0\]\.set\.\"levers\.subsidy_per_m\""
    r" = 0: unknown parameter.*did you mean 'levers\.subsidy_per_mu'\?",
    "circular_a": r"circular_b\.toml:2: extends = \"circular_a\.toml\": circular extends: "
    r"tests/broken/circular_a\.toml -> tests/broken/circular_b\.toml -> "
    r"tests/broken/circular_a\.toml",
    "empty": r"empty\.toml: the file is empty",
    "binary_garbage": r"binary_garbage\.toml: not a text file \(byte 0x89 at offset 0",
    "missing_extends": r"missing_extends\.toml:2: extends = \"no_such_parent\.toml\": no such "
    r"file",
}


# ------------------------------------------------------------------------------------ check
@pytest.fixture(scope="module")
def corpus(landsim: Callable[..., Result]) -> dict[str, Result]:
    """``landsim check`` on every broken file, two processes at a time."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = pool.map(lambda n: landsim("check", BROKEN / f"{n}.toml"), CORPUS)
        return dict(zip(CORPUS, results, strict=True))


@pytest.mark.parametrize("name", CORPUS)
def test_broken_file_gives_its_message_and_exit_status_2(
    corpus: dict[str, Result], name: str
) -> None:
    """A broken file gets one specific message, exit status 2 and no traceback."""
    result = corpus[name]
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    first = result.stderr.splitlines()[0]
    assert first.startswith(f"landsim: error: {BROKEN}/"), first
    assert re.search(CORPUS[name], first), first
    assert result.stdout == ""


def test_corpus_covers_every_broken_file() -> None:
    """Every file in tests/broken/ has an expected message (circular_b is circular_a's pair)."""
    files = {p.stem for p in (REPO / BROKEN).glob("*.toml")}
    assert files - {"circular_b"} == set(CORPUS)


def test_check_reports_good_and_bad_files(
    landsim: Callable[..., Result],
    tiny_scenario: Path,
) -> None:
    """Check prints OK for a good file and the error for a bad one, and exits 2."""
    result = landsim("check", tiny_scenario, REPO / BROKEN / "out_of_range.toml")
    assert result.returncode == 2
    assert re.search(
        r"^OK  .*tiny\.toml: Tiny test town \(3 years, 2 replicates\)$", result.stdout, re.M
    )
    assert "levers.audit_rate = 1.5: must be at most 1" in result.stderr
    assert "1 of 2 scenario files has errors" in result.stderr


BUNDLED = sorted((REPO / "scenarios").glob("*.toml"))


@pytest.mark.skipif(not BUNDLED, reason="no bundled scenarios yet")
def test_every_bundled_scenario_passes_check(landsim: Callable[..., Result]) -> None:
    """`landsim check` accepts every file in scenarios/."""
    result = landsim("check", *(p.relative_to(REPO) for p in BUNDLED))
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("\nOK  ") + result.stdout.startswith("OK  ") == len(BUNDLED)


# ------------------------------------------------------------------------------ run/compare
@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory, tiny_text: str) -> Path:
    """A folder with two tiny scenarios: ``tiny`` and ``tiny_fixed`` (fixed rent)."""
    folder = tmp_path_factory.mktemp("cli")
    (folder / "tiny.toml").write_text(tiny_text, encoding="utf-8")
    (folder / "tiny_fixed.toml").write_text(
        'extends = "tiny.toml"\ntitle = "Tiny, fixed rent"\n[levers]\n'
        'benefit_rule = "fixed_rent"\n',
        encoding="utf-8",
    )
    return folder


@pytest.fixture(scope="module")
def compared(workdir: Path, landsim: Callable[..., Result]) -> tuple[Result, Path]:
    """``landsim compare`` of the two tiny scenarios, 2 replicates on 2 processes."""
    result = landsim(
        "compare", "tiny.toml", "tiny_fixed.toml", "--jobs", "2", "--out", "cmp", cwd=workdir
    )
    assert result.returncode == 0, result.stderr
    return result, workdir / "cmp"


@pytest.fixture(scope="module")
def ran(workdir: Path, landsim: Callable[..., Result]) -> tuple[Result, Path]:
    """``landsim run`` of the tiny scenario with its own seed and horizon."""
    result = landsim("run", "tiny.toml", "--out", "one", cwd=workdir)
    assert result.returncode == 0, result.stderr
    return result, workdir / "one"


def test_compare_writes_summary_with_intervals(compared: tuple[Result, Path]) -> None:
    """summary.csv has one row per scenario and outcome with a 95% interval over 2 runs."""
    summary = pd.read_csv(compared[1] / "summary.csv")
    columns = ["scenario", "metric", "mean", "ci_low", "ci_high", "n", "level"]
    assert list(summary.columns) == columns
    assert len(summary) == 2 * len(METRICS)
    assert list(summary["scenario"].unique()) == ["tiny", "tiny_fixed"]
    assert set(summary["metric"]) == set(METRICS)
    assert (summary["n"] == 2).all()
    assert (summary["ci_low"] <= summary["mean"] + 1e-9).all()
    assert (summary["mean"] <= summary["ci_high"] + 1e-9).all()


def test_compare_writes_paired_differences(compared: tuple[Result, Path]) -> None:
    """differences.csv holds each scenario minus the first, replicate by replicate."""
    diffs = pd.read_csv(compared[1] / "differences.csv")
    assert set(diffs["scenario"]) == {"tiny_fixed"} and set(diffs["reference"]) == {"tiny"}
    assert (diffs["n_pairs"] == 2).all() and set(diffs["metric"]) == set(METRICS)
    assert "Difference from tiny [95% interval], replicate by replicate" in compared[0].stdout
    assert "tiny_fixed - tiny" in compared[0].stdout


def test_compare_writes_every_replicate_and_year(compared: tuple[Result, Path]) -> None:
    """The time series holds every replicate and year, with common random numbers."""
    ts = pd.read_parquet(compared[1] / "timeseries.parquet")
    assert {"scenario", "replicate", "year", "seed", *METRICS} <= set(ts.columns)
    assert len(ts) == 2 * 2 * (3 + 1)  # years 0 (the initial state) to 3
    seeds = ts.groupby(["replicate", "scenario"])["seed"].first().unstack()
    assert (seeds["tiny"] == seeds["tiny_fixed"]).all()
    assert seeds["tiny"].nunique() == 2


def test_compare_writes_figure_and_provenance(compared: tuple[Result, Path], workdir: Path) -> None:
    """A PNG figure, and provenance with resolved scenarios, hashes, seeds and versions."""
    out = compared[1]
    assert (out / "outcomes.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["status"] == "complete"
    assert prov["started"] <= prov["finished"]
    assert prov["replicates"] == {"tiny": 2, "tiny_fixed": 2}
    assert len(prov["seeds"]) == 2 and prov["root_seed"] == 11
    assert "compare tiny.toml tiny_fixed.toml" in prov["command_line"]
    assert prov["environment"]["packages"]["mesa"]
    assert "git" in prov["environment"]
    for record in prov["scenarios"]:
        assert record["sha256"] == hashlib.sha256(record["text"].encode()).hexdigest()
        assert load_scenario(workdir / f"{record['name']}.toml").text == record["text"]
    assert not list(out.glob(".*.tmp"))


def test_compare_prints_the_table_and_the_figure(compared: tuple[Result, Path]) -> None:
    """Compare prints the replicate design, a wide table of mean [low, high] and the figure."""
    out = compared[0].stdout
    assert "2 scenarios x 2 replicates" in out
    assert "common random numbers" in out
    header = next(line for line in out.splitlines() if line.startswith("scenario "))
    assert "abandonment_rate" in header and "household_income_mean" in header
    for name in ("tiny", "tiny_fixed"):
        row = next(line for line in out.splitlines() if line.startswith(name + " "))
        assert re.search(r"-?[\d,.]+ \[-?[\d,.]+, -?[\d,.]+\]", row)
    assert "figure: cmp/outcomes.png" in out


def test_run_writes_yearly_outcomes(ran: tuple[Result, Path]) -> None:
    """Run writes one row per year, from the initial state (year 0), to CSV and Parquet, and
    prints every year's main outcomes (flows as "-" in year 0, before the first season)."""
    result, out = ran
    csv = pd.read_csv(out / "outcomes.csv")
    assert list(csv["year"]) == [0, 1, 2, 3]
    assert {"scenario", "replicate", "seed", *METRICS} <= set(csv.columns)
    pd.testing.assert_frame_equal(pd.read_parquet(out / "outcomes.parquet"), csv, check_dtype=False)
    assert json.loads((out / "provenance.json").read_text())["status"] == "complete"
    lines = result.stdout.splitlines()
    assert re.match(r"^year\s+abandonment\s+household", lines[3])
    rows = {int(line.split()[0]): line.split()[1:] for line in lines if re.match(r"^\s+\d+ ", line)}
    assert sorted(rows) == [0, 1, 2, 3]
    assert all(len(cells) == len(MAIN_OUTCOMES) for cells in rows.values())
    assert rows[0][1] == "-" and rows[3][1] != "-"  # household income: a flow
    for year, cells in rows.items():
        # printed to 3 decimals (np.round would take 0.0325 to 0.032, printing to 0.033)
        assert float(cells[0]) == pytest.approx(csv["abandonment_rate"].iloc[year], abs=5.001e-4)
    assert "abandonment_rate: Abandoned land" in result.stdout


def test_run_repeats_the_first_replicate_of_compare(
    ran: tuple[Result, Path], compared: tuple[Result, Path]
) -> None:
    """With the same root seed, run gives exactly compare's replicate 0."""
    one = pd.read_parquet(ran[1] / "outcomes.parquet")
    ts = pd.read_parquet(compared[1] / "timeseries.parquet")
    rep0 = ts[(ts["scenario"] == "tiny") & (ts["replicate"] == 0)].reset_index(drop=True)
    pd.testing.assert_frame_equal(one, rep0)


def test_run_options_change_horizon_and_seed(
    workdir: Path, ran: tuple[Result, Path], landsim: Callable[..., Result]
) -> None:
    """--years and --seed override the file's run settings."""
    result = landsim("run", "tiny.toml", "--years", "2", "--seed", "5", "--out", "two", cwd=workdir)
    assert result.returncode == 0, result.stderr
    two = pd.read_csv(workdir / "two" / "outcomes.csv")
    assert list(two["year"]) == [0, 1, 2]
    assert two["seed"].iloc[0] != pd.read_csv(ran[1] / "outcomes.csv")["seed"].iloc[0]


def test_compare_with_a_bad_file_writes_nothing(
    workdir: Path, landsim: Callable[..., Result]
) -> None:
    """Compare validates every file before running: a bad one stops it with exit status 2."""
    result = landsim(
        "compare", "tiny.toml", REPO / BROKEN / "unknown_rule.toml", "--out", "never", cwd=workdir
    )
    assert result.returncode == 2
    assert "unknown benefit-sharing rule" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (workdir / "never").exists()


def test_ctrl_c_stops_compare_and_keeps_the_record(
    workdir: Path,
    landsim_argv: list[str],
) -> None:
    """Ctrl-C stops compare within seconds, records the interruption and writes no summary."""
    proc = subprocess.Popen(
        [
            *landsim_argv,
            "compare",
            "tiny.toml",
            "--replicates",
            "5000",
            "--jobs",
            "2",
            "--out",
            "stopped",
        ],
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # the signal below goes to this group only
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith("Comparing")
        time.sleep(1.0)
        os.killpg(proc.pid, signal.SIGINT)
        start = time.monotonic()
        _, err = proc.communicate(timeout=30)
        assert time.monotonic() - start < 10
    finally:
        if proc.poll() is None:  # never leave a runaway comparison behind
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    assert proc.returncode == 130
    assert "Traceback" not in err and "interrupted" in err
    assert (
        json.loads((workdir / "stopped" / "provenance.json").read_text())["status"] == "interrupted"
    )
    assert not (workdir / "stopped" / "summary.csv").exists()


# --------------------------------------------------------------------------- in process
@pytest.mark.parametrize("command", ["run", "compare", "check"])
def test_help_has_an_example(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Every command's --help shows an example of its use."""
    assert f"landsim.commands.{command}" in COMMANDS
    with pytest.raises(SystemExit) as info:
        build_parser().parse_args([command, "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "examples:" in out and f"  landsim {command} " in out


def test_bad_arguments_exit_2_with_a_message(capsys: pytest.CaptureFixture[str]) -> None:
    """A nonsensical option value is refused by the parser with exit status 2."""
    with pytest.raises(SystemExit) as info:
        main(["compare", "x.toml", "--replicates", "0"])
    assert info.value.code == 2
    assert "--replicates: must be at least 1, got 0" in capsys.readouterr().err


def test_missing_scenario_file_is_a_user_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Run on a file that does not exist prints one line and returns 2."""
    assert main(["run", str(tmp_path / "nope.toml")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"landsim: error: {tmp_path / 'nope.toml'}: no such file; bundled ")
    assert err.count("\n") == 1 and "baseline" in err


def test_results_do_not_depend_on_the_number_of_processes(tiny_scenario: Path) -> None:
    """Serial and two-process execution give identical outcomes, in the same order."""
    specs = plan([load_scenario(tiny_scenario)], root_seed=3, replicates=3, years=2)
    serial = execute(specs, jobs=1, progress=False)
    parallel = execute(specs, jobs=2, progress=False)
    pd.testing.assert_frame_equal(serial, parallel)
    assert list(serial["replicate"].unique()) == [0, 1, 2]


def test_t_interval_matches_the_textbook() -> None:
    """The 95% t-interval of 1, 2, 3 is 2 ± 4.303 / sqrt(3); one value has no interval."""
    mean, low, high = t_interval([1.0, 2.0, 3.0])
    assert mean == 2.0
    assert high - mean == pytest.approx(4.302653 / math.sqrt(3), rel=1e-6)
    assert mean - low == pytest.approx(high - mean)
    mean, low, high = t_interval([5.0])
    assert mean == 5.0 and math.isnan(low) and math.isnan(high)


def test_summary_uses_each_scenarios_final_year() -> None:
    """Summarize reads the last year of each scenario, whatever its horizon."""
    ts = pd.DataFrame(
        {
            "scenario": ["a"] * 4 + ["b"] * 2,
            "replicate": [0, 0, 1, 1, 0, 1],
            "year": [1, 2, 1, 2, 1, 1],
            "abandonment_rate": [0.0, 0.2, 0.0, 0.4, 0.5, 0.7],
        }
    )
    s = summarize(ts).set_index("scenario")
    assert s.loc["a", "mean"] == pytest.approx(0.3)
    assert s.loc["b", "mean"] == pytest.approx(0.6)
    assert (s["n"] == 2).all()


@pytest.mark.parametrize(
    ("argv", "typed"),
    [
        (["/venv/bin/landsim", "compare", "a b.toml"], "landsim compare 'a b.toml'"),
        (
            ["/repo/landsim/__main__.py", "calibrate", "c.toml"],
            "python -m landsim calibrate c.toml",
        ),
    ],
)
def test_provenance_records_the_command_as_typed(
    monkeypatch: pytest.MonkeyPatch, argv: list[str], typed: str
) -> None:
    """The command line in provenance is what the user typed, also under ``python -m``."""
    from landsim import provenance

    monkeypatch.setattr("sys.argv", argv)
    assert provenance.command_line() == typed
