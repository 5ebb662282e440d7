"""A co-op's books: farming its pool, paying members by its rule, its value-adding
activity, leakage and audits, the split of profit, the reserve rule and solvency.

Summary of rules (docs/ODD.md 7.5), for every active co-op in village order after the
households' harvest:

* **Farming**: the co-op farms its pool itself (hiring older villagers) or buys the firm's
  service, whichever is cheaper; pays overhead and its books per mu (the governance body's
  fee, or ``bookkeeping_cost_per_mu`` in proportion to how standard its books are); pays
  members what its benefit-sharing rule owes whatever the harvest, and the collective the
  guarantee on its own pooled land.
* **Activity beyond grain**: with capital in a value-adding activity, it processes what that
  capital allows, with its own market risk (a bad year is a loss).
* **Subsidy, leakage, audit**: government money within the subsidy years; a share of any
  surplus leaks (cut by openness and members' oversight); an audit by the governance body
  every year, or by the government by chance.
* **Split**: profit first repays old debt; what is distributable goes to the reserve, the
  collective and the members by the rule, dividends cut before the co-op would run into debt.
  Unless a members' meeting decides the payout (engaged share at least ``meeting_quorum``) or
  the governance body supervises it, the board keeps ``board_retention`` of the members'
  dividends for the collective. A loss is covered from the reserve.
* **Reserve rule**: the reserve above its cap (:func:`landsim.cooperatives.reserve_cap`) is
  reinvested in the activity (``value_adding``) and the rest paid out by the split.
* **Solvency**: debt beyond ``coop_debt_tolerance`` a mu counts an insolvent year; debt beyond
  the credit line makes the co-op insolvent at once (:func:`landsim.cooperatives.review`).

Parts: :func:`distribute`, :func:`farm_and_share`, :func:`season_reference` (a season's
harvest, costs and stakes with NumPy; compiled: :func:`landsim.coop_kernels.season`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from landsim import compiled, governance, government, services
from landsim.coop_kernels import season
from landsim.cooperatives import (
    base_rate,
    books_cost,
    coop_cash,
    coop_reserve,
    leak_rate,
    production_cost,
    reserve_cap,
    service_price,
)
from landsim.grouping import group_indices
from landsim.labour import HelperPool, hire_villagers
from landsim.sharing import Stakes
from landsim.world import COOP

if TYPE_CHECKING:
    from landsim.params import Params
    from landsim.town import Town

__all__ = ["distribute", "farm_and_share", "season_reference"]


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
    coll_sales: float


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
    members, runs its value-adding activity, receives its subsidy, loses leakage (and may be
    audited), splits its profit, applies its reserve rule and learns from the year."""
    s = _farm(town, params, v, mine, shock, pool)
    _value_adding(town, params, rng, v)
    _subsidy_leakage_audit(town, params, rng, year, v)
    perf = _split_profit(town, params, s)
    perf = perf + _reserve_rule(town, params, s)
    _remember(town, params, s, perf)


def season_reference(
    holders: np.ndarray,
    hilly: np.ndarray,
    quality: np.ndarray,
    yield_factor: float,
    cost_factor: float,
    price: float,
    shock: float,
    mu: float,
    cost: float,
) -> tuple[np.ndarray, ...]:
    """A co-op's season over its pooled plots, with NumPy (the reference of the compiled
    :func:`landsim.coop_kernels.season`): each plot's harvest (``price x quality x yield
    factor x shock x mu``) and land grade (:func:`~landsim.cooperatives.land_grade`); the sums
    of the harvest, of ``cost x cost factor x mu`` and of ``cost factor x mu``; the member
    households (sorted), each one's graded land shares (mu) and sales; the collective's graded
    land (mu) and sales."""
    yf = np.where(hilly, yield_factor, 1.0)
    gross = price * quality * yf * shock * mu
    cf = np.where(hilly, cost_factor, 1.0)
    sums = np.array([gross.sum(), (cost * cf * mu).sum(), (cf * mu).sum()])
    own = holders >= 0
    members = np.unique(holders[own])
    grade = yf * quality
    pos = np.searchsorted(members, holders[own])
    land = np.bincount(pos, weights=grade[own], minlength=members.size) * mu
    sales = np.bincount(pos, weights=gross[own], minlength=members.size).astype(float)
    coll = np.array([grade[~own].sum() * mu, gross[~own].sum()])
    return gross, grade, sums, members, land, sales, coll


