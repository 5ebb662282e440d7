"""Where results go: Parquet datasets that grow as runs finish and survive a crash.

Layout of a sweep directory ``DIR``::

    DIR/provenance.json       experiment, base scenario, versions, git commit, executor sessions
    DIR/design.parquet        one row per design point (raw SALib sample and inputs)
    DIR/.landsim.lock         held by the one command writing DIR (see landsim.locking)
    DIR/runs/part-*.parquet   one row per run: run_id, inputs, seed, status, error, wall time,
                              final-year outcomes      -> pandas.read_parquet(DIR / "runs")
    DIR/yearly/part-*.parquet (if the experiment asks) one row per run and year

How nothing is lost and nothing half-written is read:

* every batch of finished runs becomes its own part file at once, written to a hidden temporary
  name and moved into place with ``os.replace`` (atomic), after ``fsync``; Parquet readers skip
  hidden (``.``) files, so a reader sees whole parts or nothing;
* the yearly part of a batch is written before its runs part, under the same name; a run counts
  as done only when its runs part exists, and a yearly part without a runs part is an orphan
  deleted on resume;
* part names are unique per session: ``part-SESSION-NNNNNNNN.parquet``, where ``SESSION`` is
  ``s`` and 12 random hex digits drawn when the store opens, so two writers could never
  overwrite each other's parts (and :mod:`landsim.locking` keeps a second writer out anyway);
* every ``compact_every`` parts, a session merges *its own* small parts ``part-S-A`` ...
  ``part-S-B`` into ``part-S-A-B.parquet`` in three steps: the merged part is written under a
  hidden name (``.part-S-A-B.parquet.merging``, yearly first, runs last: the runs one existing
  is the commit point), the small parts are deleted, and the merged part is renamed into place.
  A reader therefore never sees a run twice, even after a crash in the middle: at worst, for
  the moment of the merge (or after a crash inside it, until the next ``--resume``), it misses
  the runs being merged. Opening the store finishes a committed merge and drops an
  uncommitted one.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from landsim.errors import UserError
from landsim.files import atomic_path
from landsim.sweep.experiment import Experiment
from landsim.sweep.worker import RunResult

__all__ = [
    "ResultStore",
    "runs_schema",
    "yearly_schema",
    "load_runs",
    "load_yearly",
    "write_atomic",
]

#: ``part-[SESSION-]FIRST[-LAST].parquet``; parts written before sessions had no SESSION
_PART = re.compile(r"^part-(?:(s[0-9a-f]{12})-)?(\d{8})(?:-(\d{8}))?\.parquet$")
_MERGING = ".merging"
_ARROW = {"float": pa.float64(), "int": pa.int64(), "bool": pa.bool_(), "str": pa.string()}


def _input_fields(exp: Experiment) -> list[pa.Field]:
    types = {f.key: f.dtype for f in exp.factors}
    return [pa.field(k, _ARROW[types.get(k, "float")]) for k in exp.input_keys]


def runs_schema(exp: Experiment) -> pa.Schema:
    """Columns of ``DIR/runs``: identifiers, inputs, seed, status, timing, outcomes."""
    return pa.schema(
        [
            pa.field("run_id", pa.string()),
            pa.field("point", pa.int64()),
            pa.field("replicate", pa.int64()),
            *_input_fields(exp),
            pa.field("seed", pa.int64()),
            pa.field("status", pa.string()),
            pa.field("error", pa.string()),
            pa.field("wall_time", pa.float64()),
            pa.field("worker", pa.string()),
            *(pa.field(o, pa.float64()) for o in exp.outcome_columns),
        ]
    )


def yearly_schema(exp: Experiment) -> pa.Schema:
    """Columns of ``DIR/yearly``: identifiers, inputs, year, outcomes."""
    return pa.schema(
        [
            pa.field("run_id", pa.string()),
            pa.field("point", pa.int64()),
            pa.field("replicate", pa.int64()),
            *_input_fields(exp),
            pa.field("year", pa.int64()),
            *(pa.field(o, pa.float64()) for o in exp.outcomes),
        ]
    )


def write_atomic(table: pa.Table, path: Path) -> None:
    """Write ``table`` to ``path`` so that readers see the whole file or none of it."""
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())  # on disk before it gets its name, even if the power fails


def _parse(name: str) -> tuple[str, int, int] | None:
    """``(session, first, last)`` of a part's file name, or ``None``."""
    m = _PART.match(name)
    if not m:
        return None
    first = int(m.group(2))
    return m.group(1) or "", first, int(m.group(3) or first)


