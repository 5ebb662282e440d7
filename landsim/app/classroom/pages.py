"""The classroom's pages and the routes ``landsim app --classroom`` serves.

* ``/`` — the plain app (its own town per tab; it never sees a class);
* ``/teacher`` — start a class; then, at ``/teacher?code=...``, the class: code, join
  address and QR code in large type, the town map with the students' households outlined, who
  has decided, the charts, Next year / timer / Pause / End, the class size and freeing a
  seat, and the debrief. The page runs the class for the browser that started it, or one that
  opened the teacher's link (``?key=``, which the server turns into an HttpOnly cookie and
  removes from the address: :mod:`landsim.app.server`); no secret is ever in the address of
  a page that may be projected;
* ``/join`` — a student types the class code and their name (and picks a role and a language);
  the page then lives at ``/join?code=...``. The student's seat is the browser they joined
  from (Solara's HttpOnly session cookie): a reload, or typing name and code again there,
  gives the same role; a classmate who types the name (it is on the projected dashboard) is
  refused instead of taking the role over.

Pages hold no class state: every click goes to the class in
:data:`~landsim.app.classroom.room.REGISTRY`, which checks it. A household's plot choices stay
in the browser until Send (:class:`HouseholdForm`), and a decision is answered on its own
widget, not by re-rendering the page: forty pages share one server interpreter. A page
follows its class from a background task that waits on the class's condition variable
(students on the round counter, so forty decisions do not redraw forty pages forty times).
"""

from __future__ import annotations

import html
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, quote, unquote

import ipyvuetify
import numpy as np
import solara
import solara.lab
import traitlets

from landsim.app.app import Page as AppPage
from landsim.app.app import RefusalNotice
from landsim.app.charts import CHARTS, RUN_COLOURS, chart_svg
from landsim.app.classroom.qr import outlined_map_png, qr_svg
from landsim.app.classroom.room import CLASS_SIZE, REGISTRY, ClassError, Classroom, Role
from landsim.app.classroom.text import t
from landsim.app.i18n import LANGUAGES, scenario_label
from landsim.app.session import scenario_titles
from landsim.app.views import CSS, legend_html
from landsim.decisions import BRANCH_LEVERS, GOVERNMENT_LEVERS, DecisionError
from landsim.params import SHARING_RULES

__all__ = ["routes", "TeacherPage", "StudentPage", "JOIN_URL_ENV"]

LOG = logging.getLogger("landsim.app")
#: environment variable with the address students open (set by ``landsim app --classroom``)
JOIN_URL_ENV = "LANDSIM_CLASSROOM_URL"
#: how often a waiting page wakes up to redraw the round timer (seconds)
TICK = 1.0
#: shortest time between two redraws of the teacher's page while answers arrive (seconds)
TEACHER_REDRAW = 0.3

CLASS_CSS = """
.landsim-code { font-size: 72px; font-weight: 700; letter-spacing: 8px; line-height: 1; }
.landsim-join-url { font-size: 28px; font-weight: 600; word-break: break-all; }
.landsim-qr svg { width: 180px; height: 180px; }
.landsim-students { font-size: 14px; columns: 3; }
.landsim-student-done { color: #1b5e20; }
.landsim-student-waiting { color: #9e9e9e; }
.landsim-table td, .landsim-table th { padding: 2px 10px; text-align: right; }
.landsim-table td:first-child, .landsim-table th:first-child { text-align: left; }
.landsim-plot-row { display: flex; gap: 4px 10px; align-items: center; flex-wrap: wrap;
  margin-bottom: 10px; }
.landsim-section { font-weight: 600; margin-top: 12px; }
.landsim-send { margin-top: 8px; }
.landsim-toggle { display: inline-flex; border: 1px solid rgba(0,0,0,.2); border-radius: 4px;
  overflow: hidden; }
.landsim-toggle button { padding: 6px 12px; font-size: 13px; font-weight: 500;
  letter-spacing: .05em; text-transform: uppercase; color: rgba(0,0,0,.6); background: #fff;
  border-left: 1px solid rgba(0,0,0,.2); }
.landsim-toggle button:first-child { border-left: none; }
.landsim-toggle button:hover { background: #f5f5f5; }
.landsim-toggle button.landsim-on { background: #c8e6c9; color: rgba(0,0,0,.87); }
.landsim-engage { display: block; margin: 4px 0 8px; cursor: pointer; }
.landsim-engage input { margin-right: 6px; }
button.landsim-submit { background: #1976d2; color: #fff; padding: 8px 18px; border-radius: 4px;
  font-size: 14px; font-weight: 500; letter-spacing: .08em; text-transform: uppercase;
  box-shadow: 0 2px 3px rgba(0,0,0,.25); margin: 4px 0; }
button.landsim-submit:hover { background: #1565c0; }
.landsim-ack { color: #1b5e20; font-weight: 600; }
img.landsim-student-map, img.landsim-class-map, img.landsim-debrief-map { width: 100%;
  max-width: 720px; }
.landsim-reject { color: #b71c1c; font-weight: 600; }
"""


