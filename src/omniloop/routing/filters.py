"""The routing filters: why a location cannot take an order (see routing.rules for the
vocabulary). Plain Python, used by :func:`omniloop.routing.domain.route`."""

from __future__ import annotations

import json
import zoneinfo
from typing import TYPE_CHECKING

from omniloop.locations.domain import is_open
from omniloop.routing.rules import FilterRule, RuleSet
from omniloop.shared.geo import distance_km

if TYPE_CHECKING:
    from omniloop.routing.domain import Candidate, Demand


class FilterCheck:
    """What the filters need beyond the candidate itself, computed once per route call."""

    def __init__(self, demand: Demand, rules: RuleSet) -> None:
        self.demand = demand
        self.wanted = demand.wanted
        self.split = rules.split.allow
        self._open: dict[tuple[str, str], bool] = {}

    def distance(self, candidate: Candidate) -> float | None:
        if self.demand.destination is None:
            return None
        lat, lng = self.demand.destination
        return distance_km(lat, lng, candidate.lat, candidate.lng)

    def is_open(self, candidate: Candidate) -> bool:
        # Chains share a handful of opening-hour patterns: parse each one once per decision.
        hours = candidate.opening_hours
        if hours is None:
            return True
        key = (candidate.timezone, json.dumps(hours, sort_keys=True))
        if key not in self._open:
            self._open[key] = is_open(hours, candidate.timezone, self.demand.requested_time)
        return self._open[key]

    def failure(self, rule: FilterRule, c: Candidate, distance: float | None) -> str | None:
        """Why ``c`` fails ``rule``, or None when it passes."""
        name = rule.name
        if name == "active":
            return None if c.active else "location is inactive"
        if name == "open_at_requested_time":
            if self.is_open(c):
                return None
            local = self.demand.requested_time.astimezone(zoneinfo.ZoneInfo(c.timezone))
            return f"closed at {local.isoformat(timespec='minutes')}"
        if name == "within_service_radius":
            if not self.demand.is_delivery or distance is None:
                return None
            if distance <= c.service_radius_km:
                return None
            shown = f"{distance:.1f}"
            if float(shown) <= c.service_radius_km:  # keep "5.0 km > 5 km" from happening
                shown = f"{distance:.3f}"
            return f"{shown} km > service radius {c.service_radius_km:g} km"
        if name == "has_all_stock":
            return self._stock_failure(c)
        if name == "kind_in":
            if c.kind in rule.kinds:
                return None
            return f"kind {c.kind} is not one of {', '.join(rule.kinds)}"
        if name == "under_capacity":
            if c.open_orders < rule.max_open_orders:
                return None
            return f"{c.open_orders} open orders, capacity {rule.max_open_orders}"
        if name == "channel_allowed":
            allowed = rule.allowed_channels(c.code)
            if allowed is None or self.demand.channel in allowed:
                return None
            takes = ", ".join(sorted(allowed)) or "no channel"
            return f"does not take {self.demand.channel} orders (takes {takes})"
        raise AssertionError(f"unhandled filter {name}")  # pragma: no cover

    def _stock_failure(self, c: Candidate) -> str | None:
        short = [(sku, qty, c.has(sku)) for sku, qty in self.wanted.items() if c.has(sku) < qty]
        if not short:
            return None
        if self.split:
            if len(short) < len(self.wanted) or any(has for _, _, has in short):
                return None  # ships part of the order; the cover decides
            return "has none of the ordered items"
        missing = ", ".join(f"{sku} (needs {qty}, has {has})" for sku, qty, has in short)
        return f"short of {missing}"
