"""Use cases: issue a campaign's tracking codes (one per poster, link, QR code, platform or
staff member) and read them back."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from omniloop.catalog.models import Sku
from omniloop.db import UnitOfWork, is_unique_violation
from omniloop.errors import ValidationFailed
from omniloop.events import record_event
from omniloop.marketing.domain import (
    InvalidCampaign,
    LandingType,
    Medium,
    check_http_url,
    new_tracking_code,
    normalize_code,
)
from omniloop.marketing.errors import TrackingCodeNotFound, UnknownReference
from omniloop.marketing.models import TrackingCode, TrackingCodeLookup
from omniloop.marketing.service import check_locations_in, load_campaign
from omniloop.shared.clock import ensure_utc, utcnow
from omniloop.shared.pagination import decode_cursor, encode_cursor

_CODE_TRIES = 5
"""Codes drawn before giving up: 40 random bits collide about never."""


async def _landing_value(
    session: AsyncSession,
    merchant_id: uuid.UUID,
    landing_type: LandingType,
    value: str | None,
    location: str | None,
) -> str:
    """The landing's value, checked against what the merchant has (422 otherwise)."""
    if landing_type is LandingType.STORE:
        value = value or location
        if not value:
            raise ValidationFailed(
                "a store landing names a location (or the code has one)", field="landing.value"
            )
        await check_locations_in(session, merchant_id, [value], field="landing.value")
        return value
    if not value:
        raise ValidationFailed(
            f"a {landing_type.value} landing needs a value", field="landing.value"
        )
    if landing_type is LandingType.URL:
        try:
            return check_http_url(value)
        except InvalidCampaign as exc:
            raise ValidationFailed(str(exc), field=exc.field) from None
    if landing_type is LandingType.PRODUCT:
        found = await session.scalar(
            select(Sku.sku).where(Sku.merchant_id == merchant_id, Sku.sku == value)
        )
        if found is None:
            raise UnknownReference(f"no SKU {value!r}", field="landing.value")
    return value


async def create_tracking_code_in(
    session: AsyncSession,
    *,
    merchant_id: uuid.UUID,
    campaign_id: uuid.UUID,
    medium: Medium,
    location: str | None,
    landing_type: LandingType,
    landing_value: str | None,
    actor: str,
    affiliate_id: uuid.UUID | None = None,
) -> TrackingCode:
    """Issue a new code for a campaign in the caller's transaction (an affiliate's too)."""
    await load_campaign(session, merchant_id, campaign_id)
    if location is not None:
        await check_locations_in(session, merchant_id, [location], field="location")
    value = await _landing_value(session, merchant_id, landing_type, landing_value, location)
    for attempt in range(_CODE_TRIES):
        code = new_tracking_code()
        row = TrackingCode(
            merchant_id=merchant_id,
            code=code,
            campaign_id=campaign_id,
            medium=medium.value,
            location_code=location,
            landing_type=landing_type.value,
            landing_value=value,
            affiliate_id=affiliate_id,
            created_by=actor,
            created_at=utcnow(),
        )
        try:
            async with session.begin_nested():
                # The lookup's primary key keeps codes unique across merchants.
                session.add(TrackingCodeLookup(code=code, merchant_id=merchant_id))
                await session.flush()
                session.add(row)
                await session.flush()
        except IntegrityError as exc:
            if not is_unique_violation(exc) or attempt == _CODE_TRIES - 1:
                raise
            continue
        record_event(
            session,
            merchant_id=merchant_id,
            type="tracking_code.created",
            data={
                "code": code,
                "campaign_id": str(campaign_id),
                "medium": row.medium,
                "location": location,
            },
        )
        return row
    raise AssertionError("unreachable")  # pragma: no cover


async def create_tracking_code(
    *,
    uow: UnitOfWork,
    merchant_id: uuid.UUID,
    campaign_id: uuid.UUID,
    medium: Medium,
    location: str | None,
    landing_type: LandingType,
    landing_value: str | None,
    actor: str,
) -> TrackingCode:
    """Issue a tracking code for a poster, link, QR code, platform or staff member."""
    async with uow:
        row = await create_tracking_code_in(
            uow.session,
            merchant_id=merchant_id,
            campaign_id=campaign_id,
            medium=medium,
            location=location,
            landing_type=landing_type,
            landing_value=landing_value,
            actor=actor,
        )
        await uow.commit()
    return row


def _code_cursor(cursor: str | None) -> tuple[datetime, str] | None:
    key = decode_cursor(cursor)
    if key is None:
        return None
    try:
        created_at, code = key
        return ensure_utc(datetime.fromisoformat(created_at)), str(code)
    except (TypeError, ValueError):
        raise ValidationFailed("cursor is not one this API issued", field="cursor") from None


async def list_tracking_codes(
    *,
    uow: UnitOfWork,
    merchant_id: uuid.UUID,
    campaign_id: uuid.UUID,
    limit: int,
    cursor: str | None = None,
) -> tuple[list[TrackingCode], str | None]:
    """A campaign's codes, oldest first, one page at a time."""
    after = _code_cursor(cursor)
    query = select(TrackingCode).where(
        TrackingCode.merchant_id == merchant_id, TrackingCode.campaign_id == campaign_id
    )
    if after is not None:
        query = query.where(
            or_(
                TrackingCode.created_at > after[0],
                and_(TrackingCode.created_at == after[0], TrackingCode.code > after[1]),
            )
        )
    query = query.order_by(TrackingCode.created_at, TrackingCode.code).limit(limit + 1)
    async with uow.read_only():
        await load_campaign(uow.session, merchant_id, campaign_id)
        rows = list(await uow.session.scalars(query))
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    return rows, encode_cursor([ensure_utc(last.created_at).isoformat(), last.code])


async def get_tracking_code(
    *, uow: UnitOfWork, merchant_id: uuid.UUID, campaign_id: uuid.UUID, code: str
) -> TrackingCode:
    """One of a campaign's codes, or 404."""
    normalized = normalize_code(code)
    async with uow.read_only():
        await load_campaign(uow.session, merchant_id, campaign_id)
        row = None
        if normalized is not None:
            row = await uow.session.get(TrackingCode, (merchant_id, normalized))
    if row is None or row.campaign_id != campaign_id:
        raise TrackingCodeNotFound(f"campaign {campaign_id} has no tracking code {code!r}")
    return row
