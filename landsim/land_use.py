"""The households' yearly land-use decision and the labour behind it, plot by plot.

The rule is applied to all households at once (the same rule, batched in numpy;
:func:`decide`), per plot not under a running lease (see :func:`decide_land_use`):

1. **Keep or release.** The household farms its easiest, best plots first while its field
   days last (labour binds: :mod:`landsim.labour`). It keeps a plot it can farm when farming
   it — its money value, the non-money value of farming one's own land and the household's
   own taste for farming — is worth at least as much as the best way of releasing it and as
   leaving it idle. Tastes are persistent logistic draws with scale ``choice_temperature``
   (random utility: of households for whom farming a plot is worth ``d`` yuan/mu more than
   releasing it, a share ``1 / (1 + exp(-d / choice_temperature))`` keeps it).
2. **Channel.** A released plot goes to the channel the household prefers — lease to a
   household, the village cooperative, custody by the service firm — by a logit choice over
   their expected values (temperature ``choice_temperature``). Whether anyone takes it is
   decided in the market; a released plot nobody takes is abandoned unless its holder can and
   will farm it after all.

Values are expected money per mu, less a risk premium (``risk x sd``) that grows with the
head's age, so a guaranteed payment is worth more to an old household than a risky one. A
farm day is valued at what the ledger would pay for the household's best alternative: the
local day wage times the chance of selling a day that its village expects, by age
(:func:`landsim.labour.shadow_wage`). Leaving a plot idle is worth nothing, or minus the
farmland subsidy where the subsidy is paid only for cultivated land.

Labour (:func:`field_days`): each household's field days for its own plots are what its
residents can give (:func:`landsim.labour.household_labour`) less the days its leased-in land
takes; it farms its plots in the order of :class:`FarmOrder` (by labour need per plot, then
best quality first) while its days last. People may decide for some plots instead of the rule
(:func:`override`, from :mod:`landsim.decisions`). :func:`plot_values` returns, plot by plot,
what each way of using it is worth to its holder (what the app shows a household).

Speed: :func:`field_days`, :func:`farmable` and :func:`decide` run on the compiled kernels of
:mod:`landsim.land_use_kernels`, bit for bit as their NumPy references (``*_reference``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from landsim import compiled
from landsim.cooperatives import base_rate, members
from landsim.decisions import PLOT_CHOICES
from landsim.grouping import group_cumsum
from landsim.labour import household_labour
from landsim.land_use_kernels import (
    TERMS,
    farm_within_days,
    leased_in_days,
    pick_channels,
    plot_choices,
)
from landsim.params import Assumptions, Params
from landsim.population import Population
from landsim.world import COOP, CUSTODY, HOUSEHOLD_LEASE, Plots

if TYPE_CHECKING:
    from landsim.town import Town

__all__ = [
    "Outlook",
    "Choices",
    "LandUse",
    "FarmOrder",
    "risk_aversion",
    "own_value",
    "channel_values",
    "logit_pick",
    "decide_land_use",
    "decide_land_use_reference",
    "field_days",
    "leased_in_days_reference",
    "farmable",
    "farmable_reference",
    "outlook",
    "decide",
    "override",
    "idle_value",
    "PlotValues",
    "plot_values",
]

#: release channels in the order of the value columns
CHANNELS = (HOUSEHOLD_LEASE, COOP, CUSTODY)
_CHANNEL_CODES = np.asarray(CHANNELS, dtype=np.int8)


@dataclass(frozen=True)
class Outlook:
    """What households expect this year (arrays indexed by village).

    Attributes:
        lease_return: expected return of offering a plot on the lease market, by village and
            terrain (``[:, 0]`` flat, ``[:, 1]`` hilly; yuan/mu), learned from past markets.
        coop_open: the village has an active cooperative taking land.
        coop_base: the coop's guaranteed payment per mu (fixed rent, minimum, or 0).
        coop_bonus: performance pay per mu members expect.
        coop_share: share of the village's households in the coop last year.
        custody_open: the service firm takes custody.
        custody_price: the firm's custody price per mu of flat land (hills cost more).
    """

    lease_return: np.ndarray
    coop_open: np.ndarray
    coop_base: np.ndarray
    coop_bonus: np.ndarray
    coop_share: np.ndarray
    custody_open: bool
    custody_price: float


@dataclass(frozen=True)
class Choices:
    """The decision for each free plot.

    Attributes:
        keep: the holder farms the plot itself.
        channel: for released plots, the preferred channel (plot-kind code); -1 when kept.
        own_value: the holder's value of farming the plot, its taste for farming included
            (yuan/mu; -inf without labour).
    """

    keep: np.ndarray
    channel: np.ndarray
    own_value: np.ndarray


def risk_aversion(head_age: np.ndarray, a: Assumptions) -> np.ndarray:
    """Risk premium per yuan of income sd: ``risk_aversion`` under 60, rising linearly by
    ``risk_aversion_old`` by age 80."""
    return a.risk_aversion + a.risk_aversion_old * np.clip((head_age - 60.0) / 20.0, 0.0, 1.0)


def _gross(hilly: np.ndarray, quality: np.ndarray, a: Assumptions) -> np.ndarray:
    yf = np.where(hilly, a.hilly_yield_factor, 1.0)
    return a.gross_revenue_per_mu * a.price_index * quality * yf


def own_value(
    hilly: np.ndarray,
    quality: np.ndarray,
    wage: np.ndarray,
    risk: np.ndarray,
    a: Assumptions,
) -> np.ndarray:
    """Value of farming a plot oneself (yuan/mu): ``gross - cash cost - labour days x shadow
    wage + attachment - risk x sd(harvest)``."""
    gross = _gross(hilly, quality, a)
    cf = np.where(hilly, a.hilly_cost_factor, 1.0)
    days = np.where(hilly, a.labour_days_hilly, a.labour_days_flat)
    sd = a.yield_shock_sd * gross
    return gross - a.cash_cost_per_mu * cf - days * wage + a.farming_attachment - risk * sd


def channel_values(
    village: np.ndarray,
    hilly: np.ndarray,
    quality: np.ndarray,
    risk: np.ndarray,
    trust: np.ndarray,
    outlook: Outlook,
    a: Assumptions,
) -> np.ndarray:
    """Expected value of each release channel (yuan/mu), shape (plots, 3) in :data:`CHANNELS`
    order; ``-inf`` where a channel is closed.

    * lease: the return the village's market paid per plot offered last years, by terrain;
    * coop: ``(base + bonus - risk x bonus_sd_share x bonus) x land grade + trust_weight x
      (trust - 1/2) + neighbour_weight x coop share - lock-in`` (a coop pays per graded share:
      yield factor x quality);
    * custody: ``gross - price x hill cost factor - hassle - risk x sd(harvest)``.
    """
    v = village
    out = np.full((village.size, 3), -np.inf)
    out[:, 0] = outlook.lease_return[v, hilly.astype(np.int64)]
    bonus = outlook.coop_bonus[v]
    grade = np.where(hilly, a.hilly_yield_factor, 1.0) * quality
    coop = (
        (outlook.coop_base[v] + bonus - risk * a.bonus_sd_share * bonus) * grade
        + a.trust_weight * (trust - 0.5)
        + a.neighbour_weight * outlook.coop_share[v]
        - a.coop_lockin_cost
    )
    out[:, 1] = np.where(outlook.coop_open[v], coop, -np.inf)
    if outlook.custody_open:
        gross = _gross(hilly, quality, a)
        cf = np.where(hilly, a.hilly_cost_factor, 1.0)
        out[:, 2] = (
            gross - outlook.custody_price * cf - a.custody_hassle - risk * a.yield_shock_sd * gross
        )
    return out


def logit_pick(values: np.ndarray, temperature: float, draws: np.ndarray) -> np.ndarray:
    """Column ``k`` with probability ``exp(v_k / T) / sum_j exp(v_j / T)`` (``-inf`` never);
    ``draws`` are uniform(0, 1), one per row."""
    z = values / temperature
    z = z - z.max(axis=1, keepdims=True)
    p = np.exp(z)
    cdf = np.cumsum(p, axis=1)
    cdf /= cdf[:, -1:]
    return (draws[:, None] > cdf).sum(axis=1).clip(0, values.shape[1] - 1)


def decide_land_use(
    village: np.ndarray,
    hilly: np.ndarray,
    quality: np.ndarray,
    can_farm: np.ndarray,
    wage: np.ndarray,
    risk: np.ndarray,
    trust: np.ndarray,
    outlook: Outlook,
    a: Assumptions,
    draws: np.ndarray,
    taste: np.ndarray | float = 0.0,
    idle: float = 0.0,
) -> Choices:
    """Apply the two-stage rule (module docstring) to free plots, one entry per plot (the
    household arrays ``wage``, ``risk``, ``trust``, ``taste`` are already indexed by the plot's
    holder; ``taste`` in yuan/mu). ``idle``: what leaving a plot idle is worth to its holder
    (yuan/mu, :func:`idle_value`).

    Runs on compiled kernels, bit for bit as :func:`decide_land_use_reference`, which runs when
    compilation is off or an array is not of the types the kernels are built for."""
    if not _compiled_for(quality, wage, risk, trust, np.asarray(taste), draws):
        return decide_land_use_reference(
            village, hilly, quality, can_farm, wage, risk, trust, outlook, a, draws, taste, idle
        )
    n = village.size
    per_plot = np.stack([wage, risk, trust, np.broadcast_to(taste, n)])
    at = np.arange(n)
    return _choices(at, at, village, hilly, quality, can_farm, per_plot, outlook, a, draws, idle)


def _compiled_for(*floats: np.ndarray) -> bool:
    """Whether the kernels run: compilation is on and ``floats`` are float64 (as they expect)."""
    return compiled.enabled() and all(x.dtype == np.float64 for x in floats)


def _choices(
    free: np.ndarray,
    holder: np.ndarray,
    village: np.ndarray,
    hilly: np.ndarray,
    quality: np.ndarray,
    can_farm: np.ndarray,
    hh: np.ndarray,
    outlook: Outlook,
    a: Assumptions,
    draws: np.ndarray,
    idle: float,
) -> Choices:
    """:func:`decide_land_use` on the kernels, for the plots ``free`` (indices into
    ``village``, ``hilly``, ``quality``) with household values ``hh`` (rows: wage, risk premium,
    trust, taste in yuan/mu; indexed by ``holder[free]``). NumPy takes the logit's ``exp``
    between the kernels, as in :func:`logit_pick`."""
    o = outlook
    by_village = [o.lease_return.T, o.coop_open, o.coop_base, o.coop_bonus, o.coop_share]
    look = np.vstack(by_village, dtype=np.float64)
    custody = np.array([float(o.custody_open), float(o.custody_price) if o.custody_open else 0.0])
    gross_per_mu = a.gross_revenue_per_mu * a.price_index  # as _gross multiplies
    terms = np.array([gross_per_mu, *(getattr(a, k) for k in TERMS[1:])], dtype=np.float64)
    keep, own, shifted, released = plot_choices(
        free, holder, village, hilly, quality, can_farm, hh, look, custody, terms, float(idle)
    )
    channel = pick_channels(np.exp(shifted), draws, released, _CHANNEL_CODES, free.size)
    return Choices(keep, channel, own)


def decide_land_use_reference(
    village: np.ndarray,
    hilly: np.ndarray,
    quality: np.ndarray,
    can_farm: np.ndarray,
    wage: np.ndarray,
    risk: np.ndarray,
    trust: np.ndarray,
    outlook: Outlook,
    a: Assumptions,
    draws: np.ndarray,
    taste: np.ndarray | float = 0.0,
    idle: float = 0.0,
) -> Choices:
    """:func:`decide_land_use` written with NumPy: the reference that its kernels must equal."""
    own = np.where(can_farm, own_value(hilly, quality, wage, risk, a) + taste, -np.inf)
    ch = channel_values(village, hilly, quality, risk, trust, outlook, a)
    keep = can_farm & (own >= np.maximum(ch.max(axis=1), idle))
    channel = np.full(keep.size, -1, dtype=np.int8)
    out = ~keep  # only plots released need a channel (each plot keeps its own draw)
    channel[out] = np.asarray(CHANNELS, dtype=np.int8)[
        logit_pick(ch[out], a.choice_temperature, draws[out])
    ]
    return Choices(keep=keep, channel=channel, own_value=own)


@dataclass(frozen=True)
class LandUse:
    """This year's land-use decision and the labour behind it.

    Attributes:
        plots: the free plots decided on (held, under no running lease).
        choices: the decision for each of them.
        days: field days each household has left for its own plots (days).
        wage: each household's shadow wage (yuan/day).
    """

    plots: np.ndarray
    choices: Choices
    days: np.ndarray
    wage: np.ndarray


def field_days(
    plots: Plots, pop: Population, a: Assumptions, mu: float, job_chance: np.ndarray
) -> tuple[np.ndarray, ...]:
    """Field days each household has for its own plots this year (after the days its
    leased-in land takes) and the value of its members' day (``mu``: mu per plot;
    ``job_chance``: the chance of selling a day of local work each village expects)."""
    chance = job_chance[pop.hh_village[pop.m_hh]]
    days, wage = household_labour(pop.m_hh, pop.m_age, pop.residents(), pop.n_households, a, chance)
    if compiled.enabled():
        flat, hilly = a.lease_labour_days_flat * mu, a.lease_labour_days_hilly * mu
        args = (HOUSEHOLD_LEASE, float(flat), float(hilly), pop.n_households)
        days -= leased_in_days(plots.kind, plots.operator, plots.hilly, *args)
    else:
        days -= leased_in_days_reference(plots, a, mu, pop.n_households)
    return days, wage


def leased_in_days_reference(plots: Plots, a: Assumptions, mu: float, n: int) -> np.ndarray:
    """Field days each of ``n`` households' leased-in land takes (days), written with NumPy:
    the reference of the kernel :func:`landsim.land_use_kernels.leased_in_days`."""
    p = plots
    leased_in = p.kind == HOUSEHOLD_LEASE
    lessee_days = np.where(p.hilly, a.lease_labour_days_hilly, a.lease_labour_days_flat) * mu
    return np.bincount(p.operator[leased_in], weights=lessee_days[leased_in], minlength=n)


class FarmOrder:
    """Held plots in the order households farm them: by holder, labour need per plot, then
    best quality first (then plot index).

    The three keys are packed into one integer so a single sort does; the order is kept until
    the holders or the labour days change, and the next order is merged from the last (a year
    changes few holders). It is a cache: a fresh one gives the same order. The compiled
    :func:`farmable` groups the order by the last two keys (:meth:`by_need`) by holder itself.
    """

    def __init__(self) -> None:
        """An empty cache."""
        self._key: tuple | None = None
        self._holder: np.ndarray | None = None
        self._order: np.ndarray | None = None
        #: (the plots' quality array, each plot's rank by quality, best first): plots never
        #: change quality, so the last key is ranked once
        self._quality_rank: tuple[np.ndarray, np.ndarray] | None = None
        #: the last order with its packed sort keys, so the next is a merge, not a sort
        self._sorted: tuple[np.ndarray, np.ndarray] | None = None
        #: (what it was made for, all plots by labour need then quality): :meth:`by_need`
        self._by_need: tuple[tuple, np.ndarray] | None = None

    def get(self, plots: Plots, a: Assumptions, mu: float) -> np.ndarray:
        """The order for the plots' present holders."""
        p = plots
        key = (a.labour_days_flat, a.labour_days_hilly, mu)
        fresh = self._holder is not None and np.array_equal(self._holder, p.holder)
        if self._order is not None and self._key == key and fresh:
            return self._order
        self._rank_quality(p)
        idx = np.flatnonzero(p.holder >= 0)
        need = np.where(p.hilly[idx], a.labour_days_hilly, a.labour_days_flat)
        more = (need > min(a.labour_days_hilly, a.labour_days_flat)).astype(np.int64)
        packed = np.full(p.n, -1, dtype=np.int64)
        packed[idx] = (p.holder[idx].astype(np.int64) * 2 + more) * p.n
        packed[idx] += self._quality_rank[1][idx]
        order, keys = sorted_by_key(packed, idx, self._sorted)
        self._sorted = (keys, order)
        self._key, self._holder, self._order = key, p.holder.copy(), order
        return order

    def _rank_quality(self, p: Plots) -> np.ndarray:
        """Each plot's rank by quality, best first (then by index); ranked once per plots."""
        if self._quality_rank is None or self._quality_rank[0] is not p.quality:
            rank = np.empty(p.n, dtype=np.int64)
            rank[np.argsort(-p.quality, kind="stable")] = np.arange(p.n)
            self._quality_rank = (p.quality, rank)
        return self._quality_rank[1]

    def by_need(self, plots: Plots, a: Assumptions) -> np.ndarray:
        """All plots (held or not) by labour need per plot, then best quality first, then
        index: :meth:`get`'s order before it is grouped by holder. Plots never change terrain
        or quality, so it is made once for the plots (the arrays kept: an id could be reused)."""
        p = plots
        days = (a.labour_days_flat, a.labour_days_hilly)
        made = self._by_need[0] if self._by_need is not None else (None, None, None)
        if made[0] != days or made[1] is not p.quality or made[2] is not p.hilly:
            need = np.where(p.hilly, a.labour_days_hilly, a.labour_days_flat)
            more = (need > min(a.labour_days_hilly, a.labour_days_flat)).astype(np.int64)
            order = np.argsort(more * p.n + self._rank_quality(p))  # unique keys
            self._by_need = ((days, p.quality, p.hilly), order)
        return self._by_need[1]


