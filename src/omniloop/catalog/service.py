"""Catalog use cases: products and their SKUs, price overrides, effective prices."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from omniloop.catalog.domain import OverrideRule, PriceQuote, resolve_price
from omniloop.catalog.errors import (
    LocationNotFound,
    ProductNotFound,
    SkuAlreadyExists,
    SkuNotFound,
)
from omniloop.catalog.models import PriceOverride, Product, Sku
from omniloop.catalog.schemas import (
    PriceOverrideIn,
    ProductCreate,
    ProductPatch,
    SkuIn,
    SkuPatch,
)
from omniloop.db import UnitOfWork, is_unique_violation
from omniloop.errors import ValidationFailed
from omniloop.events import record_event
from omniloop.locations.service import existing_codes
from omniloop.merchants.models import Merchant
from omniloop.shared.clock import ensure_utc, utcnow
from omniloop.shared.ids import new_id
from omniloop.shared.pagination import decode_cursor, encode_cursor

_WITH_SKUS = selectinload(Product.skus).selectinload(Sku.price_overrides)


# -- reads -----------------------------------------------------------------------------------


async def get_product(*, uow: UnitOfWork, merchant_id: uuid.UUID, product_id: uuid.UUID) -> Product:
    """One product with its SKUs and their overrides, or :class:`ProductNotFound`."""
    async with uow.read_only():
        product = await uow.session.scalar(_product_query(merchant_id, product_id))
    if product is None:
        raise ProductNotFound(f"no product {product_id}")
    return product


async def list_products(
    *,
    uow: UnitOfWork,
    merchant_id: uuid.UUID,
    limit: int,
    cursor: str | None = None,
    category: str | None = None,
    active: bool | None = None,
    q: str | None = None,
) -> tuple[list[Product], str | None]:
    """A page of products, oldest first, and the cursor of the next page (None at the end)."""
    query = (
        select(Product)
        .where(Product.merchant_id == merchant_id)
        .options(_WITH_SKUS)
        .order_by(Product.created_at, Product.id)
        .limit(limit + 1)
    )
    after = _decode_product_cursor(cursor)
    if after is not None:
        created_at, last_id = after
        query = query.where(
            or_(
                Product.created_at > created_at,
                and_(Product.created_at == created_at, Product.id > last_id),
            )
        )
    if category is not None:
        query = query.where(Product.category == category)
    if active is not None:
        query = query.where(Product.active.is_(active))
    if q:
        query = query.where(Product.name.icontains(q, autoescape=True))
    async with uow.read_only():
        products = list(await uow.session.scalars(query))
    if len(products) <= limit:
        return products, None
    products = products[:limit]
    last = products[-1]
    return products, encode_cursor([last.created_at.isoformat(), str(last.id)])


async def get_skus(*, uow: UnitOfWork, merchant_id: uuid.UUID, skus: list[str]) -> dict[str, Sku]:
    """The merchant's SKUs among ``skus`` by code; unknown codes are simply absent."""
    codes = sorted(set(skus))
    if not codes:
        return {}
    async with uow.read_only():
        rows = await uow.session.scalars(
            select(Sku).where(Sku.merchant_id == merchant_id, Sku.sku.in_(codes))
        )
        return {row.sku: row for row in rows}


async def effective_prices(
    *,
    uow: UnitOfWork,
    merchant_id: uuid.UUID,
    skus: list[str],
    channel: str | None,
    location: str | None,
    at: datetime | None = None,
) -> dict[str, PriceQuote]:
    """The price of each known SKU for a sale on ``channel`` at ``location`` (two queries).

    Unknown codes are absent from the result; inactive SKUs are priced all the same (whether
    they may be sold is the caller's rule); a location the merchant does not have simply
    matches no override.
    """
    codes = sorted(set(skus))
    if not codes:
        return {}
    moment = ensure_utc(at) if at is not None else utcnow()
    scope = [PriceOverride.merchant_id == merchant_id, PriceOverride.sku.in_(codes)]
    scope.append(
        PriceOverride.channel.is_(None)
        if channel is None
        else or_(PriceOverride.channel.is_(None), PriceOverride.channel == channel)
    )
    scope.append(
        PriceOverride.location_code.is_(None)
        if location is None
        else or_(PriceOverride.location_code.is_(None), PriceOverride.location_code == location)
    )
    async with uow.read_only():
        found = list(
            await uow.session.scalars(
                select(Sku).where(Sku.merchant_id == merchant_id, Sku.sku.in_(codes))
            )
        )
        overrides = list(await uow.session.scalars(select(PriceOverride).where(*scope)))
    rules: dict[str, list[OverrideRule]] = {}
    for row in overrides:
        rules.setdefault(row.sku, []).append(_rule(row))
    return {
        sku.sku: resolve_price(
            sku.price,
            sku.currency,
            rules.get(sku.sku, []),
            channel=channel,
            location=location,
            at=moment,
        )
        for sku in found
    }


