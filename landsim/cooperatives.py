"""The Party-branch-led cooperative (党支部领办合作社) of a village: founding, pooling land,
farming and sharing benefits by books that bind, and failing.

Summary of rules:

* **Founding** (:func:`found_coops`): with ``coop_founding = "all"`` every branch founds a
  co-op, the strongest first, spread over ``founding_spread_years`` (:func:`founding_cohort`);
  with ``"endogenous"`` a branch appraises one (chance ``founding_rate`` a year) and founds
  when it expects at least ``founding_hurdle`` a year per mu of village land (:func:`appraise`);
  a branch secretary may decide instead. The town pays a start-up grant.
* **Pooling** (:func:`pool_offered_land`, :func:`accept`, :func:`book_selection`): a co-op
  takes offered plots whose expected margin (revenue - production cost - overhead - the
  rule's guaranteed payment + the subsidy a lease can count on - a fragmentation cost;
  :func:`plot_margin`) covers a risk margin (:func:`risk_margin`), best first; a loss-making
  plot only while the losses stay within ``coop_mission_share`` of the expected surplus on
  paying land (what covers the loss). Its managers' span caps the area (:func:`capacity_mu`).
  Leases run staggered terms (:func:`lease_term`) and are renewed when both sides gain
  (:func:`renew_leases`).
* **Farming and sharing** (:func:`landsim.books.distribute`): a co-op farms its pool
  itself (hiring older villagers) or buys the firm's service, whichever is cheaper; pays its
  books (own bookkeeping or the governance body's fee); pays members what its
  benefit-sharing rule owes; runs its value-adding activity; receives the subsidy; loses a
  share of any surplus to leakage that transparency, member oversight and audits cut; splits
  what is left into reserve, collective and member shares, cutting dividends before it would
  run into debt — and a board not held to the rule by a members' meeting or a supervisor
  keeps part of the members' dividends. The reserve above its cap (:func:`reserve_cap`) is
  reinvested in the activity or paid out.
* **Failure** (:func:`review`, :func:`dissolve`): a co-op whose debt exceeds its credit line
  (losses beyond reserve and credit), or in debt ``coop_fail_years`` years, or with too few
  members taking part from its third year, becomes an empty shell; its leases end with the
  season and its members lose trust.

A co-op's state is a row of :class:`~landsim.villages.Villages`; its money is two ledger
accounts (cash and reserve fund). Pooling runs on compiled kernels (:mod:`landsim.coop_kernels`:
``pool_inputs``, ``accept_offers``, ``expected_margins``) unless compilation is off.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from landsim import compiled, government
from landsim.coop_kernels import accept_offers, expected_margins, pool_inputs
from landsim.coop_reference import pool_inputs_reference
from landsim.decisions import BranchChoice, branch_terms
from landsim.population import Population
from landsim.sharing import SharingRule, Stakes, make_rule
from landsim.villages import ACTIVE, EMPTY_SHELL, NONE, Villages
from landsim.world import COLLECTIVE, COOP, HOUSEHOLD_LEASE, Plots

if TYPE_CHECKING:
    from landsim.params import Assumptions, Levers, Params
    from landsim.town import Town

__all__ = [
    "land_grade",
    "risk_margin",
    "term_subsidy",
    "book_selection",
    "initial_management",
    "production_cost",
    "plot_margin",
    "margin_terms",
    "leak_rate",
    "Appraisal",
    "appraise",
    "base_rate",
    "members",
    "found_coops",
    "founding_cohort",
    "found",
    "follow_levers",
    "capacity_mu",
    "pool_offered_land",
    "lease_term",
    "renew_leases",
    "accept",
    "service_price",
    "coop_cash",
    "coop_reserve",
    "books_cost",
    "review",
    "dissolve",
    "reserve_cap",
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
    cost - overhead x (1 - standardization) - the cost of its books (:func:`books_cost`) -
    guaranteed payment x land grade + subsidy``."""
    yf = np.where(hilly, a.hilly_yield_factor, 1.0)
    gross = a.gross_revenue_per_mu * a.price_index * (1 + a.coop_price_premium) * quality * yf
    cost = production_cost(hilly, area, village_mu, a, lv, firm_price)
    overhead = a.coop_overhead_per_mu * (1.0 - standardization) + books_cost(standardization, lv, a)
    fee = lv.pro_management_fee if (lv.professional_management and firm_price is not None) else 0
    return gross - cost - overhead - fee - base_rate * land_grade(hilly, quality, a) + subsidy


