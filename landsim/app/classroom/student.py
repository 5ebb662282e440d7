"""The students' pages at ``/join``: join a class, then play a household, a village's Party
branch secretary, or the town government.

A student types the class code and their name, picks a role and a language; the page then
lives at ``/join?code=...``. The student's seat is the browser they joined from (Solara's
HttpOnly session cookie): a reload, or typing name and code again there, gives the same role,
in the language the student last chose. Every control says, where it sits, what it does; a
household sees each plot's size and terrain, what each way of using it would bring this year,
and what happened to it last year and why (:mod:`~landsim.app.classroom.reports`).
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np
import solara

from landsim.app.app import RefusalNotice
from landsim.app.classroom import reports
from landsim.app.classroom.common import (
    browser,
    fmt,
    html_text,
    lang_switch,
    map_legend,
    picker,
    query,
    table,
    use_follow,
)
from landsim.app.classroom.forms import (
    HouseholdForm,
    SendDecision,
    answer,
    household_decision,
    send_texts,
)
from landsim.app.classroom.qr import outlined_map_svg
from landsim.app.classroom.registry import REGISTRY
from landsim.app.classroom.reports import TOWN_METRICS, class_outcomes
from landsim.app.classroom.room import ClassError, Classroom, Role
from landsim.app.classroom.style import CLASS_CSS
from landsim.app.classroom.text import t
from landsim.app.i18n import LANGUAGES
from landsim.app.views import CSS
from landsim.decisions import BRANCH_LEVERS, GOVERNMENT_LEVERS
from landsim.params import SHARING_RULES

__all__ = ["StudentPage", "StudentView", "HouseholdView", "BranchView", "GovernmentView"]

STUDENT_CSS = """
.landsim-student-grid { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr);
  gap: 8px 24px; }
