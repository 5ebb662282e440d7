"""Compiled kernels of the households' land-use decision (:mod:`landsim.land_use`).

Summary: the yearly decision of :func:`landsim.land_use.decide`, plot by plot in one pass
instead of many array expressions: the field days a household's leased-in land takes, which
free plots its field days reach in its farm order, what farming a plot and each release
channel are worth, whether it keeps the plot, and the channel a released plot goes to. The
kernels make the same floating-point operations in the same order as the NumPy references
(:func:`landsim.land_use.field_days_reference`, :func:`landsim.land_use.farmable_reference`,
:func:`landsim.land_use.decide_land_use_reference`), so their choices are bit for bit the
references' (``tests/test_kernels_decisions.py``, ``tests/test_golden.py``). The logit's
``exp`` is left to NumPy between two kernels (NumPy's vectorised ``exp`` and the C library's
may differ in the last bit), and the random draws come in from the model's generator. They
take and return arrays only: they know nothing of the model.

Parts: :func:`leased_in_days` (field days of each household's leased-in land),
:func:`farm_within_days` (the free plots and which of them a household's days reach),
:func:`own_and_channels` (one plot's values), :func:`plot_choices` (keep or release, and the
logit's shifted values of released plots), :func:`pick_channels` (the channel each released
plot goes to).
"""

from __future__ import annotations

import numpy as np

from landsim.compiled import kernel

__all__ = [
    "TERMS",
    "leased_in_days",
    "farm_within_days",
    "own_and_channels",
    "plot_choices",
    "pick_channels",
]

#: the assumptions :func:`plot_choices` reads, in the order of its ``terms`` array
#: (``gross_per_mu`` is ``gross_revenue_per_mu x price_index``, as the reference multiplies)
TERMS = (
    "gross_per_mu",
    "hilly_yield_factor",
    "hilly_cost_factor",
    "labour_days_flat",
    "labour_days_hilly",
    "yield_shock_sd",
    "cash_cost_per_mu",
    "farming_attachment",
    "bonus_sd_share",
    "trust_weight",
    "neighbour_weight",
    "coop_lockin_cost",
    "custody_hassle",
    "choice_temperature",
)


@kernel
def leased_in_days(kind, operator, hilly, lease_code, days_flat, days_hilly, n_households):
    """Field days each household's leased-in plots take (days), summed in plot order as
    ``np.bincount`` sums its weights: plots of kind ``lease_code``, ``days_flat`` or
    ``days_hilly`` each (already times the plot size)."""
    out = np.zeros(n_households)
    for i in range(kind.size):
        if kind[i] == lease_code:
            if not 0 <= operator[i] < n_households:
                raise IndexError("leased_in_days: a lessee out of range")
            out[operator[i]] += days_hilly if hilly[i] else days_flat
    return out


@kernel
def farm_within_days(by_need, holder, lease_end, hilly, need_flat, need_hilly, days):
    """The free plots (held, under no running lease; ascending) and whether each is within
    its holder's field ``days``. A household farms its plots in ``by_need``'s order (all
    plots by labour need, then quality; the farm order is this order grouped by holder, as a
    stable counting sort groups it); the field days used are a running sum over all
    households in farm order less the sum before the household's first plot, as
    ``group_cumsum`` makes them."""
    n, n_h = holder.size, days.size
    pos = np.full(n, -1, np.int64)
    start = np.zeros(n_h + 1, np.int64)
    free = np.empty(n, np.int64)
    n_free = 0
    for i in range(n):
        if holder[i] >= 0 and lease_end[i] < 0:
            if holder[i] >= n_h:
                raise IndexError("farm_within_days: a holder without field days")
            pos[i] = n_free
            free[n_free] = i
            n_free += 1
            start[holder[i] + 1] += 1
    for h in range(n_h):
        start[h + 1] += start[h]
    ordered = np.empty(n_free, np.int64)
    for k in range(by_need.size):
        i = by_need[k]
        if pos[i] >= 0:
            ordered[start[holder[i]]] = i
            start[holder[i]] += 1
    can = np.empty(n_free, np.bool_)
    total = 0.0
    before = 0.0
    last = -1
    for k in range(n_free):
        i = ordered[k]
        h = holder[i]
        if h != last:
            before, last = total, h
        total += need_hilly if hilly[i] else need_flat
        d = days[h]
        if d != d:  # np.maximum(nan, 0) is nan: no plot is within
            can[pos[i]] = False
        else:
            can[pos[i]] = total - before <= (d if d > 0.0 else 0.0)
    return free[:n_free], can