def _parts(directory: Path) -> list[tuple[str, int, int, Path]]:
    """``(session, first, last, path)`` of every visible part in ``directory``, in order."""
    if not directory.is_dir():
        return []
    out = []
    for p in directory.iterdir():
        key = _parse(p.name)
        if key:
            out.append((*key, p))
    return sorted(out)


def _merging(directory: Path) -> dict[str, Path]:
    """Hidden merged parts not yet renamed into place, by their final name."""
    if not directory.is_dir():
        return {}
    out = {}
    for p in directory.iterdir():
        name = p.name[1 : -len(_MERGING)]
        if p.name.startswith(".") and p.name.endswith(_MERGING) and _parse(name):
            out[name] = p
    return out


def _drop_temporaries(directory: Path) -> None:
    """Delete temporary files of writes that never finished."""
    if directory.is_dir():
        for p in directory.iterdir():
            if p.name.startswith(".") and p.name.endswith(".tmp"):
                p.unlink()


def _drop_merged_singles(directory: Path) -> None:
    """Delete single parts that a merged part of their session already holds.

    Only folders written before merges became three-step can hold these (a crash hit between
    writing the merged part and deleting the singles).
    """
    parts = _parts(directory)
    merged = [(s, a, b) for s, a, b, _ in parts if b > a]
    for s, a, b, p in parts:
        if a == b and any(s == ms and lo <= a <= hi for ms, lo, hi in merged):
            p.unlink()


def _finish_merges(dirs: list[Path]) -> None:
    """Complete the merges whose runs part was written (committed); drop the others."""
    runs_dir = dirs[-1]
    committed = set(_merging(runs_dir)) | {p.name for *_, p in _parts(runs_dir)}
    for d in dirs:
        for name, hidden in _merging(d).items():
            if name not in committed:
                hidden.unlink()
                continue
            session, first, last = _parse(name)  # type: ignore[misc]
            for s, a, b, p in _parts(d):
                if s == session and first <= a and b <= last and (a, b) != (first, last):
                    p.unlink()
            os.replace(hidden, d / name)