@media (max-width: 800px) { .landsim-student-grid { grid-template-columns: minmax(0, 1fr); } }
"""


def role_label(kind: str, index: int, lang: str) -> str:
    """A role as the pages name it ("Household 12", "Party branch, village 1", ...)."""
    return t(f"role.{kind}", lang, index=index)


@solara.component
def StudentPage():
    """Join a class, then play one role (see the module docstring)."""
    router = solara.use_router()
    q = query()
    chosen = solara.use_reactive(None)  # the language this page's student picked here
    code = solara.use_reactive(q.get("code", ""))
    name = solara.use_reactive("")
    wish = solara.use_reactive("household")
    error = solara.use_reactive(None)  # a ClassError, worded in the page's language
    room, role = None, None
    if q.get("code"):
        try:
            room = REGISTRY.get(q["code"])
            role = room.role_for_browser(browser())
        except ClassError as exc:
            room, role = None, None
            error.value = error.value or exc
    asked = q.get("lang") if q.get("lang") in LANGUAGES else "en"
    picked = chosen.value  # read on every render: a new choice re-renders the page
    lang = role.lang if role is not None else (picked or asked)

    def choose(code_: str) -> None:
        if role is not None:  # first: the page re-renders with the role's language
            room.set_lang(role, code_)
        chosen.set(code_)

    def join():
        try:
            r = REGISTRY.get(code.value)
            r.join(name.value, wish.value, lang, browser=browser())
        except ClassError as exc:
            error.value = exc
            return
        error.value = None
        # no name and no secret in the address: this browser is the student's seat
        router.push(f"/join?code={r.code}")

    solara.Style(CSS + CLASS_CSS + STUDENT_CSS)
    solara.Title(t("title", lang))
    with solara.AppBar():
        solara.AppBarTitle(t("title", lang))
        lang_switch(lang, choose)
    RefusalNotice(lang)
    if room is None or role is None:
        with solara.Card(t("join_title", lang), style={"max-width": "520px"}):
            solara.InputText(t("code", lang), value=code, classes=["landsim-join-code"])
            solara.InputText(t("your_name", lang), value=name, classes=["landsim-join-name"])
            html_text(t("i_play", lang), "landsim-help")
            with solara.ToggleButtonsSingle(value=wish, classes=["landsim-join-wish"]):
                for w in ("household", "branch", "government"):
                    solara.Button(
                        t(f"wish.{w}", lang), value=w, text=True, classes=[f"landsim-wish-{w}"]
                    )
            html_text(t(f"wish_help.{wish.value}", lang), "landsim-help")
            solara.Button(t("join", lang), on_click=join, color="primary", classes=["landsim-join"])
            if error.value:
                solara.Error(error.value.text(lang), classes=["landsim-error"])
        return
    StudentView(room, role, lang)


@solara.component
def StudentView(room: Classroom, role: Role, lang: str):
    """The page of one joined student."""
    use_follow(room, "round")
    year = room.year
    if room.roles.get(role.name) is not role:  # the teacher freed this seat
        solara.Warning(t("seat_freed", lang), classes=["landsim-seat-freed"])
        return
    you = t("you_are", lang, name=role.name, role=role_label(role.kind, role.index, lang))
    html_text(you, "landsim-you")
    html_text(year_text(room, lang), "landsim-year")
    if room.ended:
        solara.Info(t("ended", lang), classes=["landsim-ended"])
    elif room.finished:
        solara.Info(t("all_played", lang), classes=["landsim-ended"])
    if role.kind == "household":
        # not remounted each year (forty pages would rebuild every control at once): its
        # state is kept by year
        HouseholdView(room, role, lang, year)
    else:  # keyed by the year: a new year starts with fresh controls
        view = BranchView if role.kind == "branch" else GovernmentView
        view(room, role, lang, year).key(f"{role.kind}-{year}")


def year_text(room: Classroom, lang: str) -> str:
    """The year line: "Year 2 of 3" while the class plays (the year being decided), then
    "3 of 3 years played"."""
    if room.finished:
        return t("years_played", lang, years=room.years)
    return t("year", lang, year=room.year + 1, years=room.years)


# ---------------------------------------------------------------------- household
@solara.component
def HouseholdView(room: Classroom, role: Role, lang: str, year: int):
    """Members and labour, last year's income, each plot and its choices, the map."""
    view = reports.household_view(room, role.index)
    mine = np.array([p["plot"] for p in view["plots"]], dtype=np.int64)
    svg = outlined_map_svg(room.town, mine, "landsim-map landsim-student-map")
    if not view["alive"]:
        solara.Warning(t("died_out", lang))
        return
    members = t("list_sep", lang).join(
        t("member_away" if m["away"] else "member", lang, age=m["age"]) for m in view["members"]
    )
    lines = [
        ("section", t("members", lang)),
        ("members", members),
        (
            "field-days",
            t("field_days", lang, days=view["field_days"], n=view["plots_you_can_farm"]),
        ),
    ]
    for plot in view["leased_in"]:
        key = "leased_in_kin" if plot["kin"] else "leased_in"
        lines.append(("leased-in", t(key, lang, plot=plot["plot"], who=plot["holder"],
                                     rent=plot["rent"])))  # fmt: skip
    form = household_form(room, view, lang, year)
    choices = tuple(view["options"])
    with solara.Div(classes=["landsim-student-grid"]):
        with solara.Div():
            # the page's text in one widget: forty pages redraw at each new year
            solara.HTML(
                tag="div",
                unsafe_innerHTML="".join(
                    f'<div class="landsim-{cls}">{html.escape(text)}</div>' for cls, text in lines
                ),
                classes=["landsim-household"],
            )
            Income(view, lang)
            html_text(t("decide_plots", lang), "landsim-section")
            HouseholdForm.element(
                **send_texts(room, role, lang, year),
                form=form,
                submit=lambda data: answer(
                    room, role, lang, year, lambda: household_decision(data, choices)
                ),
            )
        with solara.Div():
            html_text(t("your_plots_map", lang), "landsim-section")
            solara.HTML(tag="div", unsafe_innerHTML=svg)
            map_legend(lang)


@solara.component
def Income(view: dict[str, Any], lang: str):
    """Last year's income, line by line, and the total they add up to."""
    html_text(t("income", lang), "landsim-section")
    if not view["income"]:
        html_text(t("no_income", lang), "landsim-income")
        return
    rows = [[t(f"src.{k}", lang), f"{v:,.0f}"] for k, v in view["income"]]
    total = [t("income_total", lang), f"{view['income_total']:,.0f}"]
    table(["", ""], rows, "landsim-income", total=total)


def _years(span: tuple[int, int], lang: str) -> str:
    """A lease's term: ``n`` years, or ``lo``-``hi`` years."""
    lo, hi = span
    return t("years_n", lang, n=lo) if lo == hi else t("years_range", lang, lo=lo, hi=hi)


