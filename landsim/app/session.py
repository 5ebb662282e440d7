"""What one browser tab runs: one model, or two stepped in lockstep, built from scenarios.

Parts:

* :data:`LEVERS` — the levers the page offers, with their ranges;
* :func:`scenario_dir`, :func:`scenario_catalogue`, :func:`scenario_names`, :func:`load_params`
  — the scenario files the server offers;
* :class:`RefusedInput` and :func:`check_lever`, :func:`check_seed` — every value that comes
  from the browser is checked here, on the server, before it is used;
* :func:`with_member_share` — change the members' profit share, keeping the split summing to one;
* :class:`Run` — a scenario, the lever values on the page, and the model built from them;
* :class:`Session` — the runs of one tab, their shared seed, and Step / Reset; it saves itself
  (:meth:`Session.save`, one checkpoint per model) so that a tab survives a server restart
  (:meth:`Session.restore`; where saved tabs are kept, and for how long:
  :mod:`landsim.app.tabs`).

Nothing here imports solara: the page (``landsim.app.app``) drives these objects, and tests and
benchmarks use them directly.

What comes from a browser is never trusted: a scenario is picked by *name* from the catalogue
the server built from its own folder (a name that is not in it is refused and logged, and no
path is ever made from it); a lever value goes through the same parameter model as a scenario
file (type, range, finite) and a seed must be a whole number in range. A refused value raises
:class:`RefusedInput`, which the page shows as a message; the tab keeps working.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import threading
import weakref
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from landsim.app.tabs import TAB_ID, tab_lock
from landsim.bundled import bundled_dir
from landsim.errors import UserError
from landsim.files import write_text_atomic
from landsim.model import LandModel
from landsim.params import SHARING_RULES, Params, RunSettings, params_from_flat
from landsim.scenario import load_scenario
from landsim.tomlio import safe_text

__all__ = [
    "LEVERS",
    "Lever",
    "Run",
    "Session",
    "DEFAULT_SEED",
    "scenario_dir",
    "scenario_catalogue",
    "scenario_names",
    "RefusedInput",
    "check_lever",
    "check_seed",
    "load_params",
    "scenario_titles",
    "with_member_share",
]

#: seed of a new tab (every tab starts from the same town; the page can change it)
DEFAULT_SEED = 1
#: environment variable naming the folder of scenario files (set by ``landsim app --scenarios``)
SCENARIO_ENV = "LANDSIM_SCENARIOS"
#: environment variable naming a scenario of a region that the server offers first and opens
#: with (set by ``landsim app --region FILE``: chosen on the server, never by a browser)
REGION_ENV = "LANDSIM_REGION"
#: the file stems the picker offers: plain names only
_PLAIN = re.compile(r"[A-Za-z0-9_-]{1,64}", re.ASCII)
LOG = logging.getLogger("landsim.app")
#: every Session still in memory (the server logs how many remain after culling a tab)
LIVE_SESSIONS: weakref.WeakSet[Session] = weakref.WeakSet()


class RefusedInput(UserError):
    """A value from the browser that the server refuses; the page shows the message."""


def _refuse(what: str, value: Any, why: str) -> RefusedInput:
    shown = safe_text(repr(value), 60)
    LOG.warning("refused %s from the browser: %s (%s)", what, shown, why)
    return RefusedInput(f"{what} {shown} refused: {why}")


@dataclass(frozen=True)
class Lever:
    """A lever on the page: a flat parameter name and the range of its control."""

    name: str
    kind: str  # "select", "float" or "int"
    lo: float = 0.0
    hi: float = 1.0
    step: float = 1.0
    choices: tuple[str, ...] = ()


#: the levers of the issue, in page order (names are flat ``Params`` keys)
LEVERS: tuple[Lever, ...] = (
    Lever("benefit_rule", "select", choices=SHARING_RULES),
    Lever("fixed_rent", "float", 0, 1500, 50),
    Lever("guaranteed_rent", "float", 0, 1500, 50),
    Lever("member_share", "float", 0, 1, 0.05),
    Lever("subsidy_per_mu", "float", 0, 500, 25),
    Lever("subsidy_years", "int", 0, 15, 1),
    Lever("audit_rate", "float", 0, 1, 0.05),
    Lever("custody_price", "float", 400, 1600, 50),
)
LEVER_NAMES = tuple(lv.name for lv in LEVERS)
#: levers set together with member_share so that the three shares sum to one
_SPLIT = ("reserve_share", "collective_share")


def scenario_dir() -> Path:
    """Folder of the scenario files.

    That is ``$LANDSIM_SCENARIOS``, else the bundled scenarios (in the wheel or the checkout).
    """
    env = os.environ.get(SCENARIO_ENV)
    if env:
        return Path(env)
    return bundled_dir("scenarios")


def scenario_catalogue(folder: Path | None = None) -> dict[str, Path]:
    """The scenarios the server offers: stem -> file, for the regular ``*.toml`` files of
    ``folder`` and of its subfolders one level down (``coops/``; a file of ``folder`` wins a
    shared name), with plain names (letters, digits, ``-``, ``_``), and the region scenario of
    ``landsim app --region`` first, else ``baseline`` first."""
    folder = folder or scenario_dir()
    found = {}
    if folder.is_dir():
        sub = [p for p in sorted(folder.glob("*/*.toml")) if _PLAIN.fullmatch(p.parent.name)]
        files = [*sub, *folder.glob("*.toml")]
        found = {p.stem: p for p in files if _PLAIN.fullmatch(p.stem) and p.is_file()}
    region = Path(os.environ[REGION_ENV]) if os.environ.get(REGION_ENV) else None
    if region is not None and _PLAIN.fullmatch(region.stem) and region.is_file():
        found[region.stem] = region  # the server's region, first
    first = region.stem if region is not None else "baseline"
    return {n: found[n] for n in sorted(found, key=lambda n: (n != first, n != "baseline", n))}


def scenario_names(folder: Path | None = None) -> list[str]:
    """Stems of the scenario files the server offers, ``baseline`` first."""
    return list(scenario_catalogue(folder))


def load_params(
    name: str, folder: Path | None = None, strict: bool = False
) -> tuple[Params, str, bool]:
    """Parameters and title of the offered scenario ``name``.

    The name is looked up in :func:`scenario_catalogue`; no path is made from it. A name that
    is not offered gives ``(defaults, "", False)`` (a lesson naming a file that is missing from
    ``--scenarios``), or, with ``strict`` (a name from the browser), raises
    :class:`RefusedInput`. The file is read with :func:`landsim.scenario.load_scenario`, which
    validates it; an invalid file raises that function's error (the page shows it).
    """
    path = scenario_catalogue(folder).get(name) if isinstance(name, str) else None
    if path is None:
        if strict:
            raise _refuse("scenario", name, "not one of the scenarios this server offers")
        return Params(), "", False
    scenario = load_scenario(path)
    return scenario.params, scenario.title, True


@lru_cache(maxsize=64)
def _title(path: Path, mtime: float) -> str:
    try:
        return load_scenario(path).title
    except UserError:  # an invalid file is reported when it is picked, not in the list
        return path.stem


def scenario_titles(folder: Path | None = None) -> dict[str, str]:
    """Title of every scenario file in ``folder`` (file stem -> title)."""
    out = {}
    for name, path in scenario_catalogue(folder).items():
        out[name] = _title(path, path.stat().st_mtime)
    return out


def check_lever(base: Params, levers: dict[str, Any], name: Any, value: Any) -> Any:
    """``value`` for lever ``name`` if the page offers that lever and the parameter model
    accepts it (with the other levers on the page), as it came or as a whole number.

    Raises:
        RefusedInput: an unknown lever, a value of the wrong kind, out of range or not finite.
    """
    lever = next((lv for lv in LEVERS if lv.name == name), None) if isinstance(name, str) else None
    if lever is None:
        raise _refuse("lever", name, "not a lever of this page")
    if lever.kind == "select":
        if value not in lever.choices:
            raise _refuse(name, value, f"must be one of {', '.join(lever.choices)}")
    else:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _refuse(name, value, "must be a number")
        if not math.isfinite(value):
            raise _refuse(name, value, "must be a finite number")
        if lever.kind == "int":
            if not float(value).is_integer():
                raise _refuse(name, value, "must be a whole number")
            value = int(value)
        else:
            value = float(value)
        if not lever.lo <= value <= lever.hi:
            raise _refuse(name, value, f"must be between {lever.lo:g} and {lever.hi:g}")
    candidate = (
        with_member_share(levers, value)
        if name == "member_share"
        else {
            **levers,
            name: value,
        }
    )
    try:
        params_from_flat(base, **candidate)
    except (ValidationError, TypeError, ValueError) as err:
        first = err.errors()[0]["msg"] if isinstance(err, ValidationError) else str(err)
        raise _refuse(name, value, safe_text(first, 120)) from None
    return value


def check_seed(value: Any) -> int:
    """A seed from the page: a whole number that ``run.seed`` accepts.

    Raises:
        RefusedInput: anything else.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _refuse("seed", value, "must be a whole number")
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        raise _refuse("seed", value, "must be a whole number")
    value = int(value)
    try:
        RunSettings(seed=value)
    except ValidationError:
        raise _refuse("seed", value, "must be at least 0") from None
    if value >= 2**63:
        raise _refuse("seed", value, "must be below 2**63")
    return value


