"""The classes of this server, by code, and keeping them across restarts.

* :class:`Registry` — classes by code, behind one lock; nothing else holds a class, so one class
  never sees another and a plain app tab sees none. With a store
  (:class:`~landsim.app.classroom.store.ClassStore`) every class is saved as it changes, and a
  saved class comes back the first time its code is asked for after a restart;
* :func:`restore` — a class from its saved document: the same town built again and its years
  replayed with the same decisions (the model is deterministic for a seed and its decisions);
* :data:`REGISTRY` — the server's registry (saving into ``$LANDSIM_APP_CLASSES`` when set).
"""

from __future__ import annotations

import logging
import secrets
import threading
from typing import Any

from landsim.app.classroom.room import (
    CLASS_SIZE,
    LANGS,
    LEASES,
    MAX_STUDENTS,
    ClassError,
    Classroom,
    Role,
    _browser_digest,
    _clean_name,
    _new_code,
)
from landsim.app.classroom.store import ClassStore, classes_dir, digest
from landsim.app.classroom.text import t
from landsim.app.session import scenario_names
from landsim.decisions import ROLES, BranchChoice, Decisions
from landsim.errors import UserError

__all__ = ["Registry", "REGISTRY", "restore", "MAX_CLASSES"]

LOG = logging.getLogger("landsim.app")
#: the most classes a server holds at once (ended ones are forgotten first)
MAX_CLASSES = 50


def restore(doc: dict[str, Any], store: ClassStore | None = None) -> Classroom:
    """The class of a saved document: its town built again and its years replayed with the
    same decisions (the model is deterministic for a seed and its decisions).

    Raises:
        ValueError, TypeError, KeyError, DecisionError: a document this server cannot
            restore (the registry logs it and goes on without the class).
    """
    room = Classroom(
        str(doc["code"]),
        str(doc["scenario"]),
        _int(doc["years"], 1, 30),
        _int(doc["seconds_per_round"], 0, 3600),
        _int(doc["seed"], 0, 2**31 - 1),
        size=_int(doc["size"], 1, MAX_STUDENTS),
        leases=str(doc["leases"]),
        warmup=_int(doc["warmup"], 0, 10),
        key_hashes=[_hex(h) for h in doc["key_hashes"]],
        teacher_browsers={_hex(h) for h in doc["teacher_browsers"]},
        teacher_lang=doc["teacher_lang"] if doc["teacher_lang"] in LANGS else "en",
    )
    for entry in doc["history"]:
        room.town.step(decisions=_decisions(entry))
        room.model_town.step()
        room.history.append(entry)
    for r in doc["roles"]:
        role = Role(_clean_name(r["name"]), str(r["kind"]), int(r["index"]))
        role.lang = r["lang"] if r["lang"] in LANGS else "en"
        role.browsers = {_hex(h) for h in r["browsers"]}
        room._seat(role)
    opened = _decisions(doc["open"])
    room.plots = {h: dict(v) for h, v in opened.plots.items()}
    room.engage, room.branches = dict(opened.engage), dict(opened.branches)
    room.government = dict(opened.government)
    room.decided_by = {str(k): float(v) for k, v in doc["open"]["decided_by"].items()}
    room.model_ruled = {int(k): [str(n) for n in v] for k, v in doc["model_ruled"].items()}
    room.paused, room.ended = bool(doc["paused"]), bool(doc["ended"])
    room.started = float(doc["started"])
    room._start_round()
    if room.ended:
        room.deadline = None
    room.store = store
    return room


def _decisions(entry: dict[str, Any]) -> Decisions:
    """A saved year's decisions (the model checks them again when the year is replayed)."""
    return Decisions(
        plots={int(h): {int(p): str(c) for p, c in v.items()} for h, v in entry["plots"].items()},
        engage={int(h): bool(on) for h, on in entry["engage"].items()},
        branches={int(v): BranchChoice(**b) for v, b in entry["branches"].items()},
        government={str(k): float(v) for k, v in entry["government"].items()},
        who={(str(k), int(i)): str(n) for k, i, n in entry["who"]},
    )


