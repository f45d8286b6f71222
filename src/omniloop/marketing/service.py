"""Use cases: manage campaigns.

Tracking codes are in :mod:`omniloop.marketing.codes`, exposures and visitor links in
:mod:`omniloop.marketing.tracking`, order attribution in :mod:`omniloop.marketing.attribution`,
the funnel report in :mod:`omniloop.marketing.report`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, not_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from omniloop.db import UnitOfWork
from omniloop.errors import ValidationFailed
from omniloop.events import record_event
from omniloop.locations.models import Location
from omniloop.marketing.domain import (
    DEFAULT_WINDOW_DAYS,
    AttributionModel,
    CampaignKind,
    InvalidCampaign,
    check_campaign,
)
from omniloop.marketing.errors import CampaignNotFound, UnknownReference
from omniloop.marketing.models import Campaign, Exposure
from omniloop.merchants.models import Merchant
from omniloop.shared.clock import ensure_utc, utcnow
from omniloop.shared.ids import new_id
from omniloop.shared.pagination import (
    decode_time_key,
    encode_time_key,
)

_EDITABLE = frozenset(
    {
        "name",
        "cost",
        "starts_at",
        "ends_at",
        "channels",
        "locations",
        "attribution_window_days",
        "attribution_model",
    }
)


def _public(campaign: Campaign) -> dict[str, Any]:
    """What events say about a campaign."""
    return {
        "id": str(campaign.id),
        "kind": campaign.kind,
        "name": campaign.name,
        "cost": campaign.cost,
        "currency": campaign.currency,
        "starts_at": ensure_utc(campaign.starts_at).isoformat(),
        "ends_at": ensure_utc(campaign.ends_at).isoformat(),
    }


def _check(campaign: Campaign) -> None:
    try:
        check_campaign(
            name=campaign.name,
            cost=campaign.cost,
            starts_at=ensure_utc(campaign.starts_at),
            ends_at=ensure_utc(campaign.ends_at),
            channels=campaign.channels,
            locations=campaign.locations,
            attribution_window_days=campaign.attribution_window_days,
        )
    except InvalidCampaign as exc:
        raise ValidationFailed(str(exc), field=exc.field) from None


async def check_locations_in(
    session: AsyncSession, merchant_id: uuid.UUID, codes: Sequence[str], *, field: str
) -> None:
    """422 unknown_reference (naming ``field``) unless the merchant has every location."""
    if not codes:
        return
    known = set(
        await session.scalars(
            select(Location.code).where(
                Location.merchant_id == merchant_id, Location.code.in_(list(codes))
            )
        )
    )
    missing = sorted(set(codes) - known)
    if missing:
        raise UnknownReference(
            f"no location {', '.join(repr(c) for c in missing[:10])}", field=field, missing=missing
        )


async def load_campaign(
    session: AsyncSession, merchant_id: uuid.UUID, campaign_id: uuid.UUID, *, lock: bool = False
) -> Campaign:
    """The merchant's campaign, or 404 campaign_not_found (another merchant's too)."""
    query = select(Campaign).where(Campaign.merchant_id == merchant_id, Campaign.id == campaign_id)
    if lock:
        query = query.with_for_update()
    campaign = await session.scalar(query)
    if campaign is None:
        raise CampaignNotFound(f"no campaign {campaign_id}")
    return campaign


async def create_campaign_in(
    session: AsyncSession,
    *,
    merchant_id: uuid.UUID,
    name: str,
    cost: int,
    starts_at: datetime,
    ends_at: datetime,
    actor: str,
    channels: Sequence[str] = (),
    locations: Sequence[str] = (),
    attribution_window_days: int = DEFAULT_WINDOW_DAYS,
    kind: str = CampaignKind.CAMPAIGN.value,
    attribution_model: str = AttributionModel.LAST_TOUCH.value,
) -> Campaign:
    """Add a campaign in the caller's transaction (a segment's coupon grant is one, of kind
    ``segment_grant``); 422 when it breaks a rule or names an unknown location."""
    try:
        kind = CampaignKind(kind).value
        attribution_model = AttributionModel(attribution_model).value
    except ValueError as exc:
        raise ValidationFailed(str(exc)) from None
    merchant = await session.get(Merchant, merchant_id)
    if merchant is None:
        raise ValidationFailed(f"no merchant {merchant_id}", field="merchant_id")
    now = utcnow()
    campaign = Campaign(
        merchant_id=merchant_id,
        id=new_id(),
        kind=kind,
        name=name.strip(),
        currency=merchant.currency,
        cost=cost,
        starts_at=ensure_utc(starts_at),
        ends_at=ensure_utc(ends_at),
        channels=list(channels),
        locations=list(locations),
        attribution_window_days=attribution_window_days,
        attribution_model=attribution_model,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    _check(campaign)
    await check_locations_in(session, merchant_id, campaign.locations, field="locations")
    session.add(campaign)
    record_event(session, merchant_id=merchant_id, type="campaign.created", data=_public(campaign))
    await session.flush()
    return campaign


async def create_campaign(*, uow: UnitOfWork, merchant_id: uuid.UUID, **fields: Any) -> Campaign:
    """Start a campaign (see :func:`create_campaign_in` for the fields)."""
    async with uow:
        campaign = await create_campaign_in(uow.session, merchant_id=merchant_id, **fields)
        await uow.commit()
    return campaign


async def list_campaigns(
    *,
    uow: UnitOfWork,
    merchant_id: uuid.UUID,
    limit: int,
    cursor: str | None = None,
    kind: CampaignKind | None = None,
) -> tuple[list[Campaign], str | None]:
    """The merchant's campaigns, oldest first, one page at a time."""
    after = decode_time_key(cursor)
    query = select(Campaign).where(Campaign.merchant_id == merchant_id)
    if kind is not None:
        query = query.where(Campaign.kind == kind.value)
    if after is not None:
        query = query.where(
            or_(
                Campaign.created_at > after[0],
                and_(Campaign.created_at == after[0], Campaign.id > after[1]),
            )
        )
    query = query.order_by(Campaign.created_at, Campaign.id).limit(limit + 1)
    async with uow.read_only():
        rows = list(await uow.session.scalars(query))
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_time_key(rows[-1].created_at, rows[-1].id)


