"""Drive the app over its websocket without a browser (for tests and the soak benchmark; the
package never imports it).

A :class:`HeadlessTab` speaks the part of the Jupyter widget protocol that solara's page
speaks: it opens a kernel connection, asks solara to run the page, keeps every widget's
state as the server sends it, and sends what a browser would send when a person clicks a
button (``custom`` ``click`` event) or changes a control (``update`` of ``v_model``). It can
also send what no page would: any value, for any widget, which is what the security tests do.

Each call that sends a message waits for the server to finish handling it (the ``idle``
status that answers it), so the time it returns is the server's round trip.

:func:`serving` starts ``landsim app`` in a subprocess on 127.0.0.1 and stops it on exit.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import IO, Any
from urllib.parse import urlsplit

from websockets.sync.client import ClientConnection, connect

__all__ = ["HeadlessTab", "decode", "serving", "free_port"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(
    args: Sequence[str] = (),
    env: dict[str, str] | None = None,
    log: IO[str] | None = None,
    timeout: float = 90.0,
    cwd: str | os.PathLike | None = None,
) -> Iterator[tuple[str, subprocess.Popen]]:
    """Run ``landsim app`` (plus ``args``) on a free port of 127.0.0.1 until the block ends,
    in folder ``cwd`` (default: this one).

    Yields:
        The base URL and the server process (its own process group, stopped on exit).
    """
    port = free_port()
    cmd = [sys.executable, "-m", "landsim", "app", "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(
        [*cmd, *args],
        stdout=log or subprocess.DEVNULL,
        stderr=subprocess.STDOUT if log else subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"landsim app exited with status {proc.returncode}")
            try:
                with urllib.request.urlopen(url + "/readyz", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"landsim app not ready on {url} after {timeout} s")
            time.sleep(0.1)  # the readiness probe's polling interval
        yield url, proc
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # the server's own process group only
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def decode(message: str | bytes) -> dict[str, Any]:
    """A Jupyter websocket message (JSON text, or the binary form with buffers) as data."""
    if isinstance(message, str):
        return json.loads(message)
    (n,) = struct.unpack("!I", message[:4])
    offsets = list(struct.unpack("!" + "I" * n, message[4 : 4 * (n + 1)])) + [len(message)]
    msg = json.loads(message[offsets[0] : offsets[1]].decode("utf-8"))
    msg["buffers"] = [message[offsets[i] : offsets[i + 1]] for i in range(1, n)]
    return msg


class HeadlessTab:
    """One browser tab, without a browser.

    ``path`` is the page's address (``/join?code=...``), loaded over HTTP first as a browser
    does (redirects followed, cookies kept in ``jar``: tabs that share a jar are tabs of one
    browser). Opening a page of a full server raises ``urllib.error.HTTPError`` (503).

    Attributes:
        widgets: comm id -> the widget's latest state, as the server sent it.
        received: every message received, decoded (the raw text too, for leak checks).
        path: the address the page runs at, after redirects.
    """

    def __init__(
        self,
        base_url: str,
        path: str = "/",
        timeout: float = 60.0,
        jar: http.cookiejar.CookieJar | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.widgets: dict[str, dict[str, Any]] = {}
        self.received: list[dict[str, Any]] = []
        self.raw: list[str | bytes] = []
        self.jar = jar if jar is not None else http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        with opener.open(self.base_url + path, timeout=timeout) as response:
            response.read()
            final = urlsplit(response.geturl())
        self.path = final.path + (f"?{final.query}" if final.query else "")
        cookie = "; ".join(f"{c.name}={c.value}" for c in self.jar)
        self.kernel_id = str(uuid.uuid4())
        self.page_id = str(uuid.uuid4())
        ws_url = self.base_url.replace("http", "ws", 1)
        self.ws: ClientConnection = connect(
            f"{ws_url}/jupyter/api/kernels/{self.kernel_id}/channels?session_id={self.page_id}",
            additional_headers={"Cookie": cookie},
            max_size=None,
            open_timeout=timeout,
            legacy=True,  # a connection kept open across calls, closed by close()
        )
        self._control = str(uuid.uuid4())
        self._send(
            "comm_open", {"comm_id": self._control, "target_name": "solara.control", "data": {}}
        )
        run = {"path": self.path, "dark": False, "themes": {}, "appName": None}
        self._send("comm_msg", {"comm_id": self._control, "data": {"method": "run", "args": run}})

    # -- sending ---------------------------------------------------------------------------

    def send(self, msg_type: str, content: Any, **envelope: Any) -> float:
        """Send one shell message (``envelope`` overrides its other fields: a forged header,
        channel, buffers) and wait until the server has handled it; seconds taken."""
        return self._send(msg_type, content, **envelope)

    def _send(self, msg_type: str, content: Any, **envelope: Any) -> float:
        """Send one shell message and wait until the server has handled it; seconds taken."""
        msg_id = str(uuid.uuid4())
        msg = {
            "header": {
                "msg_id": msg_id,
                "msg_type": msg_type,
                "session": self.page_id,
                "username": "",
                "version": "5.3",
                "date": "",
            },
            "parent_header": {},
            "metadata": {},
            "content": content,
            "channel": "shell",
            "buffers": [],
            **envelope,
        }
        started = time.perf_counter()
        self.ws.send(json.dumps(msg))
        self._until(msg_id)
        return time.perf_counter() - started

    def click(self, comm_id: str) -> float:
        """Click a button (as ipyvue's front end sends it); seconds until handled."""
        return self._send(
            "comm_msg",
            {
                "comm_id": comm_id,
                "data": {"method": "custom", "content": {"event": "click", "data": {}}},
            },
        )

    def set_value(self, comm_id: str, value: Any, key: str = "v_model") -> float:
        """Send a new ``v_model`` (or ``key``) for a control, as a browser would."""
        return self._send(
            "comm_msg",
            {
                "comm_id": comm_id,
                "data": {"method": "update", "state": {key: value}, "buffer_paths": []},
            },
        )

    # -- receiving -------------------------------------------------------------------------

    def _until(self, msg_id: str) -> None:
        deadline = time.monotonic() + self.timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no answer to message {msg_id} in {self.timeout} s")
            raw = self.ws.recv(timeout=left)
            self.raw.append(raw)
            msg = decode(raw)
            self.received.append(msg)
            kind = msg["header"]["msg_type"]
            content = msg.get("content", {})
            if kind == "comm_open":
                self.widgets[content["comm_id"]] = dict(content.get("data", {}).get("state", {}))
            elif kind == "comm_msg":
                data = content.get("data", {})
                if data.get("method") in ("update", "echo_update"):
                    self.widgets.setdefault(content["comm_id"], {}).update(data.get("state", {}))
            elif kind == "comm_close":
                self.widgets.pop(content["comm_id"], None)
            elif (
                kind == "status"
                and content.get("execution_state") == "idle"
                and msg.get("parent_header", {}).get("msg_id") == msg_id
            ):
                return

    def event(self, comm_id: str, event: str, data: Any = None) -> float:
        """Fire ``event`` on a widget (as ipyvue's front end sends it); seconds until handled."""
        return self._send(
            "comm_msg",
            {
                "comm_id": comm_id,
                "data": {"method": "custom", "content": {"event": event, "data": data or {}}},
            },
        )

    def find(self, css_class: str) -> str:
        """The comm id of the one widget whose ``class_`` (or, for solara's HTML, whose
        ``attributes["class"]``) includes ``css_class``."""

        def classes(state: dict[str, Any]) -> list[str]:
            attributes = state.get("attributes")
            extra = attributes.get("class", "") if isinstance(attributes, dict) else ""
            return f"{state.get('class_') or ''} {extra}".split()

        found = [cid for cid, state in self.widgets.items() if css_class in classes(state)]
        if len(found) != 1:
            raise LookupError(f"{len(found)} widgets with class {css_class!r}")
        return found[0]

    def inside(self, comm_id: str, model_name: str) -> str:
        """The comm id of the first widget of kind ``model_name`` (``SliderModel``) inside
        the widget ``comm_id`` (itself included), searching children depth-first."""
        stack = [comm_id]
        while stack:
            cid = stack.pop(0)
            state = self.widgets.get(cid, {})
            if state.get("_model_name") == model_name:
                return cid
            kids = state.get("children") or []
            stack[:0] = [k[len("IPY_MODEL_") :] for k in kids if str(k).startswith("IPY_MODEL_")]
        raise LookupError(f"no {model_name} inside {comm_id}")

    def text(self) -> str:
        """Every string in every widget's state (what the page could show), joined."""
        parts: list[str] = []

        def walk(value: Any) -> None:
            if isinstance(value, str):
                parts.append(value)
            elif isinstance(value, dict):
                for v in value.values():
                    walk(v)
            elif isinstance(value, list):
                for v in value:
                    walk(v)

        walk(list(self.widgets.values()))
        return "\n".join(parts)

    def close(self) -> None:
        """Close the websocket (the tab is dropped; the server culls its session later)."""
        self.ws.close()
