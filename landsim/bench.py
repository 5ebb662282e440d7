"""Benchmark: run time, its growth with the size of the world, and time per phase of the year.

It measures (see ``landsim bench --help`` and ``docs/performance.md``):

* the default town, ``years`` years, in this process: wall time per run (median of
  ``repeats`` runs with consecutive seeds) and time per household-year;
* a county-sized world (about 1,000,000 plots and 200,000 households by default), in a child
  process so that its peak resident memory is the child's own;
* four sizes between the two, spaced evenly on a log scale (each in its own child process), and
  the fitted exponent ``k`` of ``time ∝ plots^k`` (least squares on log-log);
* time per phase of the farming year, by wrapping the phase modules' functions the model's
  calendar calls (:data:`PHASES`) with ``time.perf_counter`` timers from the outside (the
  model is not changed).

Parts: :class:`WorldSize` and the size ladder (:func:`town_size`, :func:`county_size`,
:func:`ladder`), :func:`time_run` (one instrumented run), :func:`run_in_child` (a run in a
child process under a time and memory limit), :func:`fit_exponent`, :func:`run_bench` (the
whole benchmark as a JSON-ready dict) and :func:`format_table`.

It is a benchmark, not a test: nothing here asserts a speed.
"""

from __future__ import annotations

import json
import math
import os
import platform
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

try:
    import resource  # POSIX: the peak memory of this process and of its children
except ImportError:  # Windows: `landsim bench` says it needs Linux or macOS
    resource = None

__all__ = [
    "PHASES",
    "PHASE_GROUPS",
    "TARGETS",
    "WorldSize",
    "RunTiming",
    "town_size",
    "county_size",
    "ladder",
    "time_run",
    "run_in_child",
    "fit_exponent",
    "run_bench",
    "format_table",
]

#: what ``LandModel.step`` calls, in calendar order, and the phase of the year (the issue's
#: names) each belongs to: a phase module's function (``module.function``, timed wherever the
#: model calls it) or an attribute of the model (``model.x``); lease expiry is part of the land
#: market, the year's outcomes and the closing of the books are the metrics
PHASES: dict[str, str] = {
    "model._apply_timeline": "policy",
    "government.start_year": "policy",
    "services.start_year": "policy",
    "cooperatives.found_coops": "policy",
    "demography.run_year": "demography",
    "market.expire_leases": "market",
    "land_use.decide": "decisions",
    "market.place_released_land": "market",
    "farming.farm": "farming",
    "cooperatives.distribute": "distribution",
    "government.raise_standards": "policy",
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

#: performance targets (one core of a 2-core machine): issue 6, county tightened to 40 s by issue 9
TARGETS = {
    "town_run_s": 0.25,  # default town, 30 years, seconds per run
    "county_run_s": 40.0,  # 1,000,000 plots, 30 years, seconds
    "county_peak_rss_gb": 4.0,  # peak resident memory of the county run (GB)
    "k": 1.1,  # exponent of time ∝ plots^k
}

#: plots per village in the county world (1,000,000 plots in 25 x 24 = 600 villages)
COUNTY_PLOTS_PER_VILLAGE = 1_000_000 / 600
#: runs per size in the ladder when a size has at most this many plots (else one run)
SMALL_SIZE_PLOTS = 100_000


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
                f"{name} does not exist; update landsim.bench.PHASES to match LandModel.step"
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
        [sys.executable, "-m", "landsim.bench", json.dumps(spec)],
        stdout=subprocess.PIPE,
        stderr=errors,
        text=True,
    )
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
    bar = progress_bar(
        years * repeats, f"{size.name} ({size.plots:,} plots)", "yr", show=progress, leave=False
    )
    start = time.perf_counter()
    try:
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


# ---------------------------------------------------------------------------------- summary
def fit_exponent(plots: list[float], seconds: list[float]) -> float:
    """Least-squares slope ``k`` of ``log(seconds)`` on ``log(plots)`` (``time ∝ plots^k``)."""
    if len(plots) < 2:
        return float("nan")
    k, _ = np.polyfit(np.log(plots), np.log(seconds), 1)
    return float(k)


