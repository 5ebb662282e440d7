"""Comparing scenarios over replicates, with common random numbers and honest uncertainty.

The parts, in the order ``landsim compare`` uses them:

* :func:`plan` — one :class:`~landsim.runner.RunSpec` per scenario x replicate. Replicate ``r``
  gets the same seed in every scenario (common random numbers), so differences between
  scenarios come from the levers, not from luck of the draw;
* :func:`execute` — runs the specs serially or on local processes with a progress bar; the
  result does not depend on the number of processes or the order in which runs finish;
* :func:`summarize` — final-year mean and 95% t-interval over replicates, per scenario and
  outcome;
* :func:`format_table` — that summary as a wide text table;
* :func:`plot_outcomes` — the main outcomes over time, a mean line and a 95% band per scenario.
"""

from __future__ import annotations

import math
import multiprocessing
import multiprocessing.context
import os
import queue
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats
from tqdm import tqdm

from landsim.metrics import MAIN_OUTCOMES, METRICS
from landsim.runner import RunSpec, replicate_seeds, run
from landsim.scenario import Scenario

__all__ = [
    "plan",
    "execute",
    "t_interval",
    "summarize",
    "yearly_bands",
    "format_table",
    "plot_outcomes",
    "CONFIDENCE",
]

#: confidence level of every interval
CONFIDENCE = 0.95


def plan(
    scenarios: Sequence[Scenario],
    root_seed: int,
    replicates: int | None = None,
    years: int | None = None,
) -> list[RunSpec]:
    """One run per scenario x replicate, with common random numbers.

    Args:
        scenarios: the scenarios to compare.
        root_seed: root of ``replicate_seeds``; replicate ``r`` uses seed ``r`` in every scenario.
        replicates: replicates per scenario (default: each scenario's ``run.replicates``).
        years: years per run (default: each scenario's ``run.years``).

    Returns:
        The specs, scenario by scenario, tagged with ``scenario`` and ``replicate``.
    """
    counts = [replicates or s.params.run.replicates for s in scenarios]
    seeds = replicate_seeds(root_seed, max(counts, default=0))
    specs = []
    for scenario, n in zip(scenarios, counts, strict=True):
        params = scenario.params.model_dump(mode="json")
        for r in range(n):
            specs.append(
                RunSpec(
                    params=params,
                    seed=seeds[r],
                    years=years,
                    tags={"scenario": scenario.name, "replicate": r},
                )
            )
    return specs


def _ignore_sigint() -> None:
    """Workers leave Ctrl-C to the main process, which stops the pool cleanly."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextmanager
def _sigint_deferred() -> Iterator[None]:
    """Hold Ctrl-C while the pool starts its processes and threads, then deliver it.

    A KeyboardInterrupt raised half-way through starting a pool can leave workers without a
    manager (they never exit) or be swallowed by Python's at-fork hooks. The signal is also
    blocked meanwhile, and the processes and threads started inherit the block: only the
    main thread reacts to Ctrl-C.
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # signals are only handled in the main thread anyway
        return
    held: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: held.append(signum))
    mask = (
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        if hasattr(signal, "pthread_sigmask")
        else None
    )
    try:
        yield
    finally:
        if mask is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        signal.signal(signal.SIGINT, previous)
    if held and callable(previous):
        previous(signal.SIGINT, None)  # Python's default handler raises KeyboardInterrupt


def _context() -> multiprocessing.context.BaseContext:
    """How to start workers: fork where it is safe, else a fresh process per worker.

    Forking starts workers at once with the model already imported. It is safe while this
    process has no other threads (the command line starts its progress bar after the pool),
    and Ctrl-C is held meanwhile (see :func:`_sigint_deferred`). Inside a threaded host (a
    notebook, a test runner) workers come from a single-threaded fork server instead.
    """
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def _progress(total: int, show: bool) -> tqdm:
    return tqdm(
        total=total, unit="run", desc="runs", disable=None if show else True, dynamic_ncols=True
    )


