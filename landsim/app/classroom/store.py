"""Where a class is kept between server restarts: one JSON file per class in the data folder.

A class is saved as what it was built from and what people decided, not as the model's
arrays: the scenario, the seed and the class's settings, who joined as what, and every year's
decisions. Restoring it builds the same town again and replays the years with the same
decisions (the model is deterministic for a seed and its decisions, which tests hold), so the
file is small, readable, and the restored class is the class that was played.

* :func:`classes_dir` — the folder: ``$LANDSIM_APP_CLASSES`` (``landsim app`` sets it to
  ``--data``/classes), or None: classes are not kept (tests, the library);
* :class:`ClassStore` — writes a class's document (``CODE/class.json``) with the project's safe
  writer (:mod:`landsim.files`: a new file beside it, renamed; never through a link), readable
  by the server's user only (folders 0700, files 0600), from a background thread that writes
  each changed class at most once a second, so a click never waits for the disk; lists and
  reads saved classes; deletes those not changed for :data:`KEEP_DAYS` days.

Secrets are never written: the teacher's key and the browsers' session ids are kept as
SHA-256 digests (see :func:`digest`), in memory too.
"""

from __future__ import annotations

import _thread
import atexit
import hashlib
import logging
import os
import re
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from landsim.errors import UserError
from landsim.files import read_json, write_text_atomic

__all__ = [
    "classes_dir",
    "ClassStore",
    "digest",
    "CLASSES_ENV",
    "KEEP_DAYS",
    "SAVE_PAUSE",
    "FORMAT",
]

LOG = logging.getLogger("landsim.app")
#: environment variable naming the folder where classes are kept between restarts
CLASSES_ENV = "LANDSIM_APP_CLASSES"
#: a saved class is deleted this many days after its last change
KEEP_DAYS = 2
#: the saver writes a changed class at most once per this many seconds
SAVE_PAUSE = 1.0
#: the version of the saved document
FORMAT = 1
#: a class code as a folder name (anything else is never used as one)
_CODE = re.compile(r"[A-Z0-9]{3,10}")
_FILE = "class.json"


def classes_dir() -> Path | None:
    """Folder of saved classes (``$LANDSIM_APP_CLASSES``), or None when classes are not kept."""
    env = os.environ.get(CLASSES_ENV)
    return Path(env) if env else None


def digest(secret: str) -> str:
    """SHA-256 of ``secret`` (a teacher's key, a browser's session id), as hex: what is kept
    of it. The secrets are random tokens of 96 bits or more, so a plain hash is enough."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


class ClassStore:
    """The saved classes of one folder, and the thread that writes them."""

    def __init__(self, folder: Path) -> None:
        """Keep classes in ``folder`` (created, 0700, when the first class is saved)."""
        self.folder = folder
        self._pending: dict[str, Callable[[], dict[str, Any]]] = {}
        self._wake = threading.Condition(threading.Lock())
        # held while pending classes are taken and written: a flush waits for the saver's
        # write in progress, so what it leaves on disk is the latest state
        self._busy = threading.Lock()
        self._started = False
        atexit.register(self.flush)  # a server that stops writes what changed in its last second

    # ------------------------------------------------------------------ writing
    def changed(self, code: str, document: Callable[[], dict[str, Any]]) -> None:
        """Note that class ``code`` changed; ``document()`` gives its document to write (called
        on the saver thread, which writes it within :data:`SAVE_PAUSE` seconds)."""
        with self._wake:
            self._pending[code] = document
            if not self._started:
                # the low-level module: a threading.Thread started inside a page would carry
                # that page's session with it and keep it in memory for good
                _thread.start_new_thread(self._run, ())
                self._started = True
            self._wake.notify()

    def save_now(self, code: str, document: dict[str, Any]) -> None:
        """Write class ``code``'s document now (on this thread)."""
        import json

        if not _CODE.fullmatch(code):
            raise ValueError(f"not a class code: {code!r}")
        where = self.folder / code
        for d in (self.folder, where):
            d.mkdir(mode=0o700, exist_ok=True)
            os.chmod(d, 0o700)  # also a folder made earlier, or under another umask
        write_text_atomic(where / _FILE, json.dumps(document, ensure_ascii=False), mode=0o600)

    def flush(self) -> None:
        """Write every pending class now (tests, the server's exit; the saver does it within a
        second), after any write the saver has in progress."""
        with self._busy:
            with self._wake:
                pending, self._pending = self._pending, {}
            for code, document in pending.items():
                self._write(code, document)

    def _run(self) -> None:
        while True:
            with self._wake:
                self._wake.wait_for(lambda: bool(self._pending))
            self.flush()
            time.sleep(SAVE_PAUSE)  # changes meanwhile are written together

    def _write(self, code: str, document: Callable[[], dict[str, Any]]) -> None:
        try:
            self.save_now(code, document())
        except Exception as exc:  # noqa: BLE001 - a full disk must not stop the class
            LOG.warning("could not save class %s: %s", code, exc)

    # ------------------------------------------------------------------ reading
    def saved(self) -> list[str]:
        """Codes of the classes saved in the folder (old ones deleted first)."""
        self.purge()
        if not self.folder.is_dir():
            return []
        found = (d for d in self.folder.iterdir() if _CODE.fullmatch(d.name))
        return sorted(d.name for d in found if (d / _FILE).is_file())

    def read(self, code: str) -> dict[str, Any]:
        """The saved document of class ``code``.

        Raises:
            UserError: a file that is missing, not JSON, or not a class of this format.
        """
        if not _CODE.fullmatch(code):
            raise UserError(f"not a class code: {code!r}")
        path = self.folder / code / _FILE
        doc = read_json(path, "a saved class")
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise UserError(f"{path}: not a saved class of format {FORMAT}")
        return doc

    def delete(self, code: str) -> None:
        """Forget class ``code`` (its folder)."""
        if _CODE.fullmatch(code):
            with self._wake:
                self._pending.pop(code, None)
            shutil.rmtree(self.folder / code, ignore_errors=True)

    def purge(self, keep_days: float = KEEP_DAYS) -> list[str]:
        """Delete the classes not changed for ``keep_days`` days; returns their codes."""
        if not self.folder.is_dir():
            return []
        limit = time.time() - keep_days * 86400
        gone = []
        for d in self.folder.iterdir():
            if not _CODE.fullmatch(d.name) or not d.is_dir():
                continue
            try:
                old = (d / _FILE).stat().st_mtime < limit
            except OSError:
                old = True
            if old:
                shutil.rmtree(d, ignore_errors=True)
                gone.append(d.name)
        if gone:
            LOG.info("deleted %d saved classes older than %g days", len(gone), keep_days)
        return gone
