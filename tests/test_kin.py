"""Batch tie inheritance (used by demography each year) gives the same ties as one-by-one."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from landsim.kin import KinTies


def _ties(seed: int, n: int, m: int) -> KinTies:
    rng = np.random.default_rng(seed)
    a = rng.integers(0, n, m)
    b = (a + 1 + rng.integers(0, n - 1, m)) % n
    ties = KinTies(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0))
    ties.add(a, b, rng.uniform(0, 1, m))
    return ties


def _edges(t: KinTies) -> list[tuple[int, int, float]]:
    return sorted(
        zip(t.src.tolist(), t.dst.tolist(), np.round(t.closeness, 12).tolist(), strict=True)
    )


@settings(max_examples=200, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    m=st.integers(0, 30),
    parents=st.lists(st.integers(0, 11), max_size=8),
    chain=st.booleans(),
)
def test_inherit_many_equals_inherit_in_order(seed, m, parents, chain):
    n = 12
    # children are new ids; with ``chain`` a child may itself split off later in the same batch
    pairs = []
    for i, p in enumerate(parents):
        parent = n + i - 1 if chain and i % 2 == 1 else p
        pairs.append((parent, n + i))
    one, many = _ties(seed, n, m), _ties(seed, n, m)
    for parent, child in pairs:
        one.inherit(parent, child)
    many.inherit_many(pairs)
    assert _edges(many) == _edges(one)
