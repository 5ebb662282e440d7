"""Fixtures for driving the app in a real Chromium: one server and one browser per session.

* ``app_url`` starts ``landsim app`` (offline settings) on a free port once per test session and
  waits for ``/readyz``; its log is in ``results/browser/server.log``.
* ``browser`` launches Debian's Chromium through Playwright (no ``playwright install``). Without
  Chromium the browser tests skip with the reason, except under ``CI=true``, where they fail.
* ``open_tab`` opens the page in a fresh browser context (its own session, like another pupil's
  laptop); requests to any host but this one are blocked and recorded, page errors collected.
* When a test fails, every tab it opened is saved as ``results/browser/<test>-<n>.png``.
* ``record`` keeps measurements (step round-trip times) and prints them after the run.
"""

from __future__ import annotations

import os
import re
import socket
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "results" / "browser"
CHROMIUM = os.environ.get("LANDSIM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
SERVER_START_TIMEOUT = 90.0  # seconds; importing solara and mesa takes a few on a slow machine
#: ms for a new tab to connect and render, and for any condition a test waits for: long
#: enough for a machine whose two cores are busy with other work (the browser tests pass three
#: times in a row beside two busy loops); a passing test waits only as long as it must
TAB_TIMEOUT = 120_000
WAIT = 90_000

_measurements: list[str] = []


def _unavailable() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    if not Path(CHROMIUM).exists():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium, or set LANDSIM_CHROMIUM)"
    return None


def _need_browser() -> None:
    reason = _unavailable()
    if reason is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests must run in CI, but {reason}", pytrace=False)
    pytest.skip(f"browser test skipped: {reason}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def app_url():
    """URL of a ``landsim app`` server started for this test session."""
    yield from _serve("server.log")


@pytest.fixture(scope="session")
def classroom_url():
    """URL of a ``landsim app --classroom`` server started for this test session."""
    yield from _serve("classroom-server.log", "--classroom")


def _serve(log_name: str, *extra: str):
    from tests.wsclient import serving

    _need_browser()
    OUT.mkdir(parents=True, exist_ok=True)
    # saved tabs and classes stay in results/
    env = {"LANDSIM_APP_TABS": str(OUT / "tabs"), "LANDSIM_APP_CLASSES": str(OUT / "classes")}
    with open(OUT / log_name, "w") as log:
        with serving(extra, env=env, log=log, timeout=SERVER_START_TIMEOUT, cwd=ROOT) as (url, _):
            yield url + "/"


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, driven by Playwright."""
    _need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


class Tab:
    """The app in one browser context, with helpers named after what a user sees."""

    def __init__(self, browser, url: str) -> None:
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000})
        self.external: list[str] = []
        self.errors: list[str] = []

        def guard(route):
            u = urlparse(route.request.url)
            if u.scheme in ("http", "https", "ws", "wss") and u.hostname not in LOCAL_HOSTS:
                self.external.append(route.request.url)
                return route.abort()
            return route.continue_()

        self.context.route("**/*", guard)
        self.page = self.context.new_page()
        self.page.set_default_timeout(WAIT)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.goto(url)
        self.page.locator(".landsim-step").wait_for(state="visible", timeout=TAB_TIMEOUT)
        self.page.locator("img.landsim-map").first.wait_for(state="visible")

    # controls -----------------------------------------------------------------------------
    def button(self, name: str):
        """A button by its landsim class (``step``, ``play``, ``reset``, ...)."""
        return self.page.locator(f"button.landsim-{name}")

    def step(self, times: int = 1) -> None:
        """Press Step ``times`` times, each time waiting for the next year."""
        for _ in range(times):
            year = self.year()
            self.button("step").click()
            self.wait_year(year + 1)

    def choose(self, container: str, option: str) -> None:
        """Pick ``option`` in the v-select inside ``.landsim-<container>``."""
        self.page.locator(f".landsim-{container} .v-select__slot").click()
        self.page.get_by_role("option", name=option, exact=True).click()

    # what is on screen --------------------------------------------------------------------
    def year(self) -> int:
        """The year shown in the run card."""
        return int(re.search(r"\d+", self.page.locator(".landsim-year").inner_text()).group())

    def wait_year(self, year: int, timeout: float = WAIT) -> float:
        """Wait until the run card shows ``year``; return the browser's clock (ms) then."""
        handle = self.page.wait_for_function(
            """y => { const e = document.querySelector('.landsim-year');
                      const m = e && e.textContent.match(/\\d+/);
                      return m && Number(m[0]) === y ? performance.now() : false; }""",
            arg=year,
            polling="raf",
            timeout=timeout,
        )
        return handle.json_value()

    def srcs(self, selector: str) -> list[str]:
        """The ``src`` of every image matching ``selector`` (blob URLs change on redraw)."""
        return self.page.eval_on_selector_all(selector, "els => els.map(e => e.src)")

    def charts(self) -> list[str]:
        """The SVG markup of every chart (it changes when a chart is redrawn)."""
        return self.page.eval_on_selector_all(
            "svg.landsim-chart", "els => els.map(e => e.outerHTML)"
        )

    def kpis(self, run: str = "a") -> str:
        """The outcome figures above map ``run`` as text."""
        return self.page.locator(f".landsim-run-{run} .landsim-kpis").inner_text()

    def close(self) -> None:
        """Close the tab's context (ends its session on the server)."""
        self.context.close()


@pytest.fixture
def open_tab(request, app_url, browser):
    """Factory: ``open_tab()`` opens the app in a new, independent browser context."""
    tabs: list[Tab] = []

    def factory() -> Tab:
        tab = Tab(browser, app_url)
        tabs.append(tab)
        return tab

    request.node.landsim_tabs = tabs
    yield factory
    for tab in tabs:
        tab.close()


@pytest.fixture
def people(request, classroom_url, browser):
    """Factory: ``people(path, viewport=None)`` opens ``path`` of the classroom server in a
    new browser context (:class:`tests.browser.classroom_helpers.Person`)."""
    from tests.browser.classroom_helpers import Person

    request.node.landsim_tabs = []

    def open_page(path: str, viewport: dict | None = None) -> Person:
        return Person(browser, classroom_url.rstrip("/") + path, request, viewport)

    yield open_page
    for person in request.node.landsim_tabs:
        person.close()


@pytest.fixture
def record():
    """``record(text)`` prints ``text`` in the summary at the end of the test run."""
    return _measurements.append


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Save a screenshot of every tab of a failed browser test."""
    report = yield
    if report.when == "call" and report.failed:
        for n, tab in enumerate(getattr(item, "landsim_tabs", [])):
            OUT.mkdir(parents=True, exist_ok=True)
            path = OUT / f"{item.name}-{n}.png"
            try:
                tab.page.screenshot(path=str(path), full_page=True)
                report.sections.append(("screenshot", str(path)))
            except Exception as exc:  # a dead page must not hide the test's own failure
                report.sections.append(("screenshot", f"could not save {path}: {exc}"))
    return report


def pytest_terminal_summary(terminalreporter):
    """Print the measurements the browser tests recorded."""
    if _measurements:
        terminalreporter.section("landsim app measurements")
        for line in _measurements:
            terminalreporter.write_line(line)