def margin_terms(*inputs, uncovered: float) -> np.ndarray:
    """What :func:`plot_margin` (``inputs``: its arguments after ``quality``) and the share
    ``uncovered`` of :func:`risk_margin` apply to each plot (:mod:`landsim.coop_kernels`)."""
    area, village_mu, standardization, base, subsidy, a, lv, firm_price = inputs
    own = production_cost(np.zeros(1, bool), area, village_mu, a, lv, firm_price)[0]
    overhead = a.coop_overhead_per_mu * (1.0 - standardization) + books_cost(standardization, lv, a)
    fee = lv.pro_management_fee if (lv.professional_management and firm_price is not None) else 0
    price = a.gross_revenue_per_mu * a.price_index * (1 + a.coop_price_premium)
    yf, cf, risk = a.hilly_yield_factor, a.hilly_cost_factor, a.coop_risk_margin * a.yield_shock_sd
    terms = (price, yf, cf, own, overhead, fee, base, subsidy, risk, uncovered)
    return np.array(terms, dtype=np.float64)


def risk_margin(hilly: np.ndarray, quality: np.ndarray, a: Assumptions) -> np.ndarray:
    """Weather risk a co-op wants each plot's expected margin to cover (yuan/mu):
    ``coop_risk_margin`` standard deviations of the harvest's value, ``yield_shock_sd x gross``."""
    yf = np.where(hilly, a.hilly_yield_factor, 1.0)
    gross = a.gross_revenue_per_mu * a.price_index * (1 + a.coop_price_premium) * quality * yf
    return a.coop_risk_margin * a.yield_shock_sd * gross


def term_subsidy(lv: Levers, years_left: float) -> float:
    """The per-mu subsidy a co-op can count on over a new lease (yuan/mu/yr): the subsidy of
    the years it still runs, spread over the mean lease term (the books do not count on money
    that ends before the lease does)."""
    if lv.subsidy_per_mu <= 0 or years_left <= 0:
        return 0.0
    term = (lv.coop_lease_years_min + lv.coop_lease_years) / 2.0
    return lv.subsidy_per_mu * min(years_left, term) / term


