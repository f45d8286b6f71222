"""Routing use cases: the merchant's rules, loading candidates efficiently, deciding.

Candidates are read with two index-range queries whatever the chain's size: the locations in
the search area (columns only, no ORM objects) and, joined to the same area, their stock of
the ordered SKUs. The search area is as small as the rules allow:

- a fixed location: that row alone;
- a delivery under ``within_service_radius``: the box around the destination that the
  merchant's largest service radius can reach (nothing outside it can pass), but at least
  10 km, so that the decision shows the nearby stores the radius rejected;
- a demand with a position, ranked by ``distance`` first and never split: circles of 10 km,
  then 50 km, then everywhere, stopping at the first that yields an assignment (whatever
  lies further out ranks after everything inside, so the answer is the same as searching
  everywhere; the decision's ranked and rejected lists cover the area searched);
- otherwise every location of the merchant.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from omniloop.catalog.service import get_skus
from omniloop.db import UnitOfWork
from omniloop.errors import ValidationFailed
from omniloop.events import record_event
from omniloop.inventory.errors import unknown_location, unknown_skus
from omniloop.inventory.models import StockLevel
from omniloop.locations.models import Location
from omniloop.routing.domain import (
    MAX_ALTERNATIVES,
    Alternative,
    Candidate,
    Decision,
    Demand,
    Point,
    rank_alternatives,
    reference_point,
    route,
)
from omniloop.routing.models import RoutingRuleSet
from omniloop.routing.rules import DEFAULT_RULES, InvalidRules, RuleSet
from omniloop.shared.clock import utcnow
from omniloop.shared.geo import bounding_box, distance_km

OpenOrders = Callable[[list[str]], Awaitable[dict[str, int]]]
"""Given location codes, the number of open orders at each (absent: 0)."""

SEARCH_RADII_KM: tuple[float | None, ...] = (10.0, 50.0, None)
# Deliveries load at least this far around the address, so the decision can tell a customer
# why the store down the road does not deliver to them.
DELIVERY_CONTEXT_KM = 10.0

_COLUMNS = (
    Location.code,
    Location.kind,
    Location.lat,
    Location.lng,
    Location.active,
    Location.opening_hours,
    Location.timezone,
    Location.service_radius_km,
    Location.priority,
)
_AVAILABLE = StockLevel.on_hand - StockLevel.reserved - StockLevel.safety_stock


class _Place(NamedTuple):
    code: str
    lat: float
    lng: float
    priority: int


@dataclass(frozen=True)
class StoredRules:
    """The merchant's rules and who last changed them (None: never, the defaults apply)."""

    rules: RuleSet
    updated_at: datetime | None = None
    updated_by: str | None = None

    @property
    def is_default(self) -> bool:
        return self.updated_at is None


# --------------------------------------------------------------------------- rules


async def get_stored_rules(*, uow: UnitOfWork, merchant_id: uuid.UUID) -> StoredRules:
    """The merchant's rules with their last change, or the defaults."""
    async with uow.read_only():
        row = await uow.session.get(RoutingRuleSet, merchant_id)
        if row is None:
            return StoredRules(DEFAULT_RULES)
        return StoredRules(RuleSet.parse(row.rules), row.updated_at, row.updated_by)


async def get_rules(*, uow: UnitOfWork, merchant_id: uuid.UUID) -> RuleSet:
    """The rule set routing uses for the merchant (the defaults until it stores its own)."""
    return (await get_stored_rules(uow=uow, merchant_id=merchant_id)).rules


def parse_rules(raw: Mapping[str, Any]) -> RuleSet:
    """Validate rules given as JSON data; 422 ``validation_error`` naming the bad field."""
    try:
        return RuleSet.parse(raw)
    except InvalidRules as exc:
        raise ValidationFailed(str(exc), field=exc.field) from None


