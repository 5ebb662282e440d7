"""Keep ipyvue's template widgets from running what a browser message names.

Every template widget on a page (solara's ``Style`` and ``Title`` are two on every page) takes
three messages besides its events, meant for Vue components backed by Python classes (a
template's ``components``):

* ``create_widget`` imports the module a message names and calls the class (any callable) it
  names with the message's arguments;
* ``update_ref`` sets an attribute of any widget to a value the message builds, which may call
  any method of the widget;
* ``destroy_widget`` forgets a created one.

Nothing on landsim's pages has such components, so the messages only ever come from a forged
page, which could, for instance, call ``logging.basicConfig(filename=...)`` on the server and
create or truncate any file it may write. :func:`refuse_component_messages` makes a widget
without ``components`` refuse them (logged as refused); a widget with components keeps
ipyvue's handling.
"""

from __future__ import annotations

from typing import Any

import ipyvue.VueTemplateWidget as _vtw

from landsim.app.session import LOG
from landsim.scenario import safe_text

__all__ = ["refuse_component_messages", "COMPONENT_MESSAGES"]

#: message keys of ipyvue's class components (see the module docstring)
COMPONENT_MESSAGES = ("create_widget", "update_ref", "destroy_widget")

_original = _vtw.Events._handle_event


def _guarded(self: Any, widget: Any, content: Any, buffers: Any) -> None:
    if isinstance(content, dict) and not getattr(self, "components", None):
        asked = [k for k in COMPONENT_MESSAGES if k in content]
        if asked:
            LOG.warning(
                "refused a widget message from the browser: %s %s",
                asked[0],
                safe_text(repr(content.get(asked[0])), 200),
            )
            return
    _original(self, widget, content, buffers)


def refuse_component_messages() -> None:
    """Install the guard for every template widget created from now on (idempotent).

    A widget registers its handler when it is created, so this runs before any page is
    served: :mod:`landsim.app.app` calls it when imported.
    """
    _vtw.Events._handle_event = _guarded
