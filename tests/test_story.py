"""The levels and patterns of docs/validation.md, over replicates at three world sizes.

One longer test module: every run that ``landsim/validation/patterns.toml`` names (the bundled
scenarios and a few variants) is simulated for 30 years at three world sizes — 40 replicate
seeds at the large size (pattern 7's household income differs by about 1 %: 20 seeds could
not tell it), 20 at the default town and 40 at the small size (its four villages make the
village-level pattern 8 noisier), where the sourced levels are
checked. Replicate ``i`` uses the same seed in every run (common random numbers), so checks
compare runs pairwise. Each check is a statement about a mechanism's outcome with a 95 %
interval over replicates; no check asserts what an input sets, and nothing in the model is
special-cased for a scenario: the runs differ only in the keys their files set.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import pandas as pd
import pytest

from landsim.validation import SIZES, evaluate, load_spec, run_all

pytestmark = pytest.mark.slow

SPEC = load_spec()
SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
SEEDS = {"S": 40, "D": 20, "L": 40}


@pytest.fixture(scope="module")
def tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The patterns table (every check at every size) and the levels table (default town)."""
    with ProcessPoolExecutor(max_workers=2, mp_context=get_context("spawn")) as pool:
        df = pd.concat(
            run_all(SPEC, [size], SEEDS[size], SCENARIOS, mapper=pool.map) for size in SIZES
        )
    return evaluate(SPEC, df)


@pytest.mark.parametrize("level", SPEC.levels, ids=lambda lv: lv.name)
def test_level_is_inside_its_sourced_range(tables, level):
    """The default town's mean over 20 replicates lies inside the sourced range."""
    row = tables[1].set_index("quantity").loc[level.name]
    if level.known_gap and not row.inside:
        pytest.xfail(f"known gap: {level.known_gap} (model {row.value:.3f})")
    assert row.n >= 20
    assert level.low <= row.value <= level.high, (
        f"{level.name}: {row.value:.3f} [{row.ci_low:.3f}, {row.ci_high:.3f}] outside "
        f"{level.low}-{level.high}"
    )


CHECKS = [(p, c, s) for p in SPEC.patterns for c in p.checks for s in SIZES]


@pytest.mark.parametrize(
    ("pattern", "check", "size"), CHECKS, ids=[f"{p.id}-{c.label}-{s}" for p, c, s in CHECKS]
)
def test_pattern_holds_at_every_size(tables, pattern, check, size):
    """The pattern's check holds: its 95 % interval over replicates lies on the stated side."""
    pats = tables[0]
    row = pats[(pats.pattern == pattern.id) & (pats.check == check.label) & (pats["size"] == size)]
    assert len(row) == 1
    r = row.iloc[0]
    assert r.n >= 20
    assert r.holds, (
        f"pattern {pattern.id} ({check.label}) at {size}: {r.effect:.4f} "
        f"[{r.ci_low:.4f}, {r.ci_high:.4f}] is not {r.threshold}"
    )
