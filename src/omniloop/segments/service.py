"""Segment use cases: RFM on demand and per member, saved segments and their members (coupon
grants to them: :mod:`omniloop.segments.grants`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from omniloop.db import Database, UnitOfWork, is_unique_violation
from omniloop.errors import NotFound, ValidationFailed
from omniloop.events import record_event
from omniloop.locations.models import Location
from omniloop.loyalty.program import load_program
from omniloop.members.identity import load_member
from omniloop.merchants.models import Merchant
from omniloop.segments import query
from omniloop.segments.domain import (
    InvalidFilters,
    SegmentFilters,
    filters_from_config,
    filters_to_config,
    validate_filters,
)
from omniloop.segments.errors import InvalidSegmentFilters, SegmentNameTaken, SegmentNotFound
from omniloop.segments.models import MemberRfm, Segment
from omniloop.segments.rfm import compute_rfm
from omniloop.segments.schemas import (
    RfmOut,
    RfmRunOut,
    SegmentMemberOut,
    SegmentMembersPage,
    SegmentOut,
)
from omniloop.shared.clock import utcnow
from omniloop.shared.ids import new_id
from omniloop.shared.pagination import (
    decode_cursor,
    decode_time_key,
    encode_cursor,
    encode_time_key,
)
from omniloop.shared.phone import mask_phone

# --------------------------------------------------------------------------- RFM


async def recompute_rfm(*, db: Database, merchant_id: uuid.UUID) -> RfmRunOut:
    """Recompute the merchant's RFM now."""
    now = utcnow()
    buyers = await compute_rfm(db=db, merchant_id=merchant_id, now=now)
    return RfmRunOut(buyers=buyers, computed_at=now)


async def member_rfm(*, uow: UnitOfWork, merchant_id: uuid.UUID, member_id: uuid.UUID) -> RfmOut:
    """A member's RFM as last computed (the survivor's, for a merged id)."""
    async with uow.read_only():
        member = await load_member(uow.session, merchant_id, member_id)
        row = await uow.session.get(MemberRfm, (merchant_id, member.id))
    if row is None:
        return RfmOut(
            member_id=member.id, recency_days=None, frequency=0, monetary=0,
            last_order_at=None, r_score=None, f_score=None, m_score=None, computed_at=None,
        )  # fmt: skip
    return RfmOut.model_validate(row, from_attributes=True)


# --------------------------------------------------------------------------- segments


async def scope_in(session: AsyncSession, merchant_id: uuid.UUID, now: datetime) -> query.Scope:
    """What the merchant's segments are evaluated against at ``now``."""
    merchant = await session.get(Merchant, merchant_id)
    if merchant is None:
        raise NotFound(f"no merchant {merchant_id}")
    program = await load_program(session, merchant_id)
    return query.Scope(
        merchant_id=merchant_id,
        currency=merchant.currency,
        first_tier=program.tiers[0].code,
        now=now,
    )


async def _checked(
    session: AsyncSession, merchant_id: uuid.UUID, filters: SegmentFilters
) -> SegmentFilters:
    """The filters, if they keep the rules and name tiers and stores the merchant has."""
    try:
        filters = validate_filters(filters)
    except InvalidFilters as exc:
        raise InvalidSegmentFilters(exc.message, field=f"filters.{exc.field}") from None
    if filters.tiers:
        known = {tier.code for tier in (await load_program(session, merchant_id)).tiers}
        unknown = [code for code in filters.tiers if code not in known]
        if unknown:
            raise InvalidSegmentFilters(
                f"no tier {unknown[0]!r} in the loyalty program", field="filters.tiers"
            )
    if filters.acquired_locations:
        found = set(
            await session.scalars(
                select(Location.code).where(
                    Location.merchant_id == merchant_id,
                    Location.code.in_(filters.acquired_locations),
                )
            )
        )
        unknown = [code for code in filters.acquired_locations if code not in found]
        if unknown:
            raise InvalidSegmentFilters(
                f"no location {unknown[0]!r}", field="filters.acquired_locations"
            )
    return filters


def _view(segment: Segment) -> SegmentOut:
    return SegmentOut.model_validate(segment, from_attributes=True)


async def load_segment_in(
    session: AsyncSession, merchant_id: uuid.UUID, segment_id: uuid.UUID, *, lock: bool = False
) -> Segment:
    """The merchant's saved segment, or 404 segment_not_found (another merchant's too)."""
    statement = select(Segment).where(Segment.merchant_id == merchant_id, Segment.id == segment_id)
    if lock:
        statement = statement.with_for_update()
    segment = await session.scalar(statement)
    if segment is None:
        raise SegmentNotFound(f"no segment {segment_id}")
    return segment


async def _committed(uow: UnitOfWork, name: str) -> None:
    try:
        await uow.commit()
    except IntegrityError as exc:
        if is_unique_violation(exc):
            raise SegmentNameTaken(f"a segment is already named {name!r}", name=name) from None
        raise


async def create_segment(
    *,
    uow: UnitOfWork,
    merchant_id: uuid.UUID,
    name: str,
    filters: SegmentFilters,
    actor: str,
) -> SegmentOut:
    """Save a segment (409 segment_name_taken when the name is in use)."""
    async with uow:
        filters = await _checked(uow.session, merchant_id, filters)
        now = utcnow()
        segment = Segment(
            merchant_id=merchant_id,
            id=new_id(),
            name=name,
            filters=filters_to_config(filters),
            created_by=actor,
            created_at=now,
            updated_at=now,
        )
        uow.session.add(segment)
        record_event(
            uow.session,
            merchant_id=merchant_id,
            type="segment.created",
            data={"segment_id": str(segment.id), "name": name, "filters": segment.filters},
        )
        await _committed(uow, name)
    return _view(segment)


