"""``landsim app``: serve the browser app (map, charts, levers, lessons) with no internet.

The page is solara's, served by uvicorn in this process. Everything the browser loads comes
from this server: solara's JavaScript and CSS from the ``solara-assets`` package, the app's
lessons from the landsim package. Telemetry is off, and the asset CDN solara would fall back to
is pointed at a dead local port, so a missing asset fails at once and visibly instead of
waiting on a network that a classroom may not have.

The server keeps to itself: the session of a tab that was closed or lost its connection is
culled after ``--cull-after`` (default 5 minutes; solara's own default is 24 hours, ~3 MB a
tab), and everything the server writes (saved tabs and classes, unless ``$LANDSIM_APP_TABS``
and ``$LANDSIM_APP_CLASSES`` place them, and what its libraries keep: IPython, Jupyter,
matplotlib and solara settings, caches and history) goes into its data folder ``--data``
(default ``$XDG_STATE_HOME/landsim/app``, i.e. ``~/.local/state/landsim/app``), never
elsewhere in the user's home.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
import threading
import time
from pathlib import Path

from landsim.errors import UserError

__all__ = ["register", "serve", "offline_environment", "APP_MODULE"]

#: the module whose ``Page`` solara serves
APP_MODULE = "landsim.app.app"

EPILOG = """examples:
  landsim app                          serve on http://127.0.0.1:8765 (open it in a browser)
  landsim app --host 0.0.0.0 --port 8000
                                       let the laptops of a class reach this machine
  landsim app --scenarios my_scenarios/
                                       offer your own scenario files in the picker
  landsim app --region examples/region/region.toml
                                       open with a real place: its map shows the
                                       region's farmland and village outlines
                                       (guide: landsim docs regions)
  landsim app --classroom --host 0.0.0.0
                                       a class plays one shared town: the teacher opens
                                       /teacher, students open /join
                                       (guide: landsim docs classroom)

