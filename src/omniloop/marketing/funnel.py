"""The steps of a campaign's closed loop, counted from the rows they summarise, set-based.

Every step is one ``GROUP BY`` query (no per-order loop), run once by group and once for the
totals (distinct counts do not add up across rows):

- **exposures**: openings of the campaign's codes that count (no bots, within its dates);
  **unique visitors**: distinct visitors among them;
- **new members**: members linked to a visitor of the campaign, created at or after one of
  that visitor's counted exposures and at the latest ``attribution_window_days`` after the
  campaign ends;
- **orders**: orders credited to the campaign (``sales_order.campaign_id``), never cancelled
  ones nor unpaid ones (``paid_total > 0``); **paid revenue** is their ``paid_total``,
  **refunds** their ``refunded_total``, **net revenue** the difference;
- **redemptions**: those orders handed over in a store (a ``pick_up`` transition, the pickup
  code redeemed); voucher redemptions join through :func:`_voucher_redemptions`;
- **cost** and **ROI** = (net revenue - cost) / cost, for the totals only.

Rows group each step by its own event: ``day`` is the merchant's local day of the exposure,
of the member's creation, of the order, of the hand-over; ``channel`` is the order's sales
channel (exposures and new members have none: they fall in the row whose key is null);
``location`` is the poster's store for exposures and new members and the fulfilling store
for orders and redemptions; ``medium`` is the tracking code's. A new member is grouped by
the first exposure that brought them. Conversions are ``new_members / unique_visitors``,
``orders / unique_visitors`` and ``redemptions / orders``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    SQLColumnExpression,
    String,
    and_,
    case,
    func,
    literal,
    null,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from omniloop.marketing.domain import GroupBy, new_members_until, ratio, utc_offsets
from omniloop.marketing.models import Campaign, Exposure, TrackingCode, VisitorLink
from omniloop.members.models import Member
from omniloop.orders.domain import Internal, OrderStatus
from omniloop.orders.models import Order, OrderTransition
from omniloop.shared.clock import ensure_utc

Key = str | None
DayOf = Callable[[SQLColumnExpression[Any]], SQLColumnExpression[Any]]


@dataclass(frozen=True)
class Conversions:
    visitors_to_members: str | None
    visitors_to_orders: str | None
    orders_to_redemptions: str | None


@dataclass
class Funnel:
    exposures: int = 0
    unique_visitors: int = 0
    new_members: int = 0
    orders: int = 0
    paid_revenue: int = 0
    refunds: int = 0
    redemptions: int = 0

    @property
    def net_revenue(self) -> int:
        return self.paid_revenue - self.refunds

    @property
    def conversions(self) -> Conversions:
        return Conversions(
            visitors_to_members=ratio(self.new_members, self.unique_visitors),
            visitors_to_orders=ratio(self.orders, self.unique_visitors),
            orders_to_redemptions=ratio(self.redemptions, self.orders),
        )


# --------------------------------------------------------------------------- local days


def day_of(dialect: str, zone: str, span: tuple[datetime, datetime]) -> DayOf:
    """A SQL expression for the local day (``YYYY-MM-DD``) of a UTC timestamp column.

    PostgreSQL converts with its own time zone data. SQLite knows no zones: the timestamp
    is shifted by the zone's UTC offset, one ``CASE`` branch per offset change in ``span``
    (summer time), outside which the nearest offset applies."""
    if dialect == "postgresql":
        return lambda column: func.to_char(
            func.timezone(literal(zone, String()), column), literal("YYYY-MM-DD", String())
        )
    periods = utc_offsets(zone, *span)

    def shifted(column: SQLColumnExpression[Any], seconds: int) -> SQLColumnExpression[Any]:
        return func.date(column, f"{seconds:+d} seconds")

    def day(column: SQLColumnExpression[Any]) -> SQLColumnExpression[Any]:
        if len(periods) == 1:
            return shifted(column, periods[0][1])
        branches = [
            (column < periods[i + 1][0], shifted(column, periods[i][1]))
            for i in range(len(periods) - 1)
        ]
        return case(*branches, else_=shifted(column, periods[-1][1]))

    return day


# --------------------------------------------------------------------------- the steps


@dataclass(frozen=True)
class Scope:
    """What every step's query needs: the campaign, how to group, how to make days."""

    merchant_id: uuid.UUID
    campaign: Campaign
    group_by: GroupBy | None
    day: DayOf

    def counted_exposures(self) -> ColumnElement[bool]:
        return and_(
            Exposure.merchant_id == self.merchant_id,
            Exposure.campaign_id == self.campaign.id,
            Exposure.is_bot.is_(False),
            Exposure.outside_window.is_(False),
        )

    def counted_orders(self) -> ColumnElement[bool]:
        return and_(
            Order.merchant_id == self.merchant_id,
            Order.campaign_id == self.campaign.id,
            Order.status != OrderStatus.CANCELLED.value,
            Order.paid_total > 0,
        )

    def exposure_key(self, at: SQLColumnExpression[Any]) -> SQLColumnExpression[Any]:
        """The group of an exposure-side step (``at``: when its event happened)."""
        match self.group_by:
            case GroupBy.DAY:
                return self.day(at)
            case GroupBy.LOCATION:
                return TrackingCode.location_code
            case GroupBy.MEDIUM:
                return TrackingCode.medium
            case _:
                return null()

    def order_key(self, at: SQLColumnExpression[Any]) -> SQLColumnExpression[Any]:
        """The group of an order-side step (``at``: when its event happened)."""
        match self.group_by:
            case GroupBy.DAY:
                return self.day(at)
            case GroupBy.CHANNEL:
                return Order.channel
            case GroupBy.LOCATION:
                return Order.location_code
            case GroupBy.MEDIUM:
                return TrackingCode.medium
            case _:
                return null()

    def code_of_order(self) -> ColumnElement[bool]:
        return and_(
            TrackingCode.merchant_id == Order.merchant_id, TrackingCode.code == Order.tracking_code
        )


