"""Worker processes that never outlive the command that started them.

:func:`worker_init` is the ``initializer`` of every process pool (``sweep``, ``compare``), and
:func:`watch_parent` is called by the calibration's workers (pyabc's local sampler) when they
start. A worker ignores Ctrl-C (the parent decides how to stop) and ends within
:data:`POLL_SECONDS` of its parent's death, however the parent dies (``kill -9`` too):

* on Linux it asks the kernel to kill it when its parent dies
  (``prctl(PR_SET_PDEATHSIG, SIGKILL)``, :func:`die_with_parent`);
* everywhere, a daemon thread polls the parent (:func:`watch_parent`): on POSIX the parent is
  gone when ``os.getppid()`` changes (an orphan is adopted by another process), on Windows when
  the handle :mod:`multiprocessing` keeps of it is signalled; the worker then kills itself.

Pools started from a *forkserver* are the forkserver's children, not the main process's. The
forkserver exits when every copy of the write end of its "alive" pipe is closed — but each
worker it forks inherits a copy (for forking workers of its own, which ours never do), so a
worker kept the forkserver alive and the forkserver kept the worker alive. The initializer
closes the worker's copy: when the main process dies, the forkserver exits, and its workers
follow it. Where there is no forkserver (Windows) there is no pipe to close, and nothing here
is imported or called where it does not exist (``SIGKILL``, ``prctl``, the forkserver).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import multiprocessing
import os
import signal
import sys
import threading
import time

__all__ = ["die_with_parent", "watch_parent", "worker_init", "POLL_SECONDS"]

_PR_SET_PDEATHSIG = 1
#: how often the watchdog thread looks for the parent (seconds)
POLL_SECONDS = 0.5
#: the process whose parent is watched (a forked child watches its own parent again)
_watched: int | None = None


def die_with_parent(sig: int | None = None) -> bool:
    """Ask the kernel to send ``sig`` (default ``SIGKILL``) to this process when its parent
    exits.

    Returns:
        True if the request was made (Linux), False where it is not available.
    """
    if not sys.platform.startswith("linux"):
        return False
    sig = signal.SIGKILL if sig is None else sig
    parent = os.getppid()
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0) != 0:
            return False
    except (OSError, AttributeError):
        return False
    if os.getppid() != parent:  # the parent died before the request was made
        os.kill(os.getpid(), sig)
    return True


def _release_forkserver() -> None:
    """Close this worker's copy of the forkserver's alive pipe (see the module docstring)."""
    try:
        import multiprocessing.forkserver
    except ImportError:  # no forkserver on this platform: nothing to release
        return
    server = multiprocessing.forkserver._forkserver  # noqa: SLF001 - no public handle
    fd = getattr(server, "_forkserver_alive_fd", None)
    if fd is not None:
        with contextlib.suppress(OSError):
            os.close(fd)
        server._forkserver_alive_fd = None  # noqa: SLF001


def _end_self() -> None:
    """End this process at once (no clean-up: its parent, which would collect it, is gone)."""
    if hasattr(signal, "SIGKILL"):
        os.kill(os.getpid(), signal.SIGKILL)
    os._exit(1)  # Windows


def _parent_gone(parent: int) -> bool:
    """True when the parent this process started with has died."""
    if sys.platform == "win32":
        watched = multiprocessing.parent_process()
        return watched is not None and not watched.is_alive()
    return os.getppid() != parent


def watch_parent(parent: int | None = None) -> None:
    """Make this process end when its parent dies: the kernel's parent-death signal where
    there is one, and a daemon thread that polls every :data:`POLL_SECONDS` everywhere.

    Call it once in each worker process (more calls in the same process do nothing).

    Args:
        parent: the pid the parent had, when the caller knows it (a parent that died before
            this call is then noticed too); default: this process's parent now.
    """
    global _watched
    if _watched == os.getpid():
        return
    _watched = os.getpid()
    die_with_parent()
    parent = os.getppid() if parent is None else parent

    def watch() -> None:
        while True:
            if _parent_gone(parent):
                _end_self()
            time.sleep(POLL_SECONDS)

    threading.Thread(target=watch, name="landsim-parent-watch", daemon=True).start()


def worker_init() -> None:
    """Initializer of a pool worker: ignore Ctrl-C, die with the parent, keep no forkserver
    alive, run kernels on one thread (the pool already uses every core)."""
    from landsim import compiled

    compiled.single_threaded()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    watch_parent()
    _release_forkserver()
