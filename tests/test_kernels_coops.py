"""The co-op kernels (:mod:`landsim.coop_kernels`) equal their NumPy references bit for bit on
random states (house style 13)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from landsim.books import season_reference
from landsim.coop_kernels import pairwise_sum, season

FLOATS = st.floats(-1e9, 1e9, allow_nan=False, allow_subnormal=False)


def _same_bits(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


@settings(max_examples=200, deadline=None)
@given(
    x=hnp.arrays(np.float64, st.integers(0, 1200), elements=FLOATS),
    zeros=st.booleans(),
)
def test_pairwise_sum_is_numpys_sum(x, zeros):
    """Any length (short runs, blocks of 8, halves split more than once), any signs, zeros of
    either sign: the kernel's sum is ``x.sum()`` to the bit."""
    if zeros:
        x = np.where(np.arange(x.size) % 3 == 0, -0.0, x)
    assert _same_bits(pairwise_sum(x), x.sum())


@st.composite
def _seasons(draw):
    """A co-op's pool: holders among a few households (repeated, unsorted) and the
    collective, hilly or flat plots of any quality, and any prices, shocks and costs."""
    n = draw(st.integers(0, 400))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n_hh = draw(st.integers(1, 60))
    holders = np.where(rng.random(n) < draw(st.floats(0, 1)), rng.integers(0, n_hh, n), -1)
    hilly = rng.random(n) < draw(st.floats(0, 1))
    quality = rng.uniform(0.6, 1.4, n)
    numbers = (
        draw(st.sampled_from([0.65, 0.8, 1.0])),  # hilly yield factor
        draw(st.sampled_from([1.0, 1.3, 1.45])),  # hilly cost factor
        draw(st.floats(0, 5000)),  # price
        draw(st.floats(0.3, 1.7)),  # shock
        draw(st.sampled_from([0.5, 1.0, 1.3, 2.5])),  # mu
        draw(st.floats(-500, 2000)),  # cost per mu
    )
    return holders.astype(np.int64), hilly, quality, numbers


@settings(max_examples=150, deadline=None)
@given(case=_seasons())
def test_season_kernel_equals_its_numpy_reference(case):
    """Harvest, grades, sums, members, their land shares and sales, and the collective's:
    every array the kernel returns is the reference's to the bit."""
    holders, hilly, quality, numbers = case
    want = season_reference(holders, hilly, quality, *numbers)
    got = season(holders, hilly, quality, *numbers)
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert _same_bits(g, w)
