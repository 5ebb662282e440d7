"""How long does ``landsim --help`` take, and ``landsim COMMAND --help``?

A benchmark, not a test: it starts the console script beside this Python (``landsim``) N times
per command line, alternating the command lines, and reports the median and the worst wall
time of each, against the target of 0.5 s for ``landsim --help`` (issue 28). The time is that
of a whole process: the interpreter starting, the imports, building every sub-command's parser,
printing. ``tests/test_commands.py`` keeps the part that matters from growing back: building
the parsers imports neither pandas, SciPy, NumPy nor the model.

Usage:
    .venv/bin/python benchmarks/cli_startup.py                 # 10 repeats
    .venv/bin/python benchmarks/cli_startup.py --repeats 30

Recorded results: benchmarks/cli_startup.txt. Other load on the machine raises the worst case
more than the median; run it on a quiet one.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

#: the target for ``landsim --help`` (seconds of wall time, median)
TARGET_S = 0.5

COMMAND_LINES = (
    ("--help",),
    ("run", "--help"),
    ("compare", "--help"),
    ("sweep", "--help"),
    ("--version",),
)


def landsim() -> list[str]:
    """The ``landsim`` console script of this environment."""
    script = Path(sys.executable).with_name("landsim")
    return [str(script)] if script.exists() else [sys.executable, "-m", "landsim"]


def time_once(argv: list[str]) -> float:
    """Wall time of one process (s); it must exit with status 0."""
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> int:
    """Time every command line; exit status 1 when ``--help``'s median misses the target."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=10, help="runs of each command line (10)")
    args = p.parse_args()
    base = landsim()
    time_once([*base, "--help"])  # warm the file system cache; not counted
    times: dict[tuple[str, ...], list[float]] = {c: [] for c in COMMAND_LINES}
    for _ in range(args.repeats):
        for line in COMMAND_LINES:
            times[line].append(time_once([*base, *line]))
    print(f"{'command':<28}{'median s':>10}{'worst s':>10}   ({args.repeats} runs each)")
    for line, ts in times.items():
        shown = "landsim " + " ".join(line)
        print(f"{shown:<28}{statistics.median(ts):>10.3f}{max(ts):>10.3f}")
    median = statistics.median(times[("--help",)])
    ok = median <= TARGET_S
    verdict = "met" if ok else "MISSED"
    print(f"\nlandsim --help: median {median:.3f} s, target {TARGET_S} s: {verdict}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
