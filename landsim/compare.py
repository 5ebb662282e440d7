"""Comparing scenarios over replicates, with common random numbers and honest uncertainty.

The parts, in the order ``landsim compare`` uses them:

* :func:`plan` — one :class:`~landsim.runner.RunSpec` per scenario x replicate. Replicate ``r``
  gets the same seed in every scenario (common random numbers), so differences between
  scenarios come from the levers, not from luck of the draw;
* :func:`execute` — runs the specs on any executor of :mod:`landsim.sweep.executors` (this
  process, local processes, a Dask cluster) with a progress bar; the result does not depend on
  the executor or the order in which runs finish;
* :func:`summarize` — final-year mean and Student-t interval over replicates, per scenario and
  outcome, truncated to the outcome's range (:data:`INTERVAL_METHOD`);
* :func:`differences` — final-year paired differences against a reference scenario (replicate
  ``r`` against replicate ``r``: they share a seed), with t-intervals;
* :func:`format_table` / :func:`format_differences` — those as wide text tables;
* :func:`landsim.figures.plot_outcomes` — the main outcomes over time.

The intervals themselves are :mod:`landsim.intervals`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from landsim.intervals import CONFIDENCE, bounded_interval
from landsim.labels import SHARE, label
from landsim.metrics import MAIN_OUTCOMES, METRICS
from landsim.progress import progress
from landsim.recording import Recording
from landsim.runner import RunSpec, replicate_seeds, simulate
from landsim.scenario import Scenario

__all__ = [
    "plan",
    "execute",
    "run_numbered",
    "summarize",
    "differences",
    "format_table",
    "format_differences",
    "outcome_legend",
    "CONFIDENCE",
    "INTERVAL_METHOD",
    "DIFFERENCE_METHOD",
]

#: how the intervals of :func:`summarize` are made, as printed and recorded
INTERVAL_METHOD = (
    "Student-t interval over replicates, truncated to the outcome's range (shares to "
    "[0, 1], counts and amounts to >= 0); truncation never lowers the coverage"
)
#: how the intervals of :func:`differences` are made
DIFFERENCE_METHOD = (
    "Student-t interval of the paired differences (replicate r minus the reference's "
    "replicate r, which shares its seed)"
)


def plan(
    scenarios: Sequence[Scenario],
    root_seed: int,
    replicates: int | None = None,
    years: int | None = None,
    detail: int = 0,
) -> list[RunSpec]:
    """One run per scenario x replicate, with common random numbers.

    Args:
        scenarios: the scenarios to compare.
        root_seed: root of ``replicate_seeds``; replicate ``r`` uses seed ``r`` in every scenario.
        replicates: replicates per scenario (default: each scenario's ``run.replicates``).
        years: years per run (default: each scenario's ``run.years``).
        detail: the first ``detail`` replicates of each scenario record their plots, households
            and villages (maps and micro-data).

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
                    record=r < detail,
                )
            )
    return specs


def run_numbered(item: tuple[int, RunSpec]) -> tuple[int, pd.DataFrame, Recording | None]:
    """Run ``item = (i, spec)`` and return ``(i, outcomes, recording)``: the picklable unit of
    a comparison (the recording is ``None`` unless the spec asks for one)."""
    i, spec = item
    return (i, *simulate(spec))


def _progress(total: int, show: bool) -> tqdm:
    return progress(total, "runs", "run", show=show, in_logs=False)


