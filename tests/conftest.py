"""Shared fixtures: a tiny scenario file, a way to call ``landsim``, and an installed wheel."""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
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


# ------------------------------------------------------------------------ installed wheel
@dataclass
class Installed:
    """landsim built as a wheel and installed in a fresh virtual environment.

    Attributes:
        python: the environment's interpreter.
        landsim: its ``landsim`` console script.
        workdir: an empty folder outside the repository to run commands in.
        env: environment variables for those commands (no PYTHONPATH, the venv first on PATH).
    """

    python: Path
    landsim: Path
    workdir: Path
    env: dict[str, str]

    def run(self, *args: object, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """Run the installed ``landsim`` with ``args`` in :attr:`workdir`."""
        return subprocess.run(
            [str(self.landsim), *map(str, args)],
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )


def _build_wheel(root: Path) -> Path:
    """Build landsim's wheel offline from a fresh copy of the source; return its path."""
    src = root / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in ("landsim", "scenarios", "experiments", "docs", "examples"):
        shutil.copytree(REPO / name, src / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(REPO / name, src / name)
    dist = root / "dist"
    subprocess.run(
        [*_PIP, "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist), str(src)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = dist.glob("landsim-*.whl")
    return wheel


_PIP = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]


def _install(root: Path, wheel: Path, deps: list[str]) -> Installed:
    """A fresh virtual environment in ``root`` with ``wheel`` installed alone and the
    site-packages folders ``deps`` visible through a ``.pth`` line."""
    venv = root / "venv"
    subprocess.run(
        [getattr(sys, "_base_executable", sys.executable), "-m", "venv", "--without-pip", venv],
        check=True,
        timeout=120,
    )
    python = venv / "bin" / "python"
    subprocess.run(
        [*_PIP, "--python", str(python), "install", "--no-deps", "--no-index", "-q", str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    own_site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    (Path(own_site) / "landsim_test_deps.pth").write_text("\n".join(deps) + "\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    # the dependencies' data files (solara's offline assets, the widgets' notebook extensions)
    # live under this environment's prefix, where a full install would put them in the new one
    for data in ("share/solara", "share/jupyter", "etc/jupyter"):
        if (Path(sys.prefix) / data).is_dir():
            (venv / data).parent.mkdir(parents=True, exist_ok=True)
            (venv / data).symlink_to(Path(sys.prefix) / data)
    workdir = root / "elsewhere"
    workdir.mkdir()
    return Installed(python, venv / "bin" / "landsim", workdir, env)


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel of landsim, built offline from a fresh copy of the source."""
    return _build_wheel(tmp_path_factory.mktemp("wheel"))


@pytest.fixture(scope="session")
def installed_wheel(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Installed:
    """The wheel installed, alone, in a fresh virtual environment, with every dependency of
    this environment visible.

    Only landsim is installed from the wheel (``--no-deps``); its dependencies are made visible
    through a ``.pth`` line naming this environment's site-packages, which adds that folder to
    ``sys.path`` without running its ``.pth`` files, so the editable landsim stays invisible;
    their data files under ``share/`` and ``etc/`` are linked in.
    """
    deps = [p for p in site.getsitepackages() if Path(p).is_dir()]
    return _install(tmp_path_factory.mktemp("installed"), wheel, deps)


@pytest.fixture(scope="session")
def wheel_with(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Callable[..., Installed]:
    """``wheel_with(*extras)``: the wheel in a fresh environment that sees only what
    ``pip install 'landsim[extras]'`` would bring — the core's dependencies and the extras',
    as resolved in this environment (tests/dist_env.py) — and nothing else."""
    from dist_env import closure, link_site, requirements

    made: dict[tuple[str, ...], Installed] = {}

    def make(*extras: str) -> Installed:
        key = tuple(sorted(extras))
        if key not in made:
            root = tmp_path_factory.mktemp("with-" + ("-".join(key) or "core"))
            site_dir = link_site(closure(requirements(key)), root / "site")
            made[key] = _install(root, wheel, [str(site_dir)])
        return made[key]

    return make
