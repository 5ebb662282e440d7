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
  stay below :data:`AREA_MU`; map coordinates in metres within ``±``:data:`COORDINATE_M`; a
  logit coefficient (no unit, a description that says "logit") stays within ``±``:data:`LOGIT`
  (beyond it a choice is certain, and a sum of such terms would overflow ``exp``); any other
  number without an upper bound of its own stays within ``±``:data:`GENERIC` (no model quantity
  is meaningful beyond that);
* **the world fits in memory** — :func:`world_memory_bytes` estimates what a world of a given
  size needs, and :func:`check_world` refuses one that would not fit in the memory this process
  may use (:func:`memory_limit`: the machine's physical memory, the process's ``ulimit -v``/``-d``
  and its cgroup's memory limit, whichever is least), before anything is built. The estimate
  is an envelope of measured peaks: memory grows with plots and households, and with plots x
  households *within a village* (the lease market weighs every bidder against every offered
  plot of its village). Measured peaks: 90,000 plots in 6 villages of 1,000 households,
  0.57 GB (estimate 0.77); 360,000 plots in 6 villages of 1,000, 2.0 GB (estimate 2.5); before
  the model's rework, 1e6 plots in 6 villages of 1,000 households, 3.4 GB, and the county
  benchmark (1e6 plots, 600 villages, 199,800 households), 0.58 GB.

The unit of a field is the last parenthesis of its description (``"town budget (yuan/yr)"``).
"""

from __future__ import annotations

import math
import os
import re
from functools import cache
from pathlib import Path
from typing import Any

__all__ = [
    "LEDGER_EXACT_YUAN",
    "PER_UNIT_YUAN",
    "LUMP_YUAN",
    "DAYS",
    "AREA_MU",
    "COORDINATE_M",
    "LOGIT",
    "GENERIC",
    "SEED_MAX",
    "hard_limit",
    "check_number",
    "world_memory_bytes",
    "machine_memory_bytes",
    "memory_limit",
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
#: a map coordinate in metres (the Earth's circumference is 4e7 m)
COORDINATE_M = 1e8
#: a term of a logit (a probability of 1 / (1 + e^-50) is already certain)
LOGIT = 50.0
#: any other number with no upper bound of its own (absolute value)
GENERIC = 1e6
#: the largest seed: TOML integers are signed 64-bit (larger ones are not portable TOML), and
#: seeds are stored in int64 columns of the results
SEED_MAX = 2**63 - 1

#: memory of the interpreter and libraries, per plot, per household and per (plot, household)
#: pair of a village (bytes; an envelope of the measurements in the module docstring)
_BYTES_BASE = 200e6
_BYTES_PER_PLOT = 250.0
_BYTES_PER_HOUSEHOLD = 1000.0
_BYTES_PER_PAIR = 6.0
_UNIT = re.compile(r"\(([^()]*)\)\s*$")
#: address space and data a process reserves beyond the memory it uses: Python with numpy,
#: pandas and Mesa after a baseline run on Linux x86-64 had 0.54 GB of address space and
#: 0.27 GB of data for 0.18 GB resident (bytes; the envelope of the two differences)
_VIRTUAL_EXTRA = 400e6
#: cgroup v1 writes "no limit" as a number near 2**63
_CGROUP_UNLIMITED = 2**62
#: where the kernel says which cgroups this process is in, and where they are mounted
_PROC_CGROUP = Path("/proc/self/cgroup")
_CGROUP_ROOT = Path("/sys/fs/cgroup")


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
    if unit == "m":
        return COORDINATE_M, f"{COORDINATE_M:.0e} m (beyond any projected coordinate)"
    return GENERIC, f"{GENERIC:.0e} in absolute value (hard limit)"


def check_number(value: Any, description: str | None) -> Any:
    """``value`` if it is finite and within its field's hard limit.

    Whole numbers, bools, text and tables pass through (every whole-number field declares its
    own range; the root seed's is 0 to :data:`SEED_MAX`). Called after the field's declared
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


def _rlimits() -> list[tuple[float, str]]:
    """The address-space and data-segment limits of this process (``ulimit -v``, ``-d``), less
    what the interpreter reserves beyond what it uses."""
    try:
        import resource
    except ImportError:  # Windows
        return []
    out = []
    for name, what in (
        ("RLIMIT_AS", "address-space limit, ulimit -v,"),
        ("RLIMIT_DATA", "data limit, ulimit -d,"),
    ):
        kind = getattr(resource, name, None)
        if kind is None:
            continue
        soft, _ = resource.getrlimit(kind)
        if soft != resource.RLIM_INFINITY and soft >= 0:
            usable = max(float(soft) - _VIRTUAL_EXTRA, 0.0)
            out.append(
                (
                    usable,
                    f"this process may use about {usable / 1e9:.1f} GB (its {what} is "
                    f"{soft / 1e9:.1f} GB)",
                )
            )
    return out


def _cgroup_limits() -> list[tuple[float, str]]:
    """Memory limits of this process's cgroups (v2 ``memory.max``, v1
    ``memory.limit_in_bytes``), of its own group and every group above it."""
    try:
        lines = _PROC_CGROUP.read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    out = []
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, where = parts
        if controllers == "":  # cgroup v2: one unified hierarchy
            root, file = _CGROUP_ROOT, "memory.max"
        elif "memory" in controllers.split(","):
            root, file = _CGROUP_ROOT / "memory", "memory.limit_in_bytes"
        else:
            continue
        group = root / where.strip("/")
        # a container sees its own group as the root of the mount: read the root's file too
        for folder in dict.fromkeys([group, *group.parents, root]):
            if folder != root and root not in folder.parents:
                continue
            try:
                text = (folder / file).read_text(encoding="utf-8").strip()
            except OSError:
                continue
            if text.isdigit() and int(text) < _CGROUP_UNLIMITED:
                limit = float(text)
                why = f"the memory limit of its cgroup, {folder / file}"
                out.append((limit, f"this process may use {limit / 1e9:.1f} GB ({why})"))
    return out


@cache
def memory_limit() -> tuple[float, str]:
    """The memory this process may use (bytes), and what sets it.

    The least of: the machine's physical memory; the process's address-space and data limits
    (``resource.getrlimit``, less :data:`_VIRTUAL_EXTRA`); and the memory limits of its
    cgroups (a container, a systemd slice, a batch job). Read once per process.
    """
    have = machine_memory_bytes()
    limits = [
        (have, f"this machine has {have / 1e9:.1f} GB of memory"),
        *_rlimits(),
        *_cgroup_limits(),
    ]
    return min(limits, key=lambda item: item[0])


def check_world(n_plots: int, n_villages: int, households_per_village: int) -> None:
    """Refuse a world whose memory estimate exceeds the memory this process may use
    (:func:`memory_limit`).

    Raises:
        ValueError: with the estimate, the memory available and what limits it.
    """
    need = world_memory_bytes(n_plots, n_villages, households_per_village)
    have, why = memory_limit()
    if need > have:
        raise ValueError(
            f"the world is too large for this process: {n_plots:,} plots in {n_villages:,} "
            f"villages of {households_per_village:,} households need about "
            f"{need / 1e9:,.1f} GB, and {why}"
        )
