"""Real places (docs/regions.md): a town read from a land raster, village outlines and a household
table; a town written back as such files; maps and micro-data of a run."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("rasterio", reason="regions need the [gis] extra")

import pyogrio  # noqa: E402
import rasterio  # noqa: E402
import shapely  # noqa: E402
from rasterio.transform import Affine  # noqa: E402

from landsim import limits  # noqa: E402
from landsim.cli import main  # noqa: E402
from landsim.model import LandModel  # noqa: E402
from landsim.regions import export_region, read_region  # noqa: E402
from landsim.regions.export import write_layer  # noqa: E402
from landsim.scenario import load_scenario  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "region"


# ----------------------------------------------------------------------------------- helpers
@pytest.fixture(scope="module")
def exported(tmp_path_factory, tiny_text) -> Path:
    """The tiny synthetic town (20 x 20 plots, two villages) written as a region with a CSV
    table, once per module: ``land.tif``, ``villages.gpkg``, ``households.csv``, ``region.toml``."""
    folder = tmp_path_factory.mktemp("exported")
    (folder / "tiny.toml").write_text(tiny_text, encoding="utf-8")
    params = load_scenario(folder / "tiny.toml").params
    export_region(params, 5, folder / "region", table="csv")
    return folder / "region"


@pytest.fixture
def region(tmp_path, exported) -> Path:
    """A fresh copy of the exported tiny region, to spoil."""
    return Path(shutil.copytree(exported, tmp_path / "region"))


def _errors(scenario: Path, capsys) -> list[str]:
    """``landsim check SCENARIO``: its exit status must be 2; the error lines it printed."""
    status = main(["check", str(scenario)])
    err = capsys.readouterr().err
    assert status == 2, err
    return [line for line in err.splitlines() if line.startswith("landsim: error: ")]


def _rewrite_raster(path: Path, out: Path | None = None, data=None, **profile) -> None:
    """Write the raster ``path`` again (to ``out``), with new band values and profile keys."""
    with rasterio.open(path) as src:
        values = src.read() if data is None else data
        meta = {**src.profile, **profile, "count": values.shape[0]}
    (out or path).unlink(missing_ok=True)
    with rasterio.open(out or path, "w", **meta) as dst:
        dst.write(values.astype(meta["dtype"]))


def _table(region: Path) -> pd.DataFrame:
    return pd.read_csv(region / "households.csv", dtype=str, keep_default_na=False)


def _set_table(region: Path, df: pd.DataFrame) -> None:
    df.to_csv(region / "households.csv", index=False)


# ------------------------------------------------------------------------------- round trip
@pytest.mark.parametrize("table", ["parquet", "csv"])
def test_a_synthetic_town_written_as_a_region_runs_exactly_as_itself(tmp_path, tiny_text, table):
    """A synthetic town exported as a region (quality, branch strengths, members' ages and
    migrants, trust, plots by cell, kin ties) and loaded back gives identical outcomes for the
    same seed, year by year."""
    (tmp_path / "tiny.toml").write_text(tiny_text, encoding="utf-8")
    params = load_scenario(tmp_path / "tiny.toml").params
    files = export_region(params, 5, tmp_path / "region", table=table)
    again = load_scenario(files["scenario"]).params
    assert again.world.is_region and again.world.region_households == 60
    synthetic, read = LandModel(params, rng=5), LandModel(again, rng=5)
    for _ in range(6):
        synthetic.step()
        read.step()
    pd.testing.assert_frame_equal(synthetic.outcomes(), read.outcomes())
    assert synthetic.outcomes()["abandonment_rate"].iloc[1:].sum() > 0  # the runs did something
    np.testing.assert_array_equal(synthetic.plots.holder, read.plots.holder)
    np.testing.assert_array_equal(synthetic.plots.quality, read.plots.quality)


def test_another_seed_gives_another_run_of_a_region_that_fixes_only_counts(tmp_path):
    """A region whose table gives plot counts (not cells) hands out the plots from the seed:
    the same seed the same holders, another seed other holders."""
    scenario = EXAMPLE / "region.toml"
    params = load_scenario(scenario).params
    a, b, c = (LandModel(params, rng=s) for s in (1, 1, 2))
    np.testing.assert_array_equal(a.plots.holder, b.plots.holder)
    assert (a.plots.holder != c.plots.holder).any()


# ------------------------------------------------------------------------- hostile regions
def _geographic(region: Path) -> None:
    _rewrite_raster(region / "land.tif", crs="EPSG:4326")


def _villages_crs(region: Path) -> None:
    _, geoms, data = _read_layer(region / "villages.gpkg")
    write_layer(region / "villages.gpkg", "villages", geoms, data, "EPSG:32650")


def _read_layer(path: Path):
    meta, _, geometry, values = pyogrio.raw.read(path)
    fields = dict(zip(meta["fields"], values, strict=True))
    return meta, list(shapely.from_wkb(geometry)), fields


def _misaligned(region: Path) -> None:
    with rasterio.open(region / "land.tif") as src:
        t, shape = src.transform, (src.height, src.width)
    ids = np.where(np.arange(shape[1]) < shape[1] // 2, 1, 2)[None, :].repeat(shape[0], 0)
    shifted = Affine(t.a, 0, t.c + t.a / 2, 0, t.e, t.f)
    _rewrite_raster(
        region / "land.tif",
        region / "villages.tif",
        ids[None],
        count=1,
        dtype="int32",
        transform=shifted,
    )
    text = (region / "region.toml").read_text(encoding="utf-8")
    (region / "region.toml").write_text(text.replace("villages.gpkg", "villages.tif"))


def _missing_column(region: Path) -> None:
    _set_table(region, _table(region).drop(columns=["head_age"]))


def _unknown_village(region: Path) -> None:
    df = _table(region)
    df.loc[0, "village_id"] = "99"
    _set_table(region, df)


def _duplicate_household(region: Path) -> None:
    df = _table(region)
    df.loc[1, "household_id"] = df.loc[0, "household_id"]
    df["kin"] = ""  # kin ties name ids; keep them out of it
    _set_table(region, df)


def _overlapping(region: Path) -> None:
    _, geoms, fields = _read_layer(region / "villages.gpkg")
    west = shapely.bounds(geoms[0])
    grown = shapely.box(west[0], west[1], west[2] + 5 * 25.82, west[3])  # five cells into 2
    write_layer(region / "villages.gpkg", "villages", [grown, geoms[1]], fields, "EPSG:32651")


def _landless(region: Path) -> None:
    df = _table(region)
    df.loc[2, "plot_cells"] = ""
    _set_table(region, df)


def _too_many_plots(region: Path) -> None:
    df = _table(region).drop(columns=["plot_cells"])
    df["plots"] = "8"
    _set_table(region, df)


def _all_nodata(region: Path) -> None:
    with rasterio.open(region / "land.tif") as src:
        data = np.full((src.count, src.height, src.width), -1.0)
    _rewrite_raster(region / "land.tif", data=data, nodata=-1.0)


def _not_farmland(region: Path) -> None:
    first = int(_table(region).loc[0, "plot_cells"].split(";")[0])
    with rasterio.open(region / "land.tif") as src:
        data = src.read()
    data[0].ravel()[first] = 0
    _rewrite_raster(region / "land.tif", data=data)


def _held_twice(region: Path) -> None:
    df = _table(region)
    df.loc[1, "plot_cells"] += ";" + df.loc[0, "plot_cells"].split(";")[0]
    _set_table(region, df)


def _unknown_kin(region: Path) -> None:
    df = _table(region)
    df.loc[0, "kin"] = "9999:0.5"
    _set_table(region, df)


def _tiny_cells(region: Path) -> None:
    _rewrite_raster(region / "land.tif", transform=Affine(5.0, 0, 448_500, 0, -5.0, 4_113_000))


HOSTILE = {
    "geographic CRS": (_geographic, r"land\.tif: crs 'EPSG:4326': must be a projected CRS"),
    "villages in another CRS": (
        _villages_crs,
        r"villages\.gpkg: crs 'EPSG:32650': must be the land raster's CRS, 'EPSG:32651'",
    ),
    "misaligned id raster": (
        _misaligned,
        r"villages\.tif: grid 20 x 20 .* must be the land "
        r"raster's grid \(.*land\.tif: 20 x 20",
    ),
    "missing column": (_missing_column, r"households\.csv: column head_age is missing"),
    "unknown village": (
        _unknown_village,
        r"households\.csv:2: village_id = '99': is not a village of the outlines of "
        r".*villages\.gpkg \('1', '2'\)",
    ),
    "duplicate household": (
        _duplicate_household,
        r"households\.csv:3: household_id = '1': is given twice \(also line 2\)",
    ),
    "overlapping villages": (
        _overlapping,
        r"villages\.gpkg: features 1 and 2 \(village_id '1' and '2'\): overlap by [\d,]+ "
        r"square units of the CRS: villages must not overlap",
    ),
    "household without land": (
        _landless,
        r"households\.csv:4: plot_cells = '': every household holds at least one contract plot",
    ),
    "not enough farmland": (
        _too_many_plots,
        r"households\.csv: village_id '1': its 30 households ask for 240 plots, but only 200 "
        r"farmland cells are free",
    ),
    "all nodata": (_all_nodata, r"land\.tif: band 1: every cell is nodata \(-1\)"),
    "plot on non-farmland": (
        _not_farmland,
        r"households\.csv: household_id '1': plot_cells \d+: is not farmland of any village",
    ),
    "plot held twice": (
        _held_twice,
        r"households\.csv: household_id '2': plot_cells \d+: is held by household_id '1' too",
    ),
    "unknown kin": (
        _unknown_kin,
        r"households\.csv:2: kin = '9999:0\.5': names a household_id that is not in the table",
    ),
    "cells below the plot size": (
        _tiny_cells,
        r"land\.tif: cell 5 m x 5 m = 0\.0375 mu: a cell is one plot, and plot_size_mu must be "
        r"0\.1 to 20 mu",
    ),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_hostile_region_is_refused_in_one_line_naming_file_place_and_rule(region, capsys, case):
    """Each broken region (wrong CRS, misaligned grids, missing columns, unknown or duplicate
    ids, overlapping villages, households without land, an all-nodata raster, cells below the
    plot size, ...) makes ``landsim check`` exit 2 with one line naming the file, the column or
    row, and the rule."""
    spoil, pattern = HOSTILE[case]
    spoil(region)
    errors = _errors(region / "region.toml", capsys)
    assert len(errors) == 1, errors
    assert re.search(pattern, errors[0]), errors[0]
    assert "Traceback" not in errors[0]


def test_the_unspoilt_region_passes_the_check(region, capsys):
    """The exported tiny region itself is accepted (the hostile cases above spoil one thing)."""
    assert main(["check", str(region / "region.toml")]) == 0, capsys.readouterr().err


def test_a_raster_too_large_for_memory_is_refused_from_its_header(region, capsys, monkeypatch):
    """A 4000 x 4000 land raster (a sparse file of a few KB) that the memory check refuses is
    refused from its header: no pixel of it is read."""
    big = region / "land.tif"
    with rasterio.open(big) as src:
        profile = {
            **src.profile,
            "width": 4000,
            "height": 4000,
            "tiled": True,
            "blockxsize": 256,
            "blockysize": 256,
            "sparse_ok": True,
        }
    big.unlink()
    with rasterio.open(big, "w", **profile):
        pass  # no block written: GDAL keeps the file sparse
    assert big.stat().st_size < 1_000_000

    def unread(*args, **kwargs):
        raise AssertionError("the raster was read")

    monkeypatch.setattr("landsim.regions.load.read_land", unread)
    monkeypatch.setattr("landsim.regions.load.read_ids", unread)
    monkeypatch.setattr(limits, "memory_limit", lambda: (1e9, "this process may use 1.0 GB"))
    errors = _errors(region / "region.toml", capsys)
    assert len(errors) == 1, errors
    assert "land.tif: 4,000 x 4,000 cells: the world is too large for this process" in errors[0]
    assert "checked from the header, before reading the raster" in errors[0]


def test_a_region_file_missing_is_named(region, capsys):
    """A region file that does not exist is one line naming it."""
    (region / "households.csv").unlink()
    errors = _errors(region / "region.toml", capsys)
    assert len(errors) == 1 and errors[0].endswith("households.csv: no such file"), errors


def test_a_world_key_the_region_sets_may_not_disagree(region, capsys):
    """A scenario that names a region and sets a size the region gives (width) is refused,
    naming the key."""
    text = (region / "region.toml").read_text(encoding="utf-8")
    (region / "region.toml").write_text(text.replace("[world]\n", "[world]\nwidth = 30\n"))
    errors = _errors(region / "region.toml", capsys)
    assert any("world.width" in e and "is read from the region (20)" in e for e in errors), errors


# ---------------------------------------------------------------------- the example region
def test_the_example_region_is_what_its_script_makes(tmp_path):
    """examples/make_region.py makes the bundled example region's files again, byte for byte
    where the formats allow (the table and scenarios), and a land raster with the same cells."""
    from landsim.examples import make_region

    make_region.main([str(tmp_path)])
    for name in ("households.csv", "region.toml", "region_coops.toml"):
        assert (tmp_path / name).read_bytes() == (EXAMPLE / name).read_bytes(), name
    with rasterio.open(tmp_path / "land.tif") as a, rasterio.open(EXAMPLE / "land.tif") as b:
        np.testing.assert_array_equal(a.read(), b.read())
        assert a.crs == b.crs and a.transform == b.transform


def test_the_example_region_is_shaped_like_a_town(capsys):
    """The example region has roads and settlements that are not farmland, more hilly land in
    the east than in the west, seven villages, and cells within the plot-size bounds."""
    params = load_scenario(EXAMPLE / "region.toml").params
    w = params.world
    region = read_region(
        {k: Path(getattr(w, k)) for k in ("land_raster", "villages", "households")}
    )
    assert region.n_villages == 7
    assert 0.1 <= region.plot_size_mu <= 20
    cells = region.width * region.height
    assert 0.4 * cells < region.n_plots < 0.9 * cells  # farmland with holes
    col = region.cell % region.width
    east, west = col >= region.width // 2, col < region.width // 2
    assert region.hilly[east].mean() > 3 * region.hilly[west].mean()
    assert region.strength is not None and region.quality is not None


def _readme_command(start: str) -> list[str]:
    """The README's command line that starts with ``start`` (in its region section), split."""
    for line in (REPO / "README.md").read_text(encoding="utf-8").splitlines():
        if line.startswith(start):
            return shlex.split(line.split("#")[0])
    raise AssertionError(f"README.md has no line starting {start!r}")


