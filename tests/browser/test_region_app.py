"""``landsim app --region FILE``: the app opens with a region chosen on the server."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import OUT, Tab, _serve

pytestmark = pytest.mark.browser

pytest.importorskip("rasterio", reason="regions need the [gis] extra")

REGION = "examples/region/region.toml"
TITLE = "Example region: a town read from GIS layers"


@pytest.fixture(scope="module")
def region_url():
    """URL of a ``landsim app --region examples/region/region.toml`` server."""
    yield from _serve("region-server.log", "--region", REGION)


def test_the_app_opens_with_the_servers_region_and_steps_it(region_url, browser):
    """The page opens with the region's scenario (first in the picker), draws its map with
    village outlines, and steps it, with no page errors; the page is saved for a look."""
    tab = Tab(browser, region_url)
    try:
        page = tab.page
        title = page.locator(".landsim-run-a .landsim-run-title")
        title.wait_for(state="visible")
        assert title.inner_text() == TITLE
        legend = page.locator(".landsim-legend-operator").inner_text()
        assert "Not farmland (roads, settlements" in legend
        before = tab.srcs("img.landsim-map")
        tab.step()
        assert tab.year() == 1
        page.wait_for_function(
            "m => document.querySelector('img.landsim-map').src !== m[0]", arg=before
        )
        size = page.eval_on_selector("img.landsim-map", "e => [e.naturalWidth, e.naturalHeight]")
        assert size[0] > size[1] > 0  # the region is 80 x 60 cells: wider than high
        OUT.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(OUT) / "region-app.png"), full_page=True)
        assert tab.external == [] and tab.errors == []
    finally:
        tab.close()
