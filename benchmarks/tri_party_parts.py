"""What each part of a bundle of levers contributes: a full factorial over its parts, by seed.

Issue 24 asks which part of the tri-party bundle causes its gain. Two bundles are decomposed,
each against a base with every part switched off, on seeds the tests do not use (root
24_2027):

* ``parties`` -- the seed's three parties on the plain co-op (``scenarios/coops/``): the base
  is the Party branch alone (``branch_alone``); the parts are the town government's support
  (founding grant, a three-year subsidy, audits, a management standard, cadre training and
  appraisal: ``branch_government``'s levers), the third-party governance body
  (``branch_third_party``'s levers) and, for comparison, the commercial service firm with its
  professional managers (``tri_party_governance``'s firm levers).
* ``tri_party`` -- the bundled ``tri_party_governance`` scenario: the base is that scenario
  with audits, the management standard and the firm switched off; the parts are audits (with
  disclosure), the management standard, and the firm with its professional managers.

For every outcome (mean of years 1-30) the report gives, paired by seed with a 95 % Student-t
interval: each part alone minus the base, all parts together minus the base, what "together"
adds beyond the sum of the parts alone (the interaction), and each part's main effect (its
mean effect over every combination of the other parts). Run::

    .venv/bin/python benchmarks/tri_party_parts.py --sizes D --seeds 20 \
        --out benchmarks/tri_party_parts.txt
"""

from __future__ import annotations

import argparse
import itertools
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from landsim.intervals import t_interval
from landsim.model import LandModel
from landsim.params import apply_changes
from landsim.scenario import load_scenario
from landsim.validation import SIZES

ROOT = Path(__file__).resolve().parents[1]
SEED_ROOT = 24_2027
YEARS = 30

_GOVERNMENT = {
    "levers.startup_grant": 50_000.0,
    "levers.subsidy_per_mu": 100.0,
    "levers.subsidy_years": 3,
    "levers.audit_rate": 0.3,
    "levers.management_standard": 0.5,
    "levers.cadre_training": 0.5,
    "levers.cadre_appraisal": True,
}
_BODY = {"levers.third_party_governance": True, "levers.governance_fee": 40.0}
_FIRM = {"levers.firm_enabled": True, "levers.professional_management": True}

#: bundle -> (scenario, changes that switch every part off, {part: changes that switch it on})
BUNDLES: dict[str, tuple[str, dict, dict[str, dict]]] = {
    "parties": (
        "coops/branch_alone",
        {},
        {"government": _GOVERNMENT, "governance_body": _BODY, "service_firm": _FIRM},
    ),
    "tri_party": (
        "tri_party_governance",
        {
            "levers.audit_rate": 0.0,
            "levers.management_standard": 0.0,
            "levers.firm_enabled": False,
            "levers.professional_management": False,
        },
        {
            "audits": {"levers.audit_rate": 0.3},
            "standard": {"levers.management_standard": 0.7},
            "service_firm": _FIRM,
        },
    ),
}
OUTCOMES = [
    "abandonment_rate",
    "collective_income_mean",
    "household_income_mean",
    "coop_land_share",
    "coops_active",
]


def cells(bundle: str) -> list[tuple[int, ...]]:
    """Every combination of the bundle's parts (1: on), the base first."""
    return list(itertools.product((0, 1), repeat=len(BUNDLES[bundle][2])))


def _one(job: tuple[str, str, tuple[int, ...], int]) -> pd.DataFrame:
    size, bundle, cell, seed = job
    scenario, off, parts = BUNDLES[bundle]
    params = load_scenario(ROOT / "scenarios" / f"{scenario}.toml").params
    changes = {"run.years": YEARS, **{f"world.{k}": v for k, v in SIZES[size].items()}, **off}
    for on, part in zip(cell, parts.values(), strict=True):
        if on:
            changes.update(part)
    model = LandModel(apply_changes(params, changes), rng=seed)
    model.run_for(YEARS)
    df = model.outcomes()
    means = df[df.year.between(1, YEARS)][OUTCOMES].mean()
    row = {"size": size, "bundle": bundle, "cell": "".join(map(str, cell)), "seed": seed}
    return pd.DataFrame([{**row, **means.to_dict()}])


def _fmt(values: pd.Series) -> str:
    mean, lo, hi = t_interval(values.to_numpy())
    return f"{mean:.4g} [{lo:.4g}, {hi:.4g}]"


def report(df: pd.DataFrame, size: str, bundle: str) -> list[str]:
    """One bundle's decomposition at one size, as a Markdown table."""
    parts = list(BUNDLES[bundle][2])
    d = df[(df["size"] == size) & (df.bundle == bundle)]
    wide = {col: d.pivot(index="seed", columns="cell", values=col) for col in OUTCOMES}
    k = len(parts)
    base, full = "0" * k, "1" * k
    alone = {p: "".join("1" if j == i else "0" for j in range(k)) for i, p in enumerate(parts)}
    out = [
        f"### {bundle} at size {size} ({d.seed.nunique()} seeds; base: every part off)",
        "",
        "| contrast | " + " | ".join(OUTCOMES) + " |",
        "|---|" + "---|" * len(OUTCOMES),
    ]

    def row(label: str, effect) -> None:
        out.append(f"| {label} | " + " | ".join(_fmt(effect(wide[c])) for c in OUTCOMES) + " |")

    row("base level (not a difference)", lambda w: w[base])
    for p, cell in alone.items():
        row(f"{p} alone minus base", lambda w, cell=cell: w[cell] - w[base])
    row("all together minus base", lambda w: w[full] - w[base])
    row(
        "together minus the sum of the parts alone (interaction)",
        lambda w: (w[full] - w[base]) - sum(w[c] - w[base] for c in alone.values()),
    )
    for i, p in enumerate(parts):
        on = [c for c in wide[OUTCOMES[0]].columns if c[i] == "1"]
        off = [c for c in wide[OUTCOMES[0]].columns if c[i] == "0"]
        row(
            f"{p}: main effect (mean over the other parts' combinations)",
            lambda w, on=on, off=off: w[on].mean(axis=1) - w[off].mean(axis=1),
        )
    return out + [""]


def main(argv: list[str] | None = None) -> int:
    """Run the factorials and print (and write) the tables."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="D")
    ap.add_argument("--seeds", default="20", help="replicates per size, in order")
    ap.add_argument("--bundles", default=",".join(BUNDLES))
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args(argv)
    sizes = args.sizes.split(",")
    counts = [int(x) for x in args.seeds.split(",")]
    bundles = args.bundles.split(",")
    seeds = np.random.SeedSequence(SEED_ROOT).generate_state(max(counts)).tolist()
    jobs = [
        (s, b, cell, seeds[i])
        for s, n in zip(sizes, counts, strict=True)
        for b in bundles
        for cell in cells(b)
        for i in range(n)
    ]
    with ProcessPoolExecutor(args.workers) as pool:
        df = pd.concat(pool.map(_one, jobs, chunksize=4))
    lines = [line for s in sizes for b in bundles for line in report(df, s, b)]
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
