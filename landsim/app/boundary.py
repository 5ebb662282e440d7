"""The trust boundary between a browser and the server: what a page may send, and nothing else.

Every message a page's websocket carries reaches the server's widgets through one function of
solara's server, ``solara.server.server.process_kernel_messages`` (solara 1.58.2: it hands
``comm_open``, ``comm_msg`` and ``comm_close`` to the kernel's comm manager, which calls the
widget). :func:`install` puts :func:`admit` in front of it, so the rule holds for every widget
class, solara's, ipyvuetify's and landsim's alike, whatever a widget's state says.

What a browser may do (everything else is refused, logged, and answered as handled, so the
page keeps working):

* open solara's control channel (``solara.control``) and ask it to ``run`` the page once (an
  address that is a plain path) or for the ``app-status``; ask for the kernel's info and a
  widget's state;
* **set the value of an input the page declares** (:data:`INPUTS`: a slider's number within
  its range, a text field's text up to :data:`MAX_TEXT` characters, a select's offered item, a
  toggle's offered button, a switch's or a checkbox's true/false, the address of the page),
  on a widget that is not disabled;
* **fire an event the page listens to** on a widget that is not disabled: a handler the page
  registered on a Vuetify widget (``click``, ``focusout``, ...), or a template's own
  ``vue_<event>`` method (the classroom's Send).

So no browser message creates a widget (``comm_open`` on ``jupyter.widget``, which would build
a widget of a class the browser names; ipyvue's ``create_widget``, which imports a module and
calls what the message names), changes a widget it may not (``components``, ``template``,
``update_ref``, ...), destroys one (``comm_close``, ``destroy_widget``), or calls a method that is
not an event handler. ``tests/test_app_boundary.py`` replays those attacks and sends thousands of
forged messages to every widget of every page.

The refusals a person could cause by hand (a value out of range) are counted in
:data:`refused`, a per-page value the pages show as a message in their language; a click on a
button that was disabled a moment before (a double click on Next year) is refused silently.
"""

from __future__ import annotations

import logging
import math
import threading
import weakref
from collections.abc import Callable
from functools import cache
from typing import Any

import ipyvuetify as v
import solara
import solara.server.server as _server
from ipywidgets import Widget

__all__ = ["install", "admit", "INPUTS", "refused", "MAX_TEXT", "MAX_ADDRESS"]

LOG = logging.getLogger("landsim.app")

#: the longest text a text field takes (a name has 40 characters; a number a few)
MAX_TEXT = 200
#: the longest page address (path and query) a page may report
MAX_ADDRESS = 2000
#: how many refusals of one page are logged one by one (then every hundredth)
LOG_FIRST = 20
#: solara's control channel, the one comm a page opens itself
CONTROL_TARGET = "solara.control"
#: what a page may ask of solara's control channel
CONTROL_METHODS = ("run", "app-status")
#: message types a page sends that change nothing (answered by solara as usual)
READ_ONLY = ("kernel_info_request", "comm_info_request")

#: per page (virtual kernel): refusals a person could have caused, shown by the pages
refused = solara.reactive(0)


