"""One writer per results folder: a lock, and a record that names its holder.

Every command that writes a results folder (``sweep``, ``compare``, and ``validate`` and
``calibrate`` when they write one) holds :func:`folder_lock` on it while it writes::

    with folder_lock(out, "sweep"):
        ...

The lock is ``DIR/.landsim.lock``, taken with `filelock <https://py-filelock.readthedocs.io>`_
(``flock(2)`` on Unix, ``LockFileEx`` on Windows); beside it, ``DIR/.landsim.lock.json`` records
the holder's pid, host, command and start time (both hidden, so Parquet readers skip them):

* a second writer is refused at once with a :class:`FolderLocked` error naming the holder;
* the operating system releases the lock when its holder dies, however it dies (``kill -9``
  too), so a record left behind by a dead process is *stale*: the next writer takes the lock
  over and says so on stderr, naming the dead holder;
* both files are removed when the holder finishes, and so is the folder if the lock created it
  and nothing was written into it;
* neither is written through a symbolic link: a link at the lock's name is refused in one line
  naming it (filelock itself opens the lock with ``O_NOFOLLOW``), and the record is a new file
  renamed into place (:mod:`landsim.files`).

The lock is advisory and local: two writers on different machines sharing a folder over NFS
are only kept apart where the NFS server supports locks.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import socket
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from landsim.errors import UserError
from landsim.files import describe_link, read_json, write_text_atomic

__all__ = ["LOCK_NAME", "HOLDER_NAME", "FolderLocked", "folder_lock", "read_holder"]

#: the lock file's name inside the folder it guards
LOCK_NAME = ".landsim.lock"
#: the record of who holds the lock, beside it
HOLDER_NAME = ".landsim.lock.json"


class FolderLocked(UserError):
    """Another live process is writing the folder."""


def read_holder(folder: str | os.PathLike[str]) -> dict[str, Any] | None:
    """What the record beside the lock of ``folder`` says about its (last) holder, or ``None``."""
    try:
        data = read_json(Path(folder) / HOLDER_NAME, "a lock record")
    except UserError:
        return None
    return data if isinstance(data, dict) else None


def _describe(holder: dict[str, Any] | None) -> str:
    if not holder:
        return "another process"

    def field(key: str, default: str) -> str:  # a record is a file: keep it one short line
        text = str(holder.get(key, default))[:80]
        return "".join(c if c.isprintable() else "?" for c in text)

    return (
        f"{field('command', 'landsim')} (pid {field('pid', '?')} on "
        f"{field('host', '?')}, since {field('started', '?')})"
    )


@contextmanager
def folder_lock(folder: str | os.PathLike[str], command: str) -> Iterator[Path]:
    """Hold the write lock of ``folder`` (created if missing) for the ``with`` block.

    Yields:
        The lock file's path.

    Raises:
        FolderLocked: a live process holds the lock; the message names it.
        UserError: the folder cannot be created, the lock cannot be taken, or a symbolic link
            stands at the lock's name.
    """
    folder = Path(folder)
    created = not folder.exists()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UserError(f"{folder}: cannot create the folder ({err.strerror})") from None
    path = folder / LOCK_NAME
    lock = _acquire(path, folder)
    record = folder / HOLDER_NAME
    try:
        previous = read_holder(folder)
        if previous:
            print(
                f"landsim: {folder}: took over a stale lock from "
                f"{_describe(previous)}, which is no longer running",
                file=sys.stderr,
            )
        me = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "command": command,
            "started": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        write_text_atomic(record, json.dumps(me) + "\n")
        yield path
    finally:
        # remove both while still holding the lock: a waiter that opened the old lock file
        # finds it gone (see _acquire) and starts again on a fresh one
        record.unlink(missing_ok=True)
        try:
            path.unlink(missing_ok=True)
            removed = True
        except OSError:  # Windows: a locked file cannot be removed; do it after the release
            removed = False
        lock.release()
        if not removed:
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)
        if created:  # a command that failed before writing anything leaves no empty folder
            with contextlib.suppress(OSError):
                folder.rmdir()


def _acquire(path: Path, folder: Path) -> FileLock:
    """The lock on ``path``, held; :class:`FolderLocked` when a live process holds it."""
    link = describe_link(path)
    if link:
        raise UserError(
            f"{path}: is {link}; landsim never writes through a link: remove it and try again"
        )
    for _ in range(100):
        lock = FileLock(path, timeout=0)
        try:
            lock.acquire()
        except Timeout:
            if not path.exists():  # the holder removed it as we locked it: try a new one
                continue
            raise FolderLocked(
                f"{folder}: another landsim command is writing this folder: "
                f"{_describe(_wait_for_holder(folder))}; wait for it to finish, or choose "
                "another --out"
            ) from None
        except OSError as err:
            if err.errno == errno.ELOOP:  # a link planted after the check above
                raise UserError(
                    f"{path}: is a symbolic link; landsim never writes through a link: remove it"
                ) from None
            raise UserError(f"{folder}: cannot lock {LOCK_NAME} ({err.strerror})") from None
        return lock
    raise FolderLocked(f"{folder}: other landsim commands keep taking this folder; try again")


def _wait_for_holder(folder: Path) -> dict[str, Any] | None:
    """The holder's record; the holder locks, then writes it: give it a moment."""
    holder = read_holder(folder)
    for _ in range(50):
        if holder:
            break
        time.sleep(0.01)
        holder = read_holder(folder)
    return holder
