"""Issue 24's measurements of the co-op's books, over replicates at the validation's sizes.

Interim: until the checks move into ``landsim/validation/patterns.toml`` (after issue 23's
households, labour and land market are on main), this script measures the "Done when" points
of issue 24 that concern the co-op itself, on seeds the tests do not use (root 24_2026):

* pattern 3 for the plain co-op: ``coops/dividend_sound`` against the baseline (abandonment
  and collective income, years 1-30), and the same with weak management
  (``coops/dividend_weak``);
* no co-op cliff: in how many seeds co-op land falls by more than 30 % in one year
  (``coop_guaranteed_dividend``, ``coops/dividend_sound``, ``tri_party_governance``);
* reserves do not run away: co-op reserves at year 60 over year 30 (60-year runs);
* a 30 % higher guarantee: co-op land and the co-ops' profit per mu of their land (paired);
* co-ops without benefit sharing (``coops/no_benefit_sharing``) against the dividend co-ops;
* the co-op subsidy doubled (100 -> 200 yuan/mu for its three years): co-op land and
  abandonment while it is paid, and how much co-op land falls when it ends (the trade-off).

Every difference is paired by seed with a 95 % Student-t interval. Run::

    .venv/bin/python benchmarks/coop_books.py --sizes S,D,L --seeds 20,20,10 \
        --out benchmarks/coop_books.txt
"""

from __future__ import annotations

import argparse
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
SEED_ROOT = 24_2026
#: run name -> (scenario file, changes, years)
RUNS = {
    "baseline": ("baseline", {}, 30),
    "dividend": ("coop_guaranteed_dividend", {}, 60),
    "dividend_1040": ("coop_guaranteed_dividend", {"levers.guaranteed_rent": 1040.0}, 30),
    "dividend_600": ("coop_guaranteed_dividend", {"levers.guaranteed_rent": 600.0}, 30),
    "dividend_780": ("coop_guaranteed_dividend", {"levers.guaranteed_rent": 780.0}, 30),
    "dividend_subsidy200": ("coop_guaranteed_dividend", {"levers.subsidy_per_mu": 200.0}, 30),
    "dividend_sound": ("coops/dividend_sound", {}, 30),
    "dividend_weak": ("coops/dividend_weak", {}, 30),
    "no_benefit_sharing": ("coops/no_benefit_sharing", {}, 30),
    "tri_party": ("tri_party_governance", {}, 60),
}
COLUMNS = [
    "abandonment_rate",
    "collective_income_mean",
    "household_income_mean",
    "coop_land_share",
    "coop_profit",
    "coop_reserve",
    "trust_mean",
    "participation_rate",
    "coops_active",
    "coop_leakage",
]


def _one(job: tuple[str, str, int]) -> pd.DataFrame:
    size, run, seed = job
    name, changes, years = RUNS[run]
    params = load_scenario(ROOT / "scenarios" / f"{name}.toml").params
    world = {f"world.{k}": v for k, v in SIZES[size].items()}
    params = apply_changes(params, {"run.years": years, **world, **changes})
    model = LandModel(params, rng=seed)
    model.run_for(years)
    df = model.outcomes()[["year", *COLUMNS]]
    df["plots"] = params.world.width * params.world.height
    return df.assign(size=size, run=run, seed=seed)


def _fmt(values) -> str:
    mean, lo, hi = t_interval(values)
    return f"{mean:.4g} [{lo:.4g}, {hi:.4g}]"


def _mean(df: pd.DataFrame, run: str, col: str, years) -> pd.Series:
    d = df[(df.run == run) & df.year.isin(list(years))]
    return d.groupby("seed")[col].mean()


def _cliffs(df: pd.DataFrame, run: str) -> int:
    """Seeds in which co-op land falls by more than 30 % from one year to the next."""
    n = 0
    for _, d in df[(df.run == run) & (df.year <= 30)].groupby("seed"):
        land = d.sort_values("year")["coop_land_share"].to_numpy()
        prev, now = land[1:-1], land[2:]
        n += bool(np.any((prev >= 0.01) & (now < 0.7 * prev)))
    return n


