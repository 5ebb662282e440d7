"""One class playing one shared town (the classes of a server are
:mod:`~landsim.app.classroom.registry`'s).

Parts:

* :class:`Role` — what a joined student plays: a household, a village's Party branch, or the
  town government, and the language of their page;
* :class:`Classroom` — one class: its town (:class:`~landsim.app.classroom.classtown.ClassTown`),
  the same town run by the model's own rule with the same seed (for the debrief), who joined
  as what, this year's decisions, every year's decisions (to restore the class), and the
  year's clock;
* :class:`ClassError` and :class:`RuleError` — what a class refuses, in the page's language.

**A class fits a lesson.** Before the first round the model plays :data:`WARMUP_YEARS` year
alone, in both towns alike: a scenario's co-ops, founded in its first year, take land from the
class's first round, and every student reads last year's income and what happened to each plot.
With the class's leases (:data:`LEASES`, the teacher's choice; the default), household and
co-op leases run one year, so every household decides on every plot in every round; the
model's own town runs with the same settings, so the debrief compares like with like. A class
counts its own years (1 to ``years``); the town's calendar runs ``warmup`` years ahead.

Every decision goes through :mod:`landsim.decisions`' checks before it is stored; a
household's plots are first checked here, so that a refusal reads in the student's language
(:class:`RuleError`). A student acts only on their own role (the role is looked up on the
server from the browser the student joined from, never taken from a message). Only the
teacher controls a class: the browser that started it, or one holding its key, closes years
(each close names the year it closes, so a double click or a second teacher page closes one
year), sets the class size and frees seats. The key and the browsers' session ids are kept as
digests only (:func:`~landsim.app.classroom.store.digest`). Joins are rate-limited per class
(:data:`JOIN_BURST`, :data:`JOIN_RATE`); names are normalised and a name that looks like a
seated one is refused (:mod:`~landsim.app.classroom.names`). What people see is built by
:mod:`~landsim.app.classroom.reports`; exported tables by
:mod:`~landsim.app.classroom.export`. Nothing here imports solara.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from landsim.app.classroom.classtown import ClassTown
from landsim.app.classroom.names import NameError_, look_alike_keys, normalise
from landsim.app.classroom.store import ClassStore, digest
from landsim.app.classroom.text import t
from landsim.app.session import load_params
from landsim.decisions import (
    BranchChoice,
    DecisionError,
    Decisions,
    check_branch,
    check_engagement,
    check_government,
    check_plots,
    field_days_needed,
    free_plots,
    options,
)
from landsim.model import LandModel
from landsim.params import Params, apply_changes

__all__ = [
    "Role",
    "Classroom",
    "ClassError",
    "RuleError",
    "CODE_ALPHABET",
    "MAX_STUDENTS",
    "CLASS_SIZE",
    "JOIN_BURST",
    "JOIN_RATE",
    "WARMUP_YEARS",
    "LEASES",
    "LANGS",
]

LOG = logging.getLogger("landsim.app")
#: class codes use letters and digits nobody confuses when read off a projector
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 5
#: the largest class a teacher may set, and the size of a new class unless the teacher says
MAX_STUDENTS = 200
CLASS_SIZE = 40
#: joins a class takes at once (a class of forty joining in the same minute from one school
#: address), then :data:`JOIN_RATE` more per second
JOIN_BURST = 50
JOIN_RATE = 0.5
#: a teacher's key: what ``secrets.token_urlsafe(12)`` makes (anything else is refused unread)
_KEY_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
#: years the model plays alone before the first round (the year a scenario's co-ops are founded)
WARMUP_YEARS = 1
#: the teacher's choice of lease lengths: the class's own (every lease runs one year, so every
#: plot is decided in every round) or the scenario's (households oral a year at a time or
#: written 3-8 years, co-ops 3-6 years and renewed)
LEASES: dict[str, dict[str, int]] = {
    "class": {
        "assumptions.lease_years_min": 1,
        "assumptions.lease_years_max": 1,
        "levers.coop_lease_years_min": 1,
        "levers.coop_lease_years": 1,
    },
    "scenario": {},
}
#: the pages' languages
LANGS = ("en", "zh")


class ClassError(ValueError):
    """A request a class cannot serve (unknown code, wrong key, bad name, class full).

    ``key`` names the message in :mod:`~landsim.app.classroom.text`; :meth:`text` gives it in
    a page's language (``str()`` in English). A value that is callable is a part of the message
    written in that language (called with it).
    """

    def __init__(self, key: str, **values: Any) -> None:
        self.key, self.values = key, values
        super().__init__(self.text("en"))

    def text(self, lang: str) -> str:
        """The message in ``lang``."""
        values = {k: v(lang) if callable(v) else v for k, v in self.values.items()}
        return t(f"err.{self.key}", lang, **values)


class RuleError(ClassError, DecisionError):
    """A decision that breaks a rule of the game (another's plot, an option not open, more
    plots kept than the household's labour farms), in the page's language."""


@dataclass
class Role:
    """What one student plays.

    Attributes:
        name: the name the student joined with (their key, with the class code).
        kind: "household", "branch" or "government".
        index: household index, village index, or 0 for the government.
        lang: the language of the student's page ("en" or "zh"); kept across reloads.
        browsers: digests of the browser sessions (Solara's HttpOnly session cookie) the
            student joined from: the student's seat. A page comes back to the role only from
            one of these browsers, so a classmate who types the name (it is on the projected
            dashboard) cannot take over the household, while the student can rejoin by name
            and code. A student on a new device asks the teacher to free the seat.
    """

    name: str
    kind: str
    index: int
    lang: str = "en"
    browsers: set[str] = field(default_factory=set, repr=False)


def _new_code(taken: set[str]) -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if code not in taken:
            return code


def _clean_name(name: Any) -> str:
    try:
        return normalise(name)
    except NameError_ as err:
        raise ClassError(err.key, **err.values) from None


def _browser_digest(browser: Any) -> str | None:
    return digest(browser) if isinstance(browser, str) and browser else None


def class_params(scenario: str, leases: str) -> Params:
    """The parameters of a class on ``scenario`` with the lease setting ``leases``.

    Raises:
        ClassError: an unknown scenario or lease setting.
    """
    params, _, found = load_params(scenario)
    if not found:
        raise ClassError("scenario", name=scenario)
    if leases not in LEASES:
        raise ClassError("leases", value=str(leases)[:40])
    return apply_changes(params, LEASES[leases]) if LEASES[leases] else params


class _JoinLimit:
    """Joins a class takes: :data:`JOIN_BURST` at once, then :data:`JOIN_RATE` a second."""

    def __init__(self) -> None:
        self.tokens, self.at = float(JOIN_BURST), None

    def take(self, now: float) -> float:
        """0 if a join may go ahead now (and count it), else the seconds until one may."""
        elapsed = max(0.0, now - self.at) if self.at is not None else 0.0
        self.tokens = min(JOIN_BURST, self.tokens + elapsed * JOIN_RATE)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / JOIN_RATE


@dataclass
class Classroom:
    """One class and its shared town (see the module docstring).

    Attributes:
        code: the class code students type.
        scenario: the scenario file's stem.
        years: years (rounds) the class plays.
        seconds_per_round: the round timer (0: the teacher advances by hand).
        seed: the town's seed (the model's own run uses the same).
        size: seats of the class (the teacher sets it; at most :data:`MAX_STUDENTS`).
        leases: the lease setting of :data:`LEASES`.
        warmup: years the model played alone before the first round.
        key_hashes: digests of the teacher's keys (a browser holding one runs the class).
        teacher_key: the key this server made, while it runs (never saved; None after a
            restart until the teacher asks for a new link).
        teacher_browsers: digests of the browser sessions that run the class.
        teacher_lang: the language of the teacher's pages.
        history: every played year's decisions (what restores the class).
    """

    code: str
    scenario: str
    years: int
    seconds_per_round: int
    seed: int
    size: int = CLASS_SIZE
    leases: str = "class"
    warmup: int = WARMUP_YEARS
    key_hashes: list[str] = field(default_factory=list, repr=False)
    teacher_key: str | None = field(default=None, repr=False)
    teacher_browsers: set[str] = field(default_factory=set, repr=False)
    teacher_lang: str = "en"
    town: ClassTown = field(init=False, repr=False)
    model_town: LandModel = field(init=False, repr=False)
    roles: dict[str, Role] = field(default_factory=dict)
    plots: dict[int, dict[int, str]] = field(default_factory=dict)
    engage: dict[int, bool] = field(default_factory=dict)
    branches: dict[int, BranchChoice] = field(default_factory=dict)
    government: dict[str, float] = field(default_factory=dict)
    decided_by: dict[str, float] = field(default_factory=dict)
    #: names that did not decide, by class year (they kept the model's rule)
    model_ruled: dict[int, list[str]] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list, repr=False)
    paused: bool = False
    ended: bool = False
    #: a year is being closed (the teacher's Next year is disabled meanwhile)
    advancing: bool = False
    deadline: float | None = None
    #: bumped by every change (a student's decision too): the teacher's page follows it
    version: int = 0
    #: bumped when the year turns, the timer pauses or the class ends: students' pages follow it
    round: int = 0
    store: ClassStore | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        params = class_params(self.scenario, self.leases)
        self.town = ClassTown(params, rng=self.seed)
        self.model_town = LandModel(params, rng=self.seed)
        for _ in range(self.warmup):
            self.town.step()
            self.model_town.step()
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        # pages that wait for a new year wait here: forty students' pages are not woken by
        # every decision of the round
        self.new_round = threading.Condition(self.lock)
        self._households = self._playable_households()
        self._joins = _JoinLimit()
        #: look-alike key of a seated name -> that name
        self._look_alike: dict[str, str] = {}
        self.started = time.time()
        self._start_round()

    # ------------------------------------------------------------------ joining
    def _playable_households(self) -> list[int]:
        """Households students get, in join order: alive, with a resident under 70 and at
        least two free plots, taken round-robin over the villages."""
        m = self.town
        pop = m.population
        head = pop.resident_head_age()
        n_v = m.params.world.n_villages
        per_v: list[list[int]] = [[] for _ in range(n_v)]
        for h in range(pop.n_households):
            if pop.hh_alive[h] and 0 < head[h] < 70 and free_plots(m, h).size >= 2:
                per_v[int(pop.hh_village[h])].append(h)
        out = []
        for i in range(max(len(x) for x in per_v)):
            out.extend(x[i] for x in per_v if i < len(x))
        return out

    def join(
        self,
        name: Any,
        wish: str = "household",
        lang: str = "en",
        browser: str | None = None,
        now: float | None = None,
    ) -> Role:
        """Join as ``name`` from ``browser`` (a browser session id), or rejoin from a browser
        the name joined from (the same role back). ``wish`` is "household", "branch" or
        "government"; a branch or the government taken by someone else gives a household
        instead. ``now`` is the monotonic clock (for tests of the rate limit).

        Raises:
            ClassError: for a name that is empty, too long, or looks like a seated name that
                joined from another browser; a browser that plays another name in this class;
                a full class; too many joins in a short time.
        """
        display = _clean_name(name)
        keys = look_alike_keys(display)
        seat = _browser_digest(browser)
        with self.lock:
            taken_name = next((self._look_alike[k] for k in keys if k in self._look_alike), None)
            mine = self.role_for_browser(browser)
            if taken_name is not None:
                role = self.roles[taken_name]
                if role is not mine:
                    raise ClassError("name_taken", name=role.name, code=self.code)
                role.lang = lang if lang in LANGS else role.lang
                self._save()
                return role
            if mine is not None:
                raise ClassError("browser_taken", name=mine.name)
            if len(self.roles) >= self.size:
                raise ClassError("full", n=self.size)
            wait = self._joins.take(time.monotonic() if now is None else now)
            if wait:
                raise ClassError("too_many_joins", s=max(1, round(wait)))
            role = self._new_role(display, wish)
            role.lang = lang if lang in LANGS else "en"
            if seat is not None:
                role.browsers.add(seat)
            self._seat(role)
            self._touch()
            return role

    def _new_role(self, display: str, wish: str) -> Role:
        taken = {(r.kind, r.index) for r in self.roles.values()}
        if wish == "government" and ("government", 0) not in taken:
            return Role(display, "government", 0)
        if wish == "branch":
            for v in range(self.town.params.world.n_villages):
                if ("branch", v) not in taken:
                    return Role(display, "branch", v)
        free = [h for h in self._households if ("household", h) not in taken]
        if not free:
            raise ClassError("no_household")
        return Role(display, "household", free[0])

    def _seat(self, role: Role) -> None:
        self.roles[role.name] = role
        for k in look_alike_keys(role.name):
            self._look_alike[k] = role.name

    def role_for_browser(self, browser: Any) -> Role | None:
        """The role that joined from ``browser`` (a browser session id), or None."""
        seat = _browser_digest(browser)
        if seat is None:
            return None
        with self.lock:
            return next((r for r in self.roles.values() if seat in r.browsers), None)

    def role_of(self, name: Any) -> Role:
        """The role of a joined ``name``.

        Raises:
            ClassError: for a name that has not joined this class.
        """
        key = _clean_name(name)
        with self.lock:
            if key in self.roles:
                return self.roles[key]
            for k in look_alike_keys(key):  # the name as another page spells it
                if k in self._look_alike:
                    return self.roles[self._look_alike[k]]
            raise ClassError("nobody", name=key, code=self.code)

    def set_lang(self, role: Role, lang: str) -> None:
        """The student of ``role`` chose ``lang`` (kept across reloads and restarts)."""
        if lang in LANGS and role.lang != lang:
            with self.lock:
                role.lang = lang
                self._save()

    def set_teacher_lang(self, lang: str) -> None:
        """The teacher chose ``lang`` for the class's pages."""
        if lang in LANGS and self.teacher_lang != lang:
            with self.lock:
                self.teacher_lang = lang
                self._touch()

    # ------------------------------------------------------------------ the teacher's controls
    def is_teacher(self, key: Any = None, browser: Any = None) -> bool:
        """Whether ``browser`` runs the class, or ``key`` is one of its teacher's keys (that
        browser then runs it too)."""
        seat = _browser_digest(browser)
        if seat is not None and seat in self.teacher_browsers:
            return True
        if not (isinstance(key, str) and key and set(key) <= _KEY_CHARS):
            return False
        given = digest(key)
        if not any(secrets.compare_digest(given, h) for h in self.key_hashes):
            return False
        if seat is not None:
            with self.lock:
                self.teacher_browsers.add(seat)
                self._save()
        return True

    def new_teacher_key(self) -> str:
        """The teacher's key for the link to another device: the one this server made, or a
        new one after a restart (the server keeps only digests; older keys stay valid)."""
        with self.lock:
            if self.teacher_key is None:
                self.teacher_key = secrets.token_urlsafe(12)
                self.key_hashes.append(digest(self.teacher_key))
                self._save()
            return self.teacher_key

    def set_size(self, size: Any) -> None:
        """Set the number of seats (not below the students seated now).

        Raises:
            ClassError: for a size that is not a whole number from the seated count (at least
                1) to :data:`MAX_STUDENTS`.
        """
        lo = max(1, len(self.roles))
        if isinstance(size, bool) or not isinstance(size, int) or not lo <= size <= MAX_STUDENTS:
            raise ClassError("size", lo=lo, hi=MAX_STUDENTS, value=size)
        with self.lock:
            self.size = size
            self._touch()

    def free_seat(self, name: Any) -> Role:
        """Free the seat of ``name``: the student's page is let go, their decision of this
        year is dropped (their household follows the model's rule), and the name may join
        again (from any browser). Returns the role that was freed.

        Raises:
            ClassError: for a name that has not joined.
        """
        with self.lock:
            role = self.role_of(name)
            del self.roles[role.name]
            self._look_alike = {k: n for k, n in self._look_alike.items() if n != role.name}
            self.decided_by.pop(role.name, None)
            if role.kind == "household":
                self.plots.pop(role.index, None)
                self.engage.pop(role.index, None)
            elif role.kind == "branch":
                self.branches.pop(role.index, None)
            else:
                self.government = {}
            self._touch(new_round=True)
            return role

    def has_decided(self, name: Any) -> bool:
        """Whether the class holds a decision of ``name`` for the year now open."""
        return _clean_name(name) in self.decided_by

    # ------------------------------------------------------------------ deciding
    def decide(self, name: Any, decision: dict[str, Any]) -> str:
        """Store the decision of student ``name`` for this year, after checking it against
        their role; returns "ok".

        ``decision`` holds, for a household, ``plots`` ({plot: choice}) and optionally
        ``engage``; for a branch, the fields of :class:`BranchChoice`; for the government, the
        levers of :data:`~landsim.decisions.GOVERNMENT_LEVERS`.

        Raises:
            ClassError: when the class has ended or the name has not joined.
            DecisionError: for a decision that breaks a rule (another's plot, an option not
                open, a lever out of range); a :class:`RuleError` for a household's plots.
        """
        with self.lock:
            if self.ended:
                raise ClassError("ended")
            if self.finished:
                raise ClassError("played")
            role = self.role_of(name)
            if not isinstance(decision, dict):
                raise RuleError("not_a_decision", why=lambda lang: t("why.plots", lang))
            m = self.town
            if role.kind == "household":
                unknown = set(decision) - {"plots", "engage"}
                if unknown:
                    raise RuleError("keys", keys=sorted(map(str, unknown))[:5])
                plots = decision.get("plots", {})
                if not isinstance(plots, dict):
                    raise RuleError("not_a_decision", why=lambda lang: t("why.plots", lang))
                self._check_household(role.index, plots)
                check_plots(m, role.index, plots)  # the model's own rules, all of them
                engage = decision.get("engage")
                if engage is not None:
                    check_engagement(m, role.index, engage)
                self.plots[role.index] = {int(k): v for k, v in plots.items()}
                if engage is not None:
                    self.engage[role.index] = bool(engage)
            elif role.kind == "branch":
                try:
                    choice = BranchChoice(**decision)
                except TypeError:
                    raise DecisionError(
                        "a branch decides found, benefit_rule, guaranteed_rent, fixed_rent "
                        f"and member_share; got {sorted(decision)}"
                    ) from None
                _as_rule_error(check_branch, m, role.index, choice)
                self.branches[role.index] = choice
            else:
                _as_rule_error(check_government, m, decision)
                self.government = {k: float(v) for k, v in decision.items()}
            self.decided_by[role.name] = time.time()
            self._touch()
            return "ok"

    def _check_household(self, h: int, plots: dict[Any, Any]) -> None:
        """The rules a household's plots break by hand, as :class:`RuleError` (the page's
        language); :func:`~landsim.decisions.check_plots` then checks everything."""
        m = self.town
        free = set(free_plots(m, h).tolist())
        allowed = options(m, h)
        kept = []
        for plot, choice in plots.items():
            if isinstance(plot, bool) or not isinstance(plot, int):
                raise RuleError("not_a_decision", why=lambda lang: t("why.plots", lang))
            if plot not in free:
                leased = 0 <= plot < m.plots.n and m.plots.holder[plot] == h
                raise RuleError("plot_leased" if leased else "not_your_plot", plot=plot)
            if isinstance(choice, str) and choice in ("keep", "lease", "coop", "custody"):
                if choice not in allowed:
                    raise RuleError(
                        "not_open", plot=plot, choice=lambda lang, c=choice: t(f"choice.{c}", lang)
                    )
                if choice == "keep":
                    kept.append(plot)
        if kept:
            need = field_days_needed(m, np.array(kept))
            have = float(m.field_days()[h])
            if need > have + 1e-9:
                raise RuleError("too_many_kept", have=have, n=len(kept), need=need)

    def decisions(self) -> Decisions:
        """This year's stored decisions, with students' names for the log."""
        return Decisions(
            plots=dict(self.plots),
            engage=dict(self.engage),
            branches=dict(self.branches),
            government=dict(self.government),
            who={(r.kind, r.index): r.name for r in self.roles.values()},
        )

    # ------------------------------------------------------------------ the year
    @property
    def year(self) -> int:
        """The class's years played so far (0 before the first round closes)."""
        return self.town.year - self.warmup

    @property
    def finished(self) -> bool:
        """All years played."""
        return self.year >= self.years

    def advance(self, expected_year: int) -> bool:
        """Close year ``expected_year``: the class's town steps with this year's decisions,
        the model's own town steps alone; students who did not decide are recorded as
        following the model. A year that is not open any more (a second click, a second
        teacher page, the timer and the teacher at once) is left alone: returns False.

        Raises:
            ClassError: when the class has ended or played all its years.
        """
        with self.lock:
            if self.year != expected_year or self.advancing:
                return False
            if self.ended or self.finished:
                raise ClassError("played")
            self.advancing = True
            try:
                undecided = sorted(set(self.roles) - set(self.decided_by))
                decisions = self.decisions()
                self.town.step(decisions=decisions)
                self.model_town.step()
                self.history.append(_entry(decisions))
                self.model_ruled[self.year] = undecided
                self.plots, self.engage, self.branches, self.government = {}, {}, {}, {}
                self.decided_by = {}
                self._start_round()
            finally:
                self.advancing = False
            self._touch(new_round=True)
            return True

    def set_paused(self, paused: bool) -> None:
        """Pause or resume the round timer."""
        with self.lock:
            self.paused = bool(paused)
            self.deadline = None if paused else self._deadline()
            self._touch(new_round=True)

    def end(self) -> None:
        """End the class: no more decisions; the debrief is shown."""
        with self.lock:
            self.ended = True
            self.deadline = None
            self._touch(new_round=True)

    def _deadline(self) -> float | None:
        return time.time() + self.seconds_per_round if self.seconds_per_round > 0 else None

    def _start_round(self) -> None:
        self.deadline = None if self.paused or self.finished else self._deadline()

    def _touch(self, new_round: bool = False) -> None:
        self.version += 1
        self.round += new_round
        self.changed.notify_all()
        if new_round:
            self.new_round.notify_all()
        self._save()

    def _save(self) -> None:
        if self.store is not None:
            self.store.changed(self.code, self.document)

    def wait(self, seen: int, timeout: float | None, counter: str = "version") -> int:
        """Block until ``counter`` ("version" or "round") moves past ``seen``, or ``timeout``
        seconds pass (None: no limit; :meth:`wake` ends the wait too); returns its value."""
        cond = self.new_round if counter == "round" else self.changed
        with cond:
            cond.wait_for(lambda: getattr(self, counter) != seen, timeout=timeout)
            return getattr(self, counter)

    def wake(self) -> None:
        """Wake every page waiting on this class (a page that closes lets its watcher go)."""
        with self.lock:
            self.changed.notify_all()
            self.new_round.notify_all()

    # ------------------------------------------------------------------ what people see
    def status(self) -> dict[str, Any]:
        """Who joined as what and who has decided this year (for the teacher)."""
        with self.lock:
            return {
                "year": self.year,
                "years": self.years,
                "students": [
                    {
                        "name": r.name,
                        "kind": r.kind,
                        "index": r.index,
                        "decided": r.name in self.decided_by,
                    }
                    for r in sorted(self.roles.values(), key=lambda r: r.name.lower())
                ],
            }

    # ------------------------------------------------------------------ kept between restarts
    def document(self) -> dict[str, Any]:
        """What :mod:`~landsim.app.classroom.store` keeps of the class (no secret: digests)."""
        with self.lock:
            return {
                "format": 1,
                "code": self.code,
                "scenario": self.scenario,
                "years": self.years,
                "seconds_per_round": self.seconds_per_round,
                "seed": self.seed,
                "size": self.size,
                "leases": self.leases,
                "warmup": self.warmup,
                "key_hashes": list(self.key_hashes),
                "teacher_browsers": sorted(self.teacher_browsers),
                "teacher_lang": self.teacher_lang,
                "roles": [
                    {**asdict(r), "browsers": sorted(r.browsers)} for r in self.roles.values()
                ],
                "history": list(self.history),
                "open": {
                    **_entry(self.decisions()),
                    "decided_by": dict(self.decided_by),
                },
                "model_ruled": {str(k): v for k, v in self.model_ruled.items()},
                "paused": self.paused,
                "ended": self.ended,
                "started": self.started,
            }


def _as_rule_error(check, *args) -> None:
    """Run a check of :mod:`landsim.decisions`; its refusal as a :class:`RuleError` (the rule
    in English, a sentence in Chinese)."""
    try:
        check(*args)
    except DecisionError as exc:
        raise RuleError("lever", detail=str(exc)) from None


def _entry(d: Decisions) -> dict[str, Any]:
    """A year's decisions as JSON (what the store keeps)."""
    return {
        "plots": {str(h): {str(p): c for p, c in v.items()} for h, v in d.plots.items()},
        "engage": {str(h): bool(on) for h, on in d.engage.items()},
        "branches": {str(v): asdict(b) for v, b in d.branches.items()},
        "government": {k: float(v) for k, v in d.government.items()},
        "who": [[k, int(i), str(n)] for (k, i), n in d.who.items()],
    }
