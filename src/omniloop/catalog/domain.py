"""Catalog and pricing rules in plain Python.

One price everywhere: a SKU has a base price that every channel and every store charges
(线上线下同价), unless the chain sets an override. An override names a channel (``own_app``,
``pos``, ``meituan``...), a location, or both, and may be limited to a time window
``[starts_at, ends_at)``. Only overrides whose window contains the moment of sale count.

Which price applies, most specific first:

1. an override for this location AND this channel (``location_channel``);
2. an override for this location, any channel (``location``);
3. an override for this channel, any location (``channel``);
4. the SKU's base price (``base``).

A store-level price beats a channel-level one because a store's price reflects its rent,
its market and its local promotions, while channel prices are chain-wide. When several active
overrides of the same kind match, the one whose window started latest wins (an open start
counts as the earliest), then the one that ends soonest: a week-long promotion set on top of
a standing store price takes over for its week and hands back afterwards. Two overrides with
the same scope and the same window would be ambiguous, so :func:`check_overrides` refuses
them.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

SKU_CODE_PATTERN = r"^[A-Za-z0-9_.\-]{1,64}$"
CHANNEL_PATTERN = r"^[a-z0-9_]{1,40}$"
MAX_OVERRIDES_PER_SKU = 200

_CHANNEL_RE = re.compile(CHANNEL_PATTERN)


class RuleKind(StrEnum):
    """Which rule set a price, from the most specific override to the base price."""

    LOCATION_CHANNEL = "location_channel"
    LOCATION = "location"
    CHANNEL = "channel"
    BASE = "base"


PRECEDENCE: tuple[RuleKind, ...] = tuple(RuleKind)
"""Rule kinds in the order they win."""


class InvalidOverride(ValueError):
    """A price override, or a set of them, that cannot be applied unambiguously."""


@dataclass(frozen=True)
class OverrideRule:
    """A price for a channel and/or a location, optionally within ``[starts_at, ends_at)``."""

    price: int
    channel: str | None = None
    location: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    id: uuid.UUID | None = None

    @property
    def kind(self) -> RuleKind:
        if self.location is not None and self.channel is not None:
            return RuleKind.LOCATION_CHANNEL
        if self.location is not None:
            return RuleKind.LOCATION
        if self.channel is not None:
            return RuleKind.CHANNEL
        raise InvalidOverride("an override needs a channel, a location or both")

    def active_at(self, at: datetime) -> bool:
        started = self.starts_at is None or self.starts_at <= at
        not_ended = self.ends_at is None or at < self.ends_at
        return started and not_ended

    def applies_to(self, *, channel: str | None, location: str | None) -> bool:
        """True when this override's scope matches a sale on ``channel`` at ``location``."""
        if self.channel is not None and self.channel != channel:
            return False
        return self.location is None or self.location == location


@dataclass(frozen=True)
class PriceQuote:
    """The price to charge and the rule that set it."""

    price: int
    currency: str
    base_price: int
    rule: RuleKind
    channel: str | None
    location: str | None
    at: datetime
    override_id: uuid.UUID | None = None


def _recency(rule: OverrideRule) -> tuple[float, float, int]:
    """Sort key: latest start first, then soonest end, then lowest price."""
    start = rule.starts_at.timestamp() if rule.starts_at is not None else float("-inf")
    end = rule.ends_at.timestamp() if rule.ends_at is not None else float("inf")
    return (-start, end, rule.price)


def resolve_price(
    base_price: int,
    currency: str,
    overrides: Sequence[OverrideRule],
    *,
    channel: str | None,
    location: str | None,
    at: datetime,
) -> PriceQuote:
    """The effective price of one SKU for a sale on ``channel`` at ``location`` at ``at``.

    ``overrides`` may hold every override of the SKU: those for other channels, other
    locations or outside their window are ignored. See the module docstring for precedence.
    """
    candidates = [
        rule
        for rule in overrides
        if rule.active_at(at) and rule.applies_to(channel=channel, location=location)
    ]
    for kind in PRECEDENCE[:-1]:
        matching = sorted((r for r in candidates if r.kind is kind), key=_recency)
        if matching:
            winner = matching[0]
            return PriceQuote(
                price=winner.price,
                currency=currency,
                base_price=base_price,
                rule=kind,
                channel=channel,
                location=location,
                at=at,
                override_id=winner.id,
            )
    return PriceQuote(
        price=base_price,
        currency=currency,
        base_price=base_price,
        rule=RuleKind.BASE,
        channel=channel,
        location=location,
        at=at,
    )


def check_override(rule: OverrideRule) -> None:
    """Refuse an override that can never apply or names an impossible scope."""
    if rule.channel is None and rule.location is None:
        raise InvalidOverride("an override needs a channel, a location or both")
    if rule.channel is not None and not _CHANNEL_RE.match(rule.channel):
        raise InvalidOverride(f"channel {rule.channel!r} must be 1-40 of [a-z0-9_]")
    if rule.price < 0:
        raise InvalidOverride("an override price cannot be negative")
    if rule.starts_at is not None and rule.ends_at is not None and rule.ends_at <= rule.starts_at:
        raise InvalidOverride("ends_at must be after starts_at")


def check_overrides(rules: Sequence[OverrideRule]) -> None:
    """Refuse a SKU's override set when one rule is invalid or two are indistinguishable."""
    if len(rules) > MAX_OVERRIDES_PER_SKU:
        raise InvalidOverride(f"at most {MAX_OVERRIDES_PER_SKU} overrides per SKU")
    seen: set[tuple[str | None, str | None, datetime | None, datetime | None]] = set()
    for rule in rules:
        check_override(rule)
        scope = (rule.channel, rule.location, rule.starts_at, rule.ends_at)
        if scope in seen:
            where = ", ".join(
                f"{name} {value}"
                for name, value in (("channel", rule.channel), ("location", rule.location))
                if value is not None
            )
            raise InvalidOverride(f"two overrides for {where} have the same time window")
        seen.add(scope)


def duplicates(codes: Sequence[str]) -> list[str]:
    """Codes that occur more than once, sorted."""
    seen: set[str] = set()
    repeated: set[str] = set()
    for code in codes:
        (repeated if code in seen else seen).add(code)
    return sorted(repeated)
