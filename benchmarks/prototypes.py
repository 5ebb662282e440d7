"""Measure candidate optimisations before anyone edits the model (see docs/performance.md).

Each prototype is a drop-in replacement for one model function, applied by monkeypatching in
this script only; the model files are not touched. The script first checks that the patched
model gives *exactly* the same yearly outcomes as the unpatched one (same seeds), then times
a size with each prototype alone and with all of them, in CPU seconds (the machine is shared,
so wall time is noisy).

    .venv/bin/python benchmarks/prototypes.py --check-only
    .venv/bin/python benchmarks/prototypes.py --size town --years 30 --warmup 0 --repeats 5
    .venv/bin/python benchmarks/prototypes.py --size county --years 3 --warmup 6

Prototypes written against commit 67da6c8 (after 8419769, "Scale the year to a county").
Q1 (farming order sorted once) and Q3 (single-flow ledger fast path) have since been ported
into the model (commit 4b602d0) and removed from here. Q2 copies a model function with one
change; if the model's function changes, the exactness check says so.
These are measuring devices, not the final code: port the ones worth having into the model
(the docstrings say where and how), with tests. Both left here are stale: the market's
clearing has changed its signature since (it is now ``landsim.clearing.clear_market``) and Q4
was ported (``landsim.metrics.patches``); the script is kept as the record of how they were
measured.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
from scipy import ndimage

import landsim.model as model_mod
from landsim.timing import county_size, ladder, town_size
from landsim.ledger import Ledger
from landsim.clearing import Bidders, Leases, Offers, _group
from landsim.world import IDLE

LandModel = model_mod.LandModel
_original_post = Ledger.post


# ---------------------------------------------------------------- Q2 market.clear_market
def clear_market_winners_only(
    offers: Offers, bidders: Bidders, bid_fraction: float, distance_cost: float
) -> Leases:
    """market.clear_market visiting only bidders who still have an acceptable open offer.

    Change: per village, keep for every bidder the number of open offers it would accept
    (``ok.sum(axis=1)``), subtract the columns of the offers each winner takes, and jump
    straight to the next bidder whose count is positive. The original visits every bidder with
    any acceptable offer (two ``flatnonzero`` per visit) although only ~1 in 4 still finds an
    open one. Same bidders win the same plots in the same order.
    """
    empty = np.zeros(0, dtype=np.int64)
    if offers.plot.size == 0 or bidders.household.size == 0:
        return Leases(empty, empty, empty, np.zeros(0))
    out_offer: list[np.ndarray] = []
    out_lessee: list[np.ndarray] = []
    out_rent: list[np.ndarray] = []
    off_by_v = _group(offers.village)
    bid_by_v = _group(bidders.village)
    for v in sorted(off_by_v):
        o = off_by_v[v]
        b = bid_by_v.get(v)
        if b is None:
            continue
        b = b[np.lexsort((b, -bidders.marginal_profit[b]))]
        dist = np.abs(bidders.row[b][:, None] - offers.row[o][None, :]) + np.abs(
            bidders.col[b][:, None] - offers.col[o][None, :]
        )
        bid = bid_fraction * bidders.marginal_profit[b][:, None] * offers.productivity[o][None, :]
        bid -= distance_cost * dist
        ok = (bid >= offers.reserve[o][None, :]) & (bid > 0)
        ok &= offers.holder[o][None, :] != bidders.household[b][:, None]
        ok[bidders.capacity[b] <= 0] = False
        count = ok.sum(axis=1)
        open_ = np.ones(o.size, dtype=bool)
        i = -1
        while True:
            ahead = np.flatnonzero(count[i + 1 :] > 0)
            if ahead.size == 0:
                break
            i += 1 + int(ahead[0])
            cand = np.flatnonzero(ok[i] & open_)
            k = int(min(bidders.capacity[b[i]], cand.size))
            best = cand[np.argsort(-bid[i, cand], kind="stable")[:k]]
            open_[best] = False
            count -= ok[:, best].sum(axis=1)
            won = o[best]
            out_offer.append(won)
            out_lessee.append(np.full(k, bidders.household[b[i]], dtype=np.int64))
            out_rent.append(np.where(offers.rent_free[won], 0.0, bid[i, best]))
    if not out_offer:
        return Leases(empty, empty, empty, np.zeros(0))
    offer_idx = np.concatenate(out_offer)
    return Leases(
        offer=offer_idx,
        plot=offers.plot[offer_idx],
        lessee=np.concatenate(out_lessee),
        rent=np.concatenate(out_rent),
    )


# ---------------------------------------------------------------- Q4 model.LandModel.patches
def patches_labelled(self: LandModel) -> tuple[int, int]:
    """LandModel.patches with ``scipy.ndimage.label`` on a doubled grid instead of a sparse
    graph and ``connected_components``.

    Plot (r, c) sits at (2r, 2c) of a (2H-1) x (2W-1) image; the cell between two plots is set
    when both have the same operator key, odd-odd cells stay 0. Four-neighbour components of
    that image are exactly the patches (a set in-between cell always touches both of its
    plots), so the count is the same; no COO/CSR matrices are built.
    """
    p = self.plots
    key = p.kind.astype(np.int64) * (p.n + 1) + p.operator + 1
    key = np.where(p.kind == IDLE, -1, key)
    g = p.grid(key)
    h, w = g.shape
    img = np.zeros((2 * h - 1, 2 * w - 1), dtype=bool)
    img[::2, ::2] = g >= 0
    img[::2, 1::2] = (g[:, :-1] == g[:, 1:]) & (g[:, :-1] >= 0)
    img[1::2, ::2] = (g[:-1, :] == g[1:, :]) & (g[:-1, :] >= 0)
    _, n_patches = ndimage.label(img)  # default structure: 4-neighbour
    n_idle = int((p.kind == IDLE).sum())
    return p.n - n_idle, int(n_patches)


PATCHES = {
    "Q2 clear_market winners only": (model_mod, "clear_market", clear_market_winners_only),
    "Q4 patches by ndimage.label": (LandModel, "patches", patches_labelled),
}


@contextlib.contextmanager
def patched(names: list[str]) -> Iterator[None]:
    """Apply the named prototypes for the duration of the block."""
    saved = []
    for name in names:
        owner, attr, new = PATCHES[name]
        saved.append((owner, attr, getattr(owner, attr)))
        setattr(owner, attr, new)
    try:
        yield
    finally:
        for owner, attr, old in reversed(saved):
            setattr(owner, attr, old)


def outcomes(size: Any, seed: int, years: int) -> pd.DataFrame:
    """Yearly outcomes of one run."""
    m = LandModel(rng=seed, **size.overrides())
    for _ in range(years):
        m.step()
    return m.outcomes()


def check(names: list[str], sizes: list[Any], seeds: range, years: int) -> bool:
    """Print whether the patched model reproduces the original's outcomes exactly."""
    all_same = True
    for size in sizes:
        for seed in seeds:
            ref = outcomes(size, seed, years)
            with patched(names):
                new = outcomes(size, seed, years)
            same = ref.equals(new)
            all_same &= same
            print(f"  {size.name:<7} seed {seed}: {'identical' if same else 'DIFFERENT'}")
    return all_same


