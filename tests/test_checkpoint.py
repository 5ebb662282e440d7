"""Checkpoints: saving and loading a model's full state (``landsim.checkpoint``)."""

from __future__ import annotations

import dataclasses
import io
import json
import pickle
import random
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from landsim import checkpoint
from landsim.checkpoint import VERSION, CheckpointError, load, schema
from landsim.columns import columns
from landsim.model import LandModel
from landsim.params import Params, params_from_flat
from landsim.world import Plots
from tests.helpers import TINY, run_years

SEED = 5
#: the digest of checkpoint.schema() for each version: a change of a state declaration changes
#: it, and must come with a new checkpoint.VERSION (and a line here)
SCHEMA_DIGESTS = {
    2: "90e6ebe5d75f0f99ace501bcf2d1286ca61c1f6a0ad9bb62df5aebd1a1187b0a",
    # issue 23: villages' learned job chance, households' taste, oral leases and renewals
    3: "5378dddfbb63dc5c0516b393bfcca76516aaee40962d3fd0ee7d867f17ef68bc",
    # issue 24 (unreleased while it was built): co-op books, branches and the governance
    # body, and the outcome coop_profit_per_mu
    4: "f36c4e051c0558750690ef63194f51d7479949ae44e8f4f7775581451a3a13ed",
}


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


def _contents(path: Path) -> dict[str, object]:
    """Every member of a checkpoint: arrays, and the state document."""
    with zipfile.ZipFile(path) as z:
        out: dict[str, object] = {"state.json": json.loads(z.read("state.json"))}
        for info in z.infolist():
            if info.filename != "state.json":
                out[info.filename] = np.lib.format.read_array(io.BytesIO(z.read(info)))
        return out


def test_fifteen_plus_fifteen_years_equal_thirty_bit_for_bit(tmp_path):
    """30 years in one process equal 15 years, a checkpoint, and 15 more in a new process:
    the outcomes and every array and number of the state."""
    params = story_params()
    whole = run_years(LandModel(params, rng=SEED), 30)
    half = run_years(LandModel(params, rng=SEED), 15)
    half.save(tmp_path / "year15.npz")
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
    # and the whole state, not only the outcomes, is the same, bit for bit
    whole.save(tmp_path / "whole30.npz")
    a, b = _contents(tmp_path / "whole30.npz"), _contents(tmp_path / "year30.npz")
    assert sorted(a) == sorted(b) and a["state.json"] == b["state.json"]
    for key in a:
        if key != "state.json":
            assert a[key].dtype == b[key].dtype, key
            assert a[key].tobytes() == b[key].tobytes(), key


def test_a_loaded_model_keeps_mesa_step_count_and_timeline(tmp_path):
    """A loaded model is in the saved year, with the saved parameters and timeline, the same
    households and co-ops."""
    m = run_years(LandModel(story_params(), rng=SEED), 4)
    again = LandModel.load(m.save(tmp_path / "c.npz"))
    assert (again.steps, again.time, again.year) == (4, 4.0, 4)
    assert again.params == m.params and again.params.timeline == m.params.timeline
    assert sorted(again.households) == sorted(m.households)
    assert sorted(again.coops) == sorted(m.coops)


@pytest.fixture
def good(tmp_path) -> Path:
    """A valid checkpoint of a tiny town after two years."""
    return run_years(LandModel(story_params(), rng=SEED), 2).save(tmp_path / "good.npz")


def _npy(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, arr, allow_pickle=True)
    return buf.getvalue()


def _listing(arr: np.ndarray) -> bytes:
    return json.dumps({"dtype": arr.dtype.str, "shape": arr.shape}).encode()


