"""EMA Workbench adapter and scenario discovery (they skip without EMA Workbench, except in CI)."""

from __future__ import annotations

import os
import runpy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from landsim.errors import UserError
from landsim.params import params_from_flat
from tests.helpers import TINY

ROOT = Path(__file__).resolve().parents[1]

try:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        import ema_workbench  # noqa: F401
except ImportError:
    if os.environ.get("CI") == "true":
        raise  # CI installs the dev extra, which includes EMA Workbench
    pytest.skip(
        "EMA Workbench is not installed (pip install 'landsim[ema]')", allow_module_level=True
    )


def test_perform_experiments_and_prim_run_on_a_tiny_world():
    """The adapter's Model runs under perform_experiments, and PRIM finds a box in it."""
    from ema_workbench import perform_experiments
    from ema_workbench.analysis import prim

    from landsim.ema import build_model

    base = params_from_flat(**TINY, coop_founding="all")
    model = build_model(
        base, uncertainties=["aging_speed", "migration_rate"], levers=["audit_rate"], years=3
    )
    assert len(model.replications) == 1  # Params carry no replicate count
    experiments, outcomes = perform_experiments(model, scenarios=8, policies=2)
    assert len(experiments) == 16 and set(outcomes) >= {"abandonment_rate", "coops_active"}
    assert np.isfinite(outcomes["household_income_mean"]).all()
    x = experiments[["aging_speed", "migration_rate", "audit_rate"]]
    y = outcomes["household_income_mean"] > np.median(outcomes["household_income_mean"])
    box = prim.Prim(x, y).find_box()
    assert box is not None and {"coverage", "density"} <= set(box.peeling_trajectory)


def test_the_ema_example_runs_experiments_with_replications_and_prim():
    """examples/ema_prim.py runs perform_experiments with replications (their spread is an
    outcome) and PRIM (on a tiny world here)."""
    example = runpy.run_path(str(ROOT / "examples" / "ema_prim.py"))
    box, outcomes = example["main"](scenarios=12, years=3, world=TINY, replications=2)
    assert box.peeling_trajectory["density"].max() > 0
    assert outcomes["abandonment_rate"].shape == (12,)
    assert (outcomes["abandonment_rate_sd"] > 0).any()  # replications differ: seeds of their own


def test_every_experiment_and_replication_has_a_seed_of_its_own():
    """Independent seeds differ between experiments and replications and repeat for the same
    inputs; common seeds are compare's replicate seeds, the same in every experiment."""
    from landsim.ema import build_model
    from landsim.runner import replicate_seeds

    model = build_model("baseline", uncertainties=["aging_speed"], levers=[], replications=3)
    assert [r["replication"] for r in model.replications] == [0, 1, 2]
    f = model.function
    seeds = {(a, r): f.seed({"aging_speed": a}, r) for a in (1.0, 1.5) for r in range(3)}
    assert len(set(seeds.values())) == 6
    assert f.seed({"aging_speed": np.float64(1.0)}, 2) == seeds[(1.0, 2)]
    common = build_model("baseline", uncertainties=["aging_speed"], levers=[], seeds="common")
    root = common.function.root
    assert [common.function.seed({"aging_speed": a}, 1) for a in (1.0, 1.5)] == [
        replicate_seeds(root, 3)[1]
    ] * 2
    with pytest.raises(UserError, match="replications must be a whole number"):
        build_model("baseline", replications=0)


def test_a_scenario_gives_assumptions_as_uncertainties_and_levers_with_their_choices():
    """From a scenario: every assumption is an uncertainty over its plausible range, and the
    levers include the benefit-sharing rule with all its values."""
    from landsim.ema import build_model

    model = build_model("baseline")
    unc = {u.name: u for u in model.uncertainties}
    assert unc["aging_speed"].lower_bound == 0.75 and unc["aging_speed"].upper_bound == 2.0
    levers = {lv.name: lv for lv in model.levers}
    rule = levers["benefit_rule"]
    assert [c.value for c in rule.categories] == [
        "fixed_rent",
        "guaranteed_dividend",
        "shareholding",
        "guaranteed_rebate",
    ]
    assert "reserve_share" not in levers  # the member share rebalances it


