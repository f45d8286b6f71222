"""Loyalty ledger check: each account's cached balances are what its ledgers say.

For every ``loyalty_account``: ``points_balance`` equals the sum of its points entries and
the sum of what is left in its points lots; ``wallet_principal`` and ``wallet_bonus`` equal
the sums of its wallet entries; and the newest entry of each ledger recorded the balance
the account holds. Entries of a member without an account are reported too. Set-based:
grouped and windowed subqueries joined to the accounts, not a loop over them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, literal, select

from omniloop.db import UnitOfWork
from omniloop.loyalty.models import LoyaltyAccount, PointsEntry, PointsLot, WalletEntry


@dataclass(frozen=True)
class LoyaltyDiscrepancy:
    merchant_id: uuid.UUID
    member_id: uuid.UUID
    field: str
    recorded: int
    derived: int
    source: str

    def describe(self) -> str:
        return (
            f"merchant {self.merchant_id} member {self.member_id}: {self.field} is "
            f"{self.recorded} but {self.source} say {self.derived}"
        )


def _scoped(query: Any, model: Any, merchant_id: uuid.UUID | None) -> Any:
    return query if merchant_id is None else query.where(model.merchant_id == merchant_id)


def _sums(model: Any, merchant_id: uuid.UUID | None, *columns: Any) -> Any:
    query = select(model.merchant_id, model.member_id, *columns)
    return (
        _scoped(query, model, merchant_id).group_by(model.merchant_id, model.member_id).subquery()
    )


def _newest(model: Any, merchant_id: uuid.UUID | None, *columns: Any) -> Any:
    rank = func.row_number().over(
        partition_by=(model.merchant_id, model.member_id),
        order_by=(model.created_at.desc(), model.id.desc()),
    )
    query = select(model.merchant_id, model.member_id, *columns, rank.label("rank"))
    return _scoped(query, model, merchant_id).subquery()


def _joined(account: Any, sub: Any, *extra: Any) -> Any:
    return and_(
        sub.c.merchant_id == account.merchant_id, sub.c.member_id == account.member_id, *extra
    )


async def check_loyalty(
    *, uow: UnitOfWork, merchant_id: uuid.UUID | None = None
) -> tuple[int, list[LoyaltyDiscrepancy]]:
    """Compare every loyalty account with its ledgers; (accounts checked, discrepancies)."""
    a = LoyaltyAccount
    m = merchant_id
    points = _sums(PointsEntry, m, func.sum(PointsEntry.points).label("total"))
    lots = _sums(PointsLot, m, func.sum(PointsLot.remaining).label("total"))
    wallet = _sums(
        WalletEntry,
        m,
        func.sum(WalletEntry.principal).label("principal"),
        func.sum(WalletEntry.bonus).label("bonus"),
    )
    last_points = _newest(PointsEntry, m, PointsEntry.balance_after)
    last_wallet = _newest(WalletEntry, m, WalletEntry.principal_after, WalletEntry.bonus_after)
    query = (
        select(
            a.merchant_id,
            a.member_id,
            a.points_balance,
            a.wallet_principal,
            a.wallet_bonus,
            func.coalesce(points.c.total, 0),
            func.coalesce(lots.c.total, 0),
            func.coalesce(wallet.c.principal, 0),
            func.coalesce(wallet.c.bonus, 0),
            last_points.c.balance_after,
            last_wallet.c.principal_after,
            last_wallet.c.bonus_after,
        )
        .outerjoin(points, _joined(a, points))
        .outerjoin(lots, _joined(a, lots))
        .outerjoin(wallet, _joined(a, wallet))
        .outerjoin(last_points, _joined(a, last_points, last_points.c.rank == 1))
        .outerjoin(last_wallet, _joined(a, last_wallet, last_wallet.c.rank == 1))
    )
    query = _scoped(query, a, merchant_id)
    orphans = [
        _without_account(PointsEntry, m, PointsEntry.points, "points_balance"),
        _without_account(WalletEntry, m, WalletEntry.principal + WalletEntry.bonus, "wallet_total"),
    ]
    found: list[LoyaltyDiscrepancy] = []
    checked = 0
    async with uow.read_only():
        session = uow.session
        for row in await session.execute(query):
            checked += 1
            found += _compare(*row)
        for orphan in orphans:
            for m, member, total, field in await session.execute(orphan):
                found.append(
                    LoyaltyDiscrepancy(
                        m, member, field, 0, int(total), "entries without an account"
                    )
                )
    return checked, found


def _without_account(model: Any, merchant_id: uuid.UUID | None, amount: Any, field: str) -> Any:
    """Ledger totals of members that have entries but no account."""
    a = LoyaltyAccount
    has_account = (
        select(a.member_id)
        .where(a.merchant_id == model.merchant_id, a.member_id == model.member_id)
        .exists()
    )
    query = select(model.merchant_id, model.member_id, func.sum(amount), literal(field))
    return (
        _scoped(query, model, merchant_id)
        .where(~has_account)
        .group_by(model.merchant_id, model.member_id)
    )


def _compare(
    merchant_id: uuid.UUID,
    member_id: uuid.UUID,
    balance: int,
    principal: int,
    bonus: int,
    points_sum: int,
    lots_sum: int,
    principal_sum: int,
    bonus_sum: int,
    last_balance: int | None,
    last_principal: int | None,
    last_bonus: int | None,
) -> list[LoyaltyDiscrepancy]:
    """One account's cached balances against what its ledgers derive."""
    pairs = [
        ("points_balance", balance, points_sum, "its points entries"),
        ("points_balance", balance, lots_sum, "its points lots"),
        ("points_balance", balance, last_balance, "its newest points entry"),
        ("wallet_principal", principal, principal_sum, "its wallet entries"),
        ("wallet_bonus", bonus, bonus_sum, "its wallet entries"),
        ("wallet_principal", principal, last_principal, "its newest wallet entry"),
        ("wallet_bonus", bonus, last_bonus, "its newest wallet entry"),
    ]
    return [
        LoyaltyDiscrepancy(merchant_id, member_id, field, recorded, int(derived), source)
        for field, recorded, derived, source in pairs
        if derived is not None and recorded != int(derived)
    ]
