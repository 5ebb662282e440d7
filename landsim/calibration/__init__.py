"""Calibration: approximate Bayesian computation (ABC-SMC, with pyabc) of unsourced parameters.

A calibration file names the parameters to estimate — only those the baseline scenario marks
"assumption" — with a uniform prior range and unit each, and the *targets*: levels of the
validation patterns file (``hilly abandonment at year 30`` ...) or pattern checks named by
label (their effect must clear the threshold by a margin), with a tolerance each. A particle's
distance is how far its levels fall outside their sourced ranges, in tolerances (0 when every
target is inside).

Parts:

* :mod:`landsim.calibration.config` — :func:`load_config`, the checked calibration file;
* :mod:`landsim.calibration.smc` — the simulator (a picklable ``parameters -> levels``), the
  distance, and :func:`run_abc` (generation by generation, resumable from pyabc's database);
* :mod:`landsim.calibration.outputs` — the posterior (Parquet), the diagnostics (marginals,
  pair plot, epsilon and acceptance per generation, posterior-predictive check) and
  ``calibrated.toml``.
"""

from landsim.calibration.config import CalibrationConfig, load_config

__all__ = ["CalibrationConfig", "load_config"]
