"""What the page shows of the models: maps with legend, outcome figures, charts, the lesson.

Each component takes plain values (the session, the language, the map layer, a ``stamp`` that
changes whenever a model changed) and draws; none of them changes state. Images are re-encoded
only when their run's model moved on (memoized on the session generation and the year). The
money flows of year 0 (before the first season) are shown as missing, not as zero; every line
of a chart is named. :func:`levers_in_use` says which levers a scenario's town uses (a town
with no co-ops has no use for a benefit-sharing rule).
"""

from __future__ import annotations

import html
import math
import re

import markdown
import solara

from landsim.app.charts import CHARTS, RUN_COLOURS, chart_svg, without_year0_flows
from landsim.app.charts import legend_html as chart_legend
from landsim.app.i18n import scenario_label, tr
from landsim.app.lessons import SECTIONS, Lesson
from landsim.app.mapview import legend, map_png
from landsim.app.session import Run, Session

__all__ = ["ModelView", "LessonPanel", "CSS", "levers_in_use", "COOP_LEVERS", "FIRM_LEVERS"]

#: levers that mean something only where co-ops are founded, or where the service firm works
COOP_LEVERS = (
    "benefit_rule",
    "fixed_rent",
    "guaranteed_rent",
    "member_share",
    "subsidy_per_mu",
    "subsidy_years",
    "audit_rate",
)
FIRM_LEVERS = ("custody_price",)

RUN_LETTERS = ("A", "B")

#: the page's own styles (classes prefixed ``landsim-``)
CSS = """
.landsim-map img, img.landsim-map { image-rendering: pixelated; max-width: 100%; height: auto;
  border: 1px solid #222; }
.landsim-legend { display: flex; flex-wrap: wrap; gap: 4px 14px; font-size: 14px;
  margin: 6px 0; align-items: center; }
.landsim-swatch { display: inline-block; width: 16px; height: 16px; border: 1px solid #555;
  vertical-align: middle; margin-right: 5px; }
.landsim-ramp { display: inline-block; width: 140px; height: 14px; border: 1px solid #555;
  vertical-align: middle; margin: 0 5px; }
.landsim-charts { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 6px 12px; }
.landsim-chart-title { font-size: 13px; font-weight: 600; line-height: 1.2; min-height: 2.4em; }
svg.landsim-chart { display: block; max-width: 100%; height: auto; }
.landsim-kpis { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr));
  gap: 2px 12px; font-size: 13px; margin: 4px 0; line-height: 1.25; }
.landsim-kpis b { font-size: 16px; }
.landsim-run-title { font-size: 18px; font-weight: 600; }
.landsim-lesson { font-size: 15px; line-height: 1.45; max-height: 82vh; overflow-y: auto;
  padding-right: 6px; }
.landsim-lesson h2 { font-size: 21px; margin: 4px 0 6px; }
.landsim-lesson h3 { font-size: 16px; margin: 12px 0 4px; color: #b71c1c; }
.landsim-lesson ul, .landsim-lesson ol { padding-left: 20px; }
.landsim-year { font-size: 20px; font-weight: 600; }
/* solara's sidebar is "min-content" wide while the main area is padded by a fixed 400px: a
   long scenario title would widen the sidebar over the map, so fix its width */
.v-navigation-drawer.solara-content-main { width: 400px !important; }
.v-navigation-drawer__content { overflow-x: hidden; }
.landsim-open-lesson { max-width: 100%; }
.landsim-open-lesson .v-btn__content { white-space: normal; max-width: 100%; }
/* the map-layer toggle and the lesson's buttons wrap instead of running out of their column
   (a lesson open beside the map on a 1366 x 768 projector) */
.landsim-layers.v-btn-toggle { flex-wrap: wrap; max-width: 100%; }
.landsim-layers .v-btn { height: auto !important; min-height: 36px; }
.landsim-layers .v-btn__content, .landsim-lesson-card .v-btn__content { white-space: normal; }
.landsim-lesson-buttons { flex-wrap: wrap !important; }
.landsim-lesson-card .v-btn { max-width: 100%; height: auto !important; min-height: 36px; }
.landsim-chart-legend { display: flex; flex-wrap: wrap; gap: 2px 12px; font-size: 12px; }
.landsim-chart-legend svg { vertical-align: middle; margin-right: 3px; }
"""