def _summarise(
    size: WorldSize, runs: list[RunTiming | dict[str, Any]], years: int
) -> dict[str, Any]:
    """Median wall time, time per household-year and mean time per phase over ``runs``."""
    timings = [r if isinstance(r, RunTiming) else RunTiming(**r) for r in runs]
    complete = [t for t in timings if len(t.years_s) == years]
    out: dict[str, Any] = {"size": size.describe(), "years": years}
    if complete:
        walls = [t.wall_s for t in complete]
        out["runs_s"] = walls
        out["wall_s"] = statistics.median(walls)
        out["cpu_s"] = statistics.median(t.cpu_s for t in complete)
        out["extrapolated"] = False
    elif timings and timings[0].years_s:  # stopped early: extrapolate from the mean year
        t = timings[0]
        out["runs_s"] = []
        out["years_done"] = len(t.years_s)
        out["wall_s"] = t.build_s + statistics.fmean(t.years_s) * years
        out["cpu_s"] = t.cpu_s * out["wall_s"] / t.wall_s
        out["extrapolated"] = True
    else:
        out["wall_s"] = None
        out["extrapolated"] = False
        return out
    used = complete or timings[:1]
    out["build_s"] = statistics.median(t.build_s for t in used)
    n_years = len(used[0].years_s)
    out["step_s_per_year"] = statistics.median(sum(t.years_s) / len(t.years_s) for t in used)
    out["us_per_household_year"] = out["wall_s"] / (size.households * years) * 1e6
    out["phases_s_per_year"] = {
        g: statistics.fmean(t.phases_s()[g] / len(t.years_s) for t in used) for g in PHASE_GROUPS
    }
    out["methods_s_per_year"] = {
        m: statistics.fmean(t.methods_s.get(m, 0.0) / len(t.years_s) for t in used) for m in PHASES
    }
    out["years_timed"] = n_years
    return out


def _environment() -> dict[str, Any]:
    """The provenance every command records, plus what a timing needs (CPUs, load)."""
    from landsim.provenance import environment

    env = environment()
    return {
        **env,
        # short names the table prints
        "landsim": env["landsim_version"],
        "numpy": env["packages"].get("numpy"),
        "mesa": env["packages"].get("mesa"),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "load_before": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
    }


