"""Compiled kernels equal their NumPy references bit for bit (house style 13), and the switch
and cache of :mod:`landsim.compiled` work.

The golden runs (tests/test_golden.py) were recorded with the NumPy references and run with
the kernels, so they also hold the two together over whole runs.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from landsim import compiled
from landsim.clearing import (
    Bidders,
    KinPairs,
    Offers,
    Technology,
    auction,
    auction_reference,
    clear_market,
)
from landsim.clearing_kernels import auction_rounds

#: every module of kernels, by name
KERNEL_MODULES = [f"landsim.{p.stem}" for p in (compiled.SOURCES.parent).glob("*_kernels.py")]

# few distinct values, so that bids, prices, gains and days tie often
BIDS = st.sampled_from([-np.inf, -30.0, 0.0, 40.0, 95.5, 120.0, 120.0, 300.25, 600.0])
DAYS_PER_MU = st.sampled_from([0.0, 4.0, 12.0])
RESERVES = st.sampled_from([-50.0, -0.0, 0.0, 40.0, 100.0, 300.25])
WAGES = st.sampled_from([20.0, 60.0, 120.0, 200.0])
DAYS = st.sampled_from([0.0, 6.0, 12.0, 18.0, 40.0])


@st.composite
def village_auctions(draw):
    """One village's auction: bidders x plots willingness to pay, the plots' labour and
    reserves, the bidders' wages, days and room (including no bidders and no plots)."""
    n_b = draw(st.integers(0, 7))
    n_o = draw(st.integers(0, 9))
    base = draw(hnp.arrays(np.float64, (n_b, n_o), elements=BIDS))
    days_per_mu = draw(hnp.arrays(np.float64, n_o, elements=DAYS_PER_MU))
    reserve = draw(hnp.arrays(np.float64, n_o, elements=RESERVES))
    wage = draw(hnp.arrays(np.float64, n_b, elements=WAGES))
    days_left = draw(hnp.arrays(np.float64, n_b, elements=DAYS))
    room = draw(hnp.arrays(np.int64, n_b, elements=st.integers(0, 4)))
    hired_wage = draw(st.sampled_from([60.0, 120.0]))
    return base, days_per_mu, days_per_mu * 1.5, reserve, wage, hired_wage, days_left, room


def _same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


@settings(max_examples=400, deadline=None)
@given(village_auctions())
def test_the_auction_kernel_equals_its_numpy_reference(case):
    """On random villages (ties, bids that may not be made, no bidders or no plots, own days
    dearer or cheaper than hired ones), the compiled auction leases the same plots to the same
    bidders at the same rents, in the same order, bit for bit."""
    want = auction_reference(*case)
    got = auction(*case)
    assert all(_same_bits(g, w) for g, w in zip(got, want, strict=True)), (got, want)


