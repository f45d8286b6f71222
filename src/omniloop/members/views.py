"""How a member is shown: its own record plus everything merged into it.

A merge never moves history: activity stays on the record it happened to, and the view of
the survivor reads its own rows and those of every record merged into it. Views of a page of
members are built with one query for the merged records and one for the activity.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from omniloop.loyalty.ledger import balances_in
from omniloop.members.domain import VISITS, ActivityKind, mask_name
from omniloop.members.models import Member, MemberActivity
from omniloop.members.schemas import AcquiredOut, MemberOut, WalletOut
from omniloop.shared.phone import mask_phone

_VISIT_KINDS = sorted(kind.value for kind in VISITS)


@dataclass
class _Seen:
    """What the activity of one member (and its merged records) adds up to."""

    channels: dict[str, datetime] = field(default_factory=dict)
    stores: dict[str, datetime] = field(default_factory=dict)
    first_visit_at: datetime | None = None
    last_visit_at: datetime | None = None
    order_count: int = 0

    def visit(
        self, channel: str | None, store: str | None, first: datetime, last: datetime
    ) -> None:
        if channel is not None and (channel not in self.channels or first < self.channels[channel]):
            self.channels[channel] = first
        if store is not None and (store not in self.stores or first < self.stores[store]):
            self.stores[store] = first
        if self.first_visit_at is None or first < self.first_visit_at:
            self.first_visit_at = first
        if self.last_visit_at is None or last > self.last_visit_at:
            self.last_visit_at = last


def _in_order_seen(seen: dict[str, datetime]) -> list[str]:
    return [name for name, _ in sorted(seen.items(), key=lambda item: (item[1], item[0]))]


async def merged_ids_in(
    session: AsyncSession, merchant_id: uuid.UUID, member_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """For each member, the records merged into it (merges re-point, so one level)."""
    found: dict[uuid.UUID, list[uuid.UUID]] = {member_id: [] for member_id in member_ids}
    if not member_ids:
        return found
    rows = await session.execute(
        select(Member.merged_into, Member.id)
        .where(Member.merchant_id == merchant_id, Member.merged_into.in_(member_ids))
        .order_by(Member.created_at, Member.id)
    )
    for survivor_id, absorbed_id in rows:
        if survivor_id is not None:
            found[survivor_id].append(absorbed_id)
    return found


async def _seen_in(
    session: AsyncSession, merchant_id: uuid.UUID, records: dict[uuid.UUID, uuid.UUID]
) -> dict[uuid.UUID, _Seen]:
    """Sum the activity of every record into the member it belongs to (``records``: record
    id -> member id)."""
    seen: dict[uuid.UUID, _Seen] = defaultdict(_Seen)
    if not records:
        return seen
    rows = await session.execute(
        select(
            MemberActivity.member_id,
            MemberActivity.kind,
            MemberActivity.channel,
            MemberActivity.location_code,
            func.min(MemberActivity.created_at),
            func.max(MemberActivity.created_at),
            func.count(func.distinct(MemberActivity.order_id)),
        )
        .where(
            MemberActivity.merchant_id == merchant_id,
            MemberActivity.member_id.in_(sorted(records)),
            MemberActivity.kind.in_([*_VISIT_KINDS, ActivityKind.ORDER.value]),
        )
        .group_by(
            MemberActivity.member_id,
            MemberActivity.kind,
            MemberActivity.channel,
            MemberActivity.location_code,
        )
    )
    for record_id, kind, channel, store, first, last, orders in rows:
        totals = seen[records[record_id]]
        if kind in _VISIT_KINDS:
            totals.visit(channel, store, first, last)
        if kind == ActivityKind.ORDER.value:
            totals.order_count += int(orders)
    return seen


async def member_views(
    session: AsyncSession,
    merchant_id: uuid.UUID,
    members: list[Member],
    *,
    personal_data: bool,
) -> list[MemberOut]:
    """The views of ``members`` (phone and name masked unless ``personal_data``)."""
    merged = await merged_ids_in(session, merchant_id, [m.id for m in members])
    records = {m.id: m.id for m in members}
    for survivor_id, absorbed in merged.items():
        records.update({absorbed_id: survivor_id for absorbed_id in absorbed})
    seen = await _seen_in(session, merchant_id, records)
    views = []
    for member in members:
        balances = await balances_in(session, merchant_id, member.id)
        totals = seen[member.id]
        views.append(
            MemberOut(
                id=member.id,
                phone=member.phone if personal_data else mask_phone(member.phone),
                name=member.name if personal_data else mask_name(member.name),
                status=member.status,
                merged_into=member.merged_into,
                merged_ids=merged[member.id],
                acquired=AcquiredOut(
                    channel=member.acquired_channel,
                    location=member.acquired_location,
                    at=member.created_at,
                ),
                channels_seen=_in_order_seen(totals.channels),
                stores_seen=_in_order_seen(totals.stores),
                first_visit_at=totals.first_visit_at,
                last_visit_at=totals.last_visit_at,
                order_count=totals.order_count,
                tier=balances.tier,
                points=balances.points,
                wallet=WalletOut(
                    principal=balances.wallet_principal,
                    bonus=balances.wallet_bonus,
                    total=balances.wallet_total,
                ),
                lifetime_net_spend=balances.lifetime_spend,
                rolling_12m_net_spend=balances.rolling_spend,
                created_at=member.created_at,
            )
        )
    return views
