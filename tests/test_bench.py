"""``landsim bench``: the size ladder and the JSON it writes (never how fast anything is)."""

from __future__ import annotations

import ast
import importlib
import inspect
import json

import landsim.model
from landsim.cli import main
from landsim.model import LandModel
from landsim.timing import PHASE_GROUPS, PHASES, county_size, ladder, town_size


def test_county_is_a_million_plots_in_600_villages():
    """The default county has 1,000,000 plots, 25 x 24 villages and about 200,000 households."""
    c = county_size()
    assert (c.plots, c.villages_x, c.villages_y) == (1_000_000, 25, 24)
    assert 190_000 <= c.households <= 210_000


def test_ladder_grows_from_town_to_county():
    """The ladder has the town, four sizes between and the county, each larger than the last."""
    sizes = ladder(town_size(), county_size())
    assert [s.name for s in sizes] == ["town", "size1", "size2", "size3", "size4", "county"]
    plots = [s.plots for s in sizes]
    assert plots == sorted(plots) and len(set(plots)) == 6
    assert all(s.households_per_village >= 1 for s in sizes)


def test_every_phase_the_calendar_calls_is_timed():
    """Each function of a phase module that the calendar (LandModel.step and the methods it
    calls) calls is in the bench's per-phase table, mapped to a phase of the year; each entry
    of the table exists."""
    tree = ast.parse(inspect.getsource(landsim.model))
    calendar = {"step", "_decide", "_market", "_after_season"}  # _apply_timeline is timed whole
    called = set()
    for fn in ast.walk(tree):
        if isinstance(fn, ast.FunctionDef) and fn.name in calendar:
            for node in ast.walk(fn):
                f = node.func if isinstance(node, ast.Call) else None
                if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
                    if importlib.util.find_spec(f"landsim.{f.value.id}") is not None:
                        called.add(f"{f.value.id}.{f.attr}")
    assert called and called <= set(PHASES), sorted(called - set(PHASES))
    m = LandModel(rng=1, width=10, height=10, villages_x=1, villages_y=1, households_per_village=20)
    for name, group in PHASES.items():
        module, _, attr = name.rpartition(".")
        owner = m
        if module.startswith("model"):
            for part in module.split(".")[1:]:
                owner = getattr(owner, part)
        else:
            owner = importlib.import_module(f"landsim.{module}")
        assert callable(getattr(owner, attr)), name
        assert group in PHASE_GROUPS


def test_quick_bench_writes_the_table_and_json(tmp_path, capsys):
    """A tiny quick bench prints the table and writes every section of the JSON."""
    out = tmp_path / "bench.json"
    argv = [
        "bench",
        "--quick",
        "--county-plots",
        "12000",
        "--years",
        "2",
        "--repeats",
        "1",
        "--no-progress",
        "--out",
        str(out),
    ]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "time ∝ plots^k" in printed and "time per phase of the year" in printed
    result = json.loads(out.read_text())
    assert set(result) >= {
        "environment",
        "settings",
        "targets",
        "sizes",
        "scaling",
        "town",
        "county",
        "targets_met",
    }
    assert [s["name"] for s in result["sizes"]] == [
        "town",
        "size1",
        "size2",
        "size3",
        "size4",
        "county",
    ]
    for row in result["sizes"]:
        assert row["status"] == "done"
        assert set(row) >= {
            "size",
            "wall_s",
            "build_s",
            "us_per_household_year",
            "phases_s_per_year",
            "methods_s_per_year",
            "peak_rss_mb",
        }
        assert set(row["phases_s_per_year"]) == set(PHASE_GROUPS)
    assert result["county"]["peak_rss_mb"] > 0
    assert isinstance(result["scaling"]["k"], float)
    assert set(result["targets_met"]) == {"town_run_s", "county_run_s", "county_peak_rss_gb", "k"}


def test_bench_rejects_a_county_smaller_than_the_ladder(capsys):
    """A county too small for four sizes between it and the town is a user error."""
    assert main(["bench", "--county-plots", "5000", "--no-progress"]) == 2
    assert "--county-plots must be at least" in capsys.readouterr().err
