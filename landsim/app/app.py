"""The browser page: ``landsim app`` serves :func:`Page` with solara.

Layout: the sidebar holds the run controls (year, Step / Play / Reset), the scenario picker and
compare switch, the policy levers with the seed, and the lessons; the main area shows the map(s)
with their legend and the charts, and an open lesson beside them. A switch in the app bar
changes the language of every label and of the lesson.

Nothing from the browser is trusted: every value it sends (a scenario name, a lever, the seed,
a toggle) is checked on the server (:mod:`landsim.app.session`) and a refused one is shown as a
message while the tab keeps working; no handler lets an exception replace the page.

Every browser tab gets its own :class:`~landsim.app.session.Session` (models are created inside
the component with ``use_memo``, never at module level, so a class of thirty does not share one
model). Why not Mesa's ``SolaraViz``: its controls drive one model, rebuild it from slider values
only (a scenario file's levers would be overwritten by the slider defaults) and are labelled in
English; compare mode steps two models in lockstep and lessons switch scenarios, so the page
drives the models itself and redraws when ``stamp`` changes. Only two components read it: a
step redraws the model view and then the run card (:func:`LiveModelView`, :func:`RunCard`),
not the whole page.

A tab survives a server restart: its address carries an id (``?tab=...``), and after every
change the session is saved under that id in :func:`~landsim.app.tabs.tabs_dir` (one
checkpoint per model); opening the address again, after a restart too, restores it. Saved tabs
are deleted :data:`~landsim.app.tabs.KEEP_DAYS` days after their last change.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
import traceback
from urllib.parse import parse_qs

import solara
import solara.lab
from solara.server import kernel_context

from landsim.app import boundary
from landsim.app.i18n import LANGUAGES, scenario_label, tr
from landsim.app.lessons import Lesson, load_lessons
from landsim.app.mapview import LAYERS
from landsim.app.session import (
    LEVERS,
    LOG,
    RefusedInput,
    Session,
    scenario_names,
    scenario_titles,
)
from landsim.app.tabs import TAB_ID, purge_tabs, tabs_dir
from landsim.app.views import CSS, LessonPanel, ModelView, levers_in_use
from landsim.errors import UserError
from landsim.tomlio import safe_text

__all__ = ["Page", "PLAY_INTERVAL", "RefusalNotice"]

# before any page is served (landsim.app.server installs it too): what a browser may send
boundary.install()

#: seconds between two years while playing (time to look at the map on a projector)
PLAY_INTERVAL = 0.6
#: lessons are read once per server; they are immutable data shared by all tabs
LESSONS: tuple[Lesson, ...] = tuple(load_lessons())
_FLOAT_DIGITS = re.compile(r"\.?0+$")


def _lever_label(name: str, value: object, lang: str) -> str:
    if isinstance(value, float):
        value = _FLOAT_DIGITS.sub("", f"{value:.2f}") if value % 1 else f"{value:.0f}"
    return f"{tr(name, lang)}: {value}"


@solara.component
def RefusalNotice(lang: str):
    """A message in the page's language while the boundary has refused something this page
    sent (:data:`landsim.app.boundary.refused`); the page goes on working."""
    if boundary.refused.value:
        solara.Error(tr("refused", lang), classes=["landsim-refused"])


@solara.component
def Shield(on_refused, lang="en", children=[]):  # noqa: B006 - solara passes children so
    """Its children, with any exception of their event handlers caught and reported.

    Solara's own controls convert what the browser sends before our handlers see it
    (``float(value)`` in a slider); a forged value would raise there and replace the tab with
    a traceback. Here the exception is logged and ``on_refused(message)`` shows it instead.
    """
    exception, clear = solara.use_exception()

    def report():
        if exception is not None:
            LOG.warning("refused a value from the browser: %s", safe_text(repr(exception), 200))
            on_refused(tr("refused", lang))
            clear()

    solara.use_effect(report, [exception])
    solara.Column(children=children, gap="0px")


@solara.component
def LeverControls(session: Session, index: int, lang: str, stamp: int, guarded):
    """Sliders and pickers for the levers of run ``index``, and the seed.

    ``stamp`` changes whenever a control does (not when the runs step, which changes no
    lever): the session object itself stays the same, so without it reacton would see equal
    arguments and skip the redraw. ``guarded(action)`` runs a change and shows a refused value
    as a message.
    """
    run = session.runs[index]
    values = run.levers
    rule = values["benefit_rule"]
    used = levers_in_use(run.base)  # a town with no co-ops has no use for their levers

    def setter(name):
        def set_value(value):
            # look the run up when called: a scenario pick replaces the Run object
            guarded(lambda: session.runs[index].set_lever(name, value))

        return set_value

    for lever in LEVERS:
        name = lever.name
        if name not in used or (name == "member_share" and rule == "fixed_rent"):
            continue  # under a fixed rent the members' share stays in the reserve
        if name == "fixed_rent" and rule != "fixed_rent":
            continue
        if name == "guaranteed_rent" and not rule.startswith("guaranteed"):
            continue
        with solara.Div(classes=[f"landsim-lever-{name}"]):
            if lever.kind == "select":
                items = [{"text": tr(f"rule.{c}", lang), "value": c} for c in lever.choices]
                solara.v.Select(
                    label=tr(name, lang),
                    items=items,
                    v_model=values[name],
                    on_v_model=setter(name),
                    dense=True,
                )
            elif lever.kind == "int":
                solara.SliderInt(
                    _lever_label(name, values[name], lang),
                    value=int(values[name]),
                    min=int(lever.lo),
                    max=int(lever.hi),
                    step=int(lever.step),
                    on_value=setter(name),
                )
            else:
                solara.SliderFloat(
                    _lever_label(name, values[name], lang),
                    value=float(values[name]),
                    min=lever.lo,
                    max=lever.hi,
                    step=lever.step,
                    on_value=setter(name),
                )
        if name == "member_share":
            solara.Text(
                tr(
                    "profit_split",
                    lang,
                    reserve=values["reserve_share"],
                    collective=values["collective_share"],
                ),
                style={"font-size": "13px", "color": "#555"},
            )

    def set_seed(value):
        guarded(lambda: session.set_seed(value))

    solara.InputInt(
        tr("seed", lang), value=session.seed, on_value=set_seed, classes=["landsim-seed"]
    )


@solara.component
def RunCard(session: Session, shown, playing, error, lang: str, on_reset, on_step):
    """The year, Reset, Play/Pause and Step, and the last error.

    It reads ``shown``, the stamp that :func:`LiveModelView` has drawn, so it redraws after the
    map and the charts (the year it shows is never ahead of them), and a step redraws this card
    and the model view, not the whole page: the page itself reads neither stamp.
    """
    shown.value  # noqa: B018 - read to redraw after the model view
    with solara.Card(tr("run", lang)):
        solara.Text(
            tr("year_of", lang, year=session.year, years=session.horizon),
            classes=["landsim-year"],
        )
        with solara.Row():
            solara.Button(
                tr("reset", lang), on_click=on_reset, color="primary", classes=["landsim-reset"]
            )
            solara.Button(
                tr("pause", lang) if playing.value else tr("play", lang),
                on_click=lambda: playing.set(not playing.value),
                color="primary",
                classes=["landsim-play"],
            )
            solara.Button(
                tr("step", lang),
                on_click=on_step,
                color="primary",
                disabled=playing.value,
                classes=["landsim-step"],
            )
        if session.year >= session.horizon:
            solara.Text(tr("end_of_run", lang, years=session.horizon), style={"font-size": "13px"})
        if error.value:
            solara.Error(error.value, classes=["landsim-error"])
        RefusalNotice(lang)


@solara.component
def LiveModelView(session: Session, layer: str, lang: str, stamp, shown):
    """:func:`~landsim.app.views.ModelView`, redrawn whenever the reactive ``stamp`` changes;
    once drawn, it hands the stamp on to ``shown`` (the run card's cue)."""
    ModelView(session, layer, lang, stamp.value)
    solara.use_effect(lambda: shown.set(stamp.value), [stamp.value])


@solara.component
def Page():
    """One browser tab: its own session, language, map layer and lesson."""
    router = solara.use_router()
    # the address's search part reaches the server a moment after the first render
    asked = _tab_in(router.search)
    session, tab = solara.use_memo(lambda: _open_tab(asked), [asked])
    solara.use_effect(lambda: _show_tab(router, tab), [tab, router.search])
    stamp = solara.use_reactive(0)  # bumped whenever a model or a control changed
    # the stamp the model view has drawn: the run card follows it, so that the year it shows
    # never runs ahead of the map and the charts
    shown = solara.use_reactive(0)
    # bumped when a control changed, not when the runs stepped: the lever panel redraws only
    # then (a step changes no lever; redrawing its sliders was a third of a step's time)
    controls = solara.use_reactive(0)
    lang = solara.use_reactive("en")
    layer = solara.use_reactive("operator")
    lesson_id = solara.use_reactive(None)
    editing = solara.use_reactive(0)  # which run the lever panel edits in compare mode
    playing = solara.use_reactive(False)
    error = solara.use_reactive(None)
    titles = solara.use_memo(scenario_titles, [])
    lg = lang.value

    def changed(step: bool = False):
        _keep(session, tab)
        if not step:
            controls.value += 1
        stamp.value += 1

    def guarded(action, step: bool = False):
        try:
            action()
            error.value = None
        except UserError as exc:  # a refused value or an invalid scenario file: its message
            playing.value = False
            error.value = str(exc)
            step = False
        except Exception as exc:  # shown on the page: a teacher must see what went wrong
            traceback.print_exc()
            playing.value = False
            error.value = f"{type(exc).__name__}: {exc}"
            step = False
        changed(step)

    def refused(message):
        playing.value = False
        error.value = message
        changed()

    def only(reactive, allowed, what):
        """A setter for a toggle that takes only the values the page offers."""

        def set_value(value):
            def check():
                if value not in allowed:
                    raise RefusedInput(f"{what}: a value the page does not offer was refused")
                reactive.set(value)

            guarded(check)

        return set_value

    def do_step():
        guarded(session.step, step=True)

    def do_reset():
        playing.value = False
        guarded(session.reset)

    def play():
        """While Play is on, a thread steps the runs; Pause, a new Play or a closed tab stop it.

        Not ``solara.lab.use_task``: each call registers a kernel-start callback that is never
        removed and holds the loop, so every tab's models stayed in memory for good.
        """
        if not playing.value:
            return None
        stop = threading.Event()
        closed = solara.kernel_closed_event()

        def loop():
            generation = session.generation
            stop_at = session.horizon if session.year < session.horizon else None
            while playing.value and not stop.is_set() and not closed.is_set():
                started = time.monotonic()
                try:
                    if not session.step(generation):
                        return
                except Exception as exc:
                    traceback.print_exc()
                    error.value = f"{type(exc).__name__}: {exc}"
                    playing.value = False
                _keep(session, tab)
                stamp.value += 1  # redraws (synchronously) before the next year
                if stop_at is not None and session.year >= stop_at:
                    playing.value = False
                rest = PLAY_INTERVAL - (time.monotonic() - started)
                if rest > 0 and playing.value:
                    stop.wait(rest)  # the pace of Play (wakes at once on Pause)

        threading.Thread(target=loop, name="landsim-play", daemon=True).start()
        return stop.set

    solara.use_effect(play, [playing.value])

    def open_lesson(lesson: Lesson):
        playing.value = False
        b = (lesson.b.scenario, lesson.b.set) if lesson.b else None
        guarded(lambda: session.setup((lesson.a.scenario, lesson.a.set), b))
        layer.value = lesson.layer
        editing.value = 1 if lesson.b else 0
        lesson_id.value = lesson.id

    def choose(index):
        def on_value(name):
            playing.value = False
            guarded(lambda: session.choose_scenario(index, name))

        return on_value

    def set_compare(on):
        playing.value = False
        guarded(lambda: session.set_compare(on is True))

    solara.Style(CSS)
    solara.Title(tr("title", lg))
    with solara.AppBar():
        solara.AppBarTitle(tr("title", lg))
        for code, label in LANGUAGES.items():
            solara.Button(
                label,
                on_click=lambda code=code: lang.set(code),
                text=code != lg,
                outlined=code == lg,
                classes=[f"landsim-lang-{code}"],
                dark=True,
            )

    with solara.Sidebar():
        with Shield(refused, lg):
            RunCard(session, shown, playing, error, lg, do_reset, do_step)

            with solara.Card(tr("scenario", lg)):
                _scenario_select(session, 0, titles, lg, choose(0))
                solara.Switch(
                    label=tr("compare", lg),
                    value=session.compare,
                    on_value=set_compare,
                    classes=["landsim-compare"],
                )
                if session.compare:
                    _scenario_select(session, 1, titles, lg, choose(1))
                _timeline_notes(session, lg)

            with solara.Card(tr("levers", lg)):
                index = editing.value if session.compare else 0
                if session.compare:
                    with solara.ToggleButtonsSingle(
                        value=index,
                        on_value=only(editing, (0, 1), "run to edit"),
                        classes=["landsim-edit-run"],
                    ):
                        for i, key in enumerate(("scenario_a", "scenario_b")):
                            solara.Button(
                                tr(key, lg), value=i, text=True, classes=[f"landsim-edit-{'ab'[i]}"]
                            )
                LeverControls(session, index, lg, controls.value, guarded)
                pending = session.pending
                solara.Text(
                    tr("levers_pending" if pending else "levers_applied", lg),
                    classes=["landsim-pending" if pending else "landsim-applied"],
                    style={"font-size": "13px", "color": "#b71c1c" if pending else "#555"},
                )

            with solara.Card(tr("lessons", lg)):
                for lesson in LESSONS:
                    solara.Button(
                        f"{lesson.order}. {lesson.title(lg)}",
                        on_click=lambda lesson=lesson: open_lesson(lesson),
                        text=True,
                        classes=["landsim-open-lesson", f"landsim-open-{lesson.id}"],
                        style={
                            "white-space": "normal",
                            "text-align": "left",
                            "height": "auto",
                            "text-transform": "none",
                            "padding": "4px",
                        },
                    )

    open_one = next((x for x in LESSONS if x.id == lesson_id.value), None)
    with Shield(refused, lg):
        with solara.Columns([3, 2] if open_one else [1]):
            with solara.Column():
                with solara.ToggleButtonsSingle(
                    value=layer.value,
                    on_value=only(layer, tuple(LAYERS), "map layer"),
                    classes=["landsim-layers"],
                ):
                    for x in LAYERS:
                        solara.Button(
                            tr(f"layer.{x}", lg), value=x, text=True, classes=[f"landsim-layer-{x}"]
                        )
                LiveModelView(session, layer.value, lg, stamp, shown)
            if open_one:
                LessonPanel(
                    open_one,
                    lg,
                    on_restart=lambda: open_lesson(open_one),
                    on_close=lambda: lesson_id.set(None),
                )


def _tab_in(search: str | None) -> str:
    """The tab id in the address's search part (``tab=ID``), or ""."""
    return (parse_qs(search or "").get("tab") or [""])[0]


def _open_tab(asked: str) -> tuple[Session, str]:
    """The session of tab ``asked`` (the id in the address) if it was saved, else a new one
    (with a new id if ``asked`` is not one); saved tabs past their time or beyond the caps are
    deleted first. A tab open in another page right now is copied under a new id, so that two
    pages never write one tab."""
    folder = tabs_dir()
    with _claims_lock:
        live = {t for t, k in _claims.items() if k in kernel_context.contexts}
        for t in set(_claims) - live:
            del _claims[t]
    try:
        purge_tabs(folder, spare=live)
    except OSError:
        traceback.print_exc()
    me = _kernel_id()
    tab = asked if TAB_ID.fullmatch(asked) else secrets.token_hex(16)
    session = Session.restore(folder, tab) if tab == asked else None
    with _claims_lock:
        copied = _claims.get(tab, me) != me
        if copied:  # another page holds this tab: a copy, with a new id
            tab = secrets.token_hex(16)
        _claims[tab] = me
    if copied and session is not None:
        _keep(session, tab)  # the address changes to the copy's id, which must open it
    return session or _new_session(), tab


#: saved tab id -> the page (kernel id) that writes it
_claims: dict[str, str] = {}
_claims_lock = threading.Lock()


def _kernel_id() -> str:
    try:
        return solara.get_kernel_id()
    except Exception:  # noqa: BLE001 - a page rendered outside a server (tests)
        return "no-kernel"


def _show_tab(router, tab: str) -> None:
    """Put the tab's id into the address, so that reloading it after a restart restores it."""
    if f"tab={tab}" not in (router.search or ""):
        try:
            router.push(f"{router.path or '/'}?tab={tab}")
        except Exception:  # no address bar to write to (a page rendered outside a server)
            traceback.print_exc()


def _keep(session: Session, tab: str) -> None:
    """Save the tab; a failure (a full disk) is reported on the console, never on the page."""
    try:
        session.save(tabs_dir(), tab)
    except Exception:  # the lesson goes on without a saved copy
        traceback.print_exc()


def _new_session() -> Session:
    names = scenario_names()  # baseline first, or the server's region (landsim app --region)
    return Session(names[0] if names else "baseline")


def _scenario_select(session: Session, index: int, titles: dict[str, str], lang: str, on_value):
    run = session.runs[index]
    titles = titles if run.scenario in titles else {**titles, run.scenario: run.title}
    items = [{"text": scenario_label(n, lang, t), "value": n} for n, t in titles.items()]
    solara.v.Select(
        label=tr("scenario_a" if index == 0 else "scenario_b", lang)
        if session.compare
        else tr("scenario", lang),
        items=items,
        v_model=run.scenario,
        on_v_model=on_value,
        dense=True,
        class_=f"landsim-scenario-{'ab'[index]}",
    )


def _timeline_notes(session: Session, lang: str):
    """The dated events of the scenarios on screen (they happen whatever the levers say)."""
    for i, run in enumerate(session.active):
        for event in run.base.timeline:
            prefix = f"{'AB'[i]} · " if session.compare else ""
            note = event.note or ", ".join(f"{k} = {v}" for k, v in event.set.items())
            solara.Text(
                f"{prefix}{tr('timeline_year', lang, year=event.year)}: {note}",
                style={"font-size": "13px", "color": "#555", "display": "block"},
                classes=["landsim-timeline"],
            )
