"""Loading, merging and validating scenario files (in process; the CLI is in test_cli.py)."""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from landsim.errors import UserError
from landsim.params import Params
from landsim.scenario import ScenarioError, load_scenario, set_key
from landsim.tomlio import to_toml

REPO = Path(__file__).resolve().parents[1]
BUNDLED = sorted((REPO / "scenarios").glob("*.toml"))


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_tiny_scenario_loads(tiny_scenario: Path) -> None:
    """A valid file gives its name, title, validated parameters and defaults elsewhere."""
    s = load_scenario(tiny_scenario)
    assert s.name == "tiny"
    assert s.title == "Tiny test town"
    assert s.params.world.width == 20
    assert s.params.levers.coop_founding == "all"
    assert s.params.run.years == 3
    assert s.params.levers.audit_rate == Params().levers.audit_rate
    assert s.chain == (tiny_scenario,)


def test_resolved_text_is_hashed_and_reloads_to_the_same_parameters(
    tiny_scenario: Path, tmp_path: Path
) -> None:
    """The resolved text holds every parameter, is hashed, and reloads to the same params."""
    s = load_scenario(tiny_scenario)
    assert s.sha256 == hashlib.sha256(s.text.encode()).hexdigest()
    assert "audit_rate" in s.text  # defaults are written out, not only what the file set
    again = load_scenario(write(tmp_path, "again.toml", s.text))
    assert again.params == s.params
    assert again.sha256 == s.sha256


def test_extends_overrides_only_what_differs(tiny_scenario: Path) -> None:
    """A child inherits its parent's tables key by key and overrides what it sets."""
    child = write(
        tiny_scenario.parent,
        "child.toml",
        """
extends = "tiny.toml"
[levers]
benefit_rule = "fixed_rent"
[run]
replicates = 5
""",
    )
    s = load_scenario(child)
    assert s.params.levers.benefit_rule == "fixed_rent"
    assert s.params.levers.coop_founding == "all"  # from the parent
    assert s.params.world.width == 20
    assert (s.params.run.years, s.params.run.replicates) == (3, 5)
    assert s.title == "child"  # a title describes its own file; it is not inherited
    assert [p.name for p in s.chain] == ["child.toml", "tiny.toml"]


def test_extends_is_relative_to_the_file_and_chains(tiny_scenario: Path) -> None:
    """``extends`` resolves next to the extending file, through several generations."""
    sub = tiny_scenario.parent / "sub"
    sub.mkdir()
    write(sub, "middle.toml", 'extends = "../tiny.toml"\n[levers]\naudit_rate = 0.2\n')
    leaf = write(sub, "leaf.toml", 'extends = "middle.toml"\n[levers]\nmanagement_standard = 0.5\n')
    p = load_scenario(leaf).params
    assert (p.levers.audit_rate, p.levers.management_standard, p.world.width) == (0.2, 0.5, 20)


def test_child_timeline_replaces_the_parents(tiny_scenario: Path) -> None:
    """A child's ``[[timeline]]`` replaces the parent's; without one it inherits it."""
    parent = write(
        tiny_scenario.parent,
        "parent.toml",
        """
extends = "tiny.toml"
[[timeline]]
year = 2
note = "subsidy ends"
set = { "levers.subsidy_per_mu" = 0 }
""",
    )
    inherits = write(tiny_scenario.parent, "inherits.toml", 'extends = "parent.toml"\n')
    replaces = write(
        tiny_scenario.parent,
        "replaces.toml",
        """
extends = "parent.toml"
[[timeline]]
year = 3
set = { levers.audit_rate = 0.3 }
""",
    )
    assert [e.year for e in load_scenario(parent).params.timeline] == [2]
    assert [e.year for e in load_scenario(inherits).params.timeline] == [2]
    (event,) = load_scenario(replaces).params.timeline
    assert (event.year, event.set) == (3, {"levers.audit_rate": 0.3})  # dotted key flattened


