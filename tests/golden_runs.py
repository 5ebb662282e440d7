"""Golden runs: the model's results recorded bit for bit, to hold a refactoring to them.

Six configurations (:data:`CONFIGS`) x seeds 1-5 x 30 years: the default town, a town four
times larger (the grid doubled in each direction, four times the villages, the same households
per village), co-ops founded by appraisal with a firm and audits, weak co-ops that fail (with a
second rebate by labour), the larger town with co-ops, and the default town played with people's
decisions every year. For each run the file keeps every outcome column of every year (the full
table) and a SHA-256 digest of each part of the final state: plot tenure (holder, operator,
kind, rent, lease terms), kin ties, ledger balances and yearly totals, the population, the
co-ops and the firm. Each configuration's parameters are stored with it, so later edits of the
scenario files or defaults do not move the target.

Re-record (only when a change is *meant* to change results; say why in the commit)::

    .venv/bin/python -m tests.golden_runs            # writes tests/data/golden_runs.npz

``tests/test_golden.py`` rebuilds every run and compares it with the file.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from landsim.decisions import BranchChoice, Decisions, field_days_needed, free_plots, options
from landsim.model import LandModel
from landsim.params import Params, apply_changes, params_from_flat
from landsim.scenario import load_scenario

__all__ = ["CONFIGS", "SEEDS", "YEARS", "PATH", "params_of", "run", "record"]

PATH = Path(__file__).parent / "data" / "golden_runs.npz"
SEEDS = (1, 2, 3, 4, 5)
YEARS = 30
ROOT = Path(__file__).resolve().parents[1]

#: a town four times the default: the grid doubled each way, 4x the villages, 100 households each
LARGE = {"width": 120, "height": 100, "villages_x": 6, "villages_y": 4}


def _scenario(name: str, changes: dict[str, Any] | None = None) -> Params:
    params = load_scenario(ROOT / "scenarios" / f"{name}.toml").params
    return apply_changes(params, changes or {})


#: name -> (how its parameters are built when recording, whether people decide each year)
CONFIGS: dict[str, tuple[Callable[[], Params], bool]] = {
    "town": (lambda: params_from_flat(None, years=YEARS), False),
    "town4": (lambda: params_from_flat(None, years=YEARS, **LARGE), False),
    "coops_endogenous": (
        lambda: _scenario("tri_party_governance", {"levers.coop_founding": "endogenous"}),
        False,
    ),
    "coops_failing": (
        lambda: _scenario("coop_weak_management", {"levers.benefit_rule": "guaranteed_rebate"}),
        False,
    ),
    "coops_town4": (
        lambda: params_from_flat(_scenario("tri_party_governance"), **LARGE),
        False,
    ),
    "decisions": (
        lambda: _scenario(
            "coop_fixed_rent",
            {"levers.coop_founding": "endogenous", "levers.firm_enabled": True},
        ),
        True,
    ),
}


def params_of(stored: np.ndarray) -> Params:
    """The parameters stored in the golden file for one configuration."""
    return Params.model_validate(json.loads(stored.tobytes().decode("utf-8")))


def decisions_for(m: LandModel) -> Decisions:
    """What people decide before the coming year (a fixed function of the model's state): ten
    households release or keep their free plots, co-op members say whether they engage, two
    branch secretaries and the town government set their terms in some years."""
    year = m.year + 1
    plots: dict[int, dict[int, str]] = {}
    alive = np.flatnonzero(m.population.hh_alive)
    for h in alive[(year * 7) % max(alive.size - 10, 1) :][:10].tolist():
        free = free_plots(m, h)
        if not free.size:
            continue
        allowed = [o for o in options(m, h) if o != "keep"]
        mine = {int(p): allowed[(i + year) % len(allowed)] for i, p in enumerate(free.tolist())}
        first = free[:1]
        if field_days_needed(m, first) <= float(m.field_days()[h]):
            mine[int(first[0])] = "keep"
        plots[h] = mine
    members = np.flatnonzero(m.member_mask())[:6].tolist()
    engage = {h: bool((h + year) % 2) for h in members}
    branches: dict[int, BranchChoice] = {}
    if year == 1:
        branches = {0: BranchChoice(found=True, benefit_rule="fixed_rent", fixed_rent=600.0)}
        branches[1] = BranchChoice(found=False)
    elif year == 3:
        branches = {
            1: BranchChoice(
                benefit_rule="guaranteed_rebate", guaranteed_rent=500.0, member_share=0.6
            )
        }
    government: dict[str, float] = {}
    if year == 5:
        government = {"audit_rate": 0.4}
    elif year == 10:
        government = {"subsidy_per_mu": 100.0, "subsidy_years": 3.0}
    return Decisions(plots=plots, engage=engage, branches=branches, government=government)


def _digest(*arrays: np.ndarray) -> str:
    """SHA-256 of arrays in a canonical form (int64, float64 or bool; C order; with shapes), so
    that a change of storage dtype alone does not change the digest."""
    h = hashlib.sha256()
    for a in arrays:
        a = np.asarray(a)
        if a.dtype.kind in "iu":
            a = a.astype(np.int64)
        elif a.dtype.kind == "f":
            a = a.astype(np.float64)
        h.update(repr((a.dtype.str, a.shape)).encode())
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


#: co-op attributes read through the model's public co-op objects
COOP_FIELDS = (
    "village",
    "founded",
    "transparency",
    "standardization",
    "insolvent_years",
    "expected_bonus",
    "area",
    "members",
    "engaged_share",
    "revenue",
    "profit",
    "leakage",
    "leak_rate",
    "subsidy",
    "audited",
    "found_leak_rate",
    "uses_firm",
    "cash",
    "reserve",
)
FIRM_FIELDS = ("capacity", "price", "demand", "served", "revenue", "profit")


def state_digests(m: LandModel) -> dict[str, str]:
    """Digests of each part of the model's state (see module docstring)."""
    p, pop, kin, led = m.plots, m.population, m.kin, m.ledger
    coops = [
        [float(getattr(c, f)) for f in COOP_FIELDS] + [float(c.active)]
        for _, c in sorted(m.coops.items())
    ]
    years = sorted(led.totals)
    return {
        "tenure": _digest(p.holder, p.operator, p.kind, p.rent, p.lease_start, p.lease_end),
        "kin": _digest(kin.src, kin.dst, kin.closeness),
        "ledger": _digest(led.balance, np.array(years), *(led.totals[y] for y in years)),
        "population": _digest(
            pop.m_hh,
            pop.m_age,
            pop.m_alive,
            pop.m_away,
            pop.hh_alive,
            pop.hh_village,
            pop.trust,
            pop.engaged,
            pop.income,
            pop.coop_pay,
            pop.perf_pay,
        ),
        "coops": _digest(np.array(coops, dtype=float).reshape(-1, len(COOP_FIELDS) + 1)),
        "firm": _digest(np.array([float(getattr(m.firm, f)) for f in FIRM_FIELDS])),
        "lease_return": _digest(m.villages.lease_return),
    }


DIGEST_PARTS = ("tenure", "kin", "ledger", "population", "coops", "firm", "lease_return")


def run(params: Params, seed: int, decide: bool) -> tuple[Any, dict[str, str]]:
    """One golden run: the outcome table (a DataFrame) and the final state's digests."""
    m = LandModel(params, rng=seed)
    for _ in range(params.run.years):
        m.step(decisions=decisions_for(m)) if decide else m.step()
    return m.outcomes(), state_digests(m)


def _runs() -> Iterator[tuple[str, Params, bool, int]]:
    for name, (build, decide) in CONFIGS.items():
        params = build()
        for seed in SEEDS:
            yield name, params, decide, seed


def record(path: Path = PATH) -> Path:
    """Run every configuration and seed and write the golden file."""
    out: dict[str, np.ndarray] = {}
    for name, (build, decide) in CONFIGS.items():
        params = build()
        assert params.run.years == YEARS, name
        text = json.dumps(params.model_dump(mode="json"), sort_keys=True)
        out[f"{name}.params"] = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
        out[f"{name}.decide"] = np.array(decide)
        tables, digests = [], []
        for seed in SEEDS:
            table, dig = run(params, seed, decide)
            tables.append(table.to_numpy(dtype=np.float64))
            digests.append([dig[k] for k in DIGEST_PARTS])
            print(f"{name} seed {seed}: done", file=sys.stderr)
        out[f"{name}.columns"] = np.array(list(table.columns))
        out[f"{name}.outcomes"] = np.stack(tables)
        out[f"{name}.digests"] = np.array(digests)
    out["seeds"] = np.array(SEEDS)
    out["digest_parts"] = np.array(DIGEST_PARTS)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **out)
    return path


if __name__ == "__main__":
    print(f"wrote {record()}")
