"""The Party-branch-led cooperative (党支部领办合作社) of a village: founding, pooling land,
farming and sharing benefits, and failing.

Summary of rules:

* **Founding** (:func:`found_coops`): a branch without a co-op founds one in year 1 (lever
  ``coop_founding = "all"``), or when it appraises one (chance ``founding_rate`` a year) and
  expects it to earn at least ``founding_hurdle`` a year per mu of village land
  (``"endogenous"``; :func:`appraise`); a branch secretary may decide instead. The town pays a
  start-up grant.
* **Pooling** (:func:`pool_offered_land`): a co-op takes offered plots, best margin first, whose
  margin (revenue - production cost - overhead - guaranteed payment + subsidy - a
  fragmentation cost for plots with no pooled neighbour; :func:`plot_margin`) is above minus
  its social mission, as far as its working capital and management span allow
  (:func:`capacity_mu`).
* **Farming and sharing** (:func:`distribute`): a co-op farms its pool itself (hiring older
  villagers) or buys the firm's service, whichever is cheaper; pays members what its
  benefit-sharing rule owes; receives the subsidy; loses a share of any surplus to leakage that
  transparency, member oversight and audits cut; splits what is left into reserve, collective
  and member shares, cutting dividends before it would run into debt.
* **Failure** (:func:`review`, :func:`dissolve`): after ``coop_fail_years`` years in debt, or
  with too few members from its third year, a co-op becomes an empty shell; its leases end with
  the season and its members lose trust.

A co-op's state is a row of :class:`~landsim.villages.Villages`; its money is two ledger
accounts (cash and reserve fund).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from landsim import government, services
from landsim.decisions import BranchChoice, branch_terms
from landsim.grouping import group_indices
from landsim.labour import HelperPool, hire_villagers
from landsim.population import Population
from landsim.sharing import SharingRule, Stakes, make_rule
from landsim.spatial import same_key_neighbour_share
from landsim.villages import ACTIVE, EMPTY_SHELL, NONE, Villages
from landsim.world import COLLECTIVE, COOP, HOUSEHOLD_LEASE, Plots

if TYPE_CHECKING:
    from landsim.params import Assumptions, Levers, Params
    from landsim.town import Town

__all__ = [
    "land_grade",
    "initial_management",
    "production_cost",
    "plot_margin",
    "leak_rate",
    "Appraisal",
    "appraise",
    "base_rate",
    "members",
    "found_coops",
    "found",
    "follow_levers",
    "capacity_mu",
    "pool_offered_land",
    "accept",
    "distribute",
    "farm_and_share",
    "review",
    "dissolve",
]


def land_grade(hilly: np.ndarray, quality: np.ndarray, a: Assumptions) -> np.ndarray:
    """Shares per mu a plot is worth when pooled (land is graded, as in Shandong's land-share
    coops): its expected yield relative to average flat land."""
    return np.where(hilly, a.hilly_yield_factor, 1.0) * quality


def initial_management(strength: float, a: Assumptions) -> float:
    """Transparency and standardization a branch of ``strength`` brings to a new coop (0-1)."""
    return float(np.clip(a.transparency_base + a.transparency_slope * strength, 0, 1))


def production_cost(
    hilly: np.ndarray, area: float, village_mu: float, a: Assumptions, lv: Levers, firm_price
) -> np.ndarray:
    """Production cost per mu (yuan/mu) at pooled ``area``: own farming (cash cost cut by
    economies of scale up to ``coop_scale_share`` of the village's land, hired labour,
    professional managers' cost cut) or the firm's service price, whichever is cheaper
    (``firm_price`` None when there is no firm)."""
    cf = np.where(hilly, a.hilly_cost_factor, 1.0)
    scale = a.scale_cost_cut * min(1.0, area / max(a.coop_scale_share * village_mu, 1e-9))
    own = a.cash_cost_per_mu * (1 - scale) + a.coop_labour_days * lv.coop_wage_day
    if lv.professional_management and firm_price is not None:
        own *= 1.0 - a.pro_cost_cut
    if firm_price is not None:
        own = min(own, firm_price)
    return own * cf


def plot_margin(
    hilly: np.ndarray,
    quality: np.ndarray,
    area: float,
    village_mu: float,
    standardization: float,
    base_rate: float,
    subsidy: float,
    a: Assumptions,
    lv: Levers,
    firm_price,
) -> np.ndarray:
    """Expected margin of pooling each plot (yuan/mu): ``gross x (1 + premium) - production
    cost - overhead x (1 - standardization) - guaranteed payment x land grade + subsidy``."""
    yf = np.where(hilly, a.hilly_yield_factor, 1.0)
    gross = a.gross_revenue_per_mu * a.price_index * (1 + a.coop_price_premium) * quality * yf
    cost = production_cost(hilly, area, village_mu, a, lv, firm_price)
    overhead = a.coop_overhead_per_mu * (1.0 - standardization)
    fee = lv.pro_management_fee if (lv.professional_management and firm_price is not None) else 0
    return gross - cost - overhead - fee - base_rate * land_grade(hilly, quality, a) + subsidy


def leak_rate(transparency: float, engaged_share: float, a: Assumptions) -> float:
    """Share of the surplus that leaks: ``leakage_max x (1 - transparency) x (1 -
    oversight_effect x engaged share)``."""
    return a.leakage_max * (1.0 - transparency) * (1.0 - a.oversight_effect * engaged_share)


@dataclass(frozen=True)
class Appraisal:
    """A branch's appraisal of a coop: expected yearly profit (yuan), the area it expects to
    pool (mu) and the dividend per mu it can promise members (yuan/mu)."""

    profit: float
    area: float
    dividend: float


def appraise(
    hilly: np.ndarray,
    quality: np.ndarray,
    village_mu: float,
    plot_mu: float,
    strength: float,
    rule: SharingRule,
    a: Assumptions,
    lv: Levers,
    firm_price,
) -> Appraisal:
    """What a branch of ``strength`` expects a coop to earn on the plots it could pool
    (``hilly``, ``quality``: the village's land on offer or idle last year).

    The branch pools the plots whose margin (with its own management quality, the subsidy
    while it lasts and expected leakage) is above minus the social mission, best first, up to
    what its managers can run and the start-up grant and credit can finance; the profit adds
    the grant spread over a lease term. Stronger branches run coops with better management:
    lower overhead, less leakage and a wider span.
    """
    base = float(rule.base(Stakes(np.ones(1), np.zeros(1), np.zeros(1)))[0])
    mgmt = initial_management(strength, a)
    years = max(lv.coop_lease_years, 1)
    subsidy = lv.subsidy_per_mu * min(lv.subsidy_years, years) / years
    per_mu_need = a.coop_prefinance_share * a.cash_cost_per_mu + base
    funds_mu = (lv.startup_grant + a.coop_credit_per_mu * village_mu) / max(per_mu_need, 1e-9)
    room = int(min(funds_mu, a.coop_span_share * mgmt * village_mu) // plot_mu)
    area = min(room, np.size(hilly)) * plot_mu
    m = plot_margin(hilly, quality, area, village_mu, mgmt, base, subsidy, a, lv, firm_price)
    m = np.sort(m[m >= -lv.coop_social_mission])[::-1][: max(room, 0)]
    surplus = float(m.sum()) * plot_mu
    leak = leak_rate(mgmt, 0.0, a) * max(surplus, 0.0)
    profit = surplus - leak + lv.startup_grant / years
    pooled = m.size * plot_mu
    dividend = lv.member_share * max(surplus - leak, 0.0) / pooled if pooled else 0.0
    return Appraisal(profit=profit, area=pooled, dividend=dividend)


def base_rate(rule: SharingRule) -> float:
    """Guaranteed payment per mu under ``rule`` (yuan/mu; 0 under pure shareholding)."""
    return float(rule.base(Stakes(np.ones(1), np.zeros(1), np.zeros(1)))[0])


def members(plots: Plots, pop: Population) -> np.ndarray:
    """Mask of living households with at least one plot in a cooperative."""
    in_coop = (plots.kind == COOP) & (plots.holder >= 0)
    mask = np.zeros(pop.n_households, dtype=bool)
    mask[plots.holder[in_coop]] = True
    return mask & pop.hh_alive


def _firm_price(town: Town, lv: Levers) -> float | None:
    return town.firm.price if lv.firm_enabled else None


def _cash(town: Town, v: int) -> float:
    return float(town.ledger.balance_yuan(town.ledger.accounts.coop0 + v))


def _reserve(town: Town, v: int) -> float:
    return float(town.ledger.balance_yuan(town.ledger.accounts.reserve0 + v))


# ---------------------------------------------------------------------------------- founding
def found_coops(
    town: Town,
    params: Params,
    rng: np.random.Generator,
    year: int,
    branches: dict[int, BranchChoice],
) -> None:
    """Branches without a co-op may found one (module docstring); ``branches``: what branch
    secretaries decided this year, by village (their terms also apply to a running co-op)."""
    vil, p, w = town.villages, town.plots, params.world
    lv, a = params.levers, params.assumptions
    vil.audited[:] = False  # last year's audits are history
    vil.found_leak_rate[:] = 0.0
    for v, choice in sorted(branches.items()):  # a secretary's terms for a running coop
        if vil.status[v] != NONE and choice.lever_changes():
            vil.terms[v] = branch_terms(lv, choice)
            vil.rules[v] = make_rule(vil.terms[v])
    if lv.coop_founding == "none" and not branches:
        return
    firm_price = _firm_price(town, lv)
    model_founds = lv.coop_founding != "none"
    looks = rng.random(w.n_villages) if model_founds else np.ones(w.n_villages)
    noise = rng.normal(0.0, a.appraisal_sd, w.n_villages) if model_founds else looks * 0
    # land a co-op could pool: released or idle last year, the collective's unlet land, and
    # land households lease to each other (its holders could join instead)
    on_offer = p.released | ((p.holder == COLLECTIVE) & ~p.leased()) | (p.kind == HOUSEHOLD_LEASE)
    for v in range(w.n_villages):
        choice = branches.get(v)  # a secretary decides instead of the branch's rule
        if vil.status[v] != NONE or (choice is not None and not choice.found):
            continue
        if choice is None:
            if not model_founds or vil.strength[v] < lv.founding_min_strength:
                continue
            if lv.coop_founding == "endogenous" and looks[v] >= a.founding_rate:
                continue
        terms = branch_terms(lv, choice) if choice is not None else None
        rule = make_rule(terms or lv)
        sel = on_offer & (p.village == v)
        land, strength, own = float(vil.land_mu[v]), float(vil.strength[v]), terms or lv
        plot_mu = w.plot_size_mu
        est = appraise(
            p.hilly[sel], p.quality[sel], land, plot_mu, strength, rule, a, own, firm_price
        )
        expected = est.profit * np.exp(noise[v] - a.appraisal_sd**2 / 2)
        hurdle = a.founding_hurdle * land
        if choice is None and lv.coop_founding == "endogenous" and expected < hurdle:
            continue
        found(vil, v, rule, terms, est.dividend, year, a)
        government.grant(town.government, town.ledger, lv, v)


def found(
    vil: Villages,
    v: int,
    rule: SharingRule,
    terms: Levers | None,
    promise: float,
    year: int,
    a: Assumptions,
) -> None:
    """Found the co-op of village ``v`` in ``year`` with ``rule`` (and the branch's own
    ``terms``), promising ``promise`` yuan/mu of performance pay; its management starts at what
    its branch brings (:func:`initial_management`)."""
    initial = initial_management(float(vil.strength[v]), a)
    vil.status[v] = ACTIVE
    vil.founded[v] = year
    vil.transparency[v] = initial
    vil.standardization[v] = initial
    vil.insolvent_years[v] = 0
    vil.expected_bonus[v] = promise if rule.performance_linked else 0.0
    for arr in (vil.area, vil.engaged_share, vil.revenue, vil.profit, vil.leakage):
        arr[v] = 0.0
    vil.leak_rate[v] = vil.subsidy[v] = vil.found_leak_rate[v] = 0.0
    vil.members[v] = 0
    vil.audited[v] = vil.uses_firm[v] = False
    vil.rules[v] = rule
    vil.terms[v] = terms


def follow_levers(vil: Villages, levers: Levers) -> None:
    """Every co-op's rule with the numbers of its branch's own terms, or else of the town's
    ``levers`` (after a dated change of levers)."""
    for v in np.flatnonzero(vil.status != NONE):
        vil.rules[v] = make_rule(vil.terms[v] or levers)


# ---------------------------------------------------------------------------------- pooling
def capacity_mu(town: Town, v: int, a: Assumptions) -> float:
    """Most land the co-op of village ``v`` can operate this year (mu): its managers' span
    (``coop_span_share`` of the village's land at full standardization, in proportion to it:
    standard procedures let the same cadres run more land) or what its cash, reserve and credit
    can pre-finance (``coop_prefinance_share`` of the costs plus the guaranteed payment)."""
    vil = town.villages
    land = vil.land_mu[v]
    span = a.coop_span_share * vil.standardization[v] * land
    funds = _cash(town, v) + _reserve(town, v) + a.coop_credit_per_mu * land
    need = a.coop_prefinance_share * a.cash_cost_per_mu + base_rate(vil.rules[v])
    return max(0.0, min(span, funds / max(need, 1e-9)))


def pool_offered_land(
    town: Town, params: Params, channel: np.ndarray, free_coll: np.ndarray, year: int
) -> None:
    """Each active co-op takes the plots of its village offered to it (``channel == COOP``)
    and the collective's unlet land (``free_coll``) that it accepts (:func:`accept`), on
    leases of ``coop_lease_years``; contiguity counts land it pools already or is offered."""
    p, vil = town.plots, town.villages
    n_v, mu = params.world.n_villages, params.world.plot_size_mu
    coop_open = vil.status == ACTIVE
    offered_all = ((channel == COOP) | free_coll) & coop_open[p.village]
    pool_key = np.where(p.kind == COOP, p.operator, np.where(offered_all, p.village, -1))
    contiguity = p.of_cells(same_key_neighbour_share(p.grid(pool_key)))
    pooled_mu = np.bincount(p.operator[p.kind == COOP], minlength=n_v) * mu
    offers_by_village = group_indices(p.village[offered_all], n_v)
    offered_idx = np.flatnonzero(offered_all)
    for v in vil.active():
        offered = offered_idx[offers_by_village[v]]
        if offered.size == 0:
            continue
        took = accept(town, params, int(v), offered, contiguity[offered], float(pooled_mu[v]), year)
        take = offered[took]
        p.kind[take] = COOP
        p.operator[take] = v
        p.rent[take] = base_rate(vil.rules[v])
        p.lease_start[take] = year
        p.lease_end[take] = year + params.levers.coop_lease_years - 1


def accept(
    town: Town,
    params: Params,
    v: int,
    plots: np.ndarray,
    contiguity: np.ndarray,
    pooled_mu: float,
    year: int,
) -> np.ndarray:
    """Which of the offered ``plots`` (indices, all in village ``v``) its co-op takes (mask).

    Args:
        town: the town's state.
        params: the parameters.
        v: the co-op's village.
        plots: offered plot indices.
        contiguity: for each offered plot, the share of its 4 neighbours already pooled by
            this co-op or offered to it.
        pooled_mu: area the co-op already operates under running leases (mu).
        year: the current year.
    """
    a, lv = params.assumptions, params.levers
    p, vil = town.plots, town.villages
    mu = params.world.plot_size_mu
    room = int((capacity_mu(town, v, a) - pooled_mu) // mu)
    take = np.zeros(plots.size, dtype=bool)
    if room <= 0:
        return take
    subsidised = lv.subsidy_per_mu > 0 and (year - vil.founded[v]) < lv.subsidy_years
    subsidy = lv.subsidy_per_mu if subsidised else 0.0
    area = pooled_mu + min(room, plots.size) * mu
    margin = plot_margin(
        p.hilly[plots],
        p.quality[plots],
        area,
        vil.land_mu[v],
        vil.standardization[v],
        base_rate(vil.rules[v]),
        subsidy,
        a,
        lv,
        _firm_price(town, lv),
    ) - a.fragmentation_cost * (1.0 - contiguity)
    ok = np.flatnonzero(margin >= -lv.coop_social_mission)
    best = ok[np.argsort(-margin[ok], kind="stable")][:room]
    take[best] = True
    return take


# ---------------------------------------------------------------------------------- the books
def distribute(
    town: Town,
    params: Params,
    rng: np.random.Generator,
    year: int,
    shock: float,
    pool: HelperPool,
) -> None:
    """Every active co-op, in village order, farms its pool and shares benefits
    (:func:`farm_and_share`); ``shock`` is the year's town-wide yield shock and ``pool`` the
    older villagers left for hire."""
    p = town.plots
    pooled = np.flatnonzero(p.kind == COOP)
    by_coop = group_indices(p.operator[pooled], params.world.n_villages)
    for v in town.villages.active():
        farm_and_share(town, params, rng, year, int(v), pooled[by_coop[v]], shock, pool)


@dataclass
class _Season:
    """One co-op's season: its village, plots, harvest and what it owes each member."""

    v: int
    mine: np.ndarray
    gross: np.ndarray
    holders: np.ndarray
    members: np.ndarray
    stakes: Stakes
    base: np.ndarray
    coll_shares: float


def farm_and_share(
    town: Town,
    params: Params,
    rng: np.random.Generator,
    year: int,
    v: int,
    mine: np.ndarray,
    shock: float,
    pool: HelperPool,
) -> None:
    """The co-op of village ``v`` farms its pool (plot indices ``mine``), pays costs and
    members, receives its subsidy, loses leakage (and may be audited), splits its profit and
    learns from the year."""
    s = _farm(town, params, v, mine, shock, pool)
    _subsidy_leakage_audit(town, params, rng, year, v)
    perf = _split_profit(town, params, s)
    _remember(town, params, s, perf)


def _farm(
    town: Town, params: Params, v: int, mine: np.ndarray, shock: float, pool: HelperPool
) -> _Season:
    """Harvest, production costs (the firm's service or own farming with hired older
    villagers), overhead, and what the rule owes members whatever the harvest."""
    a, lv = params.assumptions, params.levers
    led, p, vil = town.ledger, town.plots, town.villages
    acc, mu = led.accounts, params.world.plot_size_mu
    account = acc.coop0 + v
    vil.area[v] = area = mine.size * mu
    hilly = p.hilly[mine]
    yf = np.where(hilly, a.hilly_yield_factor, 1.0)
    price = a.gross_revenue_per_mu * a.price_index * (1 + a.coop_price_premium)
    gross = price * p.quality[mine] * yf * shock * mu
    vil.revenue[v] = led.post(acc.outside, account, "crop_sales", gross.sum())
    cf = np.where(hilly, a.hilly_cost_factor, 1.0)
    firm_price = _firm_price(town, lv)
    land = float(vil.land_mu[v])
    own_flat = float(production_cost(np.zeros(1, bool), area, land, a, lv, None)[0])
    if lv.professional_management and lv.firm_enabled:
        own_flat *= 1.0 - a.pro_cost_cut
    vil.uses_firm[v] = uses_firm = firm_price is not None and firm_price < own_flat
    if uses_firm:
        fee = float((firm_price * cf * mu).sum())
        services.serve_coop(town.firm, led, account, fee, p, mine, pool, params)
    else:
        labour_cost = a.coop_labour_days * lv.coop_wage_day
        cash = float(((own_flat - labour_cost) * cf * mu).sum())
        led.post(account, acc.outside, "input_costs", cash)
        days = a.coop_labour_days * float((cf * mu).sum())
        hire_villagers(pool, led, account, v, days, lv.coop_wage_day, "coop_wage")
    overhead = a.coop_overhead_per_mu * (1.0 - vil.standardization[v]) * area
    led.post(account, acc.outside, "coop_overhead", overhead)
    if lv.professional_management and lv.firm_enabled:
        led.post(account, acc.firm, "pro_management", lv.pro_management_fee * area)
    # what the rule owes members whatever the harvest; collective land is paid as rent
    holders = p.holder[mine]
    mem = np.unique(holders[holders >= 0])
    vil.members[v] = mem.size
    grade = land_grade(hilly, p.quality[mine], a)
    stakes = _stakes(holders, mem, gross, grade, pool, mu)
    rule = vil.rules[v]
    base = rule.base(stakes)
    led.post(account, mem, "coop_base", base)
    coll_shares = float(grade[holders < 0].sum() * mu)
    led.post(account, acc.collective0 + v, "rent", base_rate(rule) * coll_shares)
    return _Season(v, mine, gross, holders, mem, stakes, base, coll_shares)


def _stakes(
    holders: np.ndarray,
    mem: np.ndarray,
    gross: np.ndarray,
    grade: np.ndarray,
    pool: HelperPool,
    mu: float,
) -> Stakes:
    """Each member's graded land shares (mu x grade), co-op work days and sales."""
    own = holders >= 0
    pos = np.searchsorted(mem, holders[own])
    land = np.bincount(pos, weights=grade[own], minlength=mem.size) * mu
    sales = np.bincount(pos, weights=gross[own], minlength=mem.size)
    labour = pool.coop_days[mem] if mem.size else np.zeros(0)
    return Stakes(mu=land.astype(float), labour_days=labour, sales=sales)


def _subsidy_leakage_audit(
    town: Town, params: Params, rng: np.random.Generator, year: int, v: int
) -> None:
    """Government money (may be cut when the town budget runs out); leakage, a share of the
    year's surplus cut by openness and members' oversight; then maybe an audit."""
    a, lv = params.assumptions, params.levers
    led, vil = town.ledger, town.villages
    account = led.accounts.coop0 + v
    vil.subsidy[v] = government.pay_subsidy(town.government, led, lv, vil, v, year)
    surplus = float(led.net_this_year(account, account + 1)[0])
    vil.leak_rate[v] = rate = leak_rate(vil.transparency[v], vil.engaged_share[v], a)
    vil.leakage[v] = led.post(account, led.accounts.outside, "leakage", rate * max(surplus, 0.0))
    audited, found_rate = government.audit(town.government, led, lv, a, vil, v, rng)
    vil.audited[v], vil.found_leak_rate[v] = audited, found_rate


def _split_profit(town: Town, params: Params, s: _Season) -> np.ndarray:
    """Profit is this year's net flow; it first pays off old debt, and dividends are cut so
    that paying them never puts the co-op into debt. What is distributable goes to the reserve,
    the collective and the members (by the rule; under a fixed rent the members' share stays in
    the reserve); a loss is covered from the reserve. Returns each member's performance pay."""
    led, vil, v = town.ledger, town.villages, s.v
    acc = led.accounts
    account, reserve, collective = acc.coop0 + v, acc.reserve0 + v, acc.collective0 + v
    vil.profit[v] = profit = float(led.net_this_year(account, account + 1)[0])
    cash = _cash(town, v)
    old_debt = max(0.0, -(cash - profit))
    distributable = profit - min(max(profit, 0.0), old_debt)
    distributable = min(distributable, max(cash, 0.0))
    perf = np.zeros(s.members.size)
    split = vil.terms[v] or params.levers
    rule = vil.rules[v]
    if distributable > 0:
        led.post(account, reserve, "to_reserve", split.reserve_share * distributable)
        led.post(account, collective, "to_collective", split.collective_share * distributable)
        pool = split.member_share * distributable
        if rule.performance_linked:
            # the collective's own pooled land holds shares like any member's
            shared = Stakes(
                mu=np.r_[s.stakes.mu, s.coll_shares],
                labour_days=np.r_[s.stakes.labour_days, 0.0],
                sales=np.r_[s.stakes.sales, float(s.gross[s.holders < 0].sum())],
            )
            paid = rule.bonus(pool, shared)
            perf = paid[:-1]
            led.post(account, s.members, "coop_bonus", perf)
            led.post(account, collective, "coop_bonus", paid[-1])
        else:
            led.post(account, reserve, "to_reserve", pool)
    elif cash < 0:
        cover = min(-cash, _reserve(town, v))
        led.post(reserve, account, "from_reserve", cover)
    return perf


def _remember(town: Town, params: Params, s: _Season, perf: np.ndarray) -> None:
    """Members remember their pay per mu; the co-op's expected bonus follows results; a co-op
    in debt beyond ``coop_debt_tolerance`` per mu counts another insolvent year."""
    a, vil, pop, v = params.assumptions, town.villages, town.population, s.v
    member_mu = np.maximum(s.stakes.mu, 1e-9)
    pop.perf_pay[s.members] = perf / member_mu
    pop.coop_pay[s.members] = (s.base + perf) / member_mu
    if s.members.size:
        w = a.expectation_weight
        got = float(perf.sum() / member_mu.sum())
        vil.expected_bonus[v] += w * (got - vil.expected_bonus[v])
    tolerance = a.coop_debt_tolerance * max(vil.area[v], params.world.plot_size_mu)
    debt = max(0.0, -_cash(town, v))
    vil.insolvent_years[v] = vil.insolvent_years[v] + 1 if debt > tolerance else 0


# ---------------------------------------------------------------------------------- failure
def review(town: Town, params: Params, year: int) -> None:
    """End of year, every active co-op in village order: fail into an empty shell after
    ``coop_fail_years`` years in debt, or with fewer members than ``coop_min_member_share`` of
    the village's households from its third year (:func:`dissolve`)."""
    a, vil, pop = params.assumptions, town.villages, town.population
    per_v = np.bincount(pop.hh_village[pop.hh_alive], minlength=params.world.n_villages)
    for v in vil.active():
        need = a.coop_min_member_share * int(per_v[v])
        too_small = vil.members[v] < need and year - vil.founded[v] >= 2
        if vil.insolvent_years[v] >= a.coop_fail_years or too_small:
            vil.status[v] = EMPTY_SHELL
            vil.audited[v] = False
            vil.found_leak_rate[v] = 0.0
            dissolve(town.plots, pop, int(v), a.shell_trust_loss, year)


def dissolve(plots: Plots, pop: Population, v: int, trust_loss: float, year: int) -> None:
    """An empty shell of village ``v`` stops farming: its leases end with this season (the
    holders get the land back next year) and its members lose ``trust_loss`` of trust."""
    p = plots
    mine = (p.kind == COOP) & (p.operator == v)
    holders = p.holder[mine]
    holders = holders[holders >= 0]
    pop.trust[holders] = np.clip(pop.trust[holders] - trust_loss, 0, 1)
    p.lease_end[mine] = year
