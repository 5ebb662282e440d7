"""The validation's tables as text: levels against their sourced ranges, patterns with their
paired effects, and a warning when checks fail only for lack of power.

Parts: :func:`format_tables`, :func:`power_warning`, :func:`levels_title`, :func:`mark`,
:func:`size_text`, :data:`UNDERPOWERED_MARK` and :data:`UNDERPOWERED_NOTE`.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

__all__ = [
    "format_tables",
    "power_warning",
    "levels_title",
    "mark",
    "size_text",
    "UNDERPOWERED_MARK",
    "UNDERPOWERED_NOTE",
]


def size_text(size: str) -> str:
    """``default town`` for D, else ``size S``."""
    return "default town" if size == "D" else f"size {size}"


#: a note under the patterns table for checks marked :data:`UNDERPOWERED_MARK`
UNDERPOWERED_NOTE = (
    "the mean effect is on the expected side of the threshold, but its 95% interval reaches "
    "across it: too few seeds to tell (run more with --seeds)"
)
UNDERPOWERED_MARK = "FAILS?"


def levels_title(levels: pd.DataFrame, level_size: str = "D") -> str:
    """Where the levels were read: ``default town``, or the size that stood in for it."""
    at = str(levels["size"].iloc[0]) if "size" in levels and len(levels) else level_size
    if at == level_size:
        return size_text(at)
    meant = size_text(level_size)
    return f"{size_text(at)}; the ranges are sourced for the {meant}, which did not run"


def mark(row: Any) -> str:
    """``holds``, ``FAILS`` or, for a check that fails for lack of power, ``FAILS?``."""
    if row.holds:
        return "holds"
    return UNDERPOWERED_MARK if getattr(row, "underpowered", False) else "FAILS"


def _aligned(rows: list[list[str]]) -> list[str]:
    """Rows of cells as lines, each column as wide as its widest cell, two spaces apart."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]


def format_tables(patterns: pd.DataFrame, levels: pd.DataFrame, level_size: str = "D") -> str:
    """Both tables as aligned text; ``level_size`` is the size the levels are meant for (the
    levels table's ``size`` column says where they were read)."""
    lines = [f"Levels ({levels_title(levels, level_size)})", ""]
    rows = [["quantity", "model [95% CI]", "range", "inside", "source"]]
    for r in levels.itertuples():
        val = f"{_fmt(r.value)} [{_fmt(r.ci_low)}, {_fmt(r.ci_high)}]"
        inside = "yes" if r.inside else ("NO*" if r.known_gap else "NO")
        rows.append([r.quantity, val, f"{_fmt(r.low)}-{_fmt(r.high)}", inside, r.source])
    lines += _aligned(rows)
    gaps = [r for r in levels.itertuples() if r.known_gap and not r.inside]
    for r in gaps:
        lines.append(f"  * known gap, {r.quantity}: {r.known_gap}")
    lines += ["", "Patterns (paired over replicates; effect [95% CI])", ""]
    sizes = list(dict.fromkeys(patterns["size"]))  # in the order evaluate() gave them
    rows = [["pattern / check", *(f"size {s}" for s in sizes)]]
    for (pid, check), g in patterns.groupby(["pattern", "check"], sort=False):
        cells = []
        for s in sizes:
            r = g[g["size"] == s].iloc[0]
            cells.append(f"{_fmt(r.effect)} [{_fmt(r.ci_low)}, {_fmt(r.ci_high)}] {mark(r)}")
        rows.append([f"{pid}. {check}", *cells])
    lines += _aligned(rows)
    if "underpowered" in patterns and patterns["underpowered"].any():
        lines += ["", f"{UNDERPOWERED_MARK}: {UNDERPOWERED_NOTE}"]
    return "\n".join(lines)


def power_warning(patterns: pd.DataFrame, seeds: dict[str, int]) -> str | None:
    """One line when checks fail only for lack of power (None when none does)."""
    if "underpowered" not in patterns or not patterns["underpowered"].any():
        return None
    weak = patterns[patterns["underpowered"]]
    failing = int((~patterns["holds"]).sum())
    at = ", ".join(f"{n} seeds at size {s}" for s, n in seeds.items() if s in set(weak["size"]))
    return (
        f"warning: {len(weak)} of the {failing} failing checks fail only for lack of power "
        f"(marked {UNDERPOWERED_MARK}): their mean effect is on the expected side, but with "
        f"{at} their intervals are too wide to tell; run more seeds (the default is 10 per size)"
    )


def _fmt(x: float) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    return f"{x:.3f}"
