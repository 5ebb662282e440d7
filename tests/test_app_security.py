"""The app trusts nothing from the browser, keeps working after a forged message, and culls
the sessions of dropped tabs (and frees them); it writes nothing outside its data folder.

The server tests drive a real ``landsim app`` over its websocket with
:class:`tests.wsclient.HeadlessTab` (no browser): they send what a forged page would. The
attacks of issue 20 and a fuzz of forged messages are in ``tests/test_app_boundary.py``.
"""

from __future__ import annotations

import math
import re
import time
from pathlib import Path

import pytest

from landsim.app import session as app_session
from landsim.app.session import RefusedInput, Session
from tests.wsclient import HeadlessTab, serving

SECRET = "TOKEN-7f3a9c-do-not-show"


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    """A valid scenario file outside the scenario folder, holding a secret in its title."""
    path = tmp_path / "private" / "secret.toml"
    path.parent.mkdir()
    path.write_text(f'title = "{SECRET}"\n[levers]\naudit_rate = 0.5\n', encoding="utf-8")
    return path


def test_picker_refuses_names_that_are_not_offered(secret_file, monkeypatch):
    """A path, a ../ name or an unknown name is refused before any file is opened."""
    opened = []
    real = app_session.load_scenario
    monkeypatch.setattr(app_session, "load_scenario", lambda p: opened.append(p) or real(p))
    s = Session("baseline")
    opened.clear()
    before = s.runs[0]
    for name in (
        str(secret_file),
        str(secret_file.with_suffix("")),
        "../" * 12 + str(secret_file.with_suffix(""))[1:],
        "baseline/../baseline",
        "nope",
        None,
        ["baseline"],
    ):
        with pytest.raises(RefusedInput, match="not one of the scenarios this server offers"):
            s.choose_scenario(0, name)
    assert opened == [] and s.runs[0] is before
    s.choose_scenario(0, "coop_fixed_rent")  # an offered one still works
    assert s.runs[0].scenario == "coop_fixed_rent"


@pytest.mark.parametrize(
    "name, value, rule",
    [
        ("audit_rate", math.inf, "finite"),
        ("audit_rate", math.nan, "finite"),
        ("audit_rate", "0.5", "must be a number"),
        ("audit_rate", True, "must be a number"),
        ("audit_rate", 7.0, "between 0 and 1"),
        ("subsidy_years", 2.5, "whole number"),
        ("benefit_rule", "__import__('os')", "must be one of"),
        ("reserve_share", 0.5, "not a lever"),
        ("../../etc/passwd", 1, "not a lever"),
    ],
)
def test_levers_from_the_browser_are_validated(name, value, rule):
    """A forged lever value is refused with a message and the levers stay as they were."""
    s = Session("baseline")
    before = dict(s.runs[0].levers)
    with pytest.raises(RefusedInput, match=rule):
        s.runs[0].set_lever(name, value)
    assert s.runs[0].levers == before


@pytest.mark.parametrize("value", [-1, 1.5, "7", math.inf, 2**64, None])
def test_seed_from_the_browser_is_validated(value):
    """A seed that is not a whole number in range is refused; the seed stays."""
    s = Session("baseline")
    with pytest.raises(RefusedInput, match="seed"):
        s.set_seed(value)
    assert s.seed == 1


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``landsim app`` with its own HOME and data folder, culling dropped tabs after 2 s."""
    root = tmp_path_factory.mktemp("app")
    home, data = root / "home", root / "data"
    home.mkdir()
    log = open(root / "server.log", "w")
    args = ["--data", str(data), "--cull-after", "2s", "--log-level", "info"]
    with serving(args, env={"HOME": str(home), "XDG_STATE_HOME": ""}, log=log) as (url, _):
        yield url, home, data, root / "server.log"
    log.close()


def _year(tab: HeadlessTab) -> str:
    return tab.widgets[tab.find("landsim-year")]["children"][0]


def test_forged_websocket_messages_are_refused_and_the_tab_keeps_working(server, secret_file):
    """Forged picker, slider, seed and toggle values: refused at the boundary with a message
    on the page, nothing of the file reaches the page, no traceback, and Step still works."""
    url, _, _, log = server
    tab = HeadlessTab(url)
    try:
        picker = tab.find("landsim-scenario-a")
        offered = [i["value"] for i in tab.widgets[picker]["items"]]
        for forged in (
            str(secret_file),
            str(secret_file.with_suffix("")),
            "../" * 12 + str(secret_file.with_suffix(""))[1:],
        ):
            tab.set_value(picker, forged)
            assert tab.widgets[picker]["v_model"] in offered
            assert "refused" in str(tab.widgets[tab.find("landsim-refused")])
        # a co-op scenario: the baseline, with no co-ops, shows no co-op levers
        tab.set_value(picker, "coop_guaranteed_dividend")
        slider = tab.inside(tab.find("landsim-lever-audit_rate"), "SliderModel")
        for forged in ("not a number", 1e300, None, math.nan):
            tab.set_value(slider, forged)
            assert 0 <= tab.widgets[slider]["v_model"] <= 1
        tab.set_value(tab.find("landsim-layers"), 99)
        seed = tab.find("landsim-seed")
        tab.set_value(seed, "x")  # text is what a text field holds: the page says it is no seed
        tab.event(seed, "focusout")
        step = tab.find("landsim-step")
        assert _year(tab).startswith("Year 0")
        tab.click(step)
        assert _year(tab).startswith("Year 1")
        page = "\n".join(m if isinstance(m, str) else m.decode("latin-1") for m in tab.raw)
        assert SECRET not in page and "audit_rate = 0.5" not in page
        assert "Traceback" not in tab.text()
    finally:
        tab.close()
    text = log.read_text()
    assert "refused a message from the browser" in text and "Traceback" not in text


def test_dropped_tabs_are_culled_and_home_is_untouched(server):
    """A closed tab's session ends within the cull time and leaves no model in memory; HOME
    gets no files."""
    url, home, data, log = server
    start = len(log.read_text())  # earlier tests' sessions ended before this one
    tab = HeadlessTab(url)
    tab.click(tab.find("landsim-step"))
    tab.close()
    deadline = time.monotonic() + 30
    # the server logs a count after the cull and again while the ended session's memory
    # settles: wait for one that says no session is open and none is left in memory
    while True:
        text = log.read_text()[start:]
        ended = re.findall(r"session ended \((\d+) open, (\d+) sessions in memory", text)
        if ("0", "0") in ended:
            break
        assert time.monotonic() < deadline, (
            f"a dropped tab's session was not culled and freed in 30 s (counts: {ended[-3:]})"
        )
        time.sleep(0.2)  # polling the server log, not waiting for a result
    assert list(home.iterdir()) == []
    assert (data / "ipython").is_dir()
