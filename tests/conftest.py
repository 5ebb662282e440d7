"""Shared fixtures: a tiny scenario file and a way to call the ``landsim`` command."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

#: a two-village 20x20 town run for 3 years with 2 replicates: seconds, not minutes
TINY_SCENARIO = """\
title = "Tiny test town"
description = "Two villages, three years: small enough for end-to-end tests."

[world]
width = 20
height = 20
villages_x = 2
villages_y = 1
households_per_village = 30

[levers]
coop_founding = "all"

[run]
years = 3
replicates = 2
seed = 11
"""


@pytest.fixture(scope="session")
def landsim_argv() -> list[str]:
    """The command that starts ``landsim`` (the console script beside this Python)."""
    script = Path(sys.executable).parent / "landsim"
    return [str(script)] if script.exists() else [sys.executable, "-m", "landsim"]


@pytest.fixture(scope="session")
def landsim(landsim_argv: list[str]) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run ``landsim`` with arguments (from the repository root unless ``cwd`` is given)."""

    def call(
        *args: object,
        cwd: Path = REPO,
        timeout: float = 120,
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*landsim_argv, *map(str, args)],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    return call


@pytest.fixture(scope="session")
def tiny_text() -> str:
    """The text of a valid tiny scenario (for fixtures that write their own files)."""
    return TINY_SCENARIO


@pytest.fixture
def tiny_scenario(tmp_path: Path) -> Path:
    """A valid tiny scenario file, ``tiny.toml``, in a fresh temporary folder."""
    path = tmp_path / "tiny.toml"
    path.write_text(TINY_SCENARIO, encoding="utf-8")
    return path