def _int(value: Any, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ValueError(f"{value!r} is not a whole number from {lo} to {hi}")
    return value


def _hex(value: Any) -> str:
    if not (isinstance(value, str) and len(value) == 64 and set(value) <= set("0123456789abcdef")):
        raise ValueError("not a SHA-256 digest")
    return value


def _kind(value: Any) -> str:
    if value not in ROLES:
        raise ValueError(f"not a role: {value!r}")
    return value


class Registry:
    """The classes on this server, by code, behind one lock; with a ``store``, classes are
    saved as they change and a saved class comes back the first time its code is asked for
    (after a server restart)."""

    def __init__(self, store: ClassStore | None = None) -> None:
        """An empty registry (its ``store``'s saved classes are restored when asked for)."""
        self._classes: dict[str, Classroom] = {}
        self._lock = threading.Lock()
        self.store = store
        self._saved: set[str] = set(store.saved()) if store is not None else set()

    def start(
        self,
        scenario: str,
        years: int,
        seconds_per_round: int,
        seed: int = 1,
        size: int = CLASS_SIZE,
        browser: str | None = None,
        leases: str = "class",
        lang: str = "en",
    ) -> Classroom:
        """Start a class of ``size`` seats on a bundled scenario (names from the app's
        scenario list only), run from ``browser`` (the teacher's browser session), with the
        lease setting ``leases`` (:data:`LEASES`) and the teacher's language ``lang``.

        Raises:
            ClassError: for an unknown scenario or lease setting, years, seconds or size out
                of range, too many classes.
        """
        if not isinstance(scenario, str) or scenario not in scenario_names():
            raise ClassError("scenario", name=str(scenario)[:60])
        if not isinstance(leases, str) or leases not in LEASES:
            raise ClassError("leases", value=str(leases)[:40])
        for label, value, lo, hi in (
            ("years", years, 1, 30),
            ("seconds", seconds_per_round, 0, 3600),
            ("seed", seed, 0, 2**31 - 1),
            ("class_size", size, 1, MAX_STUDENTS),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
                what = lambda lang, label=label: t(f"range.{label}", lang)  # noqa: E731
                raise ClassError("range", what=what, lo=lo, hi=hi, value=str(value)[:40])
        with self._lock:
            if len(self._classes) >= MAX_CLASSES:
                self._cull()
            if len(self._classes) >= MAX_CLASSES:
                raise ClassError("too_many_classes")
            code = _new_code(set(self._classes) | self._saved)
            key = secrets.token_urlsafe(12)
            room = Classroom(
                code,
                scenario,
                years,
                seconds_per_round,
                seed,
                size,
                leases,
                key_hashes=[digest(key)],
                teacher_key=key,
                teacher_lang=lang if lang in LANGS else "en",
            )
            seat = _browser_digest(browser)
            if seat is not None:
                room.teacher_browsers.add(seat)
            room.store = self.store
            self._classes[code] = room
            room._save()
            return room

    def get(self, code: Any) -> Classroom:
        """The class of ``code`` (case and spaces ignored); a saved one is restored first.

        Raises:
            ClassError: for an unknown code.
        """
        key = "".join(code.split()).upper()[:20] if isinstance(code, str) else ""
        with self._lock:
            room = self._classes.get(key)
            if room is None and key in self._saved:
                room = self._restore(key)
        if room is None:
            raise ClassError("no_class", code=key or str(code)[:20])
        return room

    def _restore(self, code: str) -> Classroom | None:
        self._saved.discard(code)
        try:
            room = restore(self.store.read(code), self.store)
        except (UserError, ValueError, TypeError, KeyError, AttributeError) as exc:
            LOG.warning("could not restore class %s: %s", code, str(exc)[:300])
            return None
        LOG.info("restored class %s (%d students, year %d)", code, len(room.roles), room.year)
        self._classes[code] = room
        return room

    def teacher(self, code: Any, key: Any = None, browser: Any = None) -> Classroom:
        """The class of ``code`` if ``browser`` runs it, or if ``key`` is its teacher's key
        (that browser then runs it too).

        Raises:
            ClassError: for an unknown code, or neither a teacher's browser nor the key.
        """
        room = self.get(code)
        if not room.is_teacher(key, browser):
            raise ClassError("not_teacher")
        return room

    def _cull(self) -> None:
        """Forget ended classes (their results were downloadable while they were shown)."""
        for code in [c for c, r in self._classes.items() if r.ended]:
            del self._classes[code]
            if self.store is not None:
                self.store.delete(code)


def _registry() -> Registry:
    folder = classes_dir()
    return Registry(ClassStore(folder) if folder is not None else None)


#: the server's classes (one per process)
REGISTRY = _registry()