async def _by_key(session: AsyncSession, query: Select[Any]) -> dict[Key, tuple[int, ...]]:
    """Run a query whose first column is the group key and the others are integers."""
    rows = (await session.execute(query)).all()
    return {row[0]: tuple(int(value or 0) for value in row[1:]) for row in rows}


async def _exposures(session: AsyncSession, scope: Scope) -> dict[Key, tuple[int, ...]]:
    """(exposures, unique visitors) per group."""
    keyed = (
        select(scope.exposure_key(Exposure.exposed_at).label("k"), Exposure.visitor_id)
        .join(
            TrackingCode,
            and_(
                TrackingCode.merchant_id == Exposure.merchant_id,
                TrackingCode.code == Exposure.code,
            ),
        )
        .where(scope.counted_exposures())
        .subquery()
    )
    return await _by_key(
        session,
        select(keyed.c.k, func.count(), func.count(keyed.c.visitor_id.distinct())).group_by(
            keyed.c.k
        ),
    )


async def _new_members(session: AsyncSession, scope: Scope) -> dict[Key, tuple[int, ...]]:
    """(new members,) per group, each member once: by the first exposure that brought them."""
    campaign = scope.campaign
    until = new_members_until(
        ends_at=ensure_utc(campaign.ends_at), window_days=campaign.attribution_window_days
    )
    touches = (
        select(
            VisitorLink.member_id,
            Exposure.code,
            Member.created_at,
            func.row_number()
            .over(partition_by=VisitorLink.member_id, order_by=(Exposure.exposed_at, Exposure.id))
            .label("nth"),
        )
        .join(
            VisitorLink,
            and_(
                VisitorLink.merchant_id == Exposure.merchant_id,
                VisitorLink.visitor_id == Exposure.visitor_id,
            ),
        )
        .join(
            Member,
            and_(Member.merchant_id == VisitorLink.merchant_id, Member.id == VisitorLink.member_id),
        )
        .where(
            scope.counted_exposures(),
            Exposure.exposed_at <= Member.created_at,
            Member.created_at <= until,
        )
        .subquery()
    )
    keyed = (
        # Grouped like the member's first exposure, but on the day the member joined.
        select(scope.exposure_key(touches.c.created_at).label("k"), touches.c.member_id)
        .select_from(touches)
        .join(
            TrackingCode,
            and_(
                TrackingCode.merchant_id == scope.merchant_id, TrackingCode.code == touches.c.code
            ),
        )
        .where(touches.c.nth == 1)
        .subquery()
    )
    return await _by_key(session, select(keyed.c.k, func.count()).group_by(keyed.c.k))