async def list_segments(
    *, uow: UnitOfWork, merchant_id: uuid.UUID, limit: int, cursor: str | None
) -> tuple[list[SegmentOut], str | None]:
    """Saved segments, newest first."""
    statement = select(Segment).where(Segment.merchant_id == merchant_id)
    key = decode_time_key(cursor)
    if key is not None:
        at, last_id = key
        statement = statement.where(
            (Segment.created_at < at) | ((Segment.created_at == at) & (Segment.id < last_id))
        )
    statement = statement.order_by(Segment.created_at.desc(), Segment.id.desc()).limit(limit + 1)
    async with uow.read_only():
        segments = list(await uow.session.scalars(statement))
    next_cursor = None
    if len(segments) > limit:
        last = segments[limit - 1]
        next_cursor = encode_time_key(last.created_at, last.id)
    return [_view(s) for s in segments[:limit]], next_cursor


async def get_segment(
    *, uow: UnitOfWork, merchant_id: uuid.UUID, segment_id: uuid.UUID
) -> SegmentOut:
    async with uow.read_only():
        return _view(await load_segment_in(uow.session, merchant_id, segment_id))


async def update_segment(
    *,
    uow: UnitOfWork,
    merchant_id: uuid.UUID,
    segment_id: uuid.UUID,
    name: str | None,
    filters: SegmentFilters | None,
) -> SegmentOut:
    """Rename a segment and/or replace its filters."""
    async with uow:
        segment = await load_segment_in(uow.session, merchant_id, segment_id, lock=True)
        if filters is not None:
            segment.filters = filters_to_config(await _checked(uow.session, merchant_id, filters))
        if name is not None:
            segment.name = name
        segment.updated_at = utcnow()
        record_event(
            uow.session,
            merchant_id=merchant_id,
            type="segment.updated",
            data={"segment_id": str(segment.id), "name": segment.name, "filters": segment.filters},
        )
        await _committed(uow, segment.name)
    return _view(segment)


async def delete_segment(*, uow: UnitOfWork, merchant_id: uuid.UUID, segment_id: uuid.UUID) -> None:
    """Delete a saved segment (its past coupon grants keep the filters they used)."""
    async with uow:
        segment = await load_segment_in(uow.session, merchant_id, segment_id, lock=True)
        await uow.session.delete(segment)
        record_event(
            uow.session,
            merchant_id=merchant_id,
            type="segment.deleted",
            data={"segment_id": str(segment_id)},
        )
        await uow.commit()


def _after(cursor: str | None) -> uuid.UUID | None:
    key = decode_cursor(cursor)
    if key is None:
        return None
    try:
        return uuid.UUID(str(key))
    except ValueError:
        raise ValidationFailed("cursor is not one this API issued", field="cursor") from None


def _member_view(row: Any, *, personal_data: bool) -> SegmentMemberOut:
    return SegmentMemberOut(
        member_id=row.id,
        phone=row.phone if personal_data else (mask_phone(row.phone) or ""),
        name=row.name if personal_data else None,
        acquired_location=row.acquired_location,
        tier=row.tier,
        orders=int(row.orders),
        spent=int(row.spent),
        last_order_at=row.last_order_at,
        r_score=row.r_score,
        f_score=row.f_score,
        m_score=row.m_score,
    )


async def segment_members(
    *,
    uow: UnitOfWork,
    merchant_id: uuid.UUID,
    segment_id: uuid.UUID,
    limit: int,
    cursor: str | None,
    personal_data: bool,
    now: datetime | None = None,
) -> SegmentMembersPage:
    """The segment's members now, a page at a time in id order, and how many there are."""
    after = _after(cursor)
    async with uow.read_only():
        session = uow.session
        segment = await load_segment_in(session, merchant_id, segment_id)
        scope = await scope_in(session, merchant_id, now or utcnow())
        filters = filters_from_config(segment.filters)
        ids = list(
            await session.scalars(query.page_query(scope, filters, after=after, limit=limit + 1))
        )
        count = int(await session.scalar(query.count_query(scope, filters)) or 0)
        rows = (await session.execute(query.details_query(scope, ids[:limit]))).all()
    next_cursor = encode_cursor(str(ids[limit - 1])) if len(ids) > limit else None
    return SegmentMembersPage(
        items=[_member_view(row, personal_data=personal_data) for row in rows],
        next_cursor=next_cursor,
        count=count,
    )


async def segment_member_ids_in(
    session: AsyncSession, *, merchant_id: uuid.UUID, filters: SegmentFilters, now: datetime
) -> list[uuid.UUID]:
    """Every member of a segment now, in the caller's transaction."""
    scope = await scope_in(session, merchant_id, now)
    return list(await session.scalars(query.members_query(scope, filters)))


async def members_of_segment_in(
    session: AsyncSession, merchant_id: uuid.UUID, segment_id: uuid.UUID
) -> list[uuid.UUID]:
    """Every member of a saved segment now, in the caller's transaction (404
    segment_not_found): what promotions' ``segment_members`` registry resolves with."""
    segment = await load_segment_in(session, merchant_id, segment_id)
    return await segment_member_ids_in(
        session, merchant_id=merchant_id, filters=filters_from_config(segment.filters), now=utcnow()
    )
