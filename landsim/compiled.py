"""Compiled kernels: Numba's just-in-time compiler with landsim's settings, its cache, and a
switch to run without it.

A phase module keeps each rule as a plain NumPy function (the reference, and the test oracle)
and may hand its inner loops to a kernel written beside it (``landsim/<phase>_kernels.py``) and
compiled with :func:`kernel`. Kernels perform the same floating-point operations in the same
order as their references, so a seed gives the same run with or without compilation
(``tests/test_golden.py``, ``tests/test_kernels.py``): no ``fastmath`` (it would let the
compiler reorder and fuse operations), no parallel reductions, and random draws stay on the
model's generator, drawn in Python and handed to kernels.

Parts:

* :func:`kernel`: decorate a kernel. Numba is imported and the kernel compiled on its first
  call (importing landsim stays fast); the machine code is cached on disk (``cache=True``), so
  only the first run after an install or a change pays the compile (docs/performance.md).
* :func:`cache_ready` and :func:`mark_cache_ready`: whether this code's kernels are in Numba's
  cache yet (a marker that :func:`landsim.runner.compile_kernels` writes); a process pool whose
  cache is cold has its first two workers compile half of the kernels each
  (:func:`compiling_part`, :data:`PARTS`) while the others run on the references.
* :func:`enabled`: whether kernels run compiled. ``LANDSIM_NO_JIT=1`` in the environment runs
  every rule on its NumPy reference instead (Numba's own ``NUMBA_DISABLE_JIT=1`` also works,
  but runs the kernels as slow Python).
* :func:`threads` and :func:`in_parallel`: independent parts of a phase (villages) run on
  several threads at once (kernels release the GIL), as many as the process may use — but one
  inside a pool worker (:func:`single_threaded`, called by every pool's initializer, so that a
  sweep's workers do not oversubscribe the machine), one on any thread but the main one (the
  app's sessions, a Dask worker's tasks), and ``LANDSIM_THREADS=N`` sets it. Each part writes
  its own slice of the outputs, so a run's results do not depend on the number of threads.
* The cache's place: Numba writes it in ``__pycache__`` beside the sources; when the installed
  package cannot be written (a system-wide or read-only install), ``NUMBA_CACHE_DIR`` is set to
  the user's cache folder (``~/.cache/landsim/numba`` on Linux), unless the user has set it.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import sys
import tempfile
import threading
import types
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "kernel",
    "enabled",
    "cache_dir",
    "cache_ready",
    "mark_cache_ready",
    "compiling_part",
    "part_of",
    "PARTS",
    "threads",
    "cores",
    "single_threaded",
    "in_parallel",
    "split_groups",
    "as_numpy",
    "PARALLEL_MIN",
    "NO_JIT_VARIABLE",
    "THREADS_VARIABLE",
    "SOURCES",
]

#: environment variable that turns compilation off (any value but "", "0", "false", "no")
NO_JIT_VARIABLE = "LANDSIM_NO_JIT"

#: environment variable that sets the threads a run's kernels use (a whole number >= 1)
THREADS_VARIABLE = "LANDSIM_THREADS"

#: where Numba writes its cache by default: beside landsim's sources
SOURCES = Path(__file__).parent / "__pycache__"


#: the environment's own table (``os.environ`` keeps it current) and the variable's key in it:
#: a lookup there costs a tenth of ``os.environ.get``, and the rules ask tens of times a year
_ENVIRON: dict[Any, Any] | None = getattr(os.environ, "_data", None)
_NO_JIT_KEY = os.environ.encodekey(NO_JIT_VARIABLE) if _ENVIRON is not None else None  # type: ignore[attr-defined]
_last: tuple[Any, bool] = (None, True)  # (the variable's raw value, whether that means on)


def enabled() -> bool:
    """Whether rules run on their compiled kernels (read from the environment on each call, so
    that a test can switch it)."""
    global _last
    raw = _ENVIRON.get(_NO_JIT_KEY) if _ENVIRON is not None else os.environ.get(NO_JIT_VARIABLE)
    if raw is not _last[0] and raw != _last[0]:
        text = os.environ.get(NO_JIT_VARIABLE, "")
        _last = (raw, text.strip().lower() in ("", "0", "false", "no"))
    return _last[1]


_single = False  # set in pool workers by single_threaded()
_pool: tuple[int, int, ThreadPoolExecutor] | None = None  # (pid, threads, pool)
_pool_lock = threading.Lock()


def single_threaded() -> None:
    """Run this process's kernels on one thread (called by the initializer of every process
    pool: :func:`landsim.processes.worker_init`, and by the calibration's workers)."""
    global _single
    _single = True