async def _orders(session: AsyncSession, scope: Scope) -> dict[Key, tuple[int, ...]]:
    """(orders, paid revenue, refunds) per group."""
    keyed = (
        select(scope.order_key(Order.created_at).label("k"), Order.paid_total, Order.refunded_total)
        .outerjoin(TrackingCode, scope.code_of_order())
        .where(scope.counted_orders())
        .subquery()
    )
    return await _by_key(
        session,
        select(
            keyed.c.k,
            func.count(),
            func.coalesce(func.sum(keyed.c.paid_total), 0),
            func.coalesce(func.sum(keyed.c.refunded_total), 0),
        ).group_by(keyed.c.k),
    )


async def _pickup_redemptions(session: AsyncSession, scope: Scope) -> dict[Key, tuple[int, ...]]:
    """(redemptions,) per group: the campaign's orders handed over with their pickup code."""
    keyed = (
        select(scope.order_key(OrderTransition.created_at).label("k"), Order.id)
        .join(
            OrderTransition,
            and_(
                OrderTransition.merchant_id == Order.merchant_id,
                OrderTransition.order_id == Order.id,
            ),
        )
        .outerjoin(TrackingCode, scope.code_of_order())
        .where(scope.counted_orders(), OrderTransition.action == Internal.PICK_UP.value)
        .subquery()
    )
    return await _by_key(
        session, select(keyed.c.k, func.count(keyed.c.id.distinct())).group_by(keyed.c.k)
    )


async def _voucher_redemptions(session: AsyncSession, scope: Scope) -> dict[Key, tuple[int, ...]]:
    """(redemptions,) per group: prepaid vouchers (团购券) redeemed in stores that belong to
    the campaign — their product names it, or the order that bought them was credited to
    it — each voucher counted once however many visits spend it, grouped like the pickups
    (the time of its first redemption)."""
    from omniloop.vouchers.models import VoucherRedemption

    first = (
        select(
            VoucherRedemption.voucher_id,
            VoucherRedemption.order_id,
            func.min(VoucherRedemption.created_at).label("at"),
        )
        .join(
            Order,
            and_(
                Order.merchant_id == VoucherRedemption.merchant_id,
                Order.id == VoucherRedemption.order_id,
            ),
        )
        .where(
            VoucherRedemption.merchant_id == scope.merchant_id,
            or_(
                VoucherRedemption.campaign_id == scope.campaign.id,
                scope.counted_orders(),
            ),
        )
        .group_by(VoucherRedemption.voucher_id, VoucherRedemption.order_id)
        .subquery()
    )
    keyed = (
        select(scope.order_key(first.c.at).label("k"), first.c.voucher_id)
        .join(Order, and_(Order.merchant_id == scope.merchant_id, Order.id == first.c.order_id))
        .outerjoin(TrackingCode, scope.code_of_order())
        .subquery()
    )
    return await _by_key(
        session, select(keyed.c.k, func.count(keyed.c.voucher_id.distinct())).group_by(keyed.c.k)
    )


async def funnels(session: AsyncSession, scope: Scope) -> dict[Key, Funnel]:
    """Every step, per group of ``scope`` (one group, key None, without a grouping)."""
    by_key: dict[Key, Funnel] = {}

    def at(key: Key) -> Funnel:
        return by_key.setdefault(key, Funnel())

    for key, (exposures, visitors) in (await _exposures(session, scope)).items():
        at(key).exposures, at(key).unique_visitors = exposures, visitors
    for key, (members,) in (await _new_members(session, scope)).items():
        at(key).new_members = members
    for key, (orders, paid, refunded) in (await _orders(session, scope)).items():
        at(key).orders, at(key).paid_revenue, at(key).refunds = orders, paid, refunded
    for source in (_pickup_redemptions, _voucher_redemptions):
        for key, (redeemed,) in (await source(session, scope)).items():
            at(key).redemptions += redeemed
    return by_key
