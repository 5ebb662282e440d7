"""TOML text as landsim reads and writes it: safely read, written in the subset scenario files
use, and searched for the line where a key is written.

Every TOML file landsim reads (scenario, experiment, calibration, decomposition and patterns
files) goes through :func:`read_toml` (or its two parts, :func:`read_text_file` and
:func:`parse_toml`): only regular files are read (never a pipe or a
device), at most :data:`MAX_BYTES` of them, as UTF-8 text, with tables and arrays nested at most
:data:`MAX_DEPTH` deep; a message quotes a file only through :func:`safe_text` (control
characters escaped). :func:`to_toml` writes the subset of TOML scenario files hold;
:func:`find_line` finds, in a file's text, the line of a key that a message names.

Parts: :class:`ScenarioError`, :func:`safe_text`, :func:`read_text_file`, :func:`read_toml`,
:func:`parse_toml`, :func:`toml_data`, :func:`nesting_depth`, :func:`syntax_message`,
:func:`find_line`, :func:`to_toml`, :func:`toml_value`, :func:`show_value`, and the limits
:data:`MAX_BYTES`, :data:`MAX_DEPTH`, :data:`TOO_DEEP`.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
import tomllib
from pathlib import Path
from typing import Any

from landsim.errors import UserError

__all__ = [
    "ScenarioError",
    "safe_text",
    "read_text_file",
    "read_toml",
    "parse_toml",
    "toml_data",
    "nesting_depth",
    "syntax_message",
    "find_line",
    "to_toml",
    "toml_value",
    "show_value",
    "MAX_BYTES",
    "MAX_DEPTH",
    "TOO_DEEP",
]

#: the largest scenario file read (bytes); the bundled ones are about 5 kB
MAX_BYTES = 1_000_000
#: the deepest nesting of tables and arrays accepted (scenario files use 3)
MAX_DEPTH = 20
#: why a file nested too deeply is refused
TOO_DEEP = f"tables or arrays nested too deeply (more than {MAX_DEPTH} levels)"


class ScenarioError(UserError):
    """A scenario file that cannot be used.

    The message lists each problem on its own line as ``FILE:LINE: KEY = VALUE: RULE``.
    """


def safe_text(text: str, limit: int | None = None) -> str:
    """``text`` with control and other unprintable characters escaped, safe for a terminal.

    Cut to ``limit`` characters (ending in ``...``) when given.
    """
    if limit is not None and len(text) > limit:
        text = text[: max(limit - 3, 0)] + "..."
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def read_text_file(
    path: Path,
    shown: str | None = None,
    kind: str = "scenario file",
    error: type[UserError] = ScenarioError,
) -> str:
    """The UTF-8 text of a regular file of at most :data:`MAX_BYTES` (a TOML file).

    Args:
        path: the file.
        shown: how messages name it (default: ``path``, control characters escaped).
        kind: what the file is, for messages (``"scenario file"``, ``"patterns file"`` ...).
        error: the exception raised.

    Raises:
        error: one line naming the file (``shown``) and what is wrong.
    """
    shown = safe_text(str(path)) if shown is None else shown
    raw = _read_regular(path, shown, kind, error)
    bad = raw.find(b"\x00")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        bad = err.start if bad < 0 else min(bad, err.start)
    if bad >= 0:
        raise error(
            f"{shown}: not a text file (byte 0x{raw[bad]:02x} at offset {bad} is not UTF-8 "
            f"text); a {kind} is TOML text"
        )
    return text


def _read_regular(path: Path, shown: str, kind: str, error: type[UserError]) -> bytes:
    """The bytes of a regular file of at most :data:`MAX_BYTES`; never waits on a pipe."""
    try:
        # O_NONBLOCK (POSIX): opening a FIFO must not wait for a writer; Windows has no FIFOs
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise error(f"{shown}: no such {kind}") from None
    except IsADirectoryError:
        raise error(f"{shown}: is a directory, not a {kind}") from None
    except (OSError, ValueError) as err:
        why = getattr(err, "strerror", None) or "not a usable file name"
        raise error(f"{shown}: cannot be read ({why})") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise error(f"{shown}: is a directory, not a {kind}")
        if not stat.S_ISREG(info.st_mode):
            raise error(
                f"{shown}: not a regular file (a pipe, socket or device); a {kind} is a file"
            )
        if info.st_size > MAX_BYTES:
            raise error(
                f"{shown}: too large ({info.st_size:,} bytes); a {kind} is at most "
                f"{MAX_BYTES:,} bytes"
            )
        with os.fdopen(fd, "rb", closefd=False) as fh:
            raw = fh.read(MAX_BYTES + 1)
    except OSError as err:
        raise error(f"{shown}: cannot be read ({err.strerror})") from None
    finally:
        os.close(fd)
    if len(raw) > MAX_BYTES:  # grew while being read
        raise error(f"{shown}: too large; a {kind} is at most {MAX_BYTES:,} bytes")
    return raw


def read_toml(
    path: Path, shown: str, kind: str, error: type[UserError] = ScenarioError
) -> tuple[str, dict[str, Any]]:
    """The text and the tables of the TOML file at ``path``: read by :func:`read_text_file`,
    parsed by :func:`parse_toml` (every TOML file landsim loads comes through here or those
    two).

    Raises:
        error: one line naming the file (``shown``) and what is wrong.
    """
    text = read_text_file(path, shown, kind, error)
    return text, parse_toml(text, shown, error)


def parse_toml(text: str, shown: str, error: type[UserError] = ScenarioError) -> dict[str, Any]:
    """The tables of TOML ``text`` from the file named ``shown``.

    Raises:
        error: ``FILE:LINE: TOML syntax error: WHAT (column C): 'the line'`` for a syntax
            error (:func:`syntax_message`), or tables nested deeper than :data:`MAX_DEPTH`.
    """
    try:
        data = toml_data(text)
    except tomllib.TOMLDecodeError as err:
        raise error(syntax_message(shown, text, str(err))) from None
    if data is None:
        raise error(f"{shown}: {TOO_DEEP}")
    return data


def toml_data(text: str) -> dict[str, Any] | None:
    """``tomllib.loads(text)``, or ``None`` when its tables or arrays nest deeper than
    :data:`MAX_DEPTH` (every TOML loader of landsim reads files through this).

    Raises:
        tomllib.TOMLDecodeError: a syntax error.
    """
    try:
        data = tomllib.loads(text)
    except RecursionError:  # tomllib recurses once per level of nesting
        return None
    return None if nesting_depth(data) > MAX_DEPTH else data


def nesting_depth(value: Any) -> int:
    """How deeply tables and arrays nest in ``value`` (without recursion)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            items = item.values()
        elif isinstance(item, list):
            items = item
        else:
            continue
        deepest = max(deepest, level + 1)
        if deepest > MAX_DEPTH:
            return deepest
        stack.extend((v, level + 1) for v in items)
    return deepest


