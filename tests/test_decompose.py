"""``landsim decompose``: the factorial over a bundle's parts, its contrasts, its file's errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from landsim.cli import main
from landsim.decompose import cells, effects, load_decomposition

REPO = Path(__file__).resolve().parents[1]
BUNDLED = sorted((REPO / "experiments").glob("decompose_*.toml"))

#: two parts of a tiny town's co-ops, switched between values the file gives
TWO_PARTS = """\
title = "Two parts of a tiny town"
scenario = "tiny.toml"
seeds = 2
years = 2
seed = 5
outcomes = ["abandonment_rate", "collective_income_mean", "coop_land_share"]

[[part]]
name = "audits"
on = { "levers.audit_rate" = 0.5 }
off = { "levers.audit_rate" = 0.0 }

[[part]]
name = "firm"
title = "Service firm"
on = { "levers.firm_enabled" = true, "levers.professional_management" = true }
off = { "levers.firm_enabled" = false, "levers.professional_management" = false }
"""


@pytest.fixture(scope="module")
def decomposed(tmp_path_factory, tiny_text) -> Path:
    """A finished two-part decomposition of the tiny town (2 seeds, 2 years), in this process."""
    folder = tmp_path_factory.mktemp("decompose")
    (folder / "tiny.toml").write_text(tiny_text, encoding="utf-8")
    (folder / "parts.toml").write_text(TWO_PARTS, encoding="utf-8")
    out = folder / "out"
    argv = ["decompose", str(folder / "parts.toml"), "--workers", "1", "--no-progress"]
    assert main([*argv, "--out", str(out)]) == 0
    return out


def _wide(out: Path, outcome: str) -> pd.DataFrame:
    runs = pd.read_csv(out / "runs.csv", dtype={"cell": str})
    return runs.pivot(index="replicate", columns="cell", values=f"{outcome}:mean")


def _effect(out: Path, outcome: str, contrast: str, part: str = "") -> float:
    table = pd.read_csv(out / "effects.csv", keep_default_na=False)
    row = table[(table.outcome == outcome) & (table.contrast == contrast) & (table.part == part)]
    assert len(row) == 1
    return float(row["effect"].iloc[0])


def test_the_factorial_runs_every_combination_of_parts_once_per_seed(decomposed):
    """Two parts and two seeds make 2**2 combinations x 2 seeds; each seed runs in every one."""
    runs = pd.read_csv(decomposed / "runs.csv", dtype={"cell": str})
    assert sorted(runs["cell"].unique()) == ["00", "01", "10", "11"]
    assert runs.groupby("replicate")["cell"].nunique().tolist() == [4, 4]
    assert runs.groupby("cell")["seed"].apply(lambda s: tuple(sorted(s))).nunique() == 1
    assert len(runs) == 8
    record = json.loads((decomposed / "provenance.json").read_text())
    assert record["status"] == "complete"
    assert record["cells"] == {"00": "", "01": "firm", "10": "audits", "11": "audits+firm"}
    assert (decomposed / "decomposition.png").stat().st_size > 10_000


@pytest.mark.parametrize("outcome", ["collective_income_mean", "coop_land_share"])
def test_together_minus_base_is_the_difference_of_the_runs_means(decomposed, outcome):
    """'Together minus base' is the mean over seeds of the all-on run minus the all-off run."""
    wide = _wide(decomposed, outcome)
    expected = (wide["11"] - wide["00"]).mean()
    assert _effect(decomposed, outcome, "together") == pytest.approx(expected, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("outcome", ["collective_income_mean", "coop_land_share"])
def test_the_interaction_is_together_beyond_the_sum_of_the_parts_alone(decomposed, outcome):
    """Interaction = (together - base) - sum over parts of (part alone - base)."""
    wide = _wide(decomposed, outcome)
    expected = (wide["11"] - wide["00"]) - (wide["10"] - wide["00"]) - (wide["01"] - wide["00"])
    got = _effect(decomposed, outcome, "interaction")
    assert got == pytest.approx(expected.mean(), rel=1e-9, abs=1e-12)
    alone = _effect(decomposed, outcome, "alone", "firm")
    assert alone == pytest.approx((wide["01"] - wide["00"]).mean(), rel=1e-9, abs=1e-12)


def test_effects_of_an_additive_outcome_have_no_interaction(tmp_path, tiny_text):
    """For an outcome where each part adds a fixed amount, the interaction is 0 and each
    part's alone and main effects equal its amount."""
    (tmp_path / "tiny.toml").write_text(tiny_text, encoding="utf-8")
    (tmp_path / "parts.toml").write_text(TWO_PARTS, encoding="utf-8")
    dec = load_decomposition(tmp_path / "parts.toml")
    rng = np.random.default_rng(3)
    amount = {"audits": 2.0, "firm": -5.0}
    rows = []
    for r in range(6):
        level = rng.normal(10.0, 3.0)
        for cell in cells(2):
            value = level + sum(a for f, a in zip(cell, amount.values(), strict=True) if f == "1")
            means = {f"{o}:mean": value for o in dec.outcomes}
            rows.append({"cell": cell, "replicate": r, **means})
    table = effects(pd.DataFrame(rows), dec).query("outcome == 'collective_income_mean'")
    got = {(c, p): e for c, p, e in zip(table.contrast, table.part, table.effect, strict=True)}
    assert got[("interaction", "")] == pytest.approx(0.0, abs=1e-9)
    assert got[("together", "")] == pytest.approx(-3.0)
    for part, a in amount.items():
        assert got[("alone", part)] == pytest.approx(a)
        assert got[("main effect", part)] == pytest.approx(a)


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        (
            '"levers.audit_rate" = 0.5',
            '"levers.audit_rat" = 1',
            "part[1] (audits): 'levers.audit_rat': unknown parameter",
        ),
        ("seeds = 2", "seeds = 1", "seeds: input should be greater than or equal to 2"),
        (
            'title = "Service firm"',
            'title = "Service firm"\ncolour = "red"',
            "part[2].colour: unknown key",
        ),
        (
            '"levers.audit_rate" = 0.0',
            '"levers.audit_rate" = 0.5',
            "part[1] (audits): switching it off changes nothing",
        ),
        ('name = "firm"', 'name = "the firm"', "part[2] (the firm).name: must be a plain name"),
    ],
    ids=["misspelt key", "too few seeds", "unknown key", "part that changes nothing", "name"],
)
def test_a_bad_decomposition_file_is_one_line_naming_file_key_and_rule(
    tmp_path, tiny_text, capsys, old, new, says
):
    """A mistake stops the command with exit status 2 and one line naming the file, the key
    and the rule, before any run."""
    assert old in TWO_PARTS
    (tmp_path / "tiny.toml").write_text(tiny_text, encoding="utf-8")
    path = tmp_path / "parts.toml"
    path.write_text(TWO_PARTS.replace(old, new), encoding="utf-8")
    assert main(["decompose", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert str(path) in err and says in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_bundled_decompositions_load_with_parts_that_change_something(path):
    """Every bundled decomposition file loads by bare name; each part switches at least one
    key to a different value."""
    dec = load_decomposition(path.stem)
    assert len(dec.parts) >= 2 and dec.seeds >= 20
    for part in dec.parts:
        assert any(part.on[k] != part.off[k] for k in part.on), part.name


def test_help_shows_an_example(capsys):
    """``landsim decompose --help`` shows an example command line."""
    with pytest.raises(SystemExit):
        main(["decompose", "--help"])
    text = capsys.readouterr().out
    assert "examples:" in text and "landsim decompose decompose_tri_party --out" in text


def test_an_interrupted_decomposition_keeps_its_finished_runs(tmp_path, tiny_text, monkeypatch):
    """Ctrl-C after five runs: exit status 130, the five runs kept in runs.csv and
    timeseries.parquet, and provenance says 'interrupted'."""
    import landsim.compare

    (tmp_path / "tiny.toml").write_text(tiny_text, encoding="utf-8")
    (tmp_path / "parts.toml").write_text(TWO_PARTS, encoding="utf-8")
    real = landsim.compare.run_numbered
    calls = []

    def stop_at_the_sixth(item):
        calls.append(item[0])
        if len(calls) == 6:
            raise KeyboardInterrupt
        return real(item)

    monkeypatch.setattr(landsim.compare, "run_numbered", stop_at_the_sixth)
    out = tmp_path / "out"
    argv = ["decompose", str(tmp_path / "parts.toml"), "--workers", "1", "--no-progress"]
    assert main([*argv, "--out", str(out)]) == 130
    assert len(pd.read_csv(out / "runs.csv")) == 5
    assert pd.read_parquet(out / "timeseries.parquet")["year"].max() == 2
    assert json.loads((out / "provenance.json").read_text())["status"] == "interrupted"
