"""What the commands print and where they write: resuming a checkpoint, size flags of sweep and
calibrate, validate's labels, tables and power warning, analyze's one-level factors and its
progress bar, progress bars in logs, and a --help that starts without pandas or SciPy."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from sweep_helpers import tiny_experiment

from landsim.cli import build_parser, main
from landsim.progress import LogLines, progress

REPO = Path(__file__).resolve().parents[1]


# ------------------------------------------------------------------------------ run --from
def test_resume_runs_to_the_saving_runs_horizon_beside_the_checkpoint(tmp_path, tiny_text, landsim):
    """A checkpoint of a ``--years 4`` run resumes to year 4 (not the file's 8), into the
    checkpoint's folder when its run was cut short, else into FOLDER/resumed-YEAR."""
    (tmp_path / "tiny.toml").write_text(tiny_text.replace("years = 3", "years = 8"))
    full = landsim("run", "tiny.toml", "--years", "4", "--checkpoint-every", "2", "--out", "long",
                   cwd=tmp_path)  # fmt: skip
    assert full.returncode == 0, full.stderr
    unbroken = pd.read_csv(tmp_path / "long" / "outcomes.csv")
    assert list(unbroken["year"]) == [0, 1, 2, 3, 4]

    again = landsim("run", "--from", "long/checkpoint-2.npz", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    beside = tmp_path / "long" / "resumed-2" / "outcomes.csv"
    assert "wrote long/resumed-2/outcomes.csv" in again.stdout
    pd.testing.assert_frame_equal(pd.read_csv(beside), unbroken)
    assert not (tmp_path / "results").exists()

    for name in ("outcomes.csv", "outcomes.parquet", "provenance.json"):  # as if killed
        (tmp_path / "long" / name).unlink()
    finished = landsim("run", "--from", "long/checkpoint-2.npz", cwd=tmp_path)
    assert finished.returncode == 0, finished.stderr
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "long" / "outcomes.csv"), unbroken)
    record = json.loads((tmp_path / "long" / "provenance.json").read_text())
    assert record["years"] == 4 and record["from_checkpoint"]["year"] == 2

    longer = landsim("run", "--from", "long/checkpoint-4.npz", "--years", "6", "--out", "six",
                     "--checkpoint-every", "5", cwd=tmp_path)  # fmt: skip
    assert longer.returncode == 0, longer.stderr
    assert list(pd.read_csv(tmp_path / "six" / "outcomes.csv")["year"]) == list(range(7))
    assert (tmp_path / "six" / "checkpoint-5.npz").is_file()