def _repack(src: Path, dst: Path, replace=None, drop=(), comment=None, listing=None) -> Path:
    """Copy checkpoint ``src`` to ``dst``, members replaced (name -> array or bytes), dropped
    or added, the archive's comment or members' listings changed."""
    replace, listing = replace or {}, listing or {}
    with zipfile.ZipFile(src) as z:
        members = [(i.filename, z.read(i), i.comment) for i in z.infolist()]
        old_comment = z.comment
    names = [n for n, _, _ in members]
    members += [(n, b"", b"") for n in replace if n not in names]
    with zipfile.ZipFile(dst, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.comment = old_comment if comment is None else comment
        for name, data, note in members:
            if name in drop:
                continue
            if name in replace:
                new = replace[name]
                data = _npy(new) if isinstance(new, np.ndarray) else new
                note = _listing(new) if isinstance(new, np.ndarray) else note
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.comment = listing.get(name, note)
            z.writestr(info, data)
    return dst


def _refused(path: Path, pattern: str) -> str:
    with pytest.raises(CheckpointError, match=pattern) as info:
        load(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ") and "\n" not in message
    return message


class _Marker:
    """Unpickling this object would create the file at ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_a_pickled_object_array_is_refused_without_running_code(good, tmp_path):
    """An archive member holding a pickled object is refused, and its payload never runs."""
    marker = tmp_path / "pwned"
    evil = np.array([_Marker(marker)], dtype=object)
    _repack(good, tmp_path / "evil.npz", replace={"plots.holder.npy": evil})
    _refused(tmp_path / "evil.npz", r"plots\.holder must be int64, not '\|O'")
    (tmp_path / "raw.npz").write_bytes(pickle.dumps(_Marker(marker)))
    _refused(tmp_path / "raw.npz", r"not a landsim checkpoint \(not a zip archive\)")
    assert not marker.exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"replace": {"extra.npy": np.zeros(1)}}, r"unexpected members \['extra\.npy'\]"),
        ({"drop": ("kin.src.npy",)}, r"missing members \['kin\.src\.npy'\]"),
        (
            {"replace": {"plots.rent.npy": np.zeros(200, dtype=np.int8)}},
            r"plots\.rent must be float64, not '\|i1'",
        ),
        (
            {"replace": {"plots.holder.npy": np.zeros(3, dtype=np.int64)}},
            r"plots\.holder has shape \(3,\), not \(200,\)",
        ),
        (
            {"listing": {"plots.quality.npy": b'{"dtype": "<f8", "shape": [100]}'}},
            r"plots\.quality has shape \(100,\)",
        ),
        (
            {"listing": {"plots.quality.npy": b'{"dtype": "<f8", "shape": [200, 2]}'}},
            r"plots\.quality has shape \(200, 2\)",
        ),
        (
            {"listing": {"kin.src.npy": b"(1,"}},
            r"kin\.src: no dtype and shape recorded",
        ),
    ],
)
def test_members_are_checked_before_anything_is_decompressed(
    good, tmp_path, monkeypatch, change, message
):
    """A member of an unexpected name, dtype, shape or size is refused in one line before any
    member is decompressed (from the names and listings of the zip's central directory)."""
    bad = _repack(good, tmp_path / "bad.npz", **change)
    opened = []
    real_open = zipfile.ZipFile.open
    monkeypatch.setattr(
        zipfile.ZipFile,
        "open",
        lambda self, name, *a, **k: opened.append(name) or real_open(self, name, *a, **k),
    )
    _refused(bad, message)
    assert opened == []


def test_a_member_longer_than_its_listing_is_refused_unread(good, tmp_path, monkeypatch):
    """A member whose data is longer than the array its listing names is refused by its size
    in the central directory, before it is decompressed."""
    big = np.zeros(200_000)
    listing = {"plots.quality.npy": b'{"dtype": "<f8", "shape": [200]}'}
    bad = _repack(good, tmp_path / "big.npz", replace={"plots.quality.npy": big}, listing=listing)
    monkeypatch.setattr(zipfile.ZipFile, "open", None)  # any decompression would fail loudly
    _refused(bad, r"plots\.quality holds 1,600,128 bytes, not an array of \(200,\)")


def _edit_array(good: Path, dst: Path, name: str, edit) -> Path:
    arr = _contents(good)[name].copy()
    out = edit(arr)
    return _repack(good, dst, replace={name: arr if out is None else out})


@pytest.mark.parametrize(
    ("name", "edit", "message"),
    [
        ("plots.quality.npy", lambda a: a.__setitem__(3, np.nan), r"plots\.quality holds NaN"),
        ("population.m_age.npy", lambda a: a.__setitem__(0, -4), r"population\.m_age holds val"),
        ("population.m_age.npy", lambda a: a.__setitem__(0, 150), r"outside 0\.\.102"),
        ("population.trust.npy", lambda a: a.__setitem__(1, 1.5), r"population\.trust holds"),
        ("plots.holder.npy", lambda a: a.__setitem__(0, 10**6), r"plots\.holder holds values"),
        ("plots.kind.npy", lambda a: a.__setitem__(0, 9), r"plots\.kind holds values"),
        ("outcomes.npy", lambda a: a.__setitem__((1, 0), np.inf), r"outcomes holds NaN"),
        ("ledger.balance.npy", lambda a: a.__setitem__(0, 2**62), r"ledger\.balance holds val"),
        ("villages.job_chance.npy", lambda a: a.__setitem__(0, 2.0), r"villages\.job_chance"),
        ("kin.closeness.npy", lambda a: a.__setitem__(0, np.nan), r"kin\.closeness holds NaN"),
        (
            "plots.operator.npy",
            lambda a: a.__setitem__(np.flatnonzero(a >= 0)[0], -1),
            r"plots farmed as \w+ have an invalid operator",
        ),
    ],
)
def test_values_outside_their_limits_are_refused(good, tmp_path, name, edit, message):
    """NaN or infinity, negative or impossible ages, indices past the town, money beyond the
    ledger's limits and inconsistent operators are refused in one line."""
    _refused(_edit_array(good, tmp_path / "bad.npz", name, edit), message)


def test_more_members_than_a_town_holds_are_refused(good, tmp_path):
    """A population with far more members than its households could have had is refused by
    the size its manifest gives, before its arrays are read."""
    n = 100_000
    comment = json.loads(zipfile.ZipFile(good).comment)
    comment["sizes"]["members"] = n
    arrays = {
        "population.m_hh.npy": np.zeros(n, dtype=np.int64),
        "population.m_age.npy": np.full(n, 30.0),
        "population.m_alive.npy": np.ones(n, dtype=bool),
        "population.m_away.npy": np.zeros(n, dtype=bool),
    }
    bad = _repack(
        good, tmp_path / "crowd.npz", replace=arrays, comment=json.dumps(comment).encode()
    )
    _refused(bad, r"100000 members is more than a town holds \(1760\)")


def _with_doc(good: Path, dst: Path, edit) -> Path:
    doc = _contents(good)["state.json"]
    edit(doc)
    return _repack(good, dst, replace={"state.json": json.dumps(doc).encode()})


def _deep(depth: int) -> object:
    x: object = 0
    for _ in range(depth):
        x = [x]
    return x


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.update(year="2"), r"'year' must be int"),
        (lambda d: d.update(year=3), r"the manifest's size closed_years = 2, not 3"),
        (lambda d: d.update(version=99), r"state\.json is of version 99"),
        (lambda d: d["numbers"]["firm"].update(price=[1, 2]), r"firm\.price must be a number"),
        (lambda d: d["numbers"]["firm"].update(price=1e300), r"firm\.price holds values"),
        (lambda d: d["numbers"]["ledger"].update(year=2.5), r"ledger\.year must be a whole"),
        (lambda d: d["params"]["levers"].update(audit_rate="all"), r"params: levers\.audit_rate"),
        (lambda d: d["rules"].__setitem__(0, {"name": "os.system"}), r"rule of village 0 must"),
        (lambda d: d["rules"].__setitem__(0, None), r"each co-op, and only a co-op, has a"),
        (lambda d: d["terms"].append(None), r"terms must list 2 villages"),
        (lambda d: d["rng"].update(bit_generator="Evil"), r"random generator must be one of"),
        (lambda d: d["rng"]["state"].update(state="x"), r"random generator's state is not valid"),
        (lambda d: d["random"].__setitem__(1, [1, 2]), r"Python's random state is not valid"),
        (lambda d: d.update(meta={"x": [1]}), r"meta must map names to strings or numbers"),
        (lambda d: d.update(outcomes_int=["nope"]), r"outcomes_int names columns"),
    ],
)
def test_a_document_with_unexpected_values_is_refused(good, tmp_path, edit, message):
    """A state document with a value of the wrong type, range or version is refused in one
    line."""
    _refused(_with_doc(good, tmp_path / "bad.npz", edit), message)


