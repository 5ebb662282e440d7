"""A zip archive of NumPy ``.npy`` arrays and one JSON document, written and read safely.

:func:`write` stores each array as a ``.npy`` member with its dtype and shape in the member's
zip comment, and a manifest (format, version and the sizes of every dimension) in the
archive's comment; both sit in the zip's central directory, uncompressed. A :class:`Reader`
trusts nothing in the file and decompresses nothing until it has checked, from the central
directory alone, that the directory is small, that the manifest names the expected format and
version, and that every member has an expected name, a declared dtype and shape
(:class:`landsim.columns.Column`) and exactly that array's size, and that the whole does not
expand like a zip bomb. It then reads the document (size-limited) and each array (its header
checked again, never more bytes than listed) and checks every value against its declared
range. Every problem — damaged bytes included (zlib, CRC, header errors) — is an
:class:`CheckpointError` of one line naming the file. Nothing is ever unpickled.

Parts: :func:`write`, :class:`Reader`, :class:`CheckpointError` and the limits
(:data:`MAX_JSON_BYTES`, :data:`MAX_DIRECTORY_BYTES`, :data:`MAX_TEXT`, :data:`LARGE_BYTES`,
:data:`MAX_RATIO`). :mod:`landsim.checkpoint` stores the model in such an archive.
"""

from __future__ import annotations

import io
import json
import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from landsim.columns import Column, Sizes, value_problem
from landsim.errors import UserError

__all__ = [
    "CheckpointError",
    "Reader",
    "write",
    "MAX_JSON_BYTES",
    "MAX_DIRECTORY_BYTES",
    "MAX_TEXT",
    "LARGE_BYTES",
    "MAX_RATIO",
]

#: a document larger than this is refused before it is read (bytes)
MAX_JSON_BYTES = 4 * 2**20
#: a zip central directory larger than this is refused before it is read (bytes)
MAX_DIRECTORY_BYTES = 2**18
#: a text entry longer than this is refused (characters)
MAX_TEXT = 1000
#: an archive that expands to more than this (bytes) must not expand more than
#: :data:`MAX_RATIO` times its size on disk: real checkpoints shrink about 2-20 times
LARGE_BYTES = 32 * 2**20
MAX_RATIO = 50


class CheckpointError(UserError):
    """A checkpoint cannot be written or read; the message names the file and the reason."""


def _fail(path: Path, why: str) -> CheckpointError:
    return CheckpointError(f"{path}: {why}")


#: what reading a damaged zip can raise (a flipped byte in a header, compressed data or a CRC)
ZIP_ERRORS = (
    zlib.error,
    zipfile.BadZipFile,
    EOFError,
    OSError,
    ValueError,
    NotImplementedError,
    struct.error,
    SyntaxError,  # numpy reads a .npy header with ast.literal_eval
    TypeError,
    KeyError,
)


#: zlib's level for the arrays: the fastest (1). A checkpoint is written after every step of
#: the app's runs and every year of a checkpointed run; at level 1 the default town's takes
#: 16 ms instead of the default level's (6) 25 ms, for 122 KB instead of 115 KB
COMPRESS_LEVEL = 1
#: the member's attribute for its level: ``compress_level`` from Python 3.13, before it private
_LEVEL = "compress_level" if hasattr(zipfile.ZipInfo, "compress_level") else "_compresslevel"


def _header_bytes(dtype: np.dtype, shape: tuple[int, ...]) -> int:
    """Bytes of the ``.npy`` header NumPy writes for an array of ``dtype`` and ``shape``."""
    buf = io.BytesIO()
    header = {"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": False}
    np.lib.format.write_array_header_1_0(buf, {**header, "shape": shape})
    return buf.tell()


def write(
    fh: Any,
    arrays: dict[str, np.ndarray],
    doc_name: str,
    doc: str,
    manifest: dict[str, Any],
) -> None:
    """Write the archive to the open binary file ``fh``: the document ``doc`` (JSON text) as
    ``doc_name``, each array as ``NAME.npy`` with its dtype and shape in its member's comment,
    and ``manifest`` (JSON) in the archive's comment."""
    with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.comment = json.dumps(manifest, sort_keys=True).encode()
        zf.writestr(doc_name, doc.encode("utf-8"))
        for name, arr in arrays.items():
            arr = np.ascontiguousarray(arr)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            setattr(info, _LEVEL, COMPRESS_LEVEL)
            info.comment = json.dumps({"dtype": arr.dtype.str, "shape": arr.shape}).encode()
            with zf.open(info, "w", force_zip64=True) as out:
                np.lib.format.write_array(out, arr, allow_pickle=False)