def _browser() -> str | None:
    """This browser's Solara session id (a cookie the server set; it lasts across reloads and
    tabs of the same browser), or None outside a served page."""
    try:
        return solara.get_session_id()
    except Exception:  # noqa: BLE001 - no kernel context (a page rendered in a test)
        return None


def _query() -> dict[str, str]:
    router = solara.use_router()
    return {k: v[0][:200] for k, v in parse_qs(router.search or "").items()}


def _teacher_key(code: str) -> str | None:
    """The teacher's key of class ``code`` from its HttpOnly cookie, if this browser has it."""
    from landsim.app.server import teacher_cookie

    try:
        cookies = solara.lab.cookies.value or {}
    except Exception:  # noqa: BLE001 - no kernel context (a page rendered in a test)
        return None
    value = cookies.get(teacher_cookie(code)) if code.isalnum() else None
    return unquote(value) if isinstance(value, str) else None


def _follow(room: Classroom | None, counter: str, teacher: bool = False) -> int:
    """Redraw when ``room``'s ``counter`` moves (and each second for the timer); on the
    teacher's page, also close the round when its timer runs out."""
    seen = solara.use_reactive(0)
    tick = solara.use_reactive(0)

    def watch():
        if room is None:
            return
        value = getattr(room, counter)
        while task.is_current():
            value = room.wait(value, TICK, counter)
            seen.value = value
            if room.deadline is not None:
                tick.value = int(time.time())
            year, deadline = room.year, room.deadline
            if teacher and deadline is not None and time.time() >= deadline:
                try:
                    room.advance(year)  # a year closed meanwhile is not closed again
                except ClassError:
                    pass
            if teacher:  # a rate limit: forty answers in a second redraw the list a few times
                time.sleep(TEACHER_REDRAW)

    task = solara.lab.use_task(watch, dependencies=[room], prefer_threaded=True)
    return seen.value + tick.value


def _lang_switch(lang: solara.Reactive[str]) -> None:
    for code, label in LANGUAGES.items():
        solara.Button(
            label,
            on_click=lambda code=code: lang.set(code),
            text=code != lang.value,
            outlined=code == lang.value,
            classes=[f"landsim-lang-{code}"],
            dark=True,
        )


def _html(text: str, cls: str, tag: str = "div") -> None:
    solara.HTML(tag=tag, unsafe_innerHTML=html.escape(text), classes=[cls])


def _role_label(role: Role, lang: str) -> str:
    return t(f"role.{role.kind}", lang, index=role.index)


def _table(header: list[str], rows: list[list[str]], cls: str) -> None:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows
    )
    solara.HTML(
        tag="table",
        unsafe_innerHTML=f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody>",
        classes=["landsim-table", cls],
    )


def _fmt(key: str, value: float) -> str:
    if value != value:  # NaN: a money flow before the first season
        return "–"
    if key.endswith(("_rate", "_share")):
        return f"{value:.1%}"
    return f"{value:,.0f}"


# ---------------------------------------------------------------------- teacher
@solara.component
def TeacherPage():
    """Start a class, then run it (see the module docstring)."""
    lang = solara.use_reactive("en")
    query = _query()
    room, problem = None, None
    if "code" in query:
        try:
            code = query["code"].upper()
            room = REGISTRY.teacher(code, _teacher_key(code), _browser())
        except ClassError as exc:
            problem = exc.text(lang.value)
    solara.Style(CSS + CLASS_CSS)
    solara.Title(t("title", lang.value))
    with solara.AppBar():
        solara.AppBarTitle(t("title", lang.value))
        _lang_switch(lang)
    RefusalNotice(lang.value)
    if problem:
        solara.Error(problem, classes=["landsim-error"])
    if room is None:
        StartForm(lang.value)
    else:
        ClassDashboard(room, lang.value)


@solara.component
def StartForm(lang: str):
    """Scenario, years and seconds per round; Start creates the class."""
    router = solara.use_router()
    titles = solara.use_memo(scenario_titles, [])
    scenario = solara.use_reactive(
        "coop_guaranteed_dividend"
        if "coop_guaranteed_dividend" in titles
        else next(iter(titles), "baseline")
    )
    years = solara.use_reactive(5)
    seconds = solara.use_reactive(0)
    size = solara.use_reactive(CLASS_SIZE)
    error = solara.use_reactive(None)

    def start():
        try:
            room = REGISTRY.start(
                scenario.value,
                years.value,
                seconds.value,
                size=size.value,
                browser=_browser(),
            )
        except ClassError as exc:
            error.value = exc.text(lang)
            return
        # no key in the address: this browser runs the class (its session cookie)
        router.push(f"/teacher?code={room.code}")

    with solara.Card(t("start_class", lang), style={"max-width": "640px"}):
        items = [{"text": scenario_label(n, lang, x), "value": n} for n, x in titles.items()]
        solara.v.Select(
            label=t("scenario", lang),
            items=items,
            v_model=scenario.value,
            on_v_model=scenario.set,
            class_="landsim-class-scenario",
        )
        solara.InputInt(t("years", lang), value=years, classes=["landsim-class-years"])
        solara.InputInt(t("seconds", lang), value=seconds, classes=["landsim-class-seconds"])
        solara.InputInt(t("class_size", lang), value=size, classes=["landsim-class-size"])
        solara.Button(
            t("start", lang), on_click=start, color="primary", classes=["landsim-start-class"]
        )
        if error.value:
            solara.Error(error.value)


