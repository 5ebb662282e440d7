"""Compiled kernel of the ledger's posts (:meth:`landsim.ledger.Ledger.post`).

Summary: :func:`post_flows` makes one post's entries exactly as
:meth:`landsim.ledger.Ledger._post_reference` does with NumPy: each amount rounded to whole
fen (``rint(amount x 100)``), flows of no more than zero fen dropped, payers and payees
broadcast against the amounts (NaN amounts, and those too large for ``int64``, dropped as
the reference's cast on x86-64 drops them), and every kept flow added to the payer's outflow and the
payee's inflow and moved between their balances. Balances are whole fen (``int64``), so the
order in which flows are added cannot change them; the entries kept are the reference's, in
its order (``tests/test_kernels_farming.py``).
"""

from __future__ import annotations

import numpy as np

from landsim.compiled import kernel

__all__ = ["post_flows"]

#: 2**63: fen at or above it do not fit ``int64`` (NumPy's cast makes them negative on x86-64)
_INT64_END = 9.223372036854775807e18


@kernel
def post_flows(payer, payee, amount, n, outflow, inflow, balance):
    """One post of ``n`` flows: ``payer``, ``payee`` (``int64``) and ``amount`` (yuan,
    ``float64``) each hold one value for all flows or one per flow. Adds the kept flows to
    ``outflow``, ``inflow`` and ``balance`` (fen, in place) and returns them as entries:
    ``(payers, payees, fen)``. An account out of range (negative ones included) raises
    ``IndexError`` (unchecked, it would write outside the arrays)."""
    fen = np.empty(n, np.int64)
    payers = np.empty(n, np.int64)
    payees = np.empty(n, np.int64)
    kept = 0
    for i in range(n):
        v = np.rint(amount[i if amount.size > 1 else 0] * 100.0)
        if not (v >= 1.0 and v < _INT64_END):  # as the reference's cast drops them
            continue
        f = np.int64(v)
        s = payer[i if payer.size > 1 else 0]
        r = payee[i if payee.size > 1 else 0]
        if not (0 <= s < balance.size and 0 <= r < balance.size):
            raise IndexError("post_flows: an account out of range")
        fen[kept], payers[kept], payees[kept] = f, s, r
        outflow[s] += f
        inflow[r] += f
        balance[s] -= f
        balance[r] += f
        kept += 1
    return payers[:kept], payees[:kept], fen[:kept]
