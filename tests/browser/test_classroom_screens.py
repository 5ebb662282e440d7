"""The classroom on the screens a class uses, in both languages (real Chromium): a student's
phone, the teacher's projector; Chinese pages with no English; a household told why its plot
lay idle; a class that survives a restart of the server."""

from __future__ import annotations

import json
import os
import re
import time

import pytest

from tests.browser.classroom_helpers import (
    PHONE,
    PROJECTOR,
    TIMEOUT,
    Person,
    expect,
    join,
    outside,
    start_class,
)

pytestmark = pytest.mark.browser

#: what a student touches or reads on a phone: none of it may run past the screen's edge
PHONE_CONTROLS = "button, .landsim-choice, .landsim-plot, td, img, .v-slider, .v-select"


def no_badge(person: Person) -> None:
    """Solara's "This website runs on Solara" badge is not on the page (it sat in the bottom
    right corner, over buttons, numbers and chart axes)."""
    assert person.page.get_by_text("runs on Solara").count() == 0


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_on_a_phone_every_choice_is_on_the_screen(people, lang):
    """At 390 x 844: the join page's role buttons, a household's choices for every plot
    (a word per line, not a character), Send, the income table and the map, and the
    secretary's and the government's sliders all lie inside the screen."""
    _, code = start_class(people, lang=lang)
    names = {"household": "Ann", "branch": "Sam", "government": "Gao"}
    pages = {}
    for wish, name in names.items():
        phone = people("/join", PHONE)
        phone.page.locator("button.landsim-join").wait_for()
        phone.language(lang)
        assert outside(phone, PHONE_CONTROLS) == [], wish
        no_badge(phone)
        pages[wish] = join(people, code, name, wish, lang, PHONE)
    ann = pages["household"]
    expect(ann.page.locator("button.landsim-choice-coop").first).to_be_visible()
    assert outside(ann, PHONE_CONTROLS) == []
    widths = ann.page.eval_on_selector_all(
        "button.landsim-choice", "els => els.map(e => e.getBoundingClientRect().width)"
    )
    assert widths and min(widths) >= 140, widths  # two choices to a row at most
    map_width = ann.page.locator("svg.landsim-student-map").bounding_box()["width"]
    assert map_width >= 300
    for wish in ("branch", "government"):
        page = pages[wish]
        expect(page.page.locator("button.landsim-submit")).to_be_visible()
        assert outside(page, PHONE_CONTROLS) == [], wish
        sliders = page.page.eval_on_selector_all(
            ".v-slider", "els => els.map(e => e.getBoundingClientRect().width)"
        )
        assert sliders and min(sliders) >= 250, (wish, sliders)  # a slider a thumb can use
    for page in pages.values():
        no_badge(page)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_on_a_projector_the_dashboard_and_the_debrief_start_above_the_fold(people, lang):
    """At 1366 x 768: the class code, Next year and the top of the map are on the first
    screen; after End, the debrief's table and its three maps are too, and the roster
    stays in dark, large type."""
    teacher, code = start_class(people, years=1, lang=lang, viewport=PROJECTOR)
    join(people, code, "Ann", lang=lang)
    join(people, code, "Sam", "branch", lang=lang)
    page = teacher.page
    expect(page.locator(".landsim-student")).to_have_count(2)
    for css in (".landsim-code", "button.landsim-next-year", "button.landsim-end"):
        assert page.locator(css).bounding_box()["y"] + 20 < PROJECTOR["height"], css
    assert page.locator("img.landsim-class-map").bounding_box()["y"] < PROJECTOR["height"] - 200
    assert outside(teacher, "button, td, img") == []
    no_badge(teacher)
    page.locator("button.landsim-next-year").click()
    teacher.wait_year(1)
    page.locator("button.landsim-end").click()
    expect(page.locator("table.landsim-debrief")).to_be_visible()
    table = page.locator("table.landsim-debrief").bounding_box()
    assert table["y"] >= 0 and table["y"] + table["height"] <= PROJECTOR["height"], table
    for name in ("class_town", "model_town", "difference_map"):
        box = page.locator(f".landsim-debrief-{name} img").bounding_box()
        assert box["y"] + box["height"] <= PROJECTOR["height"], (name, box)
    assert outside(teacher, "button, td, img") == []
    roster = page.locator(".landsim-student").first
    size = roster.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    colour = roster.evaluate("e => getComputedStyle(e).color")
    assert size >= 18 and "…" not in roster.inner_text(), (size, roster.inner_text())
    assert max(int(c) for c in re.findall(r"\d+", colour)[:3]) <= 60, colour  # dark text
    no_badge(teacher)


