"""The data dictionary: what every column of every table landsim writes means.

Every command that writes a results folder writes ``dictionary.csv`` beside its tables
(:func:`write_dictionary`): one row per file and column with the column's title, its unit,
the range of its values, a definition, and how it aggregates (a share of units, a mean or a sum
over them, a count). Parquet files carry the same rows in their metadata (:func:`with_metadata`:
each field's metadata, and the whole list under the key ``landsim.dictionary``), so a table
read on its own still says what it holds.

Conventions, the same in every table: shares are fractions from 0 to 1 (figures draw them in
percent); money is yuan of the base year; a value that is undefined — a money flow in year 0,
before any season is farmed, or a mean over nobody — is missing (empty in CSV, null in
Parquet), never 0.

Parts: :class:`Entry`, :data:`FIELDS`, :func:`describe`, :func:`entries_for`,
:func:`with_metadata`, :func:`write_parquet`, :func:`write_dictionary`.
"""

from __future__ import annotations

import csv
import inspect
import json
import math
import re
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from landsim.labels import label
from landsim.metrics import FLOW_METRICS, METRICS
from landsim.recording import HOUSEHOLD_COLUMNS, PLOT_LAYERS, VILLAGE_COLUMNS

__all__ = [
    "Entry",
    "FIELDS",
    "describe",
    "entries_for",
    "with_metadata",
    "write_parquet",
    "write_dictionary",
    "DICTIONARY",
]

#: the dictionary's file name
DICTIONARY = "dictionary.csv"
#: the dictionary's columns
FIELDS = ("file", "column", "title", "unit", "range", "definition", "aggregate")
_FRACTION = "fraction (0-1)"


@dataclass(frozen=True)
class Entry:
    """One column of one table, described."""

    column: str
    title: str
    unit: str
    range: str
    definition: str
    aggregate: str = ""


def _range(bounds: tuple[float, float]) -> str:
    lo, hi = bounds
    if math.isinf(lo) and math.isinf(hi):
        return "any"
    if math.isinf(hi):
        return f">= {lo:g}"
    return f"{lo:g} to {hi:g}"


def _doc(fn) -> str:
    text = inspect.getdoc(fn) or ""
    return " ".join(text.split("\n\n", 1)[0].split())


def _outcome(column: str) -> Entry | None:
    base, _, stat = column.partition(":")
    if base not in METRICS:
        return None
    lab = label(column)
    unit = lab.unit
    if lab.is_share:
        unit = _FRACTION + (" of " + unit.removeprefix("% of ") if unit.startswith("% of") else "")
    definition = _doc(METRICS[base])
    if base in FLOW_METRICS and not stat:
        definition += " Missing in year 0 (no season farmed yet)."
    return Entry(column, lab.title, unit, _range(lab.bounds), definition, lab.aggregate)


#: columns every kind of table may hold, besides outcomes and parameters
_COMMON: dict[str, tuple[str, str, str, str, str]] = {
    "scenario": ("Scenario", "text", "", "the scenario file's name (its stem)", ""),
    "replicate": ("Replicate", "index", ">= 0", "replicate r uses seed r of the root seed", ""),
    "year": ("Model year", "year", "0 to run.years", "0 is the town before the first season", ""),
    "seed": ("Model seed", "integer", ">= 0", "the seed of this run's generator", ""),
    "run_id": ("Run", "index", ">= 0", "the run's number in the sweep", ""),
    "point": ("Design point", "index", ">= 0", "the row of design.parquet this run samples", ""),
    "status": ("Status", "text", "ok, failed", "whether the run finished", ""),
    "error": ("Error", "text", "", "why a failed run failed", ""),
    "wall_time": ("Run time", "s", ">= 0", "wall-clock seconds the run took", ""),
    "worker": ("Worker", "text", "", "host/process that ran it", ""),
    "metric": ("Outcome", "text", "", "the outcome column summarised (see its own row)", ""),
    "mean": (
        "Mean",
        "the outcome's",
        "",
        "final-year mean over replicates",
        "mean over replicates",
    ),
    "ci_low": ("Interval, low end", "the outcome's", "", "of the Student-t interval", ""),
    "ci_high": ("Interval, high end", "the outcome's", "", "of the Student-t interval", ""),
    "n": ("Replicates", "count", ">= 0", "replicates with a value", "count"),
    "level": ("Confidence level", _FRACTION, "0 to 1", "of the interval", ""),
    "reference": ("Reference scenario", "text", "", "the scenario subtracted", ""),
    "difference": (
        "Paired difference",
        "the outcome's",
        "",
        "scenario minus reference, replicate by replicate (same seeds)",
        "mean over replicate pairs",
    ),
    "n_pairs": ("Pairs", "count", ">= 0", "replicate pairs with a value", "count"),
    "plot": ("Plot", "index", ">= 0", "the plot's index (plots are farmland cells)", ""),
    "row": ("Row", "cell", ">= 0", "grid row of the plot, 0 north", ""),
    "col": ("Column", "cell", ">= 0", "grid column of the plot, 0 west", ""),
}


