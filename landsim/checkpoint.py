"""Checkpoints (being rewritten)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from landsim.errors import UserError
from landsim.params import Params
from landsim.town import Town

__all__ = ["Snapshot", "save", "load", "CheckpointError"]


class CheckpointError(UserError):
    """A checkpoint cannot be written or read; the message names the file and the reason."""


@dataclass
class Snapshot:
    """A model between two years."""

    town: Town
    params: Params
    year: int
    running: bool
    rng: dict
    random: tuple
    outcomes: dict[str, list]
    decision_rows: list[dict[str, Any]]


def save(path, snap, meta=None):
    raise NotImplementedError


def load(path):
    raise NotImplementedError
