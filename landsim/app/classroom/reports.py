"""What each person in a class sees, built from the class's towns (no solara; numbers and keys,
the pages word them).

* :func:`household_view` — a household: members, field days, each plot with its size, terrain
  and what each way of using it would bring this year (:mod:`~landsim.app.classroom.prospects`),
  what happened to it last year and why (:func:`~landsim.app.classroom.classtown.plot_story`),
  the plots it leases in, and last year's income line by line;
* :func:`branch_view` — a Party branch secretary: the village's co-op and its books, the
  village's land, and the terms the secretary may set;
* :func:`government_view` — the town government: its levers and what its money did;
* :func:`debrief` — the class's town against the model's own, outcome by outcome;
* :func:`role_results` — each student's result in both towns, as numbers a sentence is made of;
* :func:`class_outcomes` — a town's yearly outcomes counted in the class's years.

Each takes a :class:`~landsim.app.classroom.room.Classroom` and holds its lock while it reads.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from landsim.app.classroom.classtown import INCOME_ORDER, plot_story
from landsim.app.classroom.prospects import plot_terms
from landsim.decisions import field_days_needed, free_plots, options
from landsim.villages import ACTIVE, NONE, STATUS_NAMES
from landsim.world import COOP, CUSTODY, HOUSEHOLD_LEASE, IDLE, OWN

if TYPE_CHECKING:
    from landsim.app.classroom.room import Classroom
    from landsim.model import LandModel

__all__ = [
    "household_view",
    "branch_view",
    "government_view",
    "debrief",
    "role_results",
    "class_outcomes",
    "DEBRIEF_METRICS",
    "TOWN_METRICS",
]

#: outcomes compared in the debrief (columns of LandModel.outcomes())
DEBRIEF_METRICS = (
    "abandonment_rate",
    "household_income_mean",
    "household_income_65plus",
    "participation_rate",
    "coop_land_share",
    "collective_income_mean",
)
#: outcomes a branch secretary and the government read about the town
TOWN_METRICS = (*DEBRIEF_METRICS, "coops_active", "coops_empty_shell", "lease_rent_mean")


def _locked[F: Callable[..., Any]](fn: F) -> F:
    """``fn(room, ...)`` while holding the class's lock (a year closing meanwhile waits)."""

    @functools.wraps(fn)
    def run(room, *args, **kwargs):
        with room.lock:
            return fn(room, *args, **kwargs)

    return run  # type: ignore[return-value]


#: the page's starting choice for a free plot, by what the plot was last year
_LAST_USE = {OWN: "keep", HOUSEHOLD_LEASE: "lease", COOP: "coop", CUSTODY: "custody"}


