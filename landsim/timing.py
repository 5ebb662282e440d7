"""Timing runs of the model: world sizes from a town to a county, one instrumented run, and a
run in a child process (its own peak memory, under a time and memory limit).

Parts: :class:`WorldSize` and the size ladder (:func:`town_size`, :func:`county_size`,
:func:`ladder`); :data:`PHASES` (what the calendar calls, by phase of the year),
:class:`RunTiming` and :func:`time_run` (one run, each phase timed by wrapping the functions
the model's calendar calls with ``time.perf_counter`` timers from the outside: the model is not
changed); :func:`run_in_child`. ``python -m landsim.timing SPEC`` is the child.
:mod:`landsim.bench` puts them together into the benchmark.
"""

from __future__ import annotations

import json
import math
import queue
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

try:
    import resource  # POSIX: the peak memory of this process and of its children
except ImportError:  # Windows: `landsim bench` says it needs Linux or macOS
    resource = None

__all__ = [
    "PHASES",
    "PHASE_GROUPS",
    "WorldSize",
    "RunTiming",
    "town_size",
    "county_size",
    "ladder",
    "time_run",
    "run_in_child",
]

#: what ``LandModel.step`` calls, in calendar order, and the phase of the year (the issue's
#: names) each belongs to: a phase module's function (``module.function``, timed wherever the
#: model calls it) or an attribute of the model (``model.x``); lease expiry is part of the land
#: market, the year's outcomes and the closing of the books are the metrics
PHASES: dict[str, str] = {
    "model._apply_timeline": "policy",
    "farming.advance_technology": "farming",
    "government.start_year": "policy",
    "services.start_year": "policy",
    "cooperatives.found_coops": "policy",
    "demography.run_year": "demography",
    "cooperatives.renew_leases": "market",
    "market.expire_leases": "market",
    "land_use.decide": "decisions",
    "market.place_released_land": "market",
    "farming.farm": "farming",
    "books.distribute": "distribution",
    "labour.learn_job_chance": "farming",
    "government.raise_standards": "policy",
    "branches.update_branches": "policy",
    "trust.update_trust_and_engagement": "policy",
    "cooperatives.review": "policy",
    "services.close_year": "policy",
    "model.datacollector.collect": "metrics",
    "model.ledger.close_year": "metrics",
}
#: phases of the year in calendar order; ``other`` is step time outside the timed methods
#: (non-zero only if ``step`` gains a phase this table does not know)
PHASE_GROUPS = (
    "demography",
    "decisions",
    "market",
    "farming",
    "distribution",
    "policy",
    "metrics",
    "other",
)

#: plots per village in the county world (1,000,000 plots in 25 x 24 = 600 villages)
COUNTY_PLOTS_PER_VILLAGE = 1_000_000 / 600


# ---------------------------------------------------------------------------------- sizes
@dataclass(frozen=True)
class WorldSize:
    """A world size: grid, villages and households (all other parameters at their defaults)."""

    name: str
    width: int
    height: int
    villages_x: int
    villages_y: int
    households_per_village: int

    @property
    def plots(self) -> int:
        """Number of plots."""
        return self.width * self.height

    @property
    def villages(self) -> int:
        """Number of villages."""
        return self.villages_x * self.villages_y

    @property
    def households(self) -> int:
        """Number of households at the start."""
        return self.villages * self.households_per_village

    def overrides(self) -> dict[str, int]:
        """Flat keyword overrides for :class:`~landsim.model.LandModel`."""
        d = asdict(self)
        del d["name"]
        return d

    def describe(self) -> dict[str, Any]:
        """The size as plain data, with its derived counts."""
        return {
            **asdict(self),
            "plots": self.plots,
            "villages": self.villages,
            "households": self.households,
        }


def _plots_per_household() -> float:
    from landsim.params import World

    return float(World().plots_per_household)