def _join_url(code: str) -> str:
    base = os.environ.get(JOIN_URL_ENV) or "http://127.0.0.1:8765/join"
    return f"{base}?code={code}"


@solara.component
def ClassDashboard(room: Classroom, lang: str):
    """The running class on the teacher's screen."""
    _follow(room, "version", teacher=True)
    error = solara.use_reactive(None)
    notice = solara.use_reactive(None)
    #: the year this page is closing (None: none); Next year stays disabled meanwhile
    closing = solara.use_reactive(None)
    status = room.status()
    year = status["year"]

    def guarded(action):
        def run():
            try:
                action()
                error.value = None
            except (ClassError, DecisionError) as exc:
                error.value = exc.text(lang) if isinstance(exc, ClassError) else str(exc)

        return run

    def close_year():
        """Runs after the page showed Next year disabled: close the year this page showed."""
        expected = closing.value
        if expected is None:
            return

        def work():
            try:
                room.advance(expected)  # a second click or a second teacher page: no-op
                error.value = None
            except ClassError as exc:
                error.value = exc.text(lang)
            finally:
                closing.value = None

        threading.Thread(target=work, name="landsim-next-year", daemon=True).start()

    solara.use_effect(close_year, [closing.value])

    with solara.Columns([2, 3]):
        with solara.Column():
            _html(t("class_code", lang), "landsim-code-label")
            _html(room.code, "landsim-code")
            _html(t("join_at", lang), "landsim-code-label")
            url = _join_url(room.code)
            _html(url, "landsim-join-url")
            svg = solara.use_memo(lambda: qr_svg(url), [url])
            solara.HTML(tag="div", unsafe_innerHTML=svg, classes=["landsim-qr"])
            _html(t("teacher_link", lang), "landsim-note")
            TeacherLink(room, lang)
        with solara.Column():
            _html(t("year", lang, year=year, years=room.years), "landsim-year")
            if room.deadline is not None:
                left = max(0, int(room.deadline - time.time()))
                _html(t("seconds_left", lang, s=left), "landsim-timer")
            busy = closing.value is not None or room.advancing
            with solara.Row():
                solara.Button(
                    t("closing_year", lang) if busy else t("next_year", lang),
                    on_click=lambda: closing.set(year),
                    color="primary",
                    disabled=room.ended or room.finished or busy,
                    classes=["landsim-next-year"],
                )
                if room.seconds_per_round > 0:
                    solara.Button(
                        t("resume" if room.paused else "pause", lang),
                        on_click=guarded(lambda: room.set_paused(not room.paused)),
                        classes=["landsim-pause"],
                    )
                solara.Button(
                    t("end", lang),
                    on_click=guarded(room.end),
                    disabled=room.ended,
                    classes=["landsim-end"],
                )
            if error.value:
                solara.Error(error.value, classes=["landsim-error"])
            if notice.value:
                solara.Info(notice.value, classes=["landsim-notice"])
            students = status["students"]
            _html(t("students", lang, n=len(students)), "landsim-students-title")
            items = "".join(
                f'<div class="landsim-student landsim-student-'
                f'{"done" if s["decided"] else "waiting"}" data-name="{html.escape(s["name"])}">'
                f"{'✔' if s['decided'] else '…'} {html.escape(s['name'])} · "
                f"{html.escape(t('role.' + s['kind'], lang, index=s['index']))}</div>"
                for s in students
            )
            solara.HTML(tag="div", unsafe_innerHTML=items, classes=["landsim-students"])
            Seats(room, [s["name"] for s in students], lang, guarded, notice)
    if room.ended:
        Debrief(room, lang)
    else:
        ClassTownView(room, lang, year, len(room.roles))


