"""The dividend co-ops' guarantee from 500 to 1,100 yuan/mu: co-op land, profit per mu, co-ops.

Issue 24 asks that a higher guarantee draw land but thin the co-op's margins. With binding
books (docs/ODD.md §7.5) the answer depends on where the guarantee stands: members offer more
land as it rises (their outside option is about the market rent, ~800 yuan/mu), but the
co-op takes a plot only when its margin covers the payment, its costs and a risk margin, so
from some level on it refuses more land than members offer. This script traces the curve on
``coop_guaranteed_dividend`` with only ``levers.guaranteed_rent`` changed, the same seeds at
every level (root 24_2028, seeds the tests do not use), years 1-30, and writes a table and a
figure. Run::

    .venv/bin/python benchmarks/guarantee_curve.py --size D --seeds 10 --workers 2 \
        --out benchmarks/guarantee_curve
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from landsim.intervals import t_interval  # noqa: E402
from landsim.model import LandModel  # noqa: E402
from landsim.params import apply_changes  # noqa: E402
from landsim.scenario import load_scenario  # noqa: E402
from landsim.validation import SIZES  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SEED_ROOT = 24_2028
LEVELS = (500.0, 600.0, 700.0, 800.0, 910.0, 1000.0, 1100.0)  # yuan/mu/yr
YEARS = 30
COLUMNS = {
    "coop_land_share": "co-op share of all land",
    "coop_profit_per_mu": "co-ops' profit per mu of their land (yuan/mu/yr)",
    "coops_active": "active co-ops",
    "abandonment_rate": "abandonment rate",
}


def _one(job: tuple[str, float, int]) -> dict:
    size, guarantee, seed = job
    params = load_scenario(ROOT / "scenarios" / "coop_guaranteed_dividend.toml").params
    world = {f"world.{k}": v for k, v in SIZES[size].items()}
    changes = {"run.years": YEARS, **world, "levers.guaranteed_rent": guarantee}
    model = LandModel(apply_changes(params, changes), rng=seed)
    model.run_for(YEARS)
    df = model.outcomes()
    df = df[df.year >= 1]
    return {"guarantee": guarantee, "seed": seed, **{c: float(df[c].mean()) for c in COLUMNS}}


def main(argv: list[str] | None = None) -> int:
    """Run the curve and write ``OUT.txt`` (a Markdown table) and ``OUT.png``."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="D", choices=list(SIZES))
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "guarantee_curve")
    args = ap.parse_args(argv)
    seeds = np.random.SeedSequence(SEED_ROOT).generate_state(args.seeds).tolist()
    jobs = [(args.size, g, s) for g in LEVELS for s in seeds]
    with ProcessPoolExecutor(args.workers) as pool:
        df = pd.DataFrame(list(pool.map(_one, jobs, chunksize=2)))
    lines = [
        f"Guarantee curve, `coop_guaranteed_dividend`, size {args.size}, {args.seeds} seeds "
        f"(root {SEED_ROOT}), mean of years 1-{YEARS} [95 % t interval over seeds]",
        "",
        "| guarantee (yuan/mu) | " + " | ".join(COLUMNS.values()) + " |",
        "|---" * (len(COLUMNS) + 1) + "|",
    ]
    stats = {}
    for g, d in df.groupby("guarantee"):
        stats[g] = {c: t_interval(d[c].to_numpy()) for c in COLUMNS}
        cells = [f"{m:.4g} [{lo:.4g}, {hi:.4g}]" for m, lo, hi in stats[g].values()]
        lines.append(f"| {g:,.0f} | " + " | ".join(cells) + " |")
    text = "\n".join(lines)
    print(text)
    args.out.with_suffix(".txt").write_text(text + "\n", encoding="utf-8")

    fig, axes = plt.subplots(1, 3, figsize=(12, 3.8), constrained_layout=True)
    xs = np.array(sorted(stats))
    shown = ("coop_land_share", "coop_profit_per_mu", "coops_active")
    for ax, col in zip(axes, shown, strict=True):
        m, lo, hi = (np.array([stats[g][col][i] for g in xs]) for i in range(3))
        ax.fill_between(xs, lo, hi, alpha=0.25, color="C0", label="95 % interval over seeds")
        ax.plot(xs, m, marker="o", color="C0", label="mean of seeds")
        ax.axvline(800, color="0.5", ls=":", lw=1)
        ax.set_xlabel("guarantee (yuan/mu/yr)")
        ax.set_title(COLUMNS[col], fontsize=10)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8, loc="lower center")
    fig.suptitle(
        f"The co-op's guarantee: land drawn against margins (size {args.size}, {args.seeds} "
        f"seeds, years 1-{YEARS}; dotted: the bundled 800)",
        fontsize=11,
    )
    fig.savefig(args.out.with_suffix(".png"), dpi=110)
    return 0


if __name__ == "__main__":
    sys.exit(main())
