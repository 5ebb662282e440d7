"""Files stay where the user said, and loaders refuse garbage in one line (issue 21).

Each test reproduces one finding of an attacker's tour and shows the refusal (exit 2, one line
naming the file and the rule) or the victim file left untouched.
"""

from __future__ import annotations

import importlib
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import landsim
from landsim import bundled, limits
from landsim.cli import main
from landsim.errors import UserError
from landsim.files import UnsafePath, atomic_path, atomic_write, create_new
from landsim.locking import HOLDER_NAME, LOCK_NAME, folder_lock
from landsim.scenario import load_scenario

REPO = Path(__file__).resolve().parents[1]
VICTIM = "precious: must never be overwritten\n"


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    """A file outside every output folder that a planted link points at."""
    path = tmp_path / "victim.txt"
    path.write_text(VICTIM)
    return path


def one_line(capsys, code: int, *needles: str) -> str:
    """The single error line of an in-process ``landsim`` call that exited with 2."""
    err = capsys.readouterr().err
    lines = [s for s in err.strip().splitlines() if s.startswith("landsim: error: ")]
    assert code == 2, err
    assert "Traceback" not in err
    assert len(lines) == 1, err
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


# ------------------------------------------------------------------ files where the user said
def test_a_planted_checkpoint_temporary_link_leaves_its_victim_untouched(
    tmp_path, tiny_scenario, victim
):
    """A ``.checkpoint-1.npz.tmp`` link to another file: ``run`` writes its own checkpoint and
    never writes through the link."""
    out = tmp_path / "out"
    out.mkdir()
    (out / ".checkpoint-1.npz.tmp").symlink_to(victim)
    argv = ["run", str(tiny_scenario), "--years", "1", "--checkpoint-every", "1"]
    assert main([*argv, "--out", str(out)]) == 0
    assert victim.read_text() == VICTIM
    assert (out / "checkpoint-1.npz").is_file() and not (out / "checkpoint-1.npz").is_symlink()


def test_a_planted_lock_link_is_refused_naming_it(tmp_path, tiny_scenario, victim, capsys):
    """A ``.landsim.lock`` link (to a file, or dangling): ``compare`` refuses in one line naming
    the lock file, and the victim is untouched."""
    for name, target in (("to_victim", victim), ("dangling", tmp_path / "nowhere")):
        out = tmp_path / name
        out.mkdir()
        (out / LOCK_NAME).symlink_to(target)
        code = main(["compare", str(tiny_scenario), "--out", str(out), "--replicates", "1"])
        one_line(capsys, code, str(out / LOCK_NAME), "symbolic link")
        assert victim.read_text() == VICTIM
        assert not (tmp_path / "nowhere").exists()


def test_links_at_result_names_are_replaced_never_written_through(tmp_path, tiny_scenario, victim):
    """Links at the lock's holder record and at a result's name are replaced by landsim's own
    files; the file they point to keeps its content."""
    out = tmp_path / "out"
    out.mkdir()
    (out / HOLDER_NAME).symlink_to(victim)
    with folder_lock(out, "compare"):
        assert not (out / HOLDER_NAME).is_symlink()
    (out / "provenance.json").symlink_to(victim)
    argv = ["run", str(tiny_scenario), "--years", "1", "--out", str(out), "--force"]
    assert main(argv) == 0
    assert victim.read_text() == VICTIM
    assert not (out / "provenance.json").is_symlink()


def test_new_files_are_created_never_opened(tmp_path, victim):
    """``create_new`` refuses a link (to a file or dangling) and an existing file, naming it;
    a failed atomic write leaves neither the target nor a temporary file."""
    link = tmp_path / "link"
    link.symlink_to(victim)
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "missing")
    for path, words in ((link, "symbolic link"), (dangling, "dangling"), (victim, "exists")):
        with pytest.raises(UnsafePath, match=words):
            os.close(create_new(path))
    assert victim.read_text() == VICTIM and not (tmp_path / "missing").exists()
    with pytest.raises(RuntimeError), atomic_write(tmp_path / "half.bin") as fh:
        fh.write(b"half")
        raise RuntimeError("interrupted")
    with atomic_path(tmp_path / "whole.txt") as tmp:
        tmp.write_text("whole")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "dangling",
        "link",
        "victim.txt",
        "whole.txt",
    ]


