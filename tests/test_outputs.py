"""Output paths: each problem is one line and exit 2 before any work; nothing is overwritten."""

from __future__ import annotations

import errno
import hashlib
import os
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest

from landsim import outputs
from landsim.cli import main
from landsim.outputs import OutputError, prepare_dir, prepare_file


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def _one_line_exit_2(result, *needles: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = [s for s in result.stderr.strip().splitlines() if not s.startswith("note: ")]
    assert len(lines) == 1 and lines[0].startswith("landsim: error: "), result.stderr
    for needle in needles:
        assert needle in lines[0]


@pytest.fixture
def folder(tmp_path: Path, tiny_text: str) -> Path:
    """A folder with ``tiny.toml``, a file ``taken`` and nothing else."""
    (tmp_path / "tiny.toml").write_text(tiny_text, encoding="utf-8")
    (tmp_path / "taken").write_text("not a folder\n")
    return tmp_path


@pytest.fixture
def unwritable(tmp_path: Path):
    """An output folder this process may not create: under a folder without write permission
    (for root, which ignores permissions, under the kernel's read-only ``/sys``).
    """
    if os.geteuid() == 0:
        yield Path("/sys/landsim-cannot-be-here")
        return
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    yield locked / "out"
    locked.chmod(0o755)


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (("compare", "tiny.toml", "--out", "taken"), ("--out taken", "is a file")),
        (("compare", "tiny.toml", "--out", "taken/sub"), ("taken is a file, not a folder",)),
        (("run", "tiny.toml", "--out", "taken"), ("--out taken", "is a file")),
        (("bench", "--out", "taken/bench.json"), ("taken is a file, not a folder",)),
        (("bench", "--out", "taken"), ("--out taken: already exists", "--force")),
    ],
)
def test_output_path_problems_are_one_line_and_exit_2(
    folder: Path, landsim: Callable, args: tuple[str, ...], needles: tuple[str, ...]
) -> None:
    """A file in the way of an output, or a parent that is a file, is refused at once."""
    start = time.monotonic()
    result = landsim(*args, cwd=folder)
    _one_line_exit_2(result, *needles)
    assert time.monotonic() - start < 30  # found before minutes of work (bench: a county)
    assert (folder / "taken").read_text() == "not a folder\n"


def test_sweep_into_an_existing_file_is_refused(
    folder: Path, landsim: Callable, tmp_path: Path
) -> None:
    """A sweep whose --out is a file stops with one line before running anything."""
    from sweep_helpers import tiny_experiment

    (folder / "exp.toml").write_text(
        tiny_experiment(
            '[factors."levers.audit_rate"]\nvalues = [0.0, 0.5]\n', 'kind = "factorial"'
        )
    )
    result = landsim("sweep", "exp.toml", "--out", "taken", cwd=folder)
    _one_line_exit_2(result, "--out taken", "is a file")


def test_an_unwritable_folder_is_refused(folder: Path, landsim: Callable, unwritable) -> None:
    """No permission to write is one line naming the folder, and exit 2."""
    result = landsim("compare", "tiny.toml", "--out", unwritable, cwd=folder)
    _one_line_exit_2(result, f"--out {unwritable}", "cannot write in")