def execute(
    specs: Sequence[RunSpec],
    jobs: int | None = None,
    progress: bool = True,
) -> pd.DataFrame:
    """Run every spec and return all yearly outcomes, in the order of ``specs``.

    Args:
        specs: the runs.
        jobs: processes to use (default: ``os.cpu_count()``); 1 runs in this process.
        progress: show a progress bar on a terminal.

    Returns:
        One row per run and year: the spec's tags, ``year``, every outcome and ``seed``.
    """
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(specs) or 1))
    results: dict[int, pd.DataFrame] = {}
    if jobs == 1:
        with _progress(len(specs), progress) as bar:
            for i, spec in enumerate(specs):
                results[i] = run(spec)
                bar.update()
    else:
        # not a ``with`` block: its exit would wait for every queued run after Ctrl-C
        pool: ProcessPoolExecutor | None = None
        pending: dict[Future[pd.DataFrame], int] = {}
        # finished runs arrive on a queue: concurrent.futures.wait() over thousands of futures
        # can leave their locks held (and the pool deadlocked) if Ctrl-C lands inside it
        finished: queue.SimpleQueue[Future[pd.DataFrame]] = queue.SimpleQueue()
        try:
            with _sigint_deferred():  # the first submit starts the worker processes
                pool = ProcessPoolExecutor(jobs, _context(), initializer=_ignore_sigint)
                for i, spec in enumerate(specs):
                    future = pool.submit(run, spec)
                    pending[future] = i
                    future.add_done_callback(finished.put)
            with _progress(len(specs), progress) as bar:
                while pending:
                    future = finished.get()
                    results[pending.pop(future)] = future.result()
                    bar.update()
        except BaseException as err:
            # queued runs never start (cancelled here: the pool's own cancel_futures is lost if
            # the pool is garbage-collected first); runs in progress finish, so that every
            # worker exits cleanly with this process
            for future in pending:
                future.cancel()
            if isinstance(err, KeyboardInterrupt):
                print(
                    "landsim: stopping after the runs in progress (Ctrl-C again to stop at once)",
                    file=sys.stderr,
                    flush=True,
                )
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown()
    if not results:
        return pd.DataFrame()
    return pd.concat([results[i] for i in range(len(specs))], ignore_index=True)


def t_interval(
    values: Sequence[float] | np.ndarray,
    level: float = CONFIDENCE,
) -> tuple[float, float, float]:
    """Mean of ``values`` and its Student-t confidence interval (NaN bounds for n < 2)."""
    x = np.asarray(values, dtype=float)
    n = x.size
    if n == 0:
        return math.nan, math.nan, math.nan
    mean = float(x.mean())
    if n < 2:
        return mean, math.nan, math.nan
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * x.std(ddof=1) / math.sqrt(n))
    return mean, mean - half, mean + half


def _metrics(timeseries: pd.DataFrame) -> list[str]:
    return [m for m in METRICS if m in timeseries.columns]


def summarize(timeseries: pd.DataFrame) -> pd.DataFrame:
    """Each scenario's outcomes in its final year: mean and 95% t-interval over replicates.

    Returns:
        Columns ``scenario, metric, mean, ci_low, ci_high, n``; scenarios in order of first
        appearance, metrics in the order of :data:`~landsim.metrics.METRICS`.
    """
    rows = []
    for scenario in timeseries["scenario"].unique():
        own = timeseries[timeseries["scenario"] == scenario]
        final = own[own["year"] == own["year"].max()]
        for metric in _metrics(timeseries):
            mean, low, high = t_interval(final[metric].to_numpy())
            rows.append(
                {
                    "scenario": scenario,
                    "metric": metric,
                    "mean": mean,
                    "ci_low": low,
                    "ci_high": high,
                    "n": int(final[metric].count()),
                }
            )
    return pd.DataFrame(rows, columns=["scenario", "metric", "mean", "ci_low", "ci_high", "n"])


