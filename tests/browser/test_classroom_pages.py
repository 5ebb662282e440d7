"""Classroom mode in a real Chromium: a teacher and twenty students play one town."""

from __future__ import annotations

import re

import pytest

from tests.browser.classroom_helpers import (
    TIMEOUT,
    decide_all,
    expect,
    join,
    plots,
    start_class,
)

pytestmark = pytest.mark.browser

STUDENTS = 20


def test_a_class_of_twenty_plays_three_years_and_the_model_follows_them(people, record):
    """Twenty students join one class, decide differently for three years; a household that
    releases every plot farms none of them, a secretary's rule is the co-op's rule, a reload
    gives the same household back, and the debrief shows both towns."""
    teacher, code = start_class(people)
    students = [join(people, code, f"Student {i:02d}") for i in range(STUDENTS - 3)]
    secretary = join(people, code, "Secretary", "branch")
    secretary_b = join(people, code, "Secretary B", "branch")
    mayor = join(people, code, "Mayor", "government")
    assert "Party branch, village 0" in secretary.text("you")
    assert "village 1" in secretary_b.text("you")
    assert "Town government" in mayor.text("you")
    households = {s.text("you") for s in students}
    assert len(households) == len(students), "every student has a household of their own"
    expect(teacher.page.locator(".landsim-student")).to_have_count(STUDENTS)
    releaser, keeper = students[0], students[1]
    for p in (teacher, releaser):  # the maps say what their colours mean
        expect(p.page.locator(".landsim-legend-operator")).to_contain_text("Idle (abandoned)")

    # the secretary of village 0 founds the co-op under fixed rent
    secretary.page.locator(".landsim-benefit-rule .v-select__slot").click()
    secretary.page.get_by_role("option", name="Fixed rent", exact=True).click()
    secretary.page.locator("button.landsim-submit").click()
    expect(secretary.page.locator(".landsim-ack")).to_be_visible()
    mayor.page.locator("button.landsim-submit").click()
    expect(mayor.page.locator(".landsim-ack")).to_be_visible()

    for year in (1, 2, 3):
        decide_all(releaser, "lease")
        if year == 1:
            decide_all(keeper, "keep")
        # the others: every other one sends the page's default, the rest let the model decide
        for s in students[2 + year % 2 :: 2]:
            s.page.locator("button.landsim-submit").click()
            expect(s.page.locator(".landsim-ack")).to_be_visible()
        if year == 2:  # a reload mid-year gives the same household back, decision received
            before = students[4].text("you")
            students[4].page.reload()
            expect(students[4].page.locator(".landsim-you")).to_have_text(before)
            expect(students[4].page.locator(".landsim-ack")).to_be_visible()
        expect(teacher.page.locator(".landsim-student-done")).not_to_have_count(0)
        teacher.page.locator("button.landsim-next-year").click()
        for s in [*students, secretary, secretary_b, mayor]:
            s.wait_year(year)
        teacher.wait_year(year)
        uses = plots(releaser)
        assert not any("your family farmed it" in u for u in uses.values()), uses
        if year == 1:
            assert any("your family farmed it" in u for u in plots(keeper).values())
            expect(secretary.page.locator(".landsim-coop-now")).to_contain_text("Fixed rent")
    expect(teacher.page.locator("button.landsim-next-year")).to_be_disabled()

    teacher.page.locator("button.landsim-end").click()
    expect(teacher.page.locator(".landsim-debrief")).to_contain_text("Abandoned land")
    expect(teacher.page.locator(".landsim-debrief-class_town img")).to_be_visible()
    expect(teacher.page.locator(".landsim-debrief-model_town img")).to_be_visible()
    expect(teacher.page.locator(".landsim-roles")).to_contain_text("Student 00")
    expect(releaser.page.locator(".landsim-ended")).to_be_visible()
    record(f"classroom: {STUDENTS} students played 3 years in class {code}")
    for p in [teacher, *students]:
        assert p.errors == []


def test_two_classes_run_at_once_without_seeing_each_other(people):
    """Students of one class never appear in the other, years move separately, and a plain
    app tab shows its own town."""
    t1, c1 = start_class(people)
    t2, c2 = start_class(people)
    assert c1 != c2
    a = join(people, c1, "Ann")
    b = join(people, c2, "Bo")
    expect(t1.page.locator(".landsim-student")).to_have_count(1)
    expect(t1.page.locator(".landsim-students")).to_contain_text("Ann")
    expect(t2.page.locator(".landsim-students")).to_contain_text("Bo")
    assert "Ann" not in t2.text("students") and "Bo" not in t1.text("students")
    b.page.locator("button.landsim-lang-zh").click()  # each student chooses their language
    expect(b.page.locator(".landsim-you")).to_contain_text("你是农户")
    expect(a.page.locator(".landsim-you")).to_contain_text("you are Household")
    t1.page.locator("button.landsim-next-year").click()
    a.wait_year(1)
    assert "第 1 年" in b.text("year") and "Year 1 of" in t2.text("year")
    # Bo cannot rejoin class 1 by name: his name is unknown there
    stranger = people(f"/join?code={c1}&name=Bo")
    expect(stranger.page.locator(".landsim-join")).to_be_visible()
    plain = people("/")
    expect(plain.page.locator(".landsim-year")).to_contain_text("Year 0")
    assert c1 not in plain.page.content() and c2 not in plain.page.content()


def test_a_wrong_teacher_key_does_not_open_the_class(people):
    """Only the teacher's address (with its key) runs a class."""
    teacher, code = start_class(people)
    intruder = people(f"/teacher?code={code}&key=guess")
    expect(intruder.page.locator(".landsim-error")).to_contain_text("not the teacher's address")
    expect(intruder.page.locator("button.landsim-next-year")).to_have_count(0)