def book_selection(net: np.ndarray, room: int, surplus: float, lv: Levers) -> np.ndarray:
    """Which plots a co-op's books allow it to take (indices into ``net``, best first).

    ``net``: each offered plot's expected margin less its risk margin (yuan/mu of plot);
    ``room``: plots its managers can still run; ``surplus``: the expected surplus (yuan) of the
    land it runs already. Plots that pay their way are taken best first. A loss-making plot
    (down to ``coop_social_mission`` per mu) is taken only while the losses taken stay within
    ``coop_mission_share`` of the expected surplus on paying land: what covers the loss is
    named — the co-op's own surplus on its better land.
    """
    order = np.argsort(-net, kind="stable")[: max(room, 0)]
    order = order[net[order] >= -lv.coop_social_mission]
    paying = order[net[order] >= 0]
    losing = order[net[order] < 0]
    budget = lv.coop_mission_share * max(0.0, surplus + float(net[paying].sum()))
    spent = np.cumsum(-net[losing])
    return np.concatenate((paying, losing[spent <= budget])).astype(np.int64)


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

    The branch pools the plots its books allow (:func:`book_selection`: margins, with its own
    management quality and the subsidy a lease can count on, that cover a risk margin, and
    loss-making plots within its mission budget), best first, up to what its managers can run;
    the profit deducts the fixed cost of its books and expected leakage and adds the grant
    spread over a mean lease term. Stronger branches run coops with better management: lower
    overhead, less leakage and a wider span.
    """
    base = base_rate(rule)
    mgmt = initial_management(strength, a)
    years = (lv.coop_lease_years_min + lv.coop_lease_years) / 2.0
    subsidy = term_subsidy(lv, lv.subsidy_years)
    room = int(a.coop_span_share * mgmt * village_mu // plot_mu)
    area = min(room, np.size(hilly)) * plot_mu
    m = plot_margin(hilly, quality, area, village_mu, mgmt, base, subsidy, a, lv, firm_price)
    net = m - risk_margin(hilly, quality, a)
    took = book_selection(net, room, 0.0, lv)
    m = m[took]
    surplus = float(m.sum()) * plot_mu
    leak = leak_rate(mgmt, 0.0, a) * max(surplus, 0.0)
    profit = surplus - leak + lv.startup_grant / years
    pooled = m.size * plot_mu
    dividend = lv.member_share * max(surplus - leak, 0.0) / pooled if pooled else 0.0
    return Appraisal(profit=profit, area=pooled, dividend=dividend)


_ONE_MU = Stakes(np.ones(1), np.zeros(1), np.zeros(1))  # one mu, no labour, no sales


def base_rate(rule: SharingRule) -> float:
    """Guaranteed payment per mu under ``rule`` (yuan/mu; 0 under pure shareholding)."""
    return float(rule.base(_ONE_MU)[0])


def books_cost(standardization: float, lv: Levers, a: Assumptions) -> float:
    """Cost of a co-op's books per mu it operates (yuan/mu/yr): the governance body's fee when
    one keeps them, else ``bookkeeping_cost_per_mu`` in proportion to how standard they are."""
    if lv.third_party_governance:
        return float(lv.governance_fee)
    return float(a.bookkeeping_cost_per_mu * standardization)


def members(plots: Plots, pop: Population) -> np.ndarray:
    """Mask of living households with at least one plot in a cooperative."""
    in_coop = (plots.kind == COOP) & (plots.holder >= 0)
    mask = np.zeros(pop.n_households, dtype=bool)
    mask[plots.holder[in_coop]] = True
    return mask & pop.hh_alive


def service_price(town: Town, lv: Levers) -> float | None:
    """The firm's price per mu (yuan/mu), or None when no firm operates."""
    return town.firm.price if lv.firm_enabled else None


def coop_cash(town: Town, v: int) -> float:
    """Cash of the co-op of village ``v`` (yuan; negative: debt)."""
    return float(town.ledger.balance_yuan(town.ledger.accounts.coop0 + v))


def coop_reserve(town: Town, v: int) -> float:
    """Reserve fund of the co-op of village ``v`` (yuan)."""
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
    firm_price = service_price(town, lv)
    model_founds = lv.coop_founding != "none"
    looks = rng.random(w.n_villages) if model_founds else np.ones(w.n_villages)
    noise = rng.normal(0.0, a.appraisal_sd, w.n_villages) if model_founds else looks * 0
    ready = on_offer = None  # worked out once a branch may found
    for v in np.flatnonzero(vil.status == NONE).tolist():
        choice = branches.get(v)  # a secretary decides instead of the branch's rule
        if choice is not None and not choice.found:
            continue
        if ready is None:  # "all": the strongest branches first
            ready = founding_cohort(vil.strength, lv) < year
        if choice is None:
            if not model_founds or vil.strength[v] < lv.founding_min_strength:
                continue
            if lv.coop_founding == "endogenous" and looks[v] >= a.founding_rate:
                continue
            if lv.coop_founding == "all" and not ready[v]:
                continue
        terms = branch_terms(lv, choice) if choice is not None else None
        rule = make_rule(terms or lv)
        if on_offer is None:
            on_offer = _on_offer(p)
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


