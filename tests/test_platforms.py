"""Platforms: every module imports where POSIX-only modules are missing (as on Windows), and
the calls that exist only on Linux or POSIX are behind a check."""

from __future__ import annotations

import ast
import importlib
import signal
import subprocess
import sys
from pathlib import Path

import landsim.processes
from landsim.sweep import executors

REPO = Path(__file__).resolve().parents[1]

#: POSIX-only modules that Windows lacks and landsim's own code may import
POSIX_ONLY = ("fcntl", "resource")

#: modules that run a program when imported
NOT_IMPORTED = ("__main__",)


def _modules() -> list[str]:
    names = []
    for path in sorted((REPO / "landsim").rglob("*.py")):
        parts = path.relative_to(REPO).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        if not any(name.endswith(skip) or name == skip for skip in NOT_IMPORTED):
            names.append(name)
    return names


def _libraries() -> list[str]:
    """Every non-standard module landsim's code imports (at the top or in a function)."""
    names: set[str] = set()
    for path in (REPO / "landsim").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module)
    own = ("landsim", *sys.stdlib_module_names)
    return sorted(n for n in names if n.split(".")[0] not in own)


def test_every_module_imports_without_fcntl_and_resource():
    """With fcntl and resource unavailable (as on Windows), every landsim module imports.

    The libraries landsim uses are imported first, with the real modules: on Linux they take
    their POSIX paths (solara's file lock would wait on a lock file without fcntl), and on
    Windows their own Windows paths, which this machine cannot take. What is tested is
    landsim's own code.
    """
    code = "\n".join(
        [
            "import importlib, sys, warnings",
            "warnings.simplefilter('ignore')",
            f"for name in {_libraries()!r}:",
            "    try:",
            "        importlib.import_module(name)",
            "    except Exception:",
            "        pass",
            *(f"sys.modules.pop({m!r}, None)" for m in POSIX_ONLY),
            *(f"sys.modules[{m!r}] = None" for m in POSIX_ONLY),
            "failed = []",
            f"for name in {_modules()!r}:",
            "    try:",
            "        importlib.import_module(name)",
            "    except ImportError as err:",
            "        failed.append(f'{name}: {err}')",
            "print('\\n'.join(failed))",
        ]
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "", done.stdout


def test_the_process_helpers_import_and_run_without_sigkill(monkeypatch):
    """Without SIGKILL (Windows), landsim.processes imports and asks for nothing."""
    monkeypatch.delattr(signal, "SIGKILL")
    monkeypatch.setattr(sys, "platform", "win32")
    module = importlib.reload(landsim.processes)
    try:
        assert module.die_with_parent() is False
    finally:
        monkeypatch.undo()
        importlib.reload(landsim.processes)


def test_pools_spawn_their_workers_where_there_is_no_forkserver(monkeypatch):
    """Pool workers start from a forkserver where one exists, else by spawning (Windows)."""
    assert executors.start_method() == "forkserver"  # Linux, where the tests run
    monkeypatch.setattr(executors.mp, "get_all_start_methods", lambda: ["spawn"])
    assert executors.start_method() == "spawn"


def test_bench_says_which_systems_it_needs_where_getrusage_is_missing(monkeypatch, capsys):
    """`landsim bench` without getrusage is one line naming the systems it runs on."""
    from landsim import timing
    from landsim.cli import main

    monkeypatch.setattr(timing, "resource", None)
    assert main(["bench", "--quick"]) == 2
    assert capsys.readouterr().err == (
        "landsim: error: landsim bench needs Linux or macOS: it measures peak memory with "
        "getrusage, which this system lacks\n"
    )
