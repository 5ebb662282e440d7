"""Plausible ranges: declared beside each parameter, apart from its validity bounds."""

from __future__ import annotations

import json

import pytest

from landsim.params import (
    Assumptions,
    Levers,
    Params,
    World,
    choices,
    plausible_ranges,
)

SECTIONS = {"world": World, "assumptions": Assumptions, "levers": Levers}


def _bounds(cls, name):
    lo = hi = None
    for m in cls.model_fields[name].metadata:
        lo = getattr(m, "ge", None) if getattr(m, "ge", None) is not None else lo
        lo = getattr(m, "gt", None) if getattr(m, "gt", None) is not None else lo
        hi = getattr(m, "le", None) if getattr(m, "le", None) is not None else hi
    return lo, hi


def test_every_numeric_assumption_and_lever_has_a_plausible_range():
    """Every numeric assumption and lever declares a plausible range (choices list values)."""
    ranges = plausible_ranges()
    for section in ("assumptions", "levers"):
        for name, info in SECTIONS[section].model_fields.items():
            if info.annotation in (int, float):
                assert name in ranges, f"{section}.{name} has no plausible range"
    assert set(plausible_ranges("assumptions")) == set(Assumptions.model_fields)


@pytest.mark.parametrize("section", ["world", "assumptions", "levers"])
def test_plausible_ranges_hold_the_default_and_lie_within_validity(section):
    """Each plausible range is ordered, holds the default and lies inside the validity bounds."""
    cls = SECTIONS[section]
    defaults = getattr(Params(), section)
    for name, (lo, hi) in plausible_ranges(section).items():
        assert lo < hi, name
        assert lo <= getattr(defaults, name) <= hi, name
        vlo, vhi = _bounds(cls, name)
        assert vlo is None or lo >= vlo, name
        assert vhi is None or hi <= vhi, name


def test_ranges_and_choices_are_in_the_json_schema():
    """The JSON schema carries each plausible range and each choice's values."""
    schema = json.loads(json.dumps(Params.model_json_schema()))
    props = schema["$defs"]["Assumptions"]["properties"]
    assert props["aging_speed"]["plausible"] == [0.75, 2.0]
    assert props["aging_speed"]["minimum"] == 0.25  # the validity bound stays apart
    rule = schema["$defs"]["Levers"]["properties"]["benefit_rule"]
    assert set(rule["enum"]) == set(choices()["benefit_rule"])
    assert choices("levers")["firm_enabled"] == (False, True)