@solara.component
def Seats(room: Classroom, names: list[str], lang: str, guarded, notice):
    """The class size, and freeing the seat of a student (who may then join again)."""
    size = solara.use_reactive(room.size)
    chosen = solara.use_reactive(None)

    def free():
        name = chosen.value
        if name is None:
            return
        role = room.free_seat(name)
        chosen.value = None
        notice.value = t("freed", lang, name=role.name)

    with solara.Row(classes=["landsim-seats"]):
        solara.InputInt(t("class_size", lang), value=size, classes=["landsim-size"])
        solara.Button(
            t("set_size", lang),
            on_click=guarded(lambda: room.set_size(size.value)),
            classes=["landsim-set-size"],
        )
    if names:
        with solara.Row():
            solara.v.Select(
                label=t("free_seat_of", lang),
                items=names,
                v_model=chosen.value,
                on_v_model=chosen.set,
                class_="landsim-free-seat-of",
                dense=True,
            )
            solara.Button(
                t("free_seat", lang),
                on_click=guarded(free),
                disabled=chosen.value is None,
                classes=["landsim-free-seat"],
            )


@solara.component
def TeacherLink(room: Classroom, lang: str):
    """The teacher's link with the key, shown only when asked (for another device)."""
    shown = solara.use_reactive(False)
    solara.Button(
        t("show_teacher_link", lang),
        on_click=lambda: shown.set(not shown.value),
        text=True,
        classes=["landsim-show-teacher-link"],
    )
    if shown.value:
        base = _join_url(room.code).split("/join")[0]
        link = f"{base}/teacher?code={room.code}&key={quote(room.teacher_key)}"
        _html(t("teacher_link_is", lang), "landsim-note")
        _html(link, "landsim-teacher-link")


@solara.component
def ClassTownView(room: Classroom, lang: str, year: int, n_roles: int):
    """The class's town with the students' households outlined, and its charts."""
    households = [r.index for r in room.roles.values() if r.kind == "household"]
    held = np.flatnonzero(np.isin(room.town.plots.holder, households))
    key = [room.code, year, n_roles]
    png = solara.use_memo(lambda: outlined_map_png(room.town, held), key)
    solara.Image(png, classes=["landsim-map", "landsim-class-map"])
    _map_legend(lang)
    frames = [room.town.outcomes()]
    svgs = solara.use_memo(lambda: [chart_svg(c, frames, room.years) for c in CHARTS], key)
    _charts(svgs, lang)


def _map_legend(lang: str) -> None:
    """What the colours of a class map mean (who farms each plot)."""
    solara.HTML(tag="div", unsafe_innerHTML=legend_html("operator", lang, boundaries=False))


def _charts(svgs: list[str], lang: str) -> None:
    with solara.Div(classes=["landsim-charts"]):
        for chart, svg in zip(CHARTS, svgs, strict=True):
            with solara.Div():
                _html(t(f"chart.{chart.id}", lang), "landsim-chart-title")
                solara.HTML(tag="div", unsafe_innerHTML=svg)


@solara.component
def Debrief(room: Classroom, lang: str):
    """The class's town against the model's own town, and each role's result."""
    _html(t("debrief", lang), "landsim-run-title")
    df = room.debrief()
    rows = [
        [t(f"metric.{r.outcome}", lang), _fmt(r.outcome, r["class"]), _fmt(r.outcome, r.model)]
        for _, r in df.iterrows()
    ]
    _table(
        [t("outcome", lang), t("class_town", lang), t("model_town", lang)], rows, "landsim-debrief"
    )
    towns = ((room.town, "class_town"), (room.model_town, "model_town"))
    pngs = solara.use_memo(
        lambda: [outlined_map_png(town, []) for town, _ in towns], [room.code, room.year]
    )
    with solara.Columns([1, 1]):
        for (_, name), png in zip(towns, pngs, strict=True):
            with solara.Column(classes=[f"landsim-debrief-{name}"]):
                _html(t(name, lang), "landsim-run-title")
                solara.Image(png, classes=["landsim-map", "landsim-debrief-map"])
    _map_legend(lang)
    frames = [room.town.outcomes(), room.model_town.outcomes()]
    svgs = solara.use_memo(
        lambda: [chart_svg(c, frames, room.years) for c in CHARTS],
        [room.code, room.year, "debrief"],
    )
    legend = " · ".join(
        f'<span style="color:{RUN_COLOURS[i]}">━ {html.escape(t(k, lang))}</span>'
        for i, k in enumerate(("class_town", "model_town"))
    )
    solara.HTML(tag="div", unsafe_innerHTML=legend, classes=["landsim-legend"])
    _charts(svgs, lang)
    _html(t("roles_result", lang), "landsim-run-title")
    res = room.role_results()
    _table(
        ["", "", t("class_town", lang), t("model_town", lang), t("model_rule_years", lang)],
        [
            [
                r["name"],
                t(f"role.{r.role}", lang, index=r["index"]),
                r["class"],
                r.model,
                r.model_rule_years,
            ]
            for _, r in res.iterrows()
        ],
        "landsim-roles",
    )
    solara.FileDownload(
        room.export_zip,
        filename=f"landsim-class-{room.code}.zip",
        label=t("download", lang),
    )