def _number_in_range(widget: Any, value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return False
    lo = _as_float(widget.min, 0.0)
    hi = _as_float(widget.max, 100.0)
    return lo <= value <= hi


def _as_float(value: Any, default: float) -> float:
    try:
        return float(value) if value is not None else default
    except (TypeError, ValueError):
        return default


def _text(_widget: Any, value: Any) -> bool:
    return value is None or (isinstance(value, str) and len(value) <= MAX_TEXT)


def _flag(_widget: Any, value: Any) -> bool:
    return isinstance(value, bool)


def _offered_item(widget: Any, value: Any) -> bool:
    key = widget.item_value if isinstance(widget.item_value, str) else "value"
    offered = []
    for item in widget.items or []:
        offered.append(item.get(key, item.get("text")) if isinstance(item, dict) else item)
    if widget.multiple:
        return isinstance(value, list) and all(_member(x, offered) for x in value)
    return _member(value, offered) or (value is None and not offered)


def _member(value: Any, offered: list[Any]) -> bool:
    # equal and of the same type: True is not 1, 1.0 is not "1"
    return any(type(value) is type(x) and value == x for x in offered)


def _offered_button(widget: Any, value: Any) -> bool:
    n = len(widget.children or [])

    def index(x: Any) -> bool:
        return isinstance(x, int) and not isinstance(x, bool) and 0 <= x < n

    if widget.multiple:
        return isinstance(value, list) and all(index(x) for x in value)
    return index(value) or (value is None and not widget.mandatory)


def _address(_widget: Any, value: Any) -> bool:
    return (
        isinstance(value, str)
        and len(value) <= MAX_ADDRESS
        and value.startswith("/")
        and not value.startswith("//")
        and "\\" not in value
        and all(ch >= " " and ch != "\x7f" for ch in value)
    )


Check = Callable[[Any, Any], bool]


def _inputs() -> dict[type, dict[str, Check]]:
    from ipyvuetify.Themes import Theme
    from solara.components.file_download import FileDownloadWidget
    from solara.widgets.widgets import Navigator

    return {
        v.Slider: {"v_model": _number_in_range},
        v.TextField: {"v_model": _text},
        v.Textarea: {"v_model": _text},
        v.Select: {"v_model": _offered_item},
        v.BtnToggle: {"v_model": _offered_button},
        v.Checkbox: {"v_model": _flag},
        v.Switch: {"v_model": _flag},
        # solara's AppLayout: the side panel and the full-screen view open and close
        v.NavigationDrawer: {"v_model": _flag},
        v.Dialog: {"v_model": _flag},
        v.Menu: {"v_model": _flag},
        # the page's address (solara's router); the pages check what they read from it
        Navigator: {"location": _address},
        # the browser's light or dark theme
        Theme: {"dark_effective": _flag},
        # the browser asks for the file of a download button
        FileDownloadWidget: {"request_download": _flag},
    }


#: widget class -> the traits a browser may set on it, each with its check of the value
INPUTS: dict[type, dict[str, Check]] = _inputs()


@cache
def _declared_inputs(cls: type) -> dict[str, Check]:
    for klass in cls.__mro__:
        if klass in INPUTS:
            return INPUTS[klass]
    return {}


@cache
def _template_events(cls: type) -> frozenset[str]:
    """The events of a template class: its ``vue_<event>`` methods."""
    return frozenset(name[4:] for name in dir(cls) if name.startswith("vue_"))


class Refused(Exception):
    """A browser message outside the allow-list; ``quiet`` for a harmless race (a click on a
    button disabled a moment ago), ``resync`` for traits to send back to the page."""

    def __init__(self, reason: str, quiet: bool = False, resync: tuple = (), widget=None):
        super().__init__(reason)
        self.quiet, self.resync, self.widget = quiet, resync, widget


def _check_envelope(msg: Any) -> tuple[str, dict]:
    if not isinstance(msg, dict):
        raise Refused("not a message")
    header, content = msg.get("header"), msg.get("content")
    if not isinstance(header, dict) or not isinstance(content, dict):
        raise Refused("a message without header or content")
    kind = header.get("msg_type")
    if not isinstance(kind, str) or not isinstance(header.get("msg_id"), str):
        raise Refused("a message without type or id")
    if msg.get("channel") != "shell":
        raise Refused(f"a message on channel {str(msg.get('channel'))[:20]!r}")
    if msg.get("buffers"):
        raise Refused("binary buffers (no input of the pages takes them)")
    for key in ("parent_header", "metadata"):
        if not isinstance(msg.get(key, {}), dict):
            raise Refused(f"a message whose {key} is not a mapping")
    return kind, content


def check(kernel: Any, msg: Any) -> None:
    """Raise :class:`Refused` unless ``msg`` is something a page may send (module docstring)."""
    kind, content = _check_envelope(msg)
    if kind in READ_ONLY:
        return
    if kind == "comm_open":
        if content.get("target_name") != CONTROL_TARGET:
            raise Refused(f"comm_open on {str(content.get('target_name'))[:40]!r}")
        comm_id = content.get("comm_id")
        if not (isinstance(comm_id, str) and 0 < len(comm_id) <= 64):
            raise Refused("comm_open without a plain comm id")
        if comm_id in kernel.comm_manager.comms:
            raise Refused("comm_open on a comm that is open")
        return
    if kind != "comm_msg":
        raise Refused(f"message type {kind[:40]!r}")
    comm_id = content.get("comm_id")
    data = content.get("data")
    if not isinstance(comm_id, str) or not isinstance(data, dict):
        raise Refused("comm_msg without comm id or data")
    comm = kernel.comm_manager.comms.get(comm_id)
    if comm is None:
        raise Refused("comm_msg for a comm that is not open", quiet=True)
    if comm.target_name == CONTROL_TARGET:
        _check_control(data)
        return
    widget = Widget.widgets.get(comm_id)
    if widget is None:
        raise Refused("comm_msg for a comm without a widget", quiet=True)
    method = data.get("method")
    if method == "request_state":
        return
    if method == "update":
        _check_update(widget, data)
    elif method == "custom":
        _check_event(widget, data.get("content"))
    else:
        raise Refused(f"widget method {str(method)[:40]!r}")


def _check_control(data: dict) -> None:
    method = data.get("method")
    if method not in CONTROL_METHODS:
        raise Refused(f"control method {str(method)[:40]!r}")
    if method == "app-status":
        return
    args = data.get("args")
    if not isinstance(args, dict) or not _address(None, args.get("path")):
        raise Refused("run without a plain page address")
    if args.get("appName") not in (None, "__default__"):
        raise Refused("run of another app")
    if not isinstance(args.get("dark", False), bool) or args.get("themes", {}) != {}:
        raise Refused("run with forged themes")
    from solara.server import kernel_context

    if kernel_context.get_current_context().container is not None:
        raise Refused("run of a page that runs already")


def _check_update(widget: Any, data: dict) -> None:
    state = data.get("state")
    if not isinstance(state, dict) or not state:
        raise Refused("update without state")
    if data.get("buffer_paths"):
        raise Refused("update with binary buffers")
    declared = _declared_inputs(type(widget))
    keys = tuple(k for k in state if k in declared)
    name = type(widget).__name__
    undeclared = [k for k in state if k not in declared]
    if undeclared:
        shown = ", ".join(str(k)[:30] for k in undeclared[:3])
        raise Refused(f"{name}: {shown} is not an input of the page", resync=keys, widget=widget)
    if getattr(widget, "disabled", False):
        raise Refused(f"{name}: disabled", quiet=True, resync=keys, widget=widget)
    for key, value in state.items():
        if not declared[key](widget, value):
            shown = repr(value)[:60]
            raise Refused(
                f"{name}.{key} = {shown}: not a value it offers", resync=keys, widget=widget
            )


def _check_event(widget: Any, content: Any) -> None:
    name = type(widget).__name__
    if not isinstance(content, dict) or set(content) - {"event", "data"}:
        keys = sorted(map(str, content))[:3] if isinstance(content, dict) else type(content)
        raise Refused(f"{name}: a custom message that is not an event ({keys})")
    event = content.get("event")
    if not isinstance(event, str):
        raise Refused(f"{name}: an event without a name")
    handlers = getattr(widget, "_event_handlers_map", None)
    known = event in handlers if isinstance(handlers, dict) else False
    known = known or event in _template_events(type(widget))
    if not known:
        raise Refused(f"{name}: event {event[:40]!r} is not one the page listens to")
    if getattr(widget, "disabled", False):
        raise Refused(f"{name}: {event[:40]} on a disabled widget", quiet=True)


_counts: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()
_counts_lock = threading.Lock()


def _report(kernel: Any, err: Refused) -> None:
    with _counts_lock:
        n = _counts.get(kernel, 0) + 1
        _counts[kernel] = n
    level = logging.INFO if err.quiet else logging.WARNING
    if n <= LOG_FIRST or n % 100 == 0:
        LOG.log(level, "refused a message from the browser (%d on this page): %s", n, err)
    if err.widget is not None and err.resync:
        try:  # the page shows the server's value again
            err.widget.send_state(list(err.resync))
        except Exception:  # noqa: BLE001 - a page that went away meanwhile
            LOG.debug("could not resend a refused widget's state", exc_info=True)
    if not err.quiet:
        try:
            refused.value += 1
        except Exception:  # noqa: BLE001 - outside a page (no kernel context)
            LOG.debug("no page to tell of a refusal", exc_info=True)


def _answer(kernel: Any, msg: Any) -> None:
    """Answer a refused message as handled (busy, then idle), as solara does any message."""
    header = msg.get("header") if isinstance(msg, dict) else None
    if not isinstance(header, dict):
        return
    for state in ("busy", "idle"):
        kernel.session.send(
            kernel.iopub_socket, "status", {"execution_state": state}, parent=header, ident=None
        )


def admit(kernel: Any, msg: Any) -> bool:
    """Hand ``msg`` to solara if a page may send it; else refuse it, log it, and answer it.
    Returns solara's answer (False only when a page asks to shut its kernel down: refused)."""
    try:
        check(kernel, msg)
    except Refused as err:
        _report(kernel, err)
        _answer(kernel, msg)
        return True
    return _original(kernel, msg)


_original = _server.process_kernel_messages
_lock = threading.Lock()


def install() -> None:
    """Put :func:`admit` in front of solara's message dispatch (idempotent). Runs before the
    first page is served: :mod:`landsim.app.server` calls it when imported."""
    with _lock:
        if _server.process_kernel_messages is not admit:
            _server.process_kernel_messages = admit