async def quote_price(
    *,
    uow: UnitOfWork,
    merchant_id: uuid.UUID,
    sku: str,
    channel: str | None,
    location: str | None,
    at: datetime | None = None,
) -> PriceQuote:
    """The effective price of one SKU; an unknown SKU or location is a 404."""
    if location is not None and not await existing_codes(
        uow=uow, merchant_id=merchant_id, codes={location}
    ):
        raise LocationNotFound(f"no location {location!r}")
    quotes = await effective_prices(
        uow=uow, merchant_id=merchant_id, skus=[sku], channel=channel, location=location, at=at
    )
    if sku not in quotes:
        raise SkuNotFound(f"no SKU {sku!r}")
    return quotes[sku]


# -- writes ----------------------------------------------------------------------------------


async def create_product(
    *, uow: UnitOfWork, merchant_id: uuid.UUID, product_in: ProductCreate
) -> Product:
    """Create a product with its SKUs and overrides; SKU codes are unique per merchant."""
    await _check_locations(uow, merchant_id, product_in.skus)
    codes = [s.sku for s in product_in.skus]
    async with uow:
        await _refuse_taken(uow, merchant_id, codes)
        currency = await _merchant_currency(uow, merchant_id)
        product = Product(
            id=new_id(),
            merchant_id=merchant_id,
            name=product_in.name,
            category=product_in.category,
            description=product_in.description,
            image_url=product_in.image_url,
            active=product_in.active,
            skus=[_new_sku(merchant_id, s, currency) for s in product_in.skus],
        )
        uow.session.add(product)
        record_event(
            uow.session,
            merchant_id=merchant_id,
            type="product.created",
            data=_product_data(product),
        )
        await _commit(uow, codes)
    return product


async def update_product(
    *, uow: UnitOfWork, merchant_id: uuid.UUID, product_id: uuid.UUID, patch: ProductPatch
) -> Product:
    """Change product fields and add or update SKUs by code; SKUs are never removed."""
    await _check_locations(uow, merchant_id, patch.skus or [])
    async with uow:
        product = await uow.session.scalar(
            _product_query(merchant_id, product_id).with_for_update()
        )
        if product is None:
            raise ProductNotFound(f"no product {product_id}")
        changed = _apply_product_fields(product, patch)
        added, updated, price_changes = await _upsert_skus(uow, product, patch.skus or [])
        if changed or added or updated:
            product.updated_at = utcnow()
            record_event(
                uow.session,
                merchant_id=merchant_id,
                type="product.updated",
                data={
                    **_product_data(product),
                    "changed": changed,
                    "skus_added": added,
                    "skus_updated": updated,
                },
            )
        for change in price_changes:
            record_event(uow.session, merchant_id=merchant_id, type="price.changed", data=change)
        await _commit(uow, added)
    return product


# -- helpers ---------------------------------------------------------------------------------


def _product_query(merchant_id: uuid.UUID, product_id: uuid.UUID) -> Select[Product]:
    return (
        select(Product)
        .where(Product.merchant_id == merchant_id, Product.id == product_id)
        .options(_WITH_SKUS)
    )


