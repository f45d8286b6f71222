"""A segment's filters as one SQL query over the merchant's active members.

Purchase filters (last order, spend, number of orders) read the live purchase totals, with
the same definition of a purchase as RFM, so an order paid a minute ago counts; RFM filters
read the scores of the last computation (scores only mean something among one run's
buyers). Every table in the query is constrained to the merchant.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    and_,
    false,
    func,
    or_,
    select,
    union,
)
from sqlalchemy.orm import aliased

from omniloop.loyalty.models import LoyaltyAccount
from omniloop.members.domain import MemberStatus
from omniloop.members.models import Member, MemberActivity
from omniloop.orders.models import Order
from omniloop.segments.domain import ScoreRange, SegmentFilters
from omniloop.segments.models import MemberRfm
from omniloop.segments.rfm import at, purchase_totals


@dataclass(frozen=True)
class Scope:
    """What a segment is evaluated against: the merchant, its currency and first tier (the
    tier of members without an account), and the time."""

    merchant_id: uuid.UUID
    currency: str
    first_tier: str
    now: datetime


def _tier_filter(scope: Scope, tiers: tuple[str, ...]) -> ColumnElement[bool]:
    in_tiers = LoyaltyAccount.tier.in_(tiers)
    if scope.first_tier in tiers:
        return or_(in_tiers, LoyaltyAccount.tier.is_(None))
    return in_tiers


def _seen_in_channels(scope: Scope, channels: tuple[str, ...]) -> ColumnElement[bool]:
    """The member (or a record merged into it) did something in one of ``channels``, or
    ordered through one. One ``IN (... UNION ...)``: the planner hashes it once, where
    three correlated EXISTS would be costed per member."""
    absorbed = aliased(Member)
    seen: CompoundSelect[Any] = union(
        select(MemberActivity.member_id).where(
            MemberActivity.merchant_id == scope.merchant_id, MemberActivity.channel.in_(channels)
        ),
        select(absorbed.merged_into)
        .join(
            MemberActivity,
            and_(
                MemberActivity.merchant_id == absorbed.merchant_id,
                MemberActivity.member_id == absorbed.id,
            ),
        )
        .where(
            absorbed.merchant_id == scope.merchant_id,
            absorbed.merged_into.is_not(None),
            MemberActivity.channel.in_(channels),
        ),
        select(Order.member_id).where(
            Order.merchant_id == scope.merchant_id,
            Order.member_id.is_not(None),
            Order.channel.in_(channels),
        ),
    )
    return Member.id.in_(seen)


def _score_filters(rfm: ScoreRange) -> list[ColumnElement[bool]]:
    columns = {"r": MemberRfm.r_score, "f": MemberRfm.f_score, "m": MemberRfm.m_score}
    conditions: list[ColumnElement[bool]] = []
    for letter, (low, high) in rfm.bounds().items():
        if low is not None:
            conditions.append(columns[letter] >= low)
        if high is not None:
            conditions.append(columns[letter] <= high)
    return conditions


def members_query(scope: Scope, filters: SegmentFilters) -> Select[Any]:
    """``SELECT member.id`` of the active members matching every filter (unordered)."""
    query = select(Member.id).where(
        Member.merchant_id == scope.merchant_id, Member.status == MemberStatus.ACTIVE.value
    )
    if filters.needs_purchases:
        totals = purchase_totals(scope.merchant_id, scope.currency, scope.now)
        query = query.outerjoin(totals, totals.c.member_id == Member.id)
        spent = func.coalesce(totals.c.monetary, 0)
        if filters.last_order_before_days is not None:
            since = scope.now - timedelta(days=filters.last_order_before_days)
            query = query.where(totals.c.last_order_at < at(since))
        if filters.last_order_within_days is not None:
            since = scope.now - timedelta(days=filters.last_order_within_days)
            query = query.where(totals.c.last_order_at >= at(since))
        if filters.spent_more_than is not None:
            query = query.where(spent > filters.spent_more_than)
        if filters.spent_less_than is not None:
            query = query.where(spent < filters.spent_less_than)
        if filters.orders_at_least is not None:
            query = query.where(func.coalesce(totals.c.frequency, 0) >= filters.orders_at_least)
    if filters.tiers:
        query = query.outerjoin(
            LoyaltyAccount,
            and_(
                LoyaltyAccount.merchant_id == scope.merchant_id,
                LoyaltyAccount.member_id == Member.id,
            ),
        ).where(_tier_filter(scope, filters.tiers))
    if filters.acquired_locations:
        query = query.where(Member.acquired_location.in_(filters.acquired_locations))
    if filters.channels:
        query = query.where(_seen_in_channels(scope, filters.channels))
    if filters.rfm is not None:
        query = query.join(
            MemberRfm,
            and_(MemberRfm.merchant_id == scope.merchant_id, MemberRfm.member_id == Member.id),
        ).where(*_score_filters(filters.rfm))
    return query


def page_query(
    scope: Scope, filters: SegmentFilters, *, after: uuid.UUID | None, limit: int
) -> Select[Any]:
    """One page of the segment's member ids in id order, after ``after``."""
    query = members_query(scope, filters)
    if after is not None:
        query = query.where(Member.id > after)
    return query.order_by(Member.id).limit(limit)


def count_query(scope: Scope, filters: SegmentFilters) -> Select[Any]:
    return select(func.count()).select_from(members_query(scope, filters).subquery())


def details_query(scope: Scope, member_ids: list[uuid.UUID]) -> Select[Any]:
    """What a segment's member list shows of each of ``member_ids``."""
    if not member_ids:
        return select(Member.id).where(false())
    totals = purchase_totals(scope.merchant_id, scope.currency, scope.now, member_ids=member_ids)
    return (
        select(
            Member.id,
            Member.phone,
            Member.name,
            Member.acquired_location,
            func.coalesce(LoyaltyAccount.tier, scope.first_tier).label("tier"),
            func.coalesce(totals.c.frequency, 0).label("orders"),
            func.coalesce(totals.c.monetary, 0).label("spent"),
            totals.c.last_order_at,
            MemberRfm.r_score,
            MemberRfm.f_score,
            MemberRfm.m_score,
        )
        .outerjoin(totals, totals.c.member_id == Member.id)
        .outerjoin(
            LoyaltyAccount,
            and_(
                LoyaltyAccount.merchant_id == scope.merchant_id,
                LoyaltyAccount.member_id == Member.id,
            ),
        )
        .outerjoin(
            MemberRfm,
            and_(MemberRfm.merchant_id == scope.merchant_id, MemberRfm.member_id == Member.id),
        )
        .where(Member.merchant_id == scope.merchant_id, Member.id.in_(member_ids))
        .order_by(Member.id)
    )
