"""Sessions coming and going on the app's server, and the memory they give back.

A session is one page (a solara virtual kernel): it starts when a tab opens, and ends when the
tab is closed or, for a tab that dropped its connection, when the server culls it
(``landsim app --cull-after``). The server logs each start, and, a moment after each end, how
many sessions are still open and how many are still in memory::

    session ended (0 open, 0 sessions in memory, 0 towns)

(``sessions in memory``: solara's kernel contexts not yet freed; ``towns``: landsim's
:class:`~landsim.app.session.Session` objects, which hold the models.) Both are counted through
weak references, so a session that something still holds shows up there.

Once the sessions of closed pages are gone, the server gives their memory back to the system
(:func:`return_memory`). Why that takes more than freeing them (measured with
``benchmarks/app_soak.py --abandon 120``, see docs/app.md): the sessions' objects are freed,
but the allocator cannot return a page of memory while anything on it lives, and objects that
outlive the sessions are spread over the pages the sessions used:

* each page's websocket runs in a worker thread of anyio's pool, and the pool keeps its idle
  threads (with their stacks, thread states and caches) until it next hands out work. The
  server hands out a no-op once they have been idle long enough for anyio to end them;
* CPython's type attribute cache keeps the attribute names it looked up (thousands of strings
  made while pages rendered): it is cleared;
* solara keeps a little per kernel after the kernel is gone (:func:`forget_ended_kernels`);
* Python's own small-object allocator returns memory only in whole 1 MiB arenas, which a few
  surviving objects keep; ``landsim app`` therefore runs its server on the C allocator on
  glibc (``PYTHONMALLOC=malloc``, :func:`system_malloc_env`), where ``malloc_trim`` returns
  every free 4 KiB page, and :func:`tune_allocator` keeps large blocks in their own mappings.

Importing this module does nothing; :func:`install` (called by :mod:`landsim.app.server`
before any page is served) registers the session hooks and starts the counting thread.
"""

from __future__ import annotations

import _thread
import asyncio
import ctypes
import ctypes.util
import gc
import logging
import os
import platform
import queue
import sys
import threading
import time
import weakref
from typing import Any

__all__ = [
    "forget_ended_kernels",
    "install",
    "note_server_loop",
    "return_memory",
    "sessions_in_memory",
    "system_malloc_env",
    "tune_allocator",
]

LOG = logging.getLogger("landsim.app")
#: anyio ends a worker thread that has been idle this long (seconds) when it next hands out
#: work (``WorkerThread.MAX_IDLE_TIME`` in anyio/_backends/_asyncio.py), plus a margin
WORKER_IDLE = 11.0
#: how often, and how many seconds apart, the server counts again while closed sessions are
#: still being torn down (many kernels closing at once take some seconds)
SETTLE_TRIES, SETTLE_PAUSE = 30, 2.0

#: every kernel context (session) still in memory, weakly (by ``id``: they are not hashable)
_KERNELS: weakref.WeakValueDictionary[int, Any] = weakref.WeakValueDictionary()
_open = {"sessions": 0}
_open_lock = threading.Lock()
#: a signal per ended session (the count is read when counting: ends on several threads
#: may signal out of order)
_ended: queue.SimpleQueue[None] = queue.SimpleQueue()
_server = {"loop": None}
_installed = {"done": False}


def install() -> None:
    """Count sessions as they start and end, and give their memory back after each cull
    (once per process)."""
    import solara.lab

    with _open_lock:
        if _installed["done"]:
            return
        _installed["done"] = True
    tune_allocator()
    solara.lab.on_kernel_start(_session_started)
    # a threading.Thread started inside a session takes the session's kernel context with it
    # (solara patches threads so) and would keep it alive; this thread holds nothing
    _thread.start_new_thread(_count_sessions, ())


