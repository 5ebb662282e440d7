"""Worker processes that never outlive the command that started them.

:func:`worker_init` is the ``initializer`` of every process pool: the worker ignores Ctrl-C
(the parent decides how to stop) and asks the kernel to kill it when its parent dies
(Linux ``prctl(PR_SET_PDEATHSIG, SIGKILL)``), so ``kill -9`` of a sweep's or comparison's
main process does not leave its workers running.

Pools started from a *forkserver* are the forkserver's children, not the main process's. The
forkserver exits when every copy of the write end of its "alive" pipe is closed — but each
worker it forks inherits a copy (for forking workers of its own, which ours never do), so a
worker kept the forkserver alive and the forkserver kept the worker alive. The initializer
closes the worker's copy: when the main process dies, the forkserver exits, and the kernel
kills its workers.

Elsewhere (macOS, Windows) the parent-death signal does not exist and workers are stopped
only by the parent's normal shutdown.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import multiprocessing.forkserver
import os
import signal
import sys

__all__ = ["die_with_parent", "worker_init"]

_PR_SET_PDEATHSIG = 1


def die_with_parent(sig: int = signal.SIGKILL) -> bool:
    """Ask the kernel to send ``sig`` to this process when its parent exits.

    Returns:
        True if the request was made (Linux), False where it is not available.
    """
    if not sys.platform.startswith("linux"):
        return False
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
    server = multiprocessing.forkserver._forkserver  # noqa: SLF001 - no public handle
    fd = getattr(server, "_forkserver_alive_fd", None)
    if fd is not None:
        with contextlib.suppress(OSError):
            os.close(fd)
        server._forkserver_alive_fd = None  # noqa: SLF001


def worker_init() -> None:
    """Initializer of a pool worker: ignore Ctrl-C, die with the parent, keep no forkserver
    alive."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent()
    _release_forkserver()
