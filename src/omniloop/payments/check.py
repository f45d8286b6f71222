"""Payment ledger check: every order paid through a provider has exactly the paid and
refunded totals its payment and refund rows add up to. Set-based: grouped queries joined to
the orders, not a loop over them. (POS and platform orders are paid outside Omniloop and
have no payment rows; they are not checked here.)"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import and_, func, select

from omniloop.db import UnitOfWork
from omniloop.orders.models import Order
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
            f"merchant {self.merchant_id} order {self.order_number}: {self.field} is "
            f"{self.recorded} but its payments say {self.derived}"
        )


async def check_payments(
    *, uow: UnitOfWork, merchant_id: uuid.UUID | None = None
) -> tuple[int, list[PaymentDiscrepancy]]:
    """Compare each provider-paid order with its payments; (orders checked, discrepancies)."""
    applied = and_(Payment.applied.is_(True), Payment.status == PaymentStatus.SUCCEEDED.value)
    paid = (
        select(Payment.merchant_id, Payment.order_id, func.sum(Payment.amount).label("total"))
        .where(applied)
        .group_by(Payment.merchant_id, Payment.order_id)
        .subquery()
    )
    refunded = (
        select(Refund.merchant_id, Refund.order_id, func.sum(Refund.amount).label("total"))
        .join(
            Payment,
            (Payment.merchant_id == Refund.merchant_id) & (Payment.id == Refund.payment_id),
        )
        .where(applied, Refund.status != RefundStatus.FAILED.value)
        .group_by(Refund.merchant_id, Refund.order_id)
        .subquery()
    )
    query = (
        select(
            Order.merchant_id,
            Order.number,
            Order.paid_total,
            Order.refunded_total,
            paid.c.total,
            func.coalesce(refunded.c.total, 0),
        )
        .join(paid, (paid.c.merchant_id == Order.merchant_id) & (paid.c.order_id == Order.id))
        .outerjoin(
            refunded,
            (refunded.c.merchant_id == Order.merchant_id) & (refunded.c.order_id == Order.id),
        )
    )
    if merchant_id is not None:
        query = query.where(Order.merchant_id == merchant_id)
    found: list[PaymentDiscrepancy] = []
    checked = 0
    async with uow.read_only():
        for (
            m,
            number,
            paid_total,
            refunded_total,
            paid_sum,
            refunded_sum,
        ) in await uow.session.execute(query):
            checked += 1
            if paid_total != paid_sum:
                found.append(PaymentDiscrepancy(m, number, "paid_total", paid_total, paid_sum))
            if refunded_total != refunded_sum:
                found.append(
                    PaymentDiscrepancy(m, number, "refunded_total", refunded_total, refunded_sum)
                )
    return checked, found
