"""Use cases for automatic promotions (满减 tiers, percent off, a tier's price): create, read,
list, change. A change applies to carts priced from then on."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from omniloop.db import UnitOfWork
from omniloop.events import record_event
from omniloop.promotions.domain import PromotionKind, Tier
from omniloop.promotions.editing import (
    check_references,
    columns,
    merchant_currency,
    newest_first,
    paged,
    patch_changes,
)
from omniloop.promotions.errors import PromotionNotFound, invalid_terms
from omniloop.promotions.models import Promotion
from omniloop.promotions.rules import PromotionTerms, promotion_problems
from omniloop.promotions.schemas import PromotionIn, PromotionOut, PromotionPatch
from omniloop.shared.clock import utcnow
from omniloop.shared.ids import new_id

_NULLABLE_PROMOTION_FIELDS = frozenset(
    {"tiers", "percent", "tier_code", "starts_at", "ends_at", "campaign_id"}
)


def promotion_out(promotion: Promotion) -> PromotionOut:
    return PromotionOut.model_validate(promotion, from_attributes=True)


def _promotion_terms(values: dict[str, Any]) -> PromotionTerms:
    tiers = values.get("tiers")
    return PromotionTerms(
        kind=PromotionKind(values["kind"]),
        tiers=None if tiers is None else [Tier(t["threshold"], t["amount"]) for t in tiers],
        percent=values.get("percent"),
        tier_code=values.get("tier_code"),
        skus=values.get("skus") or [],
        categories=values.get("categories") or [],
        starts_at=values.get("starts_at"),
        ends_at=values.get("ends_at"),
    )


async def load_promotion(
    session: AsyncSession, merchant_id: uuid.UUID, promotion_id: uuid.UUID, *, lock: bool = False
) -> Promotion:
    query = select(Promotion).where(
        Promotion.merchant_id == merchant_id, Promotion.id == promotion_id
    )
    if lock:
        query = query.with_for_update()
    promotion = await session.scalar(query.execution_options(populate_existing=True))
    if promotion is None:
        raise PromotionNotFound(f"no promotion {promotion_id}")
    return promotion


async def create_promotion(
    *, uow: UnitOfWork, merchant_id: uuid.UUID, spec: PromotionIn, actor: str
) -> PromotionOut:
    """Create an automatic promotion; it prices carts from its ``starts_at``."""
    values = spec.model_dump()
    problems = promotion_problems(_promotion_terms(values))
    if problems:
        raise invalid_terms(problems)
    async with uow:
        session = uow.session
        await check_references(session, merchant_id, skus=spec.skus, locations=spec.locations)
        values["currency"] = spec.currency or await merchant_currency(session, merchant_id)
        now = utcnow()
        promotion = Promotion(
            id=new_id(),
            merchant_id=merchant_id,
            created_by=actor,
            created_at=now,
            updated_at=now,
            **values,
        )
        session.add(promotion)
        await session.flush()
        view = promotion_out(promotion)
        record_event(
            session,
            merchant_id=merchant_id,
            type="promotion.created",
            data=view.model_dump(mode="json"),
        )
        await uow.commit()
    return view


async def get_promotion(
    *, uow: UnitOfWork, merchant_id: uuid.UUID, promotion_id: uuid.UUID
) -> PromotionOut:
    """One promotion."""
    async with uow.read_only():
        return promotion_out(await load_promotion(uow.session, merchant_id, promotion_id))


async def list_promotions(
    *,
    uow: UnitOfWork,
    merchant_id: uuid.UUID,
    limit: int,
    cursor: str | None,
    active: bool | None = None,
) -> tuple[list[PromotionOut], str | None]:
    """A page of promotions, newest first."""
    query = select(Promotion).where(Promotion.merchant_id == merchant_id)
    if active is not None:
        query = query.where(Promotion.active.is_(active))
    rows = await newest_first(uow, query, Promotion, limit, cursor)
    return paged([promotion_out(r) for r in rows], rows, limit)


async def update_promotion(
    *,
    uow: UnitOfWork,
    merchant_id: uuid.UUID,
    promotion_id: uuid.UUID,
    patch: PromotionPatch,
    actor: str,
) -> PromotionOut:
    """Change a promotion; carts priced from now on see the change."""
    changes = patch_changes(patch, _NULLABLE_PROMOTION_FIELDS)
    async with uow:
        session = uow.session
        promotion = await load_promotion(session, merchant_id, promotion_id, lock=True)
        changes = {k: v for k, v in changes.items() if getattr(promotion, k) != v}
        merged = {**columns(promotion), **changes}
        problems = promotion_problems(_promotion_terms(merged))
        if problems:
            raise invalid_terms(problems)
        await check_references(
            session,
            merchant_id,
            skus=changes.get("skus", []),
            locations=changes.get("locations", []),
        )
        if changes:
            for name, value in changes.items():
                setattr(promotion, name, value)
            promotion.updated_at = utcnow()
            await session.flush()
            record_event(
                session,
                merchant_id=merchant_id,
                type="promotion.updated",
                data={**promotion_out(promotion).model_dump(mode="json"), "actor": actor},
            )
        view = promotion_out(promotion)
        await uow.commit()
    return view
