"""Routing rule sets in plain Python: what a merchant configures, validated strictly.

A rule set is JSON of this shape (``PUT /api/v1/routing-rules`` replaces it whole)::

    {
      "filters": ["active", "open_at_requested_time", "within_service_radius",
                  "has_all_stock",
                  {"name": "kind_in", "kinds": ["store", "central_kitchen"]},
                  {"name": "under_capacity", "max_open_orders": 30},
                  {"name": "channel_allowed", "allow": {"SH-CK1": ["meituan", "eleme"]}}],
      "sort": ["distance", "priority"],
      "split": {"policy": "never"}
    }

Filters run in the order listed; a location is rejected by the first one it fails. A filter
without parameters may be written as its bare name. ``open_at_requested_time`` reads the
opening hours in the location's time zone (no hours: always open); ``within_service_radius``
applies to deliveries only (and passes a delivery whose store is fixed and whose address is
not given, e.g. a platform order); ``has_all_stock`` needs every line in full at the location
(with split allowed: any part of the order); ``under_capacity`` compares the location's open
orders with ``max_open_orders``. The sort keys rank what passes:
``distance`` (nearest first; no destination counts as 0 for every location), ``priority``
(higher first), ``stock_depth`` (more units of the ordered SKUs first), ``load`` (fewer open
orders first); the location code breaks remaining ties. ``split`` is ``{"policy": "never"}``
or ``{"policy": "allow", "max_locations": N}`` (2-10), which needs ``has_all_stock``.

``channel_allowed`` holds a per-location allow-list: a location listed under ``allow`` takes
orders of the listed channels only (an empty list: none); a location not listed takes every
channel. So ``{"SH-CK1": ["meituan", "eleme"]}`` keeps the central kitchen for platform
orders while every store still takes every channel.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from omniloop.locations.domain import LocationKind

FILTERS: tuple[str, ...] = (
    "active",
    "open_at_requested_time",
    "within_service_radius",
    "has_all_stock",
    "kind_in",
    "under_capacity",
    "channel_allowed",
)
SORT_KEYS: tuple[str, ...] = ("distance", "priority", "stock_depth", "load")
_PARAMS: dict[str, frozenset[str]] = {
    "kind_in": frozenset({"kinds"}),
    "under_capacity": frozenset({"max_open_orders"}),
    "channel_allowed": frozenset({"allow"}),
}
MAX_OPEN_ORDERS = 1_000_000
MAX_SPLIT_LOCATIONS = 10
MAX_ALLOW_LIST_LOCATIONS = 10_000
MAX_CHANNELS_PER_LOCATION = 50
CHANNEL_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,31}")
_LOCATION_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


class InvalidRules(ValueError):
    """A rule set that does not follow the documented format; the message names the spot."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class UnknownFilter(InvalidRules):
    """A filter name that is not one of :data:`FILTERS`."""


class UnknownSortKey(InvalidRules):
    """A sort key that is not one of :data:`SORT_KEYS`."""


class InvalidRuleParams(InvalidRules):
    """A known filter or split policy with missing, extra or out-of-range parameters."""


@dataclass(frozen=True)
class FilterRule:
    """One filter and its parameters (only those of its own kind are set)."""

    name: str
    kinds: tuple[str, ...] = ()
    max_open_orders: int = 0
    allow: tuple[tuple[str, frozenset[str]], ...] = ()

    def allowed_channels(self, location: str) -> frozenset[str] | None:
        """``channel_allowed``: the channels ``location`` takes, or None for every channel."""
        for code, channels in self.allow:
            if code == location:
                return channels
        return None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name}
        if self.name == "kind_in":
            out["kinds"] = list(self.kinds)
        elif self.name == "under_capacity":
            out["max_open_orders"] = self.max_open_orders
        elif self.name == "channel_allowed":
            out["allow"] = {code: sorted(channels) for code, channels in self.allow}
        return out


