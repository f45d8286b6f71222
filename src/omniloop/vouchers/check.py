"""Voucher ledger check: each voucher's balance is what its redemptions left.

For every ``voucher``: ``balance`` equals ``face_value`` minus the sum of its
``voucher_redemption`` amounts; the newest redemption recorded that balance; the shares of the
price its redemptions consumed never exceed what was paid, and add up to it exactly once the
voucher is used up; a void voucher was never redeemed. Set-based: one grouped and one windowed
subquery joined to the vouchers, not a loop over them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, select

from omniloop.db import UnitOfWork
from omniloop.vouchers.models import Voucher, VoucherRedemption


@dataclass(frozen=True)
class VoucherDiscrepancy:
    merchant_id: uuid.UUID
    voucher_id: uuid.UUID
    field: str
    recorded: int
    derived: int
    source: str

    def describe(self) -> str:
        return (
            f"merchant {self.merchant_id} voucher {self.voucher_id}: {self.field} is "
            f"{self.recorded} but {self.source} say {self.derived}"
        )


def _scoped(query: Any, merchant_id: uuid.UUID | None) -> Any:
    return (
        query if merchant_id is None else query.where(VoucherRedemption.merchant_id == merchant_id)
    )


async def check_vouchers(
    *, uow: UnitOfWork, merchant_id: uuid.UUID | None = None
) -> tuple[int, list[VoucherDiscrepancy]]:
    """Compare every voucher with its redemptions; (vouchers checked, discrepancies)."""
    r = VoucherRedemption
    sums = _scoped(
        select(
            r.merchant_id,
            r.voucher_id,
            func.sum(r.amount).label("amount"),
            func.sum(r.paid_share).label("paid_share"),
            func.count().label("entries"),
        ).group_by(r.merchant_id, r.voucher_id),
        merchant_id,
    ).subquery()
    rank = func.row_number().over(
        partition_by=(r.merchant_id, r.voucher_id), order_by=(r.created_at.desc(), r.id.desc())
    )
    newest = _scoped(
        select(r.merchant_id, r.voucher_id, r.balance_after, rank.label("rank")), merchant_id
    ).subquery()
    v = Voucher
    query = (
        select(
            v.merchant_id,
            v.id,
            v.face_value,
            v.balance,
            v.paid_amount,
            v.voided_at.is_not(None),
            func.coalesce(sums.c.amount, 0),
            func.coalesce(sums.c.paid_share, 0),
            func.coalesce(sums.c.entries, 0),
            newest.c.balance_after,
        )
        .outerjoin(sums, and_(sums.c.merchant_id == v.merchant_id, sums.c.voucher_id == v.id))
        .outerjoin(
            newest,
            and_(
                newest.c.merchant_id == v.merchant_id,
                newest.c.voucher_id == v.id,
                newest.c.rank == 1,
            ),
        )
    )
    if merchant_id is not None:
        query = query.where(v.merchant_id == merchant_id)
    found: list[VoucherDiscrepancy] = []
    checked = 0
    async with uow.read_only():
        for row in await uow.session.execute(query):
            checked += 1
            found += _compare(*row)
    return checked, found


def _compare(
    merchant_id: uuid.UUID,
    voucher_id: uuid.UUID,
    face_value: int,
    balance: int,
    paid: int,
    void: bool,
    redeemed: int,
    shares: int,
    entries: int,
    last_balance: int | None,
) -> list[VoucherDiscrepancy]:
    def problem(field: str, recorded: int, derived: int, source: str) -> VoucherDiscrepancy:
        return VoucherDiscrepancy(merchant_id, voucher_id, field, recorded, derived, source)

    found = []
    if balance != face_value - int(redeemed):
        found.append(problem("balance", balance, face_value - int(redeemed), "its redemptions"))
    if last_balance is not None and balance != last_balance:
        found.append(problem("balance", balance, last_balance, "its newest redemption"))
    if int(shares) > paid or (balance == 0 and int(shares) != paid):
        found.append(problem("paid_amount", paid, int(shares), "its redemptions' shares"))
    if void and entries:
        found.append(problem("redemptions of a void voucher", 0, int(entries), "its redemptions"))
    return found