def note_server_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Remember the server's event loop (the one that hands work to anyio's worker threads)."""
    if _server["loop"] is None:
        _server["loop"] = loop


def sessions_in_memory() -> tuple[int, int]:
    """Sessions (kernel contexts) and towns (landsim sessions) not yet freed."""
    from landsim.app.session import LIVE_SESSIONS

    return len(_KERNELS), len(LIVE_SESSIONS)


def _session_started():
    from solara.server import kernel_context

    context = kernel_context.get_current_context()
    _KERNELS[id(context)] = context
    with _open_lock:
        _open["sessions"] += 1
        LOG.info("session started (%d open)", _open["sessions"])

    def ended():
        with _open_lock:
            _open["sessions"] -= 1
        _ended.put(None)  # counted on the thread that holds no session

    return ended


def _count_sessions() -> None:
    """Log, a moment after sessions end, how many are still in memory; once the closed ones
    are gone, give their memory back."""
    while True:
        _ended.get()
        time.sleep(1.0)  # let the closing kernel let go of its widgets
        while not _ended.empty():  # sessions that ended meanwhile: one count for all
            _ended.get()
        if not _settle():
            continue  # more sessions ended meanwhile: count them first
        try:  # wait until anyio may end the idle worker threads, unless more sessions end
            _ended.put(_ended.get(timeout=WORKER_IDLE))
        except queue.Empty:
            return_memory()


def _open_now() -> int:
    with _open_lock:
        return _open["sessions"]


def _settle() -> bool:
    """Collect and count until no more sessions are in memory than are open; False if more
    sessions ended meanwhile."""
    gc.collect()
    counted = _log_count()
    for _ in range(SETTLE_TRIES):
        if counted[1] <= counted[0]:
            return True
        if not _ended.empty():
            return False
        time.sleep(SETTLE_PAUSE)
        gc.collect()
        if (_open_now(), *sessions_in_memory()) != counted:
            counted = _log_count()
    return _ended.empty()


def _log_count() -> tuple[int, int, int]:
    """Log (and return) the sessions open, the sessions in memory and the towns."""
    counted = (_open_now(), *sessions_in_memory())
    LOG.info("session ended (%d open, %d sessions in memory, %d towns)", *counted)
    return counted


def return_memory() -> None:
    """Give the memory of ended sessions back to the system (see the module docstring)."""
    _end_idle_threads()
    forget_ended_kernels()
    clear = getattr(sys, "_clear_type_cache", None)
    if clear is not None:
        clear()
    gc.collect()
    _trim()
    LOG.info("memory given back (%d threads)", threading.active_count())


def forget_ended_kernels() -> None:
    """Drop what solara keeps, per kernel, after the kernel is gone (solara 1.58.2; fixed
    upstream in widgetti/solara#1189, a version that this app's offline pin does not have yet).

    * A reactive value made at module level (:data:`landsim.app.boundary.refused`) keeps a set
      of listeners for every kernel that ever read or fired it, empty or not, forever.
    * With telemetry off (``landsim app`` turns it off), solara still counts the connections
      of every browser session ever seen, for a report it never sends.
    """
    import solara.server.settings
    from solara.server import kernel_context, telemetry

    from landsim.app import boundary

    store = getattr(boundary.refused, "_storage", None)
    for table in (getattr(store, "listeners", None), getattr(store, "listeners2", None)):
        if isinstance(table, dict):
            live = set(kernel_context.contexts)
            for key in [k for k in list(table) if k != "global" and k not in live]:
                table.pop(key, None)  # no listener can come for a kernel that is gone
    if not solara.server.settings.telemetry.mixpanel_enable:
        for counts in ("_connections_per_session_daily", "_connections_per_session_cumulative"):
            table = getattr(telemetry, counts, None)
            if isinstance(table, dict):
                table.clear()


def _end_idle_threads() -> None:
    """Have anyio end its worker threads that have been idle for a while: it does so when it
    next hands out work, so hand it a no-op on the server's loop."""
    loop = _server["loop"]
    if loop is None or loop.is_closed():
        return
    import anyio.to_thread

    async def hand_out_a_no_op() -> None:
        await anyio.to_thread.run_sync(int)

    try:
        asyncio.run_coroutine_threadsafe(hand_out_a_no_op(), loop).result(WORKER_IDLE)
    except Exception:  # noqa: BLE001 - the server is stopping: nothing to give back
        LOG.debug("could not end idle worker threads", exc_info=True)


def _libc() -> Any | None:
    """glibc, or None elsewhere (macOS, Windows, musl): the calls below are glibc's."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None


def _trim() -> None:
    """Return glibc's free pages to the system (it keeps the freed memory of a many-threaded
    process for reuse)."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


def tune_allocator() -> None:
    """Keep large blocks in their own mappings, returned when freed (glibc only).

    glibc raises its mmap threshold each time a large block is freed, so the arrays of later
    sessions (a model's plots, a map's pixels) land in the heap among small objects, and a
    heap with a few live objects on every page cannot shrink. A fixed threshold keeps large
    blocks in their own mappings; two arenas instead of sixteen keep the threads' small
    objects together.
    """
    libc = _libc()
    if libc is None:
        return
    libc.mallopt(M_MMAP_THRESHOLD, 128 * 1024)
    libc.mallopt(M_TRIM_THRESHOLD, 1024 * 1024)
    libc.mallopt(M_ARENA_MAX, 2)


#: glibc's mallopt parameters (malloc.h)
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD, M_ARENA_MAX = -1, -3, -8


def system_malloc_env() -> dict[str, str] | None:
    """The environment to run the server with Python's objects on the C allocator
    (``PYTHONMALLOC=malloc``), or None to run as it is: elsewhere than glibc, or when
    ``$PYTHONMALLOC`` is set already (the user's choice stands).

    Python's small-object allocator returns memory to the system only in whole 1 MiB arenas;
    after a cull, the few objects that outlive the sessions keep most arenas the sessions
    used (120 abandoned tabs: +329 MB after the cull). glibc's allocator, trimmed, returns
    every free 4 KiB page (+72 MB; benchmarks/app_soak.py, docs/app.md).
    """
    if os.environ.get("PYTHONMALLOC") or _libc() is None:
        return None
    return {**os.environ, "PYTHONMALLOC": "malloc"}
