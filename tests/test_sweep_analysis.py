"""Analysis: Sobol and Morris indices, main effects, figures and the summary."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sweep_helpers import tiny_experiment

from landsim.cli import main
from landsim.errors import UserError
from landsim.sweep import SerialExecutor, load_experiment, run_sweep
from landsim.sweep.analysis import analyze

FACTORS = """
[factors."levers.guaranteed_rent"]
range = [300, 900]
[factors."levers.benefit_rule"]
values = ["fixed_rent", "guaranteed_dividend"]
[factors."assumptions.aging_speed"]
range = [0.5, 2.0]
"""


def sweep(tmp_path: Path, design: str, replicates: int = 1) -> Path:
    path = tmp_path / "exp.toml"
    path.write_text(tiny_experiment(FACTORS, design, replicates=replicates), encoding="utf-8")
    out = tmp_path / "out"
    run_sweep(load_experiment(path), out, SerialExecutor(), progress=False)
    return out


@pytest.fixture(scope="module")
def sobol_dir(tmp_path_factory):
    return sweep(tmp_path_factory.mktemp("sobol"), 'kind = "sobol"\nsamples = 16')


def test_sobol_indices_have_finite_confidence_intervals(sobol_dir):
    """A small Sobol sweep gives S1 and ST for every factor and outcome, with finite CIs."""
    result = analyze(sobol_dir, num_resamples=200)
    t = result.indices
    assert len(t) == 3 * 3  # outcomes x factors
    for col in ("S1", "S1_conf", "ST", "ST_conf"):
        assert np.isfinite(t[col].to_numpy()).all(), col
    assert (t["ST_conf"] > 0).all()
    # some lever visibly moves participation
    part = t[t["outcome"] == "participation_rate"].set_index("factor")
    assert part["ST"].max() > 0.05


def test_morris_screening_gives_mu_star_and_sigma(tmp_path):
    """A Morris sweep gives mu*, its confidence interval and sigma for every factor."""
    result = analyze(sweep(tmp_path, 'kind = "morris"\nsamples = 6\nlevels = 4'), num_resamples=100)
    t = result.indices
    assert list(t.columns) == ["outcome", "factor", "mu_star", "mu_star_conf", "mu", "sigma"]
    assert len(t) == 9 and np.isfinite(t[["mu_star", "sigma"]].to_numpy()).all()
    assert (t["mu_star"] >= 0).all()


def test_factorial_main_effects_and_summary(tmp_path):
    """A factorial sweep gives a mean per level and the variance each factor explains."""
    path = tmp_path / "exp.toml"
    path.write_text(tiny_experiment(replicates=3), encoding="utf-8")
    run_sweep(load_experiment(path), tmp_path / "out", SerialExecutor(), progress=False)
    result = analyze(tmp_path / "out")
    assert result.indices is None
    lv = result.levels
    rule = lv[(lv["outcome"] == "participation_rate") & (lv["factor"] == "levers.benefit_rule")]
    assert list(rule["level"]) == ["fixed_rent", "guaranteed_dividend"]
    assert (rule["n"] == 6).all()
    assert result.effects["variance_share"].between(0, 1).all()
    assert "participation_rate:" in result.summary()


def test_analyze_command_writes_tables_figures_and_summary(sobol_dir, capsys):
    """`landsim analyze DIR` prints the indices and a summary and writes files and PNGs."""
    assert main(["analyze", str(sobol_dir), "--resamples", "100"]) == 0
    out = capsys.readouterr().out
    assert "Sobol indices (95% confidence intervals)" in out
    assert "most sensitive to" in out
    files = {p.name for p in (sobol_dir / "analysis").iterdir()}
    assert {"indices.csv", "main_effects.csv", "summary.txt"} <= files
    assert "sobol_participation_rate.png" in files
    assert "main_effects_participation_rate.png" in files
    assert "interactions_participation_rate.png" in files


def test_analyze_needs_a_sweep_directory(tmp_path):
    """Analysing a directory without a sweep is a user error."""
    with pytest.raises(UserError, match="not a sweep directory"):
        analyze(tmp_path)
    assert main(["analyze", str(tmp_path)]) == 2
