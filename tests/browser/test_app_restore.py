"""A tab's address brings it back: the app saves the tab and restores it from disk."""

from __future__ import annotations

from conftest import Tab


def test_an_address_with_a_tab_id_reopens_that_tab_in_its_year(open_tab, browser):
    """A stepped tab's address, opened in a new browser (a new server session, nothing in
    memory shared), shows the same year and goes on from there."""
    first = open_tab()
    first.step(2)
    url = first.page.url
    assert "?tab=" in url
    again = Tab(browser, url)
    try:
        assert again.year() == 2
        again.step()
        assert again.year() == 3
    finally:
        again.close()
