#!/usr/bin/env bash
# What a new user's `pip install` costs: the core wheel, then each extra, in fresh virtual
# environments made in an empty folder, from the package index (needs the network, so CI does
# not run it; tests/test_packaging.py checks the same things offline on every run).
#
#   benchmarks/fresh_install.sh                 # the report; recorded in benchmarks/fresh_install.txt
#   PYTHON=python3.12 benchmarks/fresh_install.sh
#
# For each install it reports the distributions pip installed (its "Successfully installed"
# line: everything, landsim included), the wall time of `pip install` (downloads included: the
# core starts from an empty pip cache; the extras reuse what the core downloaded) and the size
# of the environment. The core environment must hold none of pyabc, EMA Workbench, Dask,
# SALib or what they bring; then it runs the README's example, `landsim compare baseline
# coop_fixed_rent --replicates 3`, from an empty folder. Each extra is installed in a fresh
# environment of its own and its command is run on a tiny world. Times depend on the network
# and the machine: the report says when and where.
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
# the interpreter itself, not a version manager's shim that depends on the current folder
PYTHON="$(cd "$REPO" && "${PYTHON:-python3.12}" -c 'import sys; print(sys.executable)')"
WORK="$(mktemp -d)"
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT
export PIP_CACHE_DIR="$WORK/pip-cache"  # empty: the core's install downloads everything
cd "$WORK"

echo "landsim fresh install, $(date -u +%Y-%m-%dT%H:%MZ), $(uname -sm), $(nproc) cores, Python $("$PYTHON" -c "import platform; print(platform.python_version())")"
echo "source: $(git -C "$REPO" describe --always --dirty 2>/dev/null || echo '?')"
"$PYTHON" -m pip wheel --no-deps -q -w dist "$REPO" >/dev/null
WHEEL="$(ls "$WORK"/dist/landsim-*.whl)"
echo "wheel: $(basename "$WHEEL") ($(du -k "$WHEEL" | cut -f1) kB)"

# install SPEC into a fresh environment VENV; print what it installed, how long it took, size
install() {
    local venv="$1" spec="$2" shown="$3" log t0 t1 n
    log="$WORK/$(basename "$venv").log"
    "$PYTHON" -m venv "$venv"
    t0=$(date +%s.%N)
    "$venv/bin/python" -m pip install --disable-pip-version-check "$spec" >"$log"
    t1=$(date +%s.%N)
    n=$(grep '^Successfully installed' "$log" | wc -w)
    printf '%-20s %4d distributions  %5.0f s  %6s\n' "$shown" "$((n - 2))" \
        "$(echo "$t1 - $t0" | bc)" "$(du -sh "$venv" | cut -f1)"
}

echo
echo "install              installed           time  venv size"
install "$WORK/core" "$WHEEL" "landsim (core)"
heavy=$("$WORK/core/bin/python" -m pip list --format=freeze 2>/dev/null | grep -i -E \
    '^(pyabc|ema.workbench|dask|distributed|salib|scikit.learn|statsmodels|redis|sqlalchemy|gitpython|rasterio|pyogrio|shapely)==' || true)
if [ -n "$heavy" ]; then echo "FAIL: the core holds $heavy"; exit 1; fi
echo "the core holds none of pyabc, EMA Workbench, Dask, SALib, scikit-learn, statsmodels, redis, SQLAlchemy, GitPython, rasterio, pyogrio, shapely"

mkdir "$WORK/empty"
cd "$WORK/empty"
t0=$(date +%s.%N)
"$WORK/core/bin/landsim" compare baseline coop_fixed_rent --replicates 3 >compare.txt 2>&1
t1=$(date +%s.%N)
printf 'landsim compare baseline coop_fixed_rent --replicates 3, from an empty folder: ok in %.0f s\n' \
    "$(echo "$t1 - $t0" | bc)"

tiny='[world]
width = 20
height = 10
villages_x = 2
villages_y = 1
households_per_village = 20'
printf 'outcomes = ["abandonment_rate"]\n[design]\nkind = "latin"\nsamples = 4\n[factors."assumptions.aging_speed"]\nrange = [0.8, 1.6]\n[run]\nreplicates = 1\nseed = 3\nyears = 2\n%s\n' \
    "$tiny" >latin.toml
printf 'title = "tiny"\n[levers]\ncoop_founding = "all"\n[run]\nyears = 2\nreplicates = 2\nseed = 1\n%s\n' \
    "$tiny" >tiny.toml

ok() { echo "  [$1] $2: ok"; }
check_extra() {
    local extra="$1" bin="$WORK/$1/bin"
    case "$extra" in
    sweep)
        "$bin/landsim" sweep latin.toml --out swept --executor serial >/dev/null 2>&1
        "$bin/landsim" analyze swept --no-figures >/dev/null 2>&1
        ok sweep "landsim sweep (a Latin hypercube) and landsim analyze" ;;
    calibrate)
        "$bin/landsim" calibrate calibrate_town --size S --seeds 1 --population 2 \
            --generations 1 --predictive-draws 2 --executor serial --out cal >/dev/null 2>&1
        ok calibrate "landsim calibrate calibrate_town --size S --seeds 1 --population 2 --generations 1" ;;
    ema)
        "$bin/python" -c "from landsim.examples.ema_prim import main
main(scenarios=8, years=2, replications=2,
     world=dict(width=20, height=10, villages_x=2, villages_y=1, households_per_village=20))" \
            >/dev/null 2>&1
        ok ema "the shipped EMA example (landsim.examples.ema_prim) with replications" ;;
    cluster)
        "$bin/dask" scheduler --host 127.0.0.1 --port 8799 --no-dashboard >/dev/null 2>&1 &
        PIDS+=("$!")
        for _ in $(seq 60); do  # wait until the scheduler listens (at most 30 s)
            (exec 3<>/dev/tcp/127.0.0.1/8799) 2>/dev/null && break
            sleep 0.5
        done
        "$bin/dask" worker tcp://127.0.0.1:8799 --nthreads 1 --no-dashboard >/dev/null 2>&1 &
        PIDS+=("$!")
        "$bin/landsim" compare tiny.toml --executor dask://127.0.0.1:8799 --out dask >/dev/null 2>&1
        ok cluster "landsim compare --executor dask://"
        for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
        wait "${PIDS[@]}" 2>/dev/null || true
        PIDS=() ;;
    gis)
        "$bin/landsim" init study >/dev/null 2>&1
        "$bin/landsim" run study/examples/region/region.toml --years 2 --maps --microdata \
            --out region >/dev/null 2>&1
        test -f region/maps/plot_kind.tif && test -f region/households.parquet
        ok gis "landsim run of the example region (landsim init) with --maps --microdata" ;;
    esac
}

for extra in sweep calibrate ema cluster gis; do
    install "$WORK/$extra" "$WHEEL[$extra]" "landsim[$extra]"
    check_extra "$extra"
    rm -rf "${WORK:?}/$extra"
done