def syntax_message(shown: str, text: str, msg: str) -> str:
    """``FILE:LINE: TOML syntax error: WHAT (column C): "the line"``."""
    m = re.search(r"\(at line (\d+), column (\d+)\)", msg)
    if not m:
        what = re.sub(r"\s*\(at end of document\)", "", msg)
        return f"{shown}: TOML syntax error: {what} (at the end of the file)"
    line, col = int(m.group(1)), int(m.group(2))
    what = msg[: m.start()].rstrip()
    lines = text.splitlines()
    src = lines[line - 1].strip() if 0 < line <= len(lines) else ""
    shown_src = f": '{safe_text(src, 40)}'" if src else ""
    return f"{shown}:{line}: TOML syntax error: {what} (column {col}){shown_src}"


_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")


def _key_pattern(name: str) -> re.Pattern[str]:
    q = re.escape(name)
    return re.compile(rf"""^\s*(?:{q}|"{q}"|'{q}')\s*=""")


def find_line(text: str, where: tuple[Any, ...]) -> int | None:
    """The line (1-based) where the key at ``where`` is written, searched in the raw text."""
    lines = text.splitlines()
    headers: list[tuple[int, str, bool]] = []  # (line index, table name, is array)
    for i, line in enumerate(lines):
        m = _HEADER.match(line)
        if m:
            headers.append((i, m.group(2).replace(" ", "").replace('"', ""), m.group(1) == "[["))

    def block(start: int) -> range:
        later = [h for h, _, _ in headers if h > start]
        return range(start + 1, later[0] if later else len(lines))

    first_header = headers[0][0] if headers else len(lines)
    top = range(0, first_header)
    head = str(where[0])

    if head == "timeline" and len(where) >= 2 and isinstance(where[1], int):
        entries = [h for h, name, arr in headers if arr and name == "timeline"]
        if where[1] >= len(entries):
            return _first(lines, top, re.compile(r"^\s*timeline\s*="))
        start = entries[where[1]]
        if len(where) == 2:
            return start + 1
        span = block(start)
        if len(where) >= 4:  # a key inside set = {...}
            quoted = re.compile(rf"""["']{re.escape(str(where[3]))}["']\s*=""")
            found = _first(lines, span, quoted)
            if found:
                return found
        return _first(lines, span, _key_pattern(str(where[2]))) or start + 1

    if len(where) == 1:
        found = _first(lines, top, _key_pattern(head))
        if found:
            return found
        tables = [h for h, name, _ in headers if name == head]
        return tables[0] + 1 if tables else None

    name = str(where[1])
    for h, table, _ in headers:
        if table == head:
            found = _first(lines, block(h), _key_pattern(name))
            if found:
                return found
    dotted = re.compile(rf"^\s*{re.escape(head)}\s*\.\s*{re.escape(name)}\s*=")
    inline = re.compile(rf"^\s*{re.escape(head)}\s*=\s*\{{.*\b{re.escape(name)}\b")
    anywhere = re.compile(rf"(^|[\s{{,.]){re.escape(name)}\s*=")
    for pattern in (dotted, inline, anywhere):
        found = _first(lines, range(len(lines)), pattern)
        if found:
            return found
    tables = [h for h, table, _ in headers if table == head]
    return tables[0] + 1 if tables else None


