"""Checkpoints: a model's full state in one file, saved between years and loaded safely.

A checkpoint is a zip archive of NumPy ``.npy`` members (``numpy.load`` reads it) holding

* one member per declared array of each part of the town (:class:`~landsim.town.Town`:
  ``plots.holder.npy``, ``population.m_age.npy``, ``kin.closeness.npy``,
  ``villages.lease_return.npy``, ``ledger.balance.npy``, ...), the yearly outcomes collected
  so far (``outcomes.npy``) and the decision log (``decisions.*.npy``);
* ``state.json``: UTF-8 JSON with everything else — the model year, the *current* parameters
  (timeline events may have changed them; the timeline is part of them), both random
  generators' states, the firm's and government's numbers, each co-op's benefit-sharing rule
  and its branch's own terms, the outcome columns, and the user's ``meta`` labels;
* a manifest in the archive's comment: format, :data:`VERSION`, and the sizes of the town
  (plots, household slots, members, kin ties, ...); and each array's dtype and shape in its
  member's comment. Comments sit in the zip's central directory, uncompressed.

What is stored is declared, not guessed: each state type declares its arrays with
:func:`landsim.columns.column` and its numbers with :func:`landsim.columns.number`; the few
other fields are listed in :data:`OTHER_FIELDS` with how they are stored or rebuilt. Saving
refuses a state type with a field declared nowhere, so new state cannot silently go missing.

Loading (:func:`load`, through :class:`landsim.archive.Reader`) trusts nothing in the file
and decompresses nothing before it has checked, from the central directory alone, that the
archive is small (members, directory), of this format and version (an older version is refused
in one line saying so), and that every member has an expected name, dtype, shape and size
(from the declarations and the manifest's sizes). Then ``state.json`` is read (at most
:data:`landsim.archive.MAX_JSON_BYTES`) and the parameters validated, which must give the
manifest's sizes, with no more members, ties or decisions than such a town can hold; each
array is read with its header checked again, never more bytes than declared, and every value
range-checked (NaN and infinity, ages, indices, years, counts, money within the ledger's
limits: :mod:`landsim.limits`); then what ranges alone do not say (:func:`_consistent`). Any
problem — a bad zip, a flipped byte (zlib or CRC errors), deep JSON, a zip bomb — is one
line naming the file (:class:`CheckpointError`; exit status 2 on the command line). No file
can make it run code (no pickle).

Parts: :class:`Snapshot`, :func:`save`, :func:`load`, :func:`read_meta`, :func:`schema`,
:data:`VERSION`, :class:`CheckpointError`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from landsim import archive
from landsim.archive import CheckpointError
from landsim.columns import MONEY, Column, Sizes, columns, numbers, value_problem
from landsim.decisions import LOG_COLUMNS, ROLES, DecisionLog
from landsim.files import atomic_write
from landsim.kin import KinTies
from landsim.ledger import Accounts, Ledger
from landsim.metrics import METRICS
from landsim.params import Assumptions, Levers, Params
from landsim.population import SLOT_FACTOR, Population
from landsim.sharing import RULES, SharingRule, make_rule
from landsim.town import FirmState, GovernmentState, Town
from landsim.villages import NONE, Villages
from landsim.world import KIND_NAMES, Plots

__all__ = [
    "Snapshot",
    "save",
    "load",
    "read_meta",
    "schema",
    "VERSION",
    "FORMAT",
    "CheckpointError",
    "OTHER_FIELDS",
    "BIT_GENERATORS",
]

FORMAT = "landsim-checkpoint"
#: version of the stored state; bump it with every change of a declaration (tests/
#: test_checkpoint.py pins :func:`schema` to it). Files of another version are refused.
VERSION = 4  # 4: co-op books, branches and the governance body (issue 24)
_JSON = "state.json"
_OUTCOMES = "outcomes"
#: the parts of the stored state: the town's, and the decision log
PARTS: dict[str, type] = {
    "plots": Plots,
    "population": Population,
    "kin": KinTies,
    "villages": Villages,
    "ledger": Ledger,
    "firm": FirmState,
    "government": GovernmentState,
    "decisions": DecisionLog,
}
#: fields of a part that are neither a declared array nor a declared number, and how they are
#: stored or rebuilt
OTHER_FIELDS: dict[str, dict[str, str]] = {
    "plots": {"width": "the world's width (params)", "height": "its height (params)"},
    "villages": {"rules": "state.json, by name and numbers", "terms": "state.json, as levers"},
    "ledger": {
        "accounts": "the layout of households and villages (params)",
        "_opening": "between years, the balances",
        "_inflow": "between years, zero",
        "_outflow": "between years, zero",
        "_entries": "between years, none",
    },
}
#: members per household slot (people are born and marry in each year): at most this plus
#: one per slot per year
_MEMBERS_BASE = 20
#: kin ties per household slot
_TIES_PER_SLOT = 1000
#: the decision log's rows
_MAX_DECISIONS = 1_000_000


@dataclass
class Snapshot:
    """A model between two years: what :func:`save` writes and :func:`load` returns.

    Attributes:
        town: the town's state.
        params: the current parameters.
        year: the last year run (0 before the first).
        running: Mesa's ``running`` flag.
        rng: the numpy generator's ``bit_generator.state``.
        random: Python's ``random.getstate()`` of the model.
        outcomes: the DataCollector's collected values, by outcome column.
        decision_rows: the decision log's rows (``LandModel.decision_log``).
    """

    town: Town
    params: Params
    year: int
    running: bool
    rng: dict
    random: tuple
    outcomes: dict[str, list]
    decision_rows: list[dict[str, Any]]


def _fail(path: Path, why: str) -> CheckpointError:
    return CheckpointError(f"{path}: {why}")


# ---------------------------------------------------------------------------------- schema
def _declared(part: str) -> dict[str, Column]:
    return columns(PARTS[part])


def _members() -> dict[str, Column]:
    """Every array the archive must hold (``part.field``, and the outcomes) and its
    declaration."""
    out = {f"{part}.{name}": col for part in PARTS for name, col in _declared(part).items()}
    out[_OUTCOMES] = Column(np.dtype(np.float64), ("outcome_rows", "metrics"), MONEY)
    return out


def schema() -> dict[str, Any]:
    """The declarations of everything a checkpoint stores (members with their dtypes,
    dimensions and limits; numbers with their limits; the outcome columns), with its digest:
    a change of any of them must come with a new :data:`VERSION`."""
    doc = {
        "members": {
            name: [col.dtype.str, list(col.dims), col.limit, col.variable]
            for name, col in sorted(_members().items())
        },
        "numbers": {part: numbers(cls) for part, cls in PARTS.items() if numbers(cls)},
        "other": {part: sorted(fields) for part, fields in OTHER_FIELDS.items()},
        "outcomes": list(METRICS),
        "kinds": list(KIND_NAMES),
        "roles": list(ROLES),
    }
    text = json.dumps(doc, sort_keys=True, default=str)
    return {"declarations": doc, "digest": hashlib.sha256(text.encode()).hexdigest()}


def _sizes(params: Params, year: int, variable: dict[str, int]) -> Sizes:
    """The size of every dimension of a town of ``params`` after ``year`` years."""
    w = params.world
    households = int(np.ceil(w.n_villages * w.households_per_village * SLOT_FACTOR))
    lease_max = max(_le(Assumptions, "lease_years_max"), _le(Levers, "coop_lease_years"))
    return {
        "plots": w.n_plots,
        "households": households,
        "villages": w.n_villages,
        "accounts": Accounts(households, w.n_villages).size,
        "rows": w.height,
        "cols": w.width,
        "operators": max(households, w.n_villages),
        "closed_years": year,
        "outcome_rows": year + 1,
        "metrics": len(METRICS),
        "max_age": 100 + year,  # nobody starts older than 95
        "max_year": year + lease_max + 1,  # the longest lease signed now
        "max_count": year + 1,
        **variable,
    }


def _le(section: Any, name: str) -> int:
    """The declared upper bound of an integer parameter."""
    for m in section.model_fields[name].metadata:
        if hasattr(m, "le"):
            return int(m.le)
    raise AssertionError(f"{name} has no upper bound")  # pragma: no cover


def _variable_caps(households: int, year: int) -> dict[str, int]:
    """The most members, kin ties and decisions a town of ``households`` slots can hold."""
    return {
        "members": households * (_MEMBERS_BASE + year),
        "ties": households * _TIES_PER_SLOT,
        "decisions": _MAX_DECISIONS,
    }


# ---------------------------------------------------------------------------------- save
def save(path: str | os.PathLike, snap: Snapshot, meta: dict[str, Any] | None = None) -> Path:
    """Write ``snap`` to ``path`` (written to a new temporary file in the same folder, then
    renamed, so a crash never leaves half a checkpoint and no link is written through).

    Args:
        path: the file to write.
        snap: the model between two years.
        meta: labels kept beside the state (strings and numbers: the scenario's name, the
            seed); :func:`read_meta` returns them. They do not affect the model.

    Returns:
        The path written.

    Raises:
        CheckpointError: if the state holds a field no declaration covers, or the books are
            open (a model is saved between years only).
    """
    path = Path(path)
    parts = _parts_of(snap)
    if not snap.town.ledger.between_years:
        raise _fail(path, "the ledger has open entries: save between two years")
    arrays: dict[str, np.ndarray] = {}
    for part, obj in parts.items():
        _check_declared(obj, part, path)
        for name in _declared(part):
            arrays[f"{part}.{name}"] = getattr(obj, name)
    names = list(METRICS)
    table = np.array([snap.outcomes[k] for k in names], dtype=np.float64).T
    arrays[_OUTCOMES] = table.reshape(snap.year + 1, len(names))
    doc = _document(snap, parts, _meta(meta or {}, path))
    sizes = _sizes(snap.params, snap.year, _variable(parts))
    manifest = {"format": FORMAT, "version": VERSION, "sizes": sizes}
    with atomic_write(path) as fh:  # a new file beside it, renamed: never through a link
        archive.write(fh, arrays, _JSON, json.dumps(doc, sort_keys=True), manifest)
    return path


def _parts_of(snap: Snapshot) -> dict[str, Any]:
    t = snap.town
    return {
        "plots": t.plots,
        "population": t.population,
        "kin": t.kin,
        "villages": t.villages,
        "ledger": t.ledger,
        "firm": t.firm,
        "government": t.government,
        "decisions": DecisionLog.from_rows(snap.decision_rows),
    }


def _variable(parts: dict[str, Any]) -> dict[str, int]:
    return {
        "members": int(parts["population"].m_hh.size),
        "ties": int(parts["kin"].src.size),
        "decisions": int(parts["decisions"].year.size),
    }


def _check_declared(obj: Any, part: str, path: Path) -> None:
    """Refuse a field of a part that no declaration covers."""
    known = set(columns(obj)) | set(numbers(obj)) | set(OTHER_FIELDS.get(part, {}))
    for f in dataclasses.fields(obj):
        if f.name not in known:
            raise _fail(
                path,
                f"cannot store {part}.{f.name}: declare it with landsim.columns.column or "
                "number, or list it in landsim.checkpoint.OTHER_FIELDS",
            )


def _document(snap: Snapshot, parts: dict[str, Any], meta: dict[str, Any]) -> dict[str, Any]:
    vil = snap.town.villages
    version, internal, gauss = snap.random
    return {
        "format": FORMAT,
        "version": VERSION,
        "year": int(snap.year),
        "running": bool(snap.running),
        "params": snap.params.model_dump(mode="json"),
        "rng": snap.rng,
        "random": [version, list(internal), gauss],
        "meta": meta,
        "outcomes_int": [k for k in METRICS if all(isinstance(x, int) for x in snap.outcomes[k])],
        "numbers": {p: {k: getattr(parts[p], k) for k in numbers(parts[p])} for p in PARTS},
        "rules": [_rule_doc(r) for r in vil.rules],
        "terms": [None if t is None else t.model_dump(mode="json") for t in vil.terms],
    }


def _rule_doc(rule: SharingRule | None) -> dict[str, Any] | None:
    if rule is None:
        return None
    return {f.name: getattr(rule, f.name) for f in dataclasses.fields(rule)}


def _meta(meta: Any, path: Path) -> dict[str, Any]:
    ok = (str, bool, int, float)
    if not isinstance(meta, dict) or not all(
        isinstance(k, str) and isinstance(v, ok) for k, v in meta.items()
    ):
        raise _fail(path, "meta must map names to strings or numbers")
    return dict(meta)


# ---------------------------------------------------------------------------------- load
def load(path: str | os.PathLike) -> Snapshot:
    """Read the model saved in ``path`` (module docstring says how it is checked).

    Raises:
        CheckpointError: the file is missing, not a checkpoint, of another version, or holds
            anything but the declared arrays and JSON, or values outside their limits (one
            line naming the file).
    """
    path = Path(path)
    with _reader(path) as reader:
        doc = reader.document()
        params = _params(doc, path)
        year = _expect(doc, "year", int, path)
        if not 0 <= year <= params.run.years:
            raise _fail(path, f"year {year} is outside 0..run.years ({params.run.years})")
        derived = _sizes(params, year, {})
        sizes = reader.check_sizes(derived, _variable_caps(derived["households"], year))
        arrays = reader.arrays(sizes)
    try:
        return _snapshot(doc, params, year, arrays, sizes, path)
    except CheckpointError:
        raise
    except (KeyError, TypeError, ValueError, IndexError, RecursionError) as err:
        raise _fail(path, f"not a valid landsim checkpoint ({type(err).__name__}: {err})") from None


def read_meta(path: str | os.PathLike) -> dict[str, Any]:
    """The labels :func:`save` kept beside the state (without reading the arrays).

    Raises:
        CheckpointError: as :func:`load`.
    """
    path = Path(path)
    with _reader(path) as reader:
        return _meta(reader.document().get("meta", {}), path)


def _reader(path: Path) -> archive.Reader:
    return archive.Reader(path, FORMAT, VERSION, _members(), _JSON, _older)


def _older(zf: zipfile.ZipFile) -> str | None:
    """What to say about an archive of an older landsim (version 1 had no manifest: it was
    numpy's ``savez`` with the document as a ``uint8`` array, ``state.json.npy``)."""
    try:
        info = zf.getinfo(_JSON + ".npy")
        if info.file_size > archive.MAX_JSON_BYTES:
            return None
        with zf.open(info) as fh:
            np.lib.format.read_magic(fh)
            shape, _, dtype = np.lib.format.read_array_header_1_0(fh)
            if dtype != np.uint8 or len(shape) != 1 or shape[0] > archive.MAX_JSON_BYTES:
                return None
            doc = json.loads(fh.read(shape[0]).decode("utf-8"))
    except (*archive.ZIP_ERRORS, RecursionError):
        return None
    if isinstance(doc, dict) and doc.get("format") == FORMAT:
        return (
            f"checkpoint version {doc.get('version')!r} was written by an older landsim; "
            f"this landsim reads version {VERSION} only (run the scenario again)"
        )
    return None


# ---------------------------------------------------------------------------------- rebuild
def _expect(doc: Any, key: str, kind: type, path: Path) -> Any:
    if not isinstance(doc, dict) or key not in doc:
        raise _fail(path, f"{_JSON} lacks {key!r}")
    value = doc[key]
    ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
    if kind is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    if not ok:
        raise _fail(path, f"{key!r} must be {kind.__name__}, got {type(value).__name__}")
    return value


def _params(doc: dict, path: Path) -> Params:
    try:
        return Params.model_validate(_expect(doc, "params", dict, path))
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        raise _fail(path, f"params: {where}: {first['msg']}") from None


def _snapshot(
    doc: dict, params: Params, year: int, arrays: dict, sizes: Sizes, path: Path
) -> Snapshot:
    """The snapshot from the checked document and arrays."""
    _meta(doc.get("meta", {}), path)
    parts = {part: _fields(arrays, part) for part in PARTS}
    nums = _numbers(_expect(doc, "numbers", dict, path), sizes, path)
    w = params.world
    led = Ledger.reopen(
        Accounts(sizes["households"], w.n_villages), **parts["ledger"], **nums["ledger"]
    )
    if led.year != year + 1:
        raise _fail(path, f"the ledger's open year is {led.year}, not {year + 1}")
    villages = Villages(
        **parts["villages"],
        rules=_rules(_expect(doc, "rules", list, path), sizes["villages"], path),
        terms=_terms(_expect(doc, "terms", list, path), sizes["villages"], path),
    )
    town = Town(
        plots=Plots(width=w.width, height=w.height, **parts["plots"]),
        population=Population(**parts["population"]),
        kin=KinTies(**parts["kin"]),
        villages=villages,
        ledger=led,
        firm=FirmState(**nums["firm"]),
        government=GovernmentState(**nums["government"]),
    )
    _consistent(town, path)
    return Snapshot(
        town=town,
        params=params,
        year=year,
        running=_expect(doc, "running", bool, path),
        rng=_rng_state(doc, path),
        random=_random_state(doc, path),
        outcomes=_outcomes(arrays["outcomes"], _expect(doc, "outcomes_int", list, path), path),
        decision_rows=DecisionLog(**parts["decisions"]).rows(),
    )


def _fields(arrays: dict[str, np.ndarray], part: str) -> dict[str, np.ndarray]:
    return {name: arrays[f"{part}.{name}"] for name in _declared(part)}


def _numbers(saved: dict, sizes: Sizes, path: Path) -> dict[str, dict[str, Any]]:
    """Each part's declared numbers, of the declared type (a whole number where the default
    is one) and range-checked."""
    out = {}
    for part, cls in PARTS.items():
        declared = numbers(cls)
        got = saved.get(part)
        if not isinstance(got, dict) or sorted(got) != sorted(declared):
            raise _fail(path, f"numbers of {part} must be {sorted(declared)}")
        defaults = {f.name: f.default for f in dataclasses.fields(cls)}
        for name, limit in declared.items():
            value, whole = got[name], isinstance(defaults[name], int)
            kinds = int if whole else int | float
            if isinstance(value, bool) or not isinstance(value, kinds):
                raise _fail(path, f"{part}.{name} must be a {'whole ' if whole else ''}number")
            col = Column(np.dtype(float), (1,), limit)
            why = value_problem(np.array([value], dtype=float), col, sizes)
            if why:
                raise _fail(path, f"{part}.{name} {why}")
            got[name] = value if whole else float(value)
        out[part] = dict(got)
    return out


def _rules(saved: list, n_villages: int, path: Path) -> list[SharingRule | None]:
    """Each village's co-op rule from its name and numbers (rebuilt through the registry,
    :data:`landsim.sharing.RULES`, and compared field by field)."""
    if len(saved) != n_villages:
        raise _fail(path, f"rules must list {n_villages} villages")
    out: list[SharingRule | None] = []
    for v, entry in enumerate(saved):
        if entry is None:
            out.append(None)
            continue
        if not isinstance(entry, dict) or entry.get("name") not in RULES:
            raise _fail(path, f"rule of village {v} must name one of {sorted(RULES)}")
        levers = {"benefit_rule": entry["name"]}
        for key in ("rent", "guaranteed", "basis"):
            if key in entry:
                lever = {"rent": "fixed_rent", "guaranteed": "guaranteed_rent"}.get(key)
                levers[lever or "rebate_basis"] = entry[key]
        try:
            rule = make_rule(Levers.model_validate({**Levers().model_dump(), **levers}))
        except ValidationError as err:
            raise _fail(path, f"rule of village {v}: {err.errors()[0]['msg']}") from None
        if _rule_doc(rule) != entry:
            raise _fail(path, f"rule of village {v} must have the fields {sorted(_rule_doc(rule))}")
        out.append(rule)
    return out


def _terms(saved: list, n_villages: int, path: Path) -> list[Levers | None]:
    if len(saved) != n_villages:
        raise _fail(path, f"terms must list {n_villages} villages")
    try:
        return [None if t is None else Levers.model_validate(t) for t in saved]
    except ValidationError as err:
        raise _fail(path, f"terms: {err.errors()[0]['msg']}") from None


def _consistent(town: Town, path: Path) -> None:
    """What the arrays' ranges alone do not say: lengths that must agree, an operator of the
    right kind for each plot, a rule for each co-op."""
    p, pop, vil = town.plots, town.population, town.villages
    if not pop.m_hh.size == pop.m_age.size == pop.m_alive.size == pop.m_away.size:
        raise _fail(path, "population member arrays differ in length")
    n_h = pop.n_households
    by_kind = {  # what may operate a plot of each kind
        0: (-1, -1),
        1: (0, n_h - 1),
        2: (0, n_h - 1),
        3: (0, vil.n - 1),
        4: (0, 0),
    }
    for kind, (low, high) in by_kind.items():
        op = p.operator[p.kind == kind]
        if op.size and (op.min() < low or op.max() > high):
            raise _fail(path, f"plots farmed as {KIND_NAMES[kind]} have an invalid operator")
    has = vil.status != NONE
    if any((r is None) == bool(h) for r, h in zip(vil.rules, has, strict=True)):
        raise _fail(path, "each co-op, and only a co-op, has a benefit-sharing rule")


#: numpy's bit generators a model's generator may use
BIT_GENERATORS = ("PCG64", "PCG64DXSM", "Philox", "SFC64", "MT19937")


def _rng_state(doc: dict, path: Path) -> dict:
    """The numpy generator's state, checked by setting it on a generator of its kind."""
    state = _expect(doc, "rng", dict, path)
    kind = state.get("bit_generator")
    if kind not in BIT_GENERATORS:
        raise _fail(path, f"the random generator must be one of {', '.join(BIT_GENERATORS)}")
    try:
        getattr(np.random, kind)().state = state
    except (TypeError, ValueError, KeyError, OverflowError) as err:
        raise _fail(path, f"the random generator's state is not valid ({err})") from None
    return state


def _random_state(doc: dict, path: Path) -> tuple:
    import random

    rs = _expect(doc, "random", list, path)
    try:
        state = (rs[0], tuple(rs[1]), rs[2])
        if len(state[1]) != 625 or not all(isinstance(x, int) and 0 <= x < 2**32 for x in state[1]):
            raise ValueError("624 words and an index")
        random.Random().setstate(state)
    except (TypeError, ValueError, IndexError, OverflowError) as err:
        raise _fail(path, f"Python's random state is not valid ({err})") from None
    return state


def _outcomes(table: np.ndarray, ints: list, path: Path) -> dict[str, list]:
    if not set(ints) <= set(METRICS):
        raise _fail(path, "outcomes_int names columns that are not outcomes")
    out = {}
    for i, name in enumerate(METRICS):
        col = table[:, i]
        if name in ints:
            if not np.array_equal(col, np.round(col)):
                raise _fail(path, f"outcome {name} must hold whole numbers")
            out[name] = [int(x) for x in col]
        else:
            out[name] = [float(x) for x in col]
    return out


# for LOG_COLUMNS: the decision log's columns are the declared arrays of DecisionLog
assert set(LOG_COLUMNS) == set(columns(DecisionLog))
