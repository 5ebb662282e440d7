"""Checkpoints: a model's full state in one file, saved between years and loaded safely.

A checkpoint is a NumPy ``.npz`` archive (``numpy.savez_compressed``) that holds

* every array of the model's state, one archive member per array, named by where it lives
  (``plots.holder``, ``population.m_age``, ``kin.closeness``, ``ledger.balance``,
  ``model.lease_return``, ...), and
* ``state.json``: a UTF-8 JSON document (stored as a ``uint8`` array) with everything else —
  ``format`` (``"landsim-checkpoint"``), ``version`` (:data:`VERSION`), the model year, the
  *current* parameters (timeline events may have changed them; the timeline itself is part of
  them), the random generator's ``bit_generator.state``, scalars of the model, the firm, the
  government and every cooperative, the ledger's yearly totals, the household slots in use,
  and the outcomes collected so far.

Which attributes are state is declared, not guessed: the arrays and scalars of the
:class:`~landsim.world.Plots`, :class:`~landsim.demography.Population` and
:class:`~landsim.kin.KinTies` dataclasses are walked field by field; the model's and the
agents' own attributes are walked too, minus Mesa's bookkeeping and the few that are rebuilt
on load (:data:`DERIVED`). Saving refuses a model with an attribute this module does not know
how to store, so new state cannot silently go missing from checkpoints.

Loading uses ``numpy.load(allow_pickle=False)`` and ``json``: no file can make it run code.
Every member is checked against a freshly built model of the stored parameters — names, array
dtypes and shapes, JSON types, the schema version — and anything else is refused with one
line naming the file (:class:`CheckpointError`). Mesa agents are rebuilt; their ``unique_id``
values are not kept (no outcome depends on them). Mesa's step counter and clock are moved
forward to the stored year without running any year.

Parts: :func:`save`, :func:`load`, :data:`VERSION`, :class:`CheckpointError`.
"""

from __future__ import annotations

import dataclasses
import json
import os
import zipfile
from dataclasses import MISSING
from pathlib import Path
from typing import TYPE_CHECKING, Any

import mesa
import numpy as np
from pydantic import ValidationError

from landsim.errors import UserError
from landsim.files import atomic_write
from landsim.params import Levers, Params
from landsim.sharing import (
    FixedRent,
    GuaranteedDividend,
    GuaranteedRebate,
    Shareholding,
    SharingRule,
)

if TYPE_CHECKING:
    from landsim.model import LandModel

__all__ = ["save", "load", "read_meta", "VERSION", "FORMAT", "CheckpointError"]

FORMAT = "landsim-checkpoint"
#: schema version; a file of another version is refused
VERSION = 1
_JSON = "state.json"

#: model attributes rebuilt on load rather than stored (each is a function of stored state)
DERIVED = frozenset(
    {
        "_timeline",  # sorted(params.timeline): the timeline is stored in the parameters
        "accounts",  # the ledger's layout: household slots and villages
        "datacollector",  # rebuilt from METRICS; its collected rows are stored
        "_rewinding",  # True only while load() moves Mesa's clock
        "_grid",  # the Mesa grid and its property layers: built from the plots on first use
        "_layers",
        "_mesa_step",  # Mesa's step wrapper, as the constructor binds it
        "_decisions",  # people's decisions for the year being stepped: None between years
        "_quality_rank",  # ranks the plots' quality: recomputed when the quality array changes
        "_farm_sorted",  # the last farm order, to merge the next into: a full sort without it
    }
)
#: model attributes stored by their own section of the checkpoint
_SECTIONS = frozenset(
    {
        "params",
        "plots",
        "population",
        "kin",
        "ledger",
        "households",
        "firm",
        "government",
        "coops",
        "_village_hh",
        "_farm_order_cache",
        "_decision_rows",
    }
)
#: columns of a row of the decision log (``LandModel.decision_log``) and their types
_DECISION_ROW = {"year": int, "role": str, "index": int, "who": str, "what": str, "value": str}
#: cooperative attributes stored by their own entries: the sharing rule (its name and numbers)
#: and the branch's own terms (levers a person set, or None)
_AGENT_DERIVED = frozenset({"rule", "terms"})
_LEDGER_ARRAYS = ("balance", "_opening", "_inflow", "_outflow")
_SCALAR_TYPES = (bool, int, float, str)
_RULE_CLASSES = (FixedRent, GuaranteedDividend, Shareholding, GuaranteedRebate)
#: arrays whose length changes during a run (members are born, ties formed, plots freed);
#: every other array keeps the shape of a freshly built model of the same parameters
_VARIABLE = frozenset(
    {
        "population.m_hh",
        "population.m_age",
        "population.m_alive",
        "population.m_away",
        "kin.src",
        "kin.dst",
        "kin.closeness",
        "model._free",
    }
)


