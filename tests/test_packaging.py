"""The wheel works anywhere: bundled scenarios and experiments travel with it, by bare name."""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from landsim import bundled
from landsim.scenario import find_scenario, load_scenario

REPO = Path(__file__).resolve().parents[1]


def test_every_subpackage_is_listed_for_the_wheel() -> None:
    """pyproject.toml lists every landsim package, so none is left out of the wheel."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    on_disk = {
        ".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "landsim").rglob("__init__.py")
    }
    assert on_disk <= set(config["packages"])
    assert config["package-dir"] == {
        "landsim.scenarios": "scenarios",
        "landsim.experiments": "experiments",
        "landsim.docs": "docs",
        "landsim.examples": "examples",
    }


def test_bare_names_resolve_to_bundled_files(tmp_path: Path, monkeypatch) -> None:
    """`baseline` means the bundled file unless a file of that name exists here."""
    monkeypatch.chdir(tmp_path)
    assert find_scenario("baseline") == bundled.bundled_dir("scenarios") / "baseline.toml"
    assert find_scenario("baseline.toml").name == "baseline.toml"
    (tmp_path / "baseline.toml").write_text('extends = "baseline"\ntitle = "mine"\n')
    assert find_scenario("baseline") == Path("baseline.toml")  # the file here wins
    assert find_scenario("baseline.toml") == Path("baseline.toml")
    assert find_scenario("no_such_name") == Path("no_such_name")  # reported as typed
    mine = load_scenario("baseline.toml")  # extends the bundled baseline by bare name
    assert mine.title == "mine" and mine.chain[1].parent == bundled.bundled_dir("scenarios")


def test_listing_names_every_bundled_scenario_with_its_title() -> None:
    """`landsim scenarios` lists baseline first and a title for every file."""
    rows = bundled.listing("scenarios")
    assert rows[0][0] == "baseline"
    top = REPO / "scenarios"
    files = {p.relative_to(top).with_suffix("").as_posix() for p in top.rglob("*.toml")}
    assert {n for n, _ in rows} == files
    assert "coops/no_benefit_sharing" in dict(rows)
    assert all(title for _, title in rows)


@pytest.mark.slow
def test_installed_wheel_runs_from_any_folder(installed_wheel) -> None:
    """From a folder outside the repo, the wheel lists, compares and copies bundled files."""
    w = installed_wheel
    origin = subprocess.run(
        [str(w.python), "-c", "import landsim; print(landsim.__file__)"],
        capture_output=True,
        text=True,
        env=w.env,
        cwd=w.workdir,
        check=True,
    ).stdout
    assert str(w.python.parents[1]) in origin and str(REPO) not in origin

    listed = w.run("scenarios")
    assert listed.returncode == 0, listed.stderr
    for name, title in bundled.listing("scenarios"):
        assert name in listed.stdout and title in listed.stdout
    assert "benefit_sharing" in listed.stdout

    compared = w.run("compare", "baseline", "coop_fixed_rent", "--replicates", "2", "--years", "3")
    assert compared.returncode == 0, compared.stderr
    out = w.workdir / "results" / "compare"
    summary = pd.read_csv(out / "summary.csv")
    assert set(summary["scenario"]) == {"baseline", "coop_fixed_rent"}
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["environment"]["git"] is None  # an installed wheel, not a checkout
    assert len(prov["environment"]["code_sha256"]) == 64

    swept = w.run("sweep", "benefit_sharing", "--dry-run")
    assert swept.returncode == 0, swept.stderr
    assert swept.stdout.startswith("240 runs")

    made = w.run("init", "study")
    assert made.returncode == 0, made.stderr
    study = w.workdir / "study" / "scenarios"
    copies = sorted(p.relative_to(study).as_posix() for p in study.rglob("*.toml"))
    assert copies == sorted(f"{n}.toml" for n, _ in bundled.listing("scenarios"))
    examples = sorted(p.name for p in (w.workdir / "study" / "examples").glob("*.py"))
    assert examples == ["ema_prim.py", "make_region.py", "solaraviz_app.py"]
    checked = w.run("check", *(f"study/scenarios/{c}" for c in copies))
    assert checked.returncode == 0, checked.stderr
    again = w.run("init", "study")
    assert again.returncode == 2 and "--force" in again.stderr


@pytest.mark.parametrize("command", ["scenarios", "init"])
def test_help_has_an_example(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    """The bundled-file commands' --help shows an example of their use."""
    from landsim.cli import build_parser

    with pytest.raises(SystemExit) as info:
        build_parser().parse_args([command, "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "examples:" in out and f"  landsim {command}" in out


def test_every_guide_a_help_names_is_one_landsim_docs_prints(capsys) -> None:
    """Each ``landsim docs NAME`` that a command's --help points to prints that guide (the
    guides travel with the wheel, so the pointers work where ``docs/`` is not at hand)."""
    import argparse

    from landsim.cli import build_parser, main

    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    helps = [parser.format_help(), *(p.format_help() for p in commands.choices.values())]
    named = {m for text in helps for m in re.findall(r"landsim docs ([a-z][\w-]*)", text)}
    assert {"checkpoints", "regions", "validation"} <= named
    for name in sorted(named):
        assert main(["docs", name]) == 0, name
        printed = capsys.readouterr().out
        assert printed.startswith("# ") and printed == (REPO / "docs" / f"{name}.md").read_text(
            encoding="utf-8"
        ), name


def test_unknown_reference_is_one_line_and_exit_2(tiny_scenario: Path, capsys) -> None:
    """--reference must name one of the scenarios compared."""
    from landsim.cli import main

    assert main(["compare", str(tiny_scenario), "--reference", "nope"]) == 2
    err = capsys.readouterr().err
    assert err == "landsim: error: --reference nope: not one of the scenarios compared (tiny)\n"


def test_bad_conf_level_is_refused_by_the_parser(capsys) -> None:
    """--conf-level outside (0, 1) is refused with the rule and exit 2."""
    from landsim.cli import main

    with pytest.raises(SystemExit) as info:
        main(["compare", "baseline", "--conf-level", "95"])
    assert info.value.code == 2
    assert "must be between 0 and 1" in capsys.readouterr().err


# ------------------------------------------------------------------ install weight and extras
#: what the core must not bring: the extras' libraries and the heavy ones they pull in
NOT_IN_CORE = {
    "pyabc",
    "rasterio",
    "pyogrio",
    "shapely",
    "ema-workbench",
    "dask",
    "distributed",
    "salib",
    "scikit-learn",
    "statsmodels",
    "redis",
    "sqlalchemy",
    "gitpython",
    "seaborn",
    "platypus-opt",
}

#: each extra and the distributions it must bring
EXTRA_BRINGS = {
    "sweep": {"salib"},
    "calibrate": {"pyabc"},
    "ema": {"ema-workbench"},
    "cluster": {"dask", "distributed"},
    "gis": {"rasterio", "pyogrio", "shapely"},
}


def test_the_core_brings_none_of_the_extras_and_at_most_100_distributions() -> None:
    """`pip install landsim` pulls in no extra's libraries, and with landsim itself at most
    100 distributions (resolved from this environment's metadata)."""
    from dist_env import closure, requirements

    core = set(closure(requirements()))
    assert not core & NOT_IN_CORE, sorted(core & NOT_IN_CORE)
    assert len(core) + 1 <= 100, len(core) + 1


def test_each_extra_brings_its_libraries_and_all_brings_every_extra() -> None:
    """Every extra of pyproject.toml brings its libraries, `all` every
    extra, `dev` all of `all`; landsim.extras names the same extras."""
    from dist_env import closure, requirements

    from landsim.extras import EXTRAS

    optional = tomllib.loads((REPO / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    assert set(EXTRAS) == set(EXTRA_BRINGS) == set(optional) - {"all", "dev"}
    core = set(closure(requirements()))
    every = set(closure(requirements(("all",))))
    for extra, brings in EXTRA_BRINGS.items():
        added = set(closure(requirements((extra,)))) - core
        assert brings <= added, (extra, sorted(added))
        assert bool(added) == bool(brings), (extra, sorted(added))
        assert added <= every
    assert every <= set(closure(requirements(("dev",))))


def test_every_exact_pin_says_why() -> None:
    """A requirement pinned with == has a comment right above it (the reason)."""
    lines = (REPO / "pyproject.toml").read_text().splitlines()
    pins = [i for i, line in enumerate(lines) if re.match(r'\s+"[A-Za-z0-9_.\-\[\]]+==', line)]
    assert pins  # solara and ruff are pinned, with reasons
    for i in pins:
        above = lines[i - 1].strip()
        assert above.startswith("#") or re.match(r'"[^"]+==', above), lines[i]


def test_version_licence_citation_and_changelog_agree() -> None:
    """One version in the package, CITATION.cff and the CHANGELOG's newest entry; an MIT
    LICENSE file that the wheel carries."""
    import landsim

    citation = (REPO / "CITATION.cff").read_text()
    assert re.search(rf"^version: {re.escape(landsim.__version__)}$", citation, re.M)
    assert "The landsim contributors" in citation
    # the newest released section (an [Unreleased] one above it gathers the next version)
    first = next(
        line
        for line in (REPO / "CHANGELOG.md").read_text().splitlines()
        if line.startswith("## ") and line != "## [Unreleased]"
    )
    assert f"[{landsim.__version__}]" in first
    assert (REPO / "LICENSE").read_text().startswith("MIT License")
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]


def test_the_wheel_carries_licence_guides_and_examples(wheel) -> None:
    """The wheel holds the LICENSE, every guide of docs/, every example script and the
    example region's files."""
    import zipfile

    names = set(zipfile.ZipFile(wheel).namelist())
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    for guide in (REPO / "docs").glob("*.md"):
        assert f"landsim/docs/{guide.name}" in names
    for example in (REPO / "examples").glob("*.py"):
        assert f"landsim/examples/{example.name}" in names
    for part in (REPO / "examples" / "region").iterdir():
        assert f"landsim/examples/region/{part.name}" in names


def _missing_extra(extra: str, what: str) -> str:
    verb = "is" if len(_MODULES[extra]) == 1 else "are"
    return (
        f"landsim: error: {what} needs the [{extra}] extra "
        f"({' and '.join(_MODULES[extra])} {verb} not installed): pip install 'landsim[{extra}]'\n"
    )


_MODULES = {
    "sweep": ["SALib"],
    "calibrate": ["pyabc"],
    "ema": ["ema_workbench"],
    "gis": ["rasterio", "pyogrio", "shapely"],
}


@pytest.mark.slow
def test_the_core_install_runs_the_core_commands_and_names_missing_extras(wheel_with) -> None:
    """With only the core's dependencies: the extras' libraries cannot be imported, compare
    runs the README's example, the app imports, the guides print, and each command that needs
    an extra stops in one line naming it (exit 2)."""
    w = wheel_with()
    for module in ("SALib", "pyabc", "ema_workbench", "distributed", "rasterio"):
        found = subprocess.run([str(w.python), "-c", f"import {module}"], env=w.env)
        assert found.returncode == 1, module  # the environment really is the core alone
    app = subprocess.run(
        [str(w.python), "-c", "import landsim.app.app"], env=w.env, capture_output=True
    )
    assert app.returncode == 0, app.stderr

    compared = w.run("compare", "baseline", "coop_fixed_rent", "--replicates", "3")
    assert compared.returncode == 0, compared.stderr
    summary = pd.read_csv(w.workdir / "results" / "compare" / "summary.csv")
    assert set(summary["scenario"]) == {"baseline", "coop_fixed_rent"} and (summary["n"] == 3).all()
    for args in (("run", "baseline", "--years", "2"), ("check", "baseline"), ("docs", "ema")):
        done = w.run(*args)
        assert done.returncode == 0, (args, done.stderr)
    assert "pip install 'landsim[ema]'" in w.run("docs", "ema").stdout

    refused = {
        ("sweep", "benefit_sharing", "--dry-run"): _missing_extra("sweep", "landsim sweep"),
        ("analyze", "results/compare"): _missing_extra("sweep", "landsim analyze"),
        ("calibrate", "calibrate_town"): _missing_extra("calibrate", "landsim calibrate"),
        ("run", "baseline", "--years", "1", "--maps"): _missing_extra("gis", "--maps"),
    }
    for args, message in refused.items():
        result = w.run(*args)
        assert (result.returncode, result.stderr) == (2, message), args
    dask = w.run("compare", "baseline", "--executor", "dask://127.0.0.1:1")
    assert dask.returncode == 2
    assert "needs the [cluster] extra" in dask.stderr and dask.stderr.count("\n") == 1
    assert w.run("init", "study").returncode == 0  # the example region comes with it
    region = w.run("check", "study/examples/region/region.toml")
    assert region.returncode == 2 and region.stderr.count("\n") == 2, region.stderr
    assert (
        "world.land_raster: a region ([world] land_raster, villages, households) needs the "
        "[gis] extra" in region.stderr
    )
    ema = subprocess.run(
        [str(w.python), "-m", "landsim.examples.ema_prim"],
        env=w.env,
        cwd=w.workdir,
        capture_output=True,
        text=True,
    )
    assert ema.returncode == 1 and "No module named 'ema_workbench'" in ema.stderr


@pytest.mark.slow
def test_the_sweep_extra_runs_sweep_and_analyze(wheel_with) -> None:
    """With [sweep]: a Latin hypercube sweep and its analysis run."""
    from sweep_helpers import tiny_experiment

    w = wheel_with("sweep")
    factors = '[factors."assumptions.aging_speed"]\nrange = [0.8, 1.6]\n'
    latin = tiny_experiment(factors, 'kind = "latin"\nsamples = 4', replicates=1, years=2)
    (w.workdir / "latin.toml").write_text(latin)
    swept = w.run("sweep", "latin.toml", "--out", "swept", "--executor", "serial")
    assert swept.returncode == 0, swept.stderr
    analysed = w.run("analyze", "swept", "--no-figures")
    assert analysed.returncode == 0, analysed.stderr
    assert "main effects" in analysed.stdout


@pytest.mark.slow
def test_the_gis_extra_runs_the_example_region_with_maps(wheel_with) -> None:
    """With [gis]: the example region that `landsim init` copies runs, with maps and
    micro-data, from a folder outside the repository."""
    w = wheel_with("gis")
    assert w.run("init", "study").returncode == 0
    done = w.run(
        "run",
        "study/examples/region/region.toml",
        "--years",
        "2",
        "--maps",
        "--microdata",
        "--out",
        "region",
    )
    assert done.returncode == 0, done.stderr
    for name in ("maps/plot_kind.tif", "maps/villages.gpkg", "households.parquet"):
        assert (w.workdir / "region" / name).is_file(), name


@pytest.mark.slow
def test_the_calibrate_extra_runs_a_small_calibration(wheel_with, tiny_text) -> None:
    """With [calibrate]: `landsim calibrate` runs one small generation to its outputs."""
    from test_calibrate import CONFIG, SPEC

    w = wheel_with("calibrate")
    (w.workdir / "spec.toml").write_text(SPEC)
    (w.workdir / "cal.toml").write_text(CONFIG)
    done = w.run(
        "calibrate",
        "cal.toml",
        "--generations",
        "1",
        "--population",
        "3",
        "--executor",
        "serial",
        "--predictive-draws",
        "2",
        "--out",
        "cal",
    )
    assert done.returncode == 0, done.stderr
    assert (w.workdir / "cal" / "calibrated.toml").is_file()


@pytest.mark.slow
def test_the_ema_extra_runs_the_example_with_replications(wheel_with) -> None:
    """With [ema]: the shipped EMA example runs experiments with replications and PRIM."""
    w = wheel_with("ema")
    code = (
        "from landsim.examples.ema_prim import main\n"
        "tiny = dict(width=20, height=10, villages_x=2, villages_y=1, households_per_village=20)\n"
        "box, outcomes = main(scenarios=8, years=2, world=tiny, replications=2)\n"
        "print('sd', outcomes['abandonment_rate_sd'].max())\n"
    )
    done = subprocess.run(
        [str(w.python), "-c", code], env=w.env, cwd=w.workdir, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "abandonment, mean over replications" in done.stdout


@pytest.mark.slow
def test_the_cluster_extra_runs_compare_on_a_dask_cluster(wheel_with, tiny_text) -> None:
    """With [cluster]: `landsim compare --executor dask://` runs on a scheduler and a worker
    started from the same environment."""
    import socket

    w = wheel_with("cluster")
    (w.workdir / "tiny.toml").write_text(tiny_text)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    quiet = {"env": w.env, "cwd": w.workdir, "stdout": subprocess.DEVNULL}
    dask = [str(w.python), "-m", "dask"]
    scheduler = subprocess.Popen(
        [*dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
        stderr=subprocess.DEVNULL,
        **quiet,
    )
    worker = subprocess.Popen(
        [*dask, "worker", f"tcp://127.0.0.1:{port}", "--nthreads", "1", "--no-dashboard"],
        stderr=subprocess.DEVNULL,
        **quiet,
    )
    try:
        done = w.run("compare", "tiny.toml", "--executor", f"dask://127.0.0.1:{port}")
    finally:
        for proc in (worker, scheduler):
            proc.terminate()
            proc.wait(timeout=30)
    assert done.returncode == 0, done.stderr
    assert "on dask tcp://127.0.0.1" in done.stdout
