"""``landsim calibrate``: ABC-SMC on a tiny world — posterior, diagnostics, scenario, resume."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from landsim.calibration import load_config
from landsim.calibration.smc import RangeDistance, Simulator, history, range_distance
from landsim.cli import main
from landsim.errors import UserError
from landsim.runner import run
from landsim.scenario import load_scenario
from landsim.validation import run_specs

REPO = Path(__file__).resolve().parents[1]

#: levels the tiny world is checked against; the second cannot be met, so epsilon stays above 0
SPEC = """\
years = 5
scenarios = ["baseline"]

[[level]]
name = "transfer rate"
a = { run = "baseline", column = "transfer_rate" }
range = [0.2, 0.4]

[[level]]
name = "abandonment out of reach"
a = { run = "baseline", column = "abandonment_rate" }
range = [0.9, 1.0]

[[pattern]]
id = 1
name = "Abandonment rises"

[[pattern.check]]
label = "abandonment, year 5 minus year 1"
a = { run = "baseline", column = "abandonment_rate", years = [5] }
b = { run = "baseline", column = "abandonment_rate", years = [1] }
"""

CONFIG = """\
title = "tiny calibration"
base = "baseline"
patterns = "spec.toml"
seeds = 1

[world]
width = 20
height = 10
villages_x = 2
villages_y = 1
households_per_village = 20

[abc]
population = 4
generations = 2
seed = 3

[[parameter]]
key = "assumptions.choice_temperature"
low = 50.0
high = 200.0
unit = "yuan/mu"

[[parameter]]
key = "assumptions.farming_attachment"
low = 100.0
high = 400.0
unit = "yuan/mu"

[[target]]
level = "transfer rate"
tolerance = 0.02

[[target]]
level = "abandonment out of reach"
tolerance = 0.1
"""


def write_config(tmp_path: Path, text: str = CONFIG) -> Path:
    (tmp_path / "spec.toml").write_text(SPEC, encoding="utf-8")
    path = tmp_path / "cal.toml"
    path.write_text(text, encoding="utf-8")
    return path


def calibrate(config: Path, out: Path, *extra: str) -> int:
    args = ["calibrate", str(config), "--out", str(out), "--executor", "serial"]
    return main([*args, "--no-progress", "--predictive-draws", "3", *extra])


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory) -> Path:
    """A finished tiny calibration's folder."""
    tmp = tmp_path_factory.mktemp("cal")
    assert calibrate(write_config(tmp), tmp / "out") == 0
    return tmp / "out"


def test_posterior_has_every_generation(calibrated):
    """posterior.parquet holds both generations' particles with weights summing to one."""
    post = pd.read_parquet(calibrated / "posterior.parquet")
    assert sorted(post["generation"].unique()) == [0, 1]
    assert {"assumptions.choice_temperature", "assumptions.farming_attachment"} <= set(post)
    for _, g in post.groupby("generation"):
        assert len(g) == 4
        assert g["weight"].sum() == pytest.approx(1.0)
    assert post["assumptions.choice_temperature"].between(50, 200).all()


def test_diagnostics_are_written(calibrated):
    """Epsilon and acceptance per generation, figures and the posterior-predictive table."""
    gens = pd.read_csv(calibrated / "generations.csv")
    assert list(gens["generation"]) == [0, 1]
    assert (gens["acceptance_rate"] > 0).all() and (gens["acceptance_rate"] <= 1).all()
    assert gens["epsilon"].iloc[1] < gens["epsilon"].iloc[0]  # the schedule tightens
    # the prior sample is equally weighted; importance weights after it are worth fewer
    assert gens["effective_particles"].iloc[0] == pytest.approx(4.0)
    assert (gens["effective_particles"] >= 1).all() and (
        gens["effective_particles"] <= 4 + 1e-9
    ).all()
    for name in ("marginals.png", "pairs.png", "epsilon.png"):
        assert (calibrated / name).read_bytes()[:4] == b"\x89PNG"
    pred = pd.read_csv(calibrated / "predictive.csv")
    assert list(pred["target"]) == ["transfer rate", "abandonment out of reach"]
    assert not pred["inside"].iloc[1]  # out of reach stays out of reach
    assert "Posterior-predictive check" in (calibrated / "report.md").read_text()
    assert json.loads((calibrated / "provenance.json").read_text())["wall_seconds"] > 0