def levers_in_use(params) -> set[str]:
    """The levers of the page that the town of ``params`` uses: the co-op's levers only where
    co-ops are founded (now or by a dated event), the custody price only where the service
    firm works."""
    events = [e.set for e in params.timeline]
    coops = params.levers.coop_founding != "none" or any(
        s.get("levers.coop_founding", "none") != "none" for s in events
    )
    firm = params.levers.firm_enabled or any(s.get("levers.firm_enabled") for s in events)
    hidden = (() if coops else COOP_LEVERS) + (() if firm else FIRM_LEVERS)
    from landsim.app.session import LEVER_NAMES

    return set(LEVER_NAMES) - set(hidden)


def _kpis(run: Run, lang: str) -> str:
    df = without_year0_flows(run.model.outcomes())
    if df.empty:
        return f'<div class="landsim-kpis landsim-no-data">{html.escape(tr("no_data", lang))}</div>'
    last = df.iloc[-1]

    def shown(column: str, spec: str) -> str:  # money flows are missing before year 1
        return "–" if math.isnan(last[column]) else format(last[column], spec)

    items = (
        ("abandonment", shown("abandonment_rate", ".1%")),
        ("income", shown("household_income_mean", ",.0f")),
        ("income65", shown("household_income_65plus", ",.0f")),
        ("participation", shown("participation_rate", ".0%")),
        ("collective", shown("collective_income_mean", ",.0f")),
        ("coops", shown("coops_active", ".0f")),
    )
    spans = "".join(
        f'<span class="landsim-kpi-{key}"><b>{value}</b> {html.escape(tr("kpi." + key, lang))}'
        "</span>"
        for key, value in items
    )
    return f'<div class="landsim-kpis">{spans}</div>'


def legend_html(layer: str, lang: str, boundaries: bool = True, region: bool = False) -> str:
    """The legend of a map of ``layer`` as HTML in ``lang`` (``boundaries``: the map draws
    village boundaries; ``region``: it draws a region's cells that are not farmland)."""
    parts = []
    for item in legend(layer, region):
        label = html.escape(tr(item.key, lang))
        if item.ticks:
            lo, mid, hi = item.ticks
            ramp = f'<span class="landsim-ramp" style="background:{item.css}"></span>'
            parts.append(f"<span>{lo}{ramp}{hi} &nbsp;{label}</span>")
        elif item.css:
            box = f'<span class="landsim-swatch" style="background:{item.css}"></span>'
            parts.append(f"<span>{box}{label}</span>")
        else:
            parts.append(f"<span><i>{label}</i></span>")
    if boundaries:
        parts.append(f"<span><i>{html.escape(tr('boundaries', lang))}</i></span>")
    return f'<div class="landsim-legend landsim-legend-{layer}">{"".join(parts)}</div>'


@solara.component
def RunMap(session: Session, index: int, layer: str, lang: str, stamp: int):
    """Title, outcome figures and map of run ``index``."""
    run = session.runs[index]
    model = run.model
    key = [session.generation, index, model.year, layer]
    png = solara.use_memo(lambda: map_png(model, layer), key)
    letter = RUN_LETTERS[index]
    with solara.Column(gap="4px", classes=[f"landsim-run-{letter.lower()}"]):
        title = scenario_label(run.scenario, lang, run.title)
        if session.compare:
            title = f"{letter}: {title}"
        solara.HTML(
            tag="div",
            unsafe_innerHTML=html.escape(title),
            classes=["landsim-run-title"],
            style={"color": RUN_COLOURS[index]} if session.compare else {},
        )
        if not run.found and run.scenario:
            solara.Warning(tr("missing_scenario", lang, name=run.scenario), dense=True)
        solara.HTML(tag="div", unsafe_innerHTML=_kpis(run, lang))
        solara.Image(png, classes=["landsim-map", f"landsim-map-{letter.lower()}"])


