"""What creating and changing templates and promotions share: reading a row's columns,
the merchant's currency, checking the SKUs and stores terms name, PATCH semantics, and
newest-first pages."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Select, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from omniloop.catalog.models import Sku
from omniloop.db import UnitOfWork
from omniloop.errors import ValidationFailed
from omniloop.inventory.errors import unknown_location, unknown_skus
from omniloop.locations.models import Location
from omniloop.merchants.models import Merchant
from omniloop.promotions.models import CouponTemplate, Promotion
from omniloop.shared.pagination import decode_time_key, encode_time_key


def columns(row: Any) -> dict[str, Any]:
    return {column.key: getattr(row, column.key) for column in row.__table__.columns}


async def merchant_currency(session: AsyncSession, merchant_id: uuid.UUID) -> str:
    merchant = await session.get(Merchant, merchant_id)
    return merchant.currency if merchant is not None else "CNY"


async def check_references(
    session: AsyncSession,
    merchant_id: uuid.UUID,
    *,
    skus: Iterable[str | None],
    locations: Iterable[str],
) -> None:
    """422 ``unknown_sku`` / ``unknown_location`` for codes the merchant does not have: a typo
    in a coupon's scope would otherwise make it silently useless."""
    wanted_skus = sorted({s for s in skus if s})
    if wanted_skus:
        found = set(
            await session.scalars(
                select(Sku.sku).where(Sku.merchant_id == merchant_id, Sku.sku.in_(wanted_skus))
            )
        )
        missing = [s for s in wanted_skus if s not in found]
        if missing:
            raise unknown_skus(missing)
    wanted_locations = sorted(set(locations))
    if wanted_locations:
        found = set(
            await session.scalars(
                select(Location.code).where(
                    Location.merchant_id == merchant_id, Location.code.in_(wanted_locations)
                )
            )
        )
        missing = [code for code in wanted_locations if code not in found]
        if missing:
            raise unknown_location(missing[0])


def patch_changes(patch: BaseModel, nullable: frozenset[str]) -> dict[str, Any]:
    """The fields a PATCH sets; an explicit null clears a nullable field, else it is a 422."""
    changes: dict[str, Any] = patch.model_dump(include=patch.model_fields_set)
    for name, value in changes.items():
        if value is None and name not in nullable:
            raise ValidationFailed(
                f"{name} cannot be null; omit it to leave it unchanged", field=name
            )
    return changes


async def newest_first(
    uow: UnitOfWork,
    query: Select[Any],
    model: type[CouponTemplate] | type[Promotion],
    limit: int,
    cursor: str | None,
) -> list[Any]:
    after = decode_time_key(cursor)
    if after is not None:
        created_at, last_id = after
        query = query.where(
            or_(
                model.created_at < created_at,
                and_(model.created_at == created_at, model.id < last_id),
            )
        )
    query = query.order_by(model.created_at.desc(), model.id.desc()).limit(limit + 1)
    async with uow.read_only():
        return list(await uow.session.scalars(query))


def paged(views: list[Any], rows: list[Any], limit: int) -> tuple[list[Any], str | None]:
    if len(rows) <= limit:
        return views, None
    last = rows[limit - 1]
    return views[:limit], encode_time_key(last.created_at, last.id)
