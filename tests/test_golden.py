"""The model reproduces its golden runs bit for bit (tests/golden_runs.py says what they are and
how to re-record them when a change is meant to change results)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.golden_runs import CONFIGS, DIGEST_PARTS, PATH, params_of, run


@pytest.fixture(scope="module")
def golden() -> dict[str, np.ndarray]:
    with np.load(PATH, allow_pickle=False) as npz:
        return {k: npz[k] for k in npz.files}


@pytest.mark.parametrize("name", list(CONFIGS))
def test_golden_runs_are_reproduced_bit_for_bit(golden, name):
    """Every outcome of every year and every part of the final state equal the recorded run's,
    bit for bit, for seeds 1-5."""
    params = params_of(golden[f"{name}.params"])
    decide = bool(golden[f"{name}.decide"])
    columns = golden[f"{name}.columns"].tolist()
    parts = golden["digest_parts"].tolist()
    assert parts == list(DIGEST_PARTS)
    for i, seed in enumerate(golden["seeds"].tolist()):
        table, digests = run(params, seed, decide)
        assert list(table.columns) == columns, f"{name} seed {seed}: outcome columns changed"
        got = table.to_numpy(dtype=np.float64)
        want = golden[f"{name}.outcomes"][i]
        differ = got.view(np.int64) != want.view(np.int64)
        if differ.any():
            year, col = np.argwhere(differ)[0]
            pytest.fail(
                f"{name} seed {seed}: {columns[col]} in year {year} is {got[year, col]!r}, "
                f"recorded {want[year, col]!r} ({int(differ.sum())} values differ)"
            )
        recorded = dict(zip(parts, golden[f"{name}.digests"][i].tolist(), strict=True))
        changed = [k for k in parts if digests[k] != recorded[k]]
        assert not changed, f"{name} seed {seed}: final state differs in {changed}"
