"""``landsim bench``: the size ladder and the JSON it writes (never how fast anything is)."""

from __future__ import annotations

import json

from landsim.bench import PHASE_GROUPS, PHASES, county_size, ladder, town_size
from landsim.cli import main
from landsim.model import LandModel


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


def test_every_timed_phase_is_a_model_method():
    """Each phase the bench times is a method of LandModel, mapped to a phase of the year."""
    for method, group in PHASES.items():
        assert callable(getattr(LandModel, method))
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
