"""Print the levels and patterns tables for the bundled model.

``python -m landsim.validation [SEEDS] [SIZES]``: by default 40 replicates at the small size, 20
at the default town and 10 at the large size (as ``tests/test_story.py``); ``SEEDS`` sets one
count for every size, ``SIZES`` a comma-separated subset of ``S,D,L``.
"""

from __future__ import annotations

import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd

from landsim.processes import worker_init
from landsim.validation import evaluate, load_spec, run_all
from landsim.validation.tables import format_tables

DEFAULT_SEEDS = {"S": 40, "D": 20, "L": 10}

if __name__ == "__main__":
    given = int(sys.argv[1]) if len(sys.argv) > 1 else None
    sizes = sys.argv[2].split(",") if len(sys.argv) > 2 else ["S", "D", "L"]
    spec = load_spec()
    scen = Path(__file__).resolve().parents[2] / "scenarios"
    with ProcessPoolExecutor(2, initializer=worker_init) as pool:  # workers die with us
        df = pd.concat(
            run_all(spec, [s], given or DEFAULT_SEEDS[s], scen, mapper=pool.map) for s in sizes
        )
    pats, levels = evaluate(spec, df)
    print(format_tables(pats, levels))