def sorted_by_key(
    packed: np.ndarray, idx: np.ndarray, last: tuple[np.ndarray, np.ndarray] | None
) -> tuple[np.ndarray, np.ndarray]:
    """``idx`` sorted by their unique keys ``packed[idx]`` (``packed`` is -1 elsewhere), and the
    sorted keys. With ``last`` (the keys and order of an earlier call) only the entries whose
    key changed are sorted and merged in: a year changes few holders."""
    if last is None or last[1].size and last[1].max() >= packed.size:
        keys = packed[idx]
        order = np.argsort(keys)  # keys are unique: any sort gives this order
        return idx[order], keys[order]
    old_keys, old_order = last
    same = packed[old_order] == old_keys
    base_keys, base_order = old_keys[same], old_order[same]
    listed = np.zeros(packed.size, dtype=bool)
    listed[base_order] = True
    new = idx[~listed[idx]]
    new = new[np.argsort(packed[new])]
    at = np.searchsorted(base_keys, packed[new])
    return np.insert(base_order, at, new), np.insert(base_keys, at, packed[new])


def outlook(town: Town, params: Params) -> Outlook:
    """What households expect this year: their village's lease returns, its co-op's terms and
    the share of its households in it, and the firm's custody price."""
    vil, pop = town.villages, town.population
    n_v = params.world.n_villages
    coop_open = np.zeros(n_v, dtype=bool)
    coop_base = np.zeros(n_v)
    coop_bonus = np.zeros(n_v)
    for v in vil.active():
        coop_open[v] = True
        coop_base[v] = base_rate(vil.rules[v])
        coop_bonus[v] = vil.expected_bonus[v]
    per_v = np.bincount(pop.hh_village[pop.hh_alive], minlength=n_v)
    in_coop = np.bincount(pop.hh_village[members(town.plots, pop)], minlength=n_v)
    return Outlook(
        lease_return=vil.lease_return,
        coop_open=coop_open,
        coop_base=coop_base,
        coop_bonus=coop_bonus,
        coop_share=in_coop / np.maximum(per_v, 1),
        custody_open=params.levers.firm_enabled,
        custody_price=town.firm.price,
    )


