"""The SolaraViz example of docs/mesa.md (examples/solaraviz_app.py) in a real Chromium: Mesa's
SpaceRenderer draws the land from the model's property layers, and Step and Reset work."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from landsim.commands.app import offline_environment
from tests.browser.conftest import OUT, ROOT, SERVER_START_TIMEOUT, _free_port, _need_browser

pytestmark = pytest.mark.browser

EXAMPLE = ROOT / "examples" / "solaraviz_app.py"


@pytest.fixture(scope="module")
def example_url():
    """URL of a solara server serving the example, offline like ``landsim app``."""
    _need_browser()
    OUT.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    env = {**os.environ, **offline_environment(), "SOLARA_APP": str(EXAMPLE)}
    log = open(OUT / "mesa_example_server.log", "w")
    cmd = [sys.executable, "-m", "uvicorn", "solara.server.starlette:app", "--port", str(port)]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"example server exited with {proc.returncode}; see {log.name}")
            try:
                with urllib.request.urlopen(url + "readyz", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"example server not ready on {url}")
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


def _images(page) -> list[str]:
    return page.eval_on_selector_all("img", "els => els.map(e => e.src)")


def test_solaraviz_example_draws_the_map_steps_and_resets(example_url, browser):
    """The example page shows Mesa's map of the plots and a chart; Step moves to year 1 and
    redraws the map; Reset with a seed typed into the text box starts again at year 0."""
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(example_url)
        step = page.get_by_role("button", name="Step")
        step.wait_for(state="visible")
        expect(page.get_by_text("Time: 0.0")).to_be_visible()
        page.wait_for_function("() => document.querySelectorAll('img').length >= 2")
        before = _images(page)
        step.click()
        expect(page.get_by_text("Time: 1.0")).to_be_visible()
        page.wait_for_function(
            "b => { const now = [...document.querySelectorAll('img')]"
            ".map(e => e.src); return now[0] !== b[0]; }",
            arg=before,
        )
        seed = page.get_by_label("Seed")
        seed.fill("7")
        seed.press("Enter")
        page.get_by_role("button", name="Reset").click()
        expect(page.get_by_text("Time: 0.0")).to_be_visible()
        expect(page.get_by_text("error", exact=False)).to_have_count(0)
        step.click()
        expect(page.get_by_text("Time: 1.0")).to_be_visible()
        assert errors == []
    except Exception:
        page.screenshot(path=str(OUT / "mesa_example_failed.png"), full_page=True)
        raise
    finally:
        context.close()
