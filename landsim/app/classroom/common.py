"""What the classroom's pages share: who the browser is, following a class, the language switch,
and drawing text, tables, maps and charts.

* :func:`browser`, :func:`query`, :func:`teacher_key` — the browser's session, the address's
  query, and a teacher's key from its HttpOnly cookie;
* :func:`use_follow` — redraw a page when its class changes. A page's watcher sleeps on the
  class's condition variable until something happens (a decision, a new year, the timer
  paused); only while a round timer runs does it wake each second, to redraw the countdown
  (and, on the teacher's page, to close the round when the time is up). A page that closes
  wakes its watcher, which ends;
* :func:`lang_switch`, :func:`html_text`, :func:`picker`, :func:`table`, :func:`fmt`,
  :func:`map_legend`, :func:`charts` — small drawing helpers.
"""

from __future__ import annotations

import html
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, unquote

import solara
import solara.lab

from landsim.app.charts import CHARTS, chart_svg, legend_html
from landsim.app.classroom.room import ClassError, Classroom
from landsim.app.classroom.text import t
from landsim.app.i18n import LANGUAGES
from landsim.app.views import legend_html as map_legend_html

__all__ = [
    "browser",
    "query",
    "teacher_key",
    "use_follow",
    "lang_switch",
    "html_text",
    "picker",
    "table",
    "fmt",
    "map_legend",
    "charts",
    "TICK",
    "TEACHER_REDRAW",
]

#: how often a page wakes while a round timer runs, to redraw the countdown (seconds)
TICK = 1.0
#: shortest time between two redraws of the teacher's page while answers arrive (seconds)
TEACHER_REDRAW = 0.3


def browser() -> str | None:
    """This browser's Solara session id (a cookie the server set; it lasts across reloads and
    tabs of the same browser), or None outside a served page."""
    try:
        return solara.get_session_id()
    except Exception:  # noqa: BLE001 - no kernel context (a page rendered in a test)
        return None


def query() -> dict[str, str]:
    """The address's query (first value of each key, at most 200 characters)."""
    router = solara.use_router()
    return {k: v[0][:200] for k, v in parse_qs(router.search or "").items()}


def teacher_key(code: str) -> str | None:
    """The teacher's key of class ``code`` from its HttpOnly cookie, if this browser has it."""
    from landsim.app.server import teacher_cookie

    try:
        cookies = solara.lab.cookies.value or {}
    except Exception:  # noqa: BLE001 - no kernel context (a page rendered in a test)
        return None
    value = cookies.get(teacher_cookie(code)) if code.isalnum() else None
    return unquote(value) if isinstance(value, str) else None


def use_follow(room: Classroom | None, counter: str, teacher: bool = False) -> int:
    """Redraw when ``room``'s ``counter`` ("version" or "round") moves, and each second while
    a round timer runs; on the teacher's page, also close the round when its time is up.
    Returns a number that changes at each redraw."""
    seen = solara.use_reactive(0)
    tick = solara.use_reactive(0)

    def start() -> Callable[[], None] | None:
        if room is None:
            return None
        stop = threading.Event()

        def watch() -> None:
            value = getattr(room, counter)
            while not stop.is_set():
                deadline = room.deadline
                wait = None if deadline is None else min(TICK, max(0.05, deadline - time.time()))
                value = room.wait(value, wait, counter)  # asleep until something happens
                if stop.is_set():
                    return
                seen.value = value
                if room.deadline is not None:
                    tick.value = int(time.time())
                year, deadline = room.year, room.deadline
                if teacher and deadline is not None and time.time() >= deadline:
                    try:
                        room.advance(year)  # a year closed meanwhile is not closed again
                    except ClassError:
                        pass
                if teacher:  # forty answers in a second redraw the roster a few times
                    stop.wait(TEACHER_REDRAW)

        threading.Thread(target=watch, name="landsim-follow", daemon=True).start()

        def cleanup() -> None:
            stop.set()
            room.wake()

        return cleanup

    solara.use_effect(start, [room])
    return seen.value + tick.value


def lang_switch(lang: str, choose: Callable[[str], None]) -> None:
    """The language buttons of the app bar (each language named in itself)."""
    with solara.Div(classes=["landsim-lang-switch"]):
        for code, label in LANGUAGES.items():
            solara.Button(
                label,
                on_click=lambda code=code: choose(code),
                text=code != lang,
                outlined=code == lang,
                classes=[f"landsim-lang-{code}"],
                dark=True,
            )


def html_text(text: str, cls: str, tag: str = "div") -> None:
    """``text`` (escaped) in an element of class ``cls``."""
    solara.HTML(tag=tag, unsafe_innerHTML=html.escape(text), classes=[cls])


def picker(label: str, items: list, value, cls: str, **extra: Any) -> None:
    """A drop-down list labelled ``label`` of ``items`` (``{"text", "value"}`` or plain
    values) bound to the reactive ``value``; ``cls`` names it for tests and styles."""
    solara.v.Select(
        label=label,
        items=items,
        v_model=value.value,
        on_v_model=value.set,
        class_=cls,
        **extra,
    )


def table(
    header: list[str],
    rows: list[list[Any]],
    cls: str,
    total: list[Any] | None = None,
    cell_classes: list[list[str]] | None = None,
) -> None:
    """A table (in a box that scrolls sideways rather than widening a phone's page); ``total``
    is a last row drawn as a sum."""

    def cells(row: list[Any], classes: list[str] | None = None) -> str:
        classes = classes or [""] * len(row)
        return "".join(
            f'<td class="{c}">{html.escape(str(x))}</td>' for x, c in zip(row, classes, strict=True)
        )

    head = "".join(f"<th>{html.escape(h)}</th>" for h in header) if any(header) else ""
    body = "".join(
        f"<tr>{cells(row, cell_classes[i] if cell_classes else None)}</tr>"
        for i, row in enumerate(rows)
    )
    if total is not None:
        body += f'<tr class="landsim-total">{cells(total)}</tr>'
    thead = f"<thead><tr>{head}</tr></thead>" if head else ""
    solara.HTML(
        tag="div",
        unsafe_innerHTML=f'<table class="landsim-table {cls}">{thead}<tbody>{body}</tbody></table>',
        classes=["landsim-scroll"],
    )


def fmt(key: str, value: float) -> str:
    """An outcome's value as the pages show it (a share in %, else a whole number); a
    missing value as a dash."""
    if value != value:  # NaN
        return "–"
    if key.endswith(("_rate", "_share")):
        return f"{value:.1%}"
    return f"{value:,.0f}"


def map_legend(lang: str) -> None:
    """What the colours of a class map mean (who farms each plot)."""
    solara.HTML(tag="div", unsafe_innerHTML=map_legend_html("operator", lang, boundaries=False))


def charts(frames: list, runs: list[str], horizon: int, lang: str, key: list) -> None:
    """The outcome charts of ``frames`` (one per run, named ``runs``), every line named."""
    svgs = solara.use_memo(
        lambda: [chart_svg(c, frames, horizon, lang) for c in CHARTS], [*key, lang]
    )
    with solara.Div(classes=["landsim-charts"]):
        for chart, svg in zip(CHARTS, svgs, strict=True):
            with solara.Div():
                html_text(t(f"chart.{chart.id}", lang), "landsim-chart-title")
                solara.HTML(tag="div", unsafe_innerHTML=legend_html(chart, runs, lang))
                solara.HTML(tag="div", unsafe_innerHTML=svg)
