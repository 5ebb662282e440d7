"""Files landsim writes stay where the user said: never through a symbolic link, never half.

Every file a command writes — results, provenance, checkpoints, the folder lock's holder record,
probes of a folder — goes through this module:

* :func:`create_new` — a new file, created with ``O_CREAT | O_EXCL | O_NOFOLLOW``: whatever is
  already at that name (a file, or a symbolic link planted to point elsewhere, even a dangling
  one) makes it fail, so it never writes into another file;
* :func:`atomic_path` — a fresh temporary path beside the target (hidden, unpredictable name,
  created by :func:`create_new`), renamed onto the target when the block succeeds; for writers
  that take a path (pandas, pyarrow, matplotlib);
* :func:`atomic_write` — the same with an open binary file (``numpy.savez``, raw bytes);
* :func:`write_text_atomic` — a whole text file at once;
* :func:`read_json` — a small JSON file landsim wrote (provenance, settings), every problem one
  :class:`~landsim.errors.UserError` line naming the file.

The rename (``os.replace``) replaces a symbolic link at the target's name by the new file; the
file the link pointed to is never opened. A temporary file is left only by a process killed
while writing (hidden, ``.NAME.XXXXXXXX.tmp``; the sweep store deletes such files on resume).
"""

from __future__ import annotations

import errno
import json
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from landsim.errors import UserError

__all__ = [
    "UnsafePath",
    "create_new",
    "atomic_path",
    "atomic_write",
    "write_text_atomic",
    "read_json",
    "describe_link",
    "MAX_JSON_BYTES",
]

#: the largest JSON file :func:`read_json` reads (a sweep's provenance.json is a few hundred kB)
MAX_JSON_BYTES = 64 * 2**20

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)  # not on Windows, where O_EXCL alone refuses links
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC | getattr(os, "O_BINARY", 0)


class UnsafePath(UserError):
    """A file landsim was to write is already there (or is a symbolic link): nothing written."""


def describe_link(path: Path) -> str | None:
    """``"a symbolic link to TARGET"`` (saying so when it is dangling or loops), or ``None``
    when ``path`` is not a symbolic link."""
    if not os.path.islink(path):
        return None
    try:
        target = os.readlink(path)
    except OSError:
        target = "?"
    try:
        os.stat(path)
        broken = ""
    except OSError as err:
        broken = ", which does not exist (a dangling link)"
        if err.errno == errno.ELOOP:
            broken = ", which leads back to itself (a loop of symbolic links)"
    return f"a symbolic link to {target}{broken}"


def create_new(path: str | os.PathLike[str], mode: int = 0o644) -> int:
    """A write-only file descriptor of a file created at ``path``; never an existing file.

    Raises:
        UnsafePath: something is already at ``path`` (a symbolic link is named as one).
        OSError: the folder cannot be written (no permission, a full disk, ...).
    """
    path = Path(path)
    try:
        return os.open(path, _FLAGS, mode)
    except FileExistsError:
        link = describe_link(path)
        what = f"is {link}" if link else "already exists"
        raise UnsafePath(
            f"{path}: {what}; landsim writes only new files of its own there and never "
            "through a link: remove it and try again"
        ) from None
    except OSError as err:
        if err.errno == errno.ELOOP:  # O_NOFOLLOW on a link (systems without O_EXCL priority)
            raise UnsafePath(
                f"{path}: is a symbolic link; landsim never writes through a link: remove it"
            ) from None
        raise


def _temporary(path: Path, keep_suffix: bool = False) -> Path:
    """A hidden, unpredictable name beside ``path`` (ends in ``.tmp``, or in ``path``'s own
    suffix with ``keep_suffix``: GDAL picks a format by it)."""
    if keep_suffix:
        return path.with_name(f".{path.stem}.{secrets.token_hex(8)}.tmp{path.suffix}")
    return path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")


@contextmanager
def atomic_path(path: str | os.PathLike[str], keep_suffix: bool = False) -> Iterator[Path]:
    """Yield a new temporary file's path beside ``path``, renamed to ``path`` when the block
    succeeds; on failure it is removed, so readers never see a half-written file.

    The temporary file exists (empty, created by :func:`create_new`) when the block starts:
    a writer that opens it by name writes into landsim's own new file. With ``keep_suffix``
    its name ends in ``path``'s suffix (``.gpkg``), as GDAL's drivers want.
    """
    path = Path(path)
    tmp = _temporary(path, keep_suffix)
    os.close(create_new(tmp))
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


@contextmanager
def atomic_write(path: str | os.PathLike[str], mode: int = 0o644) -> Iterator[IO[bytes]]:
    """Yield a new temporary file beside ``path``, open for binary writing; it is flushed to
    disk and renamed to ``path`` when the block succeeds, removed when it fails. ``mode``:
    the file's permissions (0o600: readable by this user only), before the umask."""
    path = Path(path)
    tmp = _temporary(path)
    fh = os.fdopen(create_new(tmp, mode), "wb")
    try:
        with fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_text_atomic(path: str | os.PathLike[str], text: str, mode: int = 0o644) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically, with permissions ``mode`` (see
    :func:`atomic_write`)."""
    with atomic_write(path, mode) as fh:
        fh.write(text.encode("utf-8"))


def read_json(path: str | os.PathLike[str], what: str) -> Any:
    """The data of the JSON file ``path`` (``what`` it should be, for messages).

    Raises:
        UserError: one line naming the file: missing, unreadable, too large, not JSON, or
            nested too deeply for Python's parser.
    """
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_JSON_BYTES + 1)
    except OSError as err:
        raise UserError(f"{path}: cannot read {what} ({err.strerror})") from None
    if len(raw) > MAX_JSON_BYTES:
        raise UserError(f"{path}: not {what} (larger than {MAX_JSON_BYTES // 2**20} MB)")
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise UserError(f"{path}: not {what} (not UTF-8 text)") from None
    except RecursionError:
        raise UserError(f"{path}: not {what} (JSON nested too deeply)") from None
    except ValueError as err:
        raise UserError(f"{path}: not {what} (not valid JSON: {err})") from None