def test_the_example_region_runs_end_to_end_and_its_maps_read_back(tmp_path, capsys, monkeypatch):
    """The README's ``landsim run`` of the example region (--maps both --microdata; 5 years)
    writes GeoTIFF stacks on the land raster's grid and CRS, one band per year, plots and
    village outlines as GeoPackages in that CRS and extent, household micro-data and the data
    dictionary, whose values agree with one another."""
    argv = _readme_command("landsim run examples/region/region.toml")
    assert argv[:3] == ["landsim", "run", "examples/region/region.toml"] and "--out" in argv
    argv[argv.index("--out") + 1] = str(tmp_path / "out")
    monkeypatch.chdir(REPO)
    years = 5  # the README's run has the scenario's 30 years: a short horizon keeps this fast
    status = main([*argv[1:], "--years", str(years)])
    out = tmp_path / "out"
    assert status == 0, capsys.readouterr().err
    with rasterio.open(EXAMPLE / "land.tif") as land:
        kind_in = land.read(1)
        crs, transform, bounds = land.crs, land.transform, land.bounds
    maps = out / "maps"
    with rasterio.open(maps / "plot_kind.tif") as src:
        assert src.crs == crs and src.crs.to_epsg() == 32651
        assert src.transform == transform and src.bounds == bounds
        assert src.count == years + 1
        assert src.descriptions == tuple(f"year {y}" for y in range(years + 1))
        kind = src.read(masked=True)
    region = load_scenario(EXAMPLE / "region.toml").params.world
    assert int((~kind.mask[0]).sum()) == region.region_plots
    assert not (~kind.mask[0] & (kind_in.reshape(kind.shape[1:]) <= 0)).any()  # plots on farmland
    assert set(np.unique(kind.compressed()).tolist()) <= set(range(5))
    with rasterio.open(maps / "plot_abandoned.tif") as src:
        abandoned = src.read(masked=True)
    outcomes = pd.read_parquet(out / "outcomes.parquet")
    share = abandoned.reshape(years + 1, -1).mean(axis=1).filled(np.nan)
    np.testing.assert_allclose(share, outcomes["abandonment_rate"].to_numpy(), atol=1e-12)

    villages = pyogrio.read_info(maps / "villages.gpkg", layer="villages")
    assert villages["features"] == 7 * (years + 1) and villages["geometry_type"] == "MultiPolygon"
    assert rasterio.crs.CRS.from_user_input(villages["crs"]) == crs
    west, south, east, north = villages["total_bounds"]
    assert (
        bounds.left <= west
        and east <= bounds.right
        and bounds.bottom <= south
        and north <= bounds.top
    )
    plots = pyogrio.read_info(maps / "plots.gpkg", layer="plots")
    assert plots["features"] == region.region_plots
    assert {"kind_0", "holder_5", "abandoned_5", "rent_5", "village_id"} <= set(plots["fields"])

    households = pd.read_parquet(out / "households.parquet")
    start = households[households["year"] == 0]
    table = pd.read_csv(EXAMPLE / "households.csv", dtype=str)
    assert sorted(start["household_id"]) == sorted(table["household_id"])
    assert households["year"].max() == years
    assert households.loc[households["year"] == 0, "income"].isna().all()  # undefined, not 0

    dictionary = pd.read_csv(out / "dictionary.csv")
    described = set(dictionary.loc[dictionary["file"] == "households.parquet", "column"])
    assert set(households.columns) <= described
    assert set(outcomes.columns) <= set(
        dictionary.loc[dictionary["file"] == "outcomes.parquet", "column"]
    )
    import pyarrow.parquet as pq

    assert b"landsim.dictionary" in pq.read_schema(out / "households.parquet").metadata


