"""The teacher's pages at ``/teacher``: start a class, run it on the projector, and debrief it.

* :func:`TeacherPage` — the start form, or (at ``/teacher?code=...``) the class. The page runs
  the class for the browser that started it, or one that opened the teacher's link (``?key=``,
  which the server turns into an HttpOnly cookie and removes from the address:
  :mod:`landsim.app.server`); no secret is ever in the address of a page that may be projected;
* :func:`ClassDashboard` — in large type for the back of the room: the class code, join address
  and QR code in a compact header with the year and Next year / timer / Pause / End; who has
  decided; the town map with the students' households outlined; the charts with every line
  named. Once the class ends, the header shrinks to one line and the debrief comes first;
* :func:`Debrief` — the class's town and the model's own (same seed), outcome by outcome with
  the differences marked, the two maps and a map of where they differ (students' plots
  outlined), each role's result in a sentence, the charts of both towns, the results zip.
"""

from __future__ import annotations

import html
import os
import threading
import time
from urllib.parse import quote

import numpy as np
import solara

from landsim.app.app import RefusalNotice
from landsim.app.classroom import reports
from landsim.app.classroom.common import (
    browser,
    charts,
    fmt,
    html_text,
    lang_switch,
    map_legend,
    picker,
    query,
    table,
    teacher_key,
    use_follow,
)
from landsim.app.classroom.export import export_zip
from landsim.app.classroom.qr import difference_map_png, outlined_map_png, qr_svg
from landsim.app.classroom.registry import REGISTRY
from landsim.app.classroom.reports import class_outcomes
from landsim.app.classroom.room import CLASS_SIZE, LEASES, ClassError, Classroom
from landsim.app.classroom.student import role_label, year_text
from landsim.app.classroom.style import CLASS_CSS
from landsim.app.classroom.text import t
from landsim.app.i18n import LANGUAGES, scenario_label
from landsim.app.session import scenario_titles
from landsim.app.views import CSS
from landsim.decisions import DecisionError

__all__ = ["TeacherPage", "StartForm", "ClassDashboard", "Debrief", "JOIN_URL_ENV"]

#: environment variable with the address students open (set by ``landsim app --classroom``)
JOIN_URL_ENV = "LANDSIM_CLASSROOM_URL"
#: the scenario a class starts on unless the teacher picks another (co-ops in every village)
RECOMMENDED = "coop_guaranteed_dividend"


@solara.component
def TeacherPage():
    """Start a class, then run it (see the module docstring)."""
    router = solara.use_router()
    q = query()
    chosen = solara.use_reactive(None)
    room, problem = None, None
    if "code" in q:
        try:
            code = q["code"].upper()
            room = REGISTRY.teacher(code, teacher_key(code), browser())
        except ClassError as exc:
            problem = exc
    asked = q.get("lang") if q.get("lang") in LANGUAGES else "en"
    picked = chosen.value  # read on every render: a new choice re-renders the page
    lang = room.teacher_lang if room is not None else (picked or asked)

    def choose(code_: str) -> None:
        if room is not None:  # first: the page re-renders with the class's language
            room.set_teacher_lang(code_)
        chosen.set(code_)
        if room is None and "code" not in q:  # the start form: a reload keeps the language
            router.push(f"/teacher?lang={code_}")

    solara.Style(CSS + CLASS_CSS)
    solara.Title(t("title", lang))
    with solara.AppBar():
        solara.AppBarTitle(t("title", lang))
        lang_switch(lang, choose)
    RefusalNotice(lang)
    if problem:
        solara.Error(problem.text(lang), classes=["landsim-error"])
    if room is None:
        StartForm(lang)
    else:
        ClassDashboard(room, lang)