def _decode_product_cursor(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    key = decode_cursor(cursor)
    if key is None:
        return None
    try:
        created_at, last_id = key
        return ensure_utc(datetime.fromisoformat(created_at)), uuid.UUID(last_id)
    except (TypeError, ValueError):
        raise ValidationFailed("cursor is not one this API issued", field="cursor") from None


def _rule(row: PriceOverride) -> OverrideRule:
    return OverrideRule(
        id=row.id,
        price=row.price,
        channel=row.channel,
        location=row.location_code,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
    )


async def _check_locations(
    uow: UnitOfWork, merchant_id: uuid.UUID, skus: Iterable[SkuIn | SkuPatch]
) -> None:
    """Every location named by an override must be one of the merchant's (else 422)."""
    named = {o.location for s in skus for o in s.price_overrides or [] if o.location is not None}
    unknown = sorted(named - await existing_codes(uow=uow, merchant_id=merchant_id, codes=named))
    if unknown:
        raise ValidationFailed(
            f"price overrides name unknown location(s): {', '.join(unknown)}",
            field="skus.price_overrides.location",
            locations=unknown,
        )


async def _refuse_taken(uow: UnitOfWork, merchant_id: uuid.UUID, codes: list[str]) -> None:
    if not codes:
        return
    taken = await uow.session.scalars(
        select(Sku.sku).where(Sku.merchant_id == merchant_id, Sku.sku.in_(sorted(set(codes))))
    )
    existing = sorted(taken)
    if existing:
        raise SkuAlreadyExists(existing)


async def _commit(uow: UnitOfWork, new_codes: list[str]) -> None:
    """Commit; a SKU code taken concurrently since we checked is still a 409."""
    try:
        await uow.commit()
    except IntegrityError as exc:
        if new_codes and is_unique_violation(exc):
            raise SkuAlreadyExists(sorted(new_codes)) from None
        raise


async def _merchant_currency(uow: UnitOfWork, merchant_id: uuid.UUID) -> str:
    merchant = await uow.session.get(Merchant, merchant_id)
    return merchant.currency if merchant is not None else "CNY"


def _new_overrides(
    merchant_id: uuid.UUID, sku: str, overrides: list[PriceOverrideIn]
) -> list[PriceOverride]:
    return [
        PriceOverride(
            id=new_id(),
            merchant_id=merchant_id,
            sku=sku,
            position=position,
            channel=o.channel,
            location_code=o.location,
            price=o.price,
            starts_at=o.starts_at,
            ends_at=o.ends_at,
        )
        for position, o in enumerate(overrides)
    ]


def _new_sku(merchant_id: uuid.UUID, sku_in: SkuIn, default_currency: str) -> Sku:
    return Sku(
        merchant_id=merchant_id,
        sku=sku_in.sku,
        name=sku_in.name,
        price=sku_in.price,
        currency=sku_in.currency or default_currency,
        active=sku_in.active,
        price_overrides=_new_overrides(merchant_id, sku_in.sku, sku_in.price_overrides),
    )


def _apply_product_fields(product: Product, patch: ProductPatch) -> list[str]:
    """Set the fields the patch names; return those whose value changed."""
    changed: list[str] = []
    for field in ("name", "category", "description", "image_url", "active"):
        if field not in patch.model_fields_set:
            continue
        value = getattr(patch, field)
        if getattr(product, field) != value:
            setattr(product, field, value)
            changed.append(field)
    return changed


async def _upsert_skus(
    uow: UnitOfWork, product: Product, patches: list[SkuPatch]
) -> tuple[list[str], list[str], list[dict[str, Any]]]:
    """Add new SKUs and update existing ones: (added codes, updated codes, price changes)."""
    existing = {sku.sku: sku for sku in product.skus}
    new = [p for p in patches if p.sku not in existing]
    await _refuse_taken(uow, product.merchant_id, [p.sku for p in new])
    currency = await _merchant_currency(uow, product.merchant_id) if new else ""
    added: list[str] = []
    updated: list[str] = []
    price_changes: list[dict[str, Any]] = []
    for patch in patches:
        sku = existing.get(patch.sku)
        if sku is None:
            product.skus.append(_new_sku(product.merchant_id, _complete(patch), currency))
            added.append(patch.sku)
            continue
        before = (sku.price, sku.currency)
        if _update_sku(sku, patch):
            updated.append(sku.sku)
        if (sku.price, sku.currency) != before:
            price_changes.append(
                {
                    "product_id": str(product.id),
                    "sku": sku.sku,
                    "old_price": before[0],
                    "old_currency": before[1],
                    "price": sku.price,
                    "currency": sku.currency,
                }
            )
    return added, updated, price_changes


def _complete(patch: SkuPatch) -> SkuIn:
    """A new SKU given in a PATCH: it needs everything a created one needs."""
    if patch.name is None or patch.price is None:
        missing = [f for f in ("name", "price") if getattr(patch, f) is None]
        raise ValidationFailed(
            f"SKU {patch.sku!r} is new, so it needs {' and '.join(missing)}",
            field="skus",
            sku=patch.sku,
        )
    return SkuIn(
        sku=patch.sku,
        name=patch.name,
        price=patch.price,
        currency=patch.currency,
        active=True if patch.active is None else patch.active,
        price_overrides=patch.price_overrides or [],
    )


def _update_sku(sku: Sku, patch: SkuPatch) -> bool:
    """Apply a patch to an existing SKU; True when anything changed."""
    currency_changes = patch.currency is not None and patch.currency != sku.currency
    if currency_changes and patch.price is None:
        raise ValidationFailed(
            f"changing the currency of SKU {sku.sku!r} needs its price in the new currency",
            field="skus",
            sku=sku.sku,
        )
    if currency_changes and sku.price_overrides and patch.price_overrides is None:
        raise ValidationFailed(
            f"changing the currency of SKU {sku.sku!r} needs its price_overrides restated",
            field="skus",
            sku=sku.sku,
        )
    changed = False
    for field in ("name", "price", "currency", "active"):
        value = getattr(patch, field)
        if value is not None and getattr(sku, field) != value:
            setattr(sku, field, value)
            changed = True
    if patch.price_overrides is not None:
        wanted = [o.to_rule() for o in patch.price_overrides]
        if wanted != [replace(_rule(o), id=None) for o in sku.price_overrides]:
            sku.price_overrides = _new_overrides(sku.merchant_id, sku.sku, patch.price_overrides)
            changed = True
    if changed:
        sku.updated_at = utcnow()
    return changed


def _product_data(product: Product) -> dict[str, Any]:
    return {
        "id": str(product.id),
        "name": product.name,
        "category": product.category,
        "active": product.active,
        "skus": [
            {
                "sku": s.sku,
                "name": s.name,
                "price": s.price,
                "currency": s.currency,
                "active": s.active,
            }
            for s in sorted(product.skus, key=lambda s: s.sku)
        ],
    }
