"""Checkpoints: saving and loading a model's full state (``landsim.checkpoint``)."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from landsim.checkpoint import CheckpointError, load, save
from landsim.model import LandModel
from landsim.params import Params, params_from_flat
from tests.helpers import TINY, run_years

SEED = 5


def story_params() -> Params:
    """A tiny town with every mechanism busy: co-ops, the firm, audits, high mortality (heirs,
    land back to the collective), new households, and a timeline event in year 20."""
    base = params_from_flat(
        **TINY,
        coop_founding="all",
        firm_enabled=True,
        audit_rate=0.6,
        mortality_multiplier=3.0,
        household_formation_rate=0.3,
        birth_rate=0.1,
    )
    data = base.model_dump(mode="json")
    data["run"]["years"] = 30
    data["timeline"] = [
        {"year": 20, "note": "the subsidy ends", "set": {"levers.subsidy_per_mu": 0.0}}
    ]
    return Params.model_validate(data)


RESUME = """
import sys
from landsim.model import LandModel
m = LandModel.load(sys.argv[1])
for _ in range(15):
    m.step()
m.outcomes().to_parquet(sys.argv[2])
m.save(sys.argv[3])
"""


def _contents(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as npz:
        return {k: npz[k] for k in npz.files}


def test_fifteen_plus_fifteen_years_equal_thirty_bit_for_bit(tmp_path):
    """30 years in one process equal 15 years, a checkpoint, and 15 more in a new process."""
    params = story_params()
    whole = run_years(LandModel(params, rng=SEED), 30)
    half = run_years(LandModel(params, rng=SEED), 15)
    save(half, tmp_path / "year15.npz")
    subprocess.run(
        [
            sys.executable,
            "-c",
            RESUME,
            tmp_path / "year15.npz",
            tmp_path / "out.parquet",
            tmp_path / "year30.npz",
        ],
        check=True,
        timeout=300,
    )
    resumed = pd.read_parquet(tmp_path / "out.parquet")
    expected = whole.outcomes()
    pop = whole.population
    assert len(expected) == 31 and whole.coops and whole.firm.served > 0  # years 0-30
    assert pop.hh_formed.sum() > 40, "new households formed"
    assert (pop.hh_formed & ~pop.hh_alive).any(), "households died out (heirs took their land)"
    assert whole.params.levers.subsidy_per_mu == 0.0, "the year-20 event took effect"
    pd.testing.assert_frame_equal(resumed, expected, check_exact=True)
    # and the whole state, not only the outcomes, is the same
    save(whole, tmp_path / "whole30.npz")
    a, b = _contents(tmp_path / "whole30.npz"), _contents(tmp_path / "year30.npz")
    assert sorted(a) == sorted(b)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


def test_a_loaded_model_keeps_mesa_step_count_and_timeline(tmp_path):
    """A loaded model is in the saved year, with the saved parameters and timeline."""
    m = run_years(LandModel(story_params(), rng=SEED), 4)
    again = LandModel.load(m.save(tmp_path / "c.npz"))
    assert (again.steps, again.time, again.year) == (4, 4.0, 4)
    assert again.params == m.params and again._timeline == m._timeline
    assert sorted(again.households) == sorted(m.households)
    assert sorted(again.coops) == sorted(m.coops)


class _Marker:
    """Unpickling this object would create the file at ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def _rewrite(src: Path, dst: Path, **changes) -> None:
    """Copy checkpoint ``src`` to ``dst`` with members replaced or added (pickling allowed)."""
    arrays = _contents(src)
    arrays.update(changes)
    np.savez(dst, **arrays)


@pytest.fixture
def good(tmp_path) -> Path:
    """A valid checkpoint of a tiny town after two years."""
    return save(run_years(LandModel(story_params(), rng=SEED), 2), tmp_path / "good.npz")


def test_a_pickled_object_array_is_refused_without_running_code(good, tmp_path):
    """An archive member holding a pickled object is refused, and its payload never runs."""
    marker = tmp_path / "pwned"
    evil = np.array([_Marker(marker)], dtype=object)
    _rewrite(good, tmp_path / "evil.npz", **{"plots.holder": evil})
    with pytest.raises(CheckpointError, match=r"evil\.npz: not a valid landsim checkpoint"):
        load(tmp_path / "evil.npz")
    (tmp_path / "raw.npz").write_bytes(pickle.dumps(_Marker(marker)))
    with pytest.raises(CheckpointError, match=r"raw\.npz: not a landsim checkpoint"):
        load(tmp_path / "raw.npz")
    assert not marker.exists()


def _with_doc(good: Path, dst: Path, edit) -> Path:
    arrays = _contents(good)
    doc = json.loads(arrays["state.json"].tobytes())
    edit(doc)
    arrays["state.json"] = np.frombuffer(json.dumps(doc).encode(), dtype=np.uint8)
    np.savez(dst, **arrays)
    return dst


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.update(year="2"), r"'year' must be int"),
        (lambda d: d.update(version=99), r"checkpoint version 99"),
        (lambda d: d["model"].update(shock={"__class__": "os.system"}), r"model\.shock must be"),
        (lambda d: d["firm"].update(price=[1, 2]), r"firm\.price must be float"),
        (lambda d: d["params"]["levers"].update(audit_rate="all"), r"params: levers\.audit_rate"),
        (lambda d: d["coops"].append({"village": 99}), r"coop village 99"),
    ],
)
def test_a_document_with_unexpected_types_is_refused(good, tmp_path, edit, message):
    """A state document with a value of the wrong type or version is refused in one line."""
    bad = _with_doc(good, tmp_path / "bad.npz", edit)
    with pytest.raises(CheckpointError, match=message) as info:
        load(bad)
    assert str(info.value).startswith(str(bad)) and "\n" not in str(info.value)