@_locked
def household_view(room: Classroom, household: int) -> dict[str, Any]:
    """What a household knows before it decides, and what happened last year."""
    m = room.town
    pop, p = m.population, m.plots
    h = household
    v = int(pop.hh_village[h])
    sel = (pop.m_hh == h) & pop.m_alive
    members = [
        {"age": int(age), "away": bool(away)}
        for age, away in zip(pop.m_age[sel], pop.m_away[sel], strict=True)
    ]
    free = set(free_plots(m, h).tolist())
    mine = np.flatnonzero(p.holder == h)
    terms = plot_terms(m, mine)
    stories = plot_story(m, h)
    story = {s["plot"]: s for s in stories["held"]}
    opts = options(m, h)
    days = float(m.field_days()[h])
    left = days
    plots = []
    for k, i in enumerate(mine.tolist()):
        is_free = i in free
        plot = {
            "plot": i,
            "hilly": bool(p.hilly[i]),
            "quality": round(float(p.quality[i]), 2),
            "mu": terms.mu,
            "free": is_free,
            "last": story[i],
            "terms": _terms(terms, k),
        }
        if is_free:
            # the page's starting choice: what the plot was last year, while still open (a
            # plot it farmed: while its field days last)
            choice = _LAST_USE.get(int(p.kind[i]), "lease")
            if choice == "keep":
                cost = field_days_needed(m, np.array([i]))
                choice = "keep" if cost <= left else "lease"
                left -= cost if choice == "keep" else 0.0
            plot["default"] = choice if choice in opts else "lease"
        plots.append(plot)
    a, lv = m.params.assumptions, m.params.levers
    need = a.labour_days_flat * m.params.world.plot_size_mu
    income = m.income_by_source.get(h, {})
    lines = [(k, income[k]) for k in INCOME_ORDER if income.get(k)]
    lines += [(k, x) for k, x in sorted(income.items()) if k not in INCOME_ORDER and x]
    coop = None
    if m.villages.status[v] == ACTIVE:
        rule = m.villages.rules[v]
        coop = {"rule": rule.name, "bonus_per_mu": float(m.villages.expected_bonus[v])}
    return {
        "household": h,
        "village": v,
        "alive": bool(pop.hh_alive[h]),
        "members": members,
        "field_days": max(days, 0.0),
        "plots_you_can_farm": int(max(days, 0.0) // need) if need else 0,
        "plots": plots,
        "leased_in": stories["leased_in"],
        "income": lines,
        "income_total": float(sum(x for _, x in lines)),
        "options": list(opts),
        "coop": coop,
        "lease_years": (a.lease_years_min, a.lease_years_max),
        "coop_years": (lv.coop_lease_years_min, lv.coop_lease_years),
        "relatives": _relatives_nearby(m, h),
        "member": bool(m.member_mask()[h]),
        "engaged": bool(room.engage.get(h, pop.engaged[h])),
        "decision": dict(room.plots.get(h, {})),
    }


def _terms(terms, k: int) -> dict[str, Any]:
    """What each way of using plot ``k`` of ``terms`` brings (yuan for the plot)."""
    harvest, costs = float(terms.harvest[k]), float(terms.costs[k])
    out: dict[str, Any] = {
        "keep": {"net": harvest - costs, "harvest": harvest, "costs": costs,
                 "days": float(terms.days[k])},
        "lease": {"rent": float(terms.lease[k])},
        "coop": None,
        "custody": None,
    }  # fmt: skip
    if terms.coop_open:
        base, bonus = float(terms.coop_base[k]), float(terms.coop_bonus[k])
        out["coop"] = {"base": base, "bonus": bonus, "total": base + bonus}
    if terms.custody_open:
        price = float(terms.custody_price[k])
        out["custody"] = {"price": price, "harvest": harvest, "net": harvest - price}
    return out


def _relatives_nearby(m: LandModel, h: int) -> int:
    """Living households of ``h``'s village that ``h`` has kin ties with."""
    k, pop = m.kin, m.population
    kin = np.unique(k.dst[k.src == h])
    kin = kin[pop.hh_alive[kin] & (pop.hh_village[kin] == pop.hh_village[h])]
    return int(kin.size)


@_locked
def branch_view(room: Classroom, village: int) -> dict[str, Any]:
    """What a branch secretary knows: the village's co-op and its books, the village's land,
    and the terms in force (the branch's own, else the town's)."""
    m = room.town
    vil, p, pop = m.villages, m.plots, m.population
    v = village
    status = int(vil.status[v])
    lv = (vil.terms[v] if status != NONE and vil.terms[v] else None) or m.params.levers
    mine = p.village == v
    held = mine & (p.holder >= 0)
    out: dict[str, Any] = {
        "village": v,
        "status": STATUS_NAMES[status],
        "coop": None,
        "benefit_rule": vil.rules[v].name if status != NONE else lv.benefit_rule,
        "guaranteed_rent": lv.guaranteed_rent,
        "fixed_rent": lv.fixed_rent,
        "member_share": lv.member_share,
        "reserve_share": lv.reserve_share,
        "collective_share": lv.collective_share,
        "decision": room.branches.get(v),
        "households": int((pop.hh_alive & (pop.hh_village == v)).sum()),
        "land_mu": float(vil.land_mu[v]),
        "idle_share": float((p.kind[mine] == IDLE).mean()) if mine.any() else 0.0,
        "leased_share": float((p.kind[held] == HOUSEHOLD_LEASE).mean()) if held.any() else 0.0,
        "coop_share": float((p.kind[mine] == COOP).mean()) if mine.any() else 0.0,
        "lease_return": [float(x) for x in vil.lease_return[v]],
    }
    if status != NONE:
        ledger = m.ledger
        out["coop"] = {
            "founded": int(vil.founded[v]) - room.warmup,
            "area": float(vil.area[v]),
            "members": int(vil.members[v]),
            "engaged_share": float(vil.engaged_share[v]),
            "revenue": float(vil.revenue[v]),
            "subsidy": float(vil.subsidy[v]),
            "leakage": float(vil.leakage[v]),
            "profit": float(vil.profit[v]),
            "reserve": float(ledger.balance_yuan(ledger.accounts.reserve0 + v)),
            "cash": float(ledger.balance_yuan(ledger.accounts.coop0 + v)),
            "audited": bool(vil.audited[v]),
            "expected_bonus": float(vil.expected_bonus[v]),
        }
    return out


@_locked
def government_view(room: Classroom) -> dict[str, Any]:
    """What the town government knows: its levers and what its money did last year."""
    m = room.town
    lv = m.params.levers
    vil = m.villages
    return {
        "subsidy_per_mu": lv.subsidy_per_mu,
        "subsidy_years": lv.subsidy_years,
        "audit_rate": lv.audit_rate,
        "spent": float(m.town.government.spent),
        "subsidies": float(m.town.government.subsidies),
        "audited": int(vil.audited.sum()),
        "coops_active": int((vil.status == ACTIVE).sum()),
        "decision": dict(room.government),
    }


@_locked
def class_outcomes(room: Classroom, town: LandModel) -> pd.DataFrame:
    """The yearly outcomes of ``town`` counted in the class's years: the year the model
    played alone before the class is year 0; the initial state before any season is left out
    (its money flows are undefined)."""
    df = town.outcomes()
    df = df.assign(year=df["year"] - room.warmup)
    return df[df["year"] >= 0].reset_index(drop=True)


@_locked
def debrief(room: Classroom) -> pd.DataFrame:
    """The class's town against the model's own run, last year, one row per outcome, with the
    difference (class minus model)."""
    a, b = room.town.outcomes(), room.model_town.outcomes()
    rows = [
        {
            "outcome": k,
            "class": float(a[k].iloc[-1]),
            "model": float(b[k].iloc[-1]),
            "difference": float(a[k].iloc[-1] - b[k].iloc[-1]),
        }
        for k in DEBRIEF_METRICS
    ]
    return pd.DataFrame(rows, columns=["outcome", "class", "model", "difference"])


@_locked
def role_results(room: Classroom) -> pd.DataFrame:
    """Each student's result in the class's town and in the model's (last year): a
    household's income, its land in use and idle, and how many of its plots it released; a
    branch's co-op land, members and profit; the government's subsidy, its years and the audit
    rate. ``model_rule_years``: years the model decided for the student."""
    rows = []
    t, mt = room.town, room.model_town
    for r in sorted(room.roles.values(), key=lambda r: r.name.lower()):
        ruled = sum(r.name in names for names in room.model_ruled.values())
        row: dict[str, Any] = {"name": r.name, "role": r.kind, "index": r.index,
                               "model_rule_years": ruled}  # fmt: skip
        for side, town in (("class", t), ("model", mt)):
            row.update({f"{side}_{k}": x for k, x in _result(r.kind, r.index, town).items()})
        rows.append(row)
    return pd.DataFrame(rows)


def _result(kind: str, index: int, town: LandModel) -> dict[str, float]:
    """One role's numbers in one town."""
    if kind == "household":
        p = town.plots
        mine = p.holder == index
        return {
            "income": float(town.population.income[index]),
            "idle": float((p.kind[mine] == IDLE).sum()),
            "released": float((mine & (p.kind > OWN)).sum()),
            "plots": float(mine.sum()),
        }
    if kind == "branch":
        vil = town.villages
        exists = vil.status[index] != NONE
        return {
            "area": float(vil.area[index]) if exists else 0.0,
            "members": float(vil.members[index]) if exists else 0.0,
            "profit": float(vil.profit[index]) if exists else 0.0,
            "active": float(vil.status[index] == ACTIVE),
        }
    lv = town.params.levers
    return {
        "subsidy_per_mu": float(lv.subsidy_per_mu),
        "subsidy_years": float(lv.subsidy_years),
        "audit_rate": float(lv.audit_rate),
        "abandonment": float(town.outcomes()["abandonment_rate"].iloc[-1]),
    }