def test_a_synthetic_town_maps_where_its_scenario_puts_it(tiny_scenario, capsys):
    """A synthetic town's maps lie in UTM zone 51N by default, from the scenario's origin, in
    squares of its plot size (1 mu: 25.82 m)."""
    out = tiny_scenario.parent / "out"
    assert (
        main(["run", str(tiny_scenario), "--years", "2", "--maps", "tif", "--out", str(out)]) == 0
    )
    with rasterio.open(out / "maps" / "plot_holder.tif") as src:
        assert src.crs.to_epsg() == 32651
        assert (src.width, src.height, src.count) == (20, 20, 3)
        assert src.transform.c == 448_500 and src.transform.f == 4_113_000
        assert src.transform.a == pytest.approx((2000 / 3) ** 0.5)
    assert (out / "maps" / "villages.gpkg").is_file()
    assert not (out / "households.parquet").exists()  # only what was asked for


def test_compare_writes_maps_for_the_first_replicate_unless_asked_for_more(tiny_scenario, capsys):
    """``landsim compare --maps tif --microdata`` writes the maps of replicate 0 of each
    scenario; with --detail-replicates 2, of both; the micro-data tags each run."""
    out = tiny_scenario.parent / "cmp"
    args = [
        "compare",
        str(tiny_scenario),
        "--replicates",
        "2",
        "--years",
        "2",
        "--maps",
        "tif",
        "--microdata",
        "--executor",
        "serial",
    ]
    assert main([*args, "--out", str(out)]) == 0, capsys.readouterr().err
    assert [p.name for p in (out / "maps" / "tiny").iterdir()] == ["replicate-0"]
    hh = pd.read_parquet(out / "households.parquet")
    assert set(hh["replicate"]) == {0}
    assert main([*args, "--detail-replicates", "2", "--out", str(out) + "2"]) == 0
    assert sorted(p.name for p in (Path(str(out) + "2") / "maps" / "tiny").iterdir()) == [
        "replicate-0",
        "replicate-1",
    ]


