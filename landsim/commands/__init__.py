"""The sub-commands of ``landsim``: one module each, registered by :mod:`landsim.cli`."""