def _parameter(column: str) -> Entry | None:
    from landsim.labels import factor_label
    from landsim.params import FLAT_KEYS, Params

    section, _, name = column.rpartition(".")
    section = section or FLAT_KEYS.get(name, "")
    model = getattr(Params.model_fields.get(section), "annotation", None)
    info = getattr(model, "model_fields", {}).get(name)
    if info is None:
        return None
    desc = info.description or ""
    unit = re.search(r"\(([^()]*)\)\s*$", desc)
    lo = next((m.ge for m in info.metadata if hasattr(m, "ge")), None)
    hi = next((m.le for m in info.metadata if hasattr(m, "le")), None)
    span = f"{lo:g} to {hi:g}" if lo is not None and hi is not None else ""
    what = f"the parameter {section}.{name}: {desc}" if desc else f"the parameter {section}.{name}"
    return Entry(
        column, factor_label(f"{section}.{name}"), unit.group(1) if unit else "", span, what
    )


def describe(column: str, known: dict[str, tuple[str, str, str, str, str]] | None = None) -> Entry:
    """The entry of ``column``: from ``known`` (a table's own columns), the outcomes, the
    common columns or the parameters; a column none of them knows gets its name as title."""
    if known and column in known:
        return Entry(column, *known[column])
    found = _outcome(column)
    if found is not None:
        return found
    if column in _COMMON:
        return Entry(column, *_COMMON[column])
    found = _parameter(column)
    if found is not None:
        return found
    return Entry(column, column.replace("_", " "), "", "", "")


def _known_for(name: str) -> dict[str, tuple[str, str, str, str, str]] | None:
    if name in ("households.parquet",):
        return HOUSEHOLD_COLUMNS
    if name == "villages.gpkg":
        return VILLAGE_COLUMNS
    return None


def entries_for(df: pd.DataFrame, name: str = "") -> list[Entry]:
    """The entries of every column of ``df`` (a table written as ``name``)."""
    known = _known_for(name)
    return [describe(str(c), known) for c in df.columns]


def with_metadata(table, name: str = ""):
    """A pyarrow ``Table`` with each field's dictionary entry in its metadata, and the whole
    list under the schema key ``landsim.dictionary``."""
    import pyarrow as pa

    known = _known_for(name)
    entries = [describe(f.name, known) for f in table.schema]
    fields = [
        f.with_metadata({k: str(v) for k, v in asdict(e).items() if k != "column"})
        for f, e in zip(table.schema, entries, strict=True)
    ]
    meta = dict(table.schema.metadata or {})
    meta[b"landsim.dictionary"] = json.dumps([asdict(e) for e in entries]).encode("utf-8")
    return table.cast(pa.schema(fields, metadata=meta))


def write_parquet(df: pd.DataFrame, path: Path, name: str | None = None) -> None:
    """Write ``df`` to ``path`` (Parquet, no index) with its dictionary in the metadata;
    ``name`` is the file's final name when ``path`` is a temporary one."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(df, preserve_index=False)
    pq.write_table(with_metadata(table, name or Path(path).name), path)


def _map_entries(rel: str, name: str) -> list[Entry]:
    """Rows of a map file: a GeoTIFF stack's band layout, a GeoPackage's columns."""
    if name.startswith("plot_") and name.endswith(".tif"):
        layer = name.removeprefix("plot_").removesuffix(".tif")
        if layer in PLOT_LAYERS:
            title, unit, values, nodata, _ = PLOT_LAYERS[layer]
            what = (
                f"one band per year: band 1 = year 0, band b = year b - 1 (named 'year Y'); "
                f"values: {values}; no data ({nodata:g}): the cell is not a plot"
            )
            return [Entry("band b", title, unit, "", what, "")]
    if name == "plots.gpkg":
        rows = [describe(c) for c in ("plot", "row", "col")]
        rows.append(Entry("village_id", "Village id", "text", "", "the plot's village", ""))
        for layer, (title, unit, values, _, _) in PLOT_LAYERS.items():
            rows.append(Entry(f"{layer}_Y", f"{title}, year Y", unit, "", values, ""))
        return rows
    if name == "villages.gpkg":
        return [Entry(c, *VILLAGE_COLUMNS[c]) for c in VILLAGE_COLUMNS]
    return []


def _columns_of(path: Path) -> list[str]:
    if path.suffix == ".csv":
        with open(path, newline="", encoding="utf-8") as fh:
            return next(csv.reader(fh), [])
    import pyarrow.parquet as pq

    return list(pq.read_schema(path).names)


def write_dictionary(folder: Path) -> Path:
    """Describe every table and map in ``folder`` (and below it) in ``folder/dictionary.csv``.

    Sweep parts (``runs/part-*.parquet``) share one set of rows. Returns the file written.
    """
    from landsim.files import atomic_path

    folder = Path(folder)
    rows: list[dict[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for path in sorted(folder.rglob("*")):
        rel_parts = path.relative_to(folder).parts
        if any(p.startswith(".") for p in rel_parts) or not path.is_file():
            continue
        if path.name == DICTIONARY:
            continue
        rel = "/".join(rel_parts)
        if path.name.startswith("part-") and path.suffix == ".parquet":
            rel = "/".join([*rel_parts[:-1], "part-*.parquet"])
        if path.suffix in (".csv", ".parquet"):
            known = _known_for(path.name)
            entries = [describe(c, known) for c in _columns_of(path)]
        else:
            entries = _map_entries(rel, path.name)
        for e in entries:
            if (rel, e.column) in seen:
                continue
            seen.add((rel, e.column))
            rows.append({"file": rel, **asdict(e)})
    out = folder / DICTIONARY
    with atomic_path(out) as tmp:
        pd.DataFrame(rows, columns=list(FIELDS)).to_csv(tmp, index=False)
    return out