@solara.component
def StartForm(lang: str):
    """Scenario, years, seconds per round, class size and lease lengths; Start creates the
    class. Each control says what it does."""
    router = solara.use_router()
    titles = solara.use_memo(scenario_titles, [])
    scenario = solara.use_reactive(
        RECOMMENDED if RECOMMENDED in titles else next(iter(titles), "baseline")
    )
    years = solara.use_reactive(4)
    seconds = solara.use_reactive(0)
    size = solara.use_reactive(CLASS_SIZE)
    leases = solara.use_reactive("class")
    error = solara.use_reactive(None)

    def start():
        try:
            room = REGISTRY.start(
                scenario.value,
                years.value,
                seconds.value,
                size=size.value,
                browser=browser(),
                leases=leases.value,
                lang=lang,
            )
        except ClassError as exc:
            error.value = exc
            return
        # no key in the address: this browser runs the class (its session cookie)
        router.push(f"/teacher?code={room.code}")

    with solara.Card(t("start_class", lang), style={"max-width": "760px"}):
        items = [{"text": scenario_label(n, lang, x), "value": n} for n, x in titles.items()]
        picker(t("scenario", lang), items, scenario, "landsim-class-scenario")
        html_text(t("help.scenario", lang), "landsim-help")
        solara.InputInt(t("years", lang), value=years, classes=["landsim-class-years"])
        html_text(t("help.years", lang), "landsim-help")
        solara.InputInt(t("seconds", lang), value=seconds, classes=["landsim-class-seconds"])
        solara.InputInt(t("class_size", lang), value=size, classes=["landsim-class-size"])
        choices = [{"text": t(f"leases.{k}", lang), "value": k} for k in LEASES]
        picker(t("leases", lang), choices, leases, "landsim-class-leases")
        html_text(t(f"help.leases.{leases.value}", lang), "landsim-help")
        solara.Button(
            t("start", lang), on_click=start, color="primary", classes=["landsim-start-class"]
        )
        if error.value:
            solara.Error(error.value.text(lang))


def _join_url(code: str) -> str:
    base = os.environ.get(JOIN_URL_ENV) or "http://127.0.0.1:8765/join"
    return f"{base}?code={code}"


@solara.component
def ClassDashboard(room: Classroom, lang: str):
    """The running class on the teacher's screen (see the module docstring)."""
    use_follow(room, "version", teacher=True)
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
    ended = room.ended
    with solara.Div(classes=["landsim-teacher", "landsim-page"]):
        with solara.Div(classes=["landsim-head"]):
            JoinHeader(room, lang, small=ended)
            with solara.Div(classes=["landsim-head-year"]):
                html_text(year_text(room, lang), "landsim-year")
                if room.deadline is not None:
                    left = max(0, int(room.deadline - time.time()))
                    html_text(t("seconds_left", lang, s=left), "landsim-timer")
                busy = closing.value is not None or room.advancing
                with solara.Row(style={"flex-wrap": "wrap"}):
                    if not ended:
                        solara.Button(
                            t("closing_year", lang) if busy else t("next_year", lang),
                            on_click=lambda: closing.set(year),
                            color="primary",
                            disabled=room.finished or busy,
                            classes=["landsim-next-year"],
                        )
                        if room.seconds_per_round > 0 and not room.finished:
                            solara.Button(
                                t("resume" if room.paused else "pause", lang),
                                on_click=guarded(lambda: room.set_paused(not room.paused)),
                                classes=["landsim-pause"],
                            )
                        solara.Button(
                            t("end", lang),
                            on_click=guarded(room.end),
                            color="primary" if room.finished else None,
                            classes=["landsim-end"],
                        )
        if error.value:
            solara.Error(error.value, classes=["landsim-error"])
        if notice.value:
            solara.Info(notice.value, classes=["landsim-notice"])
        if ended:
            Debrief(room, lang)
            Roster(room, status["students"], lang)
        else:
            html_text(t("help.dashboard", lang), "landsim-help")
            with solara.Div(classes=["landsim-dashboard"]):  # one column on a phone
                with solara.Div():
                    Roster(room, status["students"], lang)
                    Seats(room, [s["name"] for s in status["students"]], lang, guarded, notice)
                    TeacherLink(room, lang)
                with solara.Div():
                    ClassTownView(room, lang, year, len(room.roles))


@solara.component
def JoinHeader(room: Classroom, lang: str, small: bool = False):
    """The class code, the join address and its QR code (smaller once the class has ended)."""
    url = _join_url(room.code)
    svg = solara.use_memo(lambda: qr_svg(url), [url])
    classes = ["landsim-head-code"] + (["landsim-head-code-small"] if small else [])
    with solara.Div(classes=classes):
        with solara.Div():
            html_text(t("class_code", lang), "landsim-code-label")
            html_text(room.code, "landsim-code")
            html_text(t("join_at", lang), "landsim-code-label")
            html_text(url, "landsim-join-url")
        if not small:
            solara.HTML(tag="div", unsafe_innerHTML=svg, classes=["landsim-qr"])


