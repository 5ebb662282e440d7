"""The browser app, driven in a real Chromium against ``landsim app`` served offline."""

from __future__ import annotations

import statistics
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

OUT = Path(__file__).resolve().parents[2] / "results" / "browser"

STEP_SAMPLES = 10
#: ms an assertion waits for the page (long enough for a machine with busy cores)
WAIT = 90_000


def expect(locator):
    """Playwright's auto-waiting assertions (imported late: Playwright may be missing)."""
    from playwright.sync_api import expect as _expect

    _expect.set_options(timeout=WAIT)
    return _expect(locator)


def test_page_loads_offline_with_map_charts_levers_and_lessons(open_tab):
    """The page renders from the local server alone, with no page errors."""
    tab = open_tab()
    page = tab.page
    assert tab.year() == 0
    for name in ("reset", "play", "step"):
        expect(tab.button(name)).to_be_enabled()
    expect(page.locator("img.landsim-map")).to_have_count(1)
    expect(page.locator("svg.landsim-chart")).to_have_count(6)
    expect(page.locator(".landsim-legend-operator")).to_contain_text("Idle (abandoned)")
    expect(page.locator(".landsim-seed")).to_be_visible()
    # the baseline has no co-ops and no firm: none of their levers
    expect(page.locator(".landsim-lever-audit_rate")).to_have_count(0)
    expect(page.locator(".landsim-lever-custody_price")).to_have_count(0)
    expect(page.locator("button.landsim-open-lesson")).to_have_count(6)
    expect(page.locator(".landsim-run-a .landsim-run-title")).to_have_text(
        "Baseline: aging without cooperatives"
    )
    page.wait_for_load_state("networkidle")
    assert tab.external == [], "the page tried to reach the internet"
    assert tab.errors == []


def test_step_advances_the_year_and_redraws_map_and_charts(open_tab, record):
    """Each Step moves one year on and changes the map and the charts; timing is recorded."""
    tab = open_tab()
    page = tab.page
    times = []
    for year in range(1, STEP_SAMPLES + 1):
        maps, charts = tab.srcs("img.landsim-map"), tab.charts()
        started = page.evaluate("performance.now()")
        tab.button("step").click()
        tab.wait_year(year)
        page.wait_for_function(
            """([m, c]) => {
                const map = document.querySelector('img.landsim-map').src;
                const now = [...document.querySelectorAll('svg.landsim-chart')];
                return map !== m[0] && now.length === c.length
                    && now.every((e, i) => e.outerHTML !== c[i]); }""",
            arg=[maps, charts],
            polling="raf",
        )
        times.append(page.evaluate("performance.now()") - started)
    assert tab.year() == STEP_SAMPLES
    expect(page.locator(".landsim-run-a .landsim-kpi-abandonment")).to_contain_text("%")
    median = statistics.median(times)
    record(
        f"step round-trip at 60x50 (click -> year, map and 6 charts redrawn), {STEP_SAMPLES} "
        f"steps: median {median:.0f} ms, max {max(times):.0f} ms"
    )
    # the issue asks for under a second; the bound here is loose so that a busy CI machine does
    # not fail the build, and the measured median is printed in the summary
    assert median < 5_000


def test_play_runs_years_until_pause(open_tab):
    """Play steps the model by itself with Step disabled; Pause stops it."""
    tab = open_tab()
    tab.button("play").click()
    expect(tab.button("play")).to_have_text("Pause")
    expect(tab.button("step")).to_be_disabled()
    tab.wait_year(3)
    tab.button("play").click()
    expect(tab.button("play")).to_have_text("Play")
    expect(tab.button("step")).to_be_enabled()
    paused_at = tab.year()
    tab.step()  # exactly one year more: nothing else is stepping any longer
    assert tab.year() == paused_at + 1


def test_lever_change_takes_effect_on_reset_and_changes_the_outcome(open_tab):
    """Reset with unchanged levers repeats a run; a changed lever applied by Reset changes it."""
    tab = open_tab()
    page = tab.page
    tab.choose("scenario-a", "Cooperatives with guaranteed minimum + dividend")
    tab.wait_year(0)
    tab.step(3)
    first = tab.kpis()
    tab.button("reset").click()
    tab.wait_year(0)
    tab.step(3)
    assert tab.kpis() == first, "same scenario, levers and seed must give the same run"

    # a slider moved with the keyboard: members' share to 0 splits the rest 50/50
    page.locator(".landsim-lever-member_share [role=slider]").focus()
    page.keyboard.press("Home")
    expect(page.get_by_text("reserve 50% · collective 50%")).to_be_visible()
    expect(page.locator(".landsim-pending")).to_be_visible()
    assert tab.year() == 3, "a lever change alone must not restart the run"
    tab.choose("lever-benefit_rule", "Fixed rent")
    expect(page.locator(".landsim-lever-fixed_rent")).to_be_visible()
    # under a fixed rent members get no share of profit: no slider for it
    expect(page.locator(".landsim-lever-member_share")).to_have_count(0)
    tab.button("reset").click()
    tab.wait_year(0)
    expect(page.locator(".landsim-applied")).to_be_visible()
    tab.step(3)
    assert tab.kpis() != first