class ResultStore:
    """Appends finished runs to ``DIR/runs`` (and ``DIR/yearly``) as atomic part files."""

    def __init__(self, root: Path, exp: Experiment, compact_every: int = 64):
        self.root = Path(root)
        self.runs_dir = self.root / "runs"
        self.yearly_dir = self.root / "yearly"
        self.yearly = exp.yearly
        self.schema = runs_schema(exp)
        self.yearly_schema = yearly_schema(exp)
        self.compact_every = compact_every
        self.session = "s" + secrets.token_hex(6)  # names this session's parts
        self._next = 0
        self._fresh: list[int] = []  # single parts written this session, not yet merged

    # -- opening ---------------------------------------------------------------------------

    def existing_runs(self) -> int:
        """Number of run rows already on disk (from Parquet metadata, without reading data).

        Counts a merge that a crash interrupted, too (its runs are on disk, hidden).
        """
        paths = [p for *_, p in _parts(self.runs_dir)] + list(_merging(self.runs_dir).values())
        return sum(pq.ParquetFile(p).metadata.num_rows for p in paths)

    def open(self, retry_failed: bool = False) -> set[str]:
        """Tidy what a crash may have left and return the run_ids already done.

        With ``retry_failed``, failed runs are removed first so that they run again.
        """
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        if self.yearly:
            self.yearly_dir.mkdir(parents=True, exist_ok=True)
        for d in (self.runs_dir, self.yearly_dir):
            _drop_temporaries(d)
        _finish_merges([self.yearly_dir, self.runs_dir])
        runs = {p.name for *_, p in _parts(self.runs_dir)}
        for *_, p in _parts(self.yearly_dir):
            if p.name not in runs:  # its runs part never landed: those runs will run again
                p.unlink()
        for d in (self.runs_dir, self.yearly_dir):
            _drop_merged_singles(d)
        if retry_failed:
            self._drop_failed()
        self._next = 0
        return self.done_ids()

    def _drop_failed(self) -> None:
        for *_, p in _parts(self.runs_dir):
            status = pq.read_table(p, columns=["status"]).column("status").to_pylist()
            if "failed" not in status:
                continue
            table = pq.read_table(p)
            mask = pa.array([s != "failed" for s in status])
            kept = table.filter(mask)
            if kept.num_rows:
                write_atomic(kept, p)
            else:
                p.unlink()

    def done_ids(self) -> set[str]:
        """run_ids with a row on disk (ok or failed)."""
        done: set[str] = set()
        for *_, p in _parts(self.runs_dir):
            done.update(pq.read_table(p, columns=["run_id"]).column("run_id").to_pylist())
        return done

    # -- writing ---------------------------------------------------------------------------

    def append(self, results: Sequence[RunResult]) -> None:
        """Write one batch of finished runs as a new part (yearly first, then runs)."""
        if not results:
            return
        results = sorted(results, key=lambda r: r.row["run_id"])
        name = self._name(self._next)
        if self.yearly:
            frames = [r.yearly for r in results if r.yearly is not None]
            if frames:
                df = pd.concat(frames, ignore_index=True)
                table = pa.Table.from_pandas(df, schema=self.yearly_schema, preserve_index=False)
                write_atomic(table, self.yearly_dir / name)
        table = pa.Table.from_pylist([r.row for r in results], schema=self.schema)
        write_atomic(table, self.runs_dir / name)
        self._fresh.append(self._next)
        self._next += 1
        if len(self._fresh) >= self.compact_every:
            self.compact()

    def _name(self, first: int, last: int | None = None) -> str:
        tail = f"-{last:08d}" if last is not None else ""
        return f"part-{self.session}-{first:08d}{tail}.parquet"

    def compact(self) -> None:
        """Merge this session's single parts into one ranged part (see the module docstring)."""
        if len(self._fresh) < 2:
            return
        merged = self._name(self._fresh[0], self._fresh[-1])
        hidden = f".{merged}{_MERGING}"
        dirs = [self.yearly_dir, self.runs_dir] if self.yearly else [self.runs_dir]
        written = []
        for d in dirs:  # yearly first: the runs part, written last, commits the merge
            paths = [d / self._name(s) for s in self._fresh]
            paths = [p for p in paths if p.exists()]
            if paths:
                write_atomic(pa.concat_tables(pq.read_table(p) for p in paths), d / hidden)
                written.append(d)
        for d in reversed(dirs):
            for s in self._fresh:
                (d / self._name(s)).unlink(missing_ok=True)
        for d in reversed(written):  # runs first: a yearly part never exists without its runs
            os.replace(d / hidden, d / merged)
        self._fresh = []

    def close(self) -> None:
        """Merge what is left of this session's parts."""
        self.compact()


def load_runs(root: str | Path, ok_only: bool = False) -> pd.DataFrame:
    """The runs table of a sweep directory, one row per run_id, sorted by run_id.

    Raises:
        UserError: ``root`` holds no runs.
    """
    root = Path(root)
    if not _parts(root / "runs"):
        raise UserError(f"{root}: no results (expected Parquet parts in {root / 'runs'})")
    df = pd.read_parquet(root / "runs")
    df = df.sort_values("run_id", kind="stable").drop_duplicates("run_id", keep="last")
    if ok_only:
        df = df[df["status"] == "ok"]
    return df.reset_index(drop=True)


def load_yearly(root: str | Path) -> pd.DataFrame:
    """The yearly table of a sweep directory, one row per (run_id, year).

    Raises:
        UserError: the sweep kept no yearly outcomes.
    """
    root = Path(root)
    if not _parts(root / "yearly"):
        raise UserError(f"{root}: no yearly results (set 'yearly = true' in the experiment)")
    df = pd.read_parquet(root / "yearly")
    df = df.sort_values(["run_id", "year"], kind="stable")
    return df.drop_duplicates(["run_id", "year"], keep="last").reset_index(drop=True)