@pytest.mark.parametrize(
    ("code", "reason"),
    [(errno.EROFS, "read-only"), (errno.ENOSPC, "the disk is full"), (errno.EACCES, "permission")],
)
def test_write_failures_name_the_reason(
    tmp_path: Path, monkeypatch, capsys, code: int, reason: str, tiny_scenario: Path
) -> None:
    """A read-only file system, a full disk or no permission: one line each, exit 2."""

    def refuse(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(outputs, "create_new", refuse)  # the probe file cannot be created
    status = main(["compare", str(tiny_scenario), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert status == 2 and reason in err and err.count("\n") == 1


def test_too_little_free_space_is_refused_before_work(
    tmp_path: Path, monkeypatch, capsys, tiny_scenario: Path
) -> None:
    """Less free space than the command needs is refused, naming what is free."""
    full = SimpleNamespace(total=2**30, used=2**30, free=0)
    monkeypatch.setattr(outputs.shutil, "disk_usage", lambda path: full)
    status = main(["compare", str(tiny_scenario), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert status == 2 and "the disk is full (0 MB free" in err
    assert not list((tmp_path / "out").glob("*"))


def test_compare_never_overwrites_earlier_results(folder: Path, landsim: Callable) -> None:
    """A second compare writes results/compare-2; an explicit --out needs --force."""
    first = landsim("compare", "tiny.toml", cwd=folder)
    assert first.returncode == 0, first.stderr
    before = _digest(folder / "results" / "compare")
    second = landsim("compare", "tiny.toml", "--replicates", "3", cwd=folder)
    assert second.returncode == 0, second.stderr
    assert "results/compare holds earlier results; writing to results/compare-2" in second.stderr
    assert _digest(folder / "results" / "compare") == before
    assert (folder / "results" / "compare-2" / "summary.csv").exists()
    refused = landsim("compare", "tiny.toml", "--out", "results/compare", cwd=folder)
    _one_line_exit_2(refused, "already holds results", "--force")
    assert _digest(folder / "results" / "compare") == before
    forced = landsim("compare", "tiny.toml", "--out", "results/compare", "--force", cwd=folder)
    assert forced.returncode == 0, forced.stderr


def test_run_and_analyze_move_on_to_a_new_folder(folder: Path, landsim: Callable) -> None:
    """Run's default folder and analyze's DIR/analysis are never written over."""
    assert landsim("run", "tiny.toml", cwd=folder).returncode == 0
    again = landsim("run", "tiny.toml", cwd=folder)
    assert again.returncode == 0 and "writing to results/tiny-2" in again.stderr
    assert (folder / "results" / "tiny-2" / "outcomes.csv").exists()

    from sweep_helpers import tiny_experiment

    from landsim.sweep import SerialExecutor, load_experiment, run_sweep

    exp = folder / "exp.toml"
    exp.write_text(
        tiny_experiment(
            '[factors."levers.audit_rate"]\nvalues = [0.0, 0.5]\n', 'kind = "factorial"'
        )
    )
    run_sweep(load_experiment(exp), folder / "sweep", SerialExecutor(), progress=False)
    assert main(["analyze", str(folder / "sweep"), "--no-figures"]) == 0
    first = _digest(folder / "sweep" / "analysis")
    assert main(["analyze", str(folder / "sweep"), "--no-figures", "--conf-level", "0.9"]) == 0
    assert _digest(folder / "sweep" / "analysis") == first
    assert (folder / "sweep" / "analysis-2" / "levels.csv").exists()


def test_prepare_file_numbers_a_default_and_refuses_a_chosen_one(tmp_path: Path) -> None:
    """An existing default file moves on to NAME-2.json; a chosen one is refused."""
    taken = tmp_path / "bench.json"
    taken.write_text("{}")
    notes: list[str] = []
    assert prepare_file(taken, default=True, note=notes.append) == tmp_path / "bench-2.json"
    assert "writing to" in notes[0]
    with pytest.raises(OutputError, match="already exists; choose another --out, or add --force"):
        prepare_file(taken)
    assert prepare_file(taken, force=True) == taken


def test_hidden_files_are_not_results(tmp_path: Path) -> None:
    """A folder with only hidden files (a lock) is free to use."""
    (tmp_path / ".lock").write_text("")
    assert prepare_dir(tmp_path) == tmp_path


def test_a_disk_that_fills_during_the_run_is_one_line(
    tmp_path: Path, monkeypatch, capsys, tiny_scenario: Path
) -> None:
    """A write that fails after the checks (disk filled meanwhile) is still one line, exit 2."""
    import pandas as pd

    def full(self, path, *args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    import pyarrow.parquet as pq

    monkeypatch.setattr(pd.DataFrame, "to_parquet", full)
    monkeypatch.setattr(pq, "write_table", full)  # Parquet with its dictionary (dictionary.py)
    status = main(["compare", str(tiny_scenario), "--jobs", "1", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert status == 2 and err.startswith("landsim: error: cannot write ")
    assert "No space left on device" in err and err.count("\n") == 1