def test_scenario_picker_loads_the_file_and_its_levers(open_tab):
    """Picking a scenario restarts the run with that file's title, levers and timeline."""
    tab = open_tab()
    page = tab.page
    tab.step()
    tab.choose("scenario-a", "Subsidy-dependent cooperatives")
    tab.wait_year(0)
    expect(page.locator(".landsim-run-a .landsim-run-title")).to_have_text(
        "Subsidy-dependent cooperatives"
    )
    expect(page.locator(".landsim-lever-subsidy_per_mu")).to_contain_text(": 300")
    expect(page.locator(".landsim-lever-guaranteed_rent")).to_contain_text(": 700")
    expect(page.locator(".landsim-timeline")).to_contain_text("Year 4")


def test_lesson_opens_beside_the_model_with_its_scenarios(open_tab):
    """A lesson shows its seven sections and sets up its scenarios in compare mode."""
    tab = open_tab()
    page = tab.page
    page.locator("button.landsim-open-benefit_sharing").click()
    lesson = page.locator(".landsim-lesson-benefit_sharing")
    expect(lesson).to_be_visible()
    for heading in (
        "What it is",
        "How it works",
        "How to use it",
        "Things to notice",
        "Things to try",
        "Extending the model",
        "References",
    ):
        expect(lesson.locator("h3", has_text=heading)).to_have_count(1)
    expect(page.locator("img.landsim-map")).to_have_count(2)
    expect(page.locator(".landsim-run-a .landsim-run-title")).to_contain_text("fixed rent")
    expect(page.locator(".landsim-run-b .landsim-run-title")).to_contain_text("dividend")
    expect(page.locator(".landsim-legend-trust")).to_be_visible()
    tab.step(5)
    page.screenshot(path=str(_out("lesson-benefit_sharing.png")))
    page.locator("button.landsim-lesson-close").click()
    expect(page.locator(".landsim-lesson")).to_have_count(0)


def test_compare_mode_steps_two_scenarios_in_lockstep(open_tab):
    """With compare on, one Step advances both runs and redraws both maps."""
    tab = open_tab()
    page = tab.page
    page.locator(".landsim-compare label").click()
    expect(page.locator("img.landsim-map")).to_have_count(2)
    tab.choose("scenario-b", "Custodial farming by a service firm, no cooperatives")
    expect(page.locator(".landsim-run-b .landsim-run-title")).to_contain_text("B: Custodial")
    before = tab.srcs("img.landsim-map")
    tab.step(2)
    after = tab.srcs("img.landsim-map")
    assert before[0] != after[0] and before[1] != after[1]
    # same seed, same town: the runs differ only where custody moved the land
    assert tab.kpis("a") != tab.kpis("b")
    page.locator(".landsim-edit-b").click()
    expect(page.locator(".landsim-lever-custody_price")).to_contain_text(": 1000")


def test_language_switch_changes_labels_legend_and_lesson(open_tab):
    """The 中文 switch turns labels, legend and lesson Chinese; English switches back."""
    tab = open_tab()
    page = tab.page
    page.locator("button.landsim-lang-zh").click()
    expect(tab.button("step")).to_have_text("下一年")
    expect(page.locator(".landsim-year")).to_contain_text("第 0 年")
    expect(page.locator(".landsim-legend-operator")).to_contain_text("撂荒")
    page.locator("button.landsim-open-aging_abandonment").click()
    expect(page.locator(".landsim-lesson h3", has_text="这是什么")).to_be_visible()
    expect(page.locator(".landsim-lesson h2")).to_have_text("村庄老龄化与土地撂荒")
    page.locator("button.landsim-lang-en").click()
    expect(tab.button("step")).to_have_text("Step")
    expect(page.locator(".landsim-lesson h2")).to_have_text("Aging villages and abandoned land")


def test_two_tabs_have_independent_models_and_settings(open_tab):
    """Stepping, scenario and language in one tab leave another tab untouched."""
    first, second = open_tab(), open_tab()
    first.step(3)
    first.page.locator("button.landsim-lang-zh").click()
    expect(first.button("step")).to_have_text("下一年")
    assert second.year() == 0
    expect(second.button("step")).to_have_text("Step")
    second.step()
    assert first.year() == 3
    third = open_tab()  # a tab opened later starts fresh, not on a stepped model
    assert third.year() == 0


def test_map_layers_switch_the_image_and_legend(open_tab):
    """Each layer button redraws the map and shows that layer's legend."""
    tab = open_tab()
    page = tab.page
    for layer in ("age", "terrain", "trust", "operator"):
        old = tab.srcs("img.landsim-map")[0]
        page.locator(f"button.landsim-layer-{layer}").click()
        expect(page.locator(f".landsim-legend-{layer}")).to_be_visible()
        page.wait_for_function(
            "old => document.querySelector('img.landsim-map').src !== old", arg=old
        )


def _out(name: str) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    return OUT / name