#: the page's visible text without the language buttons (each language named in itself)
_TEXT = """() => {
  const clone = document.body.cloneNode(true);
  for (const e of clone.querySelectorAll('.landsim-lang-switch')) e.remove();
  document.body.appendChild(clone); clone.style.position = 'absolute';
  const text = clone.innerText; clone.remove(); return text;
}"""


def english_words(person: Person, allowed: list[str]) -> list[str]:
    """Words in Latin letters on the page, but the ``allowed`` ones (a class code, names
    people typed) and addresses."""
    text = person.page.evaluate(_TEXT)
    text = re.sub(r"https?://\S+", " ", text)
    for word in allowed:
        text = text.replace(word, " ")
    return sorted(set(re.findall(r"[A-Za-z]+", text)))


#: from a student's page, send what a tampered page would (the household form's own send)
FORGE = """decision => {
  document.querySelector('.landsim-household-form').__vue__.send(decision);
}"""


def test_a_chinese_class_shows_no_english_word(people):
    """A class played in Chinese, from the start form to the debrief (the teacher, a
    household, a secretary and the government; a refused join, a refused decision, a year's
    results, the end) shows no English word of the interface's own: only the class code,
    the join address and the names people typed."""
    teacher = people("/teacher", PROJECTOR)
    teacher.page.locator("button.landsim-start-class").wait_for()
    teacher.language("zh")
    assert english_words(teacher, []) == []
    teacher.page.locator(".landsim-class-years input").fill("2")
    teacher.page.locator("button.landsim-start-class").click()
    code = teacher.page.locator(".landsim-code").inner_text().strip()
    names = ["小王", "老李", "张书记", "镇长"]
    allowed = [code, *names]

    wrong = people("/join", PHONE)
    wrong.page.locator("button.landsim-join").wait_for()
    wrong.language("zh")
    wrong.page.locator(".landsim-join-code input").fill("ZZZZZ")
    wrong.page.locator(".landsim-join-name input").fill("小王")
    wrong.page.locator("button.landsim-join").click()
    expect(wrong.page.locator(".landsim-error")).to_contain_text("没有代码为")
    wrong.page.locator(".landsim-join-code input").fill(code)
    wrong.page.locator(".landsim-join-name input").fill("")
    wrong.page.locator("button.landsim-join").click()
    expect(wrong.page.locator(".landsim-error")).to_contain_text("请输入你的名字")
    assert english_words(wrong, ["ZZZZZ", *allowed]) == []

    wang = join(people, code, names[0], lang="zh", viewport=PHONE)
    li = join(people, code, names[1], lang="zh")
    sec = join(people, code, names[2], "branch", lang="zh", viewport=PHONE)
    gov = join(people, code, names[3], "government", lang="zh", viewport=PHONE)
    everyone = [teacher, wang, li, sec, gov]
    lis_plot = next(iter(li.page.locator(".landsim-plot-label").all_inner_texts()))
    wang.page.evaluate(FORGE, {"plots": {re.search(r"\d+", lis_plot).group(): "lease"}})
    expect(wang.page.locator(".landsim-reject")).to_contain_text("不是你家的地")
    for p in (wang, sec, gov):
        p.page.locator("button.landsim-submit").click()
        expect(p.page.locator(".landsim-ack")).to_be_visible()
    for p in everyone:
        assert english_words(p, allowed) == [], p.page.url
    teacher.page.locator("button.landsim-next-year").click()
    for p in everyone:
        p.wait_year(1)
        assert english_words(p, allowed) == [], p.page.url
    teacher.page.locator("button.landsim-next-year").click()
    teacher.wait_year(2)
    teacher.page.locator("button.landsim-end").click()
    expect(teacher.page.locator("table.landsim-debrief")).to_be_visible()
    expect(wang.page.locator(".landsim-ended")).to_be_visible()
    for p in everyone:
        assert english_words(p, allowed) == [], p.page.url
        no_badge(p)


def _household_with_an_idle_plot(scenario: str, years: int) -> int:
    """How many students must join a new class (seed 1, as the teacher's page starts it) for
    the last one's household, leasing out every plot in the first round, to see a plot left
    idle because nobody bid for it (the model decides for the others, here as in the
    browser)."""
    from landsim.app.classroom.classtown import plot_story
    from landsim.app.classroom.registry import Registry
    from landsim.decisions import free_plots

    for k in range(1, 30):
        room = Registry().start(scenario, years, 0)
        role = [room.join(f"S{i}", browser=f"b{i}") for i in range(k)][-1]
        room.decide(
            role.name, {"plots": {int(p): "lease" for p in free_plots(room.town, role.index)}}
        )
        room.advance(0)
        held = plot_story(room.town, role.index)["held"]
        if any(s["why"] == "no_bid" for s in held):
            return k
    raise AssertionError("no household of the first 30 had a plot nobody bid for")