async def get_campaign(
    *, uow: UnitOfWork, merchant_id: uuid.UUID, campaign_id: uuid.UUID
) -> Campaign:
    """One campaign of the merchant, or 404."""
    async with uow.read_only():
        return await load_campaign(uow.session, merchant_id, campaign_id)


async def update_campaign(
    *, uow: UnitOfWork, merchant_id: uuid.UUID, campaign_id: uuid.UUID, changes: dict[str, Any]
) -> Campaign:
    """Change a campaign; new dates re-decide which of its exposures count. A new window or
    model applies to orders attributed from now on (orders keep their campaign)."""
    unknown = set(changes) - _EDITABLE
    if unknown:
        raise ValidationFailed(f"cannot change {', '.join(sorted(unknown))}")
    async with uow:
        session = uow.session
        campaign = await load_campaign(session, merchant_id, campaign_id, lock=True)
        values = {
            name: value.value if isinstance(value, AttributionModel) else value
            for name, value in changes.items()
        }
        changed = sorted(name for name, value in values.items() if getattr(campaign, name) != value)
        if changed:
            for name in changed:
                setattr(campaign, name, values[name])
            _check(campaign)
            if "locations" in changed:
                await check_locations_in(
                    session, merchant_id, campaign.locations, field="locations"
                )
            campaign.updated_at = utcnow()
            if {"starts_at", "ends_at"} & set(changed):
                await _reflag_exposures(session, campaign)
            record_event(
                session,
                merchant_id=merchant_id,
                type="campaign.updated",
                data={**_public(campaign), "changed": changed},
            )
        await uow.commit()
    return campaign


async def _reflag_exposures(session: AsyncSession, campaign: Campaign) -> None:
    """Exposures count while the campaign runs: mark them again for its new dates."""
    starts_at, ends_at = ensure_utc(campaign.starts_at), ensure_utc(campaign.ends_at)
    inside = and_(Exposure.exposed_at >= starts_at, Exposure.exposed_at <= ends_at)
    await session.execute(
        update(Exposure)
        .where(Exposure.merchant_id == campaign.merchant_id, Exposure.campaign_id == campaign.id)
        .values(outside_window=not_(inside))
        .execution_options(synchronize_session=False)
    )