@pytest.mark.parametrize(
    "where",
    [
        Path(landsim.__file__).resolve().parent / "results",
        bundled.bundled_dir("scenarios") / "results",
        bundled.bundled_dir("experiments"),
    ],
    ids=["package", "scenarios", "experiments"],
)
def test_out_inside_the_installed_package_is_refused(where, tiny_scenario, capsys):
    """``--out`` inside the package or its bundled scenarios/ and experiments/: one line, exit
    2, nothing created there."""
    code = main(["run", str(tiny_scenario), "--years", "1", "--out", str(where)])
    one_line(capsys, code, f"--out {where}", "inside landsim's")
    assert where.is_dir() == (where.name == "experiments")


def test_a_dangling_out_link_says_so(tmp_path, tiny_scenario, capsys):
    """``--out`` a dangling link, or under one: the message says it is a dangling link."""
    (tmp_path / "gone").symlink_to(tmp_path / "missing" / "deeper")
    for out in (tmp_path / "gone", tmp_path / "gone" / "sub"):
        code = main(["run", str(tiny_scenario), "--years", "1", "--out", str(out)])
        one_line(capsys, code, "dangling link")
    assert not (tmp_path / "missing").exists()


def test_the_lock_imports_without_fcntl():
    """``landsim.locking`` imports where there is no ``fcntl`` (Windows): filelock chooses."""
    code = "import sys; sys.modules['fcntl'] = None; import landsim.locking; print('ok')"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr


# ---------------------------------------------------------------------------------- loaders
def _loops(tmp_path: Path) -> dict[str, Path]:
    """Scenario files whose ``extends`` never ends, each a different kind of loop."""
    cases = {}
    (tmp_path / "self.toml").symlink_to("self.toml")
    cases["a link to itself"] = tmp_path / "a.toml"
    cases["a link to itself"].write_text('extends = "self.toml"\n')
    (tmp_path / "one.toml").symlink_to("two.toml")
    (tmp_path / "two.toml").symlink_to("one.toml")
    cases["two links"] = tmp_path / "b.toml"
    cases["two links"].write_text('extends = "one.toml"\n')
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "up").symlink_to("..")
    cases["a folder link"] = tmp_path / "c.toml"
    cases["a folder link"].write_text('extends = "sub/up/sub/up/c.toml"\n')
    cases["a hard link"] = tmp_path / "d.toml"
    cases["a hard link"].write_text('extends = "e.toml"\n')
    os.link(tmp_path / "d.toml", tmp_path / "e.toml")
    return cases


@pytest.mark.parametrize("kind", ["a link to itself", "two links", "a folder link", "a hard link"])
def test_extends_loops_of_every_kind_are_one_line(tmp_path, capsys, kind):
    """``extends`` through a loop of symbolic links (a RuntimeError traceback before), a folder
    link or a hard link: exit 2, one line naming the file and the rule."""
    path = _loops(tmp_path)[kind]
    line = one_line(capsys, main(["check", str(path)]), path.name, "extends")
    assert "loop of symbolic links" in line or "circular extends" in line


def test_a_dangling_scenario_link_says_so(tmp_path, capsys):
    """A scenario that is a dangling link, or extends one, is named as a dangling link."""
    (tmp_path / "gone.toml").symlink_to("missing.toml")
    (tmp_path / "child.toml").write_text('extends = "gone.toml"\n')
    one_line(capsys, main(["check", str(tmp_path / "gone.toml")]), "gone.toml", "dangling link")
    one_line(capsys, main(["check", str(tmp_path / "child.toml")]), "child.toml", "dangling link")


def _timeline_file(path: Path, events: int) -> Path:
    lines = ['extends = "baseline"', "[run]", "years = 60"]
    for i in range(events):  # every event different: nothing to remember between them
        lines += ["[[timeline]]", f"year = {i % 60 + 1}", f'set = {{"levers.audit_rate" = {i}e-5}}']
    path.write_text("\n".join(lines) + "\n")
    return path