Works with no internet. Every browser tab gets its own model. Stop with Ctrl-C.
"""


#: the module whose routes ``landsim app --classroom`` serves (the app, /teacher and /join)
CLASSROOM_MODULE = "landsim.app.classroom.pages"
#: how long the session of a dropped tab is kept (a reconnect within it resumes the tab)
CULL_AFTER = "5m"
#: new container objects between two young-generation collections (Python's default is 700)
GC_YOUNG_THRESHOLD = 20_000


def default_data_dir() -> Path:
    """``$XDG_STATE_HOME/landsim/app`` (``~/.local/state/landsim/app`` by default)."""
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "landsim" / "app"


def offline_environment(
    scenarios: Path | None = None,
    classroom: bool = False,
    data: Path | None = None,
    cull_after: str = CULL_AFTER,
    max_sessions: int | None = None,
    region: Path | None = None,
) -> dict[str, str]:
    """Environment variables that make solara serve everything locally and call no one, cull
    dropped tabs after ``cull_after`` and keep every file the server writes inside ``data``
    (and offer the scenario of a ``region`` first)."""
    data = (data or default_data_dir()).resolve()
    env = {
        "SOLARA_KERNEL_CULL_TIMEOUT": cull_after,
        # libraries that would write settings, caches or history into the home folder
        "IPYTHONDIR": str(data / "ipython"),
        "JUPYTER_CONFIG_DIR": str(data / "jupyter" / "config"),
        "JUPYTER_DATA_DIR": str(data / "jupyter" / "data"),
        "JUPYTER_RUNTIME_DIR": str(data / "jupyter" / "runtime"),
        "MPLCONFIGDIR": str(data / "matplotlib"),
        "SOLARA_HOME": str(data / "solara"),
        "SOLARA_TELEMETRY_SERVER_USER_ID": "landsim-app",  # else solara writes one to ~/.solara
        # saved tabs (a tab survives a restart) live in the data folder too, unless placed
        "LANDSIM_APP_TABS": os.environ.get("LANDSIM_APP_TABS") or str(data / "tabs"),
        "SOLARA_APP": CLASSROOM_MODULE if classroom else APP_MODULE,
        "SOLARA_MODE": "production",  # no dev reloader, no solara.dev "check" iframe
        "SOLARA_THEME_SHOW_BANNER": "False",  # its corner badge covered buttons and numbers
        # classes survive a restart: each is saved in the data folder (landsim.app.classroom)
        "LANDSIM_APP_CLASSES": os.environ.get("LANDSIM_APP_CLASSES") or str(data / "classes"),
        "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
        # assets come from solara-assets via /_solara/cdn; a miss must not go to the internet
        "SOLARA_ASSETS_CDN": "http://127.0.0.1:9/offline-cdn/",
        "SOLARA_ASSETS_PROXY": "True",
    }
    if scenarios is not None:
        env["LANDSIM_SCENARIOS"] = str(scenarios.resolve())
    if max_sessions is not None:
        env["LANDSIM_APP_MAX_SESSIONS"] = str(max_sessions)
    if region is not None:
        env["LANDSIM_REGION"] = str(region.resolve())
    return env


def serve(
    host: str,
    port: int,
    scenarios: Path | None = None,
    log_level: str = "warning",
    classroom: bool = False,
    data: Path | None = None,
    cull_after: str = CULL_AFTER,
    max_sessions: int | None = None,
    region: Path | None = None,
) -> None:
    """Serve the app until interrupted (blocks)."""
    _restart_on_system_malloc()
    # solara reads its settings when first imported, so the environment comes first
    env = offline_environment(scenarios, classroom, data, cull_after, max_sessions, region)
    for key in ("IPYTHONDIR", "MPLCONFIGDIR", "SOLARA_HOME"):
        Path(env[key]).mkdir(parents=True, exist_ok=True)
    os.environ.update(env)
    # the app's own log: refused browser input (warning), sessions started and culled (info)
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("landsim app: %(levelname)s: %(message)s"))
    log = logging.getLogger("landsim.app")
    log.addHandler(handler)
    log.setLevel(log_level.upper())
    import uvicorn

    print(f"landsim app: serving on http://{host}:{port}/ (offline; Ctrl-C to stop)", flush=True)
    if classroom:
        from landsim.app.classroom.network import announce

        os.environ.update(announce(host, port))
    _freeze_startup_objects()
    _compile_in_background(log)
    uvicorn.run(
        # solara's app behind landsim's gate: secrets out of addresses, a cap on sessions, and
        # the allow-list of what a browser may send (landsim/app/server.py, boundary.py)
        "landsim.app.server:app",
        host=host,
        port=port,
        log_level=log_level,
        ws="auto",
        # no websocket compression: on a school network or this machine the bytes are cheap,
        # and deflating every widget update was the server's largest single cost with forty
        # students (py-spy, benchmarks/classroom_load.py)
        ws_per_message_deflate=False,
    )


def _compile_in_background(log: logging.Logger) -> threading.Thread:
    """Compile the model's kernels (:func:`landsim.runner.compile_kernels`) in a daemon thread
    while the server starts (a child process compiling half of them beside it), so that the
    first page after installing does not wait ~45 s for them; a page opened meanwhile waits
    only for what is left. A failure is logged, not fatal:
    the page would compile what it needs itself."""

    def work() -> None:
        from landsim.runner import compile_kernels_in_two

        t0 = time.perf_counter()
        try:
            compile_kernels_in_two()
        except Exception:  # noqa: BLE001 - the server serves on; the page compiles on demand
            log.exception("compiling the model's kernels ahead of the first page failed")
            return
        log.info("the model's kernels are ready (%.1f s)", time.perf_counter() - t0)

    thread = threading.Thread(target=work, name="landsim-compile", daemon=True)
    thread.start()
    return thread


def _restart_on_system_malloc() -> None:
    """Restart this process (same id, same arguments) with Python's objects on the C
    allocator, so that the memory of culled sessions goes back to the system (on glibc, and
    only when ``landsim`` itself is the program: see
    :func:`landsim.app.lifecycle.system_malloc_env`)."""
    from landsim.app.lifecycle import system_malloc_env

    env = system_malloc_env()
    program = Path(sys.argv[0])
    ours = program.name == "landsim" or program.parts[-2:] == ("landsim", "__main__.py")
    if env is not None and ours and "app" in sys.argv[1:]:
        os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], env)


#: imported before serving so that their objects are frozen (the app's own page modules are
#: not: solara loads those itself, and a page module imported twice keeps its sessions' state)
LIBRARIES = (
    "solara.server.starlette",
    "landsim.app.server",
    "numpy",
    "pandas",
    "matplotlib.pyplot",
    "PIL.Image",
    "landsim.model",
)


def _freeze_startup_objects() -> None:
    """Import the libraries the server will run, then move every object alive now to the
    garbage collector's permanent generation.

    The libraries' hundreds of thousands of objects (modules, classes, functions, traitlets)
    live as long as the server, but Python's full collection would walk them all each time,
    stopping every page's updates for a few hundred milliseconds in the middle of a class
    (benchmarks/classroom_load.py). Frozen, a full collection walks only what sessions made.
    Collections also start after 20,000 new container objects instead of 700: a page's redraw
    makes thousands, and a full collection then comes about 30 times less often.
    """
    import gc
    import importlib

    for name in LIBRARIES:
        importlib.import_module(name)
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be between 1 and 65535, got {value}")
    return value


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _run(args: argparse.Namespace) -> int:
    if args.scenarios is not None and not args.scenarios.is_dir():
        raise UserError(f"--scenarios {args.scenarios}: not a folder of scenario files")
    if not re.fullmatch(r"\d+(\.\d+)?[smhd]?", args.cull_after):
        raise UserError(f"--cull-after {args.cull_after}: must be a duration such as 90s, 5m or 1h")
    if args.region is not None:
        _check_region(args.region)
    serve(
        args.host,
        args.port,
        args.scenarios,
        args.log_level,
        args.classroom,
        args.data,
        args.cull_after,
        args.max_sessions,
        args.region,
    )
    return 0


def _check_region(path: Path) -> None:
    """``--region FILE``: a scenario (with a plain name) whose region loads, checked before the
    server starts, so a bad file is one line now rather than an error page later.

    Raises:
        UserError: the file is not such a scenario, or its region has a problem.
    """
    from landsim.scenario import load_scenario

    if path.suffix != ".toml" or not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", path.stem):
        raise UserError(
            f"--region {path}: must be a scenario file (.toml, a name of letters, digits, - "
            "and _) whose [world] names a region's files"
        )
    if not load_scenario(path).params.world.is_region:
        raise UserError(f"--region {path}: its [world] names no land_raster (docs/regions.md)")


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``app`` sub-command."""
    parser = sub.add_parser(
        "app",
        help="serve the browser app for teaching and exploring (works offline)",
        description="Serve the landsim browser app: the town map, outcome charts, policy "
        "levers, compare mode and guided lessons in English and Chinese.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: %(default)s, this machine only)",
    )
    parser.add_argument(
        "--port", type=_port, default=8765, help="port to listen on (default: %(default)s)"
    )
    parser.add_argument(
        "--scenarios",
        type=Path,
        default=None,
        metavar="DIR",
        help="folder of scenario files for the picker (default: the bundled scenarios/)",
    )
    parser.add_argument(
        "--region",
        type=Path,
        default=None,
        metavar="FILE",
        help="a scenario whose [world] names a region's files: the app offers it first and "
        "opens with it (needs the [gis] extra)",
    )
    parser.add_argument(
        "--classroom",
        action="store_true",
        help="classroom mode: the teacher starts a class at /teacher and students join at "
        "/join to play households, Party branches or the town government in one town",
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=None,
        metavar="DIR",
        help="the server's data folder: it writes nowhere else (default: "
        "$XDG_STATE_HOME/landsim/app)",
    )
    parser.add_argument(
        "--cull-after",
        default=CULL_AFTER,
        metavar="TIME",
        help="forget the session of a closed or disconnected tab after this long (default: "
        "%(default)s; e.g. 90s, 10m, 1h)",
    )
    parser.add_argument(
        "--max-sessions",
        type=_positive,
        default=None,
        metavar="N",
        help="most pages the server keeps in memory at once, open or dropped and not yet "
        "culled; a new page beyond them is told the server is full (default: 400)",
    )
    parser.add_argument(
        "--log-level",
        default="warning",
        choices=["critical", "error", "warning", "info", "debug"],
        help="server log level (default: %(default)s)",
    )
    parser.set_defaults(func=_run)
