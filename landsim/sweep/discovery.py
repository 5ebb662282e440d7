"""Scenario discovery: which combinations of a sweep's inputs lead to a condition of interest.

``landsim analyze DIR --discover "abandonment_rate > 0.1"`` marks every run where the condition
holds and lets EMA Workbench's PRIM (Patient Rule Induction Method; Friedman & Fisher 1999)
peel boxes over the sweep's inputs that hold many such runs (*density*: share of runs in the
box that meet the condition) and cover many of them (*coverage*: share of all runs meeting the
condition that fall in the box). Along each box's peeling trajectory the box kept is the one
with the largest coverage whose density reaches ``density`` (else the densest); after a box is
found, the runs in it are set aside and PRIM looks for the next one; the search stops at a box
no denser than the whole sweep.

Parts: :func:`parse_condition` (the ``OUTCOME OP NUMBER`` text), :func:`discover` (runs ->
:class:`Discovery`: one table row per box and restricted input) and :func:`discovery_figure`.
PRIM needs the optional extra ``[ema]``.
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from landsim.errors import UserError

__all__ = ["Condition", "Discovery", "parse_condition", "discover", "discovery_figure"]

_OPS = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}
_CONDITION = re.compile(r"^\s*([A-Za-z_][\w:]*)\s*(>=|<=|>|<)\s*(-?[\d.]+(?:[eE][-+]?\d+)?)\s*$")


@dataclass(frozen=True)
class Condition:
    """``outcome op value``, e.g. ``abandonment_rate > 0.1``."""

    outcome: str
    op: str
    value: float

    def __str__(self) -> str:
        return f"{self.outcome} {self.op} {self.value}"

    def holds(self, runs: pd.DataFrame) -> np.ndarray:
        """Per run, whether the condition holds."""
        return _OPS[self.op](runs[self.outcome].to_numpy(dtype=float), self.value)


def parse_condition(text: str, kept: list[str] | tuple[str, ...]) -> Condition:
    """Read ``OUTCOME OP NUMBER`` (OP one of ``> >= < <=``) naming an outcome in ``kept``.

    Raises:
        UserError: for any other form, or an outcome the sweep did not keep.
    """
    m = _CONDITION.match(text)
    if m is None:
        raise UserError(
            f"--discover must read 'OUTCOME OP NUMBER' with OP one of > >= < <=, got {text!r}"
        )
    outcome, op, value = m.group(1), m.group(2), m.group(3)
    if outcome not in kept:
        raise UserError(
            f"--discover: outcome {outcome!r} was not kept by this sweep; kept: {', '.join(kept)}"
        )
    try:
        number = float(value)
    except ValueError:
        raise UserError(f"--discover: {value!r} is not a number") from None
    return Condition(outcome, op, number)


@dataclass
class Discovery:
    """PRIM boxes for a condition.

    Attributes:
        condition: the condition of interest.
        n_runs: runs analysed; ``n_cases``: runs where the condition holds.
        boxes: one row per box: ``box``, ``coverage``, ``density``, ``mass`` (share of runs
            in the box), ``n`` (runs in it), ``restricted`` (inputs it restricts).
        limits: one row per box and restricted input: ``box``, ``input``, ``low``, ``high``
            (numeric inputs) or ``levels`` (listed levels kept), and the input's sweep range.
        trajectories: each box's peeling trajectory (coverage, density, mass, ``chosen``).
    """

    condition: Condition
    n_runs: int
    n_cases: int
    boxes: pd.DataFrame
    limits: pd.DataFrame
    trajectories: list[pd.DataFrame]

    def summary(self) -> str:
        """The boxes in words."""
        lines = [
            f"scenario discovery for {self.condition}: holds in {self.n_cases} of "
            f"{self.n_runs} runs ({self.n_cases / max(self.n_runs, 1):.0%})"
        ]
        if self.boxes.empty:
            lines.append("no box found (PRIM found nothing denser than the whole sweep)")
        for b in self.boxes.itertuples():
            lim = self.limits[self.limits["box"] == b.box]
            parts = [_limit_text(r) for r in lim.itertuples()] or ["no input restricted"]
            lines.append(
                f"box {b.box}: {' and '.join(parts)} -- coverage {b.coverage:.0%}, "
                f"density {b.density:.0%}, {b.n} runs"
            )
        return "\n".join(lines)


def _limit_text(r: Any) -> str:
    if isinstance(r.levels, str) and r.levels:
        return f"{r.input} in {{{r.levels}}}"
    return f"{r.low:.4g} <= {r.input} <= {r.high:.4g}"


def discover(
    runs: pd.DataFrame,
    inputs: list[str],
    condition: Condition,
    density: float = 0.8,
    max_boxes: int = 3,
    mass_min: float = 0.05,
) -> Discovery:
    """PRIM boxes over ``inputs`` for the runs where ``condition`` holds.

    Args:
        runs: one row per run with the input and outcome columns.
        inputs: input columns PRIM may restrict.
        condition: what marks a run of interest.
        density: the density a chosen box should reach (0-1).
        max_boxes: most boxes to look for.
        mass_min: smallest share of runs a box may hold.

    Raises:
        UserError: without EMA Workbench, or when no run (or every run) meets the condition.
    """
    from landsim.ema import require_ema

    require_ema()
    from ema_workbench.analysis import prim

    x = runs[inputs].reset_index(drop=True).copy()
    for col in x.columns:  # PRIM treats object/bool columns as categories
        if x[col].dtype == bool:
            x[col] = x[col].astype(str)
    y = condition.holds(runs)
    n_cases = int(y.sum())
    if n_cases == 0 or n_cases == y.size:
        which = "no run" if n_cases == 0 else "every run"
        raise UserError(
            f"--discover: {condition} holds in {which} of {y.size}; pick a threshold that "
            "splits the runs"
        )
    base_rate = n_cases / y.size
    p = prim.Prim(x, y, mass_min=mass_min)
    box_rows, limit_rows, trajectories = [], [], []
    for number in range(1, max_boxes + 1):
        box = p.find_box()
        if box is None:
            break
        pt = box.peeling_trajectory.reset_index(drop=True)
        dense = pt.index[pt["density"] >= density]
        i = int(pt.loc[dense, "coverage"].idxmax()) if len(dense) else int(pt["density"].idxmax())
        if pt.loc[i, "density"] <= base_rate:  # no denser than the whole sweep: nothing found
            break
        box.select(i)
        chosen = pt.copy()
        chosen["chosen"] = chosen.index == i
        trajectories.append(chosen)
        lims = box.box_lims[i]
        restricted = []
        for col in x.columns:
            init = p.box_init[col]
            lo, hi = lims[col].iloc[0], lims[col].iloc[1]
            if isinstance(init.iloc[0], set):
                kept = lims[col].iloc[0]
                if kept != init.iloc[0]:
                    restricted.append(col)
                    limit_rows.append(
                        {
                            "box": number,
                            "input": col,
                            "low": np.nan,
                            "high": np.nan,
                            "levels": ", ".join(sorted(str(v) for v in kept)),
                            "sweep_low": np.nan,
                            "sweep_high": np.nan,
                        }
                    )
            elif lo > init.iloc[0] or hi < init.iloc[1]:
                restricted.append(col)
                limit_rows.append(
                    {
                        "box": number,
                        "input": col,
                        "low": float(lo),
                        "high": float(hi),
                        "levels": "",
                        "sweep_low": float(init.iloc[0]),
                        "sweep_high": float(init.iloc[1]),
                    }
                )
        row = pt.loc[i]
        box_rows.append(
            {
                "box": number,
                "coverage": float(row["coverage"]),
                "density": float(row["density"]),
                "mass": float(row["mass"]),
                "n": int(row["n"]),
                "restricted": ", ".join(restricted),
            }
        )
    limits = pd.DataFrame(
        limit_rows, columns=["box", "input", "low", "high", "levels", "sweep_low", "sweep_high"]
    )
    boxes = pd.DataFrame(
        box_rows, columns=["box", "coverage", "density", "mass", "n", "restricted"]
    )
    return Discovery(condition, int(y.size), n_cases, boxes, limits, trajectories)


def discovery_figure(d: Discovery):
    """One row per box: its restricted inputs as bars within their sweep range (left) and its
    peeling trajectory, coverage against density, with the chosen box marked (right)."""
    from matplotlib.figure import Figure

    n = max(len(d.boxes), 1)
    fig = Figure(figsize=(10, 3.2 * n), layout="constrained")
    axes = fig.subplots(n, 2, squeeze=False)
    if d.boxes.empty:
        axes[0, 0].text(0.5, 0.5, "no box found", ha="center", va="center")
        axes[0, 0].set_axis_off()
        axes[0, 1].set_axis_off()
    for k, b in enumerate(d.boxes.itertuples()):
        left, right = axes[k]
        lim = d.limits[d.limits["box"] == b.box].reset_index(drop=True)
        for j, r in enumerate(lim.itertuples()):
            if r.levels:
                left.barh(j, 1.0, left=0.0, color="#d0312d", alpha=0.5)
                left.text(0.5, j, "{" + r.levels + "}", ha="center", va="center", fontsize=8)
                continue
            span = (r.sweep_high - r.sweep_low) or 1.0
            lo, hi = (r.low - r.sweep_low) / span, (r.high - r.sweep_low) / span
            left.barh(j, hi - lo, left=lo, color="#2f6fd0", alpha=0.6)
            left.text(lo, j + 0.3, f"{r.low:.3g}", ha="left", va="bottom", fontsize=8)
            left.text(hi, j + 0.3, f"{r.high:.3g}", ha="right", va="bottom", fontsize=8)
        left.set_yticks(range(len(lim)), list(lim["input"]))
        left.set_xlim(0, 1)
        left.set_ylim(-0.6, max(len(lim), 1) - 0.2)
        left.set_xlabel("share of the input's sweep range")
        left.set_title(
            f"box {b.box}: coverage {b.coverage:.0%}, density {b.density:.0%} ({d.condition})",
            fontsize=10,
        )
        t = d.trajectories[k]
        right.plot(t["coverage"], t["density"], "o-", ms=3, color="#555")
        c = t[t["chosen"]]
        right.plot(c["coverage"], c["density"], "o", ms=9, color="#d0312d", label="chosen")
        right.set_xlabel("coverage")
        right.set_ylabel("density")
        right.set_xlim(0, 1.02)
        right.set_ylim(0, 1.02)
        right.grid(alpha=0.3)
        right.legend(loc="lower left")
    return fig
