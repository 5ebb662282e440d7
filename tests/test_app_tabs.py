"""A browser tab of the app survives a server restart: its session is saved and restored."""

from __future__ import annotations

import os
import time

import pandas as pd
import pytest

from landsim.app.session import Session
from landsim.app.tabs import purge_tabs

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


def _tab_id(i: int) -> str:
    return f"{i:032x}"


def test_saved_tabs_are_capped_in_number_and_bytes_oldest_first(scenarios, tmp_path):
    """Beyond the caps the oldest saved tabs go first; tabs open now are spared."""
    tabs = tmp_path / "tabs"
    session = Session("baseline")
    for i in range(6):
        session.save(tabs, _tab_id(i))
        t = time.time() - (10 - i) * 60  # tab 0 is the oldest
        os.utime(tabs / _tab_id(i) / "session.json", (t, t))
    size = sum(f.stat().st_size for f in (tabs / _tab_id(0)).iterdir() if f.is_file())
    deleted = purge_tabs(tabs, max_tabs=4, spare={_tab_id(0)})
    assert deleted == [_tab_id(1), _tab_id(2)]
    assert sorted(p.name for p in tabs.iterdir()) == [_tab_id(i) for i in (0, 3, 4, 5)]
    deleted = purge_tabs(tabs, max_bytes=int(2.5 * size))
    assert deleted == [_tab_id(0), _tab_id(3)]
    assert sorted(p.name for p in tabs.iterdir()) == [_tab_id(4), _tab_id(5)]


def test_two_pages_saving_one_tab_never_collide(scenarios, tmp_path):
    """Thirty saves each from two sessions of one tab id at the same time all succeed, and
    the tab restores (5 of 30 used to fail on a shared temporary file)."""
    import threading

    tabs = tmp_path / "tabs"
    sessions = [Session("baseline"), Session("baseline", seed=2)]
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def save_many(s: Session) -> None:
        start.wait(10)
        for _ in range(30):
            try:
                s.save(tabs, TAB)
            except BaseException as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)

    threads = [threading.Thread(target=save_many, args=(s,)) for s in sessions]
    for th in threads:
        th.start()
    for th in threads:
        th.join(120)
    assert errors == []
    assert Session.restore(tabs, TAB) is not None
    assert [p.name for p in (tabs / TAB).iterdir() if p.name.endswith(".tmp")] == []


def test_a_tab_open_in_another_page_is_copied_under_a_new_id(scenarios, tmp_path, monkeypatch):
    """One browser tab id is written by one page: a second page that opens the address of a
    tab open elsewhere gets a copy of it under a new id."""
    from landsim.app import app

    monkeypatch.setenv("LANDSIM_APP_TABS", str(tmp_path / "tabs"))
    live = {"page-1": object(), "page-2": object()}
    monkeypatch.setattr(app.kernel_context, "contexts", live)
    monkeypatch.setattr(app, "_claims", {})
    monkeypatch.setattr(app, "_kernel_id", lambda: "page-1")
    first, tab = app._open_tab("")
    first.step()
    app._keep(first, tab)
    monkeypatch.setattr(app, "_kernel_id", lambda: "page-2")
    copy, other = app._open_tab(tab)
    assert other != tab and copy.year == 1 and copy is not first
    del live["page-1"]  # the first page was culled: its tab is free again
    again, same = app._open_tab(tab)
    assert same == tab