def test_the_auction_kernel_is_called_and_leaves_its_inputs_alone(monkeypatch):
    """By default ``auction`` runs the kernel, and the days and room it is given are not
    changed (the kernel works on copies)."""
    calls = []

    def spy(*args):
        calls.append(args)
        return auction_rounds(*args)

    monkeypatch.setattr("landsim.clearing.auction_rounds", spy)
    base = np.array([[300.0, 260.0], [250.0, -np.inf]])  # less 4 days x 50 yuan: 100, 60 / 50
    days, room = np.array([10.0, 10.0]), np.array([1, 2])
    plot, bidder, rent, family = auction(
        base, np.array([4.0, 4.0]), np.array([6.0, 6.0]), np.zeros(2), np.array([50.0, 50.0]),
        120.0, days, room,
    )  # fmt: skip
    assert len(calls) == 1
    # bidder 0 wins both, keeps plot 1 where it gains most (60 - 0 > 100 - 50: room for one),
    # and plot 0 goes to bidder 1 in the second round, alone, at the reserve
    assert plot.tolist() == [1, 0] and bidder.tolist() == [0, 1]
    assert rent.tolist() == [0.0, 0.0] and family.tolist() == [True, True]
    assert days.tolist() == [10.0, 10.0] and room.tolist() == [1, 2]


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 100_000), n_o=st.integers(0, 40), n_b=st.integers(0, 25))
def test_clear_market_is_the_same_with_and_without_compilation(seed, n_o, n_b):
    """A whole market (renewals, kin, auctions over three villages, some without bidders or
    without offers) clears to the same leases with the kernels as with ``LANDSIM_NO_JIT=1``."""
    rng = np.random.default_rng(seed)
    offers = Offers(
        plot=np.arange(n_o),
        village=rng.integers(0, 3, n_o),
        row=rng.integers(0, 12, n_o),
        col=rng.integers(0, 12, n_o),
        hilly=rng.random(n_o) < 0.4,
        quality=rng.choice([0.8, 1.0, 1.2], n_o),
        reserve=rng.choice([-50.0, 0.0, 200.0, 350.0], n_o),
        market_value=rng.uniform(0, 600, n_o),
        holder=rng.integers(-1, 30, n_o),
    )
    bidders = Bidders(
        household=rng.permutation(60)[:n_b],  # some hold offered plots: no bid for their own
        village=rng.integers(0, 3, n_b),
        row=rng.integers(0, 12, n_b),
        col=rng.integers(0, 12, n_b),
        wage=rng.choice([20.0, 80.0, 150.0], n_b),
        days=rng.choice([0.0, 18.0, 60.0], n_b),
        room=rng.integers(1, 4, n_b),
    )
    n_k = int(rng.integers(0, 2 * n_o + 1)) if n_o and n_b else 0
    kin = KinPairs(
        offer=rng.integers(0, max(n_o, 1), n_k),
        bidder=rng.integers(0, max(n_b, 1), n_k),
        closeness=rng.uniform(0, 1, n_k),
    )
    tech = Technology(1300.0, 450.0, 600.0, 0.7, 4.0, 12.0, 120.0, 1.5)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(compiled.NO_JIT_VARIABLE, "1")
        want = clear_market(offers, bidders, kin, tech, 3.0, 400.0)
    got = clear_market(offers, bidders, kin, tech, 3.0, 400.0)
    for name in want.__dataclass_fields__:
        assert _same_bits(getattr(got, name), getattr(want, name)), name


def test_landsim_no_jit_turns_compilation_off(monkeypatch):
    """``LANDSIM_NO_JIT`` set to 1 (or yes, true) turns the kernels off; unset, empty or 0
    leaves them on."""
    for value, on in (("1", False), ("yes", False), ("TRUE", False), ("0", True), ("", True)):
        monkeypatch.setenv(compiled.NO_JIT_VARIABLE, value)
        assert compiled.enabled() is on, value
    monkeypatch.delenv(compiled.NO_JIT_VARIABLE)
    assert compiled.enabled()


@compiled.kernel
def _triangle(n):
    """1 + 2 + ... + n, by calling itself (a kernel that recurses)."""
    if n <= 0:
        return 0
    return n + _triangle(n - 1)


@compiled.kernel
def _twice_triangle(n):
    """Calls another kernel."""
    return 2 * _triangle(n)


def test_a_kernel_may_call_itself_and_other_kernels():
    """A kernel sees its own compiled form and its callees' (it used to compile itself
    forever)."""
    assert _triangle(10) == 55
    assert _twice_triangle(4) == 20
    assert _triangle.dispatcher().py_func.__globals__["_triangle"] is _triangle.dispatcher()
    assert _triangle.py_func(3) == 6  # the plain function still runs as Python


def test_the_cache_goes_to_the_users_folder_when_the_package_is_read_only(monkeypatch, tmp_path):
    """When landsim's own folder cannot be written, Numba's cache goes to the user's cache
    folder; a NUMBA_CACHE_DIR the user set is left alone."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("NUMBA_CACHE_DIR", "")  # restored (unset) after the test, as found
    monkeypatch.delenv("NUMBA_CACHE_DIR")
    assert compiled.cache_dir() is None  # the working tree can be written
    assert "NUMBA_CACHE_DIR" not in os.environ
    writable = compiled._writable
    monkeypatch.setattr(compiled, "_writable", lambda f: f != compiled.SOURCES and writable(f))
    folder = compiled.cache_dir()
    assert folder == tmp_path / "cache" / "landsim" / "numba" and folder.is_dir()
    assert os.environ["NUMBA_CACHE_DIR"] == str(folder)

    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "mine"))
    assert compiled.cache_dir() is None
    assert os.environ["NUMBA_CACHE_DIR"] == str(tmp_path / "mine")


@pytest.mark.skipif(not compiled.enabled(), reason="LANDSIM_NO_JIT=1: nothing is compiled")
def test_compile_kernels_leaves_a_towns_kernels_compiled():
    """``landsim app`` warms up with :func:`landsim.runner.compile_kernels`: afterwards the
    kernels of a town's year (its one-call market, the co-ops', farming's) are compiled."""
    from landsim import clearing_kernels, coop_kernels, farming_kernels
    from landsim.runner import compile_kernels

    compile_kernels(years=1)
    for k in (clearing_kernels.clear_offers, coop_kernels.pool_inputs, farming_kernels.harvest):
        assert k.dispatcher().signatures, k.__name__
    assert compiled.cache_ready()  # process pools now run on the kernels from the start