def test_a_posterior_on_few_effective_particles_is_flagged():
    """Kish's effective sample size: n for equal weights, 1 for one weight; below a tenth of
    the population the calibration warns, naming the count, before anyone adopts its mean."""
    from landsim.calibration.outputs import effective_particles, few_effective_particles

    assert effective_particles([0.25] * 4) == pytest.approx(4.0)
    assert effective_particles([1.0, 0.0, 0.0]) == pytest.approx(1.0)
    assert effective_particles([0.5, 0.5, 0.0, 0.0]) == pytest.approx(2.0)
    gens = pd.DataFrame({"particles": [120, 120], "effective_particles": [120.0, 2.0]})
    warning = few_effective_particles(gens)
    assert warning is not None and "2.0 effective particles of 120" in warning
    assert few_effective_particles(gens.assign(effective_particles=[120.0, 30.0])) is None


def test_the_proposal_kernel_is_widened_by_kernel_scale(tmp_path):
    """[abc] kernel_scale multiplies the covariance of pyabc's proposal kernel (1 by default,
    pyabc's own; the bundled calibration widens it to 2 so its weights do not collapse)."""
    from landsim.calibration.smc import _abc

    def scaling(text: str) -> float:
        abc = _abc(load_config(write_config(tmp_path, text)), sampler=None)
        return abc.transitions[0].scaling

    assert scaling(CONFIG) == 1.0
    assert scaling(CONFIG.replace("seed = 3", "seed = 3\nkernel_scale = 2.0")) == 2.0
    assert load_config(REPO / "experiments" / "calibrate_town.toml").kernel_scale == 2.0


def test_calibrated_scenario_loads(calibrated):
    """calibrated.toml extends the baseline with the posterior means and passes check."""
    assert main(["check", str(calibrated / "calibrated.toml")]) == 0
    scenario = load_scenario(calibrated / "calibrated.toml")
    post = pd.read_parquet(calibrated / "posterior.parquet")
    last = post[post["generation"] == 1]
    mean = (last["assumptions.choice_temperature"] * last["weight"]).sum()
    assert scenario.params.assumptions.choice_temperature == pytest.approx(mean, rel=1e-3)
    text = (calibrated / "calibrated.toml").read_text()
    assert 'extends = "baseline"' in text and "posterior sd" in text


def test_interrupted_calibration_resumes(tmp_path, monkeypatch, capsys):
    """Interrupted in generation 2, --resume keeps generation 1 and finishes the run."""
    config = write_config(tmp_path)
    out = tmp_path / "out"
    real = Simulator.__call__

    def interrupt_in_second_generation(self, parameters):
        if (out / "abc.db").is_file() and history(out).max_t >= 0:
            raise KeyboardInterrupt
        return real(self, parameters)

    monkeypatch.setattr(Simulator, "__call__", interrupt_in_second_generation)
    assert calibrate(config, out) == 130
    assert "--resume" in capsys.readouterr().err
    first = history(out).get_distribution(m=0, t=0)[0].reset_index(drop=True)
    assert history(out).max_t == 0
    monkeypatch.setattr(Simulator, "__call__", real)
    assert calibrate(config, out, "--resume") == 0
    post = pd.read_parquet(out / "posterior.parquet")
    assert sorted(post["generation"].unique()) == [0, 1]
    again = post[post["generation"] == 0][first.columns].reset_index(drop=True)
    pd.testing.assert_frame_equal(again, first, check_names=False)


def test_range_distance_counts_tolerances_outside():
    """Inside the range is 0; outside, the distance in tolerances (root of sum of squares)."""
    bounds = {"a": (0.0, 1.0, 0.5), "b": (10.0, 20.0, 1.0)}
    assert range_distance({"a": 0.5, "b": 15.0}, bounds) == 0.0
    assert range_distance({"a": 2.5, "b": 24.0}, bounds) == pytest.approx(5.0)


