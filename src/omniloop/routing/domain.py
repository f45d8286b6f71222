"""Routing (派单) in plain Python: which location fulfils an order, and why.

:func:`route` takes the demand (what, how and where), the candidate locations with their
stock of the ordered SKUs, and the merchant's :class:`~omniloop.routing.rules.RuleSet`:

1. With a ``fixed_location`` (a pickup or dine-in at a chosen store, or a platform order whose
   store the platform fixed) only that location is considered.
2. Every candidate runs through the filters in the rule set's order; the first filter it
   fails rejects it, with a human reason ("closed at 2026-11-23T23:30+08:00").
3. What passes is ranked by the sort keys, then by code, so equal candidates keep one order.
4. Split ``never``: the best-ranked location ships everything. Split ``allow``: when one
   location can ship everything the best-ranked such location does (never split needlessly);
   otherwise a greedy cover takes, again and again, the location shipping the most of the
   units still uncovered (the best-ranked one among equals), up to ``max_locations``. Greedy
   is not always minimal (it is within a logarithmic factor), but it is deterministic.
5. When nothing can be assigned, the alternatives are the nearest active locations that do
   hold every line in full, whatever the other filters say ("this store has it").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, NamedTuple, Protocol

from omniloop.locations.domain import Positioned
from omniloop.routing.filters import FilterCheck
from omniloop.routing.rules import DEFAULT_RULES, RuleSet
from omniloop.shared.clock import utcnow
from omniloop.shared.geo import distance_km

FULFILLMENT_TYPES = ("pickup", "delivery", "dine_in")
MAX_ALTERNATIVES = 5

Point = tuple[float, float]


@dataclass(frozen=True)
class Candidate:
    """A location as routing sees it; ``available`` covers the demanded SKUs (absent: 0)."""

    code: str
    kind: str
    lat: float
    lng: float
    active: bool = True
    opening_hours: Mapping[str, Any] | None = None
    timezone: str = "Asia/Shanghai"
    service_radius_km: float = 5.0
    priority: int = 0
    available: Mapping[str, int] = field(default_factory=dict)
    open_orders: int = 0

    def has(self, sku: str) -> int:
        return max(0, self.available.get(sku, 0))


class Line(NamedTuple):
    sku: str
    qty: int


@dataclass(frozen=True)
class Demand:
    """What an order asks for. Repeated SKUs are added up (see :attr:`wanted`)."""

    channel: str
    fulfillment_type: str
    lines: Sequence[tuple[str, int]]
    destination: Point | None = None
    requested_time: datetime = field(default_factory=utcnow)
    fixed_location: str | None = None

    def __post_init__(self) -> None:
        if self.fulfillment_type not in FULFILLMENT_TYPES:
            raise ValueError(f"fulfillment type must be one of {', '.join(FULFILLMENT_TYPES)}")
        if not self.lines:
            raise ValueError("an order needs at least one line")
        if any(qty <= 0 for _, qty in self.lines):
            raise ValueError("every line needs a positive quantity")
        if self.requested_time.tzinfo is None or self.requested_time.utcoffset() is None:
            raise ValueError("requested_time must be timezone-aware")
        if self.is_delivery and self.destination is None and self.fixed_location is None:
            raise ValueError("a delivery needs a destination")

    @property
    def is_delivery(self) -> bool:
        return self.fulfillment_type == "delivery"

    @property
    def wanted(self) -> dict[str, int]:
        """Quantity per SKU, in the order SKUs first appear."""
        totals: dict[str, int] = {}
        for sku, qty in self.lines:
            totals[sku] = totals.get(sku, 0) + qty
        return totals


class Assignment(NamedTuple):
    """One location and the lines it ships."""

    location: str
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class Ranked:
    code: str
    distance_km: float | None
    priority: int
    stock_depth: int
    load: int
    rank: int = 0


@dataclass(frozen=True)
class Rejection:
    rule: str
    reason: str


class Alternative(NamedTuple):
    location: str
    distance_km: float | None


@dataclass(frozen=True)
class Decision:
    """The outcome of :func:`route`; ``reason`` says why there is no assignment."""

    assignments: tuple[Assignment, ...]
    ranked: tuple[Ranked, ...]
    rejected: dict[str, Rejection]
    alternatives: tuple[Alternative, ...]
    rules: RuleSet
    requested_time: datetime
    reason: str | None = None

    @property
    def routed(self) -> bool:
        return bool(self.assignments)

    @property
    def location(self) -> str | None:
        """The (first) fulfilling location, or None."""
        return self.assignments[0].location if self.assignments else None

    def with_alternatives(self, alternatives: Iterable[Alternative]) -> Decision:
        return replace(self, alternatives=tuple(alternatives))

    def as_dict(self, *, limit: int | None = 50) -> dict[str, Any]:
        """JSON data for the API and the order's audit trail; long lists are cut at ``limit``
        (nearest rejections first), with the full counts alongside."""
        cut = slice(None) if limit is None else slice(limit)
        return {
            "routed": self.routed,
            "location": self.location,
            "reason": self.reason,
            "requested_time": self.requested_time.isoformat(),
            "assignments": [
                {"location": a.location, "lines": [{"sku": s, "qty": q} for s, q in a.lines]}
                for a in self.assignments
            ],
            "ranked": [
                {
                    "location": r.code,
                    "rank": r.rank,
                    "distance_km": None if r.distance_km is None else round(r.distance_km, 3),
                    "priority": r.priority,
                    "stock_depth": r.stock_depth,
                    "load": r.load,
                }
                for r in self.ranked[cut]
            ],
            "ranked_count": len(self.ranked),
            "rejected": {
                code: {"rule": r.rule, "reason": r.reason}
                for code, r in list(self.rejected.items())[cut]
            },
            "rejected_count": len(self.rejected),
            "alternatives": [
                {
                    "location": a.location,
                    "distance_km": None if a.distance_km is None else round(a.distance_km, 3),
                }
                for a in self.alternatives
            ],
            "rules": self.rules.to_dict(),
        }


# --------------------------------------------------------------------------- ranking


def _sort_key(rules: RuleSet, r: Ranked) -> tuple[Any, ...]:
    parts: list[Any] = []
    for key in rules.sort:
        if key == "distance":
            parts.append(r.distance_km or 0.0)
        elif key == "priority":
            parts.append(-r.priority)
        elif key == "stock_depth":
            parts.append(-r.stock_depth)
        elif key == "load":
            parts.append(r.load)
    parts.append(r.code)
    return tuple(parts)


def _assign(
    wanted: dict[str, int], ranked: Sequence[Candidate], rules: RuleSet
) -> tuple[tuple[Assignment, ...], str | None]:
    all_lines = tuple(Line(sku, qty) for sku, qty in wanted.items())
    if not ranked:
        return (), "no location passes every filter"
    if not rules.split.allow:
        return (Assignment(ranked[0].code, all_lines),), None
    for candidate in ranked:
        if all(candidate.has(sku) >= qty for sku, qty in wanted.items()):
            return (Assignment(candidate.code, all_lines),), None
    remaining = dict(wanted)
    used: set[str] = set()
    assignments: list[Assignment] = []
    while remaining and len(assignments) < rules.split.max_locations:
        best, best_units = None, 0
        for candidate in ranked:  # best-ranked first, so ">" keeps it among equals
            units = sum(min(q, candidate.has(s)) for s, q in remaining.items())
            if candidate.code not in used and units > best_units:
                best, best_units = candidate, units
        if best is None:
            break
        lines = []
        for sku, qty in list(remaining.items()):
            take = min(qty, best.has(sku))
            if take:
                lines.append(Line(sku, take))
                remaining[sku] = qty - take
                if remaining[sku] == 0:
                    del remaining[sku]
        used.add(best.code)
        assignments.append(Assignment(best.code, tuple(lines)))
    if remaining:
        short = ", ".join(f"{sku} ({qty} more)" for sku, qty in remaining.items())
        return (), (
            f"no {rules.split.max_locations} locations together can ship the order: short of "
            f"{short}"
        )
    return tuple(assignments), None


# --------------------------------------------------------------------------- alternatives


class Place(Positioned, Protocol):
    @property
    def priority(self) -> int: ...


def rank_alternatives(
    reference: Point | None, places: Iterable[Place], *, limit: int = MAX_ALTERNATIVES
) -> tuple[Alternative, ...]:
    """The ``limit`` places nearest ``reference`` (by distance, then code); without a point,
    the highest priority ones (then code)."""
    if reference is None:
        ordered = sorted(places, key=lambda p: (-p.priority, p.code))
        return tuple(Alternative(p.code, None) for p in ordered[:limit])
    lat, lng = reference
    measured = sorted((distance_km(lat, lng, p.lat, p.lng), p.code) for p in places)
    return tuple(Alternative(code, d) for d, code in measured[:limit])


def reference_point(demand: Demand, fixed: Place | None) -> Point | None:
    """Where alternatives are measured from: the destination, else the fixed location."""
    if demand.destination is not None:
        return demand.destination
    return None if fixed is None else (fixed.lat, fixed.lng)


def holds_everything(candidate: Candidate, wanted: Mapping[str, int]) -> bool:
    return all(candidate.has(sku) >= qty for sku, qty in wanted.items())


# --------------------------------------------------------------------------- route


def route(
    demand: Demand, candidates: Iterable[Candidate], rules: RuleSet = DEFAULT_RULES
) -> Decision:
    """Filter, rank and assign (see the module docstring); never raises for an unroutable
    demand: the decision then has no assignments and says why."""
    pool = list(candidates)
    fixed = None
    if demand.fixed_location is not None:
        fixed = next((c for c in pool if c.code == demand.fixed_location), None)
        considered = [] if fixed is None else [fixed]
    else:
        considered = pool
    check = FilterCheck(demand, rules)
    passed: list[tuple[tuple[Any, ...], Ranked, Candidate]] = []
    rejected: list[tuple[float, str, Rejection]] = []
    for candidate in considered:
        distance = check.distance(candidate)
        failure = None
        for rule in rules.filters:
            reason = check.failure(rule, candidate, distance)
            if reason is not None:
                failure = Rejection(rule.name, reason)
                break
        if failure is not None:
            rejected.append((distance or 0.0, candidate.code, failure))
            continue
        depth = sum(candidate.has(sku) for sku in check.wanted)
        info = Ranked(candidate.code, distance, candidate.priority, depth, candidate.open_orders)
        passed.append((_sort_key(rules, info), info, candidate))
    passed.sort(key=lambda item: item[0])
    ranked = tuple(
        Ranked(r.code, r.distance_km, r.priority, r.stock_depth, r.load, rank)
        for rank, (_, r, _) in enumerate(passed, start=1)
    )
    assignments, reason = _assign(check.wanted, [c for _, _, c in passed], rules)
    if demand.fixed_location is not None and fixed is None:
        reason = f"location {demand.fixed_location} is not a candidate"
    alternatives: tuple[Alternative, ...] = ()
    if not assignments:
        stocked = [
            c
            for c in pool
            if c.active and c.code != demand.fixed_location and holds_everything(c, check.wanted)
        ]
        alternatives = rank_alternatives(reference_point(demand, fixed), stocked)
    rejected.sort(key=lambda item: (item[0], item[1]))
    return Decision(
        assignments=assignments,
        ranked=ranked,
        rejected={code: rejection for _, code, rejection in rejected},
        alternatives=alternatives,
        rules=rules,
        requested_time=demand.requested_time,
        reason=reason,
    )
