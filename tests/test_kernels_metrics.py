"""The yearly outcomes: the one-pass observation equals the metric functions bit for bit, the
patch and land-count kernels equal their SciPy and bincount references, and the outcome table
keeps every year."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from landsim import metrics_kernels, spatial
from landsim.metrics import (
    FLOW_METRICS,
    INTEGER_METRICS,
    METRICS,
    OutcomeTable,
    land_counts_reference,
    observe,
)
from landsim.model import LandModel
from landsim.world import KIND_NAMES

SMALL = {"width": 24, "height": 20, "villages_x": 2, "villages_y": 2}


@st.composite
def grids(draw):
    """A grid of a few keys, -1 (no plot) among them, from one cell to a few dozen."""
    h, w = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    return draw(hnp.arrays(np.int64, (h, w), elements=st.integers(-1, 3)))


@settings(max_examples=400, deadline=None)
@given(grids())
def test_the_patch_kernel_equals_its_scipy_reference(g):
    """On random grids (holes, one-row and one-column grids, patches that wind around holes),
    the union-find kernel counts the same cells and the same patches as SciPy's labelling."""
    assert metrics_kernels.count_patches(g) == spatial.count_patches(g)


@st.composite
def plots(draw):
    """The kind, terrain and contract holder of up to 50 plots (the collective's among them)."""
    n = draw(st.integers(0, 50))
    kind = draw(hnp.arrays(np.int8, n, elements=st.integers(0, len(KIND_NAMES) - 1)))
    hilly = draw(hnp.arrays(np.bool_, n))
    holder = draw(hnp.arrays(np.int64, n, elements=st.integers(-1, 5)))
    return kind, hilly, holder


@settings(max_examples=300, deadline=None)
@given(plots())
def test_the_land_count_kernel_equals_its_bincount_reference(case):
    """On random plots (none at all, only the collective's, every kind), the one-pass kernel
    counts the same plots by kind, terrain and contract as ``numpy.bincount``."""
    want = land_counts_reference(*case)
    got = metrics_kernels.land_counts(*case, len(KIND_NAMES))
    assert got.shape == want.shape and got.tolist() == want.tolist()


def _bits(x: float) -> int:
    return int(np.float64(x).view(np.int64))


@pytest.mark.parametrize("jit", ["0", "1"])
def test_observe_equals_every_metric_function_bit_for_bit(monkeypatch, jit):
    """Each year of a small town (year 0 and five seasons, two seeds), with and without the
    kernels, every outcome of ``observe`` is the metric function's value, of the same type,
    bit for bit."""
    monkeypatch.setenv("LANDSIM_NO_JIT", jit)
    for seed in (3, 8):
        m = LandModel(rng=seed, years=5, **SMALL)
        for year in range(6):
            if year:
                m.step()
            got = observe(m)
            for name, value in zip(METRICS, got, strict=True):
                want = METRICS[name](m)
                assert type(value) is type(want), (year, name)
                assert _bits(value) == _bits(want), (year, name, value, want)


def test_the_table_grows_past_its_room_and_keeps_counts_whole():
    """A table made for no years takes any number of rows, gives them back in order, and keeps
    the counts as integers."""
    table = OutcomeTable(0)
    rows = [[float(i + j) for j in range(len(METRICS))] for i in range(9)]
    for row in rows:
        table.add(row)
    df = table.frame()
    assert df.shape == (9, len(METRICS))
    assert df.to_numpy(dtype=np.float64).tolist() == rows
    assert all(df[c].dtype == np.int64 for c in INTEGER_METRICS)
    assert all(isinstance(v, int) for c in INTEGER_METRICS for v in table.model_vars[c])


def test_the_datacollector_answers_as_mesas_does():
    """``model.datacollector`` gives the outcomes as Mesa's DataCollector would: one row per
    year from year 0, by column in ``model_vars``, as a DataFrame, and collects when asked."""
    m = LandModel(rng=2, years=2, **SMALL)
    m.run_model()
    m.step()  # one year past the horizon: the table grows
    df = m.outcomes()
    dc = m.datacollector
    assert len(df) == 4 and df["year"].tolist() == [0, 1, 2, 3]
    assert dc.get_model_vars_dataframe()["coops_active"].tolist() == df["coops_active"].tolist()
    assert list(dc.model_vars) == list(METRICS)
    assert dc.model_vars["abandonment_rate"] == df["abandonment_rate"].tolist()
    dc.collect(m)
    assert len(dc.model_vars["abandonment_rate"]) == 5


def test_outcomes_have_a_year_column_and_no_flows_in_year_0():
    """``outcomes()`` starts with the year, keeps the counts whole and leaves every flow
    missing in year 0 only (the flows are never counts, which could not be missing)."""
    m = LandModel(rng=5, years=2, **SMALL)
    m.run_model()
    df = m.outcomes()
    assert list(df.columns) == ["year", *METRICS]
    assert not set(FLOW_METRICS) & set(INTEGER_METRICS)
    assert df.loc[0, list(FLOW_METRICS)].isna().all()
    assert df.loc[1:, list(FLOW_METRICS)].notna().all().all()
    assert df["year"].dtype == np.int64 and df["households_alive"].dtype == np.int64