def test_maps_without_a_projected_crs_are_refused_before_running(tiny_scenario, capsys):
    """A synthetic town whose [world] crs is geographic cannot be mapped in squares of its plot
    size: --maps is refused before a year is run, naming world.crs."""
    text = tiny_scenario.read_text(encoding="utf-8")
    tiny_scenario.write_text(text.replace("[world]\n", '[world]\ncrs = "EPSG:4326"\n'))
    out = tiny_scenario.parent / "out"
    assert main(["run", str(tiny_scenario), "--maps", "tif", "--out", str(out)]) == 2
    assert "world.crs = 'EPSG:4326': must be a projected CRS in metres" in capsys.readouterr().err
    assert not out.exists()


# ------------------------------------------------------------------------------------ app
def test_the_app_refuses_a_region_option_that_names_no_region(capsys):
    """``landsim app --region`` with a scenario that names no region, or not a scenario, stops
    before the server starts, in one line."""
    assert main(["app", "--region", str(REPO / "scenarios" / "baseline.toml")]) == 2
    assert "its [world] names no land_raster" in capsys.readouterr().err
    assert main(["app", "--region", str(EXAMPLE / "land.tif")]) == 2
    assert "must be a scenario file" in capsys.readouterr().err


def test_the_map_of_a_region_draws_non_farmland_apart_and_outlines(monkeypatch):
    """The app's map of a region draws its non-farmland cells in a colour of their own (no
    operator's, named in the legend), the cells outside every village white, and village
    boundaries dark; the picker offers the server's region first."""
    from landsim.app import mapview, session

    params = load_scenario(EXAMPLE / "region.toml").params
    model = LandModel(params, rng=1)
    rgb = mapview.layer_rgb(model, "operator").reshape(-1, 3)
    with rasterio.open(EXAMPLE / "land.tif") as src:
        kind = src.read(1).ravel()
    cells = np.full(kind.size, -1)
    cells[model.plots.cell] = 1
    pale = np.array(mapview._rgb(mapview.NOT_FARMLAND_COLOUR))
    white = np.array(mapview._rgb(mapview.OUTSIDE_COLOUR))
    assert (rgb[kind == 0] == pale).all(axis=1).mean() > 0.5  # roads, settlements inside villages
    assert (rgb[kind < 0] == white).all()  # outside the town
    assert not (rgb[model.plots.cell] == pale).all(axis=1).any()
    assert mapview.NOT_FARMLAND_COLOUR not in mapview.KIND_COLOURS.values()
    assert mapview.NOT_FARMLAND_COLOUR != mapview.COLLECTIVE_COLOUR
    assert [i.key for i in mapview.legend("operator", region=True)][-1] == "not_farmland"
    assert "not_farmland" not in [i.key for i in mapview.legend("operator")]
    png = mapview.map_png(model, "operator", scale=2)
    assert png.startswith(b"\x89PNG")
    monkeypatch.setenv(session.REGION_ENV, str(EXAMPLE / "region.toml"))
    assert session.scenario_names()[0] == "region"


