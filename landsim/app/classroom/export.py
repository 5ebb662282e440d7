"""A class's results as a zip, safe to open in a spreadsheet.

* :func:`export_zip` — both towns' yearly outcomes (CSV and Parquet), the decision log, each
  role's result and a provenance record (JSON);
* :func:`neutralise_formulas` — no text cell of an exported CSV table runs as a formula.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from landsim.app.classroom.room import Classroom

__all__ = ["export_zip", "neutralise_formulas"]


def neutralise_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with every text cell that a spreadsheet would read as a formula (starting with
    ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) prefixed with ``'``, which makes
    it text; plain numbers written as text ("-1,234") are left as they are."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(_neutral)
    return out


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _neutral(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _plain_number(value):
        return "'" + value
    return value


def _plain_number(text: str) -> bool:
    body = text[1:] if text[:1] in "+-" else text
    return bool(body) and body.replace(",", "").replace(".", "", 1).isdigit()


def export_zip(room: Classroom) -> bytes:
    """The class's results as a zip: both towns' outcomes (CSV and Parquet, in the model's
    years), the decision log, each role's result, and provenance (JSON)."""
    from landsim.app.classroom.reports import role_results
    from landsim.provenance import environment, now

    with room.lock:
        tables = {
            "outcomes_class": room.town.outcomes(),
            "outcomes_model": room.model_town.outcomes(),
            "decisions": room.town.decision_log(),
            "roles": role_results(room),
        }
        provenance = {
            "created": now(),
            "class_code": room.code,
            "scenario": room.scenario,
            "seed": room.seed,
            "leases": room.leases,
            "warmup_years": room.warmup,
            "years_played": room.year,
            "model_ruled": {str(k): v for k, v in room.model_ruled.items()},
            "params": room.town.params.model_dump(mode="json"),
            "environment": environment(),
        }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, df in tables.items():
            # a name or a logged value starting with "=" must not run in a spreadsheet
            z.writestr(f"{name}.csv", neutralise_formulas(df).to_csv(index=False))
            pq = io.BytesIO()
            df.to_parquet(pq, index=False)
            z.writestr(f"{name}.parquet", pq.getvalue())
        z.writestr("provenance.json", json.dumps(provenance, indent=2, default=str))
    return buf.getvalue()