@pytest.mark.skipif(not compiled.enabled(), reason="LANDSIM_NO_JIT=1: nothing is compiled")
@pytest.mark.parametrize("part", range(compiled.PARTS))
def test_a_warm_up_of_one_part_runs_the_other_kernels_as_python_with_the_same_numbers(part):
    """Two processes share a cold compile, a part each (``compile_kernels(part=...)``); the
    other part's kernels run as plain Python meanwhile, so they must run there at all, and they
    give the compiled kernels' numbers (numpy and Numba differ, e.g. on adding booleans)."""
    from landsim.runner import RunSpec, run
    from landsim.scenario import load_scenario, set_key

    params = load_scenario("tri_party_governance").params
    for key, value in {"world.width": 24, "world.height": 20, "world.villages_x": 2}.items():
        params = set_key(params, key, value)
    params = set_key(params, "world.households_per_village", 40)
    spec = RunSpec(params=params.model_dump(mode="json"), seed=3, years=3)
    compiled_run = run(spec)
    with compiled.compiling_part(part):
        partly_python = run(spec)
    pd.testing.assert_frame_equal(partly_python, compiled_run)
    assert {compiled.part_of(m) for m in KERNEL_MODULES} == set(range(compiled.PARTS))


@pytest.mark.skipif(not compiled.enabled(), reason="LANDSIM_NO_JIT=1: nothing is compiled")
def test_the_apps_warm_up_has_a_child_process_compile_half(monkeypatch):
    """``landsim app``'s warm-up (``compile_kernels_in_two``) on a cold cache: a child process
    compiles (here: loads) part 0 while this one does part 1; the child's mark proves it ran."""
    from landsim import runner

    marker = compiled._ready_marker()
    for f in [marker, *marker.parent.glob(f"{marker.name}.part*")]:
        f.unlink(missing_ok=True)
    monkeypatch.setattr(compiled, "cores", lambda: 2)
    runner.compile_kernels_in_two()
    assert marker.with_name(f"{marker.name}.part0").exists()
    assert marker.with_name(f"{marker.name}.part1").exists()
    assert compiled.cache_ready()


def test_the_cache_is_ready_once_every_part_has_compiled(tmp_path, monkeypatch):
    """``mark_cache_ready(part)`` marks one part; the cache is ready when all have been
    marked, in any order (two processes end in either), or when the whole was compiled."""
    monkeypatch.setattr(compiled, "_ready_marker", lambda: tmp_path / "landsim-kernels-k.ready")
    monkeypatch.delenv(compiled.NO_JIT_VARIABLE, raising=False)
    for last in range(compiled.PARTS):
        for f in tmp_path.iterdir():
            f.unlink()
        for k in [k for k in range(compiled.PARTS) if k != last]:
            compiled.mark_cache_ready(k)
            assert not compiled.cache_ready()
        compiled.mark_cache_ready(last)
        assert compiled.cache_ready()
    (tmp_path / "landsim-kernels-k.ready").unlink()
    compiled.mark_cache_ready()
    assert compiled.cache_ready()
    with pytest.raises(ValueError, match="part must be"):
        with compiled.compiling_part(compiled.PARTS):
            pass


@settings(max_examples=200, deadline=None)
@given(
    keys=st.one_of(
        hnp.arrays(np.int64, st.integers(0, 70), elements=st.integers(-3, 3)),
        hnp.arrays(
            np.float64,
            st.integers(0, 70),
            elements=st.sampled_from([-1.5, -0.0, 0.0, 0.25, 2.0, np.nan, np.inf, -np.inf]),
        ),
    )
)
def test_the_stable_sort_kernel_orders_as_numpys_stable_argsort(keys):
    """Ties (many, by construction) keep their order, -0.0 ties 0.0, NaN goes last."""
    from landsim.sort_kernels import stable_argsort

    expected = np.argsort(keys, kind="stable")
    np.testing.assert_array_equal(stable_argsort(keys), expected)
    np.testing.assert_array_equal(stable_argsort.py_func(keys), expected)