async def put_rules(
    *,
    uow: UnitOfWork,
    merchant_id: uuid.UUID,
    rules: RuleSet | Mapping[str, Any],
    actor: str,
) -> StoredRules:
    """Replace the merchant's rules whole; records ``routing.rules_updated``."""
    parsed = rules if isinstance(rules, RuleSet) else parse_rules(rules)
    stored = parsed.to_dict()
    now = utcnow()
    async with uow:
        session = uow.session
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        values = {"rules": stored, "updated_at": now, "updated_by": actor}
        statement = insert(RoutingRuleSet).values(merchant_id=merchant_id, **values)
        await session.execute(
            statement.on_conflict_do_update(index_elements=["merchant_id"], set_=values)
        )
        record_event(
            session,
            merchant_id=merchant_id,
            type="routing.rules_updated",
            data={"rules": stored, "updated_by": actor},
        )
        await uow.commit()
    return StoredRules(parsed, now, actor)


# --------------------------------------------------------------------------- candidates


def _box(point: Point, radius_km: float) -> list[ColumnElement[bool]]:
    box = bounding_box(point[0], point[1], radius_km)
    return [
        Location.lat.between(box.min_lat, box.max_lat),
        or_(*(Location.lng.between(low, high) for low, high in box.lng_ranges)),
    ]


async def _search_area(
    session: AsyncSession,
    merchant_id: uuid.UUID,
    demand: Demand,
    rules: RuleSet,
    within_km: float | None,
) -> list[ColumnElement[bool]] | None:
    """WHERE conditions on Location for the candidates; None when there can be none."""
    where: list[ColumnElement[bool]] = [Location.merchant_id == merchant_id]
    if demand.fixed_location is not None:
        return [*where, Location.code == demand.fixed_location]
    point = demand.destination
    if demand.is_delivery and point is not None and rules.has("within_service_radius"):
        reach = select(func.max(Location.service_radius_km)).where(*where)
        if rules.has("active"):
            reach = reach.where(Location.active.is_(True))
        radius = await session.scalar(reach)
        if radius is None:
            return None
        return [*where, *_box(point, max(radius, DELIVERY_CONTEXT_KM))]
    if within_km is not None and point is not None:
        return [*where, *_box(point, within_km)]
    return where


def _uses_load(rules: RuleSet) -> bool:
    return rules.has("under_capacity") or "load" in rules.sort


async def load_candidates(
    *,
    uow: UnitOfWork,
    merchant_id: uuid.UUID,
    demand: Demand,
    open_orders: OpenOrders | None = None,
    rules: RuleSet | None = None,
    within_km: float | None = None,
) -> list[Candidate]:
    """The locations routing considers for ``demand`` with their stock of its SKUs.

    ``rules`` (default: the default rules) bound the search area, see the module docstring;
    ``within_km`` keeps only locations that close to the demand's position. ``open_orders``
    counts open orders per location; without it every location has 0. A fixed location the
    merchant does not have is a 422 ``unknown_location``.
    """
    rules = rules or DEFAULT_RULES
    skus = sorted(demand.wanted)
    async with uow.read_only():
        session = uow.session
        where = await _search_area(session, merchant_id, demand, rules, within_km)
        rows = (
            [] if where is None else (await session.execute(select(*_COLUMNS).where(*where))).all()
        )
        if within_km is not None and demand.destination is not None and where is not None:
            lat, lng = demand.destination
            rows = [r for r in rows if distance_km(lat, lng, r.lat, r.lng) <= within_km]
        if demand.fixed_location is not None and not rows:
            raise unknown_location(demand.fixed_location)
        stock: dict[str, dict[str, int]] = {}
        if rows and where is not None:
            levels = await session.execute(
                select(StockLevel.location_code, StockLevel.sku, _AVAILABLE)
                .join(
                    Location,
                    and_(
                        Location.merchant_id == StockLevel.merchant_id,
                        Location.code == StockLevel.location_code,
                    ),
                )
                .where(*where, StockLevel.merchant_id == merchant_id, StockLevel.sku.in_(skus))
            )
            for code, sku, available in levels:
                stock.setdefault(code, {})[sku] = int(available)
    loads: dict[str, int] = {}
    if open_orders is not None and rows and _uses_load(rules):
        loads = await open_orders([r.code for r in rows])
    return [
        Candidate(
            code=r.code,
            kind=r.kind,
            lat=r.lat,
            lng=r.lng,
            active=r.active,
            opening_hours=r.opening_hours,
            timezone=r.timezone,
            service_radius_km=r.service_radius_km,
            priority=r.priority,
            available=stock.get(r.code, {}),
            open_orders=loads.get(r.code, 0),
        )
        for r in rows
    ]


