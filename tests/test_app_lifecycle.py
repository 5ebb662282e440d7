"""Sessions of the app's server end, are freed, and give their memory back
(landsim/app/lifecycle.py; issue 20: bounded resources)."""

from __future__ import annotations

import platform
import re
import time
from pathlib import Path

from landsim.app import lifecycle
from tests.wsclient import HeadlessTab, serving

COUNT = re.compile(r"session ended \((\d+) open, (\d+) sessions in memory, (\d+) towns\)")
ON_GLIBC = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"


def _threads(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    raise AssertionError(f"no thread count for process {pid}")


def _wait_for(log: Path, pattern: str, after: int, timeout: float) -> str:
    """The server log once it holds more than ``after`` lines matching ``pattern``."""
    deadline = time.monotonic() + timeout
    while True:
        text = log.read_text()
        if len(re.findall(pattern, text)) > after:
            return text
        assert time.monotonic() < deadline, f"the server did not log {pattern!r} in {timeout} s"
        time.sleep(0.2)  # polling the server log, not waiting for a result


def test_abandoned_sessions_are_freed_and_their_memory_given_back(tmp_path):
    """Tabs that each step their town and drop their connection: after the cull no kernel
    context and no town (the model's session) is still referenced anywhere in the server (it
    counts them through weak references), and the worker threads that ran the pages end."""
    home, log = tmp_path / "home", tmp_path / "server.log"
    home.mkdir()
    args = ["--data", str(tmp_path / "data"), "--cull-after", "2s", "--log-level", "info"]
    with open(log, "w") as out, serving(args, env={"HOME": str(home)}, log=out) as (url, proc):
        given_back = len(re.findall("memory given back", log.read_text()))
        threads_before = _threads(proc.pid) if ON_GLIBC else 0
        tabs = [HeadlessTab(url) for _ in range(3)]
        for tab in tabs:
            tab.click(tab.find("landsim-step"))
        assert "session started (3 open)" in log.read_text()
        for tab in tabs:
            tab.ws.close()  # dropped, never closed by the page: culled after 2 s
        text = _wait_for(log, "memory given back", given_back, timeout=120)
        counts = COUNT.findall(text)
        assert counts[-1] == ("0", "0", "0"), f"culled sessions still in memory: {counts[-1]}"
        if ON_GLIBC:
            environ = Path(f"/proc/{proc.pid}/environ").read_bytes().split(b"\0")
            assert b"PYTHONMALLOC=malloc" in environ  # the server restarted itself on malloc
            assert _threads(proc.pid) <= threads_before + 1  # one worker thread stays in the pool
    assert "Traceback" not in log.read_text()


def test_the_server_runs_on_the_c_allocator_only_on_glibc_and_unless_told_otherwise(
    monkeypatch,
):
    """``PYTHONMALLOC=malloc`` on glibc; a ``PYTHONMALLOC`` the user set is kept."""
    monkeypatch.delenv("PYTHONMALLOC", raising=False)
    env = lifecycle.system_malloc_env()
    if ON_GLIBC:
        assert env is not None and env["PYTHONMALLOC"] == "malloc"
    else:
        assert env is None
    monkeypatch.setenv("PYTHONMALLOC", "pymalloc")
    assert lifecycle.system_malloc_env() is None


def test_what_solara_keeps_for_a_kernel_that_is_gone_is_dropped(monkeypatch):
    """The listener sets a module-level reactive value keeps per kernel, and solara's counts of
    browser sessions for a telemetry report that is off, go after the cull; a live page's stay."""
    import solara.server.settings
    from solara.server import kernel_context, telemetry

    from landsim.app import boundary

    table = boundary.refused._storage.listeners
    monkeypatch.setattr(kernel_context, "contexts", {"live-kernel": object()})
    monkeypatch.setattr(solara.server.settings.telemetry, "mixpanel_enable", False)
    monkeypatch.setitem(telemetry._connections_per_session_cumulative, "a-browser", 1)
    table["gone-kernel"], table["live-kernel"] = set(), set()
    try:
        lifecycle.forget_ended_kernels()
        assert "gone-kernel" not in table and "live-kernel" in table
        assert telemetry._connections_per_session_cumulative == {}
    finally:
        table.pop("gone-kernel", None)
        table.pop("live-kernel", None)