def town_size() -> WorldSize:
    """The default town of :class:`~landsim.params.World` (60 x 50 plots, 6 villages)."""
    from landsim.params import World

    w = World()
    return WorldSize(
        "town", w.width, w.height, w.villages_x, w.villages_y, w.households_per_village
    )


def _split(n: int, aspect: float) -> tuple[int, int]:
    """Two whole factors ``(x, y)`` with ``x * y`` close to ``n`` and ``x / y`` near ``aspect``.

    Closeness of the product counts four times as much as closeness of the aspect.
    """
    best, best_score = (n, 1), math.inf
    for x in range(n, 0, -1):
        y = max(1, round(n / x))
        score = 4 * abs(math.log(x * y / n)) + abs(math.log(x / y / aspect))
        if score < best_score - 1e-9:  # ties: the wider split
            best, best_score = (x, y), score
    return best


def _households_per_village(width: int, height: int, villages: int) -> int:
    """Households per village such that households x plots per household ≈ plots."""
    return max(1, round(width * height / villages / _plots_per_household()))


def county_size(plots: int = 1_000_000) -> WorldSize:
    """A square county of about ``plots`` plots in villages of ~1,667 plots.

    The default million plots make 25 x 24 = 600 villages and ~200,000 households.
    """
    side = max(2, round(math.sqrt(plots)))
    villages = max(1, round(side * side / COUNTY_PLOTS_PER_VILLAGE))
    vx, vy = _split(villages, 1.0)
    return WorldSize("county", side, side, vx, vy, _households_per_village(side, side, vx * vy))


def ladder(town: WorldSize, county: WorldSize, between: int = 4) -> list[WorldSize]:
    """``town``, ``between`` sizes spaced evenly on a log scale, and ``county``.

    Plots, villages and the grid's aspect ratio are all interpolated geometrically, so each
    size in between is "between" the two in every dimension.

    Raises:
        ValueError: if the county is not larger than the town.
    """
    if county.plots <= town.plots:
        raise ValueError(
            f"the county ({county.plots:,} plots) must be larger than the town "
            f"({town.plots:,} plots)"
        )
    sizes = [town]
    for i in range(1, between + 1):
        f = i / (between + 1)

        def geo(a: float, b: float, f: float = f) -> float:
            return math.exp((1 - f) * math.log(a) + f * math.log(b))

        plots = geo(town.plots, county.plots)
        aspect = geo(town.width / town.height, county.width / county.height)
        villages = max(1, round(geo(town.villages, county.villages)))
        v_aspect = geo(town.villages_x / town.villages_y, county.villages_x / county.villages_y)
        width, height = _split(round(plots), aspect)
        vx, vy = _split(villages, v_aspect)
        vx, vy = min(vx, width), min(vy, height)
        sizes.append(
            WorldSize(
                f"size{i}", width, height, vx, vy, _households_per_village(width, height, vx * vy)
            )
        )
    sizes.append(county)
    return sizes


# ---------------------------------------------------------------------------------- one run
@dataclass
class RunTiming:
    """Timings of one run (seconds).

    Attributes:
        build_s: building the model (plots, households, agents).
        years_s: each year's ``step``.
        cpu_s: CPU time of this process over the build and all years (on a busy machine it
            varies less than wall time).
        methods_s: total time per function the calendar calls (see :data:`PHASES`).
        wall_s: build plus all years.
    """

    build_s: float
    years_s: list[float] = field(default_factory=list)
    cpu_s: float = 0.0
    methods_s: dict[str, float] = field(default_factory=dict)

    @property
    def wall_s(self) -> float:
        """Build plus all years (seconds)."""
        return self.build_s + sum(self.years_s)

    def phases_s(self) -> dict[str, float]:
        """Time per phase of the year (the :data:`PHASE_GROUPS`), summed over years."""
        out = dict.fromkeys(PHASE_GROUPS, 0.0)
        for method, seconds in self.methods_s.items():
            out[PHASES[method]] += seconds
        out["other"] = max(0.0, sum(self.years_s) - sum(self.methods_s.values()))
        return out