def test_deep_json_is_refused_in_one_line(good, tmp_path):
    """JSON nested thousands deep (in the state or in its labels) is one line, not a
    RecursionError."""
    text = json.dumps(_contents(good)["state.json"])
    deep = text[:-1] + ', "deep": ' + "[" * 100_000 + "]" * 100_000 + "}"
    bad = _repack(good, tmp_path / "deep.npz", replace={"state.json": deep.encode()})
    _refused(bad, r"state\.json is nested too deeply")
    with pytest.raises(CheckpointError, match="nested too deeply"):
        checkpoint.read_meta(bad)


def test_a_checkpoint_of_an_older_version_is_refused_in_one_line(good, tmp_path):
    """A file of checkpoint version 1 (no manifest; numpy's savez) or of another version in
    its manifest is refused in one line that says so."""
    old = tmp_path / "v1.npz"
    doc = {"format": "landsim-checkpoint", "version": 1, "year": 2}
    np.savez_compressed(
        old,
        **{"state.json": np.frombuffer(json.dumps(doc).encode(), dtype=np.uint8)},
        **{"plots.holder": np.zeros(3)},
    )
    _refused(
        old,
        r"checkpoint version 1 was written by an older landsim; this landsim reads "
        rf"version {VERSION} only",
    )
    manifest = json.loads(zipfile.ZipFile(good).comment)
    manifest["version"] = 1
    bad = _repack(good, tmp_path / "m1.npz", comment=json.dumps(manifest).encode())
    _refused(bad, rf"checkpoint version 1; this landsim reads version {VERSION} only")