def test_the_round_timer_closes_the_year_and_pause_stops_it(people):
    """With seconds per round, the year closes by itself; a paused timer shows no countdown."""
    teacher = people("/teacher")
    teacher.page.locator(".landsim-class-seconds input").fill("3")
    # years enough that a busy machine does not play them all before the test looks
    teacher.page.locator(".landsim-class-years input").fill("30")
    teacher.page.locator("button.landsim-start-class").click()
    code = teacher.page.locator(".landsim-code").inner_text().strip()
    student = join(people, code, "Ann")
    student.wait_year(1, at_least=True)
    teacher.wait_year(1, at_least=True)
    teacher.page.locator("button.landsim-pause").click()
    expect(teacher.page.locator("button.landsim-pause")).to_contain_text("Resume")
    expect(teacher.page.locator(".landsim-timer")).to_have_count(0)


def test_a_classmate_cannot_take_over_a_joined_name(people):
    """Names are projected on the teacher's dashboard. Typing a joined name (or one that
    looks the same) in another browser is refused and shows nothing of that household; the
    addresses hold no name and no secret; the student's own browser keeps the role after a
    reload, and there name and code are enough to rejoin."""
    teacher, code = start_class(people)
    assert "key=" not in teacher.page.url
    ann = join(people, code, "Ann")
    assert "Ann" not in ann.page.url and "seat" not in ann.page.url
    expect(teacher.page.locator(".landsim-students")).to_contain_text("Ann")
    pages = []
    for typed in ("Ann", "ann", "\u0410nn"):  # the same, in lower case, with a Cyrillic A
        mallory = people("/join")
        mallory.page.locator(".landsim-join-code input").fill(code)
        mallory.page.locator(".landsim-join-name input").fill(typed)
        mallory.page.locator("button.landsim-join").click()
        expect(mallory.page.locator(".landsim-error")).to_contain_text("has already joined")
        pages.append(mallory)
    for url in (f"/join?code={code}&name=Ann", f"/join?code={code}&name=Ann&seat=guess"):
        other = people(url)
        expect(other.page.locator(".landsim-join")).to_be_visible()
        assert "seat" not in other.page.url
        pages.append(other)
    for p in pages:
        expect(p.page.locator(".landsim-you")).to_have_count(0)
        expect(p.page.locator(".landsim-plot-label")).to_have_count(0)
    ann.page.reload()
    expect(ann.page.locator(".landsim-you")).to_contain_text("Ann")
    expect(ann.page.locator(".landsim-plot-label").first).to_be_visible()
    again = ann.context.new_page()  # her connection dropped: she types code and name again
    again.set_default_timeout(TIMEOUT)
    again.goto(ann.page.url.split("/join")[0] + "/join")
    again.locator(".landsim-join-code input").fill(code)
    again.locator(".landsim-join-name input").fill("Ann")
    again.locator("button.landsim-join").click()
    expect(again.locator(".landsim-you")).to_contain_text("Ann")
    assert again.locator(".landsim-plot-label").all_inner_texts() == (
        ann.page.locator(".landsim-plot-label").all_inner_texts()
    )


def test_the_teachers_link_opens_the_class_elsewhere_without_showing_the_key(people):
    """The teacher's link (shown on request) opens the class in another browser; the key
    leaves the address at once and no script of the page can read its cookie."""
    teacher, code = start_class(people)
    teacher.page.locator("button.landsim-show-teacher-link").click()
    link = teacher.page.locator(".landsim-teacher-link").inner_text().strip()
    assert "key=" in link
    base = teacher.page.url.split("/teacher")[0]
    laptop = people(link.replace(link.split("/teacher")[0], ""))
    expect(laptop.page.locator("button.landsim-next-year")).to_be_visible()
    assert "key" not in laptop.page.url and laptop.page.url.startswith(base)
    assert "landsim-teacher" not in laptop.page.evaluate("document.cookie")
    assert "solara-session-id" not in laptop.page.evaluate("document.cookie")


#: from a student's page, send what a tampered page would: the household form's own ``send``
#: (the Vue component's method that carries the click to the server) with forged choices
FORGE = """decision => {
  const form = document.querySelector('.landsim-household-form').__vue__;
  form.send(decision);
}"""


def test_a_forged_decision_from_a_students_page_is_rejected(people):
    """A tampered page sends a decision for a classmate's plot, and one that is not a decision
    at all: both are rejected with the reason on the page, nothing is stored (the teacher
    still sees the student as deciding), and the page's own Send still works."""
    teacher, code = start_class(people)
    ann, bo = join(people, code, "Ann"), join(people, code, "Bo")
    bos_plot = next(iter(plots(bo)))
    ann.page.evaluate(FORGE, {"plots": {str(bos_plot): "lease"}})
    expect(ann.page.locator(".landsim-reject")).to_contain_text("not a plot of your household")
    ann.page.evaluate(FORGE, {"plots": "everything", "government": {"audit_rate": 1}})
    expect(ann.page.locator(".landsim-reject")).to_contain_text("must map plot numbers")
    ann_on_dashboard = teacher.page.locator('.landsim-student[data-name="Ann"]')
    expect(ann_on_dashboard).to_have_class(re.compile("landsim-student-waiting"))
    ann.page.locator("button.landsim-submit").click()
    expect(ann.page.locator(".landsim-ack")).to_be_visible()
    expect(ann_on_dashboard).to_have_class(re.compile("landsim-student-done"))
    assert ann.errors == []