# ---------------------------------------------------------------------- students
@solara.component
def StudentPage():
    """Join a class, then play one role (see the module docstring)."""
    router = solara.use_router()
    query = _query()
    lang = solara.use_reactive(query.get("lang", "en") if query.get("lang") in LANGUAGES else "en")
    code = solara.use_reactive(query.get("code", ""))
    name = solara.use_reactive("")
    wish = solara.use_reactive("household")
    error = solara.use_reactive(None)
    room, role = None, None
    if query.get("code"):
        try:
            room = REGISTRY.get(query["code"])
            role = room.role_for_browser(_browser())
        except ClassError as exc:
            room, role = None, None
            error.value = error.value or exc.text(lang.value)

    def join():
        try:
            r = REGISTRY.get(code.value)
            r.join(name.value, wish.value, lang.value, browser=_browser())
        except ClassError as exc:
            error.value = exc.text(lang.value)
            return
        error.value = None
        # no name and no secret in the address: this browser is the student's seat
        router.push(f"/join?code={r.code}&lang={lang.value}")

    solara.Style(CSS + CLASS_CSS)
    solara.Title(t("title", lang.value))
    with solara.AppBar():
        solara.AppBarTitle(t("title", lang.value))
        _lang_switch(lang)
    RefusalNotice(lang.value)
    if room is None or role is None:
        with solara.Card(t("join_title", lang.value), style={"max-width": "520px"}):
            solara.InputText(t("code", lang.value), value=code, classes=["landsim-join-code"])
            solara.InputText(t("your_name", lang.value), value=name, classes=["landsim-join-name"])
            with solara.ToggleButtonsSingle(value=wish, classes=["landsim-join-wish"]):
                for w in ("household", "branch", "government"):
                    solara.Button(
                        t(f"wish.{w}", lang.value),
                        value=w,
                        text=True,
                        classes=[f"landsim-wish-{w}"],
                    )
            solara.Button(
                t("join", lang.value), on_click=join, color="primary", classes=["landsim-join"]
            )
            if error.value:
                solara.Error(error.value, classes=["landsim-error"])
        return
    StudentView(room, role, lang.value)


@solara.component
def StudentView(room: Classroom, role: Role, lang: str):
    """The page of one joined student."""
    _follow(room, "round")
    year = room.year
    if room.roles.get(role.name) is not role:  # the teacher freed this seat
        solara.Warning(t("seat_freed", lang), classes=["landsim-seat-freed"])
        return
    _html(t("you_are", lang, name=role.name, role=_role_label(role, lang)), "landsim-you")
    _html(t("year", lang, year=year, years=room.years), "landsim-year")
    if room.ended:
        solara.Info(t("ended", lang), classes=["landsim-ended"])
    if role.kind == "household":
        # not remounted each year (forty pages would rebuild every control at once): its
        # state is kept by year
        HouseholdView(room, role, lang, year)
    else:  # keyed by the year: a new year starts with fresh controls
        view = BranchView if role.kind == "branch" else GovernmentView
        view(room, role, lang, year).key(f"{role.kind}-{year}")


#: the Send button and the answer under it, shared by both templates below; ``payload`` is
#: what the click sends to the server. Plain HTML elements, not Vuetify's: a template is one
#: Vue component that redraws whole at every change (a toggle, the answer), and forty pages
#: redraw at once on the classroom's two cores
_SEND = """
    <button type="button" class="landsim-submit" @click="send(payload)">{{ label }}</button>
    <div v-if="answer_year === year"
         :class="answer_kind === 'ok' ? 'landsim-ack' : 'landsim-reject'">{{ answer }}</div>
    <div v-else-if="decided" class="landsim-ack">{{ received }}</div>
    <div v-else class="landsim-pending">{{ pending }}</div>
"""


class DecisionButton(ipyvuetify.VuetifyTemplate):
    """The "Send my decision" button and the server's answer, as one browser-side template.

    A click reaches :meth:`vue_send` on this widget, which stores the decision and answers by
    setting this widget's own ``answer`` traits: one small message back, no re-render of the
    page. (Through a reactive variable, each answer re-rendered the student's component tree:
    about 16 ms of the server's one interpreter per decision, so the last of forty
    simultaneous clicks waited 1.3-3 s; benchmarks/classroom_load.py.)
    """

    template = traitlets.Unicode(
        f'<template>\n  <div class="landsim-send">{_SEND}  </div>\n</template>\n'
        "<script>module.exports = { computed: { payload() { return {}; } } };</script>"
    ).tag(sync=True)
    #: the button's label and the texts shown before an answer (set by the page)
    label = traitlets.Unicode("").tag(sync=True)
    pending = traitlets.Unicode("").tag(sync=True)
    received = traitlets.Unicode("").tag(sync=True)
    #: the year on the page, and whether the class already holds this role's decision for it
    #: (a reloaded page shows "received")
    year = traitlets.Int(0).tag(sync=True)
    decided = traitlets.Bool(False).tag(sync=True)
    #: the answer to the last click, set only by :meth:`vue_send`
    answer = traitlets.Unicode("").tag(sync=True)
    answer_kind = traitlets.Unicode("").tag(sync=True)
    answer_year = traitlets.Int(-1).tag(sync=True)
    #: called on a click with what the browser sent; returns ("ok" | "rejected", text). Not
    #: sent to the browser.
    submit = traitlets.Any(None)

    def vue_send(self, data: Any = None) -> None:
        """The student clicked: store the decision, answer on this widget."""
        kind, text = self.submit(data)
        with self.hold_sync():
            self.answer, self.answer_kind, self.answer_year = text, kind, self.year

    def _handle_event(self, _widget: Any, content: Any, buffers: Any) -> None:
        # the browser's click is the one message this widget takes: ipyvue's own handler would
        # also import a module and call a class that a message names ("create_widget")
        if isinstance(content, dict) and content.get("event") == "send":
            self.vue_send(content.get("data"))


