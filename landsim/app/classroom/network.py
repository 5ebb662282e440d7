"""The address students open, and the warning printed when a class is opened to a network."""

from __future__ import annotations

import socket

__all__ = ["lan_address", "announce"]

WARNING = (
    "WARNING: classroom mode on {host}: anyone on this network who has a class code can join "
    "that class. Use it on a school network you trust, and stop the server after the class."
)


def lan_address() -> str:
    """This machine's address on its local network (no packet is sent), or 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 1))  # picks the outgoing interface; sends nothing
            return s.getsockname()[0]
        except OSError:
            return "127.0.0.1"


def announce(host: str, port: int) -> dict[str, str]:
    """Print the teacher's and the students' addresses (and, off this machine, a warning);
    return the environment the pages read the join address from."""
    shown = lan_address() if host in ("0.0.0.0", "::", "") else host
    join = f"http://{shown}:{port}/join"
    print(f"landsim classroom: teacher opens http://{shown}:{port}/teacher", flush=True)
    print(f"landsim classroom: students open {join}", flush=True)
    if host not in ("127.0.0.1", "localhost", "::1"):
        print(WARNING.format(host=host), flush=True)
    return {"LANDSIM_CLASSROOM_URL": join}