@solara.component
def Charts(session: Session, lang: str, stamp: int):
    """The outcome charts of the runs on screen (A blue, B red)."""
    runs = session.active
    # the flows of year 0 are undefined (no season yet): a gap, not a drop to zero
    frames = [without_year0_flows(r.model.outcomes()) for r in runs]
    key = [session.generation, session.compare, session.year, lang]
    svgs = solara.use_memo(
        lambda: [chart_svg(c, frames, session.horizon, lang) for c in CHARTS], key
    )
    names = [
        (f"{RUN_LETTERS[i]}: " if session.compare else "")
        + scenario_label(r.scenario, lang, r.title)
        for i, r in enumerate(runs)
    ]
    if session.compare:
        line = " · ".join(
            f'<span style="color:{RUN_COLOURS[i]}">━ {html.escape(n)}</span>'
            for i, n in enumerate(names)
        )
        solara.HTML(tag="div", unsafe_innerHTML=line, classes=["landsim-legend"])
    with solara.Div(classes=["landsim-charts"]):
        for chart, svg in zip(CHARTS, svgs, strict=True):
            with solara.Div():
                solara.HTML(
                    tag="div",
                    unsafe_innerHTML=html.escape(tr(f"chart.{chart.id}", lang)),
                    classes=["landsim-chart-title"],
                )
                solara.HTML(tag="div", unsafe_innerHTML=chart_legend(chart, names, lang))
                solara.HTML(tag="div", unsafe_innerHTML=svg)


@solara.component
def ModelView(session: Session, layer: str, lang: str, stamp: int):
    """Maps (one per run on screen) with their legend, then the charts."""
    runs = range(len(session.active))
    with solara.Columns([1] * len(runs)):
        for i in runs:
            RunMap(session, i, layer, lang, stamp)
    region = any(session.runs[i].model.params.world.is_region for i in runs)
    solara.HTML(tag="div", unsafe_innerHTML=legend_html(layer, lang, region=region))
    Charts(session, lang, stamp)


_LIST_ITEM = re.compile(r"^(\s*[-*]\s|\s*\d+\.\s)")
_CJK = "\u3000-\u303f\u4e00-\u9fff\uff00-\uffef"
#: a space between a Chinese character and ``**`` (either order)
_CJK_SPACE = re.compile(rf"(?<=[{_CJK}]) (?=\*\*)|(?<=\*\*) (?=[{_CJK}])")


def unwrap(text: str, lang: str) -> str:
    """Join the wrapped lines of each paragraph or list item.

    Chinese lines are joined with no space: Markdown would put one between two characters at
    every line break.
    """
    joiner = "" if lang == "zh" else " "
    if lang == "zh":  # the lesson files put spaces around bold words; Chinese needs none
        text = _CJK_SPACE.sub("", text)
    lines: list[str] = []
    for line in text.splitlines():
        if lines and lines[-1].strip() and line.strip() and not _LIST_ITEM.match(line):
            lines[-1] = lines[-1].rstrip() + joiner + line.strip()
        else:
            lines.append(line)
    return "\n".join(lines)


def lesson_html(lesson: Lesson, lang: str) -> str:
    """The lesson's text as HTML: title, summary, then each section under its heading."""
    text = lesson.text[lang]
    parts = [f"<h2>{html.escape(text['title'])}</h2>", markdown.markdown(text["summary"])]
    for section in SECTIONS:
        parts.append(f'<h3 class="landsim-section-{section}">{html.escape(tr(section, lang))}</h3>')
        parts.append(markdown.markdown(unwrap(text[section], lang)))
    return "".join(parts)


@solara.component
def LessonPanel(lesson: Lesson, lang: str, on_restart, on_close):
    """The open lesson beside the model, with Restart and Close buttons."""
    with solara.Card(classes=["landsim-lesson-card"]):
        with solara.Row(classes=["landsim-lesson-buttons"]):
            solara.Button(
                tr("lesson_reload", lang),
                on_click=on_restart,
                text=True,
                classes=["landsim-lesson-restart"],
            )
            solara.Button(
                tr("lesson_close", lang),
                on_click=on_close,
                text=True,
                classes=["landsim-lesson-close"],
            )
        solara.HTML(
            tag="div",
            unsafe_innerHTML=lesson_html(lesson, lang),
            classes=["landsim-lesson", f"landsim-lesson-{lesson.id}"],
        )