class HouseholdForm(DecisionButton):
    """A household's plots with a choice for each free one, the meetings tick box, and Send.

    The choices live in the browser until Send, which sends them all with the click: a
    toggle costs the server nothing, and what is stored is what the student saw. The server
    checks what arrives as from anyone (:func:`household_decision`, then the class's rules).
    ``form`` holds the year, the plots (``plot``, ``label``, ``free``, ``lease``, ``choice``),
    the options (``value``, ``text``), the meetings tick box (``label``, ``value``, or None
    without a co-op) and whether the class has ended (no Send then). A new year resets the
    choices to the page's defaults; a new language keeps them.
    """

    template = traitlets.Unicode(
        """<template>
  <div class="landsim-household-form landsim-send">
    <div v-for="p in form.plots" :key="p.plot"
         :class="['landsim-plot-row', 'landsim-plot-' + p.plot]">
      <span class="landsim-plot-label">{{ p.label }}</span>
      <span v-if="!p.free" class="landsim-plot-lease">{{ p.lease }}</span>
      <span v-else class="landsim-toggle" role="group">
        <button v-for="o in form.options" :key="o.value" type="button"
                :class="['landsim-choice-' + o.value, {'landsim-on': choices[p.plot] === o.value}]"
                :aria-pressed="String(choices[p.plot] === o.value)"
                @click="pick(p.plot, o.value)">{{ o.text }}</button>
      </span>
    </div>
    <label v-if="form.engage" class="landsim-engage">
      <input type="checkbox" v-model="engage"> {{ form.engage.label }}
    </label>
    <div v-if="!form.ended">"""
        + _SEND
        + """    </div>
  </div>
</template>
<script>
module.exports = {
  data() { return { choices: {}, engage: false, for_year: null }; },
  created() { this.sync(); },
  watch: { form() { this.sync(); } },
  computed: {
    payload() {
      return this.form.engage ? { plots: this.choices, engage: this.engage }
                              : { plots: this.choices };
    },
  },
  methods: {
    pick(plot, value) { this.choices = Object.assign({}, this.choices, { [plot]: value }); },
    sync() {
      const keep = this.for_year === this.form.year;
      const choices = {};
      for (const p of this.form.plots) {
        if (!p.free) continue;
        choices[p.plot] = keep && p.plot in this.choices ? this.choices[p.plot] : p.choice;
      }
      this.choices = choices;
      if (!keep) this.engage = this.form.engage ? this.form.engage.value : false;
      this.for_year = this.form.year;
    },
  },
};
</script>"""
    ).tag(sync=True)
    form = traitlets.Dict(
        {"year": 0, "plots": [], "options": [], "engage": None, "ended": False}
    ).tag(sync=True)


def household_decision(data: Any, choices: tuple[str, ...] = ()) -> dict[str, Any]:
    """A household's decision as the browser sends it (JSON: plot numbers as text) in the form
    :meth:`~landsim.app.classroom.room.Classroom.decide` checks; ``choices`` are the options
    the page offers (empty: any text, for the class's rules to judge).

    Raises:
        ClassError: ("not_a_decision") for anything but {"plots": {"<plot>": choice},
            "engage": bool}, in the page's language.
    """

    def refuse(why: str, **values: Any) -> ClassError:
        shown = {k: str(v)[:40] for k, v in values.items()}
        return ClassError("not_a_decision", why=_Why(why, shown))

    sent = data.get("plots", {}) if isinstance(data, dict) else None
    if not isinstance(sent, dict) or len(sent) > 1000:
        raise refuse("plots")
    unknown = set(data) - {"plots", "engage"}
    if unknown:
        raise refuse("keys", keys=sorted(map(str, unknown))[:5])
    plots = {}
    for key, choice in sent.items():
        if not (isinstance(key, str) and key.isdecimal() and key.isascii() and len(key) <= 9):
            raise refuse("plot", plot=repr(key))
        if not isinstance(choice, str) or (choices and choice not in choices):
            raise refuse("choice", choice=repr(choice))
        plots[int(key)] = choice
    decision: dict[str, Any] = {"plots": plots}
    if "engage" in data:
        if not isinstance(data["engage"], bool):
            raise refuse("engage")
        decision["engage"] = data["engage"]
    return decision