def with_member_share(values: dict[str, Any], member_share: float) -> dict[str, Any]:
    """Return ``values`` with ``member_share`` set and the split still summing to one.

    The rest of the profit goes to the reserve fund and the village collective in their present
    proportion (equally if both are 0).
    """
    m = min(1.0, max(0.0, float(member_share)))
    reserve, collective = float(values["reserve_share"]), float(values["collective_share"])
    rest = 1.0 - m
    new_reserve = rest * reserve / (reserve + collective) if reserve + collective > 0 else rest / 2
    return {
        **values,
        "member_share": m,
        "reserve_share": new_reserve,
        "collective_share": max(0.0, 1.0 - m - new_reserve),
    }


def _lever_values(params: Params) -> dict[str, Any]:
    lv = params.levers
    return {name: getattr(lv, name) for name in LEVER_NAMES + _SPLIT}


@dataclass
class Run:
    """One model and what it was built from.

    Attributes:
        scenario: stem of the scenario file ("" for the default parameters).
        title: the scenario file's title ("" without a file).
        found: the scenario file was found and loaded.
        base: the scenario's parameters with any changes a lesson makes.
        levers: lever values on the page (they take effect at the next :meth:`rebuild`).
        applied: lever values the current model was built with.
        model: the running model.
    """

    scenario: str
    title: str
    found: bool
    base: Params
    levers: dict[str, Any]
    applied: dict[str, Any] = field(default_factory=dict)
    model: LandModel | None = None

    @classmethod
    def from_scenario(
        cls, name: str, changes: dict[str, Any] | None = None, strict: bool = False
    ) -> Run:
        """A run of scenario ``name`` with flat parameter ``changes`` (from a lesson).

        ``strict`` for a name from the browser: one that is not offered is refused.
        """
        params, title, found = load_params(name, strict=strict)
        base = params_from_flat(params, **(changes or {}))
        return cls(name, title, found, base, levers=_lever_values(base))

    @property
    def horizon(self) -> int:
        """Years the scenario is meant to run."""
        return self.base.run.years

    def overrides(self) -> dict[str, Any]:
        """Lever values on the page that differ from the scenario's."""
        base = _lever_values(self.base)
        return {k: v for k, v in self.levers.items() if v != base[k]}

    @property
    def pending(self) -> bool:
        """Levers were changed on the page since the model was built."""
        return self.levers != self.applied

    def set_lever(self, name: str, value: Any) -> None:
        """Change a lever on the page (member_share also rebalances reserve and collective).

        Raises:
            RefusedInput: see :func:`check_lever`; the levers stay as they were.
        """
        value = check_lever(self.base, self.levers, name, value)
        if name == "member_share":
            self.levers = with_member_share(self.levers, value)
        else:
            self.levers = {**self.levers, name: value}

    def rebuild(self, seed: int) -> None:
        """Build a fresh model from the scenario, the page's levers and ``seed``."""
        self.model = LandModel(self.base, rng=seed, **self.overrides())
        self.applied = dict(self.levers)