# ------------------------------------------------------------------- sweep/calibrate sizes
def test_sweep_size_flags_replace_the_files_world_replicates_and_years(capsys):
    """``--size S --replicates 1 --years 3`` shrink a bundled sweep without editing it."""
    assert main(["sweep", "benefit_sharing", "--dry-run"]) == 0
    assert capsys.readouterr().out.startswith("240 runs: 48 design points x 5 replicates")
    args = ["sweep", "benefit_sharing", "--dry-run", "--size", "s", "--replicates", "1"]
    assert main([*args, "--years", "3"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("48 runs: 48 design points x 1 replicates (full factorial; 3 years each)")
    assert "world: 50x40 plots, 4 villages, 100 households per village" in out


def test_calibrate_size_flags_replace_the_files_settings():
    """``--size``, ``--seeds``, ``--years``, ``--population`` and ``--generations`` set the
    calibration file's size (dropping its [world]), seeds, years and ABC sizes."""
    from landsim.calibration import load_config
    from landsim.commands.calibrate import overrides
    from landsim.validation import SIZES

    flags = ["--size", "S", "--seeds", "1", "--years", "6", "--population", "4"]
    args = build_parser().parse_args(["calibrate", "calibrate_town", *flags, "--generations", "1"])
    config = load_config(args.config, overrides(args))
    assert config.world == SIZES["S"]
    assert (config.seeds, config.years, config.population, config.generations) == (1, 6, 4, 1)
    plain = load_config("calibrate_town")
    assert (plain.seeds, plain.population, plain.generations) == (2, 120, 8)


def test_the_size_flag_offers_the_sizes_of_validate():
    """``--size`` takes exactly the world sizes landsim validate knows."""
    from landsim.commands.options import SIZE_NAMES, size_changes
    from landsim.validation import SIZES

    assert SIZE_NAMES == tuple(SIZES)
    assert size_changes("S") == SIZES["S"] and size_changes(None) == {}


def test_a_bad_size_is_refused_by_the_parser(capsys):
    """``--size X`` names the sizes there are, with exit status 2."""
    with pytest.raises(SystemExit) as info:
        main(["sweep", "benefit_sharing", "--size", "X"])
    assert info.value.code == 2
    assert "must be one of S, D, L" in capsys.readouterr().err


# -------------------------------------------------------------------------------- validate
SPEC = """\
title = "tiny"
years = 3
scenarios = ["baseline"]

[[level]]
name = "transfer rate"
a = { run = "baseline", column = "transfer_rate" }
range = [0.0, 1.0]
unit = "share of contracted plots"
source = "test"

[[pattern]]
id = 1
name = "abandonment"

[[pattern.check]]
label = "abandonment above a fifth, a label long enough to have been cut before this change"
a = { run = "baseline", column = "abandonment_rate" }
b = 0.2

[[pattern.check]]
label = "abandonment above nine tenths"
a = { run = "baseline", column = "abandonment_rate" }
b = 0.9
"""


def _spec(tmp_path: Path):
    from landsim.validation import load_spec

    path = tmp_path / "spec.toml"
    path.write_text(SPEC, encoding="utf-8")
    return load_spec(path)


def test_validate_tables_keep_columns_apart_and_labels_whole(tmp_path):
    """At three sizes every cell stands apart from the next and no label is cut; a check whose
    mean is on the right side but whose interval crosses its threshold is marked FAILS?."""
    from landsim.validation import evaluate
    from landsim.validation.tables import format_tables, power_warning

    rows = [
        {"run": "baseline", "size": size, "replicate": r, "year": 1, "abandonment_rate": v,
         "transfer_rate": 0.3}
        for size in ("S", "D", "L")
        for r, v in enumerate((0.1, 0.5))
    ]  # fmt: skip
    patterns, levels = evaluate(_spec(tmp_path), pd.DataFrame(rows))
    text = format_tables(patterns, levels)
    long_label = "1. abandonment above a fifth, a label long enough to have been cut before this"
    row = next(line for line in text.splitlines() if line.startswith(long_label))
    assert row.count("FAILS?  ") == 2 and row.endswith("FAILS?")  # three cells, apart
    assert next(line for line in text.splitlines() if "nine tenths" in line).count("FAILS  ") == 2
    assert text.splitlines()[0] == "Levels (default town)"
    assert "FAILS?: the mean effect is on the expected side" in text
    warning = power_warning(patterns, {"S": 2, "D": 2, "L": 2})
    assert warning.startswith("warning: 3 of the 6 failing checks fail only for lack of power")


def test_validate_at_one_size_labels_only_what_ran(tmp_path, capsys):
    """``--sizes S`` reads the levels at S and says so; no size D appears; two seeds warn."""
    path = tmp_path / "spec.toml"
    path.write_text(SPEC, encoding="utf-8")
    args = ["validate", "--spec", str(path), "--sizes", "S", "--seeds", "2", "--executor"]
    code = main([*args, "serial", "--no-progress", "--out", str(tmp_path / "out")])
    captured = capsys.readouterr()
    assert code == 1  # nine tenths cannot hold
    assert captured.out.startswith(
        "Levels (size S; the ranges are sourced for the default town, which did not run)"
    )
    assert "size D" not in captured.out and "default town)" not in captured.out
    assert "warning: 2 seeds at size S: fewer than 10" in captured.err
    report = (tmp_path / "out" / "report.md").read_text()
    assert "every level at size S" in report and "## Levels (size S;" in report


# --------------------------------------------------------------------------------- analyze
def test_analyze_shows_a_one_level_factor_as_having_no_effect(tmp_path, capsys):
    """A factor that took one level has no variance share (not a rounding error such as
    4.9e-31): NaN in the file, '-' on screen, and a note says why."""
    from landsim.sweep import SerialExecutor, load_experiment, run_sweep

    factors = """
[factors."levers.benefit_rule"]
values = ["fixed_rent"]
[factors."levers.guaranteed_rent"]
values = [400, 800]
"""
    path = tmp_path / "exp.toml"
    path.write_text(tiny_experiment(factors, replicates=2), encoding="utf-8")
    run_sweep(load_experiment(path), tmp_path / "out", SerialExecutor(), progress=False)
    assert main(["analyze", str(tmp_path / "out"), "--no-figures"]) == 0
    printed = capsys.readouterr().out
    effects = pd.read_csv(tmp_path / "out" / "analysis" / "main_effects.csv")
    one = effects[effects["factor"] == "levers.benefit_rule"]
    assert one["variance_share"].isna().all() and one["effect_range"].isna().all()
    other = effects[effects["factor"] == "levers.guaranteed_rent"]
    assert other["variance_share"].notna().all()
    assert "e-3" not in printed and "levers.benefit_rule took one level only" in printed
    rows = [line.split() for line in printed.splitlines() if not line.startswith("note:")]
    shown = [cells for cells in rows if cells[1:2] == ["levers.benefit_rule"]]
    assert shown and all(cells[-2:] == ["-", "-"] for cells in shown)


class _Terminal(io.StringIO):
    """A stderr that says it is a terminal, as a user's is."""

    def isatty(self) -> bool:
        return True


def test_analyze_shows_a_progress_bar_that_reaches_its_end(tmp_path, monkeypatch, capsys):
    """In a terminal ``landsim analyze`` shows a bar (it had none) of one step for the main
    effects, one per outcome's indices and one per outcome's figures, and it ends full;
    ``--no-progress`` shows none."""
    from landsim.sweep import SerialExecutor, load_experiment, run_sweep

    factors = """
[factors."levers.guaranteed_rent"]
range = [300, 900]
[factors."assumptions.aging_speed"]
range = [0.5, 2.0]
"""
    path = tmp_path / "exp.toml"
    morris = 'kind = "morris"\nsamples = 2\nlevels = 4'
    path.write_text(tiny_experiment(factors, morris, replicates=1, years=2), encoding="utf-8")
    run_sweep(load_experiment(path), tmp_path / "out", SerialExecutor(), progress=False)
    for flags, shown in (([], True), (["--no-progress"], False)):
        terminal = _Terminal()
        monkeypatch.setattr(sys, "stderr", terminal)
        args = ["analyze", str(tmp_path / "out"), "--resamples", "10", "--force", *flags]
        assert main(args) == 0
        capsys.readouterr()
        total = 1 + 3 + 3  # main effects; Morris indices and figures of each of 3 outcomes
        last = terminal.getvalue().split("\r")[-1]
        if shown:
            assert last.startswith("analysis: 100%") and f"{total}/{total}" in last, last
        else:
            assert terminal.getvalue() == ""


# ------------------------------------------------------------------------ progress in logs
def test_progress_writes_lines_without_carriage_returns_in_a_log(monkeypatch):
    """Off a terminal, a long command's bar writes whole lines (the first, then at most one
    per interval, and the last), never a carriage return; a short command's writes nothing."""
    log = io.StringIO()
    monkeypatch.setattr(sys, "stderr", log)
    bar = progress(5, "runs", "run", mininterval=0)
    assert isinstance(bar, LogLines)
    for _ in range(5):
        bar.update(1)
    bar.close()
    text = log.getvalue()
    assert "\r" not in text and text.endswith("\n")
    lines = text.splitlines()
    assert lines[0].startswith("runs:   0%") and lines[-1].startswith("runs: 100%")
    assert all("/5 [" in line for line in lines)
    quiet = io.StringIO()
    monkeypatch.setattr(sys, "stderr", quiet)
    with progress(5, "runs", in_logs=False) as bar:
        bar.update(5)
    assert quiet.getvalue() == ""


def test_a_sweep_logs_its_progress_as_lines(tmp_path, landsim):
    """`landsim sweep ... 2> log`: the progress is lines in the log, without a carriage return."""
    path = tmp_path / "exp.toml"
    path.write_text(tiny_experiment(replicates=1, years=1), encoding="utf-8")
    done = landsim("sweep", "exp.toml", "--out", "out", "--executor", "serial", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "\r" not in done.stderr
    assert any(line.startswith("exp: 100%") and "4/4" in line for line in done.stderr.splitlines())


# ------------------------------------------------------------------------------ --help
def test_help_starts_without_pandas_scipy_or_the_model():
    """Building every command's parser imports neither pandas, SciPy, NumPy nor the model
    (``benchmarks/cli_startup.py`` times ``landsim --help``)."""
    code = (
        "import sys\n"
        "from landsim.cli import build_parser\n"
        "build_parser()\n"
        "heavy = ('pandas', 'scipy', 'numpy', 'mesa', 'pydantic', 'landsim.model')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy or m in heavy))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
