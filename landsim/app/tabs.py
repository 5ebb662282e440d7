"""Where the app keeps saved tabs, and for how long.

Each tab of ``landsim app`` has an id (32 hex digits) in its address; its session is saved in
``tabs_dir()/ID/`` (:meth:`landsim.app.session.Session.save`) so that it survives a server
restart. Saved tabs are deleted :data:`KEEP_DAYS` days after their last change, and the oldest
go first beyond :data:`MAX_TABS` tabs or :data:`MAX_TABS_BYTES` bytes (:func:`purge_tabs`). A
name that is not a :data:`TAB_ID` is never used as a folder name.

Parts: :func:`tabs_dir`, :func:`purge_tabs`, :func:`tab_lock` and the limits above.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import time
from pathlib import Path

from filelock import FileLock

__all__ = [
    "tabs_dir",
    "purge_tabs",
    "tab_lock",
    "TABS_ENV",
    "KEEP_DAYS",
    "MAX_TABS",
    "MAX_TABS_BYTES",
    "TAB_ID",
]

#: environment variable naming the folder where tabs are saved between server restarts
TABS_ENV = "LANDSIM_APP_TABS"
#: a saved tab is deleted this many days after its last change
KEEP_DAYS = 7
#: at most this many saved tabs (a tab that clicked once keeps ~210 KB); the oldest go first
MAX_TABS = 1000
#: and at most this many bytes of saved tabs in all
MAX_TABS_BYTES = 256 * 2**20
#: a tab's id: 32 hex digits (anything else is never used as a folder name)
TAB_ID = re.compile(r"[0-9a-f]{32}")
LOG = logging.getLogger("landsim.app")


def tabs_dir() -> Path:
    """Folder of saved tabs: ``$LANDSIM_APP_TABS``, else ``$XDG_DATA_HOME/landsim/tabs``
    (``~/.local/share/landsim/tabs``)."""
    env = os.environ.get(TABS_ENV)
    if env:
        return Path(env)
    data = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data) / "landsim" / "tabs"


def purge_tabs(
    folder: Path,
    keep_days: float = KEEP_DAYS,
    max_tabs: int = MAX_TABS,
    max_bytes: int = MAX_TABS_BYTES,
    spare: frozenset[str] | set[str] = frozenset(),
) -> list[str]:
    """Delete saved tabs not changed for ``keep_days`` days, then the oldest until at most
    ``max_tabs`` tabs of at most ``max_bytes`` bytes in all remain; tabs in ``spare`` (open
    now) are not evicted for the caps. Returns the ids deleted."""
    if not folder.is_dir():
        return []
    limit = time.time() - keep_days * 86400
    tabs = []  # (last change, id, bytes)
    deleted = []
    for tab in folder.iterdir():
        if not TAB_ID.fullmatch(tab.name) or not tab.is_dir():
            continue
        try:
            changed = (tab / "session.json").stat().st_mtime
        except OSError:
            changed = None
        if changed is None or changed < limit:
            if changed is not None or tab.name not in spare:  # not one being saved right now
                shutil.rmtree(tab, ignore_errors=True)
                deleted.append(tab.name)
            continue
        size = sum(f.stat().st_size for f in tab.iterdir() if f.is_file())
        tabs.append((changed, tab.name, size))
    tabs.sort()
    count, total = len(tabs), sum(t[2] for t in tabs)
    for _, name, size in tabs:
        if count <= max_tabs and total <= max_bytes:
            break
        if name in spare:
            continue
        shutil.rmtree(folder / name, ignore_errors=True)
        deleted.append(name)
        count, total = count - 1, total - size
    if deleted:
        LOG.info(
            "deleted %d saved tabs (older than %g days, or beyond the caps)",
            len(deleted),
            keep_days,
        )
    return deleted


def tab_lock(where: Path) -> FileLock:
    """The lock of a tab's folder (for every thread and process; the ``filelock`` library
    opens it without following a planted link)."""
    return FileLock(where / ".lock")
