"""Time two copies of landsim against each other in one session, interleaved.

Used for issue 22 (the model core split into phase modules must not be slower): each round
runs, in a fresh child process per copy (the order of the copies alternates from round to
round, so neither always runs on a cooler or warmer machine), the default town ``--town-runs``
times (seeds 1, 2, ...) and the county of ``landsim bench`` (1,000,000 plots) once, 30 years
each, with ``time_run`` of that copy (``landsim.timing``, ``landsim.bench`` before issue 22).
It prints the medians per copy and writes every run to JSON.

    git archive <commit> | tar -x -C /tmp/before       # the code before
    .venv/bin/python benchmarks/before_after.py --copy before=/tmp/before --copy after=. \
        --rounds 5 --out benchmarks/issue22_before_after.json

Each copy is put first on ``PYTHONPATH``; both use this virtual environment's packages.
Check ``uptime`` first: other work on the machine inflates wall times (cpu s varies less).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

CHILD = r"""
import json, os, sys, time
import landsim
# time_run is in landsim/timing.py since issue 22, landsim/bench.py before (the copy's own
# files decide: an editable install may lend the package modules of another tree)
if os.path.exists(os.path.join(landsim.__path__[0], "timing.py")):
    import landsim.timing as b
else:
    import landsim.bench as b
import landsim.model  # imports are not part of a run's time
spec = json.loads(sys.argv[1])
out = {"landsim": landsim.model.__file__, "timing": b.__file__, "town": [], "county": []}
town = b.town_size()
for seed in range(1, spec["town_runs"] + 1):
    t = b.time_run(town, spec["years"], seed)
    out["town"].append({"wall_s": t.wall_s, "cpu_s": t.cpu_s})
if spec["county_plots"]:
    t = b.time_run(b.county_size(spec["county_plots"]), spec["years"], 1)
    out["county"].append({"wall_s": t.wall_s, "cpu_s": t.cpu_s})
print(json.dumps(out))
"""


def _run_copy(root: Path, spec: dict) -> dict:
    load = os.getloadavg()[0]
    env = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(spec)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd="/",
    )
    got = json.loads(done.stdout.strip().splitlines()[-1])
    for run in got["town"] + got["county"]:
        run["load_before"] = load  # the 1-minute load average when this copy's child started
    return got


def main(argv: list[str] | None = None) -> int:
    """Run the rounds, print medians, write the JSON record."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--copy", action="append", required=True, help="NAME=PATH of a source tree")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--town-runs", type=int, default=5)
    ap.add_argument("--years", type=int, default=30)
    ap.add_argument("--county-plots", type=int, default=1_000_000)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    copies = dict(c.split("=", 1) for c in args.copy)
    spec = {"town_runs": args.town_runs, "years": args.years, "county_plots": args.county_plots}
    runs: dict[str, dict[str, list]] = {n: {"town": [], "county": []} for n in copies}
    loads = [os.getloadavg()[0]]
    for r in range(args.rounds):
        names = list(copies) if r % 2 == 0 else list(copies)[::-1]
        for name in names:
            got = _run_copy(Path(copies[name]).resolve(), spec)
            for k in ("town", "county"):
                runs[name][k] += got[k]
            print(f"round {r + 1} {name}: {got['landsim']}, {got['timing']}", file=sys.stderr)
        loads.append(os.getloadavg()[0])
    summary = {}
    for name, got in runs.items():
        summary[name] = {
            k: {
                "median_wall_s": statistics.median(x["wall_s"] for x in got[k]),
                "median_cpu_s": statistics.median(x["cpu_s"] for x in got[k]),
                "runs": len(got[k]),
            }
            for k in ("town", "county")
            if got[k]
        }
    record = {"spec": spec, "copies": copies, "load_average": loads, "summary": summary}
    record["runs"] = runs
    args.out.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    for name, s in summary.items():
        cells = "  ".join(
            f"{k}: wall {v['median_wall_s']:.3f} s, cpu {v['median_cpu_s']:.3f} s"
            f" ({v['runs']} runs)"
            for k, v in s.items()
        )
        print(f"{name:<8} {cells}")
    print(f"load average during the session: {min(loads):.2f}-{max(loads):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
