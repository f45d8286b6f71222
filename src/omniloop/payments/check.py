"""Payment and tender checks, set-based (grouped queries joined to the orders, never a loop
over them):

- every order's paid and refunded totals equal the sums of its tenders;
- every provider tender equals its applied payments, and what was refunded to it equals
  the refunds of those payments;
- every points and wallet tender equals what the member's ledgers say the order took and
  gave back;
- every paid top-up was credited to the wallet once, and its refunds match.

POS and platform money is paid outside Omniloop: its tenders are checked against the
order's totals only.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_, select

from omniloop.db import UnitOfWork
from omniloop.loyalty.domain import PointsKind, WalletKind
from omniloop.loyalty.models import PointsEntry, TopUp, WalletEntry
from omniloop.orders.domain import TenderKind
from omniloop.orders.models import Order, OrderTender
from omniloop.payments.domain import PaymentStatus, RefundStatus
from omniloop.payments.models import Payment, Refund


@dataclass(frozen=True)
class PaymentDiscrepancy:
    merchant_id: uuid.UUID
    order_number: str
    field: str
    recorded: int
    derived: int

    def describe(self) -> str:
        return (
            f"merchant {self.merchant_id} {self.order_number}: {self.field} is "
            f"{self.recorded} but its entries say {self.derived}"
        )


def _applied() -> Any:
    return and_(Payment.applied.is_(True), Payment.status == PaymentStatus.SUCCEEDED.value)


def _tender_sums(kind: TenderKind | None = None) -> Any:
    query = select(
        OrderTender.merchant_id,
        OrderTender.order_id,
        func.sum(OrderTender.amount).label("amount"),
        func.sum(OrderTender.refunded_amount).label("refunded"),
        func.sum(OrderTender.points - OrderTender.refunded_points).label("points"),
    )
    if kind is not None:
        query = query.where(OrderTender.kind == kind.value)
    return query.group_by(OrderTender.merchant_id, OrderTender.order_id).subquery()


def _joined(sub: Any) -> Any:
    return (sub.c.merchant_id == Order.merchant_id) & (sub.c.order_id == Order.id)


async def _rows(uow: UnitOfWork, query: Any) -> list[Any]:
    return list((await uow.session.execute(query)).all())


async def check_payments(
    *, uow: UnitOfWork, merchant_id: uuid.UUID | None = None
) -> tuple[int, list[PaymentDiscrepancy]]:
    """Compare orders, tenders, payments, refunds and ledgers; (orders checked, problems)."""
    found: list[PaymentDiscrepancy] = []

    def scoped(query: Any, column: Any) -> Any:
        return query if merchant_id is None else query.where(column == merchant_id)

    def compare(rows: list[Any], fields: list[str]) -> None:
        for m, number, *values in rows:
            for i, name in enumerate(fields):
                recorded, derived = int(values[2 * i] or 0), int(values[2 * i + 1] or 0)
                if recorded != derived:
                    found.append(PaymentDiscrepancy(m, f"order {number}", name, recorded, derived))

    tenders = _tender_sums()
    provider = _tender_sums(TenderKind.PROVIDER)
    points = _tender_sums(TenderKind.POINTS)
    wallet = _tender_sums(TenderKind.WALLET)
    paid = (
        select(Payment.merchant_id, Payment.order_id, func.sum(Payment.amount).label("total"))
        .where(_applied(), Payment.order_id.is_not(None))
        .group_by(Payment.merchant_id, Payment.order_id)
        .subquery()
    )
    refunded = (
        select(Refund.merchant_id, Refund.order_id, func.sum(Refund.amount).label("total"))
        .join(
            Payment,
            (Payment.merchant_id == Refund.merchant_id) & (Payment.id == Refund.payment_id),
        )
        .where(_applied(), Refund.status != RefundStatus.FAILED.value, Refund.order_id.is_not(None))
        .group_by(Refund.merchant_id, Refund.order_id)
        .subquery()
    )
    points_ledger = (
        select(
            PointsEntry.merchant_id,
            PointsEntry.order_id,
            (-func.sum(PointsEntry.points)).label("points"),
        )
        .where(
            PointsEntry.kind.in_([PointsKind.REDEEM.value, PointsKind.REDEEM_RETURN.value]),
            PointsEntry.order_id.is_not(None),
        )
        .group_by(PointsEntry.merchant_id, PointsEntry.order_id)
        .subquery()
    )
    wallet_ledger = (
        select(
            WalletEntry.merchant_id,
            WalletEntry.order_id,
            (-func.sum(WalletEntry.principal + WalletEntry.bonus)).label("amount"),
        )
        .where(
            WalletEntry.kind.in_([WalletKind.SPEND.value, WalletKind.SPEND_RETURN.value]),
            WalletEntry.order_id.is_not(None),
        )
        .group_by(WalletEntry.merchant_id, WalletEntry.order_id)
        .subquery()
    )
    async with uow.read_only():
        checked = int(
            await uow.session.scalar(
                scoped(select(func.count()).select_from(Order), Order.merchant_id).where(
                    Order.paid_total > 0
                )
            )
            or 0
        )
        # Paid orders against their tenders.
        compare(
            await _rows(
                uow,
                scoped(
                    select(
                        Order.merchant_id,
                        Order.number,
                        Order.paid_total,
                        func.coalesce(tenders.c.amount, 0),
                        Order.refunded_total,
                        func.coalesce(tenders.c.refunded, 0),
                    )
                    .outerjoin(tenders, _joined(tenders))
                    .where(
                        Order.payment_status != "unpaid",  # unpaid: member tenders held only
                        or_(
                            Order.paid_total != func.coalesce(tenders.c.amount, 0),
                            Order.refunded_total != func.coalesce(tenders.c.refunded, 0),
                        ),
                    ),
                    Order.merchant_id,
                ),
            ),
            ["paid_total", "refunded_total"],
        )
        # Provider tenders against payments and refunds (either side may be missing).
        compare(
            await _rows(
                uow,
                scoped(
                    select(
                        Order.merchant_id,
                        Order.number,
                        func.coalesce(provider.c.amount, 0),
                        func.coalesce(paid.c.total, 0),
                        func.coalesce(provider.c.refunded, 0),
                        func.coalesce(refunded.c.total, 0),
                    )
                    .outerjoin(provider, _joined(provider))
                    .outerjoin(paid, _joined(paid))
                    .outerjoin(refunded, _joined(refunded))
                    .where(
                        or_(
                            func.coalesce(provider.c.amount, 0) != func.coalesce(paid.c.total, 0),
                            func.coalesce(provider.c.refunded, 0)
                            != func.coalesce(refunded.c.total, 0),
                        )
                    ),
                    Order.merchant_id,
                ),
            ),
            ["provider tender", "provider refunds"],
        )
        # Points and wallet tenders against the members' ledgers.
        compare(
            await _rows(
                uow,
                scoped(
                    select(
                        Order.merchant_id,
                        Order.number,
                        func.coalesce(points.c.points, 0),
                        func.coalesce(points_ledger.c.points, 0),
                        func.coalesce(wallet.c.amount, 0) - func.coalesce(wallet.c.refunded, 0),
                        func.coalesce(wallet_ledger.c.amount, 0),
                    )
                    .outerjoin(points, _joined(points))
                    .outerjoin(points_ledger, _joined(points_ledger))
                    .outerjoin(wallet, _joined(wallet))
                    .outerjoin(wallet_ledger, _joined(wallet_ledger))
                    .where(
                        or_(
                            func.coalesce(points.c.points, 0)
                            != func.coalesce(points_ledger.c.points, 0),
                            func.coalesce(wallet.c.amount, 0) - func.coalesce(wallet.c.refunded, 0)
                            != func.coalesce(wallet_ledger.c.amount, 0),
                        )
                    ),
                    Order.merchant_id,
                ),
            ),
            ["points tender (net points)", "wallet tender (net)"],
        )
        # Top-ups: credited once when paid, refunds matching.
        credited = (
            select(
                WalletEntry.merchant_id,
                WalletEntry.top_up_id,
                func.sum(WalletEntry.principal).label("principal"),
            )
            .where(WalletEntry.top_up_id.is_not(None))
            .group_by(WalletEntry.merchant_id, WalletEntry.top_up_id)
            .subquery()
        )
        top_up_refunds = (
            select(Payment.merchant_id, Payment.top_up_id, func.sum(Refund.amount).label("total"))
            .join(
                Refund,
                (Refund.merchant_id == Payment.merchant_id) & (Refund.payment_id == Payment.id),
            )
            .where(_applied(), Payment.top_up_id.is_not(None), Refund.status != RefundStatus.FAILED)
            .group_by(Payment.merchant_id, Payment.top_up_id)
            .subquery()
        )
        paid_states = ("paid", "partially_refunded", "refunded")
        expected_principal = TopUp.amount - TopUp.refunded_amount
        rows = await _rows(
            uow,
            scoped(
                select(
                    TopUp.merchant_id,
                    TopUp.id,
                    TopUp.status,
                    expected_principal,
                    func.coalesce(credited.c.principal, 0),
                    TopUp.refunded_amount,
                    func.coalesce(top_up_refunds.c.total, 0),
                )
                .outerjoin(
                    credited,
                    (credited.c.merchant_id == TopUp.merchant_id)
                    & (credited.c.top_up_id == TopUp.id),
                )
                .outerjoin(
                    top_up_refunds,
                    (top_up_refunds.c.merchant_id == TopUp.merchant_id)
                    & (top_up_refunds.c.top_up_id == TopUp.id),
                ),
                TopUp.merchant_id,
            ),
        )
        for m, top_up_id, status, principal, in_wallet, refunded_amount, refund_rows in rows:
            want = int(principal) if status in paid_states else 0
            if want != int(in_wallet):
                found.append(
                    PaymentDiscrepancy(
                        m, f"top-up {top_up_id}", "principal credited", want, int(in_wallet)
                    )
                )
            if int(refunded_amount) != int(refund_rows):
                found.append(
                    PaymentDiscrepancy(
                        m,
                        f"top-up {top_up_id}",
                        "refunded_amount",
                        int(refunded_amount),
                        int(refund_rows),
                    )
                )
    return checked, found