def test_the_timeline_check_is_linear_in_its_events(tmp_path):
    """Checking 10,000 events costs about ten times 1,000, not a hundred (it was quadratic:
    10,000 events took minutes)."""

    def best(path: Path) -> float:
        times = []
        for _ in range(2):
            start = time.perf_counter()
            scenario = load_scenario(path)
            times.append(time.perf_counter() - start)
        assert len(scenario.params.timeline) in (1_000, 10_000)
        return min(times)

    small = best(_timeline_file(tmp_path / "small.toml", 1_000))
    large = best(_timeline_file(tmp_path / "large.toml", 10_000))
    assert large / small < 25, f"1,000 events {small:.2f} s, 10,000 events {large:.2f} s"


BIG_WORLD = "[world]\nwidth = 3000\nheight = 3000\n"


def _limit_address_space(gigabytes: float) -> Callable[[], None]:
    def limit() -> None:
        size = int(gigabytes * 1e9)
        resource.setrlimit(resource.RLIMIT_AS, (size, size))

    return limit


@pytest.mark.skipif(not hasattr(resource, "RLIMIT_AS"), reason="no address-space limit")
def test_the_memory_estimate_honours_the_process_limit(tmp_path, landsim_argv):
    """Under ``ulimit -v`` 3 GB, a 3000x3000 world (about 8 GB) is refused by ``check`` and by
    ``run`` with the same one line (``run`` died with MemoryError before)."""
    path = tmp_path / "big.toml"
    path.write_text(BIG_WORLD)
    lines = []
    for args in (["check", path], ["run", path, "--years", "1", "--out", tmp_path / "o"]):
        proc = subprocess.run(
            [*landsim_argv, *map(str, args)],
            capture_output=True,
            text=True,
            timeout=120,
            preexec_fn=_limit_address_space(3.0),
        )
        errors = [s for s in proc.stderr.splitlines() if s.startswith("landsim: error: ")]
        assert proc.returncode == 2 and len(errors) == 1, proc.stderr
        assert "Traceback" not in proc.stderr and "MemoryError" not in proc.stderr
        assert "big.toml" in errors[0] and "ulimit -v" in errors[0]
        lines.append(errors[0])
    assert lines[0] == lines[1]
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    ("cgroup", "files"),
    [
        ("0::/job/step\n", {"job/memory.max": "2000000000", "job/step/memory.max": "max"}),
        (
            "4:memory:/job\n3:cpu:/job\n",
            {
                "memory/job/memory.limit_in_bytes": "2000000000",
                "memory/memory.limit_in_bytes": "9223372036854771712",
            },
        ),
    ],
    ids=["v2", "v1"],
)
def test_the_memory_estimate_honours_the_cgroup_limit(tmp_path, monkeypatch, cgroup, files):
    """A cgroup memory limit (v2 ``memory.max`` of a parent group, v1
    ``memory.limit_in_bytes``) of 2 GB is the memory a world must fit in."""
    (tmp_path / "cgroup").write_text(cgroup)
    for name, text in files.items():
        (tmp_path / "fs" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "fs" / name).write_text(text + "\n")
    monkeypatch.setattr(limits, "_PROC_CGROUP", tmp_path / "cgroup")
    monkeypatch.setattr(limits, "_CGROUP_ROOT", tmp_path / "fs")
    monkeypatch.setattr(limits, "_rlimits", list)
    limits.memory_limit.cache_clear()
    try:
        have, why = limits.memory_limit()
        assert have == 2e9 and "cgroup" in why
        with pytest.raises(
            ValueError, match=r"need about 7\.9 GB, and this process may use 2\.0 GB"
        ):
            limits.check_world(9_000_000, 6, 100)
    finally:
        limits.memory_limit.cache_clear()


@pytest.mark.parametrize(
    ("text", "argv", "needles"),
    [
        ("[run]\nseed = 147573952589676412928\n", [], ("run.seed", "at most 9223372036854775807")),
        ("[world]\nplot_size_mu = 1e-320\n", [], ("world.plot_size_mu", "at least 0.1")),
        ("[levers]\naudit_rate = 0.1\n", ["--seed", str(2**67)], ("--seed", "at most")),
    ],
    ids=["67-bit seed", "tiny plot", "67-bit --seed"],
)
def test_seeds_fit_64_bits_and_plots_are_at_least_a_tenth_of_a_mu(
    tmp_path, capsys, text, argv, needles
):
    """A 67-bit seed (in the file or on the command line) and ``plot_size_mu = 1e-320`` are
    refused in one line naming the key and the rule."""
    path = tmp_path / "odd.toml"
    path.write_text('extends = "baseline"\n' + text)
    if argv:
        with pytest.raises(SystemExit) as exit_:
            main(["run", str(path), *argv, "--out", str(tmp_path / "o")])
        err = capsys.readouterr().err
        assert exit_.value.code == 2 and all(n in err for n in needles), err
        return
    for command in (["check", str(path)], ["run", str(path), "--out", str(tmp_path / "o")]):
        one_line(capsys, main(command), "odd.toml", *needles)


