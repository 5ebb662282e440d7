"""What the classroom's browser tests share: a person at a browser, starting and joining a
class, reading a household's plots, and checking what a screen shows.

The ``people`` fixture (``conftest.py``) opens a page of the classroom server in a new
browser context (a laptop or a phone of its own) as a :class:`Person`.
"""

from __future__ import annotations

import re

__all__ = [
    "TIMEOUT",
    "PHONE",
    "PROJECTOR",
    "expect",
    "Person",
    "start_class",
    "join",
    "plots",
    "decide_all",
    "outside",
]

#: how long a page may take to show what a test waits for (ms): long enough for a machine
#: whose two cores are busy with other work (tested with two busy loops running)
TIMEOUT = 120_000
#: a phone (the issue's 390 x 844) and a classroom projector
PHONE = {"width": 390, "height": 844}
PROJECTOR = {"width": 1366, "height": 768}


def expect(locator):
    """Playwright's auto-waiting assertions (imported late: Playwright may be missing)."""
    from playwright.sync_api import expect as _expect

    _expect.set_options(timeout=TIMEOUT)
    return _expect(locator)


class Person:
    """One browser context (a laptop, or a phone with ``viewport`` :data:`PHONE`) on a
    classroom page."""

    def __init__(self, browser, url: str, request, viewport: dict | None = None) -> None:
        phone = viewport is not None and viewport["width"] < 600
        self.context = browser.new_context(
            viewport=viewport or {"width": 1300, "height": 900}, is_mobile=phone, has_touch=phone
        )
        self.page = self.context.new_page()
        self.page.set_default_timeout(TIMEOUT)
        self.errors: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(url)
        request.node.landsim_tabs.append(self)

    def text(self, cls: str) -> str:
        """Text of the first element with class ``landsim-<cls>``."""
        return self.page.locator(f".landsim-{cls}").first.inner_text()

    def language(self, lang: str) -> None:
        """Press the language button ``lang`` ("en" or "zh"); wait until it shows as chosen."""
        if lang == "en":
            return
        self.page.locator(f"button.landsim-lang-{lang}").click()
        expect(self.page.locator(f"button.landsim-lang-{lang}.v-btn--outlined")).to_have_count(1)

    def wait_year(self, played: int, at_least: bool = False) -> None:
        """Wait until the page shows that the class has played ``played`` years (or more, with
        ``at_least``); it shows the year being decided, "Year 2 of 3", then "3 of 3 years
        played"."""
        self.page.wait_for_function(
            """([n, atLeast]) => { const e = document.querySelector('.landsim-year');
                      const m = e && e.textContent.match(/\\d+/);
                      if (!m) return false;
                      const done = /played|完成/.test(e.textContent);
                      const played = done ? Number(m[0]) : Number(m[0]) - 1;
                      return atLeast ? played >= n : played === n; }""",
            arg=[played, at_least],
            timeout=TIMEOUT,
        )

    def close(self) -> None:
        """Close the context (the page's session ends on the server)."""
        self.context.close()


def start_class(people, years: int = 3, lang: str = "en", viewport=None) -> tuple[Person, str]:
    """A teacher starts a class of ``years`` (in ``lang``); returns the teacher's page and the
    code."""
    teacher = people("/teacher", viewport)
    teacher.page.locator("button.landsim-start-class").wait_for()
    teacher.language(lang)
    teacher.page.locator(".landsim-class-years input").fill(str(years))
    teacher.page.locator("button.landsim-start-class").click()
    code = teacher.page.locator(".landsim-code").inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9]{5}", code)
    return teacher, code


def join(
    people, code: str, name: str, wish: str = "household", lang: str = "en", viewport=None
) -> Person:
    """A student joins class ``code`` as ``name`` wishing for ``wish``, on a page in
    ``lang``."""
    student = people("/join", viewport)
    page = student.page
    page.locator("button.landsim-join").wait_for()
    student.language(lang)
    page.locator(".landsim-join-code input").fill(code)
    page.locator(".landsim-join-name input").fill(name)
    if wish != "household":
        page.locator(f"button.landsim-wish-{wish}").click()
    page.locator("button.landsim-join").click()
    expect(page.locator(".landsim-you")).to_contain_text(name)
    return student


def plots(student: Person) -> dict[int, str]:
    """Plot number -> what happened to it last year, from the student's page."""
    labels = student.page.locator(".landsim-plot-label").all_inner_texts()
    last = student.page.locator(".landsim-plot-last").all_inner_texts()
    return {
        int(re.search(r"\d+", label).group()): story.strip()
        for label, story in zip(labels, last, strict=True)
    }


def decide_all(student: Person, choice: str) -> None:
    """Set every free plot to ``choice`` and send; wait for the acknowledgement."""
    page = student.page
    buttons = page.locator(f"button.landsim-choice-{choice}")
    for i in range(buttons.count()):
        buttons.nth(i).click()
    page.locator("button.landsim-submit").click()
    expect(page.locator(".landsim-ack")).to_be_visible()


#: the controls and figures of a page that are not inside the window: each one's class and
#: text, with how far it runs past the window's left or right edge
_OUTSIDE = """sel => {
  const w = document.documentElement.clientWidth, out = [];
  for (const e of document.querySelectorAll(sel)) {
    const r = e.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    if (r.left < -1 || r.right > w + 1)
      out.push(`${e.className} "${e.innerText.slice(0, 40)}" ` +
               `${Math.round(r.left)}..${Math.round(r.right)}`);
  }
  return out;
}"""


def outside(person: Person, selector: str) -> list[str]:
    """The elements matching ``selector`` that run past the window's left or right edge."""
    return person.page.evaluate(_OUTSIDE, selector)
