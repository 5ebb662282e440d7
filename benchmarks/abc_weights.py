"""Do ABC-SMC's importance weights collapse? A toy problem with the bundled calibration's shape.

Ten parameters with uniform priors on [0, 1]; twelve targets, each a sparse linear combination
of the parameters plus noise (sd 0.05) that must fall inside a range; the distance is the
root sum of squares of how far each target falls outside its range, in tolerances of 0.05
(as ``landsim.calibration.smc.RangeDistance``). 120 particles, 8 generations, pyabc's
one-process sampler. For each proposal it prints the effective particles (Kish's effective
sample size of the weights) per generation, epsilon and the simulations used.

    python benchmarks/abc_weights.py scale1 0     # pyabc's kernel (scaling 1), seed 0
    python benchmarks/abc_weights.py scale2 0     # the kernel's covariance doubled
    (proposals: scale1, scale1.5, scale2, defensive, local)

Results of 2026-12-07: docs/validation.md, Calibration, *A wider proposal kernel*.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile

import numpy as np
import pandas as pd
import pyabc

D, K, TOLERANCE = 10, 12, 0.05
_rng = np.random.default_rng(1)
A = _rng.normal(size=(K, D)) * (_rng.random((K, D)) < 0.35)
LOW = np.quantile(_rng.random((5000, D)) @ A.T, 0.35, axis=0)
HIGH = LOW + np.abs(A).sum(1) * 0.25


def model(p: dict) -> dict:
    """The twelve targets at parameters ``p``, with noise."""
    theta = np.array([p[f"x{i}"] for i in range(D)])
    return {"y": A @ theta + np.random.normal(0, TOLERANCE, K)}


def distance(x: dict, _observed: dict) -> float:
    """Tolerances outside the ranges, root sum of squares (0 when every target is inside)."""
    out = np.maximum(LOW - x["y"], 0) + np.maximum(x["y"] - HIGH, 0)
    return float(np.sqrt(np.sum((out / TOLERANCE) ** 2)))


class Defensive(pyabc.MultivariateNormalTransition):
    """pyabc's kernel, with a share ``alpha`` of the proposals drawn from the prior (the unit
    box), which bounds every importance weight by 1 / alpha."""

    def __init__(self, alpha: float = 0.1) -> None:
        super().__init__()
        self.alpha = alpha

    def rvs_single(self) -> pyabc.Parameter:
        """One proposal: from the prior with chance alpha, else from the kernel."""
        if np.random.random() < self.alpha:
            return pyabc.Parameter({c: np.random.random() for c in self.X.columns})
        return super().rvs_single()

    def rvs(self, size: int | None = None):
        """``size`` proposals (one Parameter when None)."""
        if size is None:
            return self.rvs_single()
        return pd.DataFrame([dict(self.rvs_single()) for _ in range(size)])

    def pdf(self, x):
        """The mixture's density: alpha x the prior's + (1 - alpha) x the kernel's."""
        kde = super().pdf(x)
        if isinstance(x, (pyabc.Parameter, pd.Series)):
            v = np.array([x[k] for k in self.X.columns])
            inside = float(np.all((v >= 0) & (v <= 1)))
        else:
            v = x[self.X.columns].to_numpy()
            inside = np.all((v >= 0) & (v <= 1), axis=1).astype(float)
        return self.alpha * inside + (1 - self.alpha) * kde


PROPOSALS = {
    "scale1": lambda: pyabc.MultivariateNormalTransition(),
    "scale1.5": lambda: pyabc.MultivariateNormalTransition(scaling=1.5),
    "scale2": lambda: pyabc.MultivariateNormalTransition(scaling=2.0),
    "defensive": lambda: Defensive(0.1),
    "local": lambda: pyabc.LocalTransition(k_fraction=0.25),
}


def main(argv: list[str]) -> None:
    """Run one proposal on one seed and print its line."""
    which, seed = argv[0], int(argv[1]) if len(argv) > 1 else 0
    logging.getLogger("ABC").setLevel(logging.WARNING)
    np.random.seed(seed)
    prior = pyabc.Distribution(**{f"x{i}": pyabc.RV("uniform", 0, 1) for i in range(D)})
    abc = pyabc.ABCSMC(
        model,
        prior,
        distance,
        population_size=120,
        transitions=PROPOSALS[which](),
        sampler=pyabc.sampler.SingleCoreSampler(),
    )
    abc.new("sqlite:///" + os.path.join(tempfile.mkdtemp(), "abc.db"), {"y": np.zeros(K)})
    hist = abc.run(max_nr_populations=8, minimum_epsilon=0.0)
    ess = []
    for t in range(hist.max_t + 1):
        _, w = hist.get_distribution(t=t)
        ess.append(f"{pyabc.weighted_statistics.effective_sample_size(np.asarray(w)):.0f}")
    pops = hist.get_all_populations()
    print(
        f"{which} seed {seed}: effective particles {' '.join(ess)} | epsilon "
        f"{' '.join(f'{e:.1f}' for e in pops.epsilon[1:])} | simulations "
        f"{int(pops.samples[1:].sum())}"
    )


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in PROPOSALS:
        sys.exit(__doc__)
    main(sys.argv[1:])