def household_form(room: Classroom, view: dict[str, Any], lang: str, year: int) -> dict:
    """What the :class:`~landsim.app.classroom.forms.HouseholdForm` shows (see there)."""
    opts = view["options"]
    lease_years = _years(view["lease_years"], lang)
    coop = view["coop"]
    helps = {
        "keep": t("help.keep", lang),
        "lease": t("help.lease", lang, years=lease_years),
        "coop": t(
            "help.coop",
            lang,
            rule=t(f"rule.{coop['rule']}", lang) if coop else "",
            years=_years(view["coop_years"], lang),
        ),
        "custody": t("help.custody", lang),
    }
    plots = []
    for p in view["plots"]:
        label = t(
            "plot_label",
            lang,
            plot=p["plot"],
            mu=p["mu"],
            terrain=t("hilly" if p["hilly"] else "flat", lang),
            q=p["quality"],
        )
        plots.append(
            {
                "plot": p["plot"],
                "label": label,
                "last": last_year(p["last"], lang),
                "idle": p["last"]["use"] == "idle",
                "free": p["free"],
                "lease": "" if p["free"] else t("still_leased", lang, n=p["last"]["years_left"]),
                "choice": view["decision"].get(p["plot"], p.get("default")) if p["free"] else None,
                "days": p["terms"]["keep"]["days"],
                "notes": _notes(p["terms"], view["relatives"], lang),
            }
        )
    engage = None
    if coop:
        engage = {
            "label": t("engage", lang),
            "help": t("engage_help", lang),
            "value": view["engaged"],
        }
    return {
        "year": year,
        "plots": plots,
        "options": [{"value": c, "text": t(f"choice.{c}", lang), "help": helps[c]} for c in opts],
        "days": view["field_days"],
        "days_text": t("days_kept", lang),
        "engage": engage,
        "ended": room.ended or room.finished,
    }


def _notes(terms: dict[str, Any], relatives: int, lang: str) -> dict[str, str]:
    """What each option brings for one plot, in a few words."""
    keep, out = terms["keep"], {}
    out["keep"] = t("note.keep", lang, net=keep["net"], days=keep["days"])
    key = "note.lease_kin" if relatives else "note.lease"
    out["lease"] = t(key, lang, rent=terms["lease"]["rent"])
    if terms["coop"]:
        out["coop"] = t("note.coop", lang, base=terms["coop"]["base"], bonus=terms["coop"]["bonus"])
    if terms["custody"]:
        c = terms["custody"]
        out["custody"] = t("note.custody", lang, price=c["price"], net=c["net"])
    return out


def last_year(story: dict[str, Any], lang: str) -> str:
    """What happened to a plot last year, and why, as a sentence."""
    use = story["use"]
    if use == "lease":
        key = "last.lease_kin" if story["kin"] else "last.lease"
        text = t(key, lang, who=story["lessee"], rent=story["rent"])
    elif use == "idle":
        text = t(f"last.idle_{story['why']}", lang)
    elif use == "coop":
        text = t("last.coop", lang, paid=story["paid"])
    elif story["why"] == "fallback":
        text = t("last.own_fallback", lang)
    else:
        text = t(f"last.{use}", lang)
    if story["years_left"]:
        text += " " + t("lease_runs", lang, n=story["years_left"])
    return text


# ---------------------------------------------------------------------- branch secretary
@solara.component
def BranchView(room: Classroom, role: Role, lang: str, year: int):
    """A branch secretary: the village and its co-op, then the co-op's terms for this year."""
    view = reports.branch_view(room, role.index)
    found = solara.use_reactive(True)
    rule = solara.use_reactive(view["benefit_rule"])
    numbers = {k: solara.use_reactive(float(view[k])) for k in BRANCH_LEVERS}
    html_text(t("village_now", lang, village=view["village"]), "landsim-section")
    share = (view["idle_share"], view["leased_share"], view["coop_share"])
    html_text(
        t(
            "village_figures",
            lang,
            households=view["households"],
            mu=view["land_mu"],
            idle=share[0],
            leased=share[1],
            coop=share[2],
        ),  # fmt: skip
        "landsim-village",
    )
    CoopBooks(view, lang)
    html_text(t("branch_decide", lang), "landsim-section")
    if view["status"] == "none":
        with solara.Div(classes=["landsim-found"]):
            solara.Checkbox(label=t("branch_found", lang), value=found)
        html_text(t("help.found", lang), "landsim-help")
    rules = [{"text": t(f"rule.{r}", lang), "value": r} for r in SHARING_RULES]
    picker(t("benefit_rule", lang), rules, rule, "landsim-benefit-rule")
    html_text(t(f"help.rule.{rule.value}", lang), "landsim-help")
    steps = {"guaranteed_rent": 50.0, "fixed_rent": 50.0, "member_share": 0.05}
    shown = {
        "guaranteed_rent": rule.value.startswith("guaranteed"),
        "fixed_rent": rule.value == "fixed_rent",
        "member_share": rule.value != "fixed_rent",
    }
    rest = 1.0 - numbers["member_share"].value
    split = view["reserve_share"] + view["collective_share"]
    reserve = rest * view["reserve_share"] / split if split else rest / 2
    # in one box: a rule that shows other sliders leaves Send where it was (a click at that
    # moment must reach the button on the page, not one being replaced)
    with solara.Div(classes=["landsim-levers"]):
        for k, (lo, hi) in BRANCH_LEVERS.items():
            if not shown[k]:
                continue
            value = numbers[k].value
            shown_value = f"{value:.0%}" if k == "member_share" else f"{value:,.0f}"
            with solara.Div(classes=[f"landsim-branch-{k}", "landsim-lever"]):
                solara.SliderFloat(
                    f"{t(k, lang)}: {shown_value}",
                    value=numbers[k],
                    min=lo,
                    max=hi,
                    step=steps[k],
                )
            html_text(
                t(f"help.{k}", lang, reserve=reserve, collective=max(0.0, rest - reserve)),
                "landsim-help",
            )
    decision = {
        "found": bool(found.value) if view["status"] == "none" else True,
        "benefit_rule": rule.value,
        **{k: float(v.value) for k, v in numbers.items()},
    }
    SendDecision(room, role, decision, lang, year)
    html_text(t("branch_when", lang), "landsim-help")
    TownFigures(room, lang)