class CheckpointError(UserError):
    """A checkpoint cannot be written or read; the message names the file and the reason."""


# ---------------------------------------------------------------------------------- save
def save(model: LandModel, path: str | os.PathLike, meta: dict[str, Any] | None = None) -> Path:
    """Write ``model``'s full state to ``path`` (an ``.npz`` file; written to a temporary name
    in the same folder, then renamed, so a crash never leaves half a checkpoint).

    Args:
        model: the model, between two years.
        path: the file to write.
        meta: labels kept beside the state (strings and numbers: the scenario's name, the
            seed); :func:`read_meta` returns them. They do not affect the model.

    Returns:
        The path written.

    Raises:
        CheckpointError: if the model holds state this module does not know how to store.
    """
    path = Path(path)
    arrays: dict[str, np.ndarray] = {}
    doc: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "year": int(model.steps),
        "running": bool(model.running),
        "params": model.params.model_dump(mode="json"),
        "rng": model.rng.bit_generator.state,
        "random": _random_state(model.random.getstate()),
        "meta": _meta(meta or {}, path),
    }
    for name in ("plots", "population", "kin"):
        doc[name] = _walk_dataclass(getattr(model, name), name, arrays, path)
    doc["model"] = _walk_attrs(model, "model", _model_state_names(model, path), arrays, path)
    led = model.ledger
    for name in _LEDGER_ARRAYS:
        arrays[f"ledger.{name}"] = getattr(led, name)
    ent = led._entries
    arrays["ledger.entry_payer"] = _cat([e[0] for e in ent], np.int64)
    arrays["ledger.entry_payee"] = _cat([e[1] for e in ent], np.int64)
    arrays["ledger.entry_fen"] = _cat([e[3] for e in ent], np.int64)
    arrays["ledger.entry_kind"] = np.array([e[2] for e in ent], dtype=np.int64)
    arrays["ledger.entry_size"] = np.array([e[0].size for e in ent], dtype=np.int64)
    years = sorted(led.totals)
    arrays["ledger.total_year"] = np.array(years, dtype=np.int64)
    arrays["ledger.totals"] = (
        np.stack([led.totals[y] for y in years]) if years else np.zeros((0, 0), dtype=np.int64)
    )
    doc["ledger"] = {"year": int(led.year)}
    arrays["model._village_hh"] = _cat(model._village_hh, np.int64)
    arrays["model._village_hh_size"] = np.array([a.size for a in model._village_hh], np.int64)
    cache = model._farm_order_cache
    doc["farm_order_key"] = None if cache is None else [float(k) for k in cache[0]]
    if cache is not None:
        arrays["model._farm_order"] = cache[1]
    doc["decision_rows"] = [{k: _plain(v) for k, v in row.items()} for row in model._decision_rows]
    doc["households"] = [int(i) for i in model.households]
    doc["firm"] = _walk_attrs(model.firm, "firm", _agent_state_names(model.firm), arrays, path)
    doc["government"] = _walk_attrs(
        model.government, "government", _agent_state_names(model.government), arrays, path
    )
    doc["coops"] = [
        {
            **_walk_attrs(c, f"coop{v}", _agent_state_names(c), arrays, path),
            "rule": {f.name: _plain(getattr(c.rule, f.name)) for f in dataclasses.fields(c.rule)},
            "terms": None if c.terms is None else c.terms.model_dump(mode="json"),
        }
        for v, c in sorted(model.coops.items())
    ]
    doc["outcomes"] = {k: [_plain(x) for x in v] for k, v in model.datacollector.model_vars.items()}
    text = json.dumps(doc, allow_nan=True, sort_keys=True)
    arrays[_JSON] = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    with atomic_write(path) as fh:  # a new file beside it, renamed: never through a link
        np.savez_compressed(fh, **arrays)
    return path


def _meta(meta: Any, path: Path) -> dict[str, Any]:
    if not isinstance(meta, dict) or not all(
        isinstance(k, str) and isinstance(v, _SCALAR_TYPES) for k, v in meta.items()
    ):
        raise _fail(path, "meta must map names to strings or numbers")
    return dict(meta)


def _random_state(state: tuple) -> list:
    version, internal, gauss = state
    return [version, list(internal), gauss]