class _Why:
    """A reason of :func:`household_decision`, written in the language of the page that shows
    it (:meth:`ClassError.text` calls it with the page's language)."""

    def __init__(self, key: str, values: dict[str, str]) -> None:
        self.key, self.values = key, values

    def __call__(self, lang: str) -> str:
        return t(f"why.{self.key}", lang if lang in LANGUAGES else "en", **self.values)


def _answer(
    room: Classroom, role: Role, lang: str, year: int, decision: Callable[[], Any]
) -> tuple[str, str]:
    """Store what ``decision()`` returns for ``role``: ("ok", the acknowledgement) or
    ("rejected", the reason in the page's language), also when ``decision()`` itself refuses
    what the browser sent. Nothing a browser sends makes it raise."""
    try:
        room.decide(role.name, decision())
        return "ok", t("acknowledged", lang, year=year + 1)
    except ClassError as exc:
        return "rejected", t("rejected", lang, msg=exc.text(lang))
    except DecisionError as exc:
        return "rejected", t("rejected", lang, msg=str(exc))
    except Exception as exc:  # noqa: BLE001 - the page answers; the server log says what
        LOG.warning("a decision could not be read: %s", repr(exc)[:200])
        return "rejected", t("rejected", lang, msg=t("err.unexpected", lang))


def _send_texts(room: Classroom, role: Role, lang: str, year: int) -> dict[str, Any]:
    """The texts and state a :class:`DecisionButton` shows before any click on this page."""
    return {
        "label": t("submit", lang),
        "pending": t("not_decided", lang),
        "received": t("acknowledged", lang, year=year + 1),
        "year": year,
        "decided": room.has_decided(role.name),
    }


@solara.component
def SendDecision(room: Classroom, role: Role, decision: dict, lang: str, year: int):
    """The Send button and the server's answer for a branch or the government (see
    :class:`DecisionButton`); ``decision`` is what the page's controls hold."""
    if room.ended:
        return
    DecisionButton.element(
        **_send_texts(room, role, lang, year),
        submit=lambda _data: _answer(room, role, lang, year, lambda: decision),
    )


@solara.component
def HouseholdView(room: Classroom, role: Role, lang: str, year: int):
    """Members, labour, plots on the map, last year's income, offers, and the decision."""
    view = room.household_view(role.index)
    mine = np.array([p["plot"] for p in view["plots"]], dtype=np.int64)
    png = solara.use_memo(lambda: outlined_map_png(room.town, mine), [room.code, year, role.index])
    if not view["alive"]:
        solara.Warning(t("died_out", lang))
        return
    o = view["offers"]
    choices = tuple(view["options"])
    lines = [
        ("section", t("members", lang)),
        (
            "members",
            ", ".join(
                f"{m['age']}" + (f" ({t('away', lang)})" if m["away"] else "")
                for m in view["members"]
            ),
        ),
        (
            "field-days",
            t("field_days", lang, days=view["field_days"], n=view["plots_you_can_farm"]),
        ),
        ("section", t("offers", lang)),
        ("offer-rent", t("offer.rent", lang, flat=o["rent_flat"], hilly=o["rent_hilly"])),
        (
            "offer-coop",
            t(
                "offer.coop",
                lang,
                rule=t(f"rule.{o['coop']['rule']}", lang),
                base=o["coop"]["base"],
                bonus=o["coop"]["bonus"],
            )
            if o["coop"]
            else t("offer.no_coop", lang),
        ),
        (
            "offer-custody",
            t("offer.custody", lang, price=o["custody_price"])
            if o["custody_price"] is not None
            else t("offer.no_custody", lang),
        ),
        ("section", t("your_plots", lang)),
    ]
    form = {
        "year": year,
        "plots": [
            {
                "plot": p["plot"],
                "label": " · ".join(
                    (
                        t("plot", lang, plot=p["plot"]),
                        t("hilly" if p["hilly"] else "flat", lang),
                        t("quality", lang, q=p["quality"]),
                        t(f"kind.{p['kind']}", lang),
                    )
                ),
                "free": p["free"],
                "lease": "" if p["free"] else t("leased_until", lang, year=p["lease_end"]),
                "choice": view["decision"].get(p["plot"], p["default"]) if p["free"] else None,
            }
            for p in view["plots"]
        ],
        "options": [{"value": c, "text": t(f"choice.{c}", lang)} for c in choices],
        "engage": {"label": t("engage", lang), "value": view["engaged"]} if o["coop"] else None,
        "ended": room.ended,
    }
    with solara.Columns([3, 2]):
        with solara.Column():
            # the page's text in one widget: forty pages redraw at each new year
            solara.HTML(
                tag="div",
                unsafe_innerHTML="".join(
                    f'<div class="landsim-{cls}">{html.escape(text)}</div>' for cls, text in lines
                ),
                classes=["landsim-household"],
            )
            HouseholdForm.element(
                **_send_texts(room, role, lang, year),
                form=form,
                submit=lambda data: _answer(
                    room, role, lang, year, lambda: household_decision(data, choices)
                ),
            )
        with solara.Column():
            solara.Image(png, classes=["landsim-map", "landsim-student-map"])
            _map_legend(lang)
            _html(t("income", lang), "landsim-section")
            if view["income"]:
                _table(
                    ["", ""],
                    [[t(f"src.{k}", lang), f"{v:,.0f}"] for k, v in sorted(view["income"].items())]
                    + [["=", f"{view['income_total']:,.0f}"]],
                    "landsim-income",
                )
            else:
                _html(t("no_income", lang), "landsim-income")


