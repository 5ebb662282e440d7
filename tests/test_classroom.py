"""A class playing one town, on the server (landsim.app.classroom.room; no browser)."""

from __future__ import annotations

import io
import json
import threading
import zipfile

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from landsim.app.classroom.classtown import INCOME_ORDER
from landsim.app.classroom.export import export_zip
from landsim.app.classroom.network import announce
from landsim.app.classroom.qr import OUTLINE_SCALE, outlined_map_png, qr_svg
from landsim.app.classroom.registry import Registry
from landsim.app.classroom.reports import debrief, role_results
from landsim.app.classroom.room import ClassError
from landsim.app.classroom.text import TEXT
from landsim.decisions import DecisionError, free_plots
from landsim.world import OWN


@pytest.fixture
def registry():
    return Registry()


@pytest.fixture
def room(registry):
    return registry.start("coop_guaranteed_dividend", 3, 0, seed=2)


def test_a_forged_decision_for_someone_elses_plot_is_rejected(room):
    """A student cannot decide on another student's plot, nor on an option not open."""
    ann, bo = room.join("Ann"), room.join("Bo")
    bos_plot = int(free_plots(room.town, bo.index)[0])
    with pytest.raises(DecisionError, match="not a plot of your household"):
        room.decide("Ann", {"plots": {bos_plot: "lease"}})
    mine = int(free_plots(room.town, ann.index)[0])
    with pytest.raises(DecisionError, match="not open"):
        room.decide("Ann", {"plots": {mine: "custody"}})
    with pytest.raises(DecisionError, match="household decides plots and engage"):
        room.decide("Ann", {"government": {"audit_rate": 1}})
    assert room.plots == {} and room.decided_by == {}


def test_a_student_acts_only_on_their_own_role(room):
    """A household cannot set the government's levers; a secretary's levers are in range."""
    room.join("Sec", "branch")
    with pytest.raises(DecisionError, match="guaranteed_rent must be between"):
        room.decide("Sec", {"guaranteed_rent": 1e9})
    with pytest.raises(DecisionError, match="a branch decides"):
        room.decide("Sec", {"subsidy_per_mu": 100})
    room.join("Gov", "government")
    with pytest.raises(DecisionError, match="audit_rate must be between"):
        room.decide("Gov", {"audit_rate": float("inf")})
    with pytest.raises(ClassError, match="nobody called"):
        room.decide("Nobody", {})


def test_rejoining_from_the_same_browser_gives_the_same_role(room):
    """The same name (spaces ignored) from the browser it joined from gets the same household
    back, and so does that browser's page; another name another household."""
    first = room.join("Li  Wei", browser="li")
    assert room.join(" Li Wei ", browser="li") is first
    assert room.role_for_browser("li") is first
    assert room.join("Wang", browser="wang").index != first.index


def test_a_classmate_typing_a_joined_name_does_not_get_the_role(room):
    """Names are on the projected dashboard: from another browser the name is refused; from
    the student's own browser, name and code are enough; a browser plays one name."""
    ann = room.join("Ann", browser="ann-browser")
    for browser in (None, "", "mallory-browser"):
        with pytest.raises(ClassError, match="has already joined"):
            room.join("Ann", browser=browser)
        assert room.role_for_browser(browser) is None
    assert room.join("Ann", browser="ann-browser") is ann
    with pytest.raises(ClassError, match="already plays 'Ann'"):
        room.join("Bo", browser="ann-browser")
    assert "ann-browser" not in repr(ann)


@pytest.mark.parametrize(
    "look_alike",
    [
        "ann",  # case
        "ANN",
        "A\u200bnn",  # a zero-width space
        "\u0410nn",  # Cyrillic capital A
        "\u202eAnn",  # a right-to-left override
        "Ａｎｎ",  # full-width letters (NFKC)
        " Ann\u2060 ",  # a word joiner and spaces
    ],
)
def test_a_name_that_looks_like_a_seated_one_is_refused(room, look_alike):
    """Names that look the same on the projected roster (case, invisible or direction
    characters, confusable letters of another script) are one name (UTS #39 skeleton)."""
    room.join("Ann", browser="ann")
    with pytest.raises(ClassError, match="has already joined"):
        room.join(look_alike, browser="mallory")
    assert list(room.roles) == ["Ann"]