BAD_VALUES = [
    ("[levers]\naudit_rate = 1.5", r"x\.toml:2: levers\.audit_rate = 1\.5: must be at most 1$"),
    ("[run]\nyears = 3.0", r"run\.years = 3\.0: must be a whole number \(write 3, not 3\.0\)"),
    ('[levers]\nsubsidy_per_mu = "100"', r"subsidy_per_mu = \"100\": must be a number, not text"),
    ("[levers]\nfirm_enabled = 1", r"firm_enabled = 1: must be true or false"),
    ('[levers]\ncoop_founding = "al"', r"coop_founding = \"al\": must be .*did you mean 'all'"),
    ("[levers]\nsubsidy_per_mu = -5", r"subsidy_per_mu = -5: must be at least 0"),
    (
        "[levers]\naudit_rat = 0.3",
        r"x\.toml:2: levers\.audit_rat = 0\.3: unknown key; did you "
        r"mean 'audit_rate'\?",
    ),
    ("[assumptions]\naudit_rate = 0.3", r"audit_rate belongs in \[levers\]"),
    ("[lever]\naudit_rate = 0.3", r"x\.toml:1: lever = .*unknown key; did you mean 'levers'\?"),
    ("levers = 3", r"levers = 3: must be a table"),
    (
        '[levers]\nbenefit_rule = "dividend"',
        r"unknown benefit-sharing rule; must be one of "
        r"fixed_rent, guaranteed_dividend, shareholding, guaranteed_rebate",
    ),
    (
        "[levers]\nmember_share = 0.5",
        r"x\.toml:2: levers: reserve_share \+ collective_share \+ "
        r"member_share must sum to 1, got 0\.1 \+ 0\.1 \+ 0\.5 = 0\.7",
    ),
    ("[assumptions]\nlabour_zero_age = 52", r"labour_zero_age \(52\.0\) must be greater than"),
    (
        "[run]\nyears = 5\n[[timeline]]\nyear = 6\nset = {}",
        r"x\.toml:4: timeline\[0\]\.year = 6: is after the last year of the run \(run\.years = 5\)",
    ),
    ('[[timeline]]\nyear = 2\nset = { "world.width" = 3 }', r"only levers and assumptions"),
    (
        '[[timeline]]\nyear = 2\nset = { "levers.audit_rate" = 2 }',
        r"x\.toml:3: timeline\[0\]\.set\.\"levers\.audit_rate\" = 2: must be at most 1",
    ),
    ("[[timeline]]\nyear = 2\nsett = {}", r"timeline\[0\]\.sett = .*did you mean 'set'\?"),
    ("title = 5", r"title = 5: must be text in quotes"),
    ("extends = 5", r"extends = 5: must be a file name in quotes"),
    ("[levers\naudit_rate = 1", r"x\.toml:1: TOML syntax error: .*'\[levers'"),
    ("# only a comment\n", r"x\.toml: the file is empty"),
]


@pytest.mark.parametrize(("text", "message"), BAD_VALUES)
def test_bad_values_are_reported_with_file_line_key_value_and_rule(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, message: str
) -> None:
    """Each kind of mistake gives one ScenarioError whose message states where and why."""
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "x.toml", text + "\n")
    with pytest.raises(ScenarioError, match=message):
        load_scenario("x.toml")