@kernel
def _larger(x, y):
    """``np.maximum(x, y)`` for two floats: the larger, ``nan`` if either is."""
    if x != x or x > y:
        return x
    return y


@kernel
def own_and_channels(hilly, quality, wage, risk, trust, taste, can, v, look, custody, t):
    """What farming one plot is worth to its holder and what each release channel is worth
    (:func:`landsim.land_use.own_value`, :func:`landsim.land_use.channel_values`, in their
    operations' order). The holder's shadow wage, risk premium, trust and taste (yuan/mu);
    ``look``: per village (columns), lease return flat and hilly, coop open, base, bonus and
    share (rows); ``custody``: open (1/0) and price; ``t``: :data:`TERMS`."""
    yf = t[1] if hilly else 1.0
    cf = t[2] if hilly else 1.0
    gross = t[0] * quality * yf
    own = -np.inf
    if can:
        need = t[4] if hilly else t[3]
        own = gross - t[6] * cf - need * wage + t[7] - risk * (t[5] * gross) + taste
    lease = look[1, v] if hilly else look[0, v]
    coop = -np.inf
    if look[2, v] != 0.0:
        base, bonus = look[3, v], look[4, v]
        coop = (base + bonus - risk * t[8] * bonus) * (yf * quality)
        coop = coop + t[9] * (trust - 0.5) + t[10] * look[5, v] - t[11]
    firm = -np.inf
    if custody[0] != 0.0:
        firm = gross - custody[1] * cf - t[12] - risk * t[5] * gross
    return own, lease, coop, firm


@kernel
def plot_choices(free, holder, village, hilly, quality, can, hh, look, custody, t, idle):
    """For each free plot (``free``: plot indices into ``village``, ``hilly``, ``quality``;
    ``can``: within its holder's days; ``hh``: per household (rows) shadow wage, risk
    premium, trust and taste in yuan/mu, indexed by ``holder``): its own value, whether its
    holder keeps it (own value at least the best channel and ``idle``), and, for released
    plots in order, their positions and their channel values over the temperature less the
    row's largest (the logit's exponents)."""
    n = free.size
    keep = np.zeros(n, np.bool_)
    own = np.empty(n)
    shifted = np.empty((n, 3))
    released = np.empty(n, np.int64)
    n_out = 0
    for k in range(n):
        i = free[k]
        h = holder[i]
        if not (0 <= h < hh.shape[1] and 0 <= village[i] < look.shape[1]):
            raise IndexError("plot_choices: a holder or village out of range")
        wage, risk, trust, taste = hh[0, h], hh[1, h], hh[2, h], hh[3, h]
        mine, c0, c1, c2 = own_and_channels(
            hilly[i], quality[i], wage, risk, trust, taste, can[k], village[i], look, custody, t
        )
        own[k] = mine
        best = _larger(_larger(_larger(c0, c1), c2), idle)
        keep[k] = can[k] and mine >= best
        if not keep[k]:
            z0, z1, z2 = c0 / t[13], c1 / t[13], c2 / t[13]
            top = _larger(_larger(z0, z1), z2)
            shifted[n_out, 0] = z0 - top
            shifted[n_out, 1] = z1 - top
            shifted[n_out, 2] = z2 - top
            released[n_out] = k
            n_out += 1
    return keep, own, shifted[:n_out], released[:n_out]


@kernel
def pick_channels(weights, draws, released, codes, n):
    """The channel code of each of ``n`` free plots (-1 for kept ones): a released plot
    (``released``: positions) goes to the column its uniform draw reaches on the cumulative
    ``weights`` (exp of the shifted values) over their sum, as
    :func:`landsim.land_use.logit_pick` picks it."""
    channel = np.full(n, -1, np.int8)
    for r in range(released.size):
        k = released[r]
        c0 = weights[r, 0]
        c1 = c0 + weights[r, 1]
        c2 = c1 + weights[r, 2]
        d = draws[k]
        col = int(d > c0 / c2) + int(d > c1 / c2) + int(d > c2 / c2)
        channel[k] = codes[min(col, 2)]
    return channel