@dataclass(frozen=True)
class SplitPolicy:
    """``never`` ships everything from one location; ``allow`` uses up to ``max_locations``."""

    allow: bool = False
    max_locations: int = 1

    def to_dict(self) -> dict[str, Any]:
        if not self.allow:
            return {"policy": "never"}
        return {"policy": "allow", "max_locations": self.max_locations}


@dataclass(frozen=True)
class RuleSet:
    filters: tuple[FilterRule, ...]
    sort: tuple[str, ...]
    split: SplitPolicy = SplitPolicy()

    def has(self, name: str) -> bool:
        return any(f.name == name for f in self.filters)

    def get(self, name: str) -> FilterRule | None:
        return next((f for f in self.filters if f.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        """The canonical JSON form (filters always as objects): what is stored and shown."""
        return {
            "filters": [f.to_dict() for f in self.filters],
            "sort": list(self.sort),
            "split": self.split.to_dict(),
        }

    @classmethod
    def parse(cls, raw: Any) -> RuleSet:
        """Validate a rule set given as JSON data; raises :class:`InvalidRules` subclasses."""
        if not isinstance(raw, Mapping):
            raise InvalidRules("expected an object with filters, sort and split", field="rules")
        extra = set(raw) - {"filters", "sort", "split"}
        if extra:
            raise InvalidRules(
                f"unknown key(s) {', '.join(sorted(map(str, extra)))}", field="rules"
            )
        for key in ("filters", "sort"):
            if key not in raw:
                raise InvalidRules("is required", field=key)
        filters = _parse_filters(raw["filters"])
        sort = _parse_sort(raw["sort"])
        split = _parse_split(raw.get("split", {"policy": "never"}))
        if split.allow and not any(f.name == "has_all_stock" for f in filters):
            raise InvalidRuleParams(
                "policy 'allow' divides lines by available stock, so the filters must "
                "include has_all_stock",
                field="split",
            )
        return cls(filters, sort, split)


DEFAULT_RULES = RuleSet(
    filters=(
        FilterRule("active"),
        FilterRule("open_at_requested_time"),
        FilterRule("within_service_radius"),
        FilterRule("has_all_stock"),
    ),
    sort=("distance", "priority"),
    split=SplitPolicy(),
)


def _names(items: Any, field: str) -> list[Any]:
    if not isinstance(items, list):
        raise InvalidRules("expected a list", field=field)
    return items


def _parse_filters(raw: Any) -> tuple[FilterRule, ...]:
    parsed: list[FilterRule] = []
    for index, item in enumerate(_names(raw, "filters")):
        where = f"filters[{index}]"
        spec: Mapping[str, Any]
        if isinstance(item, str):
            spec = {"name": item}
        elif isinstance(item, Mapping):
            spec = item
        else:
            raise InvalidRules("expected a filter name or an object with a name", field=where)
        name = spec.get("name")
        if name not in FILTERS:
            raise UnknownFilter(
                f"unknown filter {name!r}; use one of {', '.join(FILTERS)}", field=where
            )
        if any(f.name == name for f in parsed):
            raise InvalidRuleParams(f"filter {name!r} is listed twice", field=where)
        params = {k: v for k, v in spec.items() if k != "name"}
        allowed = _PARAMS.get(name, frozenset())
        unexpected = set(params) - allowed
        if unexpected:
            raise InvalidRuleParams(
                f"{name} takes {'no parameters' if not allowed else ', '.join(sorted(allowed))}"
                f", not {', '.join(sorted(map(str, unexpected)))}",
                field=where,
            )
        missing = allowed - set(params)
        if missing:
            raise InvalidRuleParams(f"{name} needs {', '.join(sorted(missing))}", field=where)
        parsed.append(_parse_params(name, params, where))
    return tuple(parsed)


def _parse_params(name: str, params: Mapping[str, Any], where: str) -> FilterRule:
    if name == "kind_in":
        kinds = params["kinds"]
        known = [k.value for k in LocationKind]
        if not isinstance(kinds, list) or not kinds:
            raise InvalidRuleParams("kinds must be a non-empty list", field=f"{where}.kinds")
        for kind in kinds:
            if kind not in known:
                raise InvalidRuleParams(
                    f"{kind!r} is not a location kind; use {', '.join(known)}",
                    field=f"{where}.kinds",
                )
        return FilterRule(name, kinds=tuple(dict.fromkeys(kinds)))
    if name == "under_capacity":
        limit = params["max_open_orders"]
        if isinstance(limit, bool) or not isinstance(limit, int):
            raise InvalidRuleParams("must be an integer", field=f"{where}.max_open_orders")
        if not 1 <= limit <= MAX_OPEN_ORDERS:
            raise InvalidRuleParams(
                f"must be between 1 and {MAX_OPEN_ORDERS}", field=f"{where}.max_open_orders"
            )
        return FilterRule(name, max_open_orders=limit)
    if name == "channel_allowed":
        return FilterRule(name, allow=_parse_allow(params["allow"], f"{where}.allow"))
    return FilterRule(name)


def _parse_allow(raw: Any, where: str) -> tuple[tuple[str, frozenset[str]], ...]:
    if not isinstance(raw, Mapping):
        raise InvalidRuleParams(
            'expected an object {"<location code>": ["<channel>", ...]}', field=where
        )
    if len(raw) > MAX_ALLOW_LIST_LOCATIONS:
        raise InvalidRuleParams(f"at most {MAX_ALLOW_LIST_LOCATIONS} locations", field=where)
    allow: list[tuple[str, frozenset[str]]] = []
    for code, channels in raw.items():
        if not isinstance(code, str) or not _LOCATION_CODE.fullmatch(code):
            raise InvalidRuleParams(f"{code!r} is not a location code", field=where)
        if not isinstance(channels, list) or len(channels) > MAX_CHANNELS_PER_LOCATION:
            raise InvalidRuleParams(
                f"expected a list of at most {MAX_CHANNELS_PER_LOCATION} channels",
                field=f"{where}.{code}",
            )
        for channel in channels:
            if not isinstance(channel, str) or not CHANNEL_PATTERN.fullmatch(channel):
                raise InvalidRuleParams(
                    f"{channel!r} is not a channel id (lowercase, e.g. 'meituan')",
                    field=f"{where}.{code}",
                )
        allow.append((code, frozenset(channels)))
    return tuple(sorted(allow))


def _parse_sort(raw: Any) -> tuple[str, ...]:
    keys: list[str] = []
    for index, key in enumerate(_names(raw, "sort")):
        if key not in SORT_KEYS:
            raise UnknownSortKey(
                f"unknown sort key {key!r}; use one of {', '.join(SORT_KEYS)}",
                field=f"sort[{index}]",
            )
        if key in keys:
            raise InvalidRuleParams(f"sort key {key!r} is listed twice", field=f"sort[{index}]")
        keys.append(key)
    return tuple(keys)


def _parse_split(raw: Any) -> SplitPolicy:
    if not isinstance(raw, Mapping):
        raise InvalidRuleParams(
            'expected {"policy": "never"} or {"policy": "allow", ...}', field="split"
        )
    policy = raw.get("policy")
    if policy == "never":
        if set(raw) != {"policy"}:
            raise InvalidRuleParams("policy 'never' takes no other keys", field="split")
        return SplitPolicy()
    if policy != "allow":
        raise InvalidRuleParams(
            f"unknown policy {policy!r}; use never or allow", field="split.policy"
        )
    if set(raw) != {"policy", "max_locations"}:
        raise InvalidRuleParams("policy 'allow' takes max_locations (only)", field="split")
    limit = raw["max_locations"]
    if (
        isinstance(limit, bool)
        or not isinstance(limit, int)
        or not 2 <= limit <= MAX_SPLIT_LOCATIONS
    ):
        raise InvalidRuleParams(
            f"must be an integer from 2 to {MAX_SPLIT_LOCATIONS} (policy 'never' is one location)",
            field="split.max_locations",
        )
    return SplitPolicy(allow=True, max_locations=limit)