def test_other_files_are_refused(tmp_path):
    """Non-archives, archives of something else and missing files are refused in one line."""
    (tmp_path / "d.npz").write_text("not a checkpoint")
    _refused(tmp_path / "d.npz", r"not a landsim checkpoint \(not a zip archive\)")
    with zipfile.ZipFile(tmp_path / "e.npz", "w") as z:
        z.writestr("readme.txt", "hello")
    _refused(tmp_path / "e.npz", r"not a landsim checkpoint \(no manifest\)")
    _refused(tmp_path / "missing.npz", r"no such checkpoint file")


def test_flipped_bytes_are_refused_in_one_line(good, tmp_path):
    """Flipping bytes anywhere in a checkpoint gives a one-line CheckpointError or a model that
    loads (a flip in a field the zip does not check), never another exception: zlib and CRC
    errors included."""
    data = good.read_bytes()
    rng = random.Random(7)
    refused = 0
    for trial in range(300):
        flipped = bytearray(data)
        for _ in range(rng.choice([1, 2, 8])):
            i = rng.randrange(len(flipped))
            flipped[i] ^= 1 << rng.randrange(8)
        path = tmp_path / f"flip{trial}.npz"
        path.write_bytes(flipped)
        try:
            load(path)
        except CheckpointError as err:
            assert str(err).startswith(str(path)) and "\n" not in str(err)
            refused += 1
        path.unlink()
    assert refused > 250


def test_a_damaged_checkpoint_exits_2_with_one_line(good, tmp_path, landsim):
    """``landsim run --from`` a checkpoint whose compressed data is damaged exits with status 2
    and one line naming the file."""
    data = bytearray(good.read_bytes())
    with zipfile.ZipFile(good) as z:
        info = z.getinfo("population.m_age.npy")
    at = info.header_offset + 30 + len(info.filename) + 40  # inside the compressed stream
    data[at] ^= 0xFF
    data[at + 1] ^= 0xFF
    (tmp_path / "flipped.npz").write_bytes(data)
    result = landsim("run", "--from", "flipped.npz", "--out", "x", cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "flipped.npz: population.m_age is damaged" in lines[0]


#: loads a checkpoint and prints what it said and its peak resident memory (MB): VmHWM, the
#: high-water mark of this program's own memory (ru_maxrss would count the memory of the
#: pytest process it was forked from, before exec)
PEAK = """
import sys
from landsim.checkpoint import CheckpointError, load
try:
    load(sys.argv[1])
    print("loaded")
except CheckpointError as err:
    print(err)
status = open("/proc/self/status").read().split("VmHWM:")[1]
print(int(status.split()[0]) // 1024)
"""


def _zeros_member(
    z: zipfile.ZipFile, name: str, dtype: str, shape: tuple[int, ...], listing: bytes
) -> None:
    """A member of zeros of ``dtype`` and ``shape``, written in chunks (1 GB compresses to 1
    MB), listed as ``listing``."""
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.comment = listing
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": dtype, "fortran_order": False, "shape": shape}
    )
    chunk = bytes(2**24)
    left = int(np.prod(shape)) * np.dtype(dtype).itemsize
    with z.open(info, "w", force_zip64=True) as out:
        out.write(header.getvalue())
        while left > 0:
            out.write(chunk[: min(left, len(chunk))])
            left -= len(chunk)


