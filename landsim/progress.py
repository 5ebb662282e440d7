"""Progress bars that suit where they are shown: a live bar in a terminal, lines in a log.

tqdm redraws its bar in place with carriage returns, which a terminal understands and a log
file (``landsim sweep ... 2> sweep.log``, a batch job's output) keeps as one endless line of
bars separated by carriage returns. :func:`progress` gives tqdm's bar when stderr is a
terminal; elsewhere, for long work (a sweep, a validation, a calibration, the benchmark),
:class:`LogLines` — the same text as whole lines, at most one every :data:`LOG_EVERY` seconds,
plus the final count — and for short work (a comparison, an analysis) nothing.
"""

from __future__ import annotations

import sys
from typing import Any

from tqdm import tqdm

__all__ = ["progress", "LogLines", "LOG_EVERY"]

#: seconds between two progress lines in a log
LOG_EVERY = 30.0


class LogLines(tqdm):
    """tqdm that writes whole lines and never a carriage return (for logs and pipes)."""

    def display(self, msg: str | None = None, pos: int | None = None) -> bool:
        """Write the bar's text as one line (an empty message, tqdm's way to clear, writes
        nothing)."""
        text = self.__str__() if msg is None else msg
        if not text:
            return False
        self.fp.write(text + "\n")
        self.fp.flush()
        return True

    def clear(self, nolock: bool = False) -> None:
        """Nothing to clear: lines already written stay."""

    def close(self) -> None:
        """Write the final count (unless it is the last line written), then close."""
        if not self.disable and getattr(self, "last_print_n", self.n) != self.n:
            self.display()
        super().close()


def progress(
    total: int | None,
    desc: str,
    unit: str = "run",
    show: bool = True,
    in_logs: bool = True,
    **kwargs: Any,
) -> tqdm:
    """A progress bar on stderr: tqdm's in a terminal, else :class:`LogLines` or nothing.

    Args:
        total: steps expected.
        desc: what is counted (the bar's label).
        unit: the name of one step.
        show: False for a bar that shows nothing (``--no-progress``).
        in_logs: when stderr is not a terminal, write lines (True: long work) or nothing.
        **kwargs: passed on to tqdm (``smoothing``, ``iterable``, ...).
    """
    stream = sys.stderr
    if not show or not (in_logs or stream.isatty()):
        return tqdm(total=total, desc=desc, unit=unit, disable=True, **kwargs)
    if stream.isatty():
        return tqdm(total=total, desc=desc, unit=unit, dynamic_ncols=True, file=stream, **kwargs)
    # leave=False: tqdm's own closing newline would follow our last line as an empty one
    kwargs.pop("leave", None)
    kwargs.setdefault("mininterval", LOG_EVERY)
    return LogLines(total=total, desc=desc, unit=unit, file=stream, leave=False, **kwargs)
