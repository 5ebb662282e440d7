"""EMA Workbench adapter: a landsim scenario or experiment file as an EMA Workbench ``Model``.

Exploratory modelling in EMA's vocabulary: *uncertainties* are assumptions (and world
settings) sampled over their plausible ranges, *levers* are policy choices, *outcomes* are
final-year values of :data:`landsim.metrics.METRICS`. Ranges come from the parameters' own
declarations (:func:`landsim.params.plausible_ranges`), choices from their ``Literal`` types,
so nothing is restated here.

The model is an EMA ``ReplicatorModel``: each experiment runs ``replications`` times, each
replication one call of :func:`landsim.runner.run` (the project's unit of parallel work, so
EMA's sequential and multiprocessing evaluators both work) with a seed of its own, and each
outcome is the mean over the replications (``OUTCOME_sd``: their standard deviation). Seeds
are *independent* by default — derived from the root seed, the experiment's inputs and the
replication, so no two experiments share a noise draw — or *common* (``seeds="common"``:
replication r uses the same seed in every experiment, replicate r of ``landsim compare``).

Install with ``pip install 'landsim[ema]'``. Scenario discovery in under ten lines::

    from ema_workbench import perform_experiments
    from ema_workbench.analysis import prim
    from landsim.ema import build_model

    model = build_model("baseline", uncertainties=["aging_speed", "migration_rate"],
                        years=10, replications=5)
    experiments, outcomes = perform_experiments(model, scenarios=100)
    x = experiments[[u.name for u in model.uncertainties]]
    box = prim.Prim(x, outcomes["abandonment_rate"] > 0.05, threshold=0.6).find_box()
    print(box.inspect())

Parts: :func:`build_model` (scenario or experiment -> EMA model), :func:`parameter`
(one landsim parameter as an EMA parameter), :class:`LandsimFunction` (the picklable
callable EMA runs) and :func:`experiment_seed` (the model seed of one replication).
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from landsim.errors import UserError
from landsim.metrics import MAIN_OUTCOMES, METRICS
from landsim.params import FLAT_KEYS, Params, apply_changes, choices, plausible_ranges

__all__ = [
    "build_model",
    "parameter",
    "LandsimFunction",
    "experiment_seed",
    "require_ema",
    "SPLIT",
    "REPLICATION",
]

#: the keyword EMA's replications hand the function: the replication's number, 0, 1, ...
REPLICATION = "replication"

#: the profit split, which must sum to 1: keys sampled are kept, the others take the rest in
#: proportion to their base values (all three sampled: scaled to sum to 1)
SPLIT = ("reserve_share", "collective_share", "member_share")

#: levers left out of the default lever set: the two split shares the member share rebalances
_NOT_DEFAULT_LEVERS = ("reserve_share", "collective_share")


def require_ema():
    """Import and return ``ema_workbench``, or explain how to install it.

    Raises:
        MissingExtra: when EMA Workbench is not installed (a :class:`UserError`).
    """
    from landsim.extras import require

    require("ema", "landsim.ema")
    with warnings.catch_warnings():
        # EMA warns at import that optional cluster back-ends (ipyparallel) are missing
        warnings.simplefilter("ignore", UserWarning)
        import ema_workbench
    return ema_workbench


def parameter(name: str, bounds: tuple[float, float] | None = None, levels: Sequence | None = None):
    """The landsim parameter ``name`` (flat) as an EMA parameter.

    Args:
        name: a flat parameter name (``aging_speed``).
        bounds: ``(low, high)``; default: the parameter's plausible range.
        levels: discrete values; default for choice fields: all their values.

    Raises:
        UserError: for an unknown name or a numeric parameter without a plausible range.
    """
    ema = require_ema()
    if name not in FLAT_KEYS:
        raise UserError(f"{name!r} is not a landsim parameter")
    section = FLAT_KEYS[name]
    field = Params.model_fields[section].annotation.model_fields[name]
    options = choices().get(name)
    if levels is None and bounds is None and options is not None:
        levels = options
    if levels is not None:
        if tuple(levels) == (False, True):
            return ema.BooleanParameter(name)
        return ema.CategoricalParameter(name, list(levels))
    if bounds is None:
        bounds = plausible_ranges().get(name)
        if bounds is None:
            raise UserError(
                f"{section}.{name} has no plausible range to sample; give bounds or levels"
            )
    lo, hi = bounds
    if field.annotation is int:
        return ema.IntegerParameter(name, int(lo), int(hi))
    return ema.RealParameter(name, float(lo), float(hi))


def _plain(inputs: dict[str, Any]) -> dict[str, Any]:
    """Inputs as plain Python values (EMA hands numpy scalars)."""
    return {k: v.item() if hasattr(v, "item") else v for k, v in inputs.items()}


def experiment_seed(root: int, inputs: dict[str, Any], replication: int, common: bool) -> int:
    """The model seed of one replication of the experiment with ``inputs`` (flat names).

    Independent (``common=False``): a child of ``SeedSequence(root)`` keyed by a SHA-256 of the
    inputs and the replication, so experiments never share a noise draw and the same inputs
    always get the same seeds, whichever process or order runs them. Common: replicate
    ``replication`` of ``landsim compare``'s seeds (``replicate_seeds(root, n)[replication]``),
    the same in every experiment.
    """
    from landsim.sweep.design import run_seed

    if common:
        return run_seed(root, 0, replication, common=True)
    text = json.dumps(_plain(inputs), sort_keys=True, default=str)
    digest = hashlib.sha256(text.encode()).digest()
    words = [int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4)]
    spawn_key = (*words, replication)
    state = np.random.SeedSequence(root, spawn_key=spawn_key).generate_state(1, dtype=np.uint64)
    return int(state[0] >> 1)


@dataclass(frozen=True)
class LandsimFunction:
    """The callable an EMA model runs: one landsim run per replication of an experiment,
    returning the final-year value of each outcome. Picklable, so EMA can send it to worker
    processes.

    Attributes:
        base: the base parameters as plain data (``Params.model_dump(mode="json")``).
        root: the root seed every replication's seed derives from (:func:`experiment_seed`).
        years: years each run simulates.
        outcomes: outcome names (keys of :data:`landsim.metrics.METRICS`).
        rebalance: ``{factor: keys}`` of an experiment file's rebalanced factors.
        common: replication r has the same seed in every experiment (else independent seeds).
    """

    base: dict[str, Any]
    root: int
    years: int
    outcomes: tuple[str, ...]
    rebalance: tuple[tuple[str, tuple[str, ...]], ...] = ()
    common: bool = False

    def __call__(self, **inputs: Any) -> dict[str, float]:
        """Run one replication of the experiment ``inputs`` (flat names; EMA adds the
        ``replication`` number) and return its outcomes."""
        from landsim.runner import RunSpec, run

        replication = int(inputs.pop(REPLICATION, 0))
        seed = self.seed(inputs, replication)
        params = apply_changes(Params.model_validate(self.base), self.changes(inputs))
        df = run(RunSpec(params=params.model_dump(mode="json"), seed=seed, years=self.years))
        last = df.iloc[-1]
        return {o: float(last[o]) for o in self.outcomes}

    def seed(self, inputs: dict[str, Any], replication: int) -> int:
        """The model seed of ``replication`` of the experiment ``inputs``."""
        return experiment_seed(self.root, inputs, replication, self.common)

    def changes(self, inputs: dict[str, Any]) -> dict[str, Any]:
        """Dotted parameter changes for ``inputs``, with the profit split kept at 1."""
        flat = _plain(inputs)
        for key, keys in self.rebalance:  # an experiment file's own rebalance rules
            if key in flat:
                total = self._base(key) + sum(self._base(k) for k in keys)
                share = sum(self._base(k) for k in keys)
                for k in keys:
                    w = self._base(k) / share if share > 0 else 1 / len(keys)
                    flat[k] = (total - flat[key]) * w
        sampled = [k for k in SPLIT if k in flat]
        if sampled:
            rest = [k for k in SPLIT if k not in flat]
            left = 1.0 - sum(flat[k] for k in sampled)
            weight = sum(self._base(k) for k in rest)
            if rest and left >= 0:
                for k in rest:
                    flat[k] = left * (self._base(k) / weight if weight > 0 else 1 / len(rest))
            else:
                total = sum(flat[k] for k in SPLIT)
                for k in SPLIT:
                    flat[k] = flat[k] / total
        return {f"{FLAT_KEYS[k]}.{k}": v for k, v in flat.items()}

    def _base(self, name: str) -> float:
        return float(self.base[FLAT_KEYS[name]][name])


def build_model(
    source: str | os.PathLike[str] | Params = "baseline",
    *,
    uncertainties: Sequence[str] | None = None,
    levers: Sequence[str] | None = None,
    outcomes: Sequence[str] | None = None,
    years: int | None = None,
    replications: int | None = None,
    seed: int | None = None,
    seeds: str = "independent",
    name: str = "landsim",
):
    """An EMA Workbench ``ReplicatorModel`` of a landsim scenario or experiment file.

    From a **scenario** (a file, a bundled name such as ``"baseline"``, or ``Params``):
    uncertainties default to every assumption with a plausible range, levers to every lever
    (numeric ones over their plausible ranges, choices over their values; the member share
    rebalances the reserve and collective shares), outcomes to the main outcomes. From an
    **experiment** file (one with ``[factors]``): its factors on ``levers.*`` become levers and
    the others uncertainties, over the file's levels or ranges; its base, horizon, seed and
    outcomes are used. Arguments given here override either.

    Each outcome is the mean of its final-year value over the replications; ``OUTCOME_sd`` is
    their standard deviation (0 with one replication).

    Args:
        source: scenario or experiment file, bundled name, or parameters.
        uncertainties: flat names of assumptions (or world settings) to sample.
        levers: flat names of levers to sample.
        outcomes: outcome names (final-year values); default the main outcomes.
        years: years each run simulates (default: the file's ``run.years``).
        replications: runs per experiment, each with its own seed (default: the file's
            ``run.replicates``; 1 for ``Params``).
        seed: the root seed of every replication's seed (default: the file's ``run.seed``).
        seeds: ``"independent"`` (each experiment and replication its own seed) or
            ``"common"`` (replication r has the same seed in every experiment).
        name: the EMA model's name (a Python identifier).

    Raises:
        UserError: for an unknown parameter or outcome, a bad ``replications`` or ``seeds``,
            or EMA Workbench missing.
    """
    ema = require_ema()
    if seeds not in ("independent", "common"):
        raise UserError(f"seeds must be 'independent' or 'common', got {seeds!r}")
    exp = _experiment(source)
    base, file_years, root, file_outcomes, file_replicates, factors, rebalance = _read_source(
        source, exp
    )
    n_rep = file_replicates if replications is None else replications
    if not isinstance(n_rep, int) or isinstance(n_rep, bool) or n_rep < 1:
        raise UserError(f"replications must be a whole number of at least 1, got {n_rep!r}")
    u_names, l_names = _parameter_names(factors if exp is not None else None, uncertainties, levers)
    out_names = _outcome_names(outcomes if outcomes is not None else file_outcomes)

    def ema_parameter(n: str):
        spec = factors.get(n)
        if spec is None:
            return parameter(n)
        f = spec[1]
        return parameter(n, bounds=f.bounds, levels=f.levels)

    function = LandsimFunction(
        base=base.model_dump(mode="json"),
        root=seed if seed is not None else root,
        years=years if years is not None else file_years,
        outcomes=out_names,
        rebalance=tuple(rebalance),
        common=seeds == "common",
    )
    model = ema.ReplicatorModel(name, function=function)
    model.replications = [{REPLICATION: r} for r in range(n_rep)]
    model.uncertainties = [ema_parameter(n) for n in u_names]
    model.levers = [ema_parameter(n) for n in l_names]
    model.outcomes = [
        *(ema.ScalarOutcome(o, function=_mean) for o in out_names),
        *(ema.ScalarOutcome(f"{o}_sd", variable_name=o, function=_sd) for o in out_names),
    ]
    return model


def _read_source(source: Any, exp: Any) -> tuple[Any, ...]:
    """What a scenario or an experiment ``exp`` (None for a scenario) gives the model: its base
    parameters, horizon, root seed, outcomes and replicates, and an experiment's factors (flat
    name -> (is a lever, factor)) and rebalancing rules."""
    factors: dict[str, Any] = {}
    rebalance: list[tuple[str, tuple[str, ...]]] = []
    if exp is not None:
        for f in exp.factors:
            flat = f.key.partition(".")[2]
            factors[flat] = (f.key.startswith("levers."), f)
            if f.rebalance:
                rebalance.append((flat, tuple(k.partition(".")[2] for k in f.rebalance)))
        return exp.base, exp.years, exp.seed, exp.outcomes, exp.replicates, factors, rebalance
    base = source if isinstance(source, Params) else _scenario_params(source)
    replicates = 1 if isinstance(source, Params) else base.run.replicates
    return base, base.run.years, base.run.seed, MAIN_OUTCOMES, replicates, factors, rebalance


def _outcome_names(names: Sequence[str]) -> tuple[str, ...]:
    """``names`` as a tuple, each an outcome of :data:`landsim.metrics.METRICS`.

    Raises:
        UserError: naming the unknown outcomes.
    """
    unknown = [o for o in names if o not in METRICS]
    if unknown:
        raise UserError(f"unknown outcome(s): {', '.join(unknown)}")
    return tuple(names)


def _parameter_names(
    factors: dict[str, Any] | None,
    uncertainties: Sequence[str] | None,
    levers: Sequence[str] | None,
) -> tuple[list[str], list[str]]:
    """The flat names of the uncertainties and levers to sample: those given, else an
    experiment's ``factors`` (its ``levers.*`` are levers), else every assumption with a
    plausible range and every lever (numeric or a choice).

    Raises:
        UserError: for a name that is not a landsim parameter.
    """

    def given(names: Sequence[str] | None, default: list[str]) -> list[str]:
        return list(default if names is None else names)

    if factors is not None:
        u_names = given(uncertainties, [k for k, (lever, _) in factors.items() if not lever])
        l_names = given(levers, [k for k, (lever, _) in factors.items() if lever])
    else:
        u_names = given(uncertainties, plausible_ranges("assumptions"))
        default_levers = [*plausible_ranges("levers"), *choices("levers")]
        l_names = given(levers, [k for k in default_levers if k not in _NOT_DEFAULT_LEVERS])
    for n in (*u_names, *l_names):
        if n not in FLAT_KEYS:
            raise UserError(f"{n!r} is not a landsim parameter")
    return u_names, l_names


def _mean(values: Sequence[float]) -> float:
    """An outcome's mean over the replications."""
    return float(np.mean(values))


def _sd(values: Sequence[float]) -> float:
    """An outcome's standard deviation over the replications (0 for one)."""
    return float(np.std(values, ddof=1)) if len(values) > 1 else 0.0


def _scenario_params(source: str | os.PathLike[str]) -> Params:
    from landsim.scenario import load_scenario

    return load_scenario(source).params


def _experiment(source: Any):
    """The experiment ``source`` names, or ``None`` when it is a scenario."""
    if isinstance(source, Params):
        return None
    from landsim import bundled
    from landsim.errors import UserError
    from landsim.sweep.experiment import load_experiment
    from landsim.tomlio import read_toml

    path = Path(source)
    if not path.exists():
        found = bundled.resolve(source, "scenarios")
        path = found if found.exists() else bundled.resolve(source, "experiments")
    try:
        _, data = read_toml(path, str(path), "scenario or experiment file")
    except UserError:
        return None  # loading it as a scenario reports the problem
    return load_experiment(path) if "factors" in data else None