#: timeline events each valid on the baseline's shares, but not one after the other
CUMULATIVE = """\
extends = "baseline"
[run]
years = 5

[[timeline]]
year = 2
set = { "levers.reserve_share" = 0.2, "levers.member_share" = 0.7 }

[[timeline]]
year = 3
set = { "levers.collective_share" = 0.2, "levers.member_share" = 0.7 }
"""


@pytest.mark.parametrize(
    ("text", "needles"),
    [
        ('extends = "baseline"\n[world]\nhouseholds_per_village = 1000\n', ("no contract plot",)),
        (CUMULATIVE, ("timeline[1].set", "must sum to 1, got 0.2 + 0.2 + 0.7")),
    ],
    ids=["landless world", "timeline adding up"],
)
def test_check_refuses_exactly_what_run_refuses(tmp_path, capsys, text, needles):
    """A world that leaves households without land (``check`` refused it, ``run`` ran it), and
    timeline events valid one by one but not on top of each other (``check`` accepted them,
    ``run`` crashed in year 3 with a traceback): now ``check``, ``run`` and ``compare`` refuse
    both with the same line, and write nothing."""
    path = tmp_path / "odd.toml"
    path.write_text(text)
    check = one_line(capsys, main(["check", str(path)]), "odd.toml", *needles)
    out = tmp_path / "o"
    run = one_line(capsys, main(["run", str(path), "--out", str(out)]))
    compare = one_line(capsys, main(["compare", str(path), "--out", str(out)]))
    assert run == check == compare and not out.exists()


@pytest.mark.parametrize("what", ["sweep", "calibrate"])
def test_deep_nesting_in_resumed_records_and_other_loaders_is_one_line(tmp_path, capsys, what):
    """A sweep folder whose provenance.json nests 100,000 levels (a RecursionError before), and
    a calibration file nested 5,000 levels deep: exit 2, one line naming the file."""
    if what == "sweep":
        from sweep_helpers import tiny_experiment

        exp = tmp_path / "exp.toml"
        exp.write_text(tiny_experiment(replicates=1))
        out = tmp_path / "out"
        (out / "runs").mkdir(parents=True)
        (out / "provenance.json").write_text("[" * 100_000 + "]" * 100_000)
        code = main(["sweep", str(exp), "--out", str(out), "--resume", "--no-progress"])
        one_line(capsys, code, "provenance.json", "nested too deeply")
        return
    config = tmp_path / "cal.toml"
    config.write_text("x = " + "[" * 5000 + "]" * 5000 + "\n")
    code = main(["calibrate", str(config), "--out", str(tmp_path / "o")])
    one_line(capsys, code, "cal.toml", "nested too deeply")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
@pytest.mark.parametrize(
    ("load", "kind"),
    [
        ("landsim.validation:load_spec", "patterns file"),
        ("landsim.calibration.config:load_config", "calibration file"),
        ("landsim.decompose:load_decomposition", "decomposition file"),
        ("landsim.sweep.experiment:load_experiment", "experiment file"),
    ],
)
def test_every_toml_loader_refuses_a_pipe_without_waiting_on_it(tmp_path, load, kind):
    """Patterns, calibration, decomposition and experiment files are read as scenario files are
    (landsim.tomlio.read_toml): a named pipe is refused at once, naming the file and its kind,
    instead of waiting for a writer that never comes."""
    module, _, name = load.partition(":")
    loader = getattr(importlib.import_module(module), name)
    fifo = tmp_path / "pipe.toml"
    os.mkfifo(fifo)
    with pytest.raises(UserError, match=rf"pipe\.toml: not a regular file .*a {kind} is a file"):
        loader(fifo)
