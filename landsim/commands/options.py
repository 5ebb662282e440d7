"""Options several commands share: argparse types and the flags that size a run.

Only the standard library (and :mod:`landsim.limits`, which needs no more) is imported here:
``landsim --help`` builds every command's parser, and must not wait for pandas or SciPy
(``benchmarks/cli_startup.py`` times it).

* :func:`positive_int`, :func:`seed_int`, :func:`conf_level` — argparse types;
* :func:`add_size_options` — ``--size``, ``--replicates``/``--seeds`` and ``--years``, the
  flags that shrink a sweep or a calibration for a quick look (as ``compare`` and ``validate``
  take them);
* :func:`add_conf_level_option`, :func:`add_out_options` — ``--conf-level`` and
  ``--out DIR``/``--force`` of the commands that write a results folder (``compare``,
  ``decompose``);
* :data:`SIZE_NAMES` — the world sizes of ``landsim validate`` (``landsim.validation.SIZES``).
"""

from __future__ import annotations

import argparse

from landsim.limits import SEED_MAX  # standard library only, like this module

__all__ = [
    "positive_int",
    "seed_int",
    "conf_level",
    "add_size_options",
    "add_conf_level_option",
    "add_out_options",
    "size_changes",
    "SIZE_NAMES",
]

#: the world sizes ``--size`` takes (``landsim.validation.SIZES``; a test keeps them equal)
SIZE_NAMES = ("S", "D", "L")


def _whole_number(text: str, minimum: int, maximum: int | None = None) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise argparse.ArgumentTypeError(f"must be at most {maximum}, got {value}")
    return value


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    return _whole_number(text, 1)


def seed_int(text: str) -> int:
    """An argparse type: a seed, a whole number from 0 to 2**63 - 1 (64-bit, as in TOML)."""
    return _whole_number(text, 0, SEED_MAX)


def conf_level(text: str) -> float:
    """An argparse type: a confidence level strictly between 0 and 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number such as 0.95, got {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1 (e.g. 0.95), got {value:g}")
    return value


def _size(text: str) -> str:
    size = text.strip().upper()
    if size not in SIZE_NAMES:
        raise argparse.ArgumentTypeError(
            f"must be one of {', '.join(SIZE_NAMES)} (the world sizes of landsim validate), "
            f"got {text!r}"
        )
    return size


def add_size_options(p: argparse.ArgumentParser, runs: str, runs_help: str) -> None:
    """Add ``--size S|D|L``, ``--RUNS N`` (``--replicates`` or ``--seeds``) and ``--years N``.

    Args:
        p: the command's parser.
        runs: ``"replicates"`` (as ``compare``) or ``"seeds"`` (as ``validate``).
        runs_help: what that flag overrides, for ``--help``.
    """
    p.add_argument(
        "--size",
        type=_size,
        metavar="S|D|L",
        help="world size, as landsim validate's: S four villages of 100 households, L 24 "
        "villages of 100, D the file's own town (the default)",
    )
    p.add_argument(f"--{runs}", type=positive_int, metavar="N", help=runs_help)
    p.add_argument(
        "--years", type=positive_int, metavar="N", help="years per run (default: the file's)"
    )


def add_conf_level_option(p: argparse.ArgumentParser) -> None:
    """Add ``--conf-level L`` (default 0.95), the confidence level of every interval."""
    p.add_argument(
        "--conf-level",
        type=conf_level,
        default=0.95,
        metavar="L",
        help="confidence level of every interval (default: 0.95)",
    )


def add_out_options(p: argparse.ArgumentParser, default_out: str) -> None:
    """Add ``--out DIR`` (default ``default_out``, or ``default_out-2`` ... when that holds
    results: nothing is overwritten) and ``--force`` (replace earlier results in ``--out``)."""
    p.add_argument(
        "--out",
        metavar="DIR",
        help=f"output folder (default: {default_out}, or {default_out}-2 ... if it holds results)",
    )
    p.add_argument("--force", action="store_true", help="replace earlier results in --out")


def size_changes(size: str | None) -> dict[str, int]:
    """The ``world.*`` settings of ``--size`` (empty without it)."""
    if size is None:
        return {}
    from landsim.validation import SIZES

    return dict(SIZES[size])