def test_names_are_normalised_before_they_are_kept():
    """NFKC, no invisible or direction characters, white space collapsed, at most 40
    characters; a name with nothing visible is refused."""
    from landsim.app.classroom.names import normalise

    assert normalise("Ｌｉ\u200b  Wei\u202e") == "Li Wei"
    assert normalise("王小明") == "王小明"
    for bad, rule in (("\u200b\u3164 ", "name_empty"), ("x" * 41, "name_long"), (7, "name_text")):
        with pytest.raises(ValueError, match=rule):
            normalise(bad)


def test_joins_are_rate_limited_per_class_but_a_class_of_forty_joins_at_once(registry):
    """Forty students joining in the same second (one school address) all get in; a script
    joining hundreds is slowed to the refill rate, and the class size caps it."""
    from landsim.app.classroom.room import JOIN_BURST, JOIN_RATE

    room = registry.start("baseline", 3, 0, size=200)
    t0 = 1000.0
    for i in range(40):
        room.join(f"S{i}", browser=f"b{i}", now=t0)
    joined, refused = 40, 0
    for i in range(40, 200):
        try:
            room.join(f"S{i}", browser=f"b{i}", now=t0 + 1)
            joined += 1
        except ClassError as exc:
            assert "too many students joined" in str(exc)
            refused += 1
    assert joined == JOIN_BURST and refused == 200 - JOIN_BURST
    later = t0 + 1 + 10 / JOIN_RATE  # ten more joins' worth of time
    for i in range(200, 210):
        room.join(f"S{i}", browser=f"b{i}", now=later)
    with pytest.raises(ClassError, match="too many students joined"):
        room.join("S210", browser="b210", now=later)


def test_the_teacher_sets_the_class_size_and_frees_a_seat(registry):
    """A full class refuses a new name; the teacher frees a seat (the student's decision of
    the year is dropped, their page lets go) and the name may join again from any browser."""
    room = registry.start("coop_guaranteed_dividend", 3, 0, seed=2, size=2)
    ann = room.join("Ann", browser="ann")
    room.join("Bo", browser="bo")
    with pytest.raises(ClassError, match="class is full"):
        room.join("Cy", browser="cy")
    with pytest.raises(ClassError, match="class size must be"):
        room.set_size(1)  # two are seated
    for bad in (0, 201, 2.5, "3", True, None):
        with pytest.raises(ClassError, match="class size must be"):
            room.set_size(bad)
    room.decide("Ann", {"plots": {int(free_plots(room.town, ann.index)[0]): "lease"}})
    assert room.free_seat("ann") is ann  # any spelling of the name
    assert "Ann" not in room.roles and room.plots == {} and not room.has_decided("Bo")
    assert room.role_for_browser("ann") is None
    again = room.join("Ann", browser="new-device")
    assert again is not ann
    room.set_size(3)
    room.join("Cy", browser="cy")
    assert room.size == 3 and len(room.roles) == 3


