"""``/api/v1/products`` and ``/api/v1/prices``: the one product truth and its prices."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime

from omniloop.catalog import service
from omniloop.catalog.domain import CHANNEL_PATTERN, SKU_CODE_PATTERN
from omniloop.catalog.schemas import PriceOut, ProductCreate, ProductOut, ProductPatch
from omniloop.deps import UowDep, require
from omniloop.merchants.domain import Permission, Principal
from omniloop.shared.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page

router = APIRouter(tags=["catalog"])

CatalogReader = Annotated[Principal, Depends(require(Permission.CATALOG_READ))]
CatalogWriter = Annotated[Principal, Depends(require(Permission.CATALOG_WRITE))]


def _out(product: object) -> ProductOut:
    return ProductOut.model_validate(product, from_attributes=True)


@router.post("/products", status_code=201, response_model=ProductOut)
async def create_product(body: ProductCreate, principal: CatalogWriter, uow: UowDep) -> ProductOut:
    """Create a product with one or more SKUs and their price overrides."""
    product = await service.create_product(
        uow=uow, merchant_id=principal.merchant_id, product_in=body
    )
    return _out(product)


@router.get("/products", response_model=Page[ProductOut])
async def list_products(
    principal: CatalogReader,
    uow: UowDep,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    category: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    active: bool | None = None,
    q: Annotated[
        str | None, Query(min_length=1, max_length=200, description="Name contains (any case).")
    ] = None,
) -> Page[ProductOut]:
    """The merchant's products, oldest first, a page at a time."""
    products, next_cursor = await service.list_products(
        uow=uow,
        merchant_id=principal.merchant_id,
        limit=limit,
        cursor=cursor,
        category=category,
        active=active,
        q=q,
    )
    return Page[ProductOut](items=[_out(p) for p in products], next_cursor=next_cursor)


@router.get("/products/{product_id}", response_model=ProductOut)
async def get_product(product_id: uuid.UUID, principal: CatalogReader, uow: UowDep) -> ProductOut:
    """One product with its SKUs and their price overrides."""
    product = await service.get_product(
        uow=uow, merchant_id=principal.merchant_id, product_id=product_id
    )
    return _out(product)


@router.patch("/products/{product_id}", response_model=ProductOut)
async def update_product(
    product_id: uuid.UUID, body: ProductPatch, principal: CatalogWriter, uow: UowDep
) -> ProductOut:
    """Change product fields; ``skus`` adds new SKUs and updates existing ones by code."""
    product = await service.update_product(
        uow=uow, merchant_id=principal.merchant_id, product_id=product_id, patch=body
    )
    return _out(product)


@router.get("/prices", response_model=PriceOut)
async def get_price(
    principal: CatalogReader,
    uow: UowDep,
    sku: Annotated[str, Query(pattern=SKU_CODE_PATTERN)],
    channel: Annotated[str | None, Query(pattern=CHANNEL_PATTERN)] = None,
    location: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    at: Annotated[
        AwareDatetime | None, Query(description="Resolve for this moment (default: now).")
    ] = None,
) -> PriceOut:
    """The effective price of a SKU on a channel at a location, and the rule that set it.

    Precedence: location and channel override > location override > channel override >
    base price; only overrides whose time window contains the moment count. An unknown SKU
    or location is a 404.
    """
    quote = await service.quote_price(
        uow=uow,
        merchant_id=principal.merchant_id,
        sku=sku,
        channel=channel,
        location=location,
        at=at,
    )
    return PriceOut.from_quote(sku, quote)