def test_wrong_shapes_extra_members_and_other_files_are_refused(good, tmp_path):
    """Arrays of another dtype or shape, unknown members and non-archives are refused."""
    _rewrite(good, tmp_path / "a.npz", **{"plots.holder": np.zeros(3, dtype=np.int64)})
    with pytest.raises(CheckpointError, match=r"plots\.holder' has shape"):
        load(tmp_path / "a.npz")
    _rewrite(good, tmp_path / "b.npz", **{"plots.rent": np.zeros(200, dtype=np.int8)})
    with pytest.raises(CheckpointError, match=r"plots\.rent' must be float64"):
        load(tmp_path / "b.npz")
    holder = _contents(good)["plots.holder"].copy()
    holder[0] = 10**6
    _rewrite(good, tmp_path / "i.npz", **{"plots.holder": holder})
    with pytest.raises(CheckpointError, match=r"plots\.holder' holds values outside"):
        load(tmp_path / "i.npz")
    _rewrite(good, tmp_path / "c.npz", extra=np.zeros(1))
    with pytest.raises(CheckpointError, match=r"unexpected arrays \['extra'\]"):
        load(tmp_path / "c.npz")
    (tmp_path / "d.npz").write_text("not a checkpoint")
    with pytest.raises(
        CheckpointError, match=r"d\.npz: not a landsim checkpoint \(not an \.npz archive\)"
    ):
        load(tmp_path / "d.npz")
    with zipfile.ZipFile(tmp_path / "e.npz", "w") as z:
        z.writestr("readme.txt", "hello")
    with pytest.raises(CheckpointError, match=r"e\.npz"):
        load(tmp_path / "e.npz")
    with pytest.raises(CheckpointError, match=r"no such checkpoint file"):
        load(tmp_path / "missing.npz")


def test_saving_refuses_state_it_does_not_know(tmp_path):
    """A model attribute of a kind the checkpoint cannot store stops the save."""
    m = LandModel(rng=1, **TINY)
    m.new_thing = [object()]
    with pytest.raises(CheckpointError, match=r"model\.new_thing"):
        save(m, tmp_path / "x.npz")
    assert not (tmp_path / "x.npz").exists()


def test_cli_checkpoints_and_resumes_to_the_same_outcomes(tmp_path, tiny_text, landsim):
    """``run --checkpoint-every 2`` writes checkpoints; ``run --from`` one of them gives the
    same outcomes file as the unbroken run, which equals a run without checkpoints."""
    (tmp_path / "tiny.toml").write_text(tiny_text.replace("years = 3", "years = 4"))
    plain = landsim("run", "tiny.toml", "--out", "plain", cwd=tmp_path)
    full = landsim("run", "tiny.toml", "--checkpoint-every", "2", "--out", "full", cwd=tmp_path)
    rest = landsim("run", "--from", "full/checkpoint-2.npz", "--out", "rest", cwd=tmp_path)
    for result in (plain, full, rest):
        assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "full").glob("checkpoint-*.npz")) == [
        "checkpoint-2.npz",
        "checkpoint-4.npz",
    ]
    text = (tmp_path / "plain" / "outcomes.csv").read_text()
    assert (tmp_path / "full" / "outcomes.csv").read_text() == text
    assert (tmp_path / "rest" / "outcomes.csv").read_text() == text
    assert "resumed from full/checkpoint-2.npz (year 2)" in rest.stdout
    both = landsim("run", "tiny.toml", "--from", "full/checkpoint-2.npz", cwd=tmp_path)
    assert both.returncode == 2 and "give neither SCENARIO nor --seed" in both.stderr
    bad = landsim("run", "--from", "tiny.toml", "--out", "bad", cwd=tmp_path)
    assert bad.returncode == 2
    assert "tiny.toml: not a landsim checkpoint (not an .npz archive)" in bad.stderr


def test_people_s_decisions_survive_a_checkpoint(tmp_path):
    """A run stepped with people's decisions (a branch's own terms, the government's levers,
    households' plots) continues the same after a checkpoint, decision log included."""
    from landsim.decisions import BranchChoice, Decisions, free_plots

    def played() -> LandModel:
        m = LandModel(rng=2, **TINY, coop_founding="none", firm_enabled=True)
        h = next(i for i in sorted(m.households) if free_plots(m, i).size)
        m.step(
            decisions=Decisions(
                branches={1: BranchChoice(found=True, benefit_rule="fixed_rent", fixed_rent=650)},
                government={"audit_rate": 0.8},
                plots={h: {int(p): "lease" for p in free_plots(m, h)}},
            )
        )
        m.step(decisions=Decisions(branches={1: BranchChoice(member_share=0.7)}))
        return m

    a, b = played(), LandModel.load(played().save(tmp_path / "played.npz"))
    assert b.coops[1].terms == a.coops[1].terms and b.coops[1].rule == a.coops[1].rule
    run_years(a, 3)
    run_years(b, 3)
    pd.testing.assert_frame_equal(a.outcomes(), b.outcomes(), check_exact=True)
    pd.testing.assert_frame_equal(a.decision_log(), b.decision_log())
    assert not b.decision_log().empty
