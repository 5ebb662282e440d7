"""One writer per results folder: a lock file that names its holder.

Every command that writes a results folder (``sweep``, ``compare``, and ``validate`` and
``calibrate`` when they write one) holds :func:`folder_lock` on it while it writes::

    with folder_lock(out, "sweep"):
        ...

The lock is ``DIR/.landsim.lock`` (hidden, so Parquet readers skip it), locked with
``flock(2)`` and holding the holder's pid, host, command and start time as JSON:

* a second writer is refused at once with a :class:`FolderLocked` error naming the holder;
* the kernel releases ``flock`` when its holder dies, however it dies (``kill -9`` too), so a
  lock left behind by a dead process is *stale*: the next writer takes it over and says so on
  stderr, naming the dead holder;
* the file is removed when the holder finishes, and so is the folder if the lock created it
  and nothing was written into it.

``flock`` is advisory and local: two writers on different machines sharing a folder over NFS
are only kept apart where the NFS server supports locks.
"""

from __future__ import annotations

import contextlib
import fcntl
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

from landsim.errors import UserError

__all__ = ["LOCK_NAME", "FolderLocked", "folder_lock", "read_holder"]

#: the lock file's name inside the folder it guards
LOCK_NAME = ".landsim.lock"


class FolderLocked(UserError):
    """Another live process is writing the folder."""


def read_holder(folder: str | os.PathLike[str]) -> dict[str, Any] | None:
    """What the lock file of ``folder`` says about its (last) holder, or ``None``."""
    try:
        text = (Path(folder) / LOCK_NAME).read_text(encoding="utf-8")
        data = json.loads(text)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _describe(holder: dict[str, Any] | None) -> str:
    if not holder:
        return "another process"
    return (
        f"{holder.get('command', 'landsim')} (pid {holder.get('pid', '?')} on "
        f"{holder.get('host', '?')}, since {holder.get('started', '?')})"
    )


@contextmanager
def folder_lock(folder: str | os.PathLike[str], command: str) -> Iterator[Path]:
    """Hold the write lock of ``folder`` (created if missing) for the ``with`` block.

    Yields:
        The lock file's path.

    Raises:
        FolderLocked: a live process holds the lock; the message names it.
        UserError: the folder cannot be created or the lock file cannot be written.
    """
    folder = Path(folder)
    created = not folder.exists()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UserError(f"{folder}: cannot create the folder ({err.strerror})") from None
    path = folder / LOCK_NAME
    fd = _acquire(path, folder)
    try:
        previous = _read_fd(fd)
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
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(me) + "\n").encode(), 0)
        os.fsync(fd)
        yield path
    finally:
        # unlink while still holding the lock: a waiter that opened the old file sees that it
        # is gone (see _acquire) and starts again on a fresh one
        try:
            path.unlink(missing_ok=True)
            if created:  # a command that failed before writing anything leaves no empty folder
                with contextlib.suppress(OSError):
                    folder.rmdir()
        finally:
            os.close(fd)


def _acquire(path: Path, folder: Path) -> int:
    """An fd of ``path`` holding an exclusive ``flock``; the file still has that name."""
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as err:
            raise UserError(
                f"{folder}: cannot create the lock file {LOCK_NAME} ({err.strerror})"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_fd(fd)
            for _ in range(50):  # the holder locks, then writes its name: give it a moment
                if holder:
                    break
                time.sleep(0.01)
                holder = _read_fd(fd)
            os.close(fd)
            raise FolderLocked(
                f"{folder}: another landsim command is writing this folder: "
                f"{_describe(holder)}; wait for it to finish, or choose another --out"
            ) from None
        except OSError as err:
            os.close(fd)
            raise UserError(f"{folder}: cannot lock {LOCK_NAME} ({err.strerror})") from None
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)  # the holder removed it as we locked it: try again on the new file


def _read_fd(fd: int) -> dict[str, Any] | None:
    try:
        raw = os.pread(fd, 4096, 0)
        data = json.loads(raw.decode("utf-8")) if raw.strip() else None
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
