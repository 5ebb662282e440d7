"""Mesa's conventions: ``seed=`` as Mesa 3.5 takes it, and docs/mesa.md's numbers from a run."""

from __future__ import annotations

import contextlib
import io
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import TINY

from landsim import LandModel

REPO = Path(__file__).resolve().parents[1]


def _seeded(**kwargs) -> LandModel:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        model = LandModel(**TINY, years=3, **kwargs)
    model.run_model()
    return model


def test_seed_twice_gives_identical_outcomes():
    """``LandModel(seed=3)`` seeds the generator: two models give the same outcomes, the
    same as ``rng=3``, and another seed gives others."""
    a, b = _seeded(seed=3), _seeded(seed=3)
    pd.testing.assert_frame_equal(a.outcomes(), b.outcomes())
    pd.testing.assert_frame_equal(a.outcomes(), _seeded(rng=3).outcomes())
    assert not np.array_equal(a.plots.holder, _seeded(seed=4).plots.holder)
    assert a.params.run.seed == LandModel(rng=1, **TINY).params.run.seed  # not the file's seed


def test_seed_warns_as_mesa_does_at_the_callers_line():
    """``seed=`` raises Mesa 3.5's FutureWarning, pointed at the line that built the model."""
    with pytest.warns(FutureWarning, match="`seed` keyword argument is deprecated") as caught:
        LandModel(seed=3, **TINY)
    assert caught[0].filename == __file__


def test_seed_and_rng_together_are_refused():
    """Mesa refuses both; so does landsim, with Mesa's message."""
    with pytest.raises(ValueError, match="either rng or seed, not both"):
        LandModel(seed=3, rng=3, **TINY)


def _doc_block(text: str, after: str, lang: str = "") -> str:
    """The first fenced block (```lang) after the line ``after``."""
    rest = text[text.index(after) :]
    match = re.search(rf"```{lang}\n(.*?)```", rest, re.S)
    assert match, f"no ```{lang} block after {after!r}"
    return match.group(1)


def _printed_lines(code: str) -> list[str]:
    """What a block of the page prints when run, line by line (trailing blanks cut)."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "docs/mesa.md", "exec"), {})  # the page's own code
    return [line.rstrip() for line in printed.getvalue().strip().splitlines()]


def test_batch_run_numbers_in_docs_are_what_the_code_prints():
    """docs/mesa.md's batch_run example prints exactly the table the page shows."""
    doc = (REPO / "docs" / "mesa.md").read_text(encoding="utf-8")
    got = _printed_lines(_doc_block(doc, "## `mesa.batch_run`", "python"))
    shown = _doc_block(doc, "prints (the share of households")
    want = [line.rstrip() for line in shown.strip().splitlines()]
    assert got == want, "docs/mesa.md is stale; the block prints:\n" + "\n".join(got)


def test_agent_reporter_numbers_in_docs_are_what_the_code_prints():
    """docs/mesa.md's household agent-reporter example prints exactly what the page shows."""
    doc = (REPO / "docs" / "mesa.md").read_text(encoding="utf-8")
    section = doc[doc.index("## Agents: households") :]
    got = _printed_lines(_doc_block(section, "Agent reporters per household work", "python"))
    shown = _doc_block(section, "prints (`tests/test_mesa.py` runs this code")
    want = [line.rstrip() for line in shown.strip().splitlines()]
    assert got == want, "docs/mesa.md is stale; the block prints:\n" + "\n".join(got)
