"""Take the screenshots of docs/classroom.md: every classroom page on a phone (390 x 844) and
on a projector (1366 x 768), in English and in Chinese.

It starts ``landsim app --classroom`` on a free port (its data in a temporary folder), and
in Debian's Chromium (Playwright) plays a class of three years per language: a teacher, two
households, a Party branch secretary and the town government. Each page is shot at both
sizes: on the phone the whole page (as the student scrolls it), on the projector the first
screen (what the room sees). The PNGs (256 colours, to keep them small) are written beside
this file as ``PAGE-phone-LANG.png`` and ``PAGE-projector-LANG.png``.

Usage:
    .venv/bin/python docs/classroom/screens.py            # both languages
    .venv/bin/python docs/classroom/screens.py --lang zh
"""

from __future__ import annotations

import argparse
import io
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from PIL import Image

HERE = Path(__file__).resolve().parent
CHROMIUM = os.environ.get("LANDSIM_CHROMIUM", "/usr/bin/chromium")
PHONE = {"width": 390, "height": 844}
PROJECTOR = {"width": 1366, "height": 768}
TIMEOUT = 120_000
#: the tallest phone screenshot (px): the household page runs to about 3,000
MAX_HEIGHT = 4000
#: the scroll height of the page's own scrolling frame (solara's layout scrolls inside it)
PAGE_HEIGHT = "() => Math.max(...[...document.querySelectorAll('*')].map(e => e.scrollHeight))"


def serve(data: str) -> tuple[subprocess.Popen, str]:
    """``landsim app --classroom`` on a free port, its data in ``data``; (process, url)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [sys.executable, "-m", "landsim", "app", "--classroom", "--port", str(port)]
    proc = subprocess.Popen(
        [*cmd, "--data", data],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        env={**os.environ, "LANDSIM_APP_CLASSES": "", "LANDSIM_APP_TABS": ""},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/readyz", timeout=2):
                return proc, url
        except OSError:
            time.sleep(0.2)  # the readiness probe's polling interval
    os.killpg(proc.pid, signal.SIGTERM)
    raise SystemExit(f"landsim app did not start on {url}")


def shoot(page, name: str, lang: str) -> None:
    """``page`` as a phone (whole page) and as a projector (first screen), saved as PNG."""
    for label, size in (("phone", PHONE), ("projector", PROJECTOR)):
        page.set_viewport_size(size)
        page.evaluate("() => document.querySelectorAll('*').forEach(e => { e.scrollTop = 0; })")
        page.wait_for_timeout(600)  # the layout settles after a resize (no event to wait on)
        if label == "phone":
            height = min(int(page.evaluate(PAGE_HEIGHT)) + 16, MAX_HEIGHT)
            page.set_viewport_size({"width": PHONE["width"], "height": height})
            page.wait_for_timeout(400)
        png = page.screenshot()
        img = Image.open(io.BytesIO(png)).convert("RGB").quantize(256)
        img.save(HERE / f"{name}-{label}-{lang}.png", optimize=True)
        print(f"{name}-{label}-{lang}.png", flush=True)
    page.set_viewport_size(PROJECTOR)


def play(browser, url: str, lang: str) -> None:
    """A class of three years in ``lang``, every page shot on the way."""

    def person(path: str):
        page = browser.new_context(viewport=PROJECTOR).new_page()
        page.set_default_timeout(TIMEOUT)
        page.goto(url + path)
        if lang != "en":
            page.locator(f"button.landsim-lang-{lang}").click()
            page.locator(f"button.landsim-lang-{lang}.v-btn--outlined").wait_for()
        return page

    teacher = person("/teacher")
    teacher.locator("button.landsim-start-class").wait_for()
    shoot(teacher, "start", lang)
    teacher.locator(".landsim-class-years input").fill("3")
    teacher.locator("button.landsim-start-class").click()
    code = teacher.locator(".landsim-code").inner_text().strip()
    names = {"en": ["Ann", "Bo", "Sam", "Gao"], "zh": ["小王", "老李", "张书记", "镇长"]}[lang]
    students = []
    for name, wish in zip(names, ("household", "household", "branch", "government"), strict=True):
        page = person("/join")
        page.locator(".landsim-join-code input").fill(code)
        page.locator(".landsim-join-name input").fill(name)
        if wish != "household":
            page.locator(f"button.landsim-wish-{wish}").click()
        if not students:
            shoot(page, "join", lang)
        page.locator("button.landsim-join").click()
        page.locator(".landsim-you").wait_for()
        students.append(page)
    ann, bo, sec, gov = students
    shoot(ann, "household", lang)
    shoot(sec, "branch", lang)
    shoot(gov, "government", lang)
    for year in (1, 2, 3):
        if year == 1:  # Ann offers every plot for lease: a plot nobody bids for lies idle
            buttons = ann.locator("button.landsim-choice-lease")
            for i in range(buttons.count()):
                buttons.nth(i).click()
        for page in students:
            page.locator("button.landsim-submit").click()
            page.locator(".landsim-ack").wait_for()
        if year == 1:
            shoot(teacher, "dashboard", lang)
        teacher.locator("button.landsim-next-year").click()
        if year < 3:  # "Year 2 of 3", "第 2 年"
            ann.locator(".landsim-year", has_text=f"{year + 1} ").wait_for()
        else:  # "All years are played"
            ann.locator(".landsim-ended").wait_for()
        if year == 1:
            shoot(ann, "household-year2", lang)
    teacher.locator("button.landsim-end").click()
    teacher.locator("table.landsim-debrief").wait_for()
    shoot(teacher, "debrief", lang)


def main() -> None:
    """Take the screenshots (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lang", choices=["en", "zh"], action="append")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as data:
        proc, url = serve(data)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path=CHROMIUM, args=["--headless", "--no-sandbox"]
                )
                for lang in args.lang or ["en", "zh"]:
                    play(browser, url, lang)
                browser.close()
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(10)


if __name__ == "__main__":
    main()
