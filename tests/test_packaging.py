"""The wheel works anywhere: bundled scenarios and experiments travel with it, by bare name."""

from __future__ import annotations

import json
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
    assert {n for n, _ in rows} == {p.stem for p in (REPO / "scenarios").glob("*.toml")}
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
    copies = sorted(p.name for p in (w.workdir / "study" / "scenarios").glob("*.toml"))
    assert copies == sorted(f"{n}.toml" for n, _ in bundled.listing("scenarios"))
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