def _on_offer(p: Plots) -> np.ndarray:
    """Land a co-op could pool (mask): released or idle last year, the collective's unlet land,
    and land households lease to each other (its holders could join instead)."""
    return p.released | ((p.holder == COLLECTIVE) & ~p.leased()) | (p.kind == HOUSEHOLD_LEASE)


def founding_cohort(strength: np.ndarray, lv: Levers) -> np.ndarray:
    """When every branch founds (``coop_founding = "all"``), the year before which each
    village's branch founds its co-op (0: in year 1): branches at least
    ``founding_min_strength`` strong, ranked strongest first (ties by village), are spread
    evenly over ``founding_spread_years``, as Yantai's rollout went from pilot villages to
    demonstration villages to the whole city."""
    order = np.lexsort((np.arange(strength.size), -strength))
    eligible = strength[order] >= lv.founding_min_strength
    rank = np.cumsum(eligible) - 1
    cohort = np.full(strength.size, np.iinfo(np.int64).max // 2, dtype=np.int64)
    n = max(int(eligible.sum()), 1)
    cohort[order[eligible]] = rank[eligible] * lv.founding_spread_years // n
    return cohort


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
    vil.founding_strength[v] = vil.strength[v]
    vil.transparency[v] = initial
    vil.standardization[v] = initial
    vil.insolvent_years[v] = 0
    vil.expected_bonus[v] = promise if rule.performance_linked else 0.0
    for arr in (vil.area, vil.engaged_share, vil.revenue, vil.profit, vil.leakage):
        arr[v] = 0.0
    vil.leak_rate[v] = vil.subsidy[v] = vil.found_leak_rate[v] = 0.0
    vil.members[v] = 0
    vil.audited[v] = vil.uses_firm[v] = vil.meeting_held[v] = False
    vil.retained[v] = vil.venture_capital[v] = vil.venture_income[v] = 0.0
    vil.rules[v] = rule
    vil.terms[v] = terms


def follow_levers(vil: Villages, levers: Levers) -> None:
    """Every co-op's rule with the numbers of its branch's own terms, or else of the town's
    ``levers`` (after a dated change of levers)."""
    for v in np.flatnonzero(vil.status != NONE):
        vil.rules[v] = make_rule(vil.terms[v] or levers)


# ---------------------------------------------------------------------------------- pooling
def capacity_mu(town: Town, v: int, a: Assumptions) -> float:
    """Most land the co-op of village ``v`` can operate (mu): its managers' span,
    ``coop_span_share`` of the village's land at full standardization and in proportion to it
    (standard procedures let the same cadres run more land). Money limits what it takes through
    its books (:func:`book_selection`) and its solvency (:func:`review`), not through a cap."""
    vil = town.villages
    return max(0.0, a.coop_span_share * float(vil.standardization[v]) * float(vil.land_mu[v]))


def lease_term(lv: Levers, rng: np.random.Generator, n: int) -> np.ndarray:
    """Terms of ``n`` new or renewed co-op leases (years), drawn uniformly from
    ``coop_lease_years_min`` to ``coop_lease_years``: leases signed together end apart."""
    return rng.integers(lv.coop_lease_years_min, lv.coop_lease_years + 1, size=n)


def pool_offered_land(
    town: Town,
    params: Params,
    channel: np.ndarray,
    free_coll: np.ndarray,
    year: int,
    rng: np.random.Generator,
) -> None:
    """Each active co-op takes the plots of its village offered to it (``channel == COOP``)
    and the collective's unlet land (``free_coll``) that its books allow (:func:`accept`), on
    leases of staggered terms (:func:`lease_term`); contiguity counts land it pools already or
    is offered."""
    p, vil = town.plots, town.villages
    shape = np.array([p.height, p.width, params.world.n_villages])
    args = (p.kind, p.operator, p.village, channel, free_coll, vil.status == ACTIVE, p.cell)
    find = pool_inputs if compiled.enabled() else pool_inputs_reference
    offered_idx, offer_at, contiguity, in_pool, pool_at = find(*args, shape, COOP)
    for v in vil.active():
        offered = offered_idx[offer_at[v] : offer_at[v + 1]]
        if offered.size == 0:
            continue
        pooled = in_pool[pool_at[v] : pool_at[v + 1]]
        near = contiguity[offer_at[v] : offer_at[v + 1]]
        took = accept(town, params, int(v), offered, near, pooled, year)
        take = offered[took]
        if take.size == 0:
            continue
        p.kind[take] = COOP
        p.operator[take] = v
        p.rent[take] = base_rate(vil.rules[v])
        p.lease_start[take] = year
        p.lease_end[take] = year + lease_term(params.levers, rng, take.size) - 1


def _expected_margins(
    town: Town, params: Params, v: int, plots: np.ndarray, area: float, year: int
) -> np.ndarray:
    """Expected margin less the risk margin of running each of ``plots`` (yuan/mu) for the
    co-op of village ``v`` at pooled ``area``, with the subsidy a new lease can count on; the
    risk margin counts only the share of the weather risk its reserve fund does not cover
    (``1 - reserve / cap``). On the compiled kernel unless compilation is off."""
    p, a = town.plots, params.assumptions
    inputs, uncovered = _margin_inputs(town, params, v, area, year)
    if compiled.enabled():
        terms = margin_terms(*inputs, uncovered=uncovered)
        return expected_margins(p.hilly[plots], p.quality[plots], terms)
    margin = plot_margin(p.hilly[plots], p.quality[plots], *inputs)
    return margin - uncovered * risk_margin(p.hilly[plots], p.quality[plots], a)


def _margin_inputs(town: Town, params: Params, v: int, area: float, year: int) -> tuple:
    """:func:`plot_margin`'s arguments after ``quality`` for the co-op of village ``v``, and the
    share of the weather risk its reserve fund (as far as it reaches its cap) does not cover."""
    lv, vil = params.levers, town.villages
    years_left = lv.subsidy_years - (year - int(vil.founded[v]))
    inputs = (
        area, vil.land_mu[v], vil.standardization[v], base_rate(vil.rules[v]),
        term_subsidy(lv, years_left), params.assumptions, lv, service_price(town, lv),
    )  # fmt: skip
    cover = coop_reserve(town, v) / max(reserve_cap(town, v, params), 1.0)
    return inputs, max(0.0, 1.0 - cover)


def accept(
    town: Town,
    params: Params,
    v: int,
    plots: np.ndarray,
    contiguity: np.ndarray,
    pooled: np.ndarray,
    year: int,
) -> np.ndarray:
    """Which of the offered ``plots`` (indices, all in village ``v``) its co-op takes (mask):
    those its books allow (:func:`book_selection`) within its managers' span.

    Args:
        town: the town's state.
        params: the parameters.
        v: the co-op's village.
        plots: offered plot indices.
        contiguity: for each offered plot, the share of its 4 neighbours already pooled by
            this co-op or offered to it.
        pooled: plots the co-op operates under running leases.
        year: the current year.
    """
    a, lv = params.assumptions, params.levers
    mu = params.world.plot_size_mu
    pooled_mu = pooled.size * mu
    room = int((capacity_mu(town, v, a) - pooled_mu) // mu)
    take = np.zeros(plots.size, dtype=bool)
    if room <= 0:
        return take
    area = pooled_mu + min(room, plots.size) * mu
    if compiled.enabled():  # the same, in one compiled call
        p, (inputs, uncover) = town.plots, _margin_inputs(town, params, v, area, year)
        args = (p.hilly[plots], p.quality[plots], np.asarray(contiguity, dtype=np.float64))
        args += (p.hilly[pooled], p.quality[pooled], margin_terms(*inputs, uncovered=uncover))
        numbers = (a.fragmentation_cost, mu, lv.coop_social_mission, lv.coop_mission_share)
        take[accept_offers(*args, np.array(numbers), room)] = True
        return take
    net = _expected_margins(town, params, v, plots, area, year)
    net = net - a.fragmentation_cost * (1.0 - contiguity)
    running = float(_expected_margins(town, params, v, pooled, area, year).sum()) * mu
    take[book_selection(net, room, running, lv)] = True
    return take


def renew_leases(town: Town, params: Params, rng: np.random.Generator, year: int) -> None:
    """Before leases expire: each active co-op's leases that ended last year are renewed for a
    new staggered term when both sides gain. The co-op renews a plot whose expected margin
    covers its risk margin, or a loss within its social mission; a member renews when what the
    co-op paid per share last year (times the plot's grade) plus the value of its trust
    (``trust_weight x (trust - 1/2)``) reaches the lease return it expects for that terrain;
    the collective renews its own land."""
    p, vil, pop = town.plots, town.villages, town.population
    a, lv = params.assumptions, params.levers
    due = np.flatnonzero((p.kind == COOP) & (p.lease_end == year - 1))
    due = due[vil.status[p.operator[due]] == ACTIVE]
    if due.size == 0:
        return
    mu = params.world.plot_size_mu
    by = p.operator[due]
    # the holders' side, plot by plot: what the co-op paid a share plus the value of trust
    h = p.holder[due]
    member = h >= 0
    hh = np.where(member, h, 0)
    grade = land_grade(p.hilly[due], p.quality[due], a)
    outside = vil.lease_return[by, p.hilly[due].astype(np.int64)]
    value = pop.coop_pay[hh] * grade + a.trust_weight * (pop.trust[hh] - 0.5)
    renew = ~member | (value >= outside)
    # the co-op's side, village by village: the plot's expected margin at its pooled area
    n_plots = np.bincount(p.operator[p.kind == COOP], minlength=vil.n)
    rate = np.zeros(vil.n)
    for v in np.unique(by):
        rate[v] = base_rate(vil.rules[v])
        at = np.flatnonzero(by == v)
        area = float(n_plots[v]) * mu
        co_op = _expected_margins(town, params, int(v), due[at], area, year)
        renew[at] &= co_op >= -lv.coop_social_mission
    again = due[renew]
    if again.size:
        p.rent[again] = rate[p.operator[again]]
        p.lease_end[again] = year - 1 + lease_term(lv, rng, again.size)


def reserve_cap(town: Town, v: int, params: Params) -> float:
    """The reserve fund the co-op of village ``v`` keeps (yuan): ``reserve_cap_per_mu`` per mu
    it can operate (:func:`capacity_mu`), and never less than the start-up grant (working
    capital, not profit to pay out)."""
    lv = params.levers
    return max(lv.reserve_cap_per_mu * capacity_mu(town, v, params.assumptions), lv.startup_grant)


# ---------------------------------------------------------------------------------- failure
def review(town: Town, params: Params, year: int) -> None:
    """End of year, every active co-op in village order: fail into an empty shell after
    ``coop_fail_years`` years in debt, or from its third year when fewer of its members take
    part (engage) than ``coop_min_member_share`` of the village's households: a co-op in name
    only, its members no longer taking part (:func:`dissolve`; docs/ODD.md, section 7.5)."""
    a, vil, pop = params.assumptions, town.villages, town.population
    per_v = np.bincount(pop.hh_village[pop.hh_alive], minlength=params.world.n_villages)
    for v in vil.active():
        need = a.coop_min_member_share * int(per_v[v])
        taking_part = vil.members[v] * vil.engaged_share[v]
        too_small = taking_part < need and year - vil.founded[v] >= 2
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
