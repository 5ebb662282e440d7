"""Provenance of a sweep: what was run, with which code, where (``DIR/provenance.json``).

Built on :mod:`landsim.provenance` (versions, git commit, scenario records, atomic JSON) and
kept beside the results, never mixed into them, so results compare exactly across executors.
Each call of ``landsim sweep`` on a directory appends a *session* (executor, workers, start and
end, runs done), so a sweep resumed on a Dask cluster records both machines.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from landsim.errors import UserError
from landsim.files import read_json
from landsim.provenance import command_line, environment, now, write_json
from landsim.sweep.design import Design
from landsim.sweep.experiment import Experiment

__all__ = ["build_provenance", "read_provenance", "write_provenance", "now", "command_line"]


def build_provenance(exp: Experiment, design: Design) -> dict[str, Any]:
    """Everything needed to redo the sweep; sessions are appended as they run."""
    return {
        **environment(),
        "created": now(),
        "fingerprint": exp.fingerprint(),
        "experiment": {
            "name": exp.name,
            "path": str(exp.path) if exp.path is not None else None,
            "sha256": exp.sha256,
            "text": exp.text,
            "description": exp.description,
            "outcomes": list(exp.outcomes),
            "aggregates": list(exp.aggregates),
            "outcome_columns": list(exp.outcome_columns),
            "yearly": exp.yearly,
            "replicates": exp.replicates,
            "seed": exp.seed,
            "seeds": exp.seeds,
            "years": exp.years,
        },
        "base_scenario": exp.base_record,
        "resolved_params": exp.base.model_dump(mode="json"),
        "design": {
            **exp.design.__dict__,
            "factors": [f.as_dict() for f in exp.factors],
            "inputs": list(exp.input_keys),
            "problem": design.problem,
            "n_points": design.n_points,
            "n_runs": design.n_points * exp.replicates,
        },
        "sessions": [],
    }


def read_provenance(root: str | Path) -> dict[str, Any] | None:
    """``DIR/provenance.json`` as data, or ``None`` if there is none."""
    path = Path(root) / "provenance.json"
    if not path.exists():
        return None
    data = read_json(path, "a sweep's provenance record")  # one line for a broken file
    if not isinstance(data, dict):
        raise UserError(f"{path}: not a sweep's provenance record (not a JSON object)")
    return data


def write_provenance(root: str | Path, data: dict[str, Any]) -> None:
    """Write ``DIR/provenance.json`` atomically."""
    write_json(Path(root) / "provenance.json", data)