def test_a_household_sees_why_its_plot_stayed_idle(people):
    """A household that offered every plot for lease reads, the next year, that a plot lay
    idle because no household bid for it; the lease length was shown before it chose."""
    k = _household_with_an_idle_plot("coop_guaranteed_dividend", 3)
    teacher, code = start_class(people)
    students = [join(people, code, f"Student {i}") for i in range(k)]
    last = students[-1]
    expect(last.page.locator(".landsim-choice-help")).to_contain_text("For 1 year")
    buttons = last.page.locator("button.landsim-choice-lease")
    for i in range(buttons.count()):
        buttons.nth(i).click()
    last.page.locator("button.landsim-submit").click()
    expect(last.page.locator(".landsim-ack")).to_be_visible()
    teacher.page.locator("button.landsim-next-year").click()
    last.wait_year(1)
    expect(last.page.locator(".landsim-plot-why").first).to_contain_text("no household bid")


def _wait_saved(path, years: int) -> dict:
    """The saved class at ``path`` once it holds ``years`` played years (the server saves
    within a second of a change)."""
    deadline = time.monotonic() + TIMEOUT / 1000
    while time.monotonic() < deadline:
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            if len(doc["history"]) == years:
                return doc
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(0.1)  # polling a file the server writes on its own thread
    raise AssertionError(f"{path} did not reach {years} played years")


def test_a_class_comes_back_after_the_server_restarts(request, browser, tmp_path):
    """The server stops after a year and starts again on the same data folder: the
    teacher's browser runs the class again in the same year with the same students, the
    student's browser has the same household with its decision's results, and the class
    goes on. The saved file is readable by the server's user only and holds no secret."""
    from tests.browser.conftest import OUT
    from tests.wsclient import serving

    request.node.landsim_tabs = []
    data = tmp_path / "data"
    env = {"LANDSIM_APP_CLASSES": "", "LANDSIM_APP_TABS": ""}
    args = ["--classroom", "--data", str(data)]
    teacher_ctx = browser.new_context(viewport=PROJECTOR)
    student_ctx = browser.new_context(viewport=PHONE, is_mobile=True)
    with open(OUT / "restart-server.log", "w") as log:
        with serving(args, env=env, log=log) as (url, _):
            teacher = teacher_ctx.new_page()
            teacher.set_default_timeout(TIMEOUT)
            teacher.goto(url + "/teacher")
            teacher.locator(".landsim-class-years input").fill("3")
            teacher.locator("button.landsim-start-class").click()
            code = teacher.locator(".landsim-code").inner_text().strip()
            ann = student_ctx.new_page()
            ann.set_default_timeout(TIMEOUT)
            ann.goto(url + "/join")
            ann.locator(".landsim-join-code input").fill(code)
            ann.locator(".landsim-join-name input").fill("Ann")
            ann.locator("button.landsim-join").click()
            expect(ann.locator(".landsim-you")).to_contain_text("Ann")
            household = ann.locator(".landsim-you").inner_text()
            ann.locator("button.landsim-submit").click()
            expect(ann.locator(".landsim-ack")).to_be_visible()
            teacher.locator("button.landsim-next-year").click()
            expect(teacher.locator(".landsim-year")).to_contain_text("Year 2 of 3")
            saved = data / "classes" / code / "class.json"
            _wait_saved(saved, 1)
            stories = ann.locator(".landsim-plot-last").all_inner_texts()
        assert os.stat(saved).st_mode & 0o777 == 0o600
        assert os.stat(saved.parent).st_mode & 0o777 == 0o700
        text = saved.read_text(encoding="utf-8")
        for ctx in (teacher_ctx, student_ctx):
            for cookie in ctx.cookies():
                assert cookie["value"] not in text, cookie["name"]
        with serving(args, env=env, log=log) as (url, _):
            teacher.goto(f"{url}/teacher?code={code}")
            expect(teacher.locator(".landsim-year")).to_contain_text("Year 2 of 3")
            expect(teacher.locator(".landsim-students")).to_contain_text("Ann")
            ann.goto(f"{url}/join?code={code}")
            expect(ann.locator(".landsim-you")).to_have_text(household)
            assert ann.locator(".landsim-plot-last").all_inner_texts() == stories
            teacher.locator("button.landsim-next-year").click()
            expect(teacher.locator(".landsim-year")).to_contain_text("Year 3 of 3")
            expect(ann.locator(".landsim-year")).to_contain_text("Year 3 of 3")
    teacher_ctx.close()
    student_ctx.close()