def cpu_per_run(names: list[str], size: Any, years: int, warmup: int, repeats: int) -> float:
    """Median CPU seconds of ``years`` years after ``warmup`` untimed years (build excluded
    unless ``warmup`` is 0, in which case the build is timed too)."""
    times = []
    with patched(names):
        for r in range(repeats):
            t0 = time.process_time()
            m = LandModel(rng=1 + r, **size.overrides())
            for _ in range(warmup):
                m.step()
            if warmup:
                t0 = time.process_time()
            for _ in range(years):
                m.step()
            times.append(time.process_time() - t0)
    return statistics.median(times)


def main() -> None:
    """Check the prototypes, then time them one at a time and all together."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--size", default="county", help="town, size1..size4 or county")
    ap.add_argument("--years", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=6)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--check-only", action="store_true")
    args = ap.parse_args()
    sizes = {s.name: s for s in ladder(town_size(), county_size())}
    names = list(PATCHES)
    print("exactness, each prototype alone and all together (30 years):")
    for name in [*names, None]:
        print(f" {name or 'all'}")
        check([name] if name else names, [sizes["town"], sizes["size1"]], range(1, 4), 30)
    if args.check_only:
        return
    size = sizes[args.size]
    what = "build + " if args.warmup == 0 else ""
    print(
        f"\n{size.name} ({size.plots:,} plots): CPU s for {what}{args.years} years "
        f"(after {args.warmup}), median of {args.repeats}"
    )
    base = cpu_per_run([], size, args.years, args.warmup, args.repeats)
    print(f"  {'original':<34}{base:8.3f}")
    for name in names:
        t = cpu_per_run([name], size, args.years, args.warmup, args.repeats)
        print(f"  {'+ ' + name:<34}{t:8.3f}  ({(t - base) / base:+.0%})")
    t = cpu_per_run(names, size, args.years, args.warmup, args.repeats)
    print(f"  {'all of them':<34}{t:8.3f}  ({(t - base) / base:+.0%})")


if __name__ == "__main__":
    main()