def test_next_year_names_the_year_it_closes(room):
    """A repeat (a double click, a second teacher page, the timer with the teacher) closes
    no second year; decisions sent for the year are applied once."""
    ann = room.join("Ann")
    room.decide("Ann", {"plots": {int(free_plots(room.town, ann.index)[0]): "lease"}})
    assert room.advance(0) is True
    assert room.advance(0) is False and room.year == 1
    results = []
    threads = [threading.Thread(target=lambda: results.append(room.advance(1))) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(30)
    assert sorted(results) == [False, False, False, True] and room.year == 2
    assert room.town.year == room.model_town.year == 2 + room.warmup
    assert len(room.town.decision_log()) == 1


def test_exports_cannot_carry_a_spreadsheet_formula(room):
    """Names and logged values that start like a formula (= + - @ tab CR) are written as text
    in the CSV tables; numbers stay numbers."""
    from landsim.app.classroom.export import neutralise_formulas

    df = pd.DataFrame(
        {
            "name": ["=HYPERLINK(1)", "+1+2", "-2+3", "@SUM(A1)", "\tx", "\rx", "Ann"],
            "income": ["-1,234", "1,234", "-", "0", "5", "6", "7"],
        }
    )
    out = neutralise_formulas(df)
    assert list(out["name"]) == [
        "'=HYPERLINK(1)",
        "'+1+2",
        "'-2+3",
        "'@SUM(A1)",
        "'\tx",
        "'\rx",
        "Ann",
    ]
    assert list(out["income"]) == ["-1,234", "1,234", "'-", "0", "5", "6", "7"]
    ann = room.join("=cmd|' /C calc'!A0", browser="x")
    room.decide(ann.name, {"plots": {int(free_plots(room.town, ann.index)[0]): "lease"}})
    room.advance(0)
    z = zipfile.ZipFile(io.BytesIO(export_zip(room)))
    for table in ("roles", "decisions"):
        cells = pd.read_csv(io.BytesIO(z.read(f"{table}.csv")), dtype=str, keep_default_na=False)
        texts = [c for col in cells.columns for c in cells[col] if isinstance(c, str)]
        assert not any(c.startswith(("=", "+", "@", "\t", "\r")) for c in texts), table
        assert "'=cmd|' /C calc'!A0" in texts


def test_a_teacher_key_is_checked_whatever_its_characters(registry):
    """A key of any characters (non-ASCII too) is refused with the class's message, never
    an exception of the comparison; the teacher's browser needs no key."""
    room = registry.start("baseline", 3, 0, browser="teacher")
    assert registry.teacher(room.code, None, "teacher") is room
    for key in (
        "é" * 16,
        "\udcff",
        "",
        None,
        12,
        room.teacher_key + "x",
        "ü" + room.teacher_key[1:],
    ):
        with pytest.raises(ClassError, match="not the teacher's address"):
            registry.teacher(room.code, key, "mallory")
    assert registry.teacher(room.code, room.teacher_key, "laptop-2") is room
    assert registry.teacher(room.code, None, "laptop-2") is room  # that browser runs it now


def test_roles_go_round_the_villages_and_fall_back_to_households(room):
    """Branch wishes take free villages in order; when all are taken, a household."""
    n_v = room.town.params.world.n_villages
    branches = [room.join(f"S{v}", "branch") for v in range(n_v)]
    assert [b.index for b in branches] == list(range(n_v))
    assert room.join("Late", "branch").kind == "household"
    assert room.join("Gov", "government").kind == "government"
    assert room.join("Gov2", "government").kind == "household"


def test_the_year_uses_the_students_decisions_and_logs_the_rest(room):
    """Next year applies the decisions, records who kept the model's rule, and resets the round."""
    ann = room.join("Ann")
    room.join("Bo")
    mine = free_plots(room.town, ann.index)
    room.decide("Ann", {"plots": {int(p): "lease" for p in mine}})
    assert room.status()["students"][0] == {
        "name": "Ann",
        "kind": "household",
        "index": ann.index,
        "decided": True,
    }
    assert room.advance(room.year) == 1
    p = room.town.plots
    assert not ((p.kind[mine] == OWN) & (p.operator[mine] == ann.index)).any()
    assert room.model_ruled[1] == ["Bo"]
    log = room.town.decision_log()
    assert set(log["who"]) == {"Ann"} and (log["year"] == 1 + room.warmup).all()
    assert room.decided_by == {} and room.plots == {}
    assert room.model_town.year == 1 + room.warmup


def test_debrief_compares_the_class_town_with_the_model_town_from_the_same_seed(registry):
    """Without decisions, the class's town and the model's own town are the same town."""
    room = registry.start("coop_guaranteed_dividend", 3, 0, seed=5)
    room.join("Ann")
    for _ in range(3):
        room.advance(room.year)
    with pytest.raises(ClassError, match="played all its years"):
        room.advance(room.year)
    df = debrief(room)
    assert np.allclose(df["class"], df["model"])
    assert list(role_results(room)["name"]) == ["Ann"]


def test_export_holds_both_towns_the_decision_log_and_provenance(room):
    """The class's zip has CSV and Parquet tables and a provenance record."""
    ann = room.join("Ann")
    room.decide("Ann", {"plots": {int(free_plots(room.town, ann.index)[0]): "lease"}})
    room.advance(room.year)
    z = zipfile.ZipFile(io.BytesIO(export_zip(room)))
    names = set(z.namelist())
    for table in ("outcomes_class", "outcomes_model", "decisions", "roles"):
        assert {f"{table}.csv", f"{table}.parquet"} <= names
    decisions = pd.read_parquet(io.BytesIO(z.read("decisions.parquet")))
    assert list(decisions["who"]) == ["Ann"]
    prov = json.loads(z.read("provenance.json"))
    assert prov["class_code"] == room.code and prov["seed"] == 2


def test_classes_are_kept_apart_and_guarded_by_the_teachers_key(registry):
    """Each class has its own code, town and students; only its key opens it for the teacher."""
    a = registry.start("baseline", 3, 0)
    b = registry.start("baseline", 3, 0)
    assert a.code != b.code and a.town is not b.town and a.teacher_key not in repr(a)
    a.join("Ann")
    assert b.roles == {}
    assert registry.get(a.code.lower()) is a
    with pytest.raises(ClassError, match="not the teacher's address"):
        registry.teacher(a.code, b.teacher_key)
    with pytest.raises(ClassError, match="no class"):
        registry.get("ZZZZZ")
    with pytest.raises(ClassError, match="unknown scenario"):
        registry.start("../../etc/passwd", 3, 0)
    with pytest.raises(ClassError, match="Years to play must be"):
        registry.start("baseline", 0, 0)


def test_waiting_pages_wake_when_the_year_turns(room):
    """A page waiting on the round counter wakes when the teacher closes the year."""
    seen = []
    t = threading.Thread(target=lambda: seen.append(room.wait(room.round, 10, "round")))
    t.start()
    room.advance(room.year)
    t.join(5)
    assert seen == [1]


def test_decisions_wake_the_teacher_but_not_the_students_pages(room):
    """Forty decisions in a round redraw the teacher's list; the students' pages, which wait
    for the next year, are woken only when it comes."""
    woken = {"changed": 0, "new_round": 0}
    for name in woken:
        cond = getattr(room, name)
        real = cond.notify_all

        def counting(real=real, name=name):
            woken[name] += 1
            real()

        cond.notify_all = counting
    ann = room.join("Ann")
    room.decide("Ann", {"plots": {int(free_plots(room.town, ann.index)[0]): "lease"}})
    assert woken == {"changed": 2, "new_round": 0}
    room.advance(room.year)
    assert woken == {"changed": 3, "new_round": 1}


def test_every_classroom_label_exists_in_both_languages():
    """English and Chinese have the same labels."""
    assert set(TEXT["en"]) == set(TEXT["zh"])


def test_every_line_of_a_households_income_has_a_label_in_both_languages(room):
    """Each kind of money a household received or paid in two years of a class (and each
    line of the income table's order) is named in English and Chinese, so a new flow kind
    in the ledger cannot reach a student's page as its code name."""
    assert room.advance(0) and room.advance(1)
    seen = {k for lines in room.town.income_by_source.values() for k in lines}
    assert {"crop_sales", "farmland_subsidy"} <= seen
    for kind in seen | set(INCOME_ORDER):
        assert f"src.{kind}" in TEXT["en"] and f"src.{kind}" in TEXT["zh"], kind


def test_qr_code_and_outlined_map_are_drawn_locally(room):
    """The QR code is an inline SVG; the map outlines the given plots."""
    assert qr_svg("http://10.0.0.2:8765/join?code=ABCDE").startswith("<svg")
    png = outlined_map_png(room.town, np.array([0, 5]))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    p, k = room.town.plots, OUTLINE_SCALE
    assert img.shape == (p.height * k, p.width * k, 3)
    for plot, outlined in ((0, True), (5, True), (1, False)):
        r, c = int(p.row[plot]) * k, int(p.col[plot]) * k
        corner, inner = tuple(img[r, c]), tuple(img[r + 1, c + 1])
        assert (corner == (0, 0, 0) and inner == (255, 255, 255)) == outlined


def test_opening_a_class_to_the_network_prints_a_warning(capsys):
    """--host 0.0.0.0 prints the join address and the warning; 127.0.0.1 prints no warning."""
    env = announce("0.0.0.0", 8765)
    out = capsys.readouterr().out
    assert "WARNING" in out and "anyone on this network" in out
    assert env["LANDSIM_CLASSROOM_URL"].endswith(":8765/join")
    announce("127.0.0.1", 8765)
    assert "WARNING" not in capsys.readouterr().out


def test_the_server_keeps_its_libraries_out_of_full_collections():
    """Before serving, the app imports what it runs and freezes it: a full collection then
    walks only what sessions made (a class's pages stall for every full collection)."""
    import gc

    from landsim.commands.app import GC_YOUNG_THRESHOLD, _freeze_startup_objects

    before = gc.get_threshold()
    try:
        _freeze_startup_objects()
        assert gc.get_freeze_count() > 50_000
        assert gc.get_threshold()[0] == GC_YOUNG_THRESHOLD > before[0]
        import solara.server.starlette as served  # imported by the call above

        assert gc.is_tracked(served) and all(o is not served for o in gc.get_objects())
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


def _rendered(room, component, *args):
    """Render a component of a student's page in-process; returns (its render context, a list
    that grows at each render of the page)."""
    import solara

    renders = []

    @solara.component
    def Page():
        renders.append(room.year)
        component(*args)

    _, rc = solara.render(Page(), handle_error=False)
    return rc, renders


def _household_form(room, role):
    from landsim.app.classroom.forms import HouseholdForm
    from landsim.app.classroom.student import HouseholdView

    rc, renders = _rendered(room, HouseholdView, room, role, "en", room.year)
    return rc.find(HouseholdForm).widget, renders


def _click(widget, data):
    """What the browser sends when the student presses Send."""
    widget._handle_event(None, {"event": "send", "data": data}, [])


def test_a_decision_is_answered_on_its_button_without_redrawing_the_page(room):
    """The plots' choices come with the click; the answer is set on the form's own widget and
    the page is not rendered again (forty simultaneous clicks each used to re-render a page)."""
    ann = room.join("Ann")
    form, renders = _household_form(room, ann)
    free = [p for p in form.form["plots"] if p["free"]]
    offered = {o["value"] for o in form.form["options"]}
    assert free and all(p["choice"] in offered for p in free)
    assert offered >= {"keep", "lease", "coop"}, "the recommended scenario has a co-op in round 1"
    assert form.answer_year != form.year and not form.decided
    plot = free[0]["plot"]
    _click(form, {"plots": {str(plot): "lease"}, "engage": True})
    assert (form.answer_kind, form.answer_year) == ("ok", room.year), form.answer
    assert form.answer == "Decision received for year 1."
    assert room.plots == {ann.index: {plot: "lease"}} and room.engage == {ann.index: True}
    assert renders == [0], "the answer did not re-render the page"


@pytest.mark.parametrize(
    "data, reason",
    [
        ("lease everything", "must map plot numbers"),
        ({"plots": [1, 2]}, "must map plot numbers"),
        ({"plots": {"-1": "lease"}}, "whole number"),
        ({"plots": {"1e3": "lease"}}, "whole number"),
        ({"plots": {}, "government": {"audit_rate": 1}}, "plots and engage"),
        ({"plots": {}, "engage": "yes"}, "engage must be true or false"),
    ],
)
def test_what_the_browser_sends_for_a_household_is_checked(room, data, reason):
    """A forged click's data is refused with the reason; nothing is stored."""
    ann = room.join("Ann")
    form, _ = _household_form(room, ann)
    _click(form, data)
    assert form.answer_kind == "rejected" and reason in form.answer
    assert not room.has_decided("Ann") and room.plots == {}


def test_a_rejected_decision_says_why_on_the_button(room):
    """Another student's plot is refused with the class's reason; nothing is stored."""
    ann, bo = room.join("Ann"), room.join("Bo")
    bos_plot = int(free_plots(room.town, bo.index)[0])
    form, _ = _household_form(room, ann)
    _click(form, {"plots": {str(bos_plot): "lease"}})
    assert form.answer_kind == "rejected"
    assert form.answer.startswith("Rejected:") and "not a plot of your household" in form.answer
    assert not room.has_decided("Ann") and room.plots == {}


def test_a_reloaded_page_shows_the_decision_already_received(room):
    """A page opened after the student decided says the decision is in and shows it."""
    ann = room.join("Ann")
    plot = int(free_plots(room.town, ann.index)[0])
    room.decide("Ann", {"plots": {plot: "lease"}})
    form, _ = _household_form(room, ann)
    assert form.decided and form.received == "Decision received for year 1."
    assert {p["plot"]: p["choice"] for p in form.form["plots"]}[plot] == "lease"
    room.advance(room.year)
    form, _ = _household_form(room, ann)
    assert not form.decided, "a new year opens undecided"
    assert form.form["year"] == 1


def test_a_secretary_sends_the_pages_levers_not_the_browsers_data(room):
    """For a branch or the government the click carries nothing: the server stores what the
    page's own controls hold, whatever the message says."""
    from landsim.app.classroom.forms import DecisionButton, SendDecision

    sec = room.join("Sec", "branch")
    decision = {
        "found": True,
        "benefit_rule": "fixed_rent",
        "guaranteed_rent": 600.0,
        "fixed_rent": 700.0,
        "member_share": 0.5,
    }
    rc, _ = _rendered(room, SendDecision, room, sec, decision, "en", room.year)
    button = rc.find(DecisionButton).widget
    _click(button, {"benefit_rule": "guaranteed_dividend", "guaranteed_rent": 1e9})
    assert button.answer_kind == "ok", button.answer
    assert room.branches[sec.index].benefit_rule == "fixed_rent"
    assert room.branches[sec.index].guaranteed_rent == 600.0


def test_the_send_button_takes_no_other_message(room, monkeypatch):
    """A forged message naming a module and a class to create is ignored (ipyvue's handler
    would import and call them), and so is any event but the click."""
    import sys
    import types

    ann = room.join("Ann")
    form, _ = _household_form(room, ann)
    made = []
    monkeypatch.setitem(
        sys.modules, "landsim_probe", types.SimpleNamespace(Probe=lambda **k: made.append(k))
    )
    for forged in (
        {"create_widget": ["landsim_probe", "Probe"], "props": {}, "id": "x"},
        {"event": "submit", "data": {}},
        {"update_ref": {"objectRef": "submit"}, "id": "x", "prop": "x"},
        "send",
    ):
        form._handle_event(None, forged, [])
    assert made == [] and not room.has_decided("Ann") and form.answer_kind == ""


# ------------------------------------------------------------------------- issue 26
def test_a_class_is_saved_and_comes_back_the_same_after_a_restart(tmp_path):
    """A class saved in the data folder (0600, digests only) is restored by a new registry
    on the same folder: the same year, students, open decisions and town, bit for bit."""
    from landsim.app.classroom.store import ClassStore

    store = ClassStore(tmp_path / "classes")
    room = Registry(store).start("coop_guaranteed_dividend", 3, 0, seed=4, browser="t-browser")
    ann = room.join("Ann", browser="ann-browser", lang="zh")
    room.decide("Ann", {"plots": {int(p): "lease" for p in free_plots(room.town, ann.index)}})
    room.advance(0)
    room.decide("Ann", {"plots": {int(free_plots(room.town, ann.index)[0]): "keep"}})
    store.flush()
    saved = tmp_path / "classes" / room.code / "class.json"
    assert saved.stat().st_mode & 0o777 == 0o600 and saved.parent.stat().st_mode & 0o777 == 0o700
    text = saved.read_text(encoding="utf-8")
    assert room.teacher_key not in text and "ann-browser" not in text and "t-browser" not in text

    again = Registry(ClassStore(tmp_path / "classes")).get(room.code)
    assert again is not room and again.year == room.year == 1
    assert again.role_for_browser("ann-browser").name == "Ann" and again.roles["Ann"].lang == "zh"
    assert again.plots == room.plots and again.is_teacher(None, "t-browser")
    assert again.is_teacher(room.teacher_key) and not again.is_teacher("guess")
    pd.testing.assert_frame_equal(again.town.outcomes(), room.town.outcomes())
    pd.testing.assert_frame_equal(again.model_town.outcomes(), room.model_town.outcomes())
    assert np.array_equal(again.town.plots.kind, room.town.plots.kind)


def test_a_saved_class_that_cannot_be_read_is_left_out(tmp_path, caplog):
    """A damaged file does not stop the server: the class is unknown and the log says why."""
    from landsim.app.classroom.store import ClassStore

    folder = tmp_path / "classes" / "ABCDE"
    folder.mkdir(parents=True)
    (folder / "class.json").write_text('{"format": 1, "code": "ABCDE"}')
    with pytest.raises(ClassError, match="no class"):
        Registry(ClassStore(tmp_path / "classes")).get("ABCDE")
    assert "could not restore class ABCDE" in caplog.text


def test_a_household_reads_each_plots_terms_and_an_income_that_adds_up(room):
    """Before deciding: each plot's size in mu, terrain, and what keeping, leasing and the
    co-op would bring for it; after the year, income lines that add up to the household's
    net income, and what happened to each plot."""
    from landsim.app.classroom.reports import household_view

    ann = room.join("Ann")
    view = household_view(room, ann.index)
    assert view["coop"] is not None, "the recommended scenario has a co-op in round 1"
    assert view["lease_years"] == (1, 1) and view["coop_years"] == (1, 1)
    for plot in view["plots"]:
        assert plot["mu"] > 0 and plot["terms"]["keep"]["days"] > 0
        assert plot["terms"]["lease"]["rent"] >= 0 and plot["terms"]["coop"]["base"] > 0
        assert plot["last"]["use"] in ("own", "idle", "lease", "coop", "custody")
    total = float(room.town.population.income[ann.index])
    assert view["income_total"] == pytest.approx(total, rel=1e-6, abs=1.0)
    assert sum(x for _, x in view["income"]) == pytest.approx(view["income_total"])


def test_a_plot_left_idle_says_why(registry):
    """Twenty households offer every plot for lease: a plot of theirs left idle reads
    "no_bid" (nobody bid for it), a leased one names its lessee; the leases run one year."""
    from landsim.app.classroom.classtown import plot_story

    room = registry.start("coop_guaranteed_dividend", 3, 0, seed=1)
    roles = [room.join(f"S{i}", browser=f"b{i}") for i in range(20)]
    for r in roles:
        plots = {int(p): "lease" for p in free_plots(room.town, r.index)}
        room.decide(r.name, {"plots": plots})
    room.advance(0)
    held = [s for r in roles for s in plot_story(room.town, r.index)["held"]]
    idle = [s for s in held if s["use"] == "idle"]
    assert idle and all(s["why"] == "no_bid" for s in idle), idle
    leased = [s for s in held if s["use"] == "lease"]
    assert leased and all(s["lessee"] is not None and s["years_left"] == 0 for s in leased)


def test_the_explorer_shows_only_the_levers_a_scenario_uses():
    """No co-op levers without co-ops, no custody price without the firm."""
    from landsim.app.session import load_params
    from landsim.app.views import COOP_LEVERS, FIRM_LEVERS, levers_in_use

    used = {n: levers_in_use(load_params(n)[0]) for n in ("baseline", "custody_only")}
    assert not used["baseline"] & {*COOP_LEVERS, *FIRM_LEVERS}
    assert "custody_price" in used["custody_only"]
    assert not used["custody_only"] & set(COOP_LEVERS)
    assert {*COOP_LEVERS, *FIRM_LEVERS} <= levers_in_use(load_params("tri_party_governance")[0])


def test_year0_flows_are_missing_and_every_chart_line_is_named():
    """Year 0's money flows are NaN (a gap in the chart, not a drop to 0); the legend names
    each run and each column of a chart."""
    from landsim.app.charts import CHARTS, chart_svg, legend_html, without_year0_flows
    from landsim.model import LandModel

    m = LandModel(rng=1)
    m.step()
    df = without_year0_flows(m.outcomes())
    assert np.isnan(df.loc[df.year == 0, "household_income_mean"]).all()
    assert not np.isnan(df.loc[df.year == 1, "household_income_mean"]).any()
    assert df.loc[df.year == 0, "abandonment_rate"].notna().all()  # a state, not a flow
    income = next(c for c in CHARTS if c.id == "income")
    assert "polyline" in chart_svg(income, [df], 10)
    both = legend_html(income, ["Our town", "Model's town"], "en")
    assert both.count("landsim-chart-series") == 4 and "Model&#x27;s town: all households" in both
    assert "户主65岁以上" in legend_html(income, ["A"], "zh")


def test_year0_flows_of_any_frame_are_made_missing_and_the_models_are_not_copied():
    """A frame whose year-0 flows are numbers (one read from a file) gets them as NaN, in a
    copy; the model's outcomes, whose flows are missing already, come back as they are."""
    import pandas as pd

    from landsim.app.charts import without_year0_flows
    from landsim.model import LandModel

    given = pd.DataFrame(
        {"year": [0, 1], "household_income_mean": [5.0, 6.0], "abandonment_rate": [0.1, 0.2]}
    )
    out = without_year0_flows(given)
    assert (
        np.isnan(out["household_income_mean"].iloc[0]) and out["household_income_mean"].iloc[1] == 6
    )
    assert given["household_income_mean"].iloc[0] == 5.0 and out["abandonment_rate"].iloc[0] == 0.1
    m = LandModel(rng=1)
    m.step()
    df = m.outcomes()
    assert without_year0_flows(df) is df


def test_a_students_map_outlines_their_plots_on_the_towns_picture_drawn_once(room):
    """The student's map is the town's picture (one PNG per town and year, shared by every
    page) with two rings per plot of the household; a new year draws a new picture."""
    from landsim.app.classroom.qr import outlined_map_svg, town_png

    ann, bo = room.join("Ann"), room.join("Bo")
    p = room.town.plots
    mine = np.flatnonzero(p.holder == ann.index)
    svg = outlined_map_svg(room.town, mine, "landsim-student-map")
    assert (
        svg.startswith('<svg class="landsim-student-map"') and svg.count("<rect") == 2 * mine.size
    )
    first = town_png(room.town)
    assert first is town_png(room.town), "drawn once for every page of the year"
    img = Image.open(io.BytesIO(first))
    assert img.size == (p.width, p.height)
    other = outlined_map_svg(room.town, np.flatnonzero(p.holder == bo.index))

    def picture(svg: str) -> str:
        return svg[svg.index("<image") : svg.index("/>", svg.index("<image"))]

    assert picture(other) == picture(svg), "every page shows the same picture of the town"
    room.advance(room.year)
    assert town_png(room.town) is not first


def test_each_lease_setting_applies_to_every_scenario_a_class_can_start():
    """The teacher's lease settings give valid parameters on every offered scenario (the
    class's one-year leases set the co-ops' shortest and longest terms together)."""
    from landsim.app.classroom.room import LEASES, class_params
    from landsim.app.session import scenario_names

    for name in scenario_names():
        for leases in LEASES:
            lv = class_params(name, leases).levers
            assert lv.coop_lease_years_min <= lv.coop_lease_years
            if leases == "class":
                assert lv.coop_lease_years == 1


def test_the_map_draws_the_same_picture_with_its_boundaries_kept_between_years():
    """The village boundaries are worked out once per model and scale; each year's map is the
    picture drawn from scratch (the same PNG as with nothing kept), and what is kept cannot be
    written to by a caller."""
    from landsim.app import mapview
    from landsim.model import LandModel

    m = LandModel(rng=2)
    for _ in range(2):
        m.step()
        kept = mapview.map_png(m, "operator")
        mapview._EDGES.clear()
        assert mapview.map_png(m, "operator") == kept
    edge = mapview.boundary_pixels(m, 3)
    assert edge.any() and not edge.flags.writeable
    assert mapview.boundary_pixels(m, 3) is edge