def run_bench(
    years: int = 30,
    repeats: int = 5,
    county_plots: int = 1_000_000,
    seed: int = 1,
    time_limit_s: float = 900.0,
    memory_limit_mb: float = 16_000.0,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Run the whole benchmark and return it as a JSON-ready dict (see module docstring).

    Args:
        years: years per run.
        repeats: runs of the town (the median is reported); sizes up to
            :data:`SMALL_SIZE_PLOTS` plots run ``min(repeats, 3)`` times, larger ones once.
        county_plots: plots of the largest world.
        seed: seed of the first run (repeats use the following seeds).
        time_limit_s: stop a child run after this long and extrapolate.
        memory_limit_mb: stop a child run whose resident memory exceeds this.
        progress: show progress bars on stderr.
        log: called with one line per finished size (e.g. ``print``).
    """
    from landsim.progress import progress as progress_bar

    town = town_size()
    sizes = ladder(town, county_size(county_plots))
    result: dict[str, Any] = {
        "environment": _environment(),
        "settings": {
            "years": years,
            "repeats": repeats,
            "county_plots": county_plots,
            "seed": seed,
            "time_limit_s": time_limit_s,
            "memory_limit_mb": memory_limit_mb,
        },
        "targets": dict(TARGETS),
        "sizes": [],
    }
    say = log or (lambda _line: None)

    # (a) the town, in this process
    timings = [
        time_run(town, years, seed + r)
        for r in progress_bar(
            repeats,
            f"town ({town.plots:,} plots)",
            "run",
            show=progress,
            iterable=range(repeats),
            leave=False,
        )
    ]
    row = _summarise(town, timings, years)
    row.update(name="town", process="this", status="done", peak_rss_mb=None)
    result["sizes"].append(row)
    say(f"town: {row['wall_s']:.3f} s per run (median of {repeats})")

    # (b, c) the sizes between and the county, each in its own child process
    for size in sizes[1:]:
        n = min(repeats, 3) if size.plots <= SMALL_SIZE_PLOTS else 1
        child = run_in_child(size, years, seed, n, time_limit_s, memory_limit_mb, progress)
        row = _summarise(size, child["runs"], years)
        row.update(
            name=size.name,
            process="child",
            status=child["status"],
            peak_rss_mb=child["peak_rss_mb"],
            baseline_rss_mb=child["baseline_rss_mb"],
        )
        result["sizes"].append(row)
        wall = "-" if row["wall_s"] is None else f"{row['wall_s']:.2f} s"
        say(f"{size.name}: {size.plots:,} plots, {wall}, {child['status']}")

    timed = [r for r in result["sizes"] if r["wall_s"]]
    result["scaling"] = {
        "k": fit_exponent([r["size"]["plots"] for r in timed], [r["wall_s"] for r in timed]),
        "k_cpu": fit_exponent([r["size"]["plots"] for r in timed], [r["cpu_s"] for r in timed]),
        "fit_over": [r["name"] for r in timed],
    }
    result["town"] = result["sizes"][0]
    result["county"] = result["sizes"][-1]
    result["targets_met"] = _targets_met(result, county_plots)
    result["load_after"] = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return result


def _targets_met(result: dict[str, Any], county_plots: int) -> dict[str, bool | None]:
    """Which targets the measures meet (None: not measured at the target's size)."""
    town, county = result["town"], result["county"]
    full_county = county_plots >= 1_000_000 and result["settings"]["years"] >= 30
    full_town = result["settings"]["years"] >= 30
    k = result["scaling"]["k"]
    return {
        "town_run_s": (town["wall_s"] <= TARGETS["town_run_s"]) if full_town else None,
        "county_run_s": (
            county["wall_s"] is not None and county["wall_s"] <= TARGETS["county_run_s"]
        )
        if full_county
        else None,
        "county_peak_rss_gb": (county["peak_rss_mb"] / 1024 <= TARGETS["county_peak_rss_gb"])
        if full_county and county["peak_rss_mb"]
        else None,
        "k": (k <= TARGETS["k"]) if not math.isnan(k) else None,
    }


# ---------------------------------------------------------------------------------- table
def _load_note(result: dict[str, Any]) -> str:
    """A warning line when other work competed for the CPUs during the benchmark."""
    env = result["environment"]
    loads = [x for x in (env.get("load_before"), result.get("load_after")) if x is not None]
    if loads and env.get("cpus") and max(loads) > env["cpus"]:
        return (
            f"(busy machine: load average up to {max(loads):.1f} on {env['cpus']} CPUs; "
            "wall times are inflated, compare cpu s)\n"
        )
    return ""


def _fmt_s(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:.3f}" if x < 10 else f"{x:.1f}"


def format_table(result: dict[str, Any]) -> str:
    """The benchmark as a plain-text table (what ``landsim bench`` prints)."""
    env, st = result["environment"], result["settings"]
    lines = [
        f"landsim {env['landsim']} bench: {st['years']} years per run, one process per run "
        f"(python {env['python']}, numpy {env['numpy']}, mesa {env['mesa']}, {env['cpus']} CPUs)",
        _load_note(result),
        f"{'size':<8}{'plots':>11}{'households':>12}{'villages':>10}{'runs':>6}"
        f"{'wall s':>10}{'cpu s':>9}{'build s':>9}{'µs/hh-yr':>10}{'peak RSS MB':>13}  status",
    ]
    for r in result["sizes"]:
        s = r["size"]
        runs = len(r.get("runs_s") or []) or (f"{r.get('years_done', 0)}yr")
        wall = _fmt_s(r["wall_s"]) + ("*" if r.get("extrapolated") else "")
        us = f"{r['us_per_household_year']:.1f}" if r.get("us_per_household_year") else "-"
        rss = f"{r['peak_rss_mb']:,.0f}" if r.get("peak_rss_mb") else "-"
        lines.append(
            f"{r['name']:<8}{s['plots']:>11,}{s['households']:>12,}{s['villages']:>10,}"
            f"{runs!s:>6}{wall:>10}{_fmt_s(r.get('cpu_s')):>9}{_fmt_s(r.get('build_s')):>9}"
            f"{us:>10}{rss:>13}  {r['status']}"
        )
    k = result["scaling"]["k"]
    n_fit = len(result["scaling"]["fit_over"])
    lines.append(
        f"time ∝ plots^k: k = {k:.2f} (cpu time: {result['scaling']['k_cpu']:.2f}; "
        f"least squares over {n_fit} sizes; "
        "* = extrapolated from the years finished)"
    )
    lines += ["", "time per phase of the year: ms per year (share of step time)"]
    rows = [r for r in result["sizes"] if r.get("phases_s_per_year")]
    lines.append(f"{'phase':<14}" + "".join(f"{r['name']:>17}" for r in rows))
    for g in PHASE_GROUPS:
        cells = []
        for r in rows:
            sec = r["phases_s_per_year"][g]
            share = sec / r["step_s_per_year"] if r["step_s_per_year"] else 0.0
            cells.append(f"{sec * 1e3:>9.1f} ({share:>4.0%})")
        lines.append(f"{g:<14}" + "".join(f"{c:>17}" for c in cells))
    totals = "".join(f"{r['step_s_per_year'] * 1e3:>10.1f}       " for r in rows)
    lines.append(f"{'step total':<14}" + totals)
    lines += ["", "targets (one core):"]
    names = {
        "town_run_s": ("town, 30 years", "s", result["town"]["wall_s"]),
        "county_run_s": ("county, 30 years", "s", result["county"]["wall_s"]),
        "county_peak_rss_gb": (
            "county peak RSS",
            "GB",
            (result["county"].get("peak_rss_mb") or 0) / 1024 or None,
        ),
        "k": ("growth exponent k", "", k),
    }
    for key, met in result["targets_met"].items():
        label, unit, value = names[key]
        verdict = {True: "met", False: "NOT met", None: "not measured at target size"}[met]
        target = f"≤ {TARGETS[key]:g} {unit}".strip()
        shown = "-" if value is None else f"{value:.2f} {unit}".strip()
        lines.append(f"  {label:<20} {target:<9} measured {shown:>10}   {verdict}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(_child_main(sys.argv[1:]))