def _cat(parts: list[np.ndarray], dtype) -> np.ndarray:
    return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype=dtype)


def _plain(value: Any) -> Any:
    """A JSON-able copy of a scalar (NumPy scalars become Python ones)."""
    return value.item() if isinstance(value, np.generic) else value


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, _SCALAR_TYPES + (np.generic,))


def _store(owner: str, name: str, value: Any, arrays: dict, path: Path) -> Any:
    """Put one attribute into ``arrays`` (arrays) or return its JSON form (scalars, flat dicts
    of scalars); refuse anything else."""
    if isinstance(value, np.ndarray):
        arrays[f"{owner}.{name}"] = value
        return {"array": True}
    if _is_scalar(value):
        return _plain(value)
    if isinstance(value, dict) and all(
        isinstance(k, str) and _is_scalar(v) for k, v in value.items()
    ):
        return {"dict": {k: _plain(v) for k, v in value.items()}}
    raise CheckpointError(
        f"{path}: cannot store {owner}.{name} of type {type(value).__name__} "
        "(declare it in landsim.checkpoint)"
    )


def _walk_dataclass(obj: Any, owner: str, arrays: dict, path: Path) -> dict:
    return {
        f.name: _store(owner, f.name, getattr(obj, f.name), arrays, path)
        for f in dataclasses.fields(obj)
    }


def _walk_attrs(obj: Any, owner: str, names: list[str], arrays: dict, path: Path) -> dict:
    return {n: _store(owner, n, getattr(obj, n), arrays, path) for n in names}


_MESA_MODEL: frozenset[str] | None = None


def _mesa_model_names() -> frozenset[str]:
    """Attributes Mesa's own ``Model`` sets (its clock, registries, random generators)."""
    global _MESA_MODEL
    if _MESA_MODEL is None:
        _MESA_MODEL = frozenset(vars(mesa.Model(rng=0)))
    return _MESA_MODEL


def _model_state_names(model: LandModel, path: Path) -> list[str]:
    """The model's own attributes stored generically (arrays and scalars), in name order."""
    names = set(vars(model)) - _mesa_model_names() - DERIVED - _SECTIONS
    return sorted(names)


def _agent_state_names(agent: mesa.Agent) -> list[str]:
    """An agent's own attributes (all set in ``__init__``), minus Mesa's and derived ones."""
    base = {"model", "unique_id", "pos"}
    return sorted(set(vars(agent)) - base - _AGENT_DERIVED)


# ---------------------------------------------------------------------------------- load
def load(path: str | os.PathLike) -> LandModel:
    """Rebuild the model saved in ``path``; it continues exactly as the saved one would.

    Raises:
        CheckpointError: the file is missing, not a checkpoint, of another version, or holds
            anything but the expected arrays and JSON (one line naming the file).
    """
    path = Path(path)
    arrays = _read(path)
    try:
        return _restore(arrays, path)
    except CheckpointError:
        raise
    except (KeyError, TypeError, ValueError, IndexError, RecursionError) as err:
        raise CheckpointError(f"{path}: not a valid landsim checkpoint ({err})") from None


def read_meta(path: str | os.PathLike) -> dict[str, Any]:
    """The labels :func:`save` kept beside the state (without rebuilding the model).

    Raises:
        CheckpointError: as :func:`load`.
    """
    path = Path(path)
    return _meta(_document(_read(path), path).get("meta", {}), path)


def _read(path: Path) -> dict[str, np.ndarray]:
    """Every member of the archive at ``path``, read without pickle."""
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint file")
    try:
        if not zipfile.is_zipfile(path):
            raise CheckpointError(f"{path}: not a landsim checkpoint (not an .npz archive)")
        with np.load(path, allow_pickle=False) as npz:
            return {name: npz[name] for name in npz.files}
    except CheckpointError:
        raise
    except FileNotFoundError:
        raise CheckpointError(f"{path}: no such checkpoint file") from None
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as err:
        raise CheckpointError(f"{path}: not a valid landsim checkpoint ({err})") from None


def _fail(path: Path, why: str) -> CheckpointError:
    return CheckpointError(f"{path}: {why}")