# --------------------------------------------------------------------------- alternatives


async def stocked_alternatives(
    *,
    uow: UnitOfWork,
    merchant_id: uuid.UUID,
    wanted: Mapping[str, int],
    reference: Point | None,
    exclude: str | None = None,
    limit: int = MAX_ALTERNATIVES,
) -> tuple[Alternative, ...]:
    """The ``limit`` active locations nearest ``reference`` holding every line in full.

    Searches circles of 10 km, 50 km, then everywhere, until ``limit`` are found; without a
    reference point, the highest-priority ones.
    """
    line_match = or_(
        *(and_(StockLevel.sku == sku, qty <= _AVAILABLE) for sku, qty in wanted.items())
    )
    query = (
        select(Location.code, Location.lat, Location.lng, Location.priority)
        .join(
            StockLevel,
            and_(
                StockLevel.merchant_id == Location.merchant_id,
                StockLevel.location_code == Location.code,
            ),
        )
        .where(Location.merchant_id == merchant_id, Location.active.is_(True), line_match)
        .group_by(Location.code, Location.lat, Location.lng, Location.priority)
        .having(func.count() == len(wanted))
    )
    if exclude is not None:
        query = query.where(Location.code != exclude)
    async with uow.read_only():
        session = uow.session
        if reference is None:
            ordered = query.order_by(Location.priority.desc(), Location.code).limit(limit)
            rows = [_Place(*r) for r in await session.execute(ordered)]
            return rank_alternatives(None, rows, limit=limit)
        for radius in SEARCH_RADII_KM:
            area = query if radius is None else query.where(*_box(reference, radius))
            places = [_Place(*r) for r in await session.execute(area)]
            if radius is not None:
                lat, lng = reference
                places = [p for p in places if distance_km(lat, lng, p.lat, p.lng) <= radius]
            if len(places) >= limit or radius is None:
                return rank_alternatives(reference, places, limit=limit)
    raise AssertionError("unreachable")  # pragma: no cover


# --------------------------------------------------------------------------- decide


def _search_radii(demand: Demand, rules: RuleSet) -> tuple[float | None, ...]:
    growing = (
        demand.fixed_location is None
        and demand.destination is not None
        and not (demand.is_delivery and rules.has("within_service_radius"))
        and not rules.split.allow
        and rules.sort[:1] == ("distance",)
    )
    return SEARCH_RADII_KM if growing else (None,)


async def decide(
    *,
    uow: UnitOfWork,
    merchant_id: uuid.UUID,
    demand: Demand,
    open_orders: OpenOrders | None = None,
) -> Decision:
    """Route ``demand`` with the merchant's rules; an unroutable decision lists alternatives."""
    rules = await get_rules(uow=uow, merchant_id=merchant_id)
    candidates: list[Candidate] = []
    decision: Decision | None = None
    for within_km in _search_radii(demand, rules):
        candidates = await load_candidates(
            uow=uow,
            merchant_id=merchant_id,
            demand=demand,
            open_orders=open_orders,
            rules=rules,
            within_km=within_km,
        )
        decision = route(demand, candidates, rules)
        if decision.routed:
            return decision
    assert decision is not None
    fixed = next((c for c in candidates if c.code == demand.fixed_location), None)
    alternatives = await stocked_alternatives(
        uow=uow,
        merchant_id=merchant_id,
        wanted=demand.wanted,
        reference=reference_point(demand, fixed),
        exclude=demand.fixed_location,
    )
    return decision.with_alternatives(alternatives)


async def preview(
    *,
    uow: UnitOfWork,
    merchant_id: uuid.UUID,
    demand: Demand,
    open_orders: OpenOrders | None = None,
) -> Decision:
    """What :func:`decide` would do, after checking the SKUs exist (422 ``unknown_sku``);
    writes nothing."""
    known = await get_skus(uow=uow, merchant_id=merchant_id, skus=list(demand.wanted))
    missing = [sku for sku in demand.wanted if sku not in known]
    if missing:
        raise unknown_skus(missing)
    return await decide(uow=uow, merchant_id=merchant_id, demand=demand, open_orders=open_orders)
