"""Experiment files, designs and seeds: validation, dry runs and stable identities."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from sweep_helpers import tiny_experiment

from landsim.cli import main
from landsim.runner import replicate_seeds
from landsim.sweep import ExperimentError, build_design, load_experiment, plan_text, run_seed
from landsim.sweep.design import iter_tasks

#: sweep experiments (calibrate_*.toml are `landsim calibrate` files, tested in test_calibrate.py;
#: decompose_*.toml are `landsim decompose` files, tested in test_decompose.py)
EXPERIMENTS = sorted(
    p
    for p in (Path(__file__).parent.parent / "experiments").glob("*.toml")
    if not p.stem.startswith(("calibrate_", "decompose_"))
)


def write(tmp_path: Path, text: str, name: str = "exp.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_four_bundled_experiments_exist():
    """The four experiments of the issue are bundled."""
    names = {p.stem for p in EXPERIMENTS}
    assert {"benefit_sharing", "endogenous_power", "aging_migration", "sobol_levers"} <= names


@pytest.mark.parametrize("path", EXPERIMENTS, ids=lambda p: p.stem)
def test_bundled_experiment_dry_run(path, capsys):
    """Every bundled experiment validates and its dry run starts with 'N runs: ...'."""
    assert main(["sweep", str(path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    first = out.splitlines()[0]
    m = re.match(r"^(\d+) runs: (\d+) design points x (\d+) replicates", first)
    assert m, first
    assert int(m.group(1)) == int(m.group(2)) * int(m.group(3))
    assert "factors:" in out and "replicates:" in out


@pytest.mark.parametrize("path", EXPERIMENTS, ids=lambda p: p.stem)
def test_bundled_experiment_has_question_header(path):
    """Each bundled experiment opens with a comment saying the question it answers."""
    head = path.read_text(encoding="utf-8").splitlines()[:12]
    assert head[0].startswith("# Experiment")
    assert any("Question:" in line for line in head)


def test_factorial_crosses_every_level(tmp_path):
    """A factorial design has one point per combination of levels."""
    exp = load_experiment(write(tmp_path, tiny_experiment()))
    design = build_design(exp)
    assert design.n_points == 4
    combos = {(p["levers.benefit_rule"], p["levers.guaranteed_rent"]) for p in design.points}
    assert combos == {(r, g) for r in ("fixed_rent", "guaranteed_dividend") for g in (400, 800)}


def test_rebalance_keeps_shares_summing_to_one(tmp_path):
    """A rebalanced share factor rescales its partners so the shares still sum to one."""
    factors = """
[factors."levers.member_share"]
values = [0.6, 0.9]
rebalance = ["levers.reserve_share", "levers.collective_share"]
"""
    exp = load_experiment(write(tmp_path, tiny_experiment(factors)))
    for p in build_design(exp).points:
        total = p["levers.member_share"] + p["levers.reserve_share"] + p["levers.collective_share"]
        assert total == pytest.approx(1.0)
        assert p["levers.reserve_share"] == pytest.approx(p["levers.collective_share"])


def test_salib_designs_map_categorical_and_integer_factors(tmp_path):
    """SALib designs pick categorical levels by index and integers by whole numbers."""
    factors = """