def as_numpy(*arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    """Arrays a kernel returned, as views with NumPy's own dtype objects: Numba's are equal
    but not the same object, and NumPy then leaves its fast loops (``np.add.at`` on them
    runs 30 times slower). Every kernel's results pass through it (:func:`kernel`)."""
    return tuple(x.view(x.dtype.type) for x in arrays)


def _numpy_dtypes(result: Any) -> Any:
    """A kernel's result with its arrays (alone or in a tuple) given NumPy's dtype objects."""
    if isinstance(result, np.ndarray):
        return result.view(result.dtype.type)
    if isinstance(result, tuple):
        return tuple(x.view(x.dtype.type) if isinstance(x, np.ndarray) else x for x in result)
    return result


def threads() -> int:
    """How many threads a phase's independent parts may run on: ``LANDSIM_THREADS`` if set,
    else 1 in a pool worker or off the main thread, else the cores this process may use."""
    text = os.environ.get(THREADS_VARIABLE, "").strip()
    if text:
        try:
            return max(1, int(text))
        except ValueError:
            return 1
    if _single or threading.current_thread() is not threading.main_thread():
        return 1
    return cores()


def cores() -> int:
    """The cores this process may use (CPU affinity, else ``os.cpu_count()``)."""
    mine = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    return len(mine) if mine else os.cpu_count() or 1


def in_parallel(fn: Callable[..., Any], parts: list[tuple[Any, ...]]) -> list[Any]:
    """``[fn(*part) for part in parts]``, the parts on up to :func:`threads` threads.

    ``fn`` is a compiled kernel (it releases the GIL) and each part writes only its own
    outputs, so the results are the same on any number of threads."""
    n = min(threads(), len(parts))
    if n <= 1:
        return [fn(*part) for part in parts]
    return list(_executor(n).map(lambda part: fn(*part), parts))


#: the least work (items: plots, offers) worth splitting over threads; below it one thread is
#: faster than handing parts to others (a hand-over costs tens of microseconds)
PARALLEL_MIN = 20_000


def split_groups(bounds: np.ndarray, parts: int) -> list[tuple[int, int]]:
    """Groups ``0..len(bounds)-2`` (group ``g`` holds items ``bounds[g]:bounds[g+1]``) cut into
    at most ``parts`` runs of whole groups with about equal items: ``[(first, end), ...]``.
    One run when the items are fewer than :data:`PARALLEL_MIN`."""
    n_groups = len(bounds) - 1
    total = int(bounds[-1] - bounds[0]) if n_groups > 0 else 0
    if parts <= 1 or n_groups <= 1 or total < PARALLEL_MIN:
        return [(0, max(n_groups, 0))]
    targets = bounds[0] + total * np.arange(1, parts) / parts
    cuts = np.unique(np.clip(np.searchsorted(bounds, targets), 1, n_groups - 1))
    edges = [0, *cuts.tolist(), n_groups]
    return [(a, b) for a, b in zip(edges[:-1], edges[1:], strict=True) if b > a]


def _executor(n: int) -> ThreadPoolExecutor:
    """This process's pool of ``n`` threads (made again after a fork or when ``n`` changes)."""
    global _pool
    with _pool_lock:
        if _pool is None or _pool[0] != os.getpid() or _pool[1] != n:
            _pool = (os.getpid(), n, ThreadPoolExecutor(n, thread_name_prefix="landsim-kernel"))
        return _pool[2]


def _writable(folder: Path) -> bool:
    """Whether files can be created in ``folder`` (made if missing)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError:
        return False
    return True


def cache_dir() -> Path | None:
    """Set ``NUMBA_CACHE_DIR`` when Numba could not write its cache beside landsim's sources,
    and return the folder set (``None`` when the user set it or the package is writable).

    Numba would otherwise fall back to its own user folder, and fail to import a kernel when
    that cannot be written either; here the fallback is the user's landsim cache, then the
    temporary folder (compiled again each session, but never an error)."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return None
    if _writable(SOURCES):
        return None
    from platformdirs import user_cache_dir

    for folder in (
        Path(user_cache_dir("landsim", appauthor=False)) / "numba",
        Path(tempfile.gettempdir()) / f"landsim-numba-{getattr(os, 'getuid', lambda: 0)()}",
    ):
        if _writable(folder):
            os.environ["NUMBA_CACHE_DIR"] = str(folder)
            return folder
    return None


@functools.cache
def _kernels_key() -> str:
    """What the cache's kernels depend on: the kernel modules' text, Numba's version and
    Python's (a change to any of them makes Numba compile again)."""
    from importlib.metadata import version

    digest = hashlib.sha256(f"{version('numba')} {sys.version}".encode())
    for path in sorted(Path(__file__).parent.glob("*_kernels.py")) + [Path(__file__)]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _ready_marker() -> Path:
    """The file that says this code's kernels are in Numba's cache (in the cache's folder, so
    that deleting the cache deletes it too)."""
    cache_dir()
    folder = os.environ.get("NUMBA_CACHE_DIR") or SOURCES
    return Path(folder) / f"landsim-kernels-{_kernels_key()}.ready"


def cache_ready() -> bool:
    """Whether the kernels of this code are in Numba's cache (:func:`mark_cache_ready` said so
    after a warm-up run), or need none (compilation is off)."""
    return not enabled() or _ready_marker().exists()


def mark_cache_ready(part: int | None = None) -> None:
    """Note that a warm-up run (:func:`landsim.runner.compile_kernels`) has put this code's
    kernels in Numba's cache — all of them, or those of one of the :data:`PARTS` (the cache is
    ready once every part is); a cache that cannot be written is left unmarked."""
    marker = _ready_marker()
    parts = [marker.with_name(f"{marker.name}.part{k}") for k in range(PARTS)]
    try:
        marker.parent.mkdir(parents=True, exist_ok=True)
        if part is not None:
            parts[part].touch()  # first its own, so that the last part to end sees them all
        if part is None or all(p.exists() for p in parts):
            marker.touch()
    except OSError:
        pass


#: the kernels split in two, for a warm-up shared by two processes (:func:`compiling_part`):
#: part 0 is the market's (its auctions, ``clearing_kernels.clear_offers``, take a third of the
#: whole compile: docs/performance.md), part 1 every other phase's; about 22 s and 25 s here
PARTS = 2
_PART_ZERO = frozenset(
    {"landsim.clearing_kernels", "landsim.market_kernels", "landsim.sort_kernels"}
)

#: ``.part``: while a warm-up on this thread compiles one part, the kernels of the others run
#: as plain Python (a warm-up's results are thrown away); absent: every kernel runs compiled.
#: Per thread, so that the app's pages are not slowed by its warm-up thread.
_warm_up = threading.local()


def part_of(module: str) -> int:
    """Which of the :data:`PARTS` the kernels of ``module`` (a module's name) belong to."""
    return 0 if module in _PART_ZERO else 1


@contextlib.contextmanager
def compiling_part(part: int | None) -> Iterator[None]:
    """Within the block only the kernels of ``part`` compile (or load from the cache); the
    others run as plain Python, slowly. ``None``: every kernel compiles. For a warm-up run
    only: its results are thrown away (the kernels' Python is not what the model runs when
    compilation is off — that is the phase modules' NumPy references)."""
    if part is not None and not 0 <= part < PARTS:
        raise ValueError(f"part must be one of 0..{PARTS - 1} or None, got {part}")
    before = getattr(_warm_up, "part", None)
    _warm_up.part = part
    try:
        yield
    finally:
        _warm_up.part = before


def kernel(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Compile ``fn`` with Numba on its first call (``nopython``, ``cache=True``, no
    ``fastmath``, no ``parallel``; the GIL released) and call the compiled function after.

    A kernel may call another kernel of its module, or itself: the caller sees the callee's
    compiled form."""
    compiled: list[Callable[..., Any]] = []

    def dispatcher() -> Callable[..., Any]:
        if not compiled:
            folder = cache_dir()
            import numba

            if folder is not None and not numba.config.CACHE_DIR:
                numba.config.CACHE_DIR = str(folder)  # numba was imported before it was set
            calls = [
                name
                for name, value in fn.__globals__.items()
                if name in fn.__code__.co_names and hasattr(value, "dispatcher")
            ]
            env = dict(fn.__globals__)  # the same code, with the kernels it calls compiled
            py_func = types.FunctionType(fn.__code__, env, fn.__name__, fn.__defaults__)
            py_func.__qualname__, py_func.__module__ = fn.__qualname__, fn.__module__
            options = {"cache": True, "fastmath": False, "parallel": False, "nogil": True}
            jitted = numba.njit(**options)(py_func)
            for name in calls:  # a kernel calling itself sees its own compiled form
                callee = fn.__globals__[name]
                env[name] = jitted if callee.py_func is fn else callee.dispatcher()
            compiled.append(jitted)
        return compiled[0]

    part = part_of(fn.__module__)

    @functools.wraps(fn)
    def call(*args: Any) -> Any:
        only = getattr(_warm_up, "part", None)
        if only is not None and only != part:  # a warm-up of another part on this thread
            return fn(*args)
        return _numpy_dtypes((compiled[0] if compiled else dispatcher())(*args))

    call.py_func = fn  # type: ignore[attr-defined]
    call.dispatcher = dispatcher  # type: ignore[attr-defined]
    return call
