"""Print the levels and patterns tables: ``python -m landsim.validation [SEEDS] [SIZES]``."""

from __future__ import annotations

import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from landsim.validation import evaluate, format_tables, load_spec, run_all

if __name__ == "__main__":
    seeds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    sizes = sys.argv[2].split(",") if len(sys.argv) > 2 else ["S", "D", "L"]
    spec = load_spec()
    scen = Path(__file__).resolve().parents[2] / "scenarios"
    with ProcessPoolExecutor(2) as pool:
        df = run_all(spec, sizes, seeds, scen, mapper=pool.map)
    pats, levels = evaluate(spec, df)
    print(format_tables(pats, levels))