@solara.component
def Roster(room: Classroom, students: list[dict], lang: str):
    """Who joined as what and, while the class plays, who has decided (large, dark type)."""
    playing = not (room.ended or room.finished)
    html_text(t("students", lang, n=len(students)), "landsim-students-title")

    def line(s: dict) -> str:
        who = f"{html.escape(s['name'])} · {html.escape(role_label(s['kind'], s['index'], lang))}"
        if not playing:
            return f'<div class="landsim-student" data-name="{html.escape(s["name"])}">{who}</div>'
        state = "done" if s["decided"] else "waiting"
        mark = "✔" if s["decided"] else "○"
        return (
            f'<div class="landsim-student landsim-student-{state}" '
            f'data-name="{html.escape(s["name"])}">{mark} {who}</div>'
        )

    solara.HTML(
        tag="div", unsafe_innerHTML="".join(line(s) for s in students), classes=["landsim-students"]
    )
    if playing and students:
        html_text(t("roster_help", lang), "landsim-help")


@solara.component
def Seats(room: Classroom, names: list[str], lang: str, guarded, notice):
    """The class size, and freeing the seat of a student (who may then join again); shown on
    request."""
    shown = solara.use_reactive(False)
    size = solara.use_reactive(room.size)
    chosen = solara.use_reactive(None)

    def free():
        name = chosen.value
        if name is None:
            return
        role = room.free_seat(name)
        chosen.value = None
        notice.value = t("freed", lang, name=role.name)

    solara.Button(
        t("seats", lang, n=room.size),
        on_click=lambda: shown.set(not shown.value),
        text=True,
        classes=["landsim-show-seats"],
    )
    if not shown.value:
        return
    with solara.Row(classes=["landsim-seats"]):
        solara.InputInt(t("class_size", lang), value=size, classes=["landsim-size"])
        solara.Button(
            t("set_size", lang),
            on_click=guarded(lambda: room.set_size(size.value)),
            classes=["landsim-set-size"],
        )
    if names:
        with solara.Row():
            picker(t("free_seat_of", lang), names, chosen, "landsim-free-seat-of", dense=True)
            solara.Button(
                t("free_seat", lang),
                on_click=guarded(free),
                disabled=chosen.value is None,
                classes=["landsim-free-seat"],
            )
    html_text(t("help.seats", lang), "landsim-help")


@solara.component
def TeacherLink(room: Classroom, lang: str):
    """The teacher's link with the key, shown only when asked (for another device)."""
    shown = solara.use_reactive(False)
    html_text(t("teacher_link", lang), "landsim-note")
    solara.Button(
        t("show_teacher_link", lang),
        on_click=lambda: shown.set(not shown.value),
        text=True,
        classes=["landsim-show-teacher-link"],
    )
    if shown.value:
        base = _join_url(room.code).split("/join")[0]
        key = room.new_teacher_key()
        link = f"{base}/teacher?code={room.code}&key={quote(key)}"
        html_text(t("teacher_link_is", lang), "landsim-note")
        html_text(link, "landsim-teacher-link")


def _student_plots(room: Classroom) -> np.ndarray:
    households = [r.index for r in room.roles.values() if r.kind == "household"]
    return np.flatnonzero(np.isin(room.town.plots.holder, households))


@solara.component
def ClassTownView(room: Classroom, lang: str, year: int, n_roles: int):
    """The class's town with the students' households outlined, and its charts."""
    key = [room.code, year, n_roles]
    png = solara.use_memo(lambda: outlined_map_png(room.town, _student_plots(room)), key)
    html_text(t("town_map", lang), "landsim-map-title")
    solara.Image(png, classes=["landsim-map", "landsim-class-map"])
    map_legend(lang)
    html_text(t("outlined", lang), "landsim-help")
    frames = [class_outcomes(room, room.town)]
    charts(frames, [t("class_town", lang)], room.years, lang, key)