def _document(arrays: dict, path: Path) -> dict:
    raw = arrays.pop(_JSON, None)
    if raw is None or raw.dtype != np.uint8 or raw.ndim != 1:
        raise _fail(path, f"not a landsim checkpoint (no {_JSON})")
    try:
        doc = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise _fail(path, f"{_JSON} is not valid JSON ({err})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise _fail(path, f"not a landsim checkpoint ({_JSON} lacks format {FORMAT!r})")
    if doc.get("version") != VERSION:
        raise _fail(
            path, f"checkpoint version {doc.get('version')!r} (this landsim reads {VERSION})"
        )
    return doc


def _restore(arrays: dict, path: Path) -> LandModel:
    from landsim.cooperative import Cooperative
    from landsim.households import Household
    from landsim.model import LandModel

    doc = _document(arrays, path)
    _meta(doc.get("meta", {}), path)
    _expect(doc, "params", dict, path)
    try:
        params = Params.model_validate(doc["params"])
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        raise _fail(path, f"params: {where}: {first['msg']}") from None
    year = _expect(doc, "year", int, path)
    if not 0 <= year <= params.run.years:
        raise _fail(path, f"year {year} is outside 0..run.years ({params.run.years})")
    model = LandModel(params, rng=0)  # the template: right shapes and dtypes, Mesa agents

    take = _Taker(arrays, path)
    for name in ("plots", "population", "kin"):
        _load_dataclass(getattr(model, name), name, _expect(doc, name, dict, path), take)
    n_slots = model.population.n_households
    pop, kin = model.population, model.kin
    if not pop.m_hh.size == pop.m_age.size == pop.m_alive.size == pop.m_away.size:
        raise _fail(path, "population member arrays differ in length")
    if not kin.src.size == kin.dst.size == kin.closeness.size:
        raise _fail(path, "kin arrays differ in length")
    take.check_index("plots.holder", -1, n_slots)
    take.check_index("population.m_hh", 0, n_slots)
    take.check_index("kin.src", 0, n_slots)
    take.check_index("kin.dst", 0, n_slots)

    saved = _expect(doc, "model", dict, path)
    names = _model_state_names(model, path)
    if sorted(saved) != names:
        raise _fail(path, f"model attributes {sorted(saved)} differ from {names}")
    _load_attrs(model, "model", names, saved, take)

    led = model.ledger
    for name in _LEDGER_ARRAYS:
        setattr(led, name, take.like(f"ledger.{name}", getattr(led, name)))
    payer = take.vector("ledger.entry_payer", np.int64)
    payee = take.vector("ledger.entry_payee", np.int64)
    fen = take.vector("ledger.entry_fen", np.int64)
    kind = take.vector("ledger.entry_kind", np.int64)
    size = take.vector("ledger.entry_size", np.int64)
    if not (payer.size == payee.size == fen.size == int(size.sum())) or kind.size != size.size:
        raise _fail(path, "ledger entries have inconsistent lengths")
    bounds = np.r_[0, np.cumsum(size)]
    led._entries = [
        (payer[s:e], payee[s:e], int(k), fen[s:e])
        for s, e, k in zip(bounds[:-1], bounds[1:], kind, strict=True)
    ]
    years = take.vector("ledger.total_year", np.int64)
    totals = take.array("ledger.totals", np.int64, 2)
    if totals.shape[0] != years.size:
        raise _fail(path, "ledger totals and their years differ in length")
    led.totals = {int(y): totals[i] for i, y in enumerate(years)}
    led.year = _expect(_expect(doc, "ledger", dict, path), "year", int, path)

    flat = take.vector("model._village_hh", np.int64)
    sizes = take.vector("model._village_hh_size", np.int64)
    if int(sizes.sum()) != flat.size:
        raise _fail(path, "model._village_hh sizes do not add up")
    model._village_hh = np.split(flat, np.cumsum(sizes)[:-1]) if sizes.size else []
    key = doc.get("farm_order_key")
    if key is None:
        model._farm_order_cache = None
    else:
        if not (isinstance(key, list) and all(isinstance(k, float | int) for k in key)):
            raise _fail(path, "farm_order_key must be a list of numbers")
        model._farm_order_cache = (tuple(key), take.vector("model._farm_order", np.int64))

    rows = _expect(doc, "decision_rows", list, path)
    for row in rows:
        ok = isinstance(row, dict) and sorted(row) == sorted(_DECISION_ROW)
        if not ok or not all(_same_type(_DECISION_ROW[k](), v) for k, v in row.items()):
            raise _fail(path, f"decision_rows: {row!r} is not a decision log row")
    model._decision_rows = [dict(r) for r in rows]

    slots = _expect(doc, "households", list, path)
    if not all(isinstance(i, int) and 0 <= i < n_slots for i in slots):
        raise _fail(path, f"households must be slot numbers below {n_slots}")
    for hh in model.households.values():
        hh.remove()
    model.households = {i: Household(model, i) for i in slots}

    _load_attrs(model.firm, "firm", _agent_state_names(model.firm), doc.get("firm"), take)
    _load_attrs(
        model.government,
        "government",
        _agent_state_names(model.government),
        doc.get("government"),
        take,
    )
    for coop in model.coops.values():
        coop.remove()
    model.coops = {}
    for entry in _expect(doc, "coops", list, path):
        if not isinstance(entry, dict):
            raise _fail(path, "coops must be a list of objects")
        entry = dict(entry)
        v = entry.get("village")
        if not isinstance(v, int) or not 0 <= v < params.world.n_villages or v in model.coops:
            raise _fail(path, f"coop village {v!r} is not a village of this town")
        rule = _load_rule(entry.pop("rule", None), v, path)
        terms = entry.pop("terms", None)
        coop = Cooperative(model, v, 0.5, rule, 1.0, 0.0)
        _load_attrs(coop, f"coop{v}", _agent_state_names(coop), entry, take)
        if terms is not None:
            try:
                coop.terms = Levers.model_validate(terms)
            except ValidationError as err:
                raise _fail(path, f"coop{v}.terms: {err.errors()[0]['msg']}") from None
        model.coops[v] = coop

    outcomes = _expect(doc, "outcomes", dict, path)
    collected = model.datacollector.model_vars
    if sorted(outcomes) != sorted(collected):
        raise _fail(path, "outcomes hold other columns than this landsim's metrics")
    for k, values in outcomes.items():
        if not isinstance(values, list) or len(values) != len(outcomes[next(iter(outcomes))]):
            raise _fail(path, f"outcomes column {k!r} must be a list as long as the others")
        if not all(v is None or isinstance(v, _SCALAR_TYPES) for v in values):
            raise _fail(path, f"outcomes column {k!r} holds a value that is not a number")
        collected[k] = list(values)

    if take.unused():
        raise _fail(path, f"unexpected arrays {sorted(take.unused())}")
    n_plots, n_acc = model.plots.n, model.accounts.size
    take.check_index("plots.kind", 0, 5)
    take.check_index("plots.operator", -1, max(n_slots, params.world.n_villages))
    take.check_index("model._free", 0, n_plots)
    take.check_index("model._village_hh", 0, n_slots)
    take.check_index("ledger.entry_payer", 0, n_acc)
    take.check_index("ledger.entry_payee", 0, n_acc)
    if model._farm_order_cache is not None:
        take.check_index("model._farm_order", 0, n_plots)
    try:
        model.rng.bit_generator.state = _expect(doc, "rng", dict, path)
        rs = _expect(doc, "random", list, path)
        model.random.setstate((rs[0], tuple(rs[1]), rs[2]))
    except (TypeError, ValueError, KeyError, IndexError) as err:
        raise _fail(path, f"random generator state is not valid ({err})") from None
    model.running = _expect(doc, "running", bool, path)
    _rewind(model, year)
    return model


def _load_rule(saved: Any, village: int, path: Path) -> SharingRule:
    """A co-op's benefit-sharing rule from its name and numbers (one of :data:`RULES`)."""
    classes = {
        f.default: cls for cls in _RULE_CLASSES for f in dataclasses.fields(cls) if f.name == "name"
    }
    cls = classes.get(saved.get("name")) if isinstance(saved, dict) else None
    if cls is None:
        raise _fail(path, f"coop{village}.rule must name one of {sorted(classes)}")
    template = {f.name: f.type for f in dataclasses.fields(cls)}
    if sorted(saved) != sorted(template) or not all(
        isinstance(x, _SCALAR_TYPES) for x in saved.values()
    ):
        raise _fail(path, f"coop{village}.rule must have the fields {sorted(template)}")
    rule = cls(**saved)
    defaults = {f.name: f.default for f in dataclasses.fields(cls) if f.default is not MISSING}
    for name, default in defaults.items():
        if not _same_type(default, getattr(rule, name)):
            raise _fail(path, f"coop{village}.rule.{name} has the wrong type")
    for f in dataclasses.fields(cls):
        if f.default is MISSING and not _same_type(0.0, getattr(rule, f.name)):
            raise _fail(path, f"coop{village}.rule.{f.name} must be a number")
    return rule


def _rewind(model: LandModel, year: int) -> None:
    """Move Mesa's step counter and clock to ``year`` without running any year: Mesa steps
    through its own schedule while the model's ``step`` does nothing."""
    model._rewinding = True
    try:
        model.run_for(year) if year > 0 else None
    finally:
        model._rewinding = False


def _expect(doc: Any, key: str, kind: type, path: Path) -> Any:
    if not isinstance(doc, dict) or key not in doc:
        raise _fail(path, f"{_JSON} lacks {key!r}")
    value = doc[key]
    ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
    if not ok:
        raise _fail(path, f"{key!r} must be {kind.__name__}, got {type(value).__name__}")
    return value


def _same_type(template: Any, value: Any) -> bool:
    """A JSON value may replace ``template``: same kind of scalar (ints may stand for floats)."""
    if template is None:
        return value is None
    if isinstance(template, bool | np.bool_):
        return isinstance(value, bool)
    if isinstance(template, int | np.integer):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(template, float | np.floating):
        return isinstance(value, int | float) and not isinstance(value, bool)
    if isinstance(template, str):
        return isinstance(value, str)
    return False


def _load_value(owner: str, name: str, template: Any, saved: Any, take: _Taker) -> Any:
    path = take.path
    if isinstance(template, np.ndarray):
        if saved != {"array": True}:
            raise _fail(path, f"{owner}.{name} must be an array")
        key = f"{owner}.{name}"
        return take.like(key, template, fixed_shape=key not in _VARIABLE)
    if isinstance(template, dict):
        inner = saved.get("dict") if isinstance(saved, dict) else None
        if not isinstance(inner, dict) or sorted(inner) != sorted(template):
            raise _fail(path, f"{owner}.{name} must be an object with keys {sorted(template)}")
        for k, v in inner.items():
            if not _same_type(template[k], v):
                raise _fail(path, f"{owner}.{name}[{k!r}] has the wrong type")
        return dict(inner)
    if not _same_type(template, saved):
        raise _fail(
            path,
            f"{owner}.{name} must be {type(template).__name__}, got {type(saved).__name__}",
        )
    return saved


def _load_dataclass(obj: Any, owner: str, saved: dict, take: _Taker) -> None:
    names = [f.name for f in dataclasses.fields(obj)]
    if sorted(saved) != sorted(names):
        raise _fail(take.path, f"{owner} fields {sorted(saved)} differ from {sorted(names)}")
    for n in names:
        setattr(obj, n, _load_value(owner, n, getattr(obj, n), saved[n], take))


def _load_attrs(obj: Any, owner: str, names: list[str], saved: Any, take: _Taker) -> None:
    if not isinstance(saved, dict) or sorted(saved) != sorted(names):
        got = sorted(saved) if isinstance(saved, dict) else type(saved).__name__
        raise _fail(take.path, f"{owner} attributes {got} differ from {sorted(names)}")
    for n in names:
        setattr(obj, n, _load_value(owner, n, getattr(obj, n), saved[n], take))


class _Taker:
    """Hands out the archive's arrays by name, checking dtype and shape, and remembers which
    were used (an archive with extra members is refused)."""

    def __init__(self, arrays: dict[str, np.ndarray], path: Path) -> None:
        self.arrays = arrays
        self.path = path
        self.used: set[str] = set()

    def array(self, name: str, dtype, ndim: int) -> np.ndarray:
        if name not in self.arrays:
            raise _fail(self.path, f"missing array {name!r}")
        a = self.arrays[name]
        if a.dtype != np.dtype(dtype) or a.ndim != ndim:
            raise _fail(
                self.path,
                f"array {name!r} must be {np.dtype(dtype)} with {ndim} dimension(s), "
                f"got {a.dtype} with {a.ndim}",
            )
        self.used.add(name)
        return a

    def vector(self, name: str, dtype) -> np.ndarray:
        return self.array(name, dtype, 1)

    def like(self, name: str, template: np.ndarray, fixed_shape: bool = True) -> np.ndarray:
        """The array ``name``, which must have ``template``'s dtype and dimensions (and shape,
        unless its length may change during a run: members, kin ties, this year's lists)."""
        a = self.array(name, template.dtype, template.ndim)
        if a.shape[1:] != template.shape[1:] or (fixed_shape and a.shape != template.shape):
            raise _fail(self.path, f"array {name!r} has shape {a.shape}, not {template.shape}")
        return a.copy()

    def check_index(self, name: str, low: int, high: int) -> None:
        a = self.arrays[name]
        if a.size and (a.min() < low or a.max() >= high):
            raise _fail(self.path, f"array {name!r} holds values outside {low}..{high - 1}")

    def unused(self) -> set[str]:
        return set(self.arrays) - self.used
