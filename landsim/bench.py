"""Benchmark: run time, its growth with the size of the world, and time per phase of the year.

It measures (see ``landsim bench --help`` and ``docs/performance.md``):

* the default town, ``years`` years, in this process: wall time per run (median of
  ``repeats`` runs with consecutive seeds) and time per household-year;
* a county-sized world (about 1,000,000 plots and 200,000 households by default), in a child
  process so that its peak resident memory is the child's own;
* four sizes between the two, spaced evenly on a log scale (each in its own child process), and
  the fitted exponent ``k`` of ``time ∝ plots^k`` (least squares on log-log);
* time per phase of the farming year: the functions the model's calendar calls, timed from
  the outside (:data:`landsim.timing.PHASES`).

Parts: :data:`TARGETS`, :func:`fit_exponent`, :func:`run_bench` (the whole benchmark as a
JSON-ready dict) and :func:`format_table`; the runs themselves are timed by
:mod:`landsim.timing`.

It is a benchmark, not a test: nothing here asserts a speed.
"""

from __future__ import annotations

import math
import os
import platform
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from landsim.timing import (
    PHASE_GROUPS,
    PHASES,
    RunTiming,
    WorldSize,
    county_size,
    ladder,
    run_in_child,
    time_run,
    town_size,
)

__all__ = ["TARGETS", "fit_exponent", "run_bench", "format_table"]

#: performance targets of issue 25 (the developers' 2-core machine, a quiet machine and a warm
#: compile cache; runs use both cores where their villages can run in parallel)
TARGETS = {
    "town_run_s": 0.05,  # default town, 30 years, seconds per run (was 0.25, issue 6)
    "county_run_s": 6.0,  # 1,000,000 plots, 30 years including the build, wall s (was 40)
    "county_peak_rss_gb": 2.0,  # peak resident memory of the county run (GB; was 4)
    "k": 1.0,  # exponent of time ∝ plots^k (was 1.1)
}

#: runs per size in the ladder when a size has at most this many plots (else one run)
SMALL_SIZE_PLOTS = 100_000


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
    from landsim import compiled
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
        "threads": compiled.threads(),  # a run's kernels (LANDSIM_THREADS sets it)
        "compiled": compiled.enabled(),  # False under LANDSIM_NO_JIT
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

    # the process's first run imports the model and loads Numba's cached kernels: timed
    # apart, so that the town's median is a run's own time
    t0 = time.perf_counter()
    time_run(town, 1, seed)
    result["first_run_s"] = time.perf_counter() - t0
    result["sizes"].append(_town_row(town, years, repeats, seed, progress))
    say(f"town: {result['sizes'][0]['wall_s']:.3f} s per run (median of {repeats})")
    for size in sizes[1:]:  # the sizes between and the county, each in its own child process
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


def _town_row(town: WorldSize, years: int, repeats: int, seed: int, progress: bool) -> dict:
    """The town's row: ``repeats`` runs in this process, with a progress bar."""
    from landsim.progress import progress as progress_bar

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
    return row


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


def _first_run_note(result: dict[str, Any]) -> str:
    """What the process's first run cost (Numba and the cached kernels load once per
    process: every child run and a sweep's every worker pays it once)."""
    first = result.get("first_run_s")
    if first is None:
        return ""
    return (
        f"first run in a process (the town, 1 year; imports the model, loads the compiled "
        f"kernels): {first:.2f} s, "
        "not counted in the town's median; each size's child run includes it\n"
    )


def _fmt_s(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:.3f}" if x < 10 else f"{x:.1f}"


def format_table(result: dict[str, Any]) -> str:
    """The benchmark as a plain-text table (what ``landsim bench`` prints)."""
    env, st = result["environment"], result["settings"]
    lines = [
        f"landsim {env['landsim']} bench: {st['years']} years per run, one process per run "
        f"(python {env['python']}, numpy {env['numpy']}, mesa {env['mesa']}, {env['cpus']} CPUs, "
        f"{env.get('threads', 1)} threads, "
        f"{'compiled kernels' if env.get('compiled', True) else 'NumPy rules (LANDSIM_NO_JIT)'})",
        _load_note(result),
        _first_run_note(result),
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
    lines += ["", "targets (issue 25; 2 cores, warm compile cache):"]
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
