"""Compiled kernel of the ledger's posts (:meth:`landsim.ledger.Ledger.post`).

Summary: :func:`post_flows` makes one post's entries exactly as
:meth:`landsim.ledger.Ledger._post_reference` does with NumPy: each amount rounded to whole
fen (``rint(amount x 100)``), flows of no more than zero fen dropped, payers and payees
broadcast against the amounts (NaN amounts, and those too large for ``int64``, dropped as
the reference's cast on x86-64 drops them), and every kept flow added to the payer's outflow and the
payee's inflow and moved between their balances. Balances are whole fen (``int64``), so the
order in which flows are added cannot change them; the entries kept are the reference's, in
its order (``tests/test_kernels_farming.py``). :func:`post_batch` makes several posts' entries
in one call (:meth:`landsim.ledger.Ledger.post_many`), each exactly as :func:`post_flows`
makes it, in the order given. :func:`derive_books` re-derives the balances and the totals by
kind from a year's entries (:meth:`landsim.ledger.Ledger.close_year`): whole fen, so the
order of the sums cannot change them.
"""

from __future__ import annotations

import numpy as np

from landsim.compiled import kernel

__all__ = ["post_flows", "post_batch", "derive_books"]

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


@kernel
def post_batch(payer, payee, amount, starts, outflow, inflow, balance):
    """Several posts, one after another, each as :func:`post_flows` makes it: post ``k``'s
    payers, payees and amounts are ``payer[starts[0, k]:starts[0, k + 1]]``, ``payee[starts[1,
    k]:...]`` and ``amount[starts[2, k]:...]`` (each one value for all its flows or one per
    flow), and it has ``starts[3, k]`` flows.

    Returns:
        ``(payers, payees, fen, bounds, totals)``: the kept entries of all posts end to end,
        post ``k``'s at ``bounds[k]:bounds[k + 1]``, and the fen each post moved.
    """
    n_posts = starts.shape[1] - 1
    n = 0
    for k in range(n_posts):
        n += starts[3, k]
    fen = np.empty(n, np.int64)
    payers = np.empty(n, np.int64)
    payees = np.empty(n, np.int64)
    bounds = np.zeros(n_posts + 1, np.int64)
    totals = np.zeros(n_posts, np.int64)
    kept = 0
    for k in range(n_posts):
        p0, r0, a0 = starts[0, k], starts[1, k], starts[2, k]
        p_one = starts[0, k + 1] - p0 == 1
        r_one = starts[1, k + 1] - r0 == 1
        a_one = starts[2, k + 1] - a0 == 1
        total = 0
        for i in range(starts[3, k]):
            v = np.rint(amount[a0 if a_one else a0 + i] * 100.0)
            if not (v >= 1.0 and v < _INT64_END):  # as the reference's cast drops them
                continue
            f = np.int64(v)
            s = payer[p0 if p_one else p0 + i]
            r = payee[r0 if r_one else r0 + i]
            if not (0 <= s < balance.size and 0 <= r < balance.size):
                raise IndexError("post_batch: an account out of range")
            fen[kept], payers[kept], payees[kept] = f, s, r
            outflow[s] += f
            inflow[r] += f
            balance[s] -= f
            balance[r] += f
            total += f
            kept += 1
        bounds[k + 1] = kept
        totals[k] = total
    return payers[:kept], payees[:kept], fen[:kept], bounds, totals


@kernel
def derive_books(derived, by_kind, payer, payee, kind, fen):
    """Add entries ``(payer, payee, kind, fen)`` to the balances ``derived`` and the fen moved
    by each kind ``by_kind`` (in place, as ``np.subtract.at`` and ``np.add.at`` make them);
    ``kind`` holds one kind for all entries or one per entry. An account or a kind out of
    range raises ``IndexError``."""
    for i in range(fen.size):
        s, r, k = payer[i], payee[i], kind[i if kind.size > 1 else 0]
        if not (0 <= s < derived.size and 0 <= r < derived.size and 0 <= k < by_kind.size):
            raise IndexError("derive_books: an account or a kind out of range")
        derived[s] -= fen[i]
        derived[r] += fen[i]
        by_kind[k] += fen[i]
