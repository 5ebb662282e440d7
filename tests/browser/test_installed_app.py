"""The app from an installed wheel, started outside the repository, offers every scenario."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import TAB_TIMEOUT

import landsim
from landsim import bundled

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def wheel_app(installed_wheel):
    """``landsim app`` of the installed wheel, run from a folder outside the repository."""
    port = _free_port()
    log = open(installed_wheel.workdir / "app.log", "w")
    proc = subprocess.Popen(
        [str(installed_wheel.landsim), "app", "--host", "127.0.0.1", "--port", str(port)],
        cwd=installed_wheel.workdir,
        env=installed_wheel.env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 90
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"landsim app exited with {proc.returncode}; see {log.name}")
            try:
                with urllib.request.urlopen(url + "readyz", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, "the installed app never became ready"
            time.sleep(0.1)  # polling interval of the readiness probe, not a wait for a result
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # the server's own process group only
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


def test_installed_app_lists_every_bundled_scenario(wheel_app, browser):
    """The scenario picker of the installed app offers every bundled scenario by title."""
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = context.new_page()
        page.goto(wheel_app)
        # a fresh install has no compiled kernels yet: the server compiles them as it starts
        # (about 30 s on the developers' machine), and the first page waits for what is left
        page.locator(".landsim-step").wait_for(state="visible", timeout=TAB_TIMEOUT)
        page.locator(".landsim-scenario-a .v-select__slot").click()
        options = page.get_by_role("option")
        options.first.wait_for(state="visible")
        shown = set(options.all_inner_texts())
        titles = {title for _, title in bundled.listing("scenarios")}
        assert titles <= {s.strip() for s in shown}
        page.keyboard.press("Escape")
        # every lesson sets up its scenarios by name; from the wheel they must be found too
        lessons = sorted(
            p.stem for p in (Path(landsim.__file__).parent / "app/lessons").glob("*.toml")
        )
        assert len(lessons) == 6
        for lesson in lessons:
            page.locator(f"button.landsim-open-{lesson}").click()
            expect(page.locator(f".landsim-lesson-{lesson}")).to_be_visible()
            expect(page.get_by_text("was not found")).to_have_count(0)
            expect(page.locator(".landsim-run-a .landsim-run-title")).not_to_contain_text(
                "Default parameters"
            )
            page.locator("button.landsim-lesson-close").click()
            expect(page.locator(".landsim-lesson")).to_have_count(0)
    finally:
        context.close()
