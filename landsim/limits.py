"""Hard limits: values that are legal in form but that no run could survive or mean.

The parameter declarations in :mod:`landsim.params` give each field its plausible range where
one is known. This module adds what holds for *every* number, whatever its field:

* **finite** — ``inf`` and ``nan`` are never a parameter (TOML's ``inf``, and ``1e309``, which
  parses as infinity, are refused by ``allow_inf_nan=False`` in the shared model config), and
  ``-0.0`` is read as ``0.0``;
* **money fits the ledger** — the ledger (:mod:`landsim.ledger`) keeps money as whole fen in
  64-bit integers and sums a year's flows in float64, exact up to 2**53 fen (about 9.0e13
  yuan). A per-unit amount (``yuan/mu``, ``yuan/day``, ``yuan/month``) of at most
  :data:`PER_UNIT_YUAN` times the largest town the memory check admits (about 10 million mu or
  households, twelve months) stays below that; a lump sum (``yuan``, ``yuan/yr``) is held to
  :data:`LUMP_YUAN`, 9,000 times below it;
* **other units** — days of work per mu or per year fit in a year (:data:`DAYS`); areas in mu
  stay below :data:`AREA_MU`; a logit coefficient (no unit, a description that says "logit") stays
  within ``±``:data:`LOGIT` (beyond it a choice is certain, and a sum of such terms would
  overflow ``exp``); any other number without an upper bound of its own stays within
  ``±``:data:`GENERIC` (no model quantity is meaningful beyond that);
* **the world fits in memory** — :func:`world_memory_bytes` estimates what a world of a given
  size needs, and :func:`check_world` refuses one that would not fit in this machine's physical
  memory, before anything is built. The estimate is an envelope of measured peaks: memory grows
  with plots and households, and with plots x households *within a village* (the lease market
  weighs every bidder against every offered plot of its village). Measured peaks: 90,000 plots
  in 6 villages of 1,000 households, 0.57 GB (estimate 0.77); 360,000 plots in 6 villages of
  1,000, 2.0 GB (estimate 2.5); before the model's rework, 1e6 plots in 6 villages of 1,000
  households, 3.4 GB, and the county benchmark (1e6 plots, 600 villages, 199,800
  households), 0.58 GB.

The unit of a field is the last parenthesis of its description (``"town budget (yuan/yr)"``).
"""

from __future__ import annotations

import math
import os
import re
from functools import cache
from typing import Any

__all__ = [
    "LEDGER_EXACT_YUAN",
    "PER_UNIT_YUAN",
    "LUMP_YUAN",
    "DAYS",
    "AREA_MU",
    "LOGIT",
    "GENERIC",
    "hard_limit",
    "check_number",
    "world_memory_bytes",
    "machine_memory_bytes",
    "check_world",
]

#: the largest sum of fen the ledger adds exactly (float64 integers), in yuan
LEDGER_EXACT_YUAN = 2**53 / 100
#: per-unit money (yuan per mu, day, month): 1e5 x 12 months x 1e7 units < LEDGER_EXACT_YUAN
PER_UNIT_YUAN = 1e5
#: lump sums (yuan, yuan per year)
LUMP_YUAN = 1e10
#: days of work in any ``days``, ``days/mu`` or ``days/yr`` field
DAYS = 366.0
#: an area in mu (a whole county is about 1e6 mu)
AREA_MU = 1e7
#: a term of a logit (a probability of 1 / (1 + e^-50) is already certain)
LOGIT = 50.0
#: any other number with no upper bound of its own (absolute value)
GENERIC = 1e6

#: memory of the interpreter and libraries, per plot, per household and per (plot, household)
#: pair of a village (bytes; an envelope of the measurements in the module docstring)
_BYTES_BASE = 200e6
_BYTES_PER_PLOT = 250.0
_BYTES_PER_HOUSEHOLD = 1000.0
_BYTES_PER_PAIR = 6.0
_UNIT = re.compile(r"\(([^()]*)\)\s*$")


@cache
def hard_limit(description: str | None) -> tuple[float, str] | None:
    """The largest absolute value a field with this description may take, and why.

    Returns ``None`` for a field without a hard limit beyond its declaration (none, today:
    every number gets at least :data:`GENERIC`).
    """
    m = _UNIT.search(description or "")
    unit = m.group(1).strip() if m else ""
    if not unit and "logit" in (description or ""):
        return LOGIT, f"{LOGIT:g} in absolute value (a logit term; beyond it a choice is certain)"
    if unit in ("yuan", "yuan/yr"):
        return LUMP_YUAN, f"{LUMP_YUAN:.0e} yuan (larger sums do not fit the ledger's whole fen)"
    if unit.startswith("yuan/"):
        return (
            PER_UNIT_YUAN,
            f"{PER_UNIT_YUAN:.0e} {unit} (larger amounts do not fit the ledger's whole fen)",
        )
    if unit.startswith("days"):
        return DAYS, f"{DAYS:g} {unit} (a year has 366 days at most)"
    if unit == "mu":
        return AREA_MU, f"{AREA_MU:.0e} mu (hard limit)"
    return GENERIC, f"{GENERIC:.0e} in absolute value (hard limit)"


def check_number(value: Any, description: str | None) -> Any:
    """``value`` if it is finite and within its field's hard limit.

    Whole numbers, bools, text and tables pass through (every whole-number field declares its
    own range, and the root seed may be any 64-bit number). Called after the field's declared
    bounds have passed.

    Raises:
        ValueError: naming the limit and its reason.
    """
    if not isinstance(value, float):
        return value
    if not math.isfinite(value):
        raise ValueError("must be a finite number (not inf or nan)")
    if value == 0.0:
        value = 0.0  # -0.0 passes "at least 0" but numpy's scale < 0 checks refuse it
    limit = hard_limit(description)
    if limit is None:
        return value
    top, why = limit
    if abs(value) > top:
        if value < 0:
            raise ValueError(f"must be at least -{why}")
        raise ValueError(f"must be at most {why}")
    return value


def world_memory_bytes(n_plots: int, n_villages: int, households_per_village: int) -> float:
    """Estimated peak memory of one run of a world (bytes); see the module docstring."""
    per_village = n_plots / n_villages
    pairs = n_villages * per_village * min(per_village, households_per_village)
    n_households = n_villages * households_per_village
    return (
        _BYTES_BASE
        + _BYTES_PER_PLOT * n_plots
        + _BYTES_PER_HOUSEHOLD * n_households
        + _BYTES_PER_PAIR * pairs
    )


def machine_memory_bytes() -> float:
    """Physical memory of this machine (bytes); infinite where it cannot be read."""
    try:
        return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return math.inf


def check_world(n_plots: int, n_villages: int, households_per_village: int) -> None:
    """Refuse a world whose memory estimate exceeds this machine's memory.

    Raises:
        ValueError: with the estimate and the machine's memory.
    """
    need = world_memory_bytes(n_plots, n_villages, households_per_village)
    have = machine_memory_bytes()
    if need > have:
        raise ValueError(
            f"the world is too large for this machine: {n_plots:,} plots in {n_villages:,} "
            f"villages of {households_per_village:,} households need about "
            f"{need / 1e9:,.1f} GB, and this machine has "
            f"{have / 1e9:.1f} GB of memory"
        )
