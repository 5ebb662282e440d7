"""Errors caused by the user's input (files, arguments): shown as one message, never a
traceback."""

from __future__ import annotations

__all__ = ["UserError"]


class UserError(Exception):
    """A mistake in the user's input; its message names the file, key, rule and value."""
