"""Which campaign an order is credited to: the order intake asks :func:`attribute_in`.

The rules are in :mod:`omniloop.marketing.domain` (explicit code first, then the visitor's
touches within each campaign's window, first- or last-touch); this module only fetches the
rows they need.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from omniloop.marketing.domain import (
    MAX_WINDOW_DAYS,
    Attribution,
    AttributionModel,
    CampaignRules,
    Touch,
    attribute_touches,
    explicit_attribution,
    is_visitor_id,
    normalize_code,
)
from omniloop.marketing.models import Campaign, Exposure, TrackingCode, VisitorLink
from omniloop.shared.clock import ensure_utc

__all__ = ["Attribution", "attribute_in"]

MAX_TOUCHES = 1000
"""The most recent touches considered for one order (a person opens a few codes; a visitor
with more is a machine that slipped past the bot rule)."""


def _rules(campaign: Campaign) -> CampaignRules:
    return CampaignRules(
        campaign_id=campaign.id,
        window_days=campaign.attribution_window_days,
        model=AttributionModel(campaign.attribution_model),
        channels=frozenset(campaign.channels or ()),
        locations=frozenset(campaign.locations or ()),
    )


async def _explicit(
    session: AsyncSession,
    merchant_id: uuid.UUID,
    tracking_code: str | None,
    channel: str,
    location: str | None,
) -> Attribution | None:
    code = normalize_code(tracking_code)
    if code is None:
        return None
    row = await session.get(TrackingCode, (merchant_id, code))
    if row is None:
        return None
    campaign = await session.get(Campaign, (merchant_id, row.campaign_id))
    if campaign is None:
        return None
    return explicit_attribution(code, _rules(campaign), channel=channel, location=location)


async def attribute_in(
    session: AsyncSession,
    *,
    merchant_id: uuid.UUID,
    tracking_code: str | None,
    visitor_id: str | None,
    member_id: uuid.UUID | None,
    channel: str,
    location: str | None,
    at: datetime,
) -> Attribution | None:
    """The campaign an order placed at ``at`` is credited to, or None (reads only).

    An explicit ``tracking_code`` that exists wins; otherwise the counted exposures of the
    visitor, and of every visitor linked to the member, decide (rules in marketing.domain)."""
    at = ensure_utc(at)
    explicit = await _explicit(session, merchant_id, tracking_code, channel, location)
    if explicit is not None:
        return explicit
    whose = []
    if is_visitor_id(visitor_id):
        whose.append(Exposure.visitor_id == visitor_id)
    if member_id is not None:
        linked = select(VisitorLink.visitor_id).where(
            VisitorLink.merchant_id == merchant_id, VisitorLink.member_id == member_id
        )
        whose.append(Exposure.visitor_id.in_(linked.scalar_subquery()))
    if not whose:
        return None
    rows = (
        await session.execute(
            select(Exposure.id, Exposure.code, Exposure.campaign_id, Exposure.exposed_at)
            .where(
                Exposure.merchant_id == merchant_id,
                or_(*whose),
                Exposure.is_bot.is_(False),
                Exposure.outside_window.is_(False),
                Exposure.exposed_at <= at,
                Exposure.exposed_at >= at - timedelta(days=MAX_WINDOW_DAYS),
            )
            .order_by(Exposure.exposed_at.desc(), Exposure.id)
            .limit(MAX_TOUCHES)
        )
    ).all()
    if not rows:
        return None
    touches = [
        Touch(
            exposure_id=row.id,
            tracking_code=row.code,
            campaign_id=row.campaign_id,
            exposed_at=ensure_utc(row.exposed_at),
        )
        for row in rows
    ]
    campaigns = await session.scalars(
        select(Campaign).where(
            Campaign.merchant_id == merchant_id,
            Campaign.id.in_({touch.campaign_id for touch in touches}),
        )
    )
    rules = {campaign.id: _rules(campaign) for campaign in campaigns}
    return attribute_touches(touches, rules, channel=channel, location=location, at=at)
