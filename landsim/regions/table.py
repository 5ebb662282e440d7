"""The region's household table (CSV or Parquet): one row per household, checked row by row.

Summary of rules: the table has the columns ``household_id`` (unique), ``village_id`` (one of
the villages' ids), ``head_age`` (18-100 years), ``members`` (1-30 living members, the head
included) and ``migrants`` (members working away: the head stays, so at most ``members - 1``),
and either ``plots`` (how many contract plots, at least 1: the model gives them out from the
village's farmland, reproducibly from the seed) or ``plot_cells`` (the grid cells of its plots,
``row * width + col`` of the land raster, separated by ``;``), or both (a row with cells uses
them). Optional columns let a town start exactly as it was: ``member_ages`` (every member's
age, head first, ``;``-separated), ``member_migrant`` (0/1 per member, the head 0), ``trust``
(trust in the cooperative, 0-1) and ``kin`` (ties to other households as
``household_id:closeness`` pairs, ``;``-separated, closeness 0-1; list each tie once, in one of
the two rows). Other columns are ignored. Empty cells of an optional column are not allowed:
a column is given for every row or left out.

Parts: :data:`REQUIRED`, :data:`OPTIONAL`, :func:`read_households`, :func:`assign_villages`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from landsim import limits
from landsim.params import World
from landsim.population import TASTE
from landsim.problems import MAX_PROBLEMS
from landsim.regions.outlines import id_text
from landsim.regions.region import Households, Problems, RegionError, show

__all__ = [
    "REQUIRED",
    "OPTIONAL",
    "read_households",
    "assign_villages",
    "MAX_HOUSEHOLDS",
    "MAX_MEMBERS",
]

#: columns every household table has (and ``plots`` or ``plot_cells``)
REQUIRED = ("household_id", "village_id", "head_age", "members", "migrants")
#: columns a table may add
OPTIONAL = ("plots", "plot_cells", "member_ages", "member_migrant", "trust", "taste", "kin")
#: the most households a region may have (world.region_households)
MAX_HOUSEHOLDS = next(
    int(m.le) for m in World.model_fields["region_households"].metadata if hasattr(m, "le")
)
#: the most members of one household in a table
MAX_MEMBERS = 30
#: ages of heads and members (years): the model's oldest start age is 95 (population.py)
HEAD_AGES = (18.0, 100.0)
MEMBER_AGES = (0.0, 100.0)

Where = Callable[[int], str]


def _read(path: Path, shown: str) -> tuple[pd.DataFrame, bool]:
    """The table as a DataFrame (CSV cells as text), and whether it is a CSV file."""
    if not path.is_file():
        raise RegionError(f"{shown}: no such file")
    suffix = path.suffix.lower()
    have, why = limits.memory_limit()
    if path.stat().st_size * 20 > have:  # a table takes about 20 times its file in memory
        raise RegionError(
            f"{shown}: {path.stat().st_size / 1e9:.1f} GB is too large to read: {why}"
        )
    if suffix == ".csv":
        try:
            df = pd.read_csv(
                path, dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8-sig"
            )
        except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as err:
            why = str(err).split("\n", 1)[0][:120]
            raise RegionError(f"{shown}: not a CSV table ({why})") from None
        return df, True
    if suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            rows = pq.ParquetFile(path).metadata.num_rows
            if rows > MAX_HOUSEHOLDS:
                raise RegionError(f"{shown}: {rows:,} rows: at most {MAX_HOUSEHOLDS:,} households")
            df = pq.read_table(path).to_pandas()
        except (pa.ArrowException, OSError) as err:
            why = str(err).split("\n", 1)[0][:120]
            raise RegionError(f"{shown}: not a Parquet table ({why})") from None
        return df, False
    raise RegionError(f"{shown}: a household table must be .csv or .parquet")


class _Rows:
    """Problems of one column, row by row: the first few each on a line, then a count."""

    def __init__(self, problems: Problems, where: Where) -> None:
        self.problems, self.where = problems, where

    def add(self, mask: np.ndarray, column: str, values, rule: str) -> None:
        bad = np.flatnonzero(mask)
        for i in bad[:MAX_PROBLEMS].tolist():
            self.problems.add(f"{self.where(i)}: {column} = {show(values[i])}", rule)
        if bad.size > MAX_PROBLEMS:
            self.problems.add(
                f"{self.where(int(bad[MAX_PROBLEMS]))}: {column}",
                f"{bad.size - MAX_PROBLEMS:,} more rows like those above",
            )


def _blank(values: np.ndarray) -> np.ndarray:
    return np.array([v is None or (isinstance(v, str) and not v.strip()) for v in values])


def _numbers(
    df: pd.DataFrame, column: str, rows: _Rows, lo: float, hi: float, whole: bool
) -> np.ndarray:
    """A column of numbers within ``[lo, hi]`` (whole numbers when ``whole``)."""
    raw = df[column].to_numpy(dtype=object)
    values = pd.to_numeric(pd.Series(raw), errors="coerce").to_numpy(dtype=np.float64)
    blank = _blank(raw) | pd.isna(pd.Series(raw)).to_numpy()
    rows.add(blank, column, raw, "is empty: every row needs a value")
    rows.add(~blank & np.isnan(values), column, raw, "must be a number")
    ok = ~np.isnan(values)
    if whole:
        frac = ok & (values != np.round(values))
        rows.add(frac, column, raw, "must be a whole number")
        ok &= ~frac
    rule = f"must be {lo:g} to {hi:g}"
    rows.add(ok & ((values < lo) | (values > hi)), column, raw, rule)
    return values


def _lists(df: pd.DataFrame, column: str, rows: _Rows, parse) -> list[list]:
    """A column of ``;``-separated lists (text), or lists (Parquet), each item parsed."""
    out: list[list] = []
    bad: list[tuple[int, str]] = []
    for i, raw in enumerate(df[column].to_numpy(dtype=object).tolist()):
        if isinstance(raw, (list, tuple, np.ndarray)):
            items = list(raw)
        elif raw is None or (isinstance(raw, float) and np.isnan(raw)):
            items = []
        else:
            text = str(raw).strip()
            items = [s.strip() for s in text.split(";")] if text else []
        try:
            out.append([parse(x) for x in items])
        except (ValueError, TypeError) as err:
            out.append([])
            bad.append((i, str(err)))
    for i, why in bad[:MAX_PROBLEMS]:
        raw = df[column].iloc[i]
        rows.problems.add(f"{rows.where(i)}: {column} = {show(str(raw))}", why)
    return out


def _float(text) -> float:
    value = float(text)
    if not np.isfinite(value):
        raise ValueError(f"{text!r} is not a finite number")
    return value


def _cell(text) -> int:
    value = float(text)
    if not value.is_integer():
        raise ValueError(f"{text!r} is not a whole cell number")
    return int(value)


def _kin(text) -> tuple[str, float]:
    if isinstance(text, dict):
        other, close = text.get("household_id"), text.get("closeness")
    else:
        other, sep, close = str(text).rpartition(":")
        if not sep:
            raise ValueError(f"{text!r} must be household_id:closeness")
    value = _float(close)
    if not 0 <= value <= 1:
        raise ValueError(f"closeness {close} must be 0 to 1")
    return str(id_text(other) or ""), value


def _offsets(lists: list[list]) -> tuple[np.ndarray, np.ndarray]:
    sizes = np.array([len(x) for x in lists], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    flat = [v for x in lists for v in x]
    return offsets, np.array(flat)


def read_households(path: Path, shown: str, cells: int) -> Households:
    """Read and check the household table (its village ids are checked by
    :func:`assign_villages`, once the villages are known).

    Args:
        path: the file.
        shown: the file as messages show it.
        cells: cells of the land raster (``plot_cells`` must be below it).

    Raises:
        RegionError: a missing column, and one line per bad row (an empty or malformed value,
            a value out of range, an unknown kin id, a household id given twice, members and
            migrants that do not add up, a household without land).
    """
    df, csv = _read(path, shown)
    probe = Households([], *([np.zeros(0)] * 7), source=shown, csv=csv)
    where = probe.where
    columns = [str(c) for c in df.columns]
    missing = [c for c in REQUIRED if c not in columns]
    if not ("plots" in columns or "plot_cells" in columns):
        missing.append("plots (or plot_cells)")
    if missing:
        raise RegionError(
            f"{shown}: column {', '.join(missing)} {'is' if len(missing) == 1 else 'are'} "
            f"missing: a household table needs {', '.join(REQUIRED)} and plots or plot_cells "
            f"(columns found: {', '.join(columns[:12]) or 'none'})"
        )
    n = len(df)
    if not 1 <= n <= MAX_HOUSEHOLDS:
        raise RegionError(f"{shown}: {n:,} households: must be 1 to {MAX_HOUSEHOLDS:,}")
    problems = Problems()
    rows = _Rows(problems, where)
    ids, first = _ids(df, problems, where)
    raw_v = df["village_id"].to_numpy(dtype=object)
    village_text = [id_text(v) or "" for v in raw_v.tolist()]
    rows.add(np.array([not v for v in village_text]), "village_id", raw_v, "is empty")
    head = _numbers(df, "head_age", rows, *HEAD_AGES, whole=False)
    members = _numbers(df, "members", rows, 1, MAX_MEMBERS, whole=True)
    migrants = _numbers(df, "migrants", rows, 0, MAX_MEMBERS - 1, whole=True)
    rows.add(
        migrants >= members,
        "migrants",
        df["migrants"].to_numpy(dtype=object),
        "must be fewer than members (the head stays at home)",
    )
    plots, cell_lists = _plots(df, columns, rows, cells)
    listed = np.array([len(x) for x in cell_lists])
    offsets, flat_cells = _offsets(cell_lists)
    table = Households(
        ids=[h or "" for h in ids],
        village=np.full(n, -1, dtype=np.int32),
        head_age=head,
        members=np.nan_to_num(members).astype(np.int64),
        migrants=np.nan_to_num(migrants).astype(np.int64),
        plots=np.where(listed > 0, 0, np.nan_to_num(plots)).astype(np.int64),
        cell_offsets=offsets,
        cells=flat_cells.astype(np.int64) if flat_cells.size else np.zeros(0, np.int64),
        village_text=village_text,
        source=shown,
        csv=csv,
    )
    _members(df, columns, rows, table)
    if "trust" in columns:
        table.trust = _numbers(df, "trust", rows, 0, 1, whole=False)
    if "taste" in columns:
        table.taste = _numbers(df, "taste", rows, TASTE[0], TASTE[1], whole=False)
    if "kin" in columns:
        _kinship(df, rows, table, first)
    problems.raise_any()
    return table


def _place(where: str) -> str:
    """The line or row of ``FILE:LINE`` or ``FILE: row N``, as ``line N`` or ``row N``."""
    tail = where.rsplit(":", 1)[-1].strip()
    return f"line {tail}" if tail.isdigit() else tail


def _ids(df: pd.DataFrame, problems: Problems, where: Where) -> tuple[list, dict[str, int]]:
    """``household_id`` of each row (as text), and the row of each id: ids are unique."""
    ids = [id_text(v) for v in df["household_id"].to_numpy(dtype=object).tolist()]
    first: dict[str, int] = {}
    for i, h in enumerate(ids):
        if h is None:
            problems.add(f"{where(i)}: household_id", "is empty: every row needs an id")
        elif h in first:
            problems.add(
                f"{where(i)}: household_id = {show(h)}",
                f"is given twice (also {_place(where(first[h]))}): ids must be unique",
            )
        else:
            first[h] = i
    return ids, first


def _plots(
    df: pd.DataFrame, columns: list[str], rows: _Rows, cells: int
) -> tuple[np.ndarray, list[list]]:
    """``plots`` (a count; 0 where absent) and ``plot_cells`` (cell numbers) of each row: every
    household holds at least one plot."""
    n = len(df)
    plots = np.zeros(n)
    if "plots" in columns:
        plots = _numbers(df, "plots", rows, 0, 10_000, whole=True)
    cell_lists: list[list] = [[] for _ in range(n)]
    if "plot_cells" in columns:
        cell_lists = _lists(df, "plot_cells", rows, _cell)
        out = np.array([any(not 0 <= c < cells for c in x) for x in cell_lists])
        rule = f"cells must be 0 to {cells - 1:,} (row * width + column of the land raster)"
        rows.add(out, "plot_cells", df["plot_cells"].to_numpy(dtype=object), rule)
    listed = np.array([len(x) for x in cell_lists])
    column = "plots" if "plots" in columns else "plot_cells"
    rows.add(
        (listed == 0) & ~(plots >= 1),
        column,
        df[column].to_numpy(dtype=object),
        "every household holds at least one contract plot (plots >= 1 or plot_cells)",
    )
    return plots, cell_lists


def _members(df: pd.DataFrame, columns: list[str], rows: _Rows, table: Households) -> None:
    """``member_ages`` and ``member_migrant``: one entry per member, head first, agreeing with
    ``head_age``, ``members`` and ``migrants``."""
    if "member_migrant" in columns and "member_ages" not in columns:
        rows.problems.add(
            f"{rows.where(0)}: member_migrant", "needs member_ages (one entry per member)"
        )
        return
    if "member_ages" not in columns:
        return
    ages = _lists(df, "member_ages", rows, _float)
    count = np.array([len(a) for a in ages])
    raw = df["member_ages"].to_numpy(dtype=object)
    rows.add(count != table.members, "member_ages", raw, "must list one age per member")
    head_ok = np.array([bool(a) and a[0] == h for a, h in zip(ages, table.head_age, strict=True)])
    rows.add((count > 0) & ~head_ok, "member_ages", raw, "must start with head_age")
    lo, hi = MEMBER_AGES
    rows.add(
        np.array([any(not lo <= x <= hi for x in a) for a in ages]),
        "member_ages",
        raw,
        f"ages must be {lo:g} to {hi:g}",
    )
    offsets, flat = _offsets(ages)
    table.ages = flat.astype(np.float64)
    if "member_migrant" in columns:
        flags = _lists(df, "member_migrant", rows, _cell)
        raw_m = df["member_migrant"].to_numpy(dtype=object)
        size = np.array([len(f) for f in flags])
        rows.add(size != count, "member_migrant", raw_m, "must list one 0/1 per member")
        rows.add(
            np.array([any(x not in (0, 1) for x in f) for f in flags]),
            "member_migrant",
            raw_m,
            "must be 0 (at home) or 1 (away) for each member",
        )
        rows.add(
            np.array([bool(f) and f[0] == 1 for f in flags]),
            "member_migrant",
            raw_m,
            "the head (first member) stays at home",
        )
        rows.add(
            (size == count) & (np.array([sum(f) for f in flags]) != table.migrants),
            "member_migrant",
            raw_m,
            "must mark as many members away as migrants",
        )
        if size.sum() == flat.size:
            table.migrant = np.array([x for f in flags for x in f], dtype=bool)


def _kinship(df: pd.DataFrame, rows: _Rows, table: Households, index: dict[str, int]) -> None:
    """``kin``: ties to known households (not to itself), each with a closeness 0-1."""
    ties = _lists(df, "kin", rows, _kin)
    raw = df["kin"].to_numpy(dtype=object)
    src, dst, close = [], [], []
    unknown = np.zeros(len(ties), dtype=bool)
    own = np.zeros(len(ties), dtype=bool)
    for i, row in enumerate(ties):
        for other, c in row:
            j = index.get(other)
            if j is None:
                unknown[i] = True
            elif j == i:
                own[i] = True
            else:
                src.append(i)
                dst.append(j)
                close.append(c)
    rows.add(unknown, "kin", raw, "names a household_id that is not in the table")
    rows.add(own, "kin", raw, "names the household itself")
    table.kin_src = np.array(src, dtype=np.int64)
    table.kin_dst = np.array(dst, dtype=np.int64)
    table.kin_closeness = np.array(close, dtype=np.float64)


def assign_villages(table: Households, villages: dict[str, int], what: str) -> None:
    """Set each row's village index from its ``village_id``.

    Args:
        table: the household table.
        villages: village id -> village index.
        what: where the villages come from, for messages (``the outlines of villages.gpkg``).

    Raises:
        RegionError: one line per row whose village is not one of ``villages``.
    """
    problems = Problems()
    village = np.array([villages.get(v, -1) for v in table.village_text], dtype=np.int32)
    known = ", ".join(show(v) for v in list(villages)[:6]) + (", ..." if len(villages) > 6 else "")
    rows = _Rows(problems, table.where)
    rows.add(village < 0, "village_id", table.village_text, f"is not a village of {what} ({known})")
    problems.raise_any()
    table.village = village