def _season(
    holders: np.ndarray, hilly: np.ndarray, quality: np.ndarray, *numbers: float
) -> tuple[np.ndarray, ...]:
    """:func:`season_reference`, on its compiled kernel unless compilation is off."""
    if compiled.enabled():
        return season(holders, hilly, quality, *(float(x) for x in numbers))
    return season_reference(holders, hilly, quality, *numbers)


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
    price = a.gross_revenue_per_mu * a.price_index * (1 + a.coop_price_premium)
    firm_price = service_price(town, lv)
    own_flat = float(
        production_cost(np.zeros(1, bool), area, float(vil.land_mu[v]), a, lv, None)[0]
    )
    if lv.professional_management and lv.firm_enabled:
        own_flat *= 1.0 - a.pro_cost_cut
    vil.uses_firm[v] = uses_firm = firm_price is not None and firm_price < own_flat
    labour_cost = a.coop_labour_days * lv.coop_wage_day
    cost = firm_price if uses_firm else own_flat - labour_cost
    holders = p.holder[mine]
    gross, grade, sums, mem, land, sales, coll = _season(
        holders, p.hilly[mine], p.quality[mine], a.hilly_yield_factor, a.hilly_cost_factor,
        price, shock, mu, cost,
    )  # fmt: skip
    vil.revenue[v] = led.post(acc.outside, account, "crop_sales", sums[0])
    if uses_firm:
        services.serve_coop(town.firm, led, account, float(sums[1]), p, mine, pool, params)
    else:
        led.post(account, acc.outside, "input_costs", float(sums[1]))
        days = a.coop_labour_days * float(sums[2])
        # members first: co-op work comes with membership (docs/ODD.md, section 7.11)
        hire_villagers(pool, led, account, v, days, lv.coop_wage_day, "coop_wage", mem)
    overhead = a.coop_overhead_per_mu * (1.0 - vil.standardization[v]) * area
    led.post(account, acc.outside, "coop_overhead", overhead)
    # books kept to standard cost money: the governance body's fee, or the co-op's own
    kind = "governance_fee" if lv.third_party_governance else "bookkeeping"
    led.post(account, acc.outside, kind, books_cost(float(vil.standardization[v]), lv, a) * area)
    if lv.professional_management and lv.firm_enabled:
        led.post(account, acc.firm, "pro_management", lv.pro_management_fee * area)
    # what the rule owes members whatever the harvest; collective land is paid as rent
    vil.members[v] = mem.size
    labour = pool.coop_days[mem] if mem.size else np.zeros(0)
    stakes = Stakes(mu=land, labour_days=labour, sales=sales)
    rule = vil.rules[v]
    base = rule.base(stakes)
    led.post(account, mem, "coop_base", base)
    coll_shares = float(coll[0])
    led.post(account, acc.collective0 + v, "rent", base_rate(rule) * coll_shares)
    return _Season(v, mine, gross, holders, mem, stakes, base, coll_shares, float(coll[1]))


