"""In-transaction building blocks other domains call: find or create a member by phone,
follow merges, and record what a member did. They never commit (the caller's service does).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from omniloop.db import is_unique_violation
from omniloop.events import record_event
from omniloop.members.domain import ActivityKind, MemberStatus
from omniloop.members.errors import MemberNotFound
from omniloop.members.models import Member, MemberActivity
from omniloop.shared.clock import utcnow
from omniloop.shared.ids import new_id

MAX_MERGE_HOPS = 8


async def _follow(session: AsyncSession, member: Member) -> Member:
    """The surviving record of a member that may have been merged (possibly repeatedly)."""
    for _ in range(MAX_MERGE_HOPS):
        if member.status != MemberStatus.MERGED.value or member.merged_into is None:
            return member
        survivor = await session.get(Member, (member.merchant_id, member.merged_into))
        if survivor is None:
            return member
        member = survivor
    return member


async def load_member(
    session: AsyncSession,
    merchant_id: uuid.UUID,
    member_id: uuid.UUID,
    *,
    follow_merges: bool = True,
    lock: bool = False,
) -> Member:
    """The member (its survivor when it was merged), or 404 member_not_found."""
    query = select(Member).where(Member.merchant_id == merchant_id, Member.id == member_id)
    if lock:
        query = query.with_for_update()
    member = await session.scalar(query.execution_options(populate_existing=True))
    if member is None:
        raise MemberNotFound(f"no member {member_id}")
    return await _follow(session, member) if follow_merges else member


async def find_by_phone(session: AsyncSession, merchant_id: uuid.UUID, phone: str) -> Member | None:
    """The (surviving) member with this E.164 phone, if any."""
    member = await session.scalar(
        select(Member).where(Member.merchant_id == merchant_id, Member.phone == phone)
    )
    return None if member is None else await _follow(session, member)


async def member_for_phone_in(
    session: AsyncSession,
    *,
    merchant_id: uuid.UUID,
    phone: str,
    name: str | None,
    channel: str | None,
    location: str | None = None,
) -> tuple[Member, bool]:
    """Find the member with ``phone`` (E.164) or create it, in the caller's transaction;
    returns (member, created). A new member records the channel and store that acquired it
    and a ``member.created`` event. Two first orders from one phone racing each other end
    with one member: the loser of the insert reads the winner's row."""
    existing = await find_by_phone(session, merchant_id, phone)
    if existing is not None:
        if existing.name is None and name:
            existing.name = name
        return existing, False
    now = utcnow()
    member = Member(
        merchant_id=merchant_id,
        id=new_id(),
        phone=phone,
        name=name,
        status=MemberStatus.ACTIVE.value,
        acquired_channel=channel,
        acquired_location=location,
        created_at=now,
        updated_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(member)
            await session.flush()
    except IntegrityError as exc:
        if not is_unique_violation(exc):
            raise
        existing = await find_by_phone(session, merchant_id, phone)
        if existing is None:
            raise
        return existing, False
    record_activity_in(
        session,
        merchant_id=merchant_id,
        member_id=member.id,
        kind=ActivityKind.JOINED,
        channel=channel,
        location=location,
    )
    record_event(
        session,
        merchant_id=merchant_id,
        type="member.created",
        data={
            "member_id": str(member.id),
            "channel": channel,
            "location": location,
        },
    )
    return member, True


def record_activity_in(
    session: AsyncSession,
    *,
    merchant_id: uuid.UUID,
    member_id: uuid.UUID,
    kind: ActivityKind,
    channel: str | None = None,
    location: str | None = None,
    order_id: uuid.UUID | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one line to the member's history."""
    session.add(
        MemberActivity(
            merchant_id=merchant_id,
            id=new_id(),
            member_id=member_id,
            kind=kind.value,
            channel=channel,
            location_code=location,
            order_id=order_id,
            detail=detail or {},
            created_at=utcnow(),
        )
    )