def farmable(
    p: Plots, a: Assumptions, mu: float, days: np.ndarray, order: FarmOrder
) -> tuple[np.ndarray, np.ndarray]:
    """The free plots (held by a household, under no running lease) and whether each is within
    its holder's field ``days`` when the household farms its plots in ``order``'s order.

    Runs on a compiled kernel, bit for bit as :func:`farmable_reference` (compilation off)."""
    if not _compiled_for(days):
        return farmable_reference(p, a, mu, days, order)
    flat, hilly = float(a.labour_days_flat * mu), float(a.labour_days_hilly * mu)
    args = (p.holder, p.lease_end, p.hilly, flat, hilly, days)
    return farm_within_days(order.by_need(p, a), *args)


def farmable_reference(
    p: Plots, a: Assumptions, mu: float, days: np.ndarray, order: FarmOrder
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`farmable` written with NumPy (and :meth:`FarmOrder.get`): the reference of its
    kernel."""
    free_mask = (p.holder >= 0) & ~p.leased()
    free = np.flatnonzero(free_mask)
    h = p.holder[free]
    need = np.where(p.hilly[free], a.labour_days_hilly, a.labour_days_flat) * mu
    farm_order = order.get(p, a, mu)
    at = (np.cumsum(free_mask) - 1)[farm_order[free_mask[farm_order]]]
    cum = group_cumsum(need[at], h[at])
    can = np.empty(free.size, dtype=bool)
    can[at] = cum <= np.maximum(days[h[at]], 0)
    return free, can


def decide(
    town: Town,
    params: Params,
    order: FarmOrder,
    rng: np.random.Generator,
    people: Mapping[int, Mapping[int, str]] | None = None,
) -> LandUse:
    """Households decide, for every free plot they hold, whether to keep farming it or to
    release it, and through which channel (:func:`decide_land_use`); a household farms its
    easiest, best plots first while its labour lasts. ``people``: plot choices people made
    instead of the rule, by household (:func:`override`)."""
    p, pop = town.plots, town.population
    a, mu = params.assumptions, params.world.plot_size_mu
    days, wage = field_days(p, pop, a, mu, town.villages.job_chance)
    free, can = farmable(p, a, mu, days, order)
    risk = risk_aversion(pop.resident_head_age(), a)
    look, draws = outlook(town, params), rng.random(free.size)
    if _compiled_for(p.quality, wage, risk, pop.trust, pop.taste):
        hh = np.stack([wage, risk, pop.trust, a.choice_temperature * pop.taste])
        args = (p.village, p.hilly, p.quality, can, hh, look, a, draws, idle_value(params))
        choices = _choices(free, p.holder, *args)
    else:  # the reference, on the plots' and their holders' values gathered plot by plot
        h = p.holder[free]
        at_plots = (p.village[free], p.hilly[free], p.quality[free], can)
        at_holders = (wage[h], risk[h], pop.trust[h], look, a, draws)
        taste = a.choice_temperature * pop.taste[h]
        choices = decide_land_use_reference(*at_plots, *at_holders, taste, idle_value(params))
    if people:
        choices = override(choices, free, can, p.holder, people)
    return LandUse(plots=free, choices=choices, days=days, wage=wage)


def override(
    choices: Choices,
    free: np.ndarray,
    can: np.ndarray,
    holder: np.ndarray,
    people: Mapping[int, Mapping[int, str]],
) -> Choices:
    """``choices`` with people's plot decisions in place of the rule's, for exactly the plots
    they decided that are still theirs and free. A released plot is never farmed by its holder
    as a fall-back (own value -inf); a kept plot beyond the household's labour lies idle."""
    pos = np.full(holder.size, -1, dtype=np.int64)
    pos[free] = np.arange(free.size)
    keep, channel, own = choices.keep.copy(), choices.channel.copy(), choices.own_value.copy()
    for h, mine in people.items():
        for plot, choice in mine.items():
            i = pos[plot]
            if i < 0 or holder[plot] != h:  # inherited away or leased since: nothing to do
                continue
            code = PLOT_CHOICES[choice]
            keep[i] = code < 0 and bool(can[i])
            channel[i] = code
            if code >= 0:
                own[i] = -np.inf
    return Choices(keep=keep, channel=channel, own_value=own)


def idle_value(params: Params) -> float:
    """What leaving a plot idle is worth to its holder (yuan/mu): nothing, or minus the farmland
    subsidy where it is paid only for cultivated land."""
    lv = params.levers
    return -lv.farmland_subsidy_per_mu if lv.farmland_subsidy_conditional else 0.0


@dataclass(frozen=True)
class PlotValues:
    """What each way of using a plot is worth to its holder this year (yuan/mu per year, one
    entry per plot; ``-inf`` where a way is closed).

    Attributes:
        plot: plot indices.
        holder: each plot's contract holder.
        own: farming it oneself (money, attachment and the household's taste; ``-inf`` when
            its field days do not reach the plot in its farm order).
        lease: offering it on the household lease market (the return the village expects).
        coop: putting it into the village cooperative.
        custody: handing it to the service firm in custody.
        idle: leaving it idle.
    """

    plot: np.ndarray
    holder: np.ndarray
    own: np.ndarray
    lease: np.ndarray
    coop: np.ndarray
    custody: np.ndarray
    idle: np.ndarray


def plot_values(town: Town, params: Params, plots: np.ndarray | None = None) -> PlotValues:
    """What each channel would bring each household-held plot not under a running lease (or
    those of ``plots`` among them), valued as :func:`decide` values them this year. It draws
    nothing and changes nothing: the app shows it to a household deciding for itself."""
    p, pop = town.plots, town.population
    a, mu = params.assumptions, params.world.plot_size_mu
    days, wage = field_days(p, pop, a, mu, town.villages.job_chance)
    free, can = farmable(p, a, mu, days, FarmOrder())
    h = p.holder[free]
    risk = risk_aversion(pop.resident_head_age(), a)[h]
    v, hl, q = p.village[free], p.hilly[free], p.quality[free]
    taste = a.choice_temperature * pop.taste[h]
    own = np.where(can, own_value(hl, q, wage[h], risk, a) + taste, -np.inf)
    ch = channel_values(v, hl, q, risk, pop.trust[h], outlook(town, params), a)
    sel = np.arange(free.size) if plots is None else np.flatnonzero(np.isin(free, plots))
    return PlotValues(
        plot=free[sel],
        holder=h[sel],
        own=own[sel],
        lease=ch[sel, 0],
        coop=ch[sel, 1],
        custody=ch[sel, 2],
        idle=np.full(sel.size, idle_value(params)),
    )