def _value_adding(town: Town, params: Params, rng: np.random.Generator, v: int) -> None:
    """The co-op's activity beyond grain (processing, a brand): it processes the produce of as
    many mu as its capital allows (``venture_capital_per_mu`` a mu, at most its pooled area),
    adding ``venture_revenue_per_mu`` a mu times a market shock ``exp(N(0, s) - s^2/2)`` (``s
    = venture_risk_sd``, its own risk) at ``venture_cost_per_mu`` a mu; a bad year is a loss.
    Its capital then wears out by ``venture_depreciation``."""
    a, vil, led = params.assumptions, town.villages, town.ledger
    vil.venture_income[v] = 0.0
    capital = float(vil.venture_capital[v])
    if capital <= 0:
        return
    processed = min(float(vil.area[v]), capital / a.venture_capital_per_mu)
    sd = a.venture_risk_sd
    shock = float(np.exp(rng.normal(0.0, sd) - sd * sd / 2)) if sd > 0 else 1.0
    net = processed * (a.venture_revenue_per_mu * shock - a.venture_cost_per_mu)
    account = led.accounts.coop0 + v
    if net >= 0:
        net = led.post(led.accounts.outside, account, "value_added", net)
    else:
        net = -led.post(account, led.accounts.outside, "value_added", -net)
    vil.venture_income[v] = net
    vil.venture_capital[v] = capital * (1.0 - a.venture_depreciation)


def _subsidy_leakage_audit(
    town: Town, params: Params, rng: np.random.Generator, year: int, v: int
) -> None:
    """Government money (may be cut when the town budget runs out); leakage, a share of the
    year's surplus cut by openness and members' oversight; then an audit: every year by the
    third-party governance body where there is one, else maybe by the government."""
    a, lv = params.assumptions, params.levers
    led, vil = town.ledger, town.villages
    account = led.accounts.coop0 + v
    vil.subsidy[v] = government.pay_subsidy(town.government, led, lv, vil, v, year)
    surplus = float(led.net_this_year(account, account + 1)[0])
    vil.leak_rate[v] = rate = leak_rate(vil.transparency[v], vil.engaged_share[v], a)
    vil.leakage[v] = led.post(account, led.accounts.outside, "leakage", rate * max(surplus, 0.0))
    if governance.supervises(lv):  # the independent body audits every year
        audited, found_rate = True, governance.audit(led, lv, a, vil, v)
    else:
        audited, found_rate = government.audit(town.government, led, lv, a, vil, v, rng)
    vil.audited[v], vil.found_leak_rate[v] = audited, found_rate


def _split_profit(town: Town, params: Params, s: _Season) -> np.ndarray:
    """Profit is this year's net flow; it first pays off old debt, and dividends are cut so
    that paying them never puts the co-op into debt. What is distributable goes to the reserve,
    the collective and the members (by the rule; under a fixed rent the members' share stays in
    the reserve). Unless a members' meeting decides the payout (engaged share at least
    ``meeting_quorum``) or the governance body supervises it, the board keeps
    ``board_retention`` of the members' dividends for the collective. A loss is covered from
    the reserve. Returns each member's performance pay."""
    led, vil, v = town.ledger, town.villages, s.v
    acc = led.accounts
    account, reserve, collective = acc.coop0 + v, acc.reserve0 + v, acc.collective0 + v
    vil.profit[v] = profit = float(led.net_this_year(account, account + 1)[0])
    cash = coop_cash(town, v)
    old_debt = max(0.0, -(cash - profit))
    distributable = profit - min(max(profit, 0.0), old_debt)
    distributable = min(distributable, max(cash, 0.0))
    perf = np.zeros(s.members.size)
    vil.retained[v], vil.meeting_held[v] = 0.0, False
    split = vil.terms[v] or params.levers
    rule = vil.rules[v]
    if distributable > 0:
        led.post(account, reserve, "to_reserve", split.reserve_share * distributable)
        led.post(account, collective, "to_collective", split.collective_share * distributable)
        pool = split.member_share * distributable
        # the members' meeting (or an independent supervisor) holds the board to the rule;
        # otherwise the board keeps part of the members' dividends for the collective
        vil.meeting_held[v] = vil.engaged_share[v] >= params.assumptions.meeting_quorum
        held = vil.meeting_held[v] or governance.supervises(params.levers)
        if rule.performance_linked and not held:
            vil.retained[v] = led.post(
                account, collective, "to_collective", params.assumptions.board_retention * pool
            )
            pool -= vil.retained[v]
        if rule.performance_linked:  # the collective's own pooled land holds shares too
            perf = _bonus(town, params, s, pool)
        else:
            led.post(account, reserve, "to_reserve", pool)
    elif cash < 0:
        cover = min(-cash, coop_reserve(town, v))
        led.post(reserve, account, "from_reserve", cover)
    return perf


