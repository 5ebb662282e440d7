"""One class playing one shared town, and the registry of classes on this server.

Parts:

* :class:`ClassTown` — the class's model; it also keeps each household's income by source of
  the year just closed (what a student sees);
* :class:`Role` — what a joined student plays: a household, a village's Party branch, or the
  town government;
* :class:`Classroom` — one class: its town, the same town run by the model's own rule with the
  same seed (for the debrief), who joined as what, this year's decisions, and the year's clock;
* :class:`Registry` — classes by code, behind one lock; nothing else holds a class, so one
  class never sees another and a plain app tab sees none.

Every decision goes through :mod:`landsim.decisions`' checks before it is stored; a student
acts only on their own role (the role is looked up on the server from the browser the student
joined from, never taken from a message). Only the teacher controls a class: the browser that
started it, or one holding its key, closes years (each close names the year it closes, so a
double click or a second teacher page closes one year), sets the class size and frees seats.
Joins are rate-limited per class (:data:`JOIN_BURST`, :data:`JOIN_RATE`); names are
normalised and a name that looks like a seated one is refused
(:mod:`~landsim.app.classroom.names`). Exported CSV tables cannot carry a spreadsheet
formula (:func:`neutralise_formulas`). Nothing here imports solara: the pages
(:mod:`landsim.app.classroom.pages`), tests and the load benchmark drive these objects.
"""

from __future__ import annotations

import io
import json
import secrets
import threading
import time
import zipfile
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from landsim.app.classroom.names import NameError_, look_alike_keys, normalise
from landsim.app.classroom.text import t
from landsim.app.session import load_params, scenario_names
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
from landsim.params import Params
from landsim.world import OWN

__all__ = [
    "ClassTown",
    "Role",
    "Classroom",
    "Registry",
    "REGISTRY",
    "ClassError",
    "CODE_ALPHABET",
    "DEBRIEF_METRICS",
    "MAX_STUDENTS",
    "CLASS_SIZE",
    "JOIN_BURST",
    "JOIN_RATE",
    "neutralise_formulas",
]

#: class codes use letters and digits nobody confuses when read off a projector
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 5
#: the largest class a teacher may set, and the size of a new class unless the teacher says
MAX_STUDENTS = 200
CLASS_SIZE = 40
MAX_CLASSES = 50
#: joins a class takes at once (a class of forty joining in the same minute from one school
#: address), then :data:`JOIN_RATE` more per second
JOIN_BURST = 50
JOIN_RATE = 0.5
#: a teacher's key: what ``secrets.token_urlsafe(12)`` makes (anything else is refused unread)
_KEY_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
#: outcomes compared in the debrief (column of LandModel.outcomes())
DEBRIEF_METRICS = (
    "abandonment_rate",
    "household_income_mean",
    "household_income_65plus",
    "participation_rate",
    "coop_land_share",
    "collective_income_mean",
)
#: income sources a household sees, from the ledger's flow kinds
INCOME_SOURCES = (
    "crop_sales",
    "input_costs",
    "rent",
    "custody_fee",
    "remittance",
    "pension",
    "local_wage",
    "coop_wage",
    "coop_base",
    "coop_bonus",
)


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


class ClassTown(LandModel):
    """The class's model: a :class:`LandModel` that also keeps, for the year just closed,
    each household's money by source (what its student sees after the year)."""

    def __init__(self, params: Params | None = None, **kwargs: Any) -> None:
        """Build the town like :class:`LandModel`."""
        self.income_by_source: dict[int, dict[str, float]] = {}
        super().__init__(params, **kwargs)

    def observe(self) -> None:
        """Keep this year's income by source of every household, then observe as usual."""
        e = self.ledger.entries()
        n = self.population.n_households
        e = e[e["kind"].isin(INCOME_SOURCES)]
        into = e[e["payee"] < n].groupby(["payee", "kind"], observed=True)["amount"].sum()
        out = e[e["payer"] < n].groupby(["payer", "kind"], observed=True)["amount"].sum()
        net: dict[int, dict[str, float]] = {}
        for (h, kind), amount in into.items():
            net.setdefault(int(h), {})[str(kind)] = float(amount)
        for (h, kind), amount in out.items():
            row = net.setdefault(int(h), {})
            row[str(kind)] = row.get(str(kind), 0.0) - float(amount)
        self.income_by_source = net
        super().observe()


