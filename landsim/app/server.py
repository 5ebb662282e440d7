"""The web server ``landsim app`` runs: solara's, behind a gate (the HTTP side of the trust
boundary; the websocket side is :mod:`landsim.app.boundary`).

The gate:

* **keeps secrets out of the address bar.** A page address with a teacher's key
  (``/teacher?code=ABCDE&key=...``) is answered with a redirect to the same address without
  it, and the key goes into an HttpOnly cookie (``landsim-teacher-ABCDE``) that the teacher's
  page reads on the server; no script of a page can read it, and a projected page never shows
  it. A ``seat=`` in an address (old student links) is dropped the same way. Solara's own
  session cookie, which says which browser a page runs in (a student's seat, a teacher who
  started a class), is made HttpOnly too;
* **caps the pages in memory** at :data:`MAX_SESSIONS` (``$LANDSIM_APP_MAX_SESSIONS``; each
  open page, and each dropped one until it is culled, is a session): when the server is full, a
  new page gets a short page saying so (HTTP 503) in English and Chinese, and a new websocket is
  refused; a page already open keeps working and may reconnect;
* **drops websocket frames that no page sends**: binary frames, text that is not a JSON object,
  and frames over :data:`MAX_FRAME` bytes (solara would raise on them).

Importing it also counts sessions as they start and end, and gives their memory back to the
system after each cull (:mod:`landsim.app.lifecycle`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

import solara.server.settings
from solara.server import kernel_context
from solara.server.starlette import app as solara_app

from landsim.app import boundary, lifecycle

__all__ = [
    "app",
    "Gate",
    "MAX_SESSIONS",
    "MAX_SESSIONS_ENV",
    "MAX_FRAME",
    "TEACHER_COOKIE",
    "teacher_cookie",
]

LOG = logging.getLogger("landsim.app")
#: environment variable with the most sessions (pages) the server keeps in memory at once
MAX_SESSIONS_ENV = "LANDSIM_APP_MAX_SESSIONS"
#: default cap: a class of 200 seats, its teacher, and as many explorer tabs again
MAX_SESSIONS = 400
#: the largest websocket frame a page sends (a household's decision is a few kilobytes)
MAX_FRAME = 256 * 1024
#: the cookie that holds a teacher's key for class ``code`` (HttpOnly)
TEACHER_COOKIE = "landsim-teacher-{code}"
#: how long a browser keeps a teacher's key (seconds): a school day
TEACHER_COOKIE_AGE = 12 * 3600
#: the pages the server serves (a session starts when one is opened)
PAGES = ("/", "/teacher", "/join")
#: query parameters that are secrets and never stay in an address
SECRETS = ("key", "seat")
_CODE = re.compile(r"[A-Za-z0-9]{1,10}")

FULL_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>landsim</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto; line-height: 1.5">
<h1>This landsim server is full</h1>
<p>{n} pages are open on it, as many as it takes. Close a tab you no longer need, or try again
in a few minutes (a page closed or left on another device is let go within minutes).</p>
<h1>服务器已满</h1>
<p>本服务器已打开 {n} 个页面，已达上限。请关闭不再使用的标签页，或几分钟后再试。</p>
</body></html>
"""


def teacher_cookie(code: str) -> str:
    """The name of the cookie that holds the teacher's key of class ``code``."""
    return TEACHER_COOKIE.format(code=code.upper())


def open_sessions() -> int:
    """Sessions (virtual kernels) in memory now: open pages and dropped ones not yet culled."""
    return len(kernel_context.contexts)


def max_sessions() -> int:
    """The cap on sessions: ``$LANDSIM_APP_MAX_SESSIONS``, else :data:`MAX_SESSIONS`."""
    try:
        return max(1, int(os.environ.get(MAX_SESSIONS_ENV, MAX_SESSIONS)))
    except ValueError:
        return MAX_SESSIONS


class Gate:
    """ASGI middleware in front of solara's app (see the module docstring)."""

    def __init__(self, inner: Any) -> None:
        """Guard ``inner``, an ASGI app (solara's)."""
        self.inner = inner

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        """Serve one HTTP request or websocket through the gate."""
        lifecycle.note_server_loop(asyncio.get_running_loop())
        if scope["type"] == "http" and scope.get("method") == "GET" and scope["path"] in PAGES:
            query = parse_qsl(scope.get("query_string", b"").decode("latin-1"))
            if any(k in SECRETS for k, _ in query):
                await self._hide_secrets(scope, query, send)
                return
            if open_sessions() >= max_sessions():
                await self._full(send)
                return
        elif scope["type"] == "websocket" and scope["path"].startswith("/jupyter/api/kernels/"):
            kernel_id = scope["path"].split("/")[4]
            if kernel_id not in kernel_context.contexts and open_sessions() >= max_sessions():
                LOG.warning("refused a new page: the server is full (%d sessions)", open_sessions())
                await send({"type": "websocket.close", "code": 1013})
                return
            receive = _frames_a_page_sends(receive)
        await self.inner(scope, receive, send)

    async def _hide_secrets(self, scope: dict, query: list[tuple[str, str]], send: Any) -> None:
        """Redirect to the address without its secrets; a teacher's key goes into a cookie."""
        kept = [(k, v) for k, v in query if k not in SECRETS]
        target = scope["path"] + (f"?{urlencode(kept)}" if kept else "")
        headers = [(b"location", target.encode("latin-1")), (b"cache-control", b"no-store")]
        params = dict(query)
        code, key = params.get("code", ""), params.get("key")
        if scope["path"] == "/teacher" and key is not None and _CODE.fullmatch(code):
            cookie = (
                f"{teacher_cookie(code)}={quote(key, safe='')}; Path=/; HttpOnly; "
                f"SameSite=Strict; Max-Age={TEACHER_COOKIE_AGE}"
            )
            headers.append((b"set-cookie", cookie.encode("latin-1")))
        await send({"type": "http.response.start", "status": 303, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    async def _full(self, send: Any) -> None:
        n = open_sessions()
        LOG.warning("refused a new page: the server is full (%d sessions)", n)
        body = FULL_PAGE.format(n=n).encode("utf-8")
        headers = [
            (b"content-type", b"text/html; charset=utf-8"),
            (b"retry-after", b"60"),
            (b"cache-control", b"no-store"),
        ]
        await send({"type": "http.response.start", "status": 503, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _frames_a_page_sends(receive: Any) -> Any:
    """``receive`` without the frames no page sends (they are logged and skipped)."""

    async def filtered() -> dict:
        while True:
            message = await receive()
            if message["type"] != "websocket.receive":
                return message
            text = message.get("text")
            why = None
            if text is None:
                why = "a binary frame"
            elif len(text) > MAX_FRAME:
                why = f"a frame of {len(text)} characters"
            else:
                try:
                    if not isinstance(json.loads(text), dict):
                        why = "a frame that is not a JSON object"
                except ValueError:
                    why = "a frame that is not JSON"
            if why is None:
                return message
            LOG.warning("refused a message from the browser: %s", why)

    return filtered


# before any page is served: sessions counted and their memory given back after each cull,
# the websocket side of the boundary, and a session cookie that no script of a page can read
# (it says which browser holds a seat or a class)
lifecycle.install()
boundary.install()
solara.server.settings.session.http_only = True
# no "This website runs on Solara" badge in the corner: it covered buttons and numbers
solara.server.settings.theme.show_banner = False

#: the ASGI app ``landsim app`` serves (uvicorn ``landsim.app.server:app``)
app = Gate(solara_app)