def _bonus(town: Town, params: Params, s: _Season, amount: float) -> np.ndarray:
    """Pay ``amount`` yuan from the co-op's account by its rule's bonus among members and the
    collective for its own pooled land (to the collective alone under a rule without a
    profit share). Returns each member's share."""
    led, v = town.ledger, s.v
    account, collective = led.accounts.coop0 + v, led.accounts.collective0 + v
    rule = town.villages.rules[v]
    if not rule.performance_linked:
        led.post(account, collective, "to_collective", amount)
        return np.zeros(s.members.size)
    shared = Stakes(
        mu=np.append(s.stakes.mu, s.coll_shares),
        labour_days=np.append(s.stakes.labour_days, 0.0),
        sales=np.append(s.stakes.sales, s.coll_sales),
    )
    paid = rule.bonus(amount, shared)
    # members and the collective in one post: the same flows, each rounded to fen
    led.post(account, np.append(s.members, collective), "coop_bonus", paid)
    return paid[:-1]


def _reserve_rule(town: Town, params: Params, s: _Season) -> np.ndarray:
    """The reserve above its cap (:func:`reserve_cap`) is first reinvested in the value-adding
    activity (with ``value_adding``, up to the capital the pooled area can use), and the rest
    paid out: the members' and the collective's shares of the split, by the rule (members get
    nothing under a rule without a profit share). Returns each member's payout."""
    led, vil, v = town.ledger, town.villages, s.v
    a, lv = params.assumptions, params.levers
    acc = led.accounts
    excess = coop_reserve(town, v) - reserve_cap(town, v, params)
    if excess <= 0 or coop_cash(town, v) < 0:
        return np.zeros(s.members.size)
    if lv.value_adding:
        need = a.venture_capital_per_mu * float(vil.area[v]) - float(vil.venture_capital[v])
        invest = led.post(acc.reserve0 + v, acc.outside, "investment", min(excess, need))
        vil.venture_capital[v] += invest
        excess -= invest
    if excess <= 0:
        return np.zeros(s.members.size)
    account = acc.coop0 + v
    excess = led.post(acc.reserve0 + v, account, "payout", excess)
    split = vil.terms[v] or lv
    paid_out = split.collective_share + split.member_share
    if paid_out <= 0:
        led.post(account, acc.reserve0 + v, "to_reserve", excess)
        return np.zeros(s.members.size)
    to_collective = excess * split.collective_share / paid_out
    led.post(account, acc.collective0 + v, "to_collective", to_collective)
    return _bonus(town, params, s, excess * split.member_share / paid_out)


def _remember(town: Town, params: Params, s: _Season, perf: np.ndarray) -> None:
    """Members remember their pay per mu; the co-op's expected bonus follows results; a co-op
    in debt beyond ``coop_debt_tolerance`` per mu counts another insolvent year, and one whose
    debt (after its reserve covered what it could) exceeds its credit line,
    ``coop_credit_per_mu`` per mu of village land, is insolvent at once."""
    a, vil, pop, v = params.assumptions, town.villages, town.population, s.v
    member_mu = np.maximum(s.stakes.mu, 1e-9)
    pop.perf_pay[s.members] = perf / member_mu
    pop.coop_pay[s.members] = (s.base + perf) / member_mu
    if s.members.size:
        w = a.expectation_weight
        got = float(perf.sum() / member_mu.sum())
        vil.expected_bonus[v] += w * (got - vil.expected_bonus[v])
    tolerance = a.coop_debt_tolerance * max(vil.area[v], params.world.plot_size_mu)
    debt = max(0.0, -coop_cash(town, v))
    vil.insolvent_years[v] = vil.insolvent_years[v] + 1 if debt > tolerance else 0
    if debt > a.coop_credit_per_mu * float(vil.land_mu[v]):  # losses beyond reserve and credit
        vil.insolvent_years[v] = max(int(vil.insolvent_years[v]), a.coop_fail_years)