def _first(lines: list[str], span: range, pattern: re.Pattern[str]) -> int | None:
    for i in span:
        if pattern.search(lines[i]):
            return i + 1
    return None


def to_toml(data: dict[str, Any]) -> str:
    """Write ``data`` as TOML.

    Top-level values come first, then one ``[table]`` per dict and one ``[[table]]`` per item
    of a list of dicts; anything deeper is written inline. Supports what scenario files hold:
    strings, booleans, integers, floats, lists and tables.
    """
    out: list[str] = []
    tables: list[tuple[str, Any]] = []
    for key, value in data.items():
        if isinstance(value, dict) or (
            isinstance(value, list) and value and all(isinstance(v, dict) for v in value)
        ):
            tables.append((key, value))
        else:
            out.append(f"{_toml_key(key)} = {toml_value(value)}")
    for key, value in tables:
        items = [value] if isinstance(value, dict) else value
        header = f"[{_toml_key(key)}]" if isinstance(value, dict) else f"[[{_toml_key(key)}]]"
        for item in items:
            if out:
                out.append("")
            out.append(header)
            out.extend(f"{_toml_key(k)} = {toml_value(v)}" for k, v in item.items())
    return "\n".join(out) + "\n"


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else _toml_string(key)


def _toml_string(s: str) -> str:
    return json.dumps(s, ensure_ascii=False).replace("\x7f", "\\u007f")


def toml_value(value: Any) -> str:
    """``value`` as a TOML value (inline tables and arrays for nested data)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, dict):
        inner = ", ".join(f"{_toml_key(k)} = {toml_value(v)}" for k, v in value.items())
        return f"{{ {inner} }}" if inner else "{}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def show_value(value: Any) -> str:
    """A value as it would be written in the file, cut short if long."""
    try:
        text = toml_value(value)
    except (TypeError, RecursionError):
        text = "..." if isinstance(value, (list, dict)) else repr(value)
    return safe_text(text, 60)
