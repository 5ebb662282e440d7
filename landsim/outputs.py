"""Where a command writes: checked before any work starts, never over earlier results.

Every command that writes calls one of two functions before it runs anything:

* :func:`prepare_dir` — an output folder (``compare``, ``run``, ``sweep``, ``analyze``, ``init``);
* :func:`prepare_file` — an output file (``bench --out FILE``).

Both turn every problem with the path into one :class:`OutputError` line naming the option, the
path and the reason — it exists and is a file, a parent is a file, it is a dangling symbolic
link, it lies inside the installed landsim package or its bundled ``scenarios``/``experiments``
folders, no permission, a read-only file system, the disk is full — so the command exits with
status 2 before minutes of work are lost. And both keep earlier results: a path the user chose
(``--out``) that already holds results is refused with a hint (``--force`` replaces them); a
default path that holds results is left alone and the next free name (``results/compare-2``) is
used instead, and the command says so.

A folder "holds results" when it has any entry whose name does not start with a dot (lock files
and temporary files are hidden, and do not count).
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import shutil
from pathlib import Path

from landsim import bundled
from landsim.errors import UserError
from landsim.files import create_new, describe_link

__all__ = ["OutputError", "prepare_dir", "prepare_file", "check_writable", "holds_results"]

#: free space every command needs at least, beyond its own estimate (bytes)
MIN_FREE = 16 * 2**20

_REASONS = {
    errno.EACCES: "no permission to write there",
    errno.EPERM: "no permission to write there",
    errno.EROFS: "the file system is read-only",
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.ENAMETOOLONG: "the name is too long",
}


class OutputError(UserError):
    """An output path that cannot be used; one line naming option, path and reason."""


def _reason(err: OSError) -> str:
    return _REASONS.get(err.errno or 0, err.strerror or str(err))


def holds_results(folder: Path) -> bool:
    """True when ``folder`` has any entry not starting with a dot."""
    try:
        return any(not p.name.startswith(".") for p in folder.iterdir())
    except OSError:
        return False


def _protected() -> list[tuple[Path, str]]:
    """Folders no command writes into: the installed package and its bundled files."""
    package = Path(__file__).resolve().parent
    return [
        (package, "installed package"),
        (bundled.bundled_dir("scenarios").resolve(), "bundled scenarios folder"),
        (bundled.bundled_dir("experiments").resolve(), "bundled experiments folder"),
    ]


def _check_place(path: Path, option: str) -> None:
    """Refuse a dangling symbolic link (at ``path`` or above it), a loop of links, and a place
    inside the installed package or its bundled folders."""
    for part in (path, *path.parents):
        link = describe_link(part)
        if link and not part.exists():
            where = "" if part == path else f"{part} "
            raise OutputError(
                f"{option} {path}: {where}is {link}; remove it or choose another {option}"
            )
    try:
        target = path.resolve()
    except (OSError, RuntimeError):  # Python 3.12 raises RuntimeError for a loop of links
        raise OutputError(
            f"{option} {path}: cannot be followed (a loop of symbolic links?); choose another "
            f"{option}"
        ) from None
    for root, what in _protected():
        if target == root or root in target.parents:
            raise OutputError(
                f"{option} {path}: is inside landsim's {what} ({root}); results never go "
                f"there: choose another {option}, such as results/NAME"
            )


def _existing_ancestor(path: Path, option: str) -> Path:
    """The nearest part of ``path`` that exists; it must be a folder."""
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise OutputError(f"{option} {path}: {parent} is a file, not a folder")
            return parent
    return Path(".")


def check_writable(folder: Path, option: str, shown: Path, need_bytes: int = 0) -> None:
    """Write and remove a small file in ``folder``; check there is room for ``need_bytes``.

    Raises:
        OutputError: the folder cannot be written, or the disk has too little free space.
    """
    probe = folder / f".landsim-probe-{secrets.token_hex(8)}"
    created = False
    try:
        with os.fdopen(create_new(probe), "wb") as f:  # a new file: never through a link
            created = True
            f.write(b"landsim")
            f.flush()
            os.fsync(f.fileno())
    except OSError as err:
        raise OutputError(f"{option} {shown}: cannot write in {folder} ({_reason(err)})") from None
    finally:
        if created:
            with contextlib.suppress(OSError):
                probe.unlink()
    free = shutil.disk_usage(folder).free
    need = MIN_FREE + max(need_bytes, 0)
    if free < need:
        raise OutputError(
            f"{option} {shown}: the disk is full ({free / 2**20:.0f} MB free in {folder}, "
            f"need about {need / 2**20:.0f} MB)"
        )


def _numbered(path: Path, taken) -> Path:
    """``path`` itself, or ``path-2``, ``path-3`` ... (before the suffix for files)."""
    n = 2
    candidate = path
    while taken(candidate):
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
        n += 1
    return candidate


def prepare_dir(
    path: str | os.PathLike[str],
    *,
    option: str = "--out",
    default: bool = False,
    force: bool = False,
    allow_existing: bool = False,
    need_bytes: int = 0,
    note=None,
    hint: str = "add --force to replace them",
) -> Path:
    """Create the output folder ``path`` after checking it; return the folder to use.

    Args:
        path: the folder asked for.
        option: how the user names it in messages (``--out``).
        default: ``path`` is the command's default, not the user's choice; if it holds
            results, the next free name (``path-2``, ...) is used and ``note`` is told.
        force: replace earlier results in ``path`` (the files the command writes).
        allow_existing: earlier results are expected (``sweep --resume``).
        need_bytes: the command's estimate of what it will write.
        note: called with one line when another folder than ``path`` is used
            (default: print it to stderr).
        hint: how to go on when an explicit ``path`` holds results.

    Raises:
        OutputError: the folder cannot be used, or holds results and neither ``force`` nor
            ``allow_existing`` is given.
    """
    asked = Path(path)
    out = asked
    _check_place(asked, option)
    if out.exists() and not out.is_dir():
        raise OutputError(f"{option} {asked}: exists and is a file, not a folder")
    if out.is_dir() and holds_results(out) and not (force or allow_existing):
        if not default:
            raise OutputError(
                f"{option} {asked}: already holds results; choose another {option}, or {hint}"
            )
        out = _numbered(asked, lambda p: p.exists() and (not p.is_dir() or holds_results(p)))
        _say(note, f"note: {asked} holds earlier results; writing to {out} instead")
    base = out if out.is_dir() else _existing_ancestor(out, option)
    if not out.is_dir():
        # the permission check comes first: mkdir's own message would name a parent only
        check_writable(base, option, asked, need_bytes)
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise OutputError(
                f"{option} {asked}: cannot create the folder ({_reason(err)})"
            ) from None
    check_writable(out, option, asked, need_bytes)
    return out


def prepare_file(
    path: str | os.PathLike[str],
    *,
    option: str = "--out",
    default: bool = False,
    force: bool = False,
    need_bytes: int = 0,
    note=None,
) -> Path:
    """Check that the file ``path`` can be written (creating its folder); return the file to use.

    The same rules as :func:`prepare_dir`: an existing file is refused unless ``force``, or,
    for a default path, the next free name (``bench-2.json``) is used.

    Raises:
        OutputError: the file cannot be written, or exists and ``force`` is not given.
    """
    asked = Path(path)
    out = asked
    _check_place(asked, option)
    if out.is_dir():
        raise OutputError(f"{option} {asked}: is a folder; give a file name")
    if out.exists() and not force:
        if not default:
            raise OutputError(
                f"{option} {asked}: already exists; choose another {option}, or add --force "
                "to replace it"
            )
        out = _numbered(asked, Path.exists)
        _say(note, f"note: {asked} holds earlier results; writing to {out} instead")
    folder = out.parent
    if not folder.is_dir():
        base = _existing_ancestor(out, option)
        check_writable(base, option, asked, need_bytes)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise OutputError(
                f"{option} {asked}: cannot create {folder} ({_reason(err)})"
            ) from None
    check_writable(folder, option, asked, need_bytes)
    return out


def _say(note, line: str) -> None:
    if note is not None:
        note(line)
        return
    import sys

    print(line, file=sys.stderr, flush=True)
