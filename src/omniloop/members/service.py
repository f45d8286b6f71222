"""Member use cases: sign up or find by phone, show, list, history, merge, join QR codes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import InstrumentedAttribute

from omniloop.db import UnitOfWork
from omniloop.errors import ValidationFailed
from omniloop.locations.models import Location
from omniloop.locations.service import get_location
from omniloop.members.domain import MemberStatus
from omniloop.members.identity import find_by_phone, load_member
from omniloop.members.join import (
    join_member_in,
    join_url,
    make_join_token,
    qr_svg,
    verify_join_token,
)
from omniloop.members.merge import merge_in
from omniloop.members.models import Member, MemberActivity
from omniloop.members.schemas import ActivityOut, JoinQrOut, MemberOut
from omniloop.members.views import member_views, merged_ids_in
from omniloop.shared.pagination import DEFAULT_LIMIT, decode_time_key, encode_time_key

Order = Literal["newest", "oldest"]


def _after(
    created_at: InstrumentedAttribute[datetime],
    row_id: InstrumentedAttribute[uuid.UUID],
    cursor: str | None,
    *,
    newest: bool,
) -> ColumnElement[bool] | None:
    """The rows past a (created_at, id) cursor in the list's direction."""
    key = decode_time_key(cursor)
    if key is None:
        return None
    at, last_id = key
    if newest:
        return or_(created_at < at, and_(created_at == at, row_id < last_id))
    return or_(created_at > at, and_(created_at == at, row_id > last_id))


def _next_cursor(rows: list[Member] | list[MemberActivity], limit: int) -> str | None:
    if len(rows) <= limit:
        return None
    last = rows[limit - 1]
    return encode_time_key(last.created_at, last.id)


async def join_location(
    *, uow: UnitOfWork, merchant_id: uuid.UUID, join_token: str | None, location: str | None
) -> str | None:
    """The store a sign-up names: the verified join token's, or ``location``; 422 when the
    token is forged or names another store than ``location``."""
    if join_token is None:
        return location
    async with uow:
        joined_at = await verify_join_token(uow.session, merchant_id, join_token)
        await uow.commit()  # the merchant's join secret, when this was its first use
    if location is not None and location != joined_at:
        raise ValidationFailed(
            f"the join QR code is for location {joined_at!r}, not {location!r}", field="location"
        )
    return joined_at


async def sign_up(
    *,
    uow: UnitOfWork,
    merchant_id: uuid.UUID,
    phone: str,
    name: str | None,
    channel: str,
    location: str | None,
    personal_data: bool,
) -> tuple[MemberOut, bool]:
    """The member for ``phone`` (E.164), created when new; returns (view, created). Signing
    up at a store makes it a new member's acquisition, or adds it to an existing one's
    history."""
    async with uow:
        session = uow.session
        if location is not None and await session.get(Location, (merchant_id, location)) is None:
            raise ValidationFailed(f"no location with code {location!r}", field="location")
        member, created = await join_member_in(
            session,
            merchant_id=merchant_id,
            phone=phone,
            name=name,
            channel=channel,
            location=location,
        )
        await session.flush()
        [view] = await member_views(session, merchant_id, [member], personal_data=personal_data)
        await uow.commit()
    return view, created


async def get_member(
    *, uow: UnitOfWork, merchant_id: uuid.UUID, member_id: uuid.UUID, personal_data: bool
) -> MemberOut:
    """One member (the survivor, for a merged id), or 404 member_not_found."""
    async with uow.read_only():
        member = await load_member(uow.session, merchant_id, member_id)
        [view] = await member_views(uow.session, merchant_id, [member], personal_data=personal_data)
    return view


async def find_member(
    *, uow: UnitOfWork, merchant_id: uuid.UUID, phone: str, personal_data: bool
) -> MemberOut | None:
    """The member with this E.164 phone (the survivor, for a merged record's phone)."""
    async with uow.read_only():
        member = await find_by_phone(uow.session, merchant_id, phone)
        if member is None:
            return None
        [view] = await member_views(uow.session, merchant_id, [member], personal_data=personal_data)
    return view


async def list_members(
    *,
    uow: UnitOfWork,
    merchant_id: uuid.UUID,
    acquired_location: str | None = None,
    status: MemberStatus | None = MemberStatus.ACTIVE,
    order: Order = "newest",
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
    personal_data: bool,
) -> tuple[list[MemberOut], str | None]:
    """Members by sign-up time, a page at a time (active ones unless ``status`` says)."""
    query = select(Member).where(Member.merchant_id == merchant_id)
    if acquired_location is not None:
        query = query.where(Member.acquired_location == acquired_location)
    if status is not None:
        query = query.where(Member.status == status.value)
    newest = order == "newest"
    after = _after(Member.created_at, Member.id, cursor, newest=newest)
    if after is not None:
        query = query.where(after)
    if newest:
        query = query.order_by(Member.created_at.desc(), Member.id.desc())
    else:
        query = query.order_by(Member.created_at, Member.id)
    async with uow.read_only():
        members = list(await uow.session.scalars(query.limit(limit + 1)))
        views = await member_views(
            uow.session, merchant_id, members[:limit], personal_data=personal_data
        )
    return views, _next_cursor(members, limit)


async def list_activity(
    *,
    uow: UnitOfWork,
    merchant_id: uuid.UUID,
    member_id: uuid.UUID,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> tuple[list[ActivityOut], str | None]:
    """The member's history, newest first, including every record merged into it."""
    after = _after(MemberActivity.created_at, MemberActivity.id, cursor, newest=True)
    async with uow.read_only():
        session = uow.session
        member = await load_member(session, merchant_id, member_id)
        records = [member.id, *(await merged_ids_in(session, merchant_id, [member.id]))[member.id]]
        query = select(MemberActivity).where(
            MemberActivity.merchant_id == merchant_id, MemberActivity.member_id.in_(records)
        )
        if after is not None:
            query = query.where(after)
        query = query.order_by(MemberActivity.created_at.desc(), MemberActivity.id.desc())
        rows = list(await session.scalars(query.limit(limit + 1)))
    items = [
        ActivityOut(
            id=row.id,
            member_id=row.member_id,
            kind=row.kind,
            channel=row.channel,
            location=row.location_code,
            order_id=row.order_id,
            detail=row.detail,
            created_at=row.created_at,
        )
        for row in rows[:limit]
    ]
    return items, _next_cursor(rows, limit)


async def merge_members(
    *,
    uow: UnitOfWork,
    merchant_id: uuid.UUID,
    survivor_id: uuid.UUID,
    absorbed_id: uuid.UUID,
    actor: str,
    personal_data: bool,
) -> MemberOut:
    """Merge two records of one customer; the survivor's view, with all history."""
    async with uow:
        survivor = await merge_in(
            uow.session,
            merchant_id=merchant_id,
            survivor_id=survivor_id,
            absorbed_id=absorbed_id,
            actor=actor,
        )
        [view] = await member_views(
            uow.session, merchant_id, [survivor], personal_data=personal_data
        )
        await uow.commit()
    return view


async def join_qr(
    *, uow: UnitOfWork, merchant_id: uuid.UUID, location: str, base_url: str
) -> JoinQrOut:
    """The QR code a store shows so customers sign up as its members (404 unknown store)."""
    found = await get_location(uow=uow, merchant_id=merchant_id, code=location)
    async with uow:
        token = await make_join_token(uow.session, merchant_id, found.code)
        await uow.commit()
    url = join_url(base_url, token)
    return JoinQrOut(
        location=found.code, join_token=token, url=url, qr_payload=url, svg=qr_svg(url)
    )