def report(df: pd.DataFrame, size: str) -> list[str]:
    """The measurements at one size, as Markdown lines."""
    d = df[df["size"] == size]
    seeds = d.seed.nunique()
    y30 = range(1, 31)
    out = [f"### size {size} ({seeds} seeds)", "", "| measure | value [95 % CI] |", "|---|---|"]

    def row(label, values):
        out.append(f"| {label} | {_fmt(values)} |")

    for mgmt in ("sound", "weak"):
        run = f"dividend_{mgmt}"
        for col in ("abandonment_rate", "collective_income_mean"):
            label = f"pattern 3, {mgmt} management: {col}, co-op minus baseline, years 1-30"
            row(label, _mean(d, run, col, y30) - _mean(d, "baseline", col, y30))
    sound = _mean(d, "dividend_sound", "abandonment_rate", y30)
    row(
        "sound minus weak management: abandonment, years 1-30",
        sound - _mean(d, "dividend_weak", "abandonment_rate", y30),
    )
    for run in ("dividend", "dividend_sound", "tri_party"):
        label = f"cliff: seeds where {run}'s co-op land falls > 30 % in one year (years 2-30)"
        out.append(f"| {label} | {_cliffs(d, run)} of {seeds} |")
    for run in ("dividend", "tri_party"):
        r30 = _mean(d, run, "coop_reserve", [30]).mean()
        r60 = _mean(d, run, "coop_reserve", [60]).mean()
        label = f"reserves, {run}: year 60 / year 30 (means; yuan {r60:,.0f} / {r30:,.0f})"
        out.append(f"| {label} | {r60 / r30:.3f} |")

    def per_mu(run, years):
        x = d[(d.run == run) & d.year.isin(list(years))].copy()
        x["mu"] = x.coop_land_share * x.plots
        g = x.groupby("seed")
        return g.coop_profit.sum() / g.mu.sum().clip(lower=1)

    for lo, hi in (("dividend_600", "dividend_780"), ("dividend", "dividend_1040")):
        for years, span in ((range(1, 11), "1-10"), (y30, "1-30")):
            what = f"guarantee x1.3 ({lo} -> {hi}), years {span}"
            row(
                f"{what}: co-op land share, higher minus lower",
                _mean(d, hi, "coop_land_share", years) - _mean(d, lo, "coop_land_share", years),
            )
            row(
                f"{what}: co-ops' profit per mu of their land (yuan/mu), higher minus lower",
                per_mu(hi, years) - per_mu(lo, years),
            )
    for col in COLUMNS[:4] + ["trust_mean", "participation_rate"]:
        row(
            f"no benefit sharing minus dividend co-ops: {col}, years 1-30",
            _mean(d, "no_benefit_sharing", col, y30) - _mean(d, "dividend", col, y30),
        )
    for col in ("trust_mean", "coop_leakage", "coop_land_share"):
        row(
            f"sound minus weak management: {col}, years 1-30",
            _mean(d, "dividend_sound", col, y30) - _mean(d, "dividend_weak", col, y30),
        )
    hi, lo = "dividend_subsidy200", "dividend"
    paid, after = range(1, 4), range(5, 11)
    for col, years, span in (
        ("coop_land_share", paid, "1-3 (while paid)"),
        ("abandonment_rate", paid, "1-3 (while paid)"),
        ("coop_land_share", after, "5-10 (after it ends)"),
        ("coops_active", [10], "10"),
    ):
        row(
            f"subsidy x2 (100 -> 200 yuan/mu): {col}, years {span}, higher minus lower",
            _mean(d, hi, col, years) - _mean(d, lo, col, years),
        )

    def fall(run):  # co-op land given up when the subsidy ends: year 3 minus years 5-6
        return _mean(d, run, "coop_land_share", [3]) - _mean(d, run, "coop_land_share", [5, 6])

    row(
        "subsidy x2: co-op land given up when it ends (year 3 minus 5-6), higher minus lower",
        fall(hi) - fall(lo),
    )
    return out + [""]


def main(argv: list[str] | None = None) -> int:
    """Run the measurements and print (and write) the tables."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="S,D,L")
    ap.add_argument("--seeds", default="20,20,10", help="replicates per size, in order")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args(argv)
    sizes = args.sizes.split(",")
    counts = [int(x) for x in args.seeds.split(",")]
    seeds = np.random.SeedSequence(SEED_ROOT).generate_state(max(counts)).tolist()
    jobs = [
        (s, r, seeds[i]) for s, n in zip(sizes, counts, strict=True) for r in RUNS for i in range(n)
    ]
    with ProcessPoolExecutor(args.workers) as pool:
        df = pd.concat(pool.map(_one, jobs, chunksize=4))
    lines = [line for s in sizes for line in report(df, s)]
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