def _instrument(model: Any, methods_s: dict[str, float]) -> Callable[[], None]:
    """Wrap each entry of :data:`PHASES` in a timer: functions of the phase modules (for as
    long as the run lasts) and attributes of ``model`` (on the instance). Returns what undoes
    the module wrappers."""
    import importlib

    undo: list[tuple[Any, str, Any]] = []
    for name in PHASES:
        path = name.split(".")
        if path[0] == "model":
            owner = model
            for part in path[1:-1]:
                owner = getattr(owner, part)
        else:
            owner = importlib.import_module(f"landsim.{path[0]}")
        original = getattr(owner, path[-1], None)
        if original is None:
            raise AttributeError(
                f"{name} does not exist; update landsim.timing.PHASES to match LandModel.step"
            )
        methods_s.setdefault(name, 0.0)

        def timed(*args: Any, _f: Callable[..., Any] = original, _n: str = name, **kw: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return _f(*args, **kw)
            finally:
                methods_s[_n] += time.perf_counter() - t0

        setattr(owner, path[-1], timed)
        if path[0] != "model":
            undo.append((owner, path[-1], original))

    def restore() -> None:
        for owner, attr, original in undo:
            setattr(owner, attr, original)

    return restore


def time_run(
    size: WorldSize,
    years: int,
    seed: int,
    on_year: Callable[[int, RunTiming], bool | None] | None = None,
) -> RunTiming:
    """Build a model of ``size`` with ``seed`` and step it ``years`` times, timing each phase.

    Args:
        size: the world size (other parameters at their defaults).
        years: years to simulate.
        seed: the model's seed.
        on_year: called after each year with the year (1, 2, ...) and the timings so far;
            returning ``False`` stops the run early.
    """
    from landsim.model import LandModel

    cpu0 = time.process_time()
    t0 = time.perf_counter()
    model = LandModel(rng=seed, **size.overrides())
    timing = RunTiming(build_s=time.perf_counter() - t0)
    restore = _instrument(model, timing.methods_s)
    try:
        for year in range(1, years + 1):
            t0 = time.perf_counter()
            model.step()
            timing.years_s.append(time.perf_counter() - t0)
            timing.cpu_s = time.process_time() - cpu0
            if on_year is not None and on_year(year, timing) is False:
                break
    finally:
        restore()
    return timing


# ---------------------------------------------------------------------------------- child runs
def _rss_mb(pid: int) -> float | None:
    """Current resident memory of process ``pid`` (MB), from /proc (None where unavailable)."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        return None
    return None


def _maxrss_mb(who: int) -> float:
    """Peak resident memory (MB) from ``getrusage`` (Linux reports kB)."""
    return resource.getrusage(who).ru_maxrss / 1024.0


def _child_main(argv: list[str]) -> int:
    """Child process: run one size ``repeats`` times, one JSON line per event on stdout."""
    spec = json.loads(argv[0])
    size = WorldSize(**spec["size"])

    def emit(event: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(event) + "\n")
        sys.stdout.flush()

    import landsim.model  # noqa: F401  (imports are not part of a run's time)

    emit({"event": "ready", "rss_mb": _maxrss_mb(resource.RUSAGE_SELF)})
    for r in range(spec["repeats"]):

        def on_year(year: int, t: RunTiming, r: int = r) -> None:
            emit(
                {
                    "event": "year",
                    "repeat": r,
                    "year": year,
                    "build_s": t.build_s,
                    "years_s": t.years_s,
                    "cpu_s": t.cpu_s,
                    "methods_s": t.methods_s,
                    "rss_mb": _maxrss_mb(resource.RUSAGE_SELF),
                }
            )

        time_run(size, spec["years"], spec["seed"] + r, on_year)
    emit({"event": "done", "rss_mb": _maxrss_mb(resource.RUSAGE_SELF)})
    return 0


def run_in_child(
    size: WorldSize,
    years: int,
    seed: int,
    repeats: int = 1,
    time_limit_s: float = 900.0,
    memory_limit_mb: float = 16_000.0,
    progress: bool = True,
) -> dict[str, Any]:
    """Run ``size`` in a child process, ``repeats`` times, and report its timings and memory.

    The child reports after every year, so a run stopped at ``time_limit_s`` seconds or
    ``memory_limit_mb`` of resident memory still gives the years it finished; the full run's
    time is then extrapolated from the mean time per year (``partial`` is True).

    Returns:
        A dict with ``runs`` (one per finished or partial repeat: ``build_s``, ``years_s``,
        ``methods_s``), ``peak_rss_mb``, ``baseline_rss_mb`` (after imports, before the
        model), ``status`` (``done``, ``time_limit``, ``memory_limit`` or ``error: ...``).
    """
    from landsim.progress import progress as progress_bar

    spec = {"size": asdict(size), "years": years, "seed": seed, "repeats": repeats}
    children_before = _maxrss_mb(resource.RUSAGE_CHILDREN)
    errors = tempfile.TemporaryFile(mode="w+")  # a file, not a pipe: it can never fill up
    proc = subprocess.Popen(
        [sys.executable, "-m", "landsim.timing", json.dumps(spec)],
        stdout=subprocess.PIPE,
        stderr=errors,
        text=True,
    )
    bar = progress_bar(
        years * repeats, f"{size.name} ({size.plots:,} plots)", "yr", show=progress, leave=False
    )
    try:
        runs, baseline, peak, status = _follow(proc, bar, time_limit_s, memory_limit_mb)
    finally:
        bar.close()
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    children_after = _maxrss_mb(resource.RUSAGE_CHILDREN)
    if children_after > children_before:  # this child set a new maximum: its own peak
        peak = max(peak, children_after)
    errors.seek(0)
    err = errors.read().strip().splitlines()
    errors.close()
    if status == "error":
        status = f"error: {err[-1] if err else f'exit status {proc.returncode}'}"
    ordered = [runs[r] for r in sorted(runs)]
    return {
        "runs": ordered,
        "peak_rss_mb": peak,
        "baseline_rss_mb": baseline,
        "status": status,
        "partial": status != "done",
    }


def _follow(
    proc: subprocess.Popen, bar: Any, time_limit_s: float, memory_limit_mb: float
) -> tuple[dict[int, dict[str, Any]], float, float, str]:
    """Read a child's events until it ends or passes a limit: its runs so far (by repeat), its
    resident memory after imports and at its peak (MB), and how it ended."""
    lines: queue.Queue[str | None] = queue.Queue()

    def reader() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=reader, daemon=True).start()
    runs: dict[int, dict[str, Any]] = {}
    baseline = peak = 0.0
    status = "running"
    start = time.perf_counter()
    while status == "running":
        try:
            line = lines.get(timeout=0.5)
        except queue.Empty:
            line = ""
        if line is None:
            proc.wait()
            status = "done" if proc.returncode == 0 else "error"
            break
        if line:
            event = json.loads(line)
            peak = max(peak, event.get("rss_mb", 0.0))
            if event["event"] == "ready":
                baseline = event["rss_mb"]
            elif event["event"] == "year":
                runs[event["repeat"]] = {
                    k: event[k] for k in ("build_s", "years_s", "cpu_s", "methods_s")
                }
                bar.update(1)
        rss = _rss_mb(proc.pid)
        if rss is not None:
            peak = max(peak, rss)
        if peak > memory_limit_mb:
            status = "memory_limit"
        elif time.perf_counter() - start > time_limit_s:
            status = "time_limit"
    return runs, baseline, peak, status


if __name__ == "__main__":
    sys.exit(_child_main(sys.argv[1:]))