def yearly_bands(timeseries: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Per scenario and year: mean of ``metric`` and its 95% t-interval over replicates."""
    rows = []
    for (scenario, year), group in timeseries.groupby(["scenario", "year"], sort=False):
        mean, low, high = t_interval(group[metric].to_numpy())
        rows.append(
            {"scenario": scenario, "year": year, "mean": mean, "ci_low": low, "ci_high": high}
        )
    return pd.DataFrame(rows)


def _decimals(values: np.ndarray) -> int:
    """Digits after the point that suit a column: 0 for thousands, 3 for shares."""
    finite = np.abs(values[np.isfinite(values)])
    top = finite.max() if finite.size else 0.0
    return 0 if top >= 1000 else 1 if top >= 10 else 3


def format_table(summary: pd.DataFrame, metrics: Sequence[str] = MAIN_OUTCOMES) -> str:
    """The summary as a wide table: scenarios as rows, outcomes as columns.

    Each cell reads ``mean [ci_low, ci_high]``.
    """
    metrics = [m for m in metrics if m in set(summary["metric"])]
    scenarios = list(dict.fromkeys(summary["scenario"]))
    cells: dict[str, list[str]] = {}
    for metric in metrics:
        part = summary[summary["metric"] == metric].set_index("scenario")
        d = _decimals(part[["mean", "ci_low", "ci_high"]].to_numpy(dtype=float).ravel())

        def num(x: float, d: int = d) -> str:
            return "n/a" if not math.isfinite(x) else f"{x:,.{d}f}"

        cells[metric] = [
            f"{num(part.at[s, 'mean'])} [{num(part.at[s, 'ci_low'])}, {num(part.at[s, 'ci_high'])}]"
            if s in part.index
            else ""
            for s in scenarios
        ]
    header = ["scenario", *metrics]
    columns = [scenarios] + [cells[m] for m in metrics]
    widths = [max(len(h), *(len(c) for c in col)) for h, col in zip(header, columns, strict=True)]
    lines = [
        "  ".join(
            h.ljust(w) if i == 0 else h.rjust(w)
            for i, (h, w) in enumerate(zip(header, widths, strict=True))
        )
    ]
    lines.append("  ".join("-" * w for w in widths))
    for r in range(len(scenarios)):
        lines.append(
            "  ".join(
                col[r].ljust(w) if i == 0 else col[r].rjust(w)
                for i, (col, w) in enumerate(zip(columns, widths, strict=True))
            )
        )
    return "\n".join(lines)


def plot_outcomes(
    timeseries: pd.DataFrame, path: str | os.PathLike[str], metrics: Sequence[str] = MAIN_OUTCOMES
) -> None:
    """Draw each metric over time: per scenario the mean over replicates and a 95% band.

    Uses matplotlib's object API with the Agg canvas (no display, no global state).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    metrics = [m for m in metrics if m in timeseries.columns]
    ncols = 3 if len(metrics) > 4 else 2 if len(metrics) > 1 else 1
    nrows = math.ceil(len(metrics) / ncols)
    fig = Figure(figsize=(4.8 * ncols, 3.4 * nrows + 0.8), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    colours = [f"C{i % 10}" for i in range(timeseries["scenario"].nunique())]
    for ax, metric in zip(axes, metrics, strict=False):
        bands = yearly_bands(timeseries, metric)
        for colour, (scenario, b) in zip(
            colours, bands.groupby("scenario", sort=False), strict=True
        ):
            ax.plot(b["year"], b["mean"], color=colour, label=scenario, lw=1.6)
            ax.fill_between(b["year"], b["ci_low"], b["ci_high"], color=colour, alpha=0.18, lw=0)
        ax.set_title(metric, fontsize=10)
        ax.set_xlabel("year")
        ax.grid(alpha=0.3)
    for ax in axes[len(metrics) :]:
        ax.set_visible(False)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(
        handles,
        labels,
        loc="outside lower center",
        ncols=min(4, len(labels) or 1),
        fontsize=9,
        frameon=False,
    )
    n = timeseries.groupby("scenario")["replicate"].nunique().min()
    fig.suptitle(
        f"Main outcomes: mean and {CONFIDENCE:.0%} interval over replicates (n = {n} per scenario)",
        fontsize=11,
    )
    fig.savefig(Path(path), format="png", dpi=110)