def test_every_problem_in_a_file_is_reported_in_line_order(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Several mistakes in one file are listed together, each with its own line."""
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "x.toml", "[levers]\naudit_rat = 1\nsubsidy_per_mu = -1\n[run]\nyears = 0\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario("x.toml")
    assert [line.split(":")[1] for line in str(info.value).splitlines()] == ["2", "3", "5"]


def test_a_parent_files_mistake_names_the_parent(
    tiny_scenario: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bad value set in an extended file is reported in that file, at its line."""
    monkeypatch.chdir(tiny_scenario.parent)
    write(
        tiny_scenario.parent, "bad_parent.toml", 'extends = "tiny.toml"\n[levers]\naudit_rate = 2\n'
    )
    write(tiny_scenario.parent, "child.toml", 'extends = "bad_parent.toml"\n')
    with pytest.raises(ScenarioError, match=r"^bad_parent\.toml:3: levers\.audit_rate = 2"):
        load_scenario("child.toml")


def test_a_scenario_file_is_data_not_code(tmp_path: Path) -> None:
    """Text that looks like code stays text: it is validated as a value, never run."""
    marker = tmp_path / "ran"
    path = write(
        tmp_path,
        "x.toml",
        f"[levers]\nbenefit_rule = \"__import__('pathlib').Path('{marker}').touch()\"\n",
    )
    with pytest.raises(ScenarioError, match="unknown benefit-sharing rule"):
        load_scenario(path)
    assert not marker.exists()


def test_set_key_changes_one_parameter() -> None:
    """set_key returns a validated copy with the dotted key changed and the rest kept."""
    base = Params()
    new = set_key(base, "levers.audit_rate", 0.3)
    assert new.levers.audit_rate == 0.3
    assert base.levers.audit_rate == Params().levers.audit_rate
    assert new.world == base.world


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("levers.audit_rate", 1.5, r"^levers\.audit_rate = 1\.5: must be at most 1$"),
        ("levers.audit_rat", 0.3, r"unknown parameter; did you mean 'levers\.audit_rate'\?"),
        ("assumptions.audit_rate", 0.3, r"did you mean 'levers\.audit_rate'\?"),
        ("levers.member_share", 0.5, r"must sum to 1"),
    ],
)
def test_set_key_errors_are_user_errors(key: str, value: float, message: str) -> None:
    """A bad sweep value is a UserError naming the key, value and rule."""
    with pytest.raises(UserError, match=message):
        set_key(Params(), key, value)


scalars = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False),
    st.text(),
)


@given(
    st.dictionaries(
        st.text(min_size=1), st.one_of(scalars, st.lists(scalars, max_size=3)), max_size=4
    ),
    st.dictionaries(st.text(min_size=1), scalars, max_size=4),
)
def test_to_toml_round_trips(top: dict, table: dict) -> None:
    """What to_toml writes, tomllib reads back unchanged."""
    data = {**top, "section": table, "events": [{"year": 1, "set": table}]}
    assert tomllib.loads(to_toml(data)) == data


@pytest.mark.skipif(not BUNDLED, reason="no bundled scenarios yet")
@pytest.mark.parametrize("path", BUNDLED, ids=[p.stem for p in BUNDLED])
def test_bundled_scenarios_load(path: Path) -> None:
    """Every scenario file in scenarios/ is valid and has a title."""
    s = load_scenario(path)
    assert s.title and s.title != s.name


@pytest.mark.parametrize(
    ("key", "names"),
    [
        ("bid_fraction", "second-price auction"),
        ("offfarm_job_chance", "local_job_days"),
        ("max_lease_in_plots", "lessee_mu_per_worker"),
        ("helper_days", "local_work_days"),
        ("coop_prefinance_share", "coop_risk_margin"),
    ],
)
def test_a_retired_key_is_refused_naming_what_replaced_it(tmp_path, key, names):
    """A scenario file, a timeline event or a keyword that sets a removed key is refused in one
    line that names its replacement."""
    path = tmp_path / "old.toml"
    path.write_text(f'extends = "baseline"\n[assumptions]\n{key} = 0.5\n')
    with pytest.raises(ScenarioError, match=f"{key}.*{names}"):
        load_scenario(path)
    path.write_text(
        f'extends = "baseline"\n[[timeline]]\nyear = 2\nset = {{ "assumptions.{key}" = 0.5 }}\n'
    )
    with pytest.raises(ScenarioError, match=names):
        load_scenario(path)
    from landsim.model import LandModel

    with pytest.raises(TypeError, match=f"{key}: removed"):
        LandModel(**{key: 0.5})
