"""The trust boundary holds on every page: the attacks of issue 20 replayed, and a fuzz of
forged messages over every widget of the explorer and of each classroom role.

Each test drives a real ``landsim app`` over its websocket (:class:`tests.wsclient.HeadlessTab`,
no browser) and sends what a forged page would. What must hold after any of it: no file is
created or changed (a victim file, the server's home, data and working folders), the server
logs no traceback, and the page still does what a person asks of it.
"""

from __future__ import annotations

import http.cookiejar
import json
import math
import random
import re
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.wsclient import HeadlessTab, serving

TEMPLATE_MODELS = ("VueTemplateModel", "VuetifyTemplateModel")
VICTIM_TEXT = "a file the server may write, which no browser may touch\n"


#: the files pages write on purpose: a tab's saved state after a Step, a class's after a
#: change (names made by the server: a tab id, a class code)
SAVED_TAB = re.compile(
    r"/tabs/[0-9a-f]{32}/(run[01]\.npz|session\.json|\.lock)$"
    # a class's file, and the store's temporary file while it writes it (files.atomic_write)
    r"|/classes/[A-Z0-9]{3,10}/(class\.json|\.class\.json\.[0-9a-f]+\.tmp)$"
)


def _snapshot(*folders: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``folders`` but saved tabs and classes: path -> (size, mtime in ns)."""
    out = {}
    for folder in folders:
        for p in sorted(folder.rglob("*")):
            if p.is_file() and not SAVED_TAB.search(str(p)):
                st = p.stat()
                out[str(p)] = (st.st_size, st.st_mtime_ns)
    return out


class Server:
    """A served app with its folders, a victim file, and its log."""

    def __init__(self, root: Path, url: str) -> None:
        self.root, self.url = root, url
        self.log = root / "server.log"
        self.victim = root / "victim" / "notes.txt"

    def files(self) -> dict[str, tuple[int, int]]:
        """The files the server could write to, as they are now."""
        return _snapshot(self.root / "home", self.root / "cwd", self.victim.parent)

    def log_text(self) -> str:
        """The server's log so far."""
        return self.log.read_text(encoding="utf-8", errors="replace")


def _serve(tmp_path_factory, *extra: str):
    root = tmp_path_factory.mktemp("boundary")
    for d in ("home", "cwd", "victim"):
        (root / d).mkdir()
    (root / "victim" / "notes.txt").write_text(VICTIM_TEXT, encoding="utf-8")
    log = open(root / "server.log", "w")
    args = ["--data", str(root / "home" / "data"), "--log-level", "info", *extra]
    env = {"HOME": str(root / "home"), "XDG_STATE_HOME": "", "LANDSIM_APP_TABS": ""}
    with serving(args, env=env, log=log, cwd=root / "cwd") as (url, _):
        yield Server(root, url)
    log.close()


@pytest.fixture(scope="module")
def explorer(tmp_path_factory):
    """``landsim app`` (the explorer at ``/``)."""
    yield from _serve(tmp_path_factory)


@pytest.fixture(scope="module")
def classroom(tmp_path_factory):
    """``landsim app --classroom`` (``/``, ``/teacher``, ``/join``)."""
    yield from _serve(tmp_path_factory, "--classroom")


# ------------------------------------------------------------------------- classroom helpers
def start_class(url: str, jar=None) -> tuple[HeadlessTab, str]:
    """A teacher's page that started a class; and the class code."""
    teacher = HeadlessTab(url, "/teacher", jar=jar)
    teacher.click(teacher.find("landsim-start-class"))
    code = teacher.widgets[teacher.find("landsim-code")]["unsafe_innerHTML"].strip()
    assert re.fullmatch(r"[A-Z0-9]{5}", code)
    return teacher, code


def type_text(tab: HeadlessTab, css: str, text: str) -> None:
    """Type ``text`` into the text field ``css`` and leave it (as a person does)."""
    field = tab.find(css)
    tab.set_value(field, text)
    tab.event(field, "focusout")


def join(url: str, code: str, name: str, wish: int = 0) -> HeadlessTab:
    """A student's page (a browser of its own) joined to class ``code`` as ``name``; ``wish``
    is the join form's button: 0 household, 1 branch, 2 government."""
    tab = HeadlessTab(url, "/join")
    type_text(tab, "landsim-join-code", code)
    type_text(tab, "landsim-join-name", name)
    if wish:
        tab.set_value(tab.find("landsim-join-wish"), wish)
    tab.click(tab.find("landsim-join"))
    assert name in tab.widgets[tab.find("landsim-you")]["unsafe_innerHTML"], tab.text()[:300]
    return tab


def items(tab: HeadlessTab, css: str) -> list:
    """The items of the select ``css`` ([] while the page does not show it)."""
    try:
        return tab.widgets[tab.find(css)].get("items") or []
    except LookupError:
        return []


def send_button(tab: HeadlessTab) -> str:
    """The comm id of the page's Send (a household's form or a secretary's button)."""
    found = [
        cid
        for cid, st in tab.widgets.items()
        if "landsim-send" in str(st.get("template", "")) and "answer_kind" in st
    ]
    assert len(found) == 1, found
    return found[0]


def year_of(tab: HeadlessTab) -> int:
    """Years the class has played: the page shows the year being decided ("Year 2 of 3":
    one played), then "3 of 3 years played"."""
    html = tab.widgets[tab.find("landsim-year")].get("unsafe_innerHTML") or ""
    shown = int(re.search(r"\d+", html).group())
    return shown if "played" in html else shown - 1


def explorer_year(tab: HeadlessTab) -> int:
    return int(re.search(r"\d+", tab.widgets[tab.find("landsim-year")]["children"][0]).group())


# ------------------------------------------------------------------------- the attacks
def _components_attack(tab: HeadlessTab, victim: Path, created: Path) -> int:
    """Issue 20's attack on every template widget of a page: set ``components``, then ask
    ipyvue to build ``logging.basicConfig`` writing ``created`` and truncating ``victim``.
    Returns the number of template widgets attacked."""
    templates = [c for c, st in tab.widgets.items() if st.get("_model_name") in TEMPLATE_MODELS]
    assert templates, "every page has template widgets (solara's Style and Title at least)"
    for cid in templates:
        for target in (created, victim):
            tab.set_value(cid, {"x": {"class": ["logging", "Logger"], "props": []}}, "components")
            tab.send(
                "comm_msg",
                {
                    "comm_id": cid,
                    "data": {
                        "method": "custom",
                        "content": {
                            "create_widget": ["logging", "basicConfig"],
                            "props": {
                                "filename": str(target),
                                "filemode": "w",
                                "force": True,
                                "format": "import os; os.system('touch /tmp/pwned')",
                            },
                            "id": "forged",
                        },
                    },
                },
            )
            tab.send(
                "comm_msg",
                {
                    "comm_id": cid,
                    "data": {
                        "method": "custom",
                        "content": {"update_ref": {"functionRef": "close"}, "id": cid, "prop": "x"},
                    },
                },
            )
            tab.send(
                "comm_msg",
                {"comm_id": cid, "data": {"method": "custom", "content": {"destroy_widget": cid}}},
            )
    return len(templates)


def _assert_untouched(server: Server, before: dict, created: Path) -> None:
    assert not created.exists(), "a browser message created a file"
    assert server.victim.read_text(encoding="utf-8") == VICTIM_TEXT, "the victim was changed"
    assert server.files() == before, "a file was created or changed"
    assert "Traceback" not in server.log_text()


def test_the_components_and_create_widget_attack_is_refused_on_the_explorer(explorer):
    """On ``/``: ``components`` cannot be set and ``create_widget`` builds nothing; no file is
    created or truncated, and Step still works."""
    created = explorer.victim.parent / "written-by-a-browser.pth"
    before = explorer.files()
    tab = HeadlessTab(explorer.url)
    try:
        assert _components_attack(tab, explorer.victim, created) >= 2
        tab.click(tab.find("landsim-step"))
        assert explorer_year(tab) == 1
    finally:
        tab.close()
    _assert_untouched(explorer, before, created)
    log = explorer.log_text()
    assert "refused a message from the browser" in log and "components" in log


def test_the_attack_is_refused_on_the_teacher_and_student_pages(classroom):
    """On ``/teacher`` (a running class) and ``/join`` (the join form and a student's page):
    the same attack changes nothing, and the class goes on."""
    created = classroom.victim.parent / "written-by-a-browser.pth"
    before = classroom.files()
    form = HeadlessTab(classroom.url, "/join")
    teacher, code = start_class(classroom.url)
    try:
        assert _components_attack(form, classroom.victim, created) >= 2
        assert _components_attack(teacher, classroom.victim, created) >= 2
        ann = join(classroom.url, code, "Ann")
        assert _components_attack(ann, classroom.victim, created) >= 3
        ann.event(send_button(ann), "send", {"plots": {}})
        assert ann.widgets[send_button(ann)]["answer_kind"] == "ok"
        teacher.click(teacher.find("landsim-next-year"))
        assert wait_for(teacher, lambda: year_of(teacher) == 1)
    finally:
        for t in (form, teacher):
            t.close()
    _assert_untouched(classroom, before, created)


def wait_for(tab: HeadlessTab, condition, timeout: float = 60.0) -> bool:
    """Let the server's messages arrive (by asking for the kernel's info, which it answers in
    order) until ``condition()`` holds; False after ``timeout`` seconds."""
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        tab.send("kernel_info_request", {})
    return True


def test_a_browser_cannot_open_a_widget_of_a_class_it_names(classroom):
    """``comm_open`` on ``jupyter.widget`` (ipywidgets would build the class the state names:
    a FileUpload, or ipyvue's template model with components) builds nothing: the comm is not
    opened, so the follow-up ``create_widget`` has nothing to reach."""
    created = classroom.victim.parent / "opened-by-a-browser.pth"
    before = classroom.files()
    tab = HeadlessTab(classroom.url, "/join")
    try:
        states = {
            "template": {
                "_model_module": "jupyter-vue",
                "_model_module_version": "^1.13.0",
                "_model_name": "VueTemplateModel",
                "_view_module": "jupyter-vue",
                "_view_module_version": "^1.13.0",
                "_view_name": "VueView",
                "template": "<template><div/></template>",
                "components": {"x": {"class": ["logging", "Logger"], "props": []}},
            },
            "upload": {
                "_model_module": "@jupyter-widgets/controls",
                "_model_module_version": "2.0.0",
                "_model_name": "FileUploadModel",
                "_view_module": "@jupyter-widgets/controls",
                "_view_module_version": "2.0.0",
                "_view_name": "FileUploadView",
            },
        }
        for name, state in states.items():
            comm_id = f"forged-{name}"
            tab.send(
                "comm_open",
                {
                    "comm_id": comm_id,
                    "target_name": "jupyter.widget",
                    "data": {"state": state, "buffer_paths": []},
                },
                metadata={"version": "2.1.0"},
            )
            tab.send(
                "comm_msg",
                {
                    "comm_id": comm_id,
                    "data": {
                        "method": "custom",
                        "content": {
                            "create_widget": ["logging", "basicConfig"],
                            "props": {"filename": str(created), "force": True},
                            "id": "x",
                        },
                    },
                },
            )
        tab.send("comm_info_request", {})
        reply = [m for m in tab.received if m["header"]["msg_type"] == "comm_info_reply"][-1]
        assert not any(c.startswith("forged-") for c in reply["content"]["comms"])
        type_text(tab, "landsim-join-code", "ZZZZZ")
        tab.click(tab.find("landsim-join"))
        assert "no class with code" in tab.text()
    finally:
        tab.close()
    _assert_untouched(classroom, before, created)
    assert "comm_open on 'jupyter.widget'" in classroom.log_text()


# ------------------------------------------------------------------------- the fuzz
HOSTILE = [
    math.nan,
    math.inf,
    -math.inf,
    "not a number",
    "",
    "x" * 5000,
    "__import__('os').system('touch /tmp/pwned')",
    "../../../../etc/passwd",
    "/teacher?code=ZZZZZ&key=guess",
    "http://example.invalid/",
    "//example.invalid/x",
    -1,
    10**30,
    1e308,
    0,
    1,
    True,
    None,
    [],
    [1, 2, 3],
    {},
    {"plots": {"1": {"nested": "dict"}}},
    {"class": ["logging", "basicConfig"], "props": {"filename": "/tmp/x"}},
    "IPY_MODEL_forged",
    "\u202e\u200b\udcff",
]
EVENTS = [
    "click",
    "send",
    "focusout",
    "keyup.enter",
    "no_such_event",
    "__init__",
    "_handle_event",
    "__class__",
    "request_download",
    "layout_updated",
]


def _forged_messages(tab: HeadlessTab, rng: random.Random, n: int) -> list[tuple[str, dict]]:
    """``n`` forged messages over every widget of ``tab``: every trait with hostile values,
    unknown keys, events the widget has and has not, ipyvue's component messages, widget
    methods that do not exist, and messages that are not comm messages at all."""
    msgs: list[tuple[str, dict]] = []
    widgets = sorted(tab.widgets)
    for cid in widgets:
        state = tab.widgets[cid]
        for trait in sorted(state) + ["components", "_component_instances", "no_such_trait"]:
            msgs.append(("update", {"comm_id": cid, "trait": trait, "value": rng.choice(HOSTILE)}))
        for event in EVENTS:
            msgs.append(("event", {"comm_id": cid, "event": event, "data": rng.choice(HOSTILE)}))
        msgs.append(("raw", {"comm_id": cid, "data": {"method": "custom", "content": "send"}}))
        msgs.append(("raw", {"comm_id": cid, "data": {"method": "no_such_method"}}))
        msgs.append(("raw", {"comm_id": cid, "data": {"method": "update", "state": "x"}}))
    rng.shuffle(msgs)
    extra = [
        ("type", {"msg_type": "execute_request", "content": {"code": "import os"}}),
        ("type", {"msg_type": "shutdown_request", "content": {"restart": False}}),
        ("type", {"msg_type": "comm_close", "content": {"comm_id": rng.choice(widgets)}}),
        ("type", {"msg_type": "comm_open", "content": {"comm_id": "c", "target_name": "x"}}),
        ("control", {"method": "run", "args": {"path": "/"}}),
        ("control", {"method": "reload", "path": "/"}),
        ("control", {"method": "evict"}),
    ]
    while len(msgs) < n:
        msgs.append(rng.choice(msgs[: len(widgets) * 10] + extra))
    return msgs[: max(n, len(msgs))]


def _send_forged(tab: HeadlessTab, kind: str, m: dict) -> None:
    if kind == "update":
        tab.set_value(m["comm_id"], m["value"], m["trait"])
    elif kind == "event":
        tab.event(m["comm_id"], m["event"], m["data"])
    elif kind == "raw":
        tab.send("comm_msg", m)
    elif kind == "type":
        tab.send(m["msg_type"], m["content"])
    else:
        tab.send("comm_msg", {"comm_id": tab._control, "data": m})


PER_PAGE = 220  # five pages: over 1,000 forged messages in all


def _fuzz(tab: HeadlessTab, seed: int) -> int:
    rng = random.Random(seed)
    msgs = _forged_messages(tab, rng, PER_PAGE)[:PER_PAGE]
    for kind, m in msgs:
        _send_forged(tab, kind, m)
    return len(msgs)


def test_a_thousand_forged_messages_change_nothing_on_any_page(explorer, classroom):
    """Over 1,000 forged messages over every widget of the explorer, the join form, a
    household's, a secretary's and the government's page and the teacher's page: no file is
    created or changed, no traceback, and each page still answers what a person does."""
    before = {s: s.files() for s in (explorer, classroom)}
    sent = 0
    tab = HeadlessTab(explorer.url)
    try:
        sent += _fuzz(tab, 1)
        # the forged messages may have pressed the page's own buttons (Step, Play) as a
        # person could: the page answers when Step moves the year on from wherever it is
        year = explorer_year(tab)
        tab.click(tab.find("landsim-step"))
        assert wait_for(tab, lambda: explorer_year(tab) > year)
    finally:
        tab.close()
    teacher, code = start_class(classroom.url)
    form = HeadlessTab(classroom.url, "/join")
    pages = {
        "household": join(classroom.url, code, "Hu"),
        "branch": join(classroom.url, code, "Bai", wish=1),
        "government": join(classroom.url, code, "Gao", wish=2),
    }
    try:
        sent += _fuzz(form, 2)
        type_text(form, "landsim-join-code", code)
        type_text(form, "landsim-join-name", "Form")
        form.click(form.find("landsim-join"))
        assert "Form" in form.text()
        for i, (role, page) in enumerate(pages.items()):
            sent += _fuzz(page, 3 + i)
            page.event(send_button(page), "send", {"plots": {}})
            assert page.widgets[send_button(page)]["answer_kind"] == "ok", (role, page.text())
        sent += _fuzz(teacher, 9)

        def shows(css: str) -> bool:
            try:
                teacher.find(css)
            except LookupError:
                return False
            return True

        # the forged messages may have pressed End, as a teacher could: the page then answers
        # with the class's debrief, else with its Next year button
        assert wait_for(
            teacher, lambda: shows("landsim-next-year") or shows("landsim-debrief-title")
        ), teacher.text()[:500]
        if shows("landsim-next-year"):  # (else the class was ended and shows its debrief)
            if teacher.widgets[teacher.find("landsim-next-year")].get("disabled"):
                assert wait_for(teacher, lambda: year_of(teacher) >= 1)
            else:
                year = year_of(teacher)
                teacher.click(teacher.find("landsim-next-year"))
                assert wait_for(teacher, lambda: year_of(teacher) == year + 1)
    finally:
        for t in (teacher, form, *pages.values()):
            t.close()
    assert sent >= 1000
    for server in (explorer, classroom):
        assert server.files() == before[server], "a forged message created or changed a file"
        assert server.victim.read_text(encoding="utf-8") == VICTIM_TEXT
        log = server.log_text()
        assert "Traceback" not in log, log[log.find("Traceback") - 200 :][:3000]


# ------------------------------------------------------------------------- point 2
def _slider_of(tab: HeadlessTab, css: str) -> str:
    return tab.inside(tab.find(css), "SliderModel")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_forged_slider_values_keep_a_students_page_working(classroom, lang):
    """NaN, infinity, text, a dict or an out-of-range number on the government's and the
    branch secretary's sliders (solara's slider raises on text) are refused at the boundary
    with a message in the page's language; the pages still send their decisions."""
    _, code = start_class(classroom.url)
    gov = join(classroom.url, code, f"Gov {lang}", wish=2)
    sec = join(classroom.url, code, f"Sec {lang}", wish=1)
    message = {"en": "was refused", "zh": "已被拒绝"}[lang]
    try:
        for tab, css in (
            (gov, "landsim-gov-audit_rate"),
            (gov, "landsim-gov-subsidy_years"),
            (sec, "landsim-branch-member_share"),
        ):
            if lang == "zh":
                tab.click(tab.find("landsim-lang-zh"))
            slider = _slider_of(tab, css)
            before = tab.widgets[slider]["v_model"]
            for forged in (math.nan, "text", {"a": 1}, 1e9, -5, None, True):
                tab.set_value(slider, forged)
                assert tab.widgets[slider]["v_model"] == before
            assert message in tab.widgets[tab.find("landsim-refused")]["children"][0]
            tab.event(send_button(tab), "send", {})
            assert tab.widgets[send_button(tab)]["answer_kind"] == "ok", tab.text()[:500]
    finally:
        gov.close()
        sec.close()
    assert "Traceback" not in classroom.log_text()


def test_a_forged_plot_choice_is_answered_in_the_pages_language(classroom):
    """A plot choice sent as a dict (or any value the page does not offer) gets an answer,
    in the student's language, and nothing is stored."""
    _, code = start_class(classroom.url)
    hu = join(classroom.url, code, "Hu Forge")
    try:
        form = send_button(hu)
        plot = hu.widgets[form]["form"]["plots"][0]["plot"]
        hu.event(form, "send", {"plots": {str(plot): {"choice": "lease"}}})
        assert hu.widgets[form]["answer_kind"] == "rejected"
        assert "one of the page's options" in hu.widgets[form]["answer"]
        hu.click(hu.find("landsim-lang-zh"))
        form = send_button(hu)
        hu.event(form, "send", {"plots": {str(plot): "steal"}, "engage": "yes"})
        assert hu.widgets[form]["answer_kind"] == "rejected"
        assert (
            "被拒绝" in hu.widgets[form]["answer"]
            and "页面提供的选项" in hu.widgets[form]["answer"]
        )
    finally:
        hu.close()


@pytest.mark.parametrize("query", ["key=%C3%A9%C3%A9", "seat=%E2%80%AE%C3%A9", "key=%FF"])
def test_non_ascii_secrets_in_an_address_are_refused_without_an_error(classroom, query):
    """A teacher's key or a seat of any characters in the address, loaded or reached inside
    the page: the page opens without the secret in its address, says the address is not the
    teacher's, and logs no traceback."""
    from urllib.parse import unquote

    _, code = start_class(classroom.url)
    for path in (f"/teacher?code={code}&{query}", f"/join?code={code}&{query}"):
        tab = HeadlessTab(classroom.url, path)
        try:
            assert "key=" not in tab.path and "seat=" not in tab.path
            # the same address reached inside the page (solara's router), not through HTTP
            navigator = next(c for c, st in tab.widgets.items() if "location" in st)
            tab.set_value(navigator, unquote(path, errors="surrogateescape"), "location")
            tab.set_value(navigator, unquote(path), "location")
            if path.startswith("/teacher"):
                assert "not the teacher's address" in tab.text()
                with pytest.raises(LookupError):
                    tab.find("landsim-next-year")
            else:
                tab.find("landsim-join")
        finally:
            tab.close()
    assert "Traceback" not in classroom.log_text()


# ------------------------------------------------------------------------- point 3
def test_next_year_closes_one_year_whatever_the_clicks(classroom):
    """A double click, and a second teacher page in the same browser, close one year: the
    button is disabled while the year runs, and a repeat names a year already closed."""
    jar = http.cookiejar.CookieJar()
    teacher, code = start_class(classroom.url, jar=jar)
    second = HeadlessTab(classroom.url, f"/teacher?code={code}", jar=jar)
    try:
        button = teacher.find("landsim-next-year")
        second_button = second.find("landsim-next-year")
        teacher.click(button)
        disabled = [
            m["content"]["data"]["state"].get("disabled")
            for m in teacher.received
            if m["header"]["msg_type"] == "comm_msg"
            and m["content"].get("comm_id") == button
            and "disabled" in m["content"].get("data", {}).get("state", {})
        ]
        assert True in disabled, "Next year is disabled while the year runs"
        teacher.click(button)  # the second click of a double click
        second.click(second_button)  # the other teacher page, still showing year 0
        assert wait_for(teacher, lambda: year_of(teacher) == 1)
        assert wait_for(second, lambda: year_of(second) == 1)
        assert wait_for(teacher, lambda: not teacher.widgets[button].get("disabled"))
        teacher.send("kernel_info_request", {})
        assert year_of(teacher) == 1 and year_of(second) == 1
    finally:
        teacher.close()
        second.close()


# ------------------------------------------------------------------------- point 4
def test_the_teacher_key_never_stays_in_an_address(classroom):
    """Starting a class leaves no key in the teacher's address; the teacher's link, opened
    in another browser, is exchanged for an HttpOnly cookie and the address loses the key;
    without it the class does not open."""
    teacher, code = start_class(classroom.url)
    try:
        assert "key" not in json.dumps(
            [teacher.widgets[c].get("location") for c in teacher.widgets]
        ), "the teacher's page pushed its key into the address"
        teacher.click(teacher.find("landsim-show-teacher-link"))
        link = teacher.widgets[teacher.find("landsim-teacher-link")]["unsafe_innerHTML"]
        key = re.search(r"key=([^&<\s]+)", link).group(1)
    finally:
        teacher.close()
    req = urllib.request.Request(f"{classroom.url}/teacher?code={code}&key={key}")
    opener = urllib.request.build_opener(_NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as answer:
        opener.open(req, timeout=30)
    assert answer.value.code == 303
    assert answer.value.headers["Location"] == f"/teacher?code={code}"
    cookie = answer.value.headers["Set-Cookie"]
    assert cookie.startswith(f"landsim-teacher-{code}=") and "HttpOnly" in cookie
    other = HeadlessTab(classroom.url, f"/teacher?code={code}&key={key}")
    stranger = HeadlessTab(classroom.url, f"/teacher?code={code}")
    try:
        assert other.path == f"/teacher?code={code}"
        other.find("landsim-next-year")
        assert "not the teacher's address" in stranger.text()
    finally:
        other.close()
        stranger.close()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_a_student_page_keeps_no_name_or_seat_in_its_address(classroom):
    """After joining, the page's address holds the class code only; a reload in the same
    browser gives the same role back, another browser at that address gets the join form."""
    _, code = start_class(classroom.url)
    ann = join(classroom.url, code, "Ann Address")
    try:
        pushed = [st.get("location") for st in ann.widgets.values() if st.get("location")]
        assert pushed and all("Ann" not in p and "seat" not in p for p in pushed), pushed
        again = HeadlessTab(classroom.url, pushed[-1], jar=ann.jar)
        stranger = HeadlessTab(classroom.url, pushed[-1])
        assert "Ann Address" in again.widgets[again.find("landsim-you")]["unsafe_innerHTML"]
        stranger.find("landsim-join")
        again.close()
        stranger.close()
    finally:
        ann.close()


def test_the_teacher_frees_a_seat_and_sets_the_class_size(classroom):
    """From the dashboard: a class size of one refuses a second student; freeing the first
    student's seat lets their page go and the name join again from another browser."""
    teacher, code = start_class(classroom.url)
    try:
        teacher.click(teacher.find("landsim-show-seats"))  # shown on request
        type_text(teacher, "landsim-size", "1")
        teacher.click(teacher.find("landsim-set-size"))
        ann = join(classroom.url, code, "Ann Seat")
        bo = HeadlessTab(classroom.url, "/join")
        type_text(bo, "landsim-join-code", code)
        type_text(bo, "landsim-join-name", "Bo Seat")
        bo.click(bo.find("landsim-join"))
        assert "this class is full (1 seats)" in bo.text()
        assert wait_for(teacher, lambda: "Ann Seat" in items(teacher, "landsim-free-seat-of"))
        teacher.set_value(teacher.find("landsim-free-seat-of"), "Ann Seat")
        free = teacher.find("landsim-free-seat")
        assert wait_for(teacher, lambda: not teacher.widgets[free].get("disabled"))
        teacher.click(free)
        assert wait_for(teacher, lambda: "The seat of Ann Seat is free" in teacher.text())
        assert wait_for(ann, lambda: "seat in this class was freed" in ann.text())
        again = join(classroom.url, code, "Ann Seat")
        again.close()
        bo.close()
        ann.close()
    finally:
        teacher.close()


# ------------------------------------------------------------------------- point 5
def test_a_full_server_says_so_and_keeps_its_open_pages(tmp_path):
    """With a cap of two sessions, a third page gets a clear page (HTTP 503, English and
    Chinese) and a third websocket is refused; the open pages keep working."""
    log = open(tmp_path / "server.log", "w")
    args = ["--data", str(tmp_path / "data"), "--max-sessions", "2", "--log-level", "info"]
    with serving(args, env={"HOME": str(tmp_path)}, log=log) as (url, _):
        a, b = HeadlessTab(url), HeadlessTab(url)
        try:
            with pytest.raises(urllib.error.HTTPError) as full:
                urllib.request.urlopen(url + "/", timeout=30)
            assert full.value.code == 503
            page = full.value.read().decode("utf-8")
            assert "This landsim server is full" in page and "服务器已满" in page
            from websockets.exceptions import InvalidStatus
            from websockets.sync.client import connect

            ws_url = url.replace("http", "ws", 1) + "/jupyter/api/kernels/k-new/channels"
            with pytest.raises(InvalidStatus):
                connect(f"{ws_url}?session_id=p", open_timeout=10)
            a.click(a.find("landsim-step"))
            assert explorer_year(a) == 1
        finally:
            a.close()
            b.close()
    log.close()
    assert "the server is full" in (tmp_path / "server.log").read_text()
