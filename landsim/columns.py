"""Declaring the arrays of a state type in one place: dtype, dimensions and the range of values.

The model's state lives in a few struct-of-arrays dataclasses (:class:`~landsim.world.Plots`,
:class:`~landsim.population.Population`, :class:`~landsim.kin.KinTies`,
:class:`~landsim.villages.Villages`, :class:`~landsim.ledger.Ledger`). Each array field is
declared with :func:`column`: its dtype, its dimensions by name (``plots``, ``households``,
``members``, ``ties``, ``villages``, ``accounts``, ...) and the values it may hold. Checkpoints
(:mod:`landsim.checkpoint`) read these declarations to check a file before and after reading it,
so the checks follow the state when it is reorganised.

A state type's scalars are declared with :func:`number` (a default and a range).

Parts: :class:`Column` and :func:`column`, :func:`columns` (a type's declared arrays),
:func:`number` and :func:`numbers` (its declared scalars), and :func:`value_problem` (what is
wrong with an array's values, or None).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from landsim.limits import AREA_MU, LEDGER_EXACT_YUAN, LUMP_YUAN, PER_UNIT_YUAN

__all__ = [
    "Column",
    "column",
    "columns",
    "number",
    "numbers",
    "value_problem",
    "Sizes",
    "MONEY",
    "PER_MU",
    "FEN",
    "SHARE",
    "AREA",
    "AGE",
    "YEAR",
    "COUNT",
]

#: a limit: ``(low, high)`` where each end is a number or the name of a size: a count that an
#: index must stay below (``"households"``: the household slots), or a largest value
#: (``"max_age"``); None for booleans and text
Limit = tuple[float | str, float | str] | None
Sizes = dict[str, int]

#: money of one account or one year (yuan): within the ledger's lump-sum limit
MONEY: Limit = (-LUMP_YUAN, LUMP_YUAN)
#: money per mu (yuan/mu)
PER_MU: Limit = (-PER_UNIT_YUAN, PER_UNIT_YUAN)
#: whole fen the ledger sums exactly
FEN: Limit = (-LEDGER_EXACT_YUAN * 100, LEDGER_EXACT_YUAN * 100)
#: a share or a probability (0-1)
SHARE: Limit = (0.0, 1.0)
#: an area (mu)
AREA: Limit = (0.0, AREA_MU)
#: an age in years: nobody is born older than 95, and a year ages everyone by one
AGE: Limit = (0.0, "max_age")
#: a model year, or -1 for none
YEAR: Limit = (-1, "max_year")
#: a count of years or things (whole, not negative)
COUNT: Limit = (0, "max_count")


@dataclass(frozen=True)
class Column:
    """How one array of a state type is declared.

    Attributes:
        dtype: its NumPy dtype.
        dims: the name of each dimension (``("villages", 2)``: one row per village, two columns).
        limit: the values it may hold (closed range; a name stands for a size, exclusive).
        variable: its first dimension may change length during a run (members, kin ties).
    """

    dtype: np.dtype
    dims: tuple[str | int, ...]
    limit: Limit
    variable: bool = False

    def shape(self, sizes: Sizes) -> tuple[int, ...] | None:
        """The array's shape for a town of ``sizes`` (None when its length varies)."""
        if self.variable:
            return None
        return tuple(d if isinstance(d, int) else sizes[d] for d in self.dims)


def column(
    dtype: Any, dims: tuple[str | int, ...], limit: Limit, variable: bool = False, **field: Any
) -> Any:
    """A dataclass field for an array of ``dtype`` with dimensions ``dims`` and values within
    ``limit`` (see :class:`Column`); ``field``: more arguments of :func:`dataclasses.field`."""
    meta = {"column": Column(np.dtype(dtype), dims, limit, variable)}
    return dataclasses.field(metadata=meta, **field)


def columns(cls: Any) -> dict[str, Column]:
    """The declared arrays of a state type (or of an instance), by field name."""
    return {f.name: f.metadata["column"] for f in dataclasses.fields(cls) if "column" in f.metadata}


def number(default: float, limit: Limit) -> Any:
    """A dataclass field for a number with ``default`` and values within ``limit``."""
    return dataclasses.field(default=default, metadata={"number": limit})


def numbers(cls: Any) -> dict[str, Limit]:
    """The declared numbers of a state type (or of an instance), by field name."""
    return {f.name: f.metadata["number"] for f in dataclasses.fields(cls) if "number" in f.metadata}


def _bound(end: float | str, sizes: Sizes, high: bool) -> float:
    """A limit's end: a number, a largest value (a size named ``max_...``), or a size that an
    index must stay below."""
    if isinstance(end, str):
        return sizes[end] - 1 if high and not end.startswith("max_") else sizes[end]
    return end


def value_problem(values: np.ndarray, col: Column, sizes: Sizes) -> str | None:
    """What is wrong with an array's values under ``col``'s limit (None when nothing is):
    NaN or infinity anywhere, or a value outside the range."""
    if col.limit is None or values.size == 0:
        return None
    if values.dtype.kind == "f" and not np.isfinite(values).all():
        return "holds NaN or infinity"
    low, high = _bound(col.limit[0], sizes, False), _bound(col.limit[1], sizes, True)
    lo, hi = values.min(), values.max()
    if lo < low or hi > high:
        shown = [x if math.isinf(x) else f"{x:g}" for x in (float(low), float(high))]
        return f"holds values outside {shown[0]}..{shown[1]} (found {lo:g}..{hi:g})"
    return None