@dataclass
class Role:
    """What one student plays.

    Attributes:
        name: the name the student joined with (their key, with the class code).
        kind: "household", "branch" or "government".
        index: household index, village index, or 0 for the government.
        lang: the language the student chose ("en" or "zh").
        browsers: the browser sessions (Solara's HttpOnly session cookie) the student joined
            from: the student's seat. A page comes back to the role only from one of these
            browsers, so a classmate who types the name (it is on the projected dashboard)
            cannot take over the household, while the student can rejoin by name and code.
            A student on a new device asks the teacher to free the seat, then joins again.
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


def _same_text(a: str, b: str) -> bool:
    """Constant-time comparison of two texts of any characters (``secrets.compare_digest``
    takes only ASCII text)."""
    return secrets.compare_digest(
        a.encode("utf-8", "surrogatepass"), b.encode("utf-8", "surrogatepass")
    )


def neutralise_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with every text cell that a spreadsheet would read as a formula (starting with
    ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) prefixed with ``'``, which makes
    it text; plain numbers written as text ("-1,234") are left as they are."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(_neutral)
    return out


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _neutral(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _plain_number(value):
        return "'" + value
    return value


def _plain_number(text: str) -> bool:
    body = text[1:] if text[:1] in "+-" else text
    return bool(body) and body.replace(",", "").replace(".", "", 1).isdigit()


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
        teacher_key: the teacher's secret: a browser that holds it (or started the class)
            runs the class; it never appears in a page's address (see
            :mod:`landsim.app.server`).
        scenario: the scenario file's stem.
        years: years the class plays.
        seconds_per_round: the round timer (0: the teacher advances by hand).
        seed: the town's seed (the model's own run uses the same).
        size: seats of the class (the teacher sets it; at most :data:`MAX_STUDENTS`).
        teacher_browsers: the browser sessions that run the class.
    """

    code: str
    teacher_key: str = field(repr=False)
    scenario: str
    years: int
    seconds_per_round: int
    seed: int
    size: int = CLASS_SIZE
    teacher_browsers: set[str] = field(default_factory=set, repr=False)
    town: ClassTown = field(init=False)
    model_town: LandModel = field(init=False)
    roles: dict[str, Role] = field(default_factory=dict)
    plots: dict[int, dict[int, str]] = field(default_factory=dict)
    engage: dict[int, bool] = field(default_factory=dict)
    branches: dict[int, BranchChoice] = field(default_factory=dict)
    government: dict[str, float] = field(default_factory=dict)
    decided_by: dict[str, float] = field(default_factory=dict)
    #: names that did not decide, by year (they kept the model's rule)
    model_ruled: dict[int, list[str]] = field(default_factory=dict)
    paused: bool = False
    ended: bool = False
    #: a year is being closed (the teacher's Next year is disabled meanwhile)
    advancing: bool = False
    deadline: float | None = None
    #: bumped by every change (a student's decision too): the teacher's page follows it
    version: int = 0
    #: bumped when the year turns, the timer pauses or the class ends: students' pages follow it
    round: int = 0

    def __post_init__(self) -> None:
        params, _, found = load_params(self.scenario)
        if not found:
            raise ClassError("scenario", name=self.scenario)
        self.town = ClassTown(params, rng=self.seed)
        self.model_town = LandModel(params, rng=self.seed)
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
        browser = browser if isinstance(browser, str) and browser else None
        with self.lock:
            taken_name = next((self._look_alike[k] for k in keys if k in self._look_alike), None)
            mine = self.role_for_browser(browser)
            if taken_name is not None:
                role = self.roles[taken_name]
                if role is not mine:
                    raise ClassError("name_taken", name=role.name, code=self.code)
                role.lang = lang if lang in ("en", "zh") else role.lang
                return role
            if mine is not None:
                raise ClassError("browser_taken", name=mine.name)
            if len(self.roles) >= self.size:
                raise ClassError("full", n=self.size)
            wait = self._joins.take(time.monotonic() if now is None else now)
            if wait:
                raise ClassError("too_many_joins", s=max(1, round(wait)))
            taken = {(r.kind, r.index) for r in self.roles.values()}
            role = None
            if wish == "government" and ("government", 0) not in taken:
                role = Role(display, "government", 0)
            elif wish == "branch":
                for v in range(self.town.params.world.n_villages):
                    if ("branch", v) not in taken:
                        role = Role(display, "branch", v)
                        break
            if role is None:
                free = [h for h in self._households if ("household", h) not in taken]
                if not free:
                    raise ClassError("no_household")
                role = Role(display, "household", free[0])
            role.lang = lang if lang in ("en", "zh") else "en"
            if browser is not None:
                role.browsers.add(browser)
            self.roles[display] = role
            for k in keys:
                self._look_alike[k] = display
            self._touch()
            return role

    def role_for_browser(self, browser: Any) -> Role | None:
        """The role that joined from ``browser`` (a browser session id), or None."""
        if not isinstance(browser, str) or not browser:
            return None
        with self.lock:
            return next((r for r in self.roles.values() if browser in r.browsers), None)

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

    # ------------------------------------------------------------------ the teacher's controls
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
                open, a lever out of range).
        """
        with self.lock:
            if self.ended:
                raise ClassError("ended")
            role = self.role_of(name)
            if not isinstance(decision, dict):
                raise DecisionError("a decision must be a mapping")
            m = self.town
            if role.kind == "household":
                unknown = set(decision) - {"plots", "engage"}
                if unknown:
                    raise DecisionError(f"a household decides plots and engage, not {unknown}")
                plots = decision.get("plots", {})
                if not isinstance(plots, dict):
                    raise DecisionError("plots must map plot numbers to choices")
                check_plots(m, role.index, plots)
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
                check_branch(m, role.index, choice)
                self.branches[role.index] = choice
            else:
                check_government(m, decision)
                self.government = {k: float(v) for k, v in decision.items()}
            self.decided_by[role.name] = time.time()
            self._touch()
            return "ok"

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
        """Years played so far."""
        return self.town.year

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
                self.model_ruled[self.year + 1] = undecided
                self.town.step(decisions=self.decisions())
                self.model_town.step()
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

    def wait(self, seen: int, timeout: float, counter: str = "version") -> int:
        """Block until ``counter`` ("version" or "round") moves past ``seen``, or ``timeout``
        seconds pass; returns its current value."""
        cond = self.new_round if counter == "round" else self.changed
        with cond:
            cond.wait_for(lambda: getattr(self, counter) != seen, timeout=timeout)
            return getattr(self, counter)

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

    def household_view(self, household: int) -> dict[str, Any]:
        """What a household knows: members and ages, field days, its plots, last year's
        income by source, and this year's offers."""
        m = self.town
        with self.lock:
            pop, p, a = m.population, m.plots, m.params.assumptions
            h = household
            v = int(pop.hh_village[h])
            sel = (pop.m_hh == h) & pop.m_alive
            members = [
                {"age": int(age), "away": bool(away)}
                for age, away in zip(pop.m_age[sel], pop.m_away[sel], strict=True)
            ]
            free = set(free_plots(m, h).tolist())
            mine = np.flatnonzero(p.holder == h)
            plots = [
                {
                    "plot": int(i),
                    "row": int(p.row[i]),
                    "col": int(p.col[i]),
                    "hilly": bool(p.hilly[i]),
                    "quality": round(float(p.quality[i]), 2),
                    "kind": int(p.kind[i]),
                    "free": int(i) in free,
                    "lease_end": int(p.lease_end[i]) if int(i) not in free else None,
                }
                for i in mine
            ]
            coop = m.coops.get(v)
            offers = {
                "rent_flat": float(m.villages.lease_return[v, 0]),
                "rent_hilly": float(m.villages.lease_return[v, 1]),
                "coop": None,
                "custody_price": float(m.firm.price) if m.firm.open else None,
            }
            if coop is not None and coop.active:
                offers["coop"] = {
                    "rule": coop.rule.name,
                    "base": float(coop.base_rate),
                    "bonus": float(coop.expected_bonus),
                }
            days = float(m.field_days()[h])
            # the page's starting choice: keep what it farmed while its field days last
            left = days
            for plot in plots:
                if plot["free"]:
                    cost = field_days_needed(m, np.array([plot["plot"]]))
                    keep = plot["kind"] == OWN and cost <= left
                    left -= cost if keep else 0.0
                    plot["default"] = "keep" if keep else "lease"
            need = a.labour_days_flat * m.params.world.plot_size_mu
            return {
                "household": h,
                "village": v,
                "alive": bool(pop.hh_alive[h]),
                "members": members,
                "field_days": max(days, 0.0),
                "plots_you_can_farm": int(max(days, 0.0) // need) if need else 0,
                "plots": plots,
                "income": dict(m.income_by_source.get(h, {})),
                "income_total": float(pop.income[h]) if m.year else 0.0,
                "offers": offers,
                "options": list(options(m, h)),
                "member": bool(m.member_mask()[h]),
                "engaged": bool(self.engage.get(h, pop.engaged[h])),
                "decision": dict(self.plots.get(h, {})),
            }

    def branch_view(self, village: int) -> dict[str, Any]:
        """What a branch secretary knows: the village's co-op (if any) and the town's terms."""
        m = self.town
        with self.lock:
            coop = m.coops.get(village)
            lv = (coop.terms if coop is not None and coop.terms else None) or m.params.levers
            out = {
                "village": village,
                "coop": None,
                "benefit_rule": lv.benefit_rule,
                "guaranteed_rent": lv.guaranteed_rent,
                "fixed_rent": lv.fixed_rent,
                "member_share": lv.member_share,
                "decision": self.branches.get(village),
            }
            if coop is not None:
                out["coop"] = {
                    "status": coop.status,
                    "area": float(coop.area),
                    "members": int(coop.members),
                    "profit": float(coop.profit),
                    "rule": coop.rule.name,
                }
            return out

    def government_view(self) -> dict[str, Any]:
        """What the town government knows: its levers and the town's outcomes."""
        lv = self.town.params.levers
        return {
            "subsidy_per_mu": lv.subsidy_per_mu,
            "subsidy_years": lv.subsidy_years,
            "audit_rate": lv.audit_rate,
            "decision": dict(self.government),
        }

    # ------------------------------------------------------------------ debrief and export
    def debrief(self) -> pd.DataFrame:
        """The class's town against the model's own run, last year, one row per outcome."""
        with self.lock:
            a, b = self.town.outcomes(), self.model_town.outcomes()
        if a.empty:
            return pd.DataFrame(columns=["outcome", "class", "model"])
        rows = [
            {"outcome": k, "class": float(a[k].iloc[-1]), "model": float(b[k].iloc[-1])}
            for k in DEBRIEF_METRICS
        ]
        return pd.DataFrame(rows)

    def role_results(self) -> pd.DataFrame:
        """Each student's result: a household's income in the class's town and in the
        model's; a branch's co-op; the government's levers."""
        rows = []
        with self.lock:
            t, mt = self.town, self.model_town
            for r in sorted(self.roles.values(), key=lambda r: r.name.lower()):
                ruled = sum(r.name in names for names in self.model_ruled.values())
                row = {
                    "name": r.name,
                    "role": r.kind,
                    "index": r.index,
                    "class": "",
                    "model": "",
                    "model_rule_years": ruled,
                }
                if r.kind == "household":
                    row["class"] = f"{float(t.population.income[r.index]):,.0f}"
                    row["model"] = f"{float(mt.population.income[r.index]):,.0f}"
                elif r.kind == "branch":
                    for key, town in (("class", t), ("model", mt)):
                        c = town.coops.get(r.index)
                        row[key] = f"{c.area:.0f} mu, {c.members}" if c else "-"
                else:
                    lv = t.params.levers
                    row["class"] = f"{lv.subsidy_per_mu:.0f}/{lv.subsidy_years}/{lv.audit_rate}"
                    lv = mt.params.levers
                    row["model"] = f"{lv.subsidy_per_mu:.0f}/{lv.subsidy_years}/{lv.audit_rate}"
                rows.append(row)
        cols = ["name", "role", "index", "class", "model", "model_rule_years"]
        return pd.DataFrame(rows, columns=cols)

    def export_zip(self) -> bytes:
        """The class's results as a zip: both towns' outcomes (CSV and Parquet), the decision
        log, each role's result, and provenance (JSON)."""
        from landsim.provenance import environment, now

        with self.lock:
            tables = {
                "outcomes_class": self.town.outcomes(),
                "outcomes_model": self.model_town.outcomes(),
                "decisions": self.town.decision_log(),
                "roles": self.role_results(),
            }
            provenance = {
                "created": now(),
                "class_code": self.code,
                "scenario": self.scenario,
                "seed": self.seed,
                "years_played": self.year,
                "model_ruled": {str(k): v for k, v in self.model_ruled.items()},
                "params": self.town.params.model_dump(mode="json"),
                "environment": environment(),
            }
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for name, df in tables.items():
                # a name or a logged value starting with "=" must not run in a spreadsheet
                z.writestr(f"{name}.csv", neutralise_formulas(df).to_csv(index=False))
                pq = io.BytesIO()
                df.to_parquet(pq, index=False)
                z.writestr(f"{name}.parquet", pq.getvalue())
            z.writestr("provenance.json", json.dumps(provenance, indent=2, default=str))
        return buf.getvalue()


class Registry:
    """The classes on this server, by code, behind one lock."""

    def __init__(self) -> None:
        self._classes: dict[str, Classroom] = {}
        self._lock = threading.Lock()

    def start(
        self,
        scenario: str,
        years: int,
        seconds_per_round: int,
        seed: int = 1,
        size: int = CLASS_SIZE,
        browser: str | None = None,
    ) -> Classroom:
        """Start a class of ``size`` seats on a bundled scenario (names from the app's
        scenario list only), run from ``browser`` (the teacher's browser session).

        Raises:
            ClassError: for an unknown scenario, years, seconds or size out of range, too many
                classes.
        """
        if not isinstance(scenario, str) or scenario not in scenario_names():
            raise ClassError("scenario", name=str(scenario)[:60])
        for label, value, lo, hi in (
            ("years", years, 1, 30),
            ("seconds", seconds_per_round, 0, 3600),
            ("seed", seed, 0, 2**31 - 1),
            ("class_size", size, 1, MAX_STUDENTS),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
                raise ClassError("range", what=label, lo=lo, hi=hi, value=str(value)[:40])
        with self._lock:
            if len(self._classes) >= MAX_CLASSES:
                self._cull()
            if len(self._classes) >= MAX_CLASSES:
                raise ClassError("too_many_classes")
            code = _new_code(set(self._classes))
            room = Classroom(
                code, secrets.token_urlsafe(12), scenario, years, seconds_per_round, seed, size
            )
            if isinstance(browser, str) and browser:
                room.teacher_browsers.add(browser)
            self._classes[code] = room
            return room

    def get(self, code: Any) -> Classroom:
        """The class of ``code`` (case and spaces ignored).

        Raises:
            ClassError: for an unknown code.
        """
        key = "".join(code.split()).upper()[:20] if isinstance(code, str) else ""
        with self._lock:
            room = self._classes.get(key)
        if room is None:
            raise ClassError("no_class", code=key or str(code)[:20])
        return room

    def teacher(self, code: Any, key: Any = None, browser: Any = None) -> Classroom:
        """The class of ``code`` if ``browser`` runs it, or if ``key`` is its teacher's key
        (that browser then runs it too).

        Raises:
            ClassError: for an unknown code, or neither a teacher's browser nor the key.
        """
        room = self.get(code)
        browser = browser if isinstance(browser, str) and browser else None
        if browser is not None and browser in room.teacher_browsers:
            return room
        if not (
            isinstance(key, str) and set(key) <= _KEY_CHARS and _same_text(key, room.teacher_key)
        ):
            raise ClassError("not_teacher")
        if browser is not None:
            with room.lock:
                room.teacher_browsers.add(browser)
        return room

    def _cull(self) -> None:
        """Forget ended classes (their results were downloadable while they were shown)."""
        for code in [c for c, r in self._classes.items() if r.ended]:
            del self._classes[code]


#: the server's classes (one per process)
REGISTRY = Registry()
