"""Location use cases: create, read, update, list and nearby search."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime
from itertools import islice
from typing import Any

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.exc import IntegrityError

from omniloop.db import UnitOfWork, is_unique_violation
from omniloop.errors import ValidationFailed
from omniloop.events import record_event
from omniloop.locations.domain import LocationKind, is_open, rank_by_distance
from omniloop.locations.errors import LocationExists, LocationNotFound
from omniloop.locations.models import Location
from omniloop.locations.schemas import LocationCreate, LocationOut, LocationUpdate
from omniloop.shared.clock import utcnow
from omniloop.shared.geo import bounding_box
from omniloop.shared.pagination import DEFAULT_LIMIT, decode_cursor, encode_cursor

# Nearby checks SKU availability for this many ranked candidates at a time, so a wide
# radius over thousands of locations never sends one enormous IN list.
_SKU_CHECK_BATCH = 500

StockFilter = Callable[[list[str]], Awaitable[set[str]]]
"""Given location codes, returns those to keep (e.g. the ones that have given SKUs)."""


def _snapshot(location: Location) -> dict[str, Any]:
    return LocationOut.model_validate(location, from_attributes=True).model_dump(mode="json")


async def existing_codes(*, uow: UnitOfWork, merchant_id: uuid.UUID, codes: set[str]) -> set[str]:
    """Which of ``codes`` are locations of the merchant."""
    if not codes:
        return set()
    async with uow.read_only():
        rows = await uow.session.scalars(
            select(Location.code).where(
                Location.merchant_id == merchant_id, Location.code.in_(sorted(codes))
            )
        )
        return set(rows)


async def create_location(
    *, uow: UnitOfWork, merchant_id: uuid.UUID, spec: LocationCreate
) -> Location:
    """Create a location; its code must be new to the merchant (else 409 already_exists)."""
    async with uow:
        if await uow.session.get(Location, (merchant_id, spec.code)) is not None:
            raise LocationExists(spec.code)
        now = utcnow()
        location = Location(
            merchant_id=merchant_id,
            **spec.model_dump(mode="json"),
            created_at=now,
            updated_at=now,
        )
        uow.session.add(location)
        try:
            await uow.session.flush()
        except IntegrityError as exc:
            # Another request created the same code between our check and our insert.
            if is_unique_violation(exc):
                raise LocationExists(spec.code) from None
            raise
        record_event(
            uow.session, merchant_id=merchant_id, type="location.created", data=_snapshot(location)
        )
        await uow.commit()
        return location


async def get_location(*, uow: UnitOfWork, merchant_id: uuid.UUID, code: str) -> Location:
    """One location of the merchant by code (else 404 not_found)."""
    async with uow.read_only():
        location = await uow.session.get(Location, (merchant_id, code))
        if location is None:
            raise LocationNotFound(code)
        return location


async def update_location(
    *, uow: UnitOfWork, merchant_id: uuid.UUID, code: str, changes: LocationUpdate
) -> Location:
    """Change the fields sent; records ``location.updated`` with what actually changed."""
    async with uow:
        location = await uow.session.get(Location, (merchant_id, code), with_for_update=True)
        if location is None:
            raise LocationNotFound(code)
        changed: dict[str, dict[str, Any]] = {}
        for field, new in changes.changes().items():
            old = getattr(location, field)
            if old != new:
                changed[field] = {"from": old, "to": new}
                setattr(location, field, new)
        if not changed:
            return location
        location.updated_at = utcnow()
        await uow.session.flush()
        record_event(
            uow.session,
            merchant_id=merchant_id,
            type="location.updated",
            data={"code": code, "changes": changed, "location": _snapshot(location)},
        )
        await uow.commit()
        return location


async def list_locations(
    *,
    uow: UnitOfWork,
    merchant_id: uuid.UUID,
    kind: LocationKind | None = None,
    active: bool | None = None,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> tuple[list[Location], str | None]:
    """A page of the merchant's locations ordered by code, and the cursor of the next page."""
    after = decode_cursor(cursor)
    if after is not None and not isinstance(after, str):
        raise ValidationFailed("cursor is not one this API issued", field="cursor")
    query = select(Location).where(Location.merchant_id == merchant_id)
    if kind is not None:
        query = query.where(Location.kind == kind.value)
    if active is not None:
        query = query.where(Location.active.is_(active))
    if after is not None:
        query = query.where(Location.code > after)
    async with uow.read_only():
        rows = list(await uow.session.scalars(query.order_by(Location.code).limit(limit + 1)))
    page = rows[:limit]
    next_cursor = encode_cursor(page[-1].code) if len(rows) > limit else None
    return page, next_cursor


def nearby_candidates_query(
    *,
    merchant_id: uuid.UUID,
    lat: float,
    lng: float,
    radius_km: float,
    kind: LocationKind | None = None,
) -> Select[Location]:
    """Active locations inside the search box around the point: an index range, not a scan.

    The box comes from :func:`omniloop.shared.geo.bounding_box`, which splits it in two
    longitude ranges when the circle crosses ±180°; exact distances are computed afterwards.
    """
    box = bounding_box(lat, lng, radius_km)
    lng_match = or_(*(Location.lng.between(low, high) for low, high in box.lng_ranges))
    query = select(Location).where(
        and_(
            Location.merchant_id == merchant_id,
            Location.lat.between(box.min_lat, box.max_lat),
            lng_match,
            Location.active.is_(True),
        )
    )
    if kind is not None:
        query = query.where(Location.kind == kind.value)
    return query


async def nearby(
    *,
    uow: UnitOfWork,
    merchant_id: uuid.UUID,
    lat: float,
    lng: float,
    radius_km: float,
    limit: int,
    stocked: StockFilter | None = None,
    open_now: bool = False,
    kind: LocationKind | None = None,
    at: datetime | None = None,
) -> list[tuple[Location, float]]:
    """Active locations within ``radius_km`` of (lat, lng), nearest first, with distance in km.

    With ``open_now``, only those open at ``at`` (default: now); with ``stocked``, only those
    the filter keeps (the API passes inventory's "has every listed SKU available": locations
    sit below inventory, so they take the check as a function instead of importing it).
    """
    query = nearby_candidates_query(
        merchant_id=merchant_id, lat=lat, lng=lng, radius_km=radius_km, kind=kind
    )
    async with uow.read_only():
        candidates = list(await uow.session.scalars(query))
    ranked: Iterator[tuple[Location, float]] = iter(
        rank_by_distance(lat, lng, candidates, radius_km=radius_km)
    )
    if open_now:
        moment = at or utcnow()
        ranked = (
            pair for pair in ranked if is_open(pair[0].opening_hours, pair[0].timezone, moment)
        )
    if stocked is None:
        return list(islice(ranked, limit))
    found: list[tuple[Location, float]] = []
    while len(found) < limit and (batch := list(islice(ranked, _SKU_CHECK_BATCH))):
        keep = await stocked([loc.code for loc, _ in batch])
        found.extend(pair for pair in batch if pair[0].code in keep)
    return found[:limit]