def test_init_copies_the_example_region_and_it_loads_there(tmp_path, capsys):
    """``landsim init DIR`` copies the example region into DIR/examples/region/, and its
    scenarios load from there (their files are named relative to them)."""
    assert main(["init", str(tmp_path / "study")]) == 0
    copied = tmp_path / "study" / "examples" / "region"
    assert sorted(p.name for p in copied.iterdir()) == sorted(p.name for p in EXAMPLE.iterdir())
    params = load_scenario(copied / "region_coops.toml").params
    assert Path(params.world.land_raster) == copied / "land.tif"


def test_a_parquet_table_names_rows(region, capsys):
    """Problems in a Parquet household table name its rows (row 1 is the first), not lines."""
    df = _table(region)
    df.loc[1, "household_id"] = df.loc[0, "household_id"]
    df["kin"] = ""
    df.to_parquet(region / "households.parquet", index=False)
    text = (region / "region.toml").read_text(encoding="utf-8")
    (region / "region.toml").write_text(text.replace("households.csv", "households.parquet"))
    errors = _errors(region / "region.toml", capsys)
    assert len(errors) == 1, errors
    assert "households.parquet: row 2: household_id = '1': is given twice (also row 1)" in errors[0]


def test_a_parquet_table_may_hold_lists_and_structs(tmp_path, tiny_text):
    """A Parquet household table may give plot cells, members and kin ties as list columns
    (kin as ``{household_id, closeness}`` structs) instead of ``;``-separated text: the town is
    the same."""
    (tmp_path / "tiny.toml").write_text(tiny_text, encoding="utf-8")
    params = load_scenario(tmp_path / "tiny.toml").params
    files = export_region(params, 5, tmp_path / "region")
    df = pd.read_parquet(files["households"])
    as_text = LandModel(load_scenario(files["scenario"]).params, rng=5)
    df["plot_cells"] = [[int(c) for c in s.split(";")] for s in df["plot_cells"]]
    df["member_ages"] = [[float(a) for a in s.split(";")] for s in df["member_ages"]]
    df["member_migrant"] = [[int(m) for m in s.split(";")] for s in df["member_migrant"]]
    df["kin"] = [
        [
            {"household_id": k.split(":")[0], "closeness": float(k.split(":")[1])}
            for k in s.split(";")
            if k
        ]
        for s in df["kin"]
    ]
    df.to_parquet(files["households"], index=False)
    as_lists = LandModel(load_scenario(files["scenario"]).params, rng=5)
    for _ in range(2):
        as_text.step()
        as_lists.step()
    pd.testing.assert_frame_equal(as_text.outcomes(), as_lists.outcomes())
    np.testing.assert_array_equal(as_text.kin.src, as_lists.kin.src)
