"""``landsim app``: serve the browser app (map, charts, levers, lessons) with no internet.

The page is solara's, served by uvicorn in this process. Everything the browser loads comes
from this server: solara's JavaScript and CSS from the ``solara-assets`` package, the app's
lessons from the landsim package. Telemetry is off, and the asset CDN solara would fall back to
is pointed at a dead local port, so a missing asset fails at once and visibly instead of
waiting on a network that a classroom may not have.
"""

from __future__ import annotations

import argparse
import os
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
  landsim app --classroom --host 0.0.0.0
                                       a class plays one shared town: the teacher opens
                                       /teacher, students open /join (docs/classroom.md)

Works with no internet. Every browser tab gets its own model. Stop with Ctrl-C.
"""


#: the module whose routes ``landsim app --classroom`` serves (the app, /teacher and /join)
CLASSROOM_MODULE = "landsim.app.classroom.pages"


def offline_environment(scenarios: Path | None = None, classroom: bool = False) -> dict[str, str]:
    """Environment variables that make solara serve everything locally and call no one."""
    env = {
        "SOLARA_APP": CLASSROOM_MODULE if classroom else APP_MODULE,
        "SOLARA_MODE": "production",  # no dev reloader, no solara.dev "check" iframe
        "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
        # assets come from solara-assets via /_solara/cdn; a miss must not go to the internet
        "SOLARA_ASSETS_CDN": "http://127.0.0.1:9/offline-cdn/",
        "SOLARA_ASSETS_PROXY": "True",
    }
    if scenarios is not None:
        env["LANDSIM_SCENARIOS"] = str(scenarios.resolve())
    return env


def serve(
    host: str,
    port: int,
    scenarios: Path | None = None,
    log_level: str = "warning",
    classroom: bool = False,
) -> None:
    """Serve the app until interrupted (blocks)."""
    # solara reads its settings when first imported, so the environment comes first
    os.environ.update(offline_environment(scenarios, classroom))
    import uvicorn

    print(f"landsim app: serving on http://{host}:{port}/ (offline; Ctrl-C to stop)", flush=True)
    if classroom:
        from landsim.app.classroom.network import announce

        os.environ.update(announce(host, port))
    uvicorn.run("solara.server.starlette:app", host=host, port=port, log_level=log_level, ws="auto")


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be between 1 and 65535, got {value}")
    return value


def _run(args: argparse.Namespace) -> int:
    if args.scenarios is not None and not args.scenarios.is_dir():
        raise UserError(f"--scenarios {args.scenarios}: not a folder of scenario files")
    serve(args.host, args.port, args.scenarios, args.log_level, args.classroom)
    return 0


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
        "--classroom",
        action="store_true",
        help="classroom mode: the teacher starts a class at /teacher and students join at "
        "/join to play households, Party branches or the town government in one town",
    )
    parser.add_argument(
        "--log-level",
        default="warning",
        choices=["critical", "error", "warning", "info", "debug"],
        help="server log level (default: %(default)s)",
    )
    parser.set_defaults(func=_run)