def test_a_pattern_check_is_a_target_with_a_one_sided_range(tmp_path):
    """``check = LABEL`` makes the check's effect a target: it must clear the threshold by the
    margin, and the simulator reports the same effect the validation computes."""
    text = CONFIG + '\n[[target]]\ncheck = "abandonment, year 5"\nmargin = 0.01\ntolerance = 0.01\n'
    with pytest.raises(
        UserError,
        match=r"target\[3\]\.check: 'abandonment, year 5' is not the "
        r"label of a pattern check of spec\.toml \(did you mean 'abandonment, year 5 "
        r"minus year 1'\?\)",
    ):
        load_config(write_config(tmp_path, text))
    config = load_config(write_config(tmp_path, text.replace('year 5"', 'year 5 minus year 1"')))
    target = config.targets[2]
    assert target.level.name == "pattern 1: abandonment, year 5 minus year 1"
    assert (target.level.low, target.level.high) == (0.01, float("inf"))
    sim = Simulator(config)
    candidate = {"assumptions.choice_temperature": 100.0, "assumptions.farming_attachment": 250.0}
    levels = sim(candidate)
    specs = run_specs(
        sim.spec,
        ["D"],
        1,
        root_seed=sim.seed_for(candidate),
        changes={**sim.world, **candidate},
        only=sim.runs,
    )
    df = pd.concat([run(s) for s in specs])
    by_year = df.set_index("year")["abandonment_rate"]
    assert levels[target.level.name] == pytest.approx(by_year[5] - by_year[1])
    bounds = {target.level.name: (target.level.low, target.level.high, 0.01)}
    assert range_distance({target.level.name: 0.03}, bounds) == 0.0
    assert range_distance({target.level.name: -0.01}, bounds) == pytest.approx(2.0)


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (
            'level = "transfer rate"\ncheck = "x"',
            r"target\[3\]: name either a level or a pattern check",
        ),
        ("tolerance = 0.1", r"target\[3\]: name either a level or a pattern check"),
        (
            'level = "transfer rate"\nmargin = 0.15',
            r"target\[3\]\.margin: 0\.15 leaves nothing of the range \[0\.2, 0\.4\]",
        ),
    ],
)
def test_a_target_names_one_level_or_one_check(tmp_path, target, message):
    """A target with both, or neither, of level and check, or a margin that leaves nothing of a
    level's range, is refused."""
    text = (
        CONFIG
        + f"\n[[target]]\n{target}\n"
        + ("tolerance = 0.1\n" if "tolerance" not in target else "")
    )
    with pytest.raises(UserError, match=message):
        load_config(write_config(tmp_path, text))


def test_a_margin_on_a_level_aims_inside_its_range(tmp_path):
    """``margin`` on a level moves each finite end of its range inward for the distance (the
    fit is not a knife edge), while the level, and so every report, keeps the sourced range."""
    plain = 'level = "transfer rate"\ntolerance = 0.02\n'
    assert plain in CONFIG
    config = load_config(write_config(tmp_path, CONFIG.replace(plain, plain + "margin = 0.05\n")))
    target = config.targets[0]
    assert (target.level.low, target.level.high) == (0.2, 0.4)
    assert target.aim() == pytest.approx((0.25, 0.35))
    distance = RangeDistance(config)
    assert distance({"transfer rate": 0.3, "abandonment out of reach": 0.95}) == 0.0
    assert distance({"transfer rate": 0.22, "abandonment out of reach": 0.95}) == pytest.approx(1.5)
    assert (
        RangeDistance(load_config(write_config(tmp_path, CONFIG)))(
            {"transfer rate": 0.22, "abandonment out of reach": 0.95}
        )
        == 0.0
    )


def test_bundled_calibration_config_loads():
    """The bundled calibration names assumption parameters and levels of the patterns file."""
    config = load_config(REPO / "experiments" / "calibrate_town.toml")
    assert len(config.priors) >= 4 and len(config.targets) >= 6
    assert config.years == 30
    assert set(config.runs) <= {
        "baseline",
        "fast_aging",
        "coop_guaranteed_dividend",
        "coop_weak_management",
        "guarantee_700",
        "guarantee_910",
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("seeds = 1", "seeds = 1\nbogus = 2"), r"cal\.toml: bogus: unknown key"),
        (
            ('key = "assumptions.farming_attachment"', 'key = "assumptions.nope"'),
            r"parameter\[2\]: assumptions\.nope = 100\.0: unknown parameter",
        ),
        (
            ('key = "assumptions.farming_attachment"', 'key = "levers.guaranteed_rent"'),
            r"parameter\[2\]\.key: 'levers\.guaranteed_rent' is not marked \"assumption\"",
        ),
        (("low = 100.0", "low = 500.0"), r"parameter\[2\]: low \(500\) must be below high"),
        (
            ('level = "transfer rate"', 'level = "transfer"'),
            r"target\[1\]\.level: 'transfer' is not a level of spec\.toml "
            r"\(did you mean 'transfer rate'\?\)",
        ),
        (("tolerance = 0.02", "tolerance = 0"), r"target\[1\]\.tolerance: input should be greater"),
        (("population = 4", "population = 1"), r"abc\.population: input should be greater"),
        (
            ("population = 4", "population = 4\nkernel_scale = 0"),
            r"abc\.kernel_scale: input should be greater than 0",
        ),
    ],
)
def test_bad_config_names_file_key_and_rule(tmp_path, change, message):
    """A bad calibration file is one line per problem naming the file, key and rule."""
    old, new = change
    with pytest.raises(UserError, match=message):
        load_config(write_config(tmp_path, CONFIG.replace(old, new, 1)))


def test_bad_config_exits_2(tmp_path, capsys):
    """Calibrate with a missing file exits 2 with one line."""
    assert main(["calibrate", str(tmp_path / "none.toml")]) == 2
    assert "no such calibration file" in capsys.readouterr().err
