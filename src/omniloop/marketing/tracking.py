"""Exposures (a visitor opened a tracking code) and visitors who became members.

A visitor is a browser, known by the random id in its ``ol_vid`` cookie. ``GET /t/{code}``
records an exposure of the visitor to the code's campaign; when the visitor later signs in,
signs up or orders, the lead's code calls :func:`link_visitor_in`, and from then on the
member's orders can be traced to the visitor's exposures, on any device it linked.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from omniloop.db import UnitOfWork, is_unique_violation
from omniloop.marketing.domain import (
    LandingType,
    in_campaign_window,
    is_bot,
    is_visitor_id,
    landing_url,
    new_visitor_id,
    normalize_code,
)
from omniloop.marketing.errors import TrackingCodeNotFound
from omniloop.marketing.models import (
    Campaign,
    Exposure,
    TrackingCode,
    TrackingCodeLookup,
    VisitorLink,
)
from omniloop.shared.clock import ensure_utc
from omniloop.shared.ids import new_id

_TEXT_LIMIT = 500


@dataclass(frozen=True)
class Visit:
    """What the public redirect needs: where to go, and the visitor's (maybe new) id."""

    landing_url: str
    visitor_id: str
    new_visitor: bool


def _clip(text: str | None) -> str | None:
    return text[:_TEXT_LIMIT] if text else None


async def record_exposure(
    *,
    uow: UnitOfWork,
    code: str,
    visitor_id: str | None,
    user_agent: str | None,
    referer: str | None,
    at: datetime,
    base_url: str,
) -> Visit:
    """Record that a visitor opened ``code`` and say where to send them; 404
    tracking_code_not_found for a code no merchant issued. Bots and openings outside the
    campaign's dates are recorded but flagged, so they never count."""
    normalized = normalize_code(code)
    new_visitor = not is_visitor_id(visitor_id)
    visitor = new_visitor_id() if new_visitor or visitor_id is None else visitor_id
    async with uow:
        session = uow.session
        lookup = await session.get(TrackingCodeLookup, normalized) if normalized else None
        row = await session.get(TrackingCode, (lookup.merchant_id, lookup.code)) if lookup else None
        campaign = await session.get(Campaign, (row.merchant_id, row.campaign_id)) if row else None
        if row is None or campaign is None:
            raise TrackingCodeNotFound(f"no tracking code {code[:32]!r}")
        session.add(
            Exposure(
                merchant_id=row.merchant_id,
                id=new_id(),
                code=row.code,
                campaign_id=row.campaign_id,
                visitor_id=visitor,
                exposed_at=at,
                user_agent=_clip(user_agent),
                referer=_clip(referer),
                is_bot=is_bot(user_agent),
                outside_window=not in_campaign_window(
                    at,
                    starts_at=ensure_utc(campaign.starts_at),
                    ends_at=ensure_utc(campaign.ends_at),
                ),
            )
        )
        await uow.commit()
    target = landing_url(
        base_url=base_url,
        code=row.code,
        landing_type=LandingType(row.landing_type),
        value=row.landing_value,
    )
    return Visit(landing_url=target, visitor_id=visitor, new_visitor=new_visitor)


async def link_visitor_in(
    session: AsyncSession,
    *,
    merchant_id: uuid.UUID,
    visitor_id: str | None,
    member_id: uuid.UUID,
    at: datetime,
) -> uuid.UUID | None:
    """Record, in the caller's transaction, that the visitor is the member (on sign-in,
    sign-up or order). Idempotent, and the first link wins: returns the member the visitor
    is linked to, or None for something that is not a visitor id (ignored)."""
    if not is_visitor_id(visitor_id):
        return None
    assert visitor_id is not None
    existing = await session.get(VisitorLink, (merchant_id, visitor_id))
    if existing is not None:
        return existing.member_id
    try:
        async with session.begin_nested():
            session.add(
                VisitorLink(
                    merchant_id=merchant_id,
                    visitor_id=visitor_id,
                    member_id=member_id,
                    linked_at=ensure_utc(at),
                )
            )
            await session.flush()
    except IntegrityError as exc:
        if not is_unique_violation(exc):
            raise
        winner = await session.scalar(
            select(VisitorLink.member_id).where(
                VisitorLink.merchant_id == merchant_id, VisitorLink.visitor_id == visitor_id
            )
        )
        return winner
    return member_id


async def merge_visitor_links_in(
    session: AsyncSession, merchant_id: uuid.UUID, survivor_id: uuid.UUID, absorbed_id: uuid.UUID
) -> None:
    """Members merge participant: the absorbed record's visitors become the survivor's."""
    await session.execute(
        update(VisitorLink)
        .where(VisitorLink.merchant_id == merchant_id, VisitorLink.member_id == absorbed_id)
        .values(member_id=survivor_id)
        .execution_options(synchronize_session=False)
    )