def execute(
    specs: Sequence[RunSpec],
    jobs: int | None = None,
    progress: bool = True,
    executor: Any = None,
    recordings: dict[int, Recording] | None = None,
    done: dict[int, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Run every spec and return all yearly outcomes, in the order of ``specs``.

    Args:
        specs: the runs.
        jobs: local processes when no ``executor`` is given (default: every available core);
            1 runs in this process.
        progress: show a progress bar on a terminal.
        executor: where to run (:mod:`landsim.sweep.executors`); it is not closed here.
        recordings: filled with the recording of each spec that asks for one (by position).
        done: filled with each finished run's outcomes (by position) as it arrives, so that a
            caller interrupted half-way keeps what finished.

    Returns:
        One row per run and year: the spec's tags, ``year``, every outcome and ``seed``.
    """
    from landsim.sweep.executors import LocalExecutor, SerialExecutor, available_cores

    own = executor is None
    if own:
        jobs = max(1, min(jobs or available_cores(), len(specs) or 1))
        executor = SerialExecutor() if jobs == 1 else LocalExecutor(jobs)
    results: dict[int, pd.DataFrame] = done if done is not None else {}
    try:
        with _progress(len(specs), progress) as bar:
            for batch in executor.imap_batches(run_numbered, enumerate(specs)):
                for i, df, recording in batch:
                    results[i] = df
                    if recording is not None and recordings is not None:
                        recordings[i] = recording
                bar.update(len(batch))
    finally:
        if own:
            executor.close()
    if not results:
        return pd.DataFrame()
    return pd.concat([results[i] for i in range(len(specs))], ignore_index=True)


def _metrics(timeseries: pd.DataFrame) -> list[str]:
    known = [m for m in METRICS if m in timeseries.columns]
    skip = {"year", "seed", "replicate", "scenario", "run_id", "point"}
    extra = [
        c
        for c in timeseries.columns
        if c not in known and c not in skip and pd.api.types.is_numeric_dtype(timeseries[c])
    ]
    return known + extra


def _final(timeseries: pd.DataFrame, scenario: str) -> pd.DataFrame:
    own = timeseries[timeseries["scenario"] == scenario]
    return own[own["year"] == own["year"].max()]


def summarize(timeseries: pd.DataFrame, level: float = CONFIDENCE) -> pd.DataFrame:
    """Each scenario's outcomes in its final year: mean and interval over replicates.

    Intervals are Student-t at ``level``, truncated to each outcome's range
    (:data:`INTERVAL_METHOD`).

    Returns:
        Columns ``scenario, metric, mean, ci_low, ci_high, n, level``; scenarios in order of
        first appearance, metrics in the order of :data:`~landsim.metrics.METRICS` (columns
        the table does not know come last).
    """
    rows = []
    for scenario in timeseries["scenario"].unique():
        final = _final(timeseries, scenario)
        for metric in _metrics(timeseries):
            x = final[metric].dropna().to_numpy(dtype=float)
            mean, low, high = bounded_interval(x, label(metric).bounds, level)
            rows.append(
                {
                    "scenario": scenario,
                    "metric": metric,
                    "mean": mean,
                    "ci_low": low,
                    "ci_high": high,
                    "n": int(x.size),
                    "level": level,
                }
            )
    columns = ["scenario", "metric", "mean", "ci_low", "ci_high", "n", "level"]
    return pd.DataFrame(rows, columns=columns)


def differences(
    timeseries: pd.DataFrame, reference: str, level: float = CONFIDENCE
) -> pd.DataFrame:
    """Each scenario minus ``reference`` in the final year, replicate by replicate.

    Replicate ``r`` of every scenario shares its seed with replicate ``r`` of the reference
    (common random numbers), so the paired differences cancel most of the noise the two share.

    Returns:
        Columns ``scenario, reference, metric, difference, ci_low, ci_high, n_pairs, level``;
        a share's difference is truncated to [-1, 1].
    """
    ref = _final(timeseries, reference).set_index("replicate")
    rows = []
    for scenario in timeseries["scenario"].unique():
        if scenario == reference:
            continue
        own = _final(timeseries, scenario).set_index("replicate")
        pairs = own.index.intersection(ref.index)
        for metric in _metrics(timeseries):
            d = (own.loc[pairs, metric] - ref.loc[pairs, metric]).dropna().to_numpy(dtype=float)
            bounds = (-1.0, 1.0) if label(metric).bounds == SHARE else (-math.inf, math.inf)
            mean, low, high = bounded_interval(d, bounds, level)
            rows.append(
                {
                    "scenario": scenario,
                    "reference": reference,
                    "metric": metric,
                    "difference": mean,
                    "ci_low": low,
                    "ci_high": high,
                    "n_pairs": int(d.size),
                    "level": level,
                }
            )
    columns = [
        "scenario",
        "reference",
        "metric",
        "difference",
        "ci_low",
        "ci_high",
        "n_pairs",
        "level",
    ]
    return pd.DataFrame(rows, columns=columns)


def _decimals(values: np.ndarray, metric: str = "") -> int:
    """Digits after the point that suit a column: 0 for thousands, 1 for counts, 3 for shares."""
    finite = np.abs(values[np.isfinite(values)])
    top = finite.max() if finite.size else 0.0
    if label(metric).unit == "count":
        return 1
    return 0 if top >= 1000 else 1 if top >= 10 else 3


def _grid(rows: list[str], header: list[str], columns: list[list[str]]) -> str:
    """Left-aligned first column, right-aligned others, a rule under the header."""
    cols = [rows, *columns]
    widths = [max(len(h), *(len(c) for c in col)) for h, col in zip(header, cols, strict=True)]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    out = [line(header), "  ".join("-" * w for w in widths)]
    out += [line([col[r] for col in cols]) for r in range(len(rows))]
    return "\n".join(out)


def format_table(summary: pd.DataFrame, metrics: Sequence[str] = MAIN_OUTCOMES) -> str:
    """The summary as a wide table: scenarios as rows, outcomes as columns.

    Each cell reads ``mean [ci_low, ci_high]``.
    """
    metrics = [m for m in metrics if m in set(summary["metric"])]
    scenarios = list(dict.fromkeys(summary["scenario"]))
    columns = []
    for metric in metrics:
        part = summary[summary["metric"] == metric].set_index("scenario")
        d = _decimals(part[["mean", "ci_low", "ci_high"]].to_numpy(dtype=float).ravel(), metric)

        def num(x: float, d: int = d) -> str:
            return "n/a" if not math.isfinite(x) else f"{x:,.{d}f}"

        columns.append(
            [
                f"{num(part.at[s, 'mean'])} [{num(part.at[s, 'ci_low'])}, "
                f"{num(part.at[s, 'ci_high'])}]"
                if s in part.index
                else ""
                for s in scenarios
            ]
        )
    return _grid(scenarios, ["scenario", *metrics], columns)


def format_differences(diffs: pd.DataFrame, metrics: Sequence[str] = MAIN_OUTCOMES) -> str:
    """Paired differences as a wide table: ``difference [ci_low, ci_high]`` per cell."""
    metrics = [m for m in metrics if m in set(diffs["metric"])]
    scenarios = list(dict.fromkeys(diffs["scenario"]))
    columns = []
    for metric in metrics:
        part = diffs[diffs["metric"] == metric].set_index("scenario")
        values = part[["difference", "ci_low", "ci_high"]].to_numpy(dtype=float).ravel()
        d = _decimals(values, metric)

        def num(x: float, d: int = d) -> str:
            return "n/a" if not math.isfinite(x) else f"{x:+,.{d}f}"

        columns.append(
            [
                f"{num(part.at[s, 'difference'])} [{num(part.at[s, 'ci_low'])}, "
                f"{num(part.at[s, 'ci_high'])}]"
                for s in scenarios
            ]
        )
    reference = diffs["reference"].iloc[0] if len(diffs) else "reference"
    return _grid([f"{s} - {reference}" for s in scenarios], ["scenario", *metrics], columns)


def outcome_legend(metrics: Sequence[str] = MAIN_OUTCOMES) -> str:
    """One line per column: what it means and its unit (shares are printed as fractions)."""
    lines = []
    for m in metrics:
        lab = label(m)
        unit = "fraction of " + lab.unit.removeprefix("% of ") if lab.is_share else lab.unit
        lines.append(f"  {m}: {lab.title}" + (f" ({unit})" if unit else ""))
    return "\n".join(lines)