def test_an_experiment_file_gives_its_factors_levers_and_outcomes():
    """From an experiment file: levers.* factors become levers, the rest uncertainties."""
    from landsim.ema import build_model

    model = build_model("aging_migration")
    assert [u.name for u in model.uncertainties] == ["aging_speed", "migration_rate"]
    assert [lv.name for lv in model.levers] == ["coop_founding"]
    assert "abandonment_rate" in [o.name for o in model.outcomes]


def test_sampled_member_share_keeps_the_profit_split_at_one():
    """A sampled member share rescales the reserve and collective shares to keep the sum 1."""
    from landsim.ema import build_model

    model = build_model("baseline", uncertainties=[], levers=["member_share"])
    changes = model.function.changes({"member_share": 0.6})
    split = [changes[f"levers.{k}"] for k in ("reserve_share", "collective_share", "member_share")]
    assert split == pytest.approx([0.2, 0.2, 0.6])


def test_unknown_names_are_errors_naming_them():
    """An unknown parameter or outcome is an error naming it."""
    from landsim.ema import build_model

    with pytest.raises(UserError, match="'aging_sped' is not a landsim parameter"):
        build_model("baseline", uncertainties=["aging_sped"])
    with pytest.raises(UserError, match="unknown outcome.*abandonment"):
        build_model("baseline", outcomes=["abandonment"])


# ------------------------------------------------------------------ scenario discovery
def test_discover_finds_the_box_that_makes_the_condition_true():
    """PRIM recovers a planted box: the condition holds where x > 0.7, whatever y is."""
    from landsim.sweep.discovery import discover, parse_condition

    rng = np.random.default_rng(3)
    runs = pd.DataFrame({"a.x": rng.random(400), "a.y": rng.random(400)})
    runs["out"] = (runs["a.x"] > 0.7).astype(float)
    d = discover(runs, ["a.x", "a.y"], parse_condition("out > 0.5", ["out"]))
    first = d.boxes.iloc[0]
    assert first["coverage"] > 0.9 and first["density"] >= 0.8
    lim = d.limits[d.limits["box"] == 1].set_index("input")
    assert list(lim.index) == ["a.x"] and lim.loc["a.x", "low"] == pytest.approx(0.7, abs=0.1)


@pytest.mark.parametrize("text", ["abandonment_rate >> 0.1", "0.1 < abandonment_rate", "x > 1"])
def test_a_malformed_condition_is_an_error_stating_the_form(text):
    """A condition not of the form OUTCOME OP NUMBER, or naming an unkept outcome, is refused."""
    from landsim.sweep.discovery import parse_condition

    with pytest.raises(UserError, match="--discover"):
        parse_condition(text, ["abandonment_rate"])


def test_analyze_discover_writes_boxes_with_coverage_and_density(tmp_path, capsys):
    """Analyze --discover prints and writes PRIM boxes with coverage and density."""
    from sweep_helpers import tiny_experiment

    from landsim.cli import main
    from landsim.sweep import SerialExecutor, load_experiment, run_sweep

    factors = """
[factors."assumptions.aging_speed"]
range = [0.5, 2.0]
[factors."levers.guaranteed_rent"]
range = [300, 900]
"""
    path = tmp_path / "exp.toml"
    path.write_text(tiny_experiment(factors, 'kind = "latin"\nsamples = 24', replicates=1))
    out = tmp_path / "out"
    run_sweep(load_experiment(path), out, SerialExecutor(), progress=False)
    runs = pd.read_parquet(out / "runs")
    cut = float(runs["household_income_mean"].median())
    condition = f"household_income_mean > {cut}"
    assert main(["analyze", str(out), "--discover", condition, "--resamples", "10"]) == 0
    text = capsys.readouterr().out
    assert f"scenario discovery (PRIM) for {condition}" in text
    boxes = pd.read_csv(out / "analysis" / "discovery_boxes.csv")
    assert {"coverage", "density", "mass", "restricted"} <= set(boxes.columns)
    assert (out / "analysis" / "discovery.png").stat().st_size > 0
