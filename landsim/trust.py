"""Trust in the cooperative and members' participation: pure functions of arrays.

Members judge their cooperative each year by what it paid them against their outside option
(what the same land would have earned on the lease market), by how open its accounts are, by
the leakage they see (all of it after a disclosed audit, otherwise in proportion to how many
members watch the books) and by its debts. Other villagers' trust drifts towards the members'
(word of mouth). A member household *engages* — attends meetings, checks the accounts — with a
logistic probability that rises with its performance-linked pay (a stake), the coop's openness
(a voice) and its trust. People may say for themselves whether they engage
(:mod:`landsim.decisions`).

Parts: :class:`CoopSignals` and :func:`signals` (what villagers see of their co-op),
:func:`update_trust` (compiled, :func:`update_trust_reference` with NumPy),
:func:`engagement_probability`, and :func:`update_trust_and_engagement`, which applies them to
the town after the season.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from landsim import compiled
from landsim.coop_kernels import member_trust
from landsim.cooperatives import members as coop_members
from landsim.params import Assumptions, Params
from landsim.villages import ACTIVE, NONE

if TYPE_CHECKING:
    from landsim.town import Town

__all__ = [
    "CoopSignals",
    "signals",
    "update_trust",
    "update_trust_reference",
    "engagement_probability",
    "update_trust_and_engagement",
]


@dataclass(frozen=True)
class CoopSignals:
    """What villagers can see of their coop this year (arrays indexed by village).

    Attributes:
        active: the village has an operating coop.
        transparency: its openness (0-1).
        seen_leak: the leak rate members see (share of surplus).
        in_debt: the coop is in debt.
        clean_audit: audited this year, nothing found, findings published.
        found_leak: leak rate an audit found and published this year (0 if none).
        outside: members' outside option: expected lease return of flat land (yuan/mu).
    """

    active: np.ndarray
    transparency: np.ndarray
    seen_leak: np.ndarray
    in_debt: np.ndarray
    clean_audit: np.ndarray
    found_leak: np.ndarray
    outside: np.ndarray


def update_trust(
    trust: np.ndarray,
    village: np.ndarray,
    alive: np.ndarray,
    members: np.ndarray,
    coop_pay: np.ndarray,
    sig: CoopSignals,
    a: Assumptions,
) -> np.ndarray:
    """Next year's trust of every household (0-1).

    Member signal: ``1/2 + pay_weight x tanh((pay - outside) / pay_scale) + transparency_weight
    x (transparency - 1/2) - leak_weight x seen leak - debt_penalty x in debt + audit_bonus x
    clean audit``, clipped to 0-1; trust moves ``trust_learning`` of the way to it. Non-members
    move ``trust_word_of_mouth x trust_learning`` of the way to the members' mean. A published
    audit that found leakage costs everyone in the village that leak rate.

    Runs on the compiled :func:`landsim.coop_kernels.member_trust` (the same operations, after
    NumPy's ``tanh``) unless compilation is off.
    """
    if compiled.enabled():
        pay = np.tanh((coop_pay - sig.outside[village]) / a.trust_pay_scale)
        weights = (
            a.trust_pay_weight, a.trust_transparency_weight, a.trust_leak_weight,
            a.trust_debt_penalty, a.trust_audit_bonus, a.trust_learning, a.trust_word_of_mouth,
        )  # fmt: skip
        seen = (sig.active, sig.transparency, sig.seen_leak, sig.in_debt, sig.clean_audit)
        signals = np.array([*seen, sig.found_leak], dtype=np.float64)
        out = member_trust(
            trust, village, alive, members, pay, signals, np.array(weights, dtype=np.float64)
        )
        return out.view(np.float64)  # NumPy's own dtype object (Numba's is equal, not the same)
    return update_trust_reference(trust, village, alive, members, coop_pay, sig, a)


def update_trust_reference(
    trust: np.ndarray,
    village: np.ndarray,
    alive: np.ndarray,
    members: np.ndarray,
    coop_pay: np.ndarray,
    sig: CoopSignals,
    a: Assumptions,
) -> np.ndarray:
    """:func:`update_trust` written with NumPy: the reference that the compiled kernel must
    equal."""
    out = trust.copy()
    v = village
    act = sig.active[v] & alive
    mem = act & members
    signal = (
        0.5
        + a.trust_pay_weight * np.tanh((coop_pay - sig.outside[v]) / a.trust_pay_scale)
        + a.trust_transparency_weight * (sig.transparency[v] - 0.5)
        - a.trust_leak_weight * sig.seen_leak[v]
        - a.trust_debt_penalty * sig.in_debt[v]
        + a.trust_audit_bonus * sig.clean_audit[v]
    )
    signal = np.clip(signal, 0.0, 1.0)
    out[mem] += a.trust_learning * (signal[mem] - out[mem])
    n_v = sig.active.size
    cnt = np.bincount(v[mem], minlength=n_v)
    tot = np.bincount(v[mem], weights=out[mem], minlength=n_v)
    has = cnt > 0
    mean = np.where(has, tot / np.maximum(cnt, 1), 0.0)
    oth = act & ~members & has[v]
    out[oth] += a.trust_word_of_mouth * a.trust_learning * (mean[v[oth]] - out[oth])
    hit = alive & (sig.found_leak[v] > 0)
    out[hit] -= sig.found_leak[v[hit]]
    return np.clip(out, 0.0, 1.0)


def engagement_probability(
    perf_pay: np.ndarray, transparency: np.ndarray, trust: np.ndarray, a: Assumptions
) -> np.ndarray:
    """``logistic(engagement_base + engagement_stake x perf_pay / 300 + engagement_voice x
    transparency + engagement_trust x (trust - 1/2))`` for each household."""
    x = (
        a.engagement_base
        + a.engagement_stake * perf_pay / 300.0
        + a.engagement_voice * transparency
        + a.engagement_trust * (trust - 0.5)
    )
    return 1.0 / (1.0 + np.exp(-x))


def signals(town: Town, audit_disclosure: bool) -> CoopSignals:
    """What villagers see of their co-op this year (nothing where it does not operate): its
    openness, the leakage members see (all of it after a disclosed audit, otherwise in
    proportion to the share of members who watch the books), its debts, a clean published
    audit, and their outside option (the lease return of flat land)."""
    vil, led = town.villages, town.ledger
    on = vil.status == ACTIVE
    debt = led.balance[led.accounts.coop0 : led.accounts.coop0 + vil.n] < 0
    found = np.where(vil.audited, vil.found_leak_rate, 0.0)
    return CoopSignals(
        active=on,
        transparency=np.where(on, vil.transparency, 0.0),
        seen_leak=np.where(
            on, np.where(vil.audited, found, vil.leak_rate * vil.engaged_share), 0.0
        ),
        in_debt=on & debt,
        clean_audit=on & vil.audited & (vil.found_leak_rate == 0.0) & bool(audit_disclosure),
        found_leak=np.where(on, found, 0.0),
        outside=vil.lease_return[:, 0],
    )


def update_trust_and_engagement(
    town: Town,
    params: Params,
    rng: np.random.Generator,
    engage: Mapping[int, bool] | None = None,
) -> None:
    """Trust follows what members were paid, openness, leakage and debt; members engage with a
    probability that rises with their stake, voice and trust; ``engage``: members who decided
    for themselves. Each co-op's engaged share follows."""
    pop, vil, a = town.population, town.villages, params.assumptions
    members = coop_members(town.plots, pop)
    sig = signals(town, params.levers.audit_disclosure)
    pop.trust = update_trust(pop.trust, pop.hh_village, pop.hh_alive, members, pop.coop_pay, sig, a)
    p = engagement_probability(pop.perf_pay, sig.transparency[pop.hh_village], pop.trust, a)
    pop.engaged = members & (rng.random(pop.n_households) < p)
    for h, on in (engage or {}).items():
        pop.engaged[h] = bool(members[h] and on)
    n_v = params.world.n_villages
    n_mem = np.bincount(pop.hh_village[members], minlength=n_v)
    n_eng = np.bincount(pop.hh_village[pop.engaged], minlength=n_v)
    has = vil.status != NONE
    vil.engaged_share[has] = np.where(n_mem > 0, n_eng / np.maximum(n_mem, 1), 0.0)[has]
