"""Worker processes that never outlive the command that started them.

:func:`worker_init` is the ``initializer`` of every process pool: the worker ignores Ctrl-C
(the parent decides how to stop) and asks the kernel to kill it when its parent dies
(Linux ``prctl(PR_SET_PDEATHSIG, SIGKILL)``), so ``kill -9`` of a sweep's or comparison's
main process does not leave its workers running. Pools started from a *forkserver* are its
children: the forkserver exits when the main process dies (it watches a pipe to it), and its
workers follow.

Elsewhere (macOS, Windows) the parent-death signal does not exist and workers are stopped
only by the parent's normal shutdown.
"""

from __future__ import annotations

import ctypes
import ctypes.util
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


def worker_init() -> None:
    """Initializer of a pool worker: ignore Ctrl-C and die with the parent."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent()
