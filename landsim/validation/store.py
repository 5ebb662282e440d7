"""Where a validation's runs go: yearly outcomes as Parquet parts that survive a crash.

``DIR/runs/part-*.parquet`` holds one row per run and year, tagged ``size``, ``run``,
``replicate`` and ``key`` (``D/baseline/3``). Every batch of finished runs becomes its own part
at once, written through :func:`landsim.sweep.store.write_atomic` (a reader sees whole parts or
nothing), so an interrupted validation keeps what finished and ``--resume`` runs the rest.
``DIR/settings.json`` records what the runs were made with (the patterns file's hash, years,
root seed); resuming with other settings is refused (more or fewer seeds are fine: replicate
``i`` has the same seed whatever the count).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from landsim.errors import UserError
from landsim.files import read_json
from landsim.provenance import write_json
from landsim.sweep.store import write_atomic

__all__ = ["open_runs", "append_runs", "load_validation_runs"]


def open_runs(root: Path, settings: dict[str, Any], resume: bool) -> set[str]:
    """Prepare ``root/runs`` and return the keys of the runs already there.

    Raises:
        UserError: resuming a folder whose runs were made with other settings.
    """
    runs = root / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    for p in runs.iterdir():  # writes that never finished
        if p.name.startswith(".") and p.name.endswith(".tmp"):
            p.unlink()
    path = root / "settings.json"
    if resume and path.is_file():
        old = read_json(path, "a validation's settings")  # one line for a broken file
        if not isinstance(old, dict):
            raise UserError(f"{path}: not a validation's settings (not a JSON object)")
        # replicate i has the same seed whatever the count, so only the seeds may change
        differ = [k for k in settings if k != "seeds" and old.get(k) != settings[k]]
        if differ:
            raise UserError(
                f"{root}: its runs were made with other settings ({', '.join(differ)}); "
                "choose another --out"
            )
    write_json(path, settings)
    if not resume:
        return set()
    df = load_validation_runs(root, columns=["key"])
    return set(df["key"]) if not df.empty else set()


def append_runs(root: Path, frames: Sequence[pd.DataFrame]) -> None:
    """Write one batch of finished runs as a new part."""
    if not frames:
        return
    table = pa.Table.from_pandas(pd.concat(frames, ignore_index=True), preserve_index=False)
    write_atomic(table, root / "runs" / f"part-{uuid.uuid4().hex}.parquet")


def load_validation_runs(root: Path, columns: list[str] | None = None) -> pd.DataFrame:
    """Every stored row (one per run and year), or an empty frame."""
    parts = sorted((root / "runs").glob("part-*.parquet"))
    if not parts:
        return pd.DataFrame(columns=columns or [])
    df = pd.concat(pd.read_parquet(p, columns=columns) for p in parts)
    keys = ["key", "year"] if columns is None or "year" in columns else ["key"]
    return df.drop_duplicates(keys, keep="last").reset_index(drop=True)