class Session:
    """The runs of one browser tab: run A, and run B in compare mode, sharing one seed.

    Both runs start from the same seed, so they begin from the same town and a difference between
    them comes from their scenarios and levers (common random numbers). Step advances them
    together. A lock makes Step and Reset safe when Play steps from a background thread; the
    ``generation`` counter lets a Play loop notice that a Reset happened under it.
    """

    def __init__(
        self,
        scenario: str = "baseline",
        seed: int = DEFAULT_SEED,
        *,
        runs: list[Run] | None = None,
        applied_seed: int | None = None,
        compare: bool = False,
    ) -> None:
        """A tab of scenario ``scenario`` and ``seed``; or, given ``runs`` with their models
        (a restored tab), those runs as they are."""
        self.seed = seed  # seed on the page; takes effect at the next reset
        self.applied_seed = seed if applied_seed is None else applied_seed
        self.compare = compare
        self.runs: list[Run] = runs or [Run.from_scenario(scenario), Run.from_scenario(scenario)]
        self.generation = 0
        self.lock = threading.RLock()
        if runs is None:
            self.reset()
        LIVE_SESSIONS.add(self)

    @property
    def active(self) -> list[Run]:
        """Runs on screen: A, or A and B in compare mode."""
        return self.runs if self.compare else self.runs[:1]

    @property
    def pending(self) -> bool:
        """The page holds lever or seed changes that the next Reset will apply."""
        return self.seed != self.applied_seed or any(r.pending for r in self.active)

    @property
    def year(self) -> int:
        """Current year of the runs (they move in lockstep)."""
        return self.runs[0].model.year

    @property
    def horizon(self) -> int:
        """Longest horizon of the runs on screen (years)."""
        return max(r.horizon for r in self.active)

    def step(self, generation: int | None = None) -> bool:
        """Advance every run on screen by one year; False if a Reset made ``generation`` stale."""
        with self.lock:
            if generation is not None and generation != self.generation:
                return False
            for run in self.active:
                run.model.step()
            return True

    def reset(self) -> None:
        """Rebuild the runs on screen from their scenario, levers and the seed; run B has no
        model outside compare mode (a tab holds one town, not two)."""
        with self.lock:
            for run in self.runs:
                if run in self.active:
                    run.rebuild(self.seed)
                else:
                    run.model = None
            self.applied_seed = self.seed
            self.generation += 1

    def choose_scenario(self, index: int, name: str) -> None:
        """Load the offered scenario ``name`` into run ``index`` and restart both runs.

        Raises:
            RefusedInput: ``name`` is not an offered scenario (nothing changes).
        """
        with self.lock:
            self.runs[index] = Run.from_scenario(name, strict=True)
            self.reset()

    def set_seed(self, value: Any) -> None:
        """Set the seed on the page (it takes effect at the next reset).

        Raises:
            RefusedInput: see :func:`check_seed`.
        """
        self.seed = check_seed(value)

    def set_compare(self, on: bool) -> None:
        """Switch compare mode; both runs restart so that they stay in lockstep."""
        with self.lock:
            self.compare = bool(on)
            self.reset()

    def save(self, folder: Path, tab: str) -> None:
        """Write the tab to ``folder/tab/``: a checkpoint per model, then ``session.json``
        (written last and renamed into place, so a half-written tab is never restored).

        Writers of one tab take turns (a lock file in its folder): two pages that saved the
        same tab at once used to write one temporary file together and fail.
        """
        if not TAB_ID.fullmatch(tab):
            raise ValueError(f"tab id {tab!r} is not 32 hex digits")
        where = folder / tab
        where.mkdir(parents=True, exist_ok=True)
        with tab_lock(where), self.lock:
            for i, run in enumerate(self.runs):
                if run.model is not None:
                    run.model.save(where / f"run{i}.npz")
                else:
                    (where / f"run{i}.npz").unlink(missing_ok=True)
            doc = {
                "version": 1,
                "seed": self.seed,
                "applied_seed": self.applied_seed,
                "compare": self.compare,
                "runs": [_run_record(r) for r in self.runs],
            }
            # a new file beside it, renamed: never through a link, and never another writer's
            write_text_atomic(where / "session.json", json.dumps(doc))

    @classmethod
    def restore(cls, folder: Path, tab: str) -> Session | None:
        """The tab saved in ``folder/tab``; None if there is none or it cannot be read (the
        page then starts a fresh tab)."""
        from landsim.checkpoint import CheckpointError

        where = folder / tab
        if not TAB_ID.fullmatch(tab) or not (where / "session.json").is_file():
            return None
        try:
            with tab_lock(where):
                return cls._read(where)
        except (OSError, ValueError, KeyError, TypeError, AttributeError, CheckpointError):
            return None

    @classmethod
    def _read(cls, where: Path) -> Session | None:
        """Read the tab in ``where`` (the caller holds its lock and catches what a damaged tab
        raises)."""
        doc = json.loads((where / "session.json").read_text(encoding="utf-8"))
        if doc.get("version") != 1 or len(doc["runs"]) != 2:
            return None
        names = set(LEVER_NAMES + _SPLIT)
        runs = []
        for i, rec in enumerate(doc["runs"]):
            levers, applied = dict(rec["levers"]), dict(rec["applied"])
            if set(levers) != names or (applied and set(applied) != names):
                return None
            base = Params.model_validate(rec["base"])
            built = bool(rec.get("built", True)) or i == 0 or bool(doc["compare"])
            model = LandModel.load(where / f"run{i}.npz") if built else None
            runs.append(
                Run(
                    str(rec["scenario"]),
                    str(rec["title"]),
                    bool(rec["found"]),
                    base,
                    levers=levers,
                    applied=applied,
                    model=model,
                )
            )
        if bool(doc["compare"]) and runs[0].model.year != runs[1].model.year:
            return None
        return cls(
            seed=int(doc["seed"]),
            runs=runs,
            applied_seed=int(doc["applied_seed"]),
            compare=bool(doc["compare"]),
        )

    def setup(
        self,
        a: tuple[str, dict[str, Any]],
        b: tuple[str, dict[str, Any]] | None = None,
    ) -> None:
        """Load scenario ``a`` (name, changes), and ``b`` for compare mode, then restart."""
        with self.lock:
            self.runs[0] = Run.from_scenario(*a)
            self.runs[1] = Run.from_scenario(*(b or a))
            self.compare = b is not None
            self.reset()


def _run_record(run: Run) -> dict[str, Any]:
    return {
        "scenario": run.scenario,
        "title": run.title,
        "found": run.found,
        "base": run.base.model_dump(mode="json"),
        "levers": run.levers,
        "applied": run.applied,
        "built": run.model is not None,
    }
