"""A browser tab of the app survives a server restart: its session is saved and restored."""

from __future__ import annotations

import os
import time

import pandas as pd
import pytest

from landsim.app.session import Session, purge_tabs

TAB = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def scenarios(tmp_path, tiny_text, monkeypatch):
    """A folder holding the tiny scenario as ``baseline.toml``, used by the app."""
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / "baseline.toml").write_text(tiny_text)
    monkeypatch.setenv("LANDSIM_SCENARIOS", str(folder))
    return folder


def test_a_saved_tab_is_restored_as_it_was_and_goes_on_the_same(scenarios, tmp_path):
    """A restored tab has the same year, levers, seed and mode, and its next years equal the
    original's."""
    tabs = tmp_path / "tabs"
    session = Session("baseline", seed=3)
    session.set_compare(True)
    session.step()
    session.step()
    session.runs[1].set_lever("audit_rate", 0.5)
    session.save(tabs, TAB)
    again = Session.restore(tabs, TAB)
    assert again is not None
    assert (again.year, again.seed, again.compare) == (2, 3, True)
    assert again.runs[1].levers == session.runs[1].levers and again.pending
    session.step()
    again.step()
    for a, b in zip(session.runs, again.runs, strict=True):
        pd.testing.assert_frame_equal(a.model.outcomes(), b.model.outcomes(), check_exact=True)


def test_unknown_bad_or_old_tabs_are_not_restored(scenarios, tmp_path):
    """A missing, malformed or path-like tab id, or a damaged save, gives a fresh tab (None);
    tabs older than the keeping time are deleted."""
    tabs = tmp_path / "tabs"
    assert Session.restore(tabs, TAB) is None
    assert Session.restore(tabs, "../../etc") is None
    Session("baseline").save(tabs, TAB)
    (tabs / TAB / "run0.npz").write_text("damaged")
    assert Session.restore(tabs, TAB) is None
    old = time.time() - 8 * 86400
    os.utime(tabs / TAB / "session.json", (old, old))
    purge_tabs(tabs)
    assert not (tabs / TAB).exists()
    with pytest.raises(ValueError, match="32 hex digits"):
        Session("baseline").save(tabs, "../x")


def test_the_page_opens_the_tab_named_in_its_address(scenarios, tmp_path, monkeypatch):
    """``?tab=ID`` of a saved tab opens it; an address without one gets a new id and tab."""
    from landsim.app.app import _keep, _open_tab, _tab_in

    monkeypatch.setenv("LANDSIM_APP_TABS", str(tmp_path / "tabs"))
    fresh, tab = _open_tab("")
    assert len(tab) == 32 and fresh.year == 0
    fresh.step()
    _keep(fresh, tab)
    again, same = _open_tab(_tab_in(f"tab={tab}"))
    assert same == tab and again is not fresh and again.year == 1
    other, new = _open_tab(_tab_in("tab=../../x"))
    assert new != tab and other.year == 0
