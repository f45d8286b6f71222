"""``/api/v1/locations``: stores, kitchens and warehouses, and nearby search."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from omniloop.deps import UowDep, require
from omniloop.errors import ValidationFailed
from omniloop.inventory.service import codes_with_all_available
from omniloop.locations import service
from omniloop.locations.domain import LocationKind, is_open
from omniloop.locations.schemas import (
    LocationCreate,
    LocationOut,
    LocationUpdate,
    NearbyLocationOut,
)
from omniloop.merchants.domain import Permission, Principal
from omniloop.shared.clock import utcnow
from omniloop.shared.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page

router = APIRouter(prefix="/locations", tags=["locations"])

Reader = Annotated[Principal, Depends(require(Permission.LOCATIONS_READ))]
Writer = Annotated[Principal, Depends(require(Permission.LOCATIONS_WRITE))]
Code = Annotated[str, Path(min_length=1, max_length=64)]

MAX_NEARBY_RADIUS_KM = 1000.0
MAX_NEARBY_LIMIT = 200
MAX_NEARBY_SKUS = 50


def _sku_list(raw: str | None) -> list[str]:
    if raw is None:
        return []
    skus = sorted({part.strip() for part in raw.split(",") if part.strip()})
    if len(skus) > MAX_NEARBY_SKUS:
        raise ValidationFailed(f"at most {MAX_NEARBY_SKUS} SKUs per search", field="skus")
    if any(len(sku) > 64 for sku in skus):
        raise ValidationFailed("a SKU is at most 64 characters", field="skus")
    return skus


@router.post("", status_code=201, response_model=LocationOut)
async def create_location(body: LocationCreate, principal: Writer, uow: UowDep) -> LocationOut:
    """Create a location under the merchant's own code."""
    location = await service.create_location(uow=uow, merchant_id=principal.merchant_id, spec=body)
    return LocationOut.model_validate(location, from_attributes=True)


@router.get("", response_model=Page[LocationOut])
async def list_locations(
    principal: Reader,
    uow: UowDep,
    kind: LocationKind | None = None,
    active: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Page[LocationOut]:
    """The merchant's locations ordered by code, a page at a time."""
    locations, next_cursor = await service.list_locations(
        uow=uow,
        merchant_id=principal.merchant_id,
        kind=kind,
        active=active,
        limit=limit,
        cursor=cursor,
    )
    return Page[LocationOut](
        items=[LocationOut.model_validate(loc, from_attributes=True) for loc in locations],
        next_cursor=next_cursor,
    )


# Declared before /{code} so that "nearby" is never taken for a location code.
@router.get("/nearby", response_model=Page[NearbyLocationOut])
async def nearby_locations(
    principal: Reader,
    uow: UowDep,
    lat: Annotated[float, Query(ge=-90, le=90, allow_inf_nan=False)],
    lng: Annotated[float, Query(ge=-180, le=180, allow_inf_nan=False)],
    radius_km: Annotated[float, Query(gt=0, le=MAX_NEARBY_RADIUS_KM, allow_inf_nan=False)] = 5.0,
    limit: Annotated[int, Query(ge=1, le=MAX_NEARBY_LIMIT)] = 20,
    skus: Annotated[
        str | None,
        Query(max_length=4000, description="Comma-separated SKUs that must all be available."),
    ] = None,
    open_now: Annotated[bool, Query(description="Only locations open right now.")] = False,
    kind: LocationKind | None = None,
) -> Page[NearbyLocationOut]:
    """Active locations within ``radius_km`` of a point, nearest first."""
    now = utcnow()
    wanted = _sku_list(skus)
    stocked: service.StockFilter | None = None
    if wanted:

        async def stocked(codes: list[str]) -> set[str]:
            return await codes_with_all_available(
                uow=uow, merchant_id=principal.merchant_id, skus=wanted, location_codes=codes
            )

    found = await service.nearby(
        uow=uow,
        merchant_id=principal.merchant_id,
        lat=lat,
        lng=lng,
        radius_km=radius_km,
        limit=limit,
        stocked=stocked,
        open_now=open_now,
        kind=kind,
        at=now,
    )
    items = [
        NearbyLocationOut(
            **LocationOut.model_validate(loc, from_attributes=True).model_dump(),
            distance_km=round(distance, 3),
            open_now=is_open(loc.opening_hours, loc.timezone, now),
        )
        for loc, distance in found
    ]
    return Page[NearbyLocationOut](items=items)


@router.get("/{code}", response_model=LocationOut)
async def get_location(code: Code, principal: Reader, uow: UowDep) -> LocationOut:
    """One location by its code."""
    location = await service.get_location(uow=uow, merchant_id=principal.merchant_id, code=code)
    return LocationOut.model_validate(location, from_attributes=True)


@router.patch("/{code}", response_model=LocationOut)
async def update_location(
    code: Code, body: LocationUpdate, principal: Writer, uow: UowDep
) -> LocationOut:
    """Change some fields of a location; the code stays."""
    location = await service.update_location(
        uow=uow, merchant_id=principal.merchant_id, code=code, changes=body
    )
    return LocationOut.model_validate(location, from_attributes=True)