@solara.component
def CoopBooks(view: dict[str, Any], lang: str):
    """The village's co-op and last year's books, every figure explained."""
    c = view["coop"]
    if c is None:
        html_text(t("no_coop_now", lang), "landsim-coop-now")
        return
    rule = t(f"rule.{view['benefit_rule']}", lang)
    status = t(f"status.{view['status']}", lang)
    html_text(t("coop_now", lang, rule=rule, status=status, year=c["founded"]), "landsim-coop-now")
    rows = [
        [t("coop.area", lang), f"{c['area']:,.0f}"],
        [t("coop.members", lang), f"{c['members']}"],
        [t("coop.engaged", lang), f"{c['engaged_share']:.0%}"],
        [t("coop.revenue", lang), f"{c['revenue']:,.0f}"],
        [t("coop.subsidy", lang), f"{c['subsidy']:,.0f}"],
        [t("coop.leakage", lang), f"{c['leakage']:,.0f}"],
        [t("coop.profit", lang), f"{c['profit']:,.0f}"],
        [t("coop.reserve", lang), f"{c['reserve']:,.0f}"],
    ]
    table(["", ""], rows, "landsim-coop-books")
    html_text(t("help.profit", lang), "landsim-help")


# ---------------------------------------------------------------------- town government
@solara.component
def GovernmentView(room: Classroom, role: Role, lang: str, year: int):
    """The town government: subsidy per mu, its years, the audit rate."""
    view = reports.government_view(room)
    numbers = {k: solara.use_reactive(float(view[k])) for k in GOVERNMENT_LEVERS}
    html_text(t("gov_last_year", lang), "landsim-section")
    html_text(
        t(
            "gov_figures",
            lang,
            subsidies=view["subsidies"],
            spent=view["spent"],
            audited=view["audited"],
            coops=view["coops_active"],
        ),  # fmt: skip
        "landsim-gov-now",
    )
    html_text(t("gov_decide", lang), "landsim-section")
    steps = {"subsidy_per_mu": 25.0, "subsidy_years": 1.0, "audit_rate": 0.05}
    for k, (lo, hi) in GOVERNMENT_LEVERS.items():
        value = numbers[k].value
        shown = f"{value:.0%}" if k == "audit_rate" else f"{value:,.0f}"
        with solara.Div(classes=[f"landsim-gov-{k}", "landsim-lever"]):
            solara.SliderFloat(
                f"{t(k, lang)}: {shown}", value=numbers[k], min=lo, max=hi, step=steps[k]
            )
        html_text(t(f"help.{k}", lang), "landsim-help")
    decision = {
        k: (int(v.value) if k == "subsidy_years" else float(v.value)) for k, v in numbers.items()
    }
    SendDecision(room, role, decision, lang, year)
    html_text(t("gov_when", lang), "landsim-help")
    TownFigures(room, lang)


@solara.component
def TownFigures(room: Classroom, lang: str):
    """The town's outcomes of last year (what a branch or the government reads in reports)."""
    df = class_outcomes(room, room.town)
    if df.empty:
        return
    last = df.iloc[-1]
    html_text(t("town_outcomes", lang, year=int(last["year"])), "landsim-section")
    table(
        ["", ""],
        [[t(f"metric.{k}", lang), fmt(k, float(last[k]))] for k in TOWN_METRICS],
        "landsim-town",
    )