@solara.component
def BranchView(room: Classroom, role: Role, lang: str, year: int):
    """A branch secretary: found a co-op, its rule, guaranteed rent and profit split."""
    view = room.branch_view(role.index)
    found = solara.use_reactive(True)
    rule = solara.use_reactive(view["benefit_rule"])
    numbers = {k: solara.use_reactive(float(view[k])) for k in BRANCH_LEVERS}
    c = view["coop"]
    if c:
        _html(
            t(
                "coop_now",
                lang,
                rule=t(f"rule.{c['rule']}", lang),
                status=c["status"],
                area=c["area"],
                members=c["members"],
                profit=c["profit"],
            ),
            "landsim-coop-now",
        )
    else:
        _html(t("no_coop_now", lang), "landsim-coop-now")
    with solara.Div(classes=["landsim-found"]):
        solara.Checkbox(label=t("branch_found", lang), value=found)
    solara.v.Select(
        label=t("benefit_rule", lang),
        items=[{"text": t(f"rule.{r}", lang), "value": r} for r in SHARING_RULES],
        v_model=rule.value,
        on_v_model=rule.set,
        class_="landsim-benefit-rule",
    )
    steps = {"guaranteed_rent": 50.0, "fixed_rent": 50.0, "member_share": 0.05}
    for k, (lo, hi) in BRANCH_LEVERS.items():
        with solara.Div(classes=[f"landsim-branch-{k}"]):
            solara.SliderFloat(
                f"{t(k, lang)}: {numbers[k].value:g}",
                value=numbers[k],
                min=lo,
                max=hi,
                step=steps[k],
            )
    decision = {
        "found": bool(found.value),
        "benefit_rule": rule.value,
        **{k: float(v.value) for k, v in numbers.items()},
    }
    SendDecision(room, role, decision, lang, year)
    TownFigures(room, lang)


@solara.component
def GovernmentView(room: Classroom, role: Role, lang: str, year: int):
    """The town government: subsidy per mu, its years, the audit rate."""
    view = room.government_view()
    numbers = {k: solara.use_reactive(float(view[k])) for k in GOVERNMENT_LEVERS}
    steps = {"subsidy_per_mu": 25.0, "subsidy_years": 1.0, "audit_rate": 0.05}
    for k, (lo, hi) in GOVERNMENT_LEVERS.items():
        with solara.Div(classes=[f"landsim-gov-{k}"]):
            solara.SliderFloat(
                f"{t(k, lang)}: {numbers[k].value:g}",
                value=numbers[k],
                min=lo,
                max=hi,
                step=steps[k],
            )
    decision = {
        k: (int(v.value) if k == "subsidy_years" else float(v.value)) for k, v in numbers.items()
    }
    SendDecision(room, role, decision, lang, year)
    TownFigures(room, lang)


@solara.component
def TownFigures(room: Classroom, lang: str):
    """The town's outcomes of last year (what a branch or the government reads in reports)."""
    df = room.town.outcomes()
    if df.empty:
        return
    last = df.iloc[-1]
    from landsim.app.classroom.room import DEBRIEF_METRICS

    _html(t("town_outcomes", lang), "landsim-section")
    _table(
        ["", ""],
        [[t(f"metric.{k}", lang), _fmt(k, float(last[k]))] for k in DEBRIEF_METRICS],
        "landsim-town",
    )


@solara.component
def Layout(children=()):
    """The app's frame without solara's page tabs (each page is reached by its address)."""
    return solara.AppLayout(children=list(children), navigation=False)


routes = [
    solara.Route(path="/", component=AppPage, layout=Layout),
    solara.Route(path="teacher", component=TeacherPage),
    solara.Route(path="join", component=StudentPage),
]
