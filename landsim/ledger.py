"""Double-entry money ledger: every flow of money is an entry (payer, payee, kind, amount).

Amounts are kept as whole fen (0.01 yuan, ``int64``) so that the books close *exactly*: each
entry moves the same integer amount out of one account and into another, so the sum of all
balances never changes, and :meth:`Ledger.close_year` re-derives every balance from the year's
entries and checks it against the running balances.

Accounts are integers laid out in blocks (households, cooperatives, cooperative reserve funds,
village collectives, the town government, the service firm, and ``outside`` — the rest of the
economy: grain buyers, input suppliers, city employers, the pension fund, banks).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from landsim import compiled
from landsim.columns import FEN, column, number
from landsim.ledger_kernels import derive_books, post_batch, post_flows

__all__ = ["Accounts", "Ledger", "LedgerError", "FLOW_KINDS", "Post"]

#: every kind of money flow the model posts (documented in docs/ODD.md, "Money")
FLOW_KINDS = (
    "crop_sales",  # outside -> operator: value of the harvest
    "input_costs",  # operator -> outside: seed, fertiliser, machinery, irrigation
    "rent",  # lessee -> holder (household lease) or coop -> collective (collective land)
    "custody_fee",  # household/coop -> firm: custodial farming
    "firm_costs",  # firm -> outside: the firm's own production costs
    "remittance",  # outside -> household: migrants' transfers
    "pension",  # outside -> household: rural basic pension
    "local_wage",  # outside -> household: days sold on the village's day-labour market;
    # firm -> household: the firm's field work
    "coop_wage",  # coop -> household: wages for older villagers working for the coop
    "coop_base",  # coop -> household: fixed rent or guaranteed minimum
    "coop_bonus",  # coop -> household: dividend or second rebate
    "coop_overhead",  # coop -> outside: management costs
    "pro_management",  # coop -> firm: professional management fee
    "leakage",  # coop -> outside: profit that leaks (opacity, private use)
    "audit_recovery",  # outside -> coop: leaked money recovered by an audit
    "to_reserve",  # coop -> its reserve fund
    "from_reserve",  # reserve fund -> coop: losses covered
    "to_collective",  # coop -> village collective: its profit share
    "subsidy",  # government -> coop: per-mu subsidy
    "startup_grant",  # government -> coop: one-off founding grant
    "audit_cost",  # government -> outside: audit fees
    "budget",  # outside -> government: yearly budget from higher levels
    "borrowing",  # outside -> coop: loans that cover a deficit
    "hired_labour",  # lessee -> outside: day labour hired (the villagers who sell their days
    # on the day-labour market are paid as local_wage)
    "farmland_subsidy",  # outside -> household: farmland subsidy to contract holders
    "bookkeeping",  # coop -> outside: keeping its books to the standard
    "governance_fee",  # coop -> outside: the third-party governance body's fee
    "payout",  # reserve fund -> coop: the reserve above its cap, paid out by the split
    "investment",  # reserve fund -> outside: capital put into the value-adding activity
    "value_added",  # outside -> coop (or coop -> outside in a bad year): the activity's net
)
_KIND_INDEX = {k: i for i, k in enumerate(FLOW_KINDS)}
_SCALARS = (int, float, np.integer, np.floating)
#: one flow to post: (payer, payee, kind, amount), as :meth:`Ledger.post` takes them
Post = tuple[np.ndarray | int, np.ndarray | int, str, np.ndarray | float]
#: entries of fewer flows are checked together at the close (one kernel call for them all)
_SMALL_ENTRY = 4096
#: yuan: a single flow of at least this many cannot be held in whole fen (``int64``)
_TOO_LARGE = 9.2e16


class LedgerError(RuntimeError):
    """The books do not close: a balance differs from what the entries say."""


@dataclass(frozen=True)
class Accounts:
    """Layout of account numbers for a town of ``households`` and ``villages``."""

    households: int
    villages: int

    @property
    def coop0(self) -> int:
        """First cooperative account (one per village)."""
        return self.households

    @property
    def reserve0(self) -> int:
        """First cooperative reserve-fund account."""
        return self.households + self.villages

    @property
    def collective0(self) -> int:
        """First village-collective account."""
        return self.households + 2 * self.villages

    @property
    def government(self) -> int:
        """The town government."""
        return self.households + 3 * self.villages

    @property
    def firm(self) -> int:
        """The third-party service firm."""
        return self.government + 1

    @property
    def outside(self) -> int:
        """The rest of the economy."""
        return self.government + 2

    @property
    def size(self) -> int:
        """Number of accounts."""
        return self.government + 3


def _accumulate(target: np.ndarray, index: np.ndarray, values: np.ndarray) -> None:
    """``target[index] += values`` with repeated indices summed, in time proportional to the
    number of entries for small posts (most posts touch a few accounts of many)."""
    if index.size * 8 < target.size:
        np.add.at(target, index, values)
    else:
        target += np.bincount(index, weights=values, minlength=target.size).astype(np.int64)


def _to_fen(amount: np.ndarray | float) -> np.ndarray:
    return np.rint(np.asarray(amount, dtype=np.float64) * 100.0).astype(np.int64)


@dataclass
class Ledger:
    """Balances of all accounts and the current year's entries.

    Only the current year's entries are kept (memory stays flat over long runs); yearly totals
    by kind are kept for the whole run in :attr:`year_totals` (:attr:`totals` by year).
    Between two years the books are closed: the balances and the yearly totals are the whole
    state (:meth:`reopen` rebuilds the books from them).
    """

    accounts: Accounts
    #: balance of every account (fen)
    balance: np.ndarray = column(np.int64, ("accounts",), FEN, init=False)
    #: totals of every closed year by kind of flow (fen), one row per year
    year_totals: np.ndarray = column(np.int64, ("closed_years", len(FLOW_KINDS)), FEN, init=False)
    _opening: np.ndarray = field(init=False)
    _inflow: np.ndarray = field(init=False)  # fen this year, per account
    _outflow: np.ndarray = field(init=False)
    _entries: list[tuple[np.ndarray, np.ndarray, int, np.ndarray]] = field(init=False)
    #: the year whose books are open
    year: int = number(0, (0, "max_year"))

    def __post_init__(self) -> None:
        n = self.accounts.size
        self.balance = np.zeros(n, dtype=np.int64)
        self.year_totals = np.zeros((0, len(FLOW_KINDS)), dtype=np.int64)
        self._opening = self.balance.copy()
        self._inflow = np.zeros(n, dtype=np.int64)
        self._outflow = np.zeros(n, dtype=np.int64)
        self._entries = []

    @property
    def totals(self) -> dict[int, np.ndarray]:
        """Totals of every closed year by kind of flow (fen), by year."""
        first = self.year - self.year_totals.shape[0]
        return {first + i: row for i, row in enumerate(self.year_totals)}

    @property
    def between_years(self) -> bool:
        """No entries are open: the books of the last year are closed."""
        return not self._entries

    @classmethod
    def reopen(
        cls, accounts: Accounts, balance: np.ndarray, year_totals: np.ndarray, year: int
    ) -> Ledger:
        """The books between two years with these balances and yearly totals, ``year`` open."""
        led = cls(accounts, year=year)
        led.balance, led.year_totals = balance, year_totals
        led._opening = balance.copy()
        return led

    def post(
        self,
        payer: np.ndarray | int,
        payee: np.ndarray | int,
        kind: str,
        amount: np.ndarray | float,
    ) -> float:
        """Record flows of ``amount`` yuan from ``payer`` to ``payee`` (arrays broadcast).

        Negative or zero amounts are dropped (a flow has a direction; post the reverse instead).

        Returns:
            The total posted, in yuan, after rounding each flow to whole fen.
        """
        if (
            isinstance(amount, _SCALARS)
            and isinstance(payer, int | np.integer)
            and isinstance(payee, int | np.integer)
        ):
            return self._post_one(int(payer), int(payee), kind, float(amount))
        if compiled.enabled():
            return self._post_compiled(payer, payee, kind, amount)
        return self._post_reference(payer, payee, kind, amount)

    def _post_reference(
        self,
        payer: np.ndarray | int,
        payee: np.ndarray | int,
        kind: str,
        amount: np.ndarray | float,
    ) -> float:
        """:meth:`post` of arrays with NumPy: the reference the compiled
        :func:`landsim.ledger_kernels.post_flows` must equal."""
        fen = _to_fen(amount)
        payer_a, payee_a, fen = np.broadcast_arrays(
            np.asarray(payer, dtype=np.int64), np.asarray(payee, dtype=np.int64), fen
        )
        keep = fen > 0
        payer_a, payee_a, fen = payer_a[keep], payee_a[keep], fen[keep]
        if fen.size:
            sides = ((self._outflow, payer, payer_a, -1), (self._inflow, payee, payee_a, 1))
            for flow, given, accounts, sign in sides:
                if np.ndim(given) == 0:  # one account on this side: add the total once
                    total = int(fen.sum())
                    flow[int(given)] += total
                    self.balance[int(given)] += sign * total
                else:
                    _accumulate(flow, accounts, fen)
                    _accumulate(self.balance, accounts, sign * fen)
            self._entries.append((payer_a, payee_a, _KIND_INDEX[kind], fen))
        return float(fen.sum()) / 100.0

    def _post_compiled(
        self,
        payer: np.ndarray | int,
        payee: np.ndarray | int,
        kind: str,
        amount: np.ndarray | float,
    ) -> float:
        """:meth:`post` of arrays on the compiled :func:`landsim.ledger_kernels.post_flows`:
        the same entries and balances as :meth:`_post_reference` (which it falls back on for
        arrays of more than one dimension, or of sizes that do not broadcast)."""
        payer_a = np.asarray(payer, dtype=np.int64)
        payee_a = np.asarray(payee, dtype=np.int64)
        amount_a = np.asarray(amount, dtype=np.float64)
        sizes = {payer_a.size, payee_a.size, amount_a.size}
        n = max(sizes) if 0 not in sizes else 0
        if max(payer_a.ndim, payee_a.ndim, amount_a.ndim) > 1 or len(sizes - {1, n}) > 0:
            return self._post_reference(payer, payee, kind, amount)
        payer_a, payee_a, fen = post_flows(
            payer_a.ravel(),
            payee_a.ravel(),
            amount_a.ravel(),
            n,
            self._outflow,
            self._inflow,
            self.balance,
        )
        if fen.size:  # (kernels return NumPy's own dtype objects: landsim.compiled)
            self._entries.append((payer_a, payee_a, _KIND_INDEX[kind], fen))
        return float(fen.sum()) / 100.0

    def post_many(self, posts: Sequence[Post]) -> list[float]:
        """Several posts, one after another: the same balances, entries (in the same order)
        and totals as ``[self.post(*p) for p in posts]``, in one call of the compiled
        :func:`landsim.ledger_kernels.post_batch` (a phase's posts cost one call, not one
        each). That loop itself when compilation is off, or when a post is one :meth:`post`
        would not take as arrays (more than one dimension, sizes that do not broadcast, a
        single flow of an amount not finite or too large for whole fen).

        Returns:
            The total of each post, in yuan, after rounding each flow to whole fen.
        """
        if not compiled.enabled() or not posts:
            return [self.post(*p) for p in posts]
        payers, payees, amounts, codes = [], [], [], []
        starts = [[0], [0], [0], []]
        for payer, payee, kind, amount in posts:
            payer_a = np.asarray(payer, dtype=np.int64)
            payee_a = np.asarray(payee, dtype=np.int64)
            amount_a = np.asarray(amount, dtype=np.float64)
            sizes = {payer_a.size, payee_a.size, amount_a.size}
            n = max(sizes) if 0 not in sizes else 0
            odd = max(payer_a.ndim, payee_a.ndim, amount_a.ndim) > 1 or len(sizes - {1, n}) > 0
            if odd or (
                isinstance(amount, _SCALARS)
                and isinstance(payer, int | np.integer)
                and isinstance(payee, int | np.integer)
                and not (math.isfinite(amount) and abs(amount) < _TOO_LARGE)
            ):
                return [self.post(*p) for p in posts]
            for side, values, at in (
                (payers, payer_a, starts[0]),
                (payees, payee_a, starts[1]),
                (amounts, amount_a, starts[2]),
            ):
                side.append(values.ravel())
                at.append(at[-1] + values.size)
            starts[3].append(n)
            codes.append(_KIND_INDEX[kind])
        starts[3].append(0)
        payer_a, payee_a, fen, bounds, totals = post_batch(
            np.concatenate(payers),
            np.concatenate(payees),
            np.concatenate(amounts),
            np.array(starts, dtype=np.int64),
            self._outflow,
            self._inflow,
            self.balance,
        )
        at = bounds.tolist()
        for k, code in enumerate(codes):
            s, e = at[k], at[k + 1]
            if e > s:
                self._entries.append((payer_a[s:e], payee_a[s:e], code, fen[s:e]))
        return (totals / 100.0).tolist()

    def _post_one(self, payer: int, payee: int, kind: str, amount: float) -> float:
        """Fast path of :meth:`post` for one flow (most coop and government flows): same
        rounding, integers added directly."""
        fen = int(np.rint(amount * 100.0))
        if fen <= 0:
            return 0.0
        self._outflow[payer] += fen
        self._inflow[payee] += fen
        self.balance[payer] -= fen
        self.balance[payee] += fen
        one = np.array([fen], dtype=np.int64)
        self._entries.append(
            (
                np.array([payer], dtype=np.int64),
                np.array([payee], dtype=np.int64),
                _KIND_INDEX[kind],
                one,
            )
        )
        return fen / 100.0

    def net_this_year(self, start: int, stop: int) -> np.ndarray:
        """Net inflow (yuan) this year of accounts ``start..stop-1``."""
        return (self._inflow[start:stop] - self._outflow[start:stop]) / 100.0

    def year_total(
        self, kind: str, payee_start: int | None = None, payee_stop: int | None = None
    ) -> float:
        """Total yuan of ``kind`` posted this year, optionally only to a block of payees."""
        total = 0
        k = _KIND_INDEX[kind]
        for _payer, payee, kk, fen in self._entries:
            if kk != k:
                continue
            if payee_start is None:
                total += int(fen.sum())
            else:
                sel = (payee >= payee_start) & (payee < payee_stop)
                total += int(fen[sel].sum())
        return total / 100.0

    def entries(self) -> pd.DataFrame:
        """This year's entries as a table (payer, payee, kind, amount in yuan)."""
        if not self._entries:
            return pd.DataFrame({"payer": [], "payee": [], "kind": [], "amount": []})
        payer = np.concatenate([e[0] for e in self._entries])
        payee = np.concatenate([e[1] for e in self._entries])
        kind = np.concatenate([np.full(e[0].size, e[2]) for e in self._entries])
        fen = np.concatenate([e[3] for e in self._entries])
        return pd.DataFrame(
            {
                "payer": payer,
                "payee": payee,
                "kind": pd.Categorical.from_codes(kind, FLOW_KINDS),
                "amount": fen / 100.0,
            }
        )

    def close_year(self) -> None:
        """Check that the books close exactly, store yearly totals, and open the next year.

        Raises:
            LedgerError: if any balance differs from opening balance + entries, or if money was
                created or destroyed (the sum of all balances changed).
        """
        if compiled.enabled():
            derived, by_kind = self._derive_compiled()
        else:
            derived, by_kind = self._derive_reference()
        if not np.array_equal(derived, self.balance):
            bad = np.flatnonzero(derived != self.balance)[:5]
            raise LedgerError(
                f"year {self.year}: balances of accounts {bad.tolist()} differ from their entries"
            )
        if int(self.balance.sum()) != int(self._opening.sum()):
            raise LedgerError(f"year {self.year}: money was created or destroyed")
        self.year_totals = np.vstack([self.year_totals, by_kind[None, :]])
        self._opening = self.balance.copy()
        self._inflow.fill(0)
        self._outflow.fill(0)
        self._entries = []
        self.year += 1

    def _derive_compiled(self) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`_derive_reference` on the compiled :func:`landsim.ledger_kernels.derive_books`:
        the small entries end to end in one call, each large one (a county's) in its own,
        so that no large array is copied."""
        derived = self._opening.copy()
        by_kind = np.zeros(len(FLOW_KINDS), dtype=np.int64)
        small = [e for e in self._entries if e[0].size < _SMALL_ENTRY]
        for payer, payee, k, fen in self._entries:
            if fen.size >= _SMALL_ENTRY:
                derive_books(derived, by_kind, payer, payee, np.array([k], np.int64), fen)
        if small:
            derive_books(
                derived,
                by_kind,
                np.concatenate([e[0] for e in small]),
                np.concatenate([e[1] for e in small]),
                np.repeat(np.array([e[2] for e in small], np.int64), [e[0].size for e in small]),
                np.concatenate([e[3] for e in small]),
            )
        return derived, by_kind

    def _derive_reference(self) -> tuple[np.ndarray, np.ndarray]:
        """The balances this year's entries leave from the opening balances, and the fen
        moved by each kind, with NumPy: the reference :func:`landsim.ledger_kernels.derive_books`
        must equal (:meth:`close_year` checks the running balances against them)."""
        derived = self._opening.copy()
        by_kind = np.zeros(len(FLOW_KINDS), dtype=np.int64)
        for payer, payee, k, fen in self._entries:
            np.subtract.at(derived, payer, fen)
            np.add.at(derived, payee, fen)
            by_kind[k] += int(fen.sum())
        return derived, by_kind

    def balance_yuan(self, account: int | np.ndarray) -> float | np.ndarray:
        """Balance in yuan of one account or an array of accounts."""
        return self.balance[account] / 100.0