class Reader:
    """An archive opened for reading (a context manager): on entering, the central directory
    is checked (module docstring) before anything is decompressed.

    Args:
        path: the file.
        fmt, version: what the manifest must name.
        members: the arrays it must hold (name without ``.npy`` -> declaration).
        doc_name: the name of its JSON document.
        older: given the open zip when the manifest is missing or of another format, says
            (in a few words) what the file is instead, or None.
    """

    def __init__(
        self,
        path: Path,
        fmt: str,
        version: int,
        members: dict[str, Column],
        doc_name: str,
        older: Callable[[zipfile.ZipFile], str | None] | None = None,
    ) -> None:
        """Nothing is opened yet."""
        self.path, self.fmt, self.version = path, fmt, version
        self.members, self.doc_name, self.older = members, doc_name, older
        self.zf: zipfile.ZipFile | None = None
        self.sizes: dict[str, Any] = {}

    def __enter__(self) -> Reader:
        path = self.path
        if not path.is_file():
            raise _fail(path, "no such checkpoint file")
        try:
            _check_directory(path, 4 * len(self.members) + 4)
            self.zf = zipfile.ZipFile(path)
            self.sizes = self._manifest()["sizes"]
            self._check_members()
        except CheckpointError:
            self.close()
            raise
        except ZIP_ERRORS as err:
            self.close()
            raise _fail(path, f"not a valid landsim checkpoint ({err})") from None
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        """Close the zip file."""
        if self.zf is not None:
            self.zf.close()
            self.zf = None

    def _manifest(self) -> dict[str, Any]:
        assert self.zf is not None
        try:
            manifest = json.loads(self.zf.comment.decode("utf-8")) if self.zf.comment else None
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            manifest = None
        if not isinstance(manifest, dict) or manifest.get("format") != self.fmt:
            said = self.older(self.zf) if self.older else None
            raise _fail(self.path, said or "not a landsim checkpoint (no manifest)")
        if manifest.get("version") != self.version:
            raise _fail(
                self.path,
                f"checkpoint version {manifest.get('version')!r}; this landsim reads version "
                f"{self.version} only (run the scenario again to make a new checkpoint)",
            )
        sizes = manifest.get("sizes")
        if not isinstance(sizes, dict) or not all(
            type(v) is int and v >= 0 for v in sizes.values()
        ):
            raise _fail(self.path, "the manifest's sizes are not whole numbers")
        return manifest

    def _check_members(self) -> None:
        """Names, dtypes and shapes (from the members' comments), sizes: nothing read yet."""
        assert self.zf is not None
        infos = self.zf.infolist()
        expected = {f"{name}.npy": col for name, col in self.members.items()}
        names = [i.filename for i in infos]
        unknown = sorted(set(names) - set(expected) - {self.doc_name})
        if unknown or len(names) != len(set(names)):
            raise _fail(self.path, f"unexpected members {unknown[:5] or 'repeated'}")
        wanted = [*expected, self.doc_name]
        missing = sorted(n for n in wanted if n not in set(names))
        if missing:
            raise _fail(self.path, f"missing members {missing[:5]}")
        total = 0
        for info in infos:
            total += info.file_size
            if info.filename != self.doc_name:
                _check_member(info, expected[info.filename], self.sizes, self.path)
            elif info.file_size > MAX_JSON_BYTES:
                raise _fail(self.path, f"{self.doc_name} is larger than {MAX_JSON_BYTES} bytes")
        on_disk = max(self.path.stat().st_size, 1)
        if total > LARGE_BYTES and total > MAX_RATIO * on_disk:
            raise _fail(
                self.path,
                f"expands to {total:,} bytes, {total / on_disk:.0f} times its size: refused "
                "as a zip bomb",
            )

    def document(self) -> dict[str, Any]:
        """The JSON document, parsed (its size was checked), which must name the format and
        version."""
        assert self.zf is not None
        name = self.doc_name
        try:
            doc = json.loads(self.zf.read(name).decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise _fail(self.path, f"{name} is not valid JSON ({err})") from None
        except RecursionError:
            raise _fail(self.path, f"{name} is nested too deeply") from None
        except ZIP_ERRORS as err:
            raise _fail(self.path, f"{name} is damaged ({err})") from None
        if not isinstance(doc, dict) or doc.get("format") != self.fmt:
            raise _fail(self.path, f"not a landsim checkpoint ({name} lacks format {self.fmt!r})")
        if doc.get("version") != self.version:
            raise _fail(
                self.path, f"{name} is of version {doc.get('version')!r}, not {self.version}"
            )
        return doc

    def check_sizes(self, derived: Sizes, caps: dict[str, int]) -> Sizes:
        """The manifest's sizes, which must equal ``derived`` (the sizes the document gives)
        and, for the dimensions of ``caps``, be at most those."""
        sizes = self.sizes
        for k, v in derived.items():
            if sizes.get(k) != v:
                raise _fail(self.path, f"the manifest's size {k} = {sizes.get(k)!r}, not {v}")
        for k, cap in caps.items():
            if not isinstance(sizes.get(k), int) or sizes[k] > cap:
                raise _fail(self.path, f"{sizes.get(k)!r} {k} is more than a town holds ({cap})")
        extra = sorted(set(sizes) - set(derived) - set(caps))
        if extra:
            raise _fail(self.path, f"the manifest has unknown sizes {extra}")
        return dict(sizes)

    def arrays(self, sizes: Sizes) -> dict[str, np.ndarray]:
        """Every array, read and range-checked (``sizes``: as :meth:`check_sizes` gave)."""
        assert self.zf is not None
        out = {}
        for name, col in self.members.items():
            arr = _read_array(self.zf, self.zf.getinfo(f"{name}.npy"), col, self.path)
            why = value_problem(arr, col, sizes)
            if why:
                raise _fail(self.path, f"{name} {why}")
            out[name] = arr
        return out


def _check_directory(path: Path, most: int) -> None:
    """Refuse a zip whose central directory is large (more than ``most`` members, long names)
    before any of it is parsed: read from its end-of-central-directory record."""
    size = path.stat().st_size
    with open(path, "rb") as fh:
        fh.seek(max(0, size - (22 + 65535)))
        tail = fh.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        raise _fail(path, "not a landsim checkpoint (not a zip archive)")
    _, _, _, _, entries, cd_size, _, _ = struct.unpack("<4s4H2LH", tail[at : at + 22])
    if entries > most or cd_size > MAX_DIRECTORY_BYTES:
        raise _fail(path, f"the archive lists {entries} members in {cd_size:,} bytes: refused")


def _shape_of(col: Column, sizes: dict, name: str, path: Path) -> tuple[int, ...]:
    """The shape ``col`` declares for a town of ``sizes`` (the manifest's)."""
    missing = [d for d in col.dims if isinstance(d, str) and not isinstance(sizes.get(d), int)]
    if missing:
        raise _fail(path, f"the manifest lacks the size {missing[0]} of {name}")
    return tuple(d if isinstance(d, int) else sizes[d] for d in col.dims)


def _dtype(text: str, col: Column) -> np.dtype | None:
    """The dtype a member's listing names, if ``col`` allows it (the file's text is compared,
    never parsed by NumPy): the declared dtype, or for text any width up to
    :data:`MAX_TEXT` characters."""
    if col.dtype.kind == "U" and col.dtype.itemsize == 0:
        m = re.fullmatch(r"<U([0-9]{1,4})", text)
        return np.dtype(text) if m and 1 <= int(m.group(1)) <= MAX_TEXT else None
    return col.dtype if text == col.dtype.str else None


def _check_member(info: zipfile.ZipInfo, col: Column, sizes: dict, path: Path) -> None:
    """A member's dtype and shape (from its comment) and size against its declaration."""
    name = info.filename[:-4]
    try:
        said = json.loads(info.comment.decode("utf-8"))
        text, shape = said["dtype"], tuple(said["shape"])
        if not isinstance(text, str) or not all(type(x) is int and x >= 0 for x in shape):
            raise ValueError
    except (ValueError, TypeError, KeyError, RecursionError):
        raise _fail(path, f"{name}: no dtype and shape recorded") from None
    dtype = _dtype(text, col)
    if dtype is None:
        raise _fail(path, f"{name} must be {col.dtype}, not {text[:20]!r}")
    want = _shape_of(col, sizes, name, path)
    if shape != want:
        raise _fail(path, f"{name} has shape {shape}, not {want}")
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if info.file_size != _header_bytes(dtype, shape) + nbytes:
        raise _fail(path, f"{name} holds {info.file_size:,} bytes, not an array of {shape}")


def _read_array(zf: zipfile.ZipFile, info: zipfile.ZipInfo, col: Column, path: Path) -> np.ndarray:
    """One array, its ``.npy`` header checked against the member's comment, never more
    bytes read than its size; a damaged member (zlib, CRC) is refused."""
    name = info.filename[:-4]
    said = json.loads(info.comment.decode("utf-8"))
    dtype, shape = _dtype(said["dtype"], col), tuple(said["shape"])
    try:
        with zf.open(info) as fh:
            version = np.lib.format.read_magic(fh)
            if version != (1, 0):
                raise _fail(path, f"{name}: unexpected .npy version {version}")
            got_shape, fortran, got_dtype = np.lib.format.read_array_header_1_0(fh)
            if got_shape != shape or fortran or got_dtype != dtype:
                raise _fail(path, f"{name}: its header differs from the archive's listing")
            arr = np.empty(shape, dtype=dtype)
            view = memoryview(arr.reshape(-1).view(np.uint8))
            if fh.readinto(view) != arr.nbytes or fh.read(1):
                raise _fail(path, f"{name} is not {arr.nbytes:,} bytes long")
    except CheckpointError:
        raise
    except ZIP_ERRORS as err:
        raise _fail(path, f"{name} is damaged ({err})") from None
    return arr