BOMBS = {
    "member": r"plots\.quality holds 1,073,741,952 bytes, not an array of \(200,\)",
    "huge_town": r"expands to [0-9,]+ bytes, [0-9]+ times its size: refused as a zip bomb",
    "state_json": r"state\.json is larger than 4194304 bytes",
    "many_members": r"the archive lists 5000 members in [0-9,]+ bytes: refused",
}


def _bomb(good: Path, path: Path, bomb: str) -> None:
    if bomb == "many_members":
        with zipfile.ZipFile(path, "w") as z:
            for i in range(5000):
                z.writestr(f"m{i}.npy", b"")
        return
    manifest = json.loads(zipfile.ZipFile(good).comment)
    if bomb == "huge_town":  # every plot array consistent with a town of 4 million plots
        n = manifest["sizes"]["plots"] = 2**22
        drop = tuple(f"plots.{k}.npy" for k in columns(Plots))
    else:
        drop = ("plots.quality.npy", "state.json")
    _repack(good, path, drop=drop, comment=json.dumps(manifest).encode())
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as z:
        if bomb == "huge_town":
            for name, col in columns(Plots).items():
                listing = _listing(np.zeros(0, dtype=col.dtype))
                listing = listing.replace(b"[0]", f"[{n}]".encode())
                _zeros_member(z, f"plots.{name}.npy", col.dtype.str, (n,), listing)
            return
        gig = (2**27,)  # 1 GB of float64 zeros
        if bomb == "state_json":
            _zeros_member(z, "state.json", "<f8", (2**25,), b"")  # 256 MB
        else:
            z.writestr("state.json", json.dumps(_contents(good)["state.json"]))
        real = b'{"dtype": "<f8", "shape": [200]}'
        _zeros_member(z, "plots.quality.npy", "<f8", gig if bomb == "member" else (200,), real)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads Linux's VmHWM")
@pytest.mark.parametrize("bomb", list(BOMBS))
def test_a_zip_bomb_is_refused_in_little_memory(good, tmp_path, bomb):
    """A checkpoint of a few MB that would expand to a gigabyte — a member larger than its
    listing says, a town of 4 million plots of zeros, a huge state.json, thousands of members —
    is refused in one line by a process that stays under 300 MB."""
    path = tmp_path / "bomb.npz"
    _bomb(good, path, bomb)
    assert path.stat().st_size < 8 * 2**20
    done = subprocess.run(
        [sys.executable, "-c", PEAK, str(path)], capture_output=True, text=True, timeout=120
    )
    message, peak_mb = done.stdout.strip().splitlines()
    assert message.startswith(f"{path}: "), message
    assert re.search(BOMBS[bomb], message), message
    assert int(peak_mb) < 300, f"peak RSS {peak_mb} MB"


def test_saving_refuses_state_it_does_not_know(tmp_path):
    """A field of a state type that no declaration covers stops the save."""

    @dataclasses.dataclass
    class MorePlots(Plots):
        secret: int = 0

    m = LandModel(rng=1, **TINY)
    fields = {f.name: getattr(m.plots, f.name) for f in dataclasses.fields(Plots)}
    m.town.plots = MorePlots(**fields)
    with pytest.raises(CheckpointError, match=r"cannot store plots\.secret"):
        m.save(tmp_path / "x.npz")
    assert not (tmp_path / "x.npz").exists()


def test_the_stored_state_changes_only_with_a_new_version():
    """The declarations a checkpoint follows (arrays, numbers, outcome columns) are pinned to
    checkpoint.VERSION: changing them without a new version (and a new digest here) fails."""
    assert SCHEMA_DIGESTS.get(VERSION) == schema()["digest"]


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
    assert "tiny.toml: not a landsim checkpoint (not a zip archive)" in bad.stderr


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
                who={("household", h): "李 Wei"},
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
    assert "李 Wei" in set(b.decision_log()["who"])