@solara.component
def Debrief(room: Classroom, lang: str):
    """The class's town against the model's own town, and each role's result."""
    df = reports.debrief(room)
    rows, classes = [], []
    for _, r in df.iterrows():
        diff = r["difference"]
        better = _better(r.outcome, diff)
        mark = "" if better is None else ("▲ " if diff > 0 else "▼ ")
        share = r.outcome.endswith(("_rate", "_share"))
        shown = mark + (f"{diff:+.1%}" if share else f"{diff:+,.0f}")
        rows.append(
            [
                t(f"metric.{r.outcome}", lang),
                fmt(r.outcome, r["class"]),
                fmt(r.outcome, r.model),
                shown,
            ]  # fmt: skip
        )
        tone = "" if better is None else ("landsim-up" if better else "landsim-down")
        classes.append(["", "", "", tone])
    towns = ((room.town, "class_town"), (room.model_town, "model_town"))
    plots = _student_plots(room)
    key = [room.code, room.year, len(room.roles), "debrief"]
    pngs = solara.use_memo(
        lambda: (
            [outlined_map_png(town, plots) for town, _ in towns]
            + [difference_map_png(room.town, room.model_town, plots)]
        ),
        key,
    )
    with solara.Div(classes=["landsim-debrief-top"]):
        with solara.Div():
            html_text(t("debrief", lang), "landsim-debrief-title")
            header = [t("outcome", lang), t("class_town", lang), t("model_town", lang),
                      t("difference", lang)]  # fmt: skip
            table(header, rows, "landsim-debrief", cell_classes=classes)
            html_text(t("help.debrief", lang), "landsim-help")
        with solara.Div(classes=["landsim-maps"]):
            names = ("class_town", "model_town", "difference_map")
            for name, png in zip(names, pngs, strict=True):
                with solara.Div(classes=[f"landsim-debrief-{name}"]):
                    html_text(t(name, lang), "landsim-map-title")
                    solara.Image(png, classes=["landsim-map", "landsim-debrief-map"])
    map_legend(lang)
    html_text(t("help.difference_map", lang), "landsim-help")
    html_text(t("roles_result", lang), "landsim-section")
    res = reports.role_results(room)
    items = "".join(
        f"<li>{html.escape(result_sentence(r, lang))}</li>" for r in res.to_dict("records")
    )
    solara.HTML(tag="ul", unsafe_innerHTML=items, classes=["landsim-results", "landsim-roles"])
    frames = [class_outcomes(room, room.town), class_outcomes(room, room.model_town)]
    charts(frames, [t("class_town", lang), t("model_town", lang)], room.years, lang, key)
    solara.FileDownload(
        lambda: export_zip(room),
        filename=f"landsim-class-{room.code}.zip",
        label=t("download", lang),
    )


#: outcomes where more is better (True) or worse (False); others are not judged
_MORE_IS_BETTER = {
    "abandonment_rate": False,
    "household_income_mean": True,
    "household_income_65plus": True,
    "participation_rate": True,
    "collective_income_mean": True,
}


def _better(outcome: str, diff: float) -> bool | None:
    """Whether the class's town did better on ``outcome`` (None: equal, or not judged)."""
    if abs(diff) < 1e-9 or outcome not in _MORE_IS_BETTER:
        return None
    return (diff > 0) == _MORE_IS_BETTER[outcome]


def result_sentence(r: dict, lang: str) -> str:
    """One student's result in both towns, as a sentence."""
    who = f"{r['name']} ({role_label(r['role'], r['index'], lang)})"
    if r["role"] == "household":
        text = t(
            "result.household",
            lang,
            who=who,
            income=r["class_income"],
            model=r["model_income"],
            diff=r["class_income"] - r["model_income"],
            idle=int(r["class_idle"]),
            plots=int(r["class_plots"]),
            model_idle=int(r["model_idle"]),
        )
    elif r["role"] == "branch":
        key = "result.branch" if r["class_active"] else "result.branch_none"
        text = t(
            key,
            lang,
            who=who,
            area=r["class_area"],
            members=int(r["class_members"]),
            profit=r["class_profit"],
            model_area=r["model_area"],
            model_members=int(r["model_members"]),
            model_profit=r["model_profit"],
        )
    else:
        text = t(
            "result.government",
            lang,
            who=who,
            subsidy=r["class_subsidy_per_mu"],
            years=int(r["class_subsidy_years"]),
            audit=r["class_audit_rate"],
            abandoned=r["class_abandonment"],
            model_abandoned=r["model_abandonment"],
        )
    if r["model_rule_years"]:
        text += " " + t("result.model_years", lang, n=int(r["model_rule_years"]))
    return text