[factors."levers.benefit_rule"]
values = ["fixed_rent", "guaranteed_dividend", "shareholding"]
[factors."levers.subsidy_years"]
range = [0, 4]
[factors."levers.audit_rate"]
range = [0.0, 1.0]
"""
    for design in (
        'kind = "sobol"\nsamples = 16',
        'kind = "latin"\nsamples = 30',
        'kind = "morris"\nsamples = 5',
    ):
        exp = load_experiment(write(tmp_path, tiny_experiment(factors, design)))
        d = build_design(exp)
        rules = {p["levers.benefit_rule"] for p in d.points}
        years = {p["levers.subsidy_years"] for p in d.points}
        assert rules <= {"fixed_rent", "guaranteed_dividend", "shareholding"}
        assert len(rules) == 3
        assert years <= set(range(5)) and all(isinstance(y, int) for y in years)
        assert all(0.0 <= p["levers.audit_rate"] <= 1.0 for p in d.points)
    sobol = load_experiment(write(tmp_path, tiny_experiment(factors, 'kind = "sobol"\nN = 16')))
    assert build_design(sobol).n_points == 16 * (3 + 2)


def test_run_seeds_depend_only_on_point_and_replicate():
    """A run's seed comes from (root, point, replicate) alone; common seeds match runner's."""
    assert run_seed(5, 3, 1) == run_seed(5, 3, 1)
    child = np.random.SeedSequence(5).spawn(4)[3].spawn(2)[1]
    assert run_seed(5, 3, 1) == int(child.generate_state(1, dtype=np.uint64)[0] >> 1)
    assert run_seed(5, 3, 1) != run_seed(5, 1, 3)
    assert [run_seed(5, 7, r, common=True) for r in range(3)] == replicate_seeds(5, 3)


def test_tasks_skip_done_runs_and_keep_ids(tmp_path):
    """Resuming skips done run ids; the others keep their ids and seeds."""
    exp = load_experiment(write(tmp_path, tiny_experiment()))
    design = build_design(exp)
    every = {t.run_id: t.seed for t in iter_tasks(exp, design)}
    assert len(every) == 8
    rest = {t.run_id: t.seed for t in iter_tasks(exp, design, skip={"p000001-r000"})}
    assert "p000001-r000" not in rest
    assert rest == {k: v for k, v in every.items() if k != "p000001-r000"}


BAD = [
    ("[desgn]\nkind='factorial'\n", r"desgn: unknown key"),
    ('[design]\nkind = "grid"\n', r"design\.kind"),
    ('[design]\nkind = "sobol"\nsamples = 10\n', r"design\.samples: .*power of 2"),
    ('[factors."levers.no_such_lever"]\nvalues = [1]\n', r"levers\.no_such_lever.*not a parameter"),
    ('[factors."levers.audit_rate"]\nvalues = [1.5]\n', r"levers\.audit_rate.*1\.5"),
    ('[factors."levers.audit_rate"]\nrange = [0, 1]\n', r"factorial design needs 'values'"),
    ('[factors."levers.audit_rate"]\nvalues = [0.1]\nrange = [0, 1]\n', r"exactly one of"),
    ('[factors."levers.firm_enabled"]\nrange = [0, 1]\n', r"bool parameter; list its 'values'"),
    ('[factors."levers.member_share"]\nvalues = [0.5, 0.8]\n', r"design point 0 .*sum to 1"),
]


@pytest.mark.parametrize(("snippet", "message"), BAD)
def test_bad_experiment_gets_one_clear_message(tmp_path, snippet, message):
    """A mistake is reported as one ExperimentError naming the file and the key."""
    base = tiny_experiment(factors="")
    if snippet.startswith("[desgn]"):
        text = base.replace('[design]\nkind = "factorial"', snippet)
    elif snippet.startswith("[design]"):
        text = base.replace('[design]\nkind = "factorial"', snippet) + (
            '[factors."levers.audit_rate"]\nrange = [0, 1]\n'
            '[factors."levers.custody_price"]\nrange = [800, 1200]\n'
        )
    else:
        text = base + snippet
    path = write(tmp_path, text)
    with pytest.raises(ExperimentError, match=message) as info:
        load_experiment(path)
        build_design(load_experiment(path))
    assert str(path) in str(info.value)


def test_bad_experiment_on_the_command_line_prints_one_line(tmp_path, capsys):
    """The CLI reports a bad experiment in one line on stderr, exit status 2, no traceback."""
    path = write(tmp_path, tiny_experiment(outcomes=("abandonment_rat",)))
    assert main(["sweep", str(path), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "outcomes: unknown outcome 'abandonment_rat'" in err


def test_missing_and_malformed_files(tmp_path):
    """A missing file and a TOML syntax error are user errors naming the file, and the syntax
    error its line and that line's text."""
    with pytest.raises(ExperimentError, match="no such experiment file"):
        load_experiment(tmp_path / "nope.toml")
    with pytest.raises(ExperimentError, match=r"exp\.toml:1: TOML syntax error: .*'\[design'"):
        load_experiment(write(tmp_path, "[design\nkind = 1"))


def test_dry_run_notes_a_timeline_that_overrides_a_factor(tmp_path):
    """The plan warns when the base scenario's timeline changes a factor mid-run."""
    scenarios = Path(__file__).parent.parent / "scenarios"
    text = tiny_experiment(
        factors='[factors."levers.subsidy_per_mu"]\nvalues = [100, 200]\n',
        years=5,
        extra=f'base = "{scenarios / "coop_subsidy_dependent.toml"}"',
    )
    exp = load_experiment(write(tmp_path, text))
    assert "timeline changes levers.subsidy_per_mu in year(s) 4" in plan_text(exp)
