"""The optional parts of landsim and what a command says when one is not installed.

``pip install landsim`` brings the core: ``run``, ``compare``, ``check``, ``scenarios``,
``init``, ``validate``, ``bench`` and the browser app. The rest comes with an *extra*
(``pip install 'landsim[sweep]'``), declared in ``pyproject.toml``:

=============  ===================  ==============================================================
extra          brings               for
=============  ===================  ==============================================================
``sweep``      SALib                ``landsim sweep``, ``landsim analyze``
``calibrate``  pyabc                ``landsim calibrate``
``ema``        EMA Workbench        :mod:`landsim.ema`, ``landsim analyze --discover``
``cluster``    Dask distributed     ``--executor dask://HOST:PORT``
``gis``        rasterio, pyogrio,   regions (``[world] land_raster``), ``--maps``
               shapely
``all``        every extra above
=============  ===================  ==============================================================

:func:`require` checks that an extra's libraries can be found (without importing them, so the
check costs nothing) and otherwise stops the command with one line naming the extra to install
(:class:`MissingExtra`, a :class:`~landsim.errors.UserError`: exit status 2).
"""

from __future__ import annotations

import importlib.util

from landsim.errors import UserError

__all__ = ["EXTRAS", "MissingExtra", "require", "installed"]

#: each extra's top-level modules (import names), as pyproject.toml's optional dependencies
EXTRAS: dict[str, tuple[str, ...]] = {
    "sweep": ("SALib",),
    "calibrate": ("pyabc",),
    "ema": ("ema_workbench",),
    "cluster": ("dask", "distributed"),
    "gis": ("rasterio", "pyogrio", "shapely"),
}


class MissingExtra(UserError):
    """A command needs an extra that is not installed."""


def _missing(extra: str) -> list[str]:
    missing = []
    for module in EXTRAS[extra]:
        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):  # a parent that fails, or a module set to None
            found = False
        if not found:
            missing.append(module)
    return missing


def installed(extra: str) -> bool:
    """True when every library of ``extra`` can be imported."""
    return not _missing(extra)


def require(extra: str, what: str) -> None:
    """Stop with a one-line :class:`MissingExtra` unless ``extra`` is installed.

    Args:
        extra: a key of :data:`EXTRAS`.
        what: what needs it, as the user typed it (``"landsim sweep"``).

    Raises:
        MissingExtra: naming ``what``, the missing libraries and the ``pip install`` line.
    """
    missing = _missing(extra)
    if missing:
        verb = "is" if len(missing) == 1 else "are"
        raise MissingExtra(
            f"{what} needs the [{extra}] extra ({' and '.join(missing)} {verb} not installed): "
            f"pip install 'landsim[{extra}]'"
        )
