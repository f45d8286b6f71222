"""Segments in plain Python: what a purchase is for RFM, how scores are given, and the
filters a saved segment is made of (with the rules that keep them meaningful).

RFM (recency, frequency, monetary) looks at a member's *purchases*: their orders that were
paid, are not cancelled and were not refunded in full, in the merchant's currency. Monetary
is the net paid money of those orders (``paid_total - refunded_total``). A member without a
purchase has no RFM row (its view shows zeros and no scores).

Scores are quintiles, 1 (worst) to 5 (best), of the merchant's buyers ranked by last
purchase (more recent is better), number of purchases and net spend::

    score = 5 * (rank - 1) // buyers + 1        rank = RANK() over the ascending value

This is ``NTILE(5)`` with one difference: NTILE cuts a run of equal values wherever the
bucket boundary falls, so two members with the same three purchases could get different F
scores; RANK gives equal values the same rank, hence the same score.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

from omniloop.orders.domain import CHANNEL_PATTERN, OrderStatus, PaymentStatus

SCORE_BUCKETS = 5

NOT_PURCHASES = frozenset({OrderStatus.CANCELLED, OrderStatus.REFUNDED})
"""Statuses whose orders are no purchase, whatever they were paid."""

PAID = frozenset({PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED})
"""Payment statuses of an order that still holds some of the customer's money."""

MAX_DAYS = 3650
MAX_AMOUNT = 10**13
MAX_ORDERS = 1_000_000
MAX_LIST = 100
MAX_NAME = 100


def score(rank: int, buyers: int) -> int:
    """The quintile (1-5) of the ``rank``-th of ``buyers`` (what the SQL computes)."""
    return SCORE_BUCKETS * (rank - 1) // buyers + 1


class InvalidFilters(Exception):
    """A segment's filters break a rule; ``field`` names the offending one."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class ScoreRange:
    """Inclusive bounds on each RFM score; None is unbounded."""

    r_min: int | None = None
    r_max: int | None = None
    f_min: int | None = None
    f_max: int | None = None
    m_min: int | None = None
    m_max: int | None = None

    def bounds(self) -> dict[str, tuple[int | None, int | None]]:
        return {
            "r": (self.r_min, self.r_max),
            "f": (self.f_min, self.f_max),
            "m": (self.m_min, self.m_max),
        }


@dataclass(frozen=True)
class SegmentFilters:
    """Members who match every filter given (an empty filter set is every active member).

    Days count back from the time the segment is evaluated. ``last_order_before_days``
    (lapsed) and ``spent_more_than`` only match members with a purchase;
    ``spent_less_than`` also matches those who never bought. ``channels`` are channels the
    member was seen in (activity or orders); ``tiers`` are the loyalty tier codes.
    """

    last_order_before_days: int | None = None
    last_order_within_days: int | None = None
    spent_more_than: int | None = None
    spent_less_than: int | None = None
    orders_at_least: int | None = None
    tiers: tuple[str, ...] = ()
    acquired_locations: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    rfm: ScoreRange | None = None

    @property
    def needs_purchases(self) -> bool:
        """True when a filter reads the members' purchase totals."""
        return any(
            value is not None
            for value in (
                self.last_order_before_days,
                self.last_order_within_days,
                self.spent_more_than,
                self.spent_less_than,
                self.orders_at_least,
            )
        )


def _in_range(value: int | None, low: int, high: int, name: str) -> None:
    if value is not None and not low <= value <= high:
        raise InvalidFilters(f"must be between {low} and {high}", field=name)


def _distinct(values: tuple[str, ...], name: str) -> tuple[str, ...]:
    if len(values) > MAX_LIST:
        raise InvalidFilters(f"at most {MAX_LIST} values", field=name)
    if any(not value for value in values):
        raise InvalidFilters("values must not be empty", field=name)
    return tuple(dict.fromkeys(values))


def validate_filters(filters: SegmentFilters) -> SegmentFilters:
    """``filters`` with duplicates removed, or InvalidFilters for a filter that can match
    nobody or is out of range."""
    _in_range(filters.last_order_before_days, 1, MAX_DAYS, "last_order_before_days")
    _in_range(filters.last_order_within_days, 1, MAX_DAYS, "last_order_within_days")
    _in_range(filters.spent_more_than, 0, MAX_AMOUNT, "spent_more_than")
    _in_range(filters.spent_less_than, 1, MAX_AMOUNT, "spent_less_than")
    _in_range(filters.orders_at_least, 1, MAX_ORDERS, "orders_at_least")
    before, within = filters.last_order_before_days, filters.last_order_within_days
    if before is not None and within is not None and within <= before:
        raise InvalidFilters(
            "a last order more than last_order_before_days ago and less than "
            "last_order_within_days ago needs last_order_within_days > last_order_before_days",
            field="last_order_within_days",
        )
    more, less = filters.spent_more_than, filters.spent_less_than
    if more is not None and less is not None and less <= more + 1:
        raise InvalidFilters(
            "no amount is both more than spent_more_than and less than spent_less_than",
            field="spent_less_than",
        )
    if filters.rfm is not None:
        for letter, (low, high) in filters.rfm.bounds().items():
            _in_range(low, 1, SCORE_BUCKETS, f"rfm.{letter}_min")
            _in_range(high, 1, SCORE_BUCKETS, f"rfm.{letter}_max")
            if low is not None and high is not None and high < low:
                raise InvalidFilters(
                    f"{letter}_max is below {letter}_min", field=f"rfm.{letter}_max"
                )
    for channel in filters.channels:
        if not CHANNEL_PATTERN.match(channel):
            raise InvalidFilters(f"{channel!r} is not a channel name", field="channels")
    return replace(
        filters,
        tiers=_distinct(filters.tiers, "tiers"),
        acquired_locations=_distinct(filters.acquired_locations, "acquired_locations"),
        channels=_distinct(filters.channels, "channels"),
    )


def filters_to_config(filters: SegmentFilters) -> dict[str, Any]:
    """The stored (JSON) form: only the filters that are set."""
    config: dict[str, Any] = {}
    for name, value in asdict(filters).items():
        if name == "rfm":
            bounds = {k: v for k, v in (value or {}).items() if v is not None}
            if bounds:
                config["rfm"] = bounds
        elif isinstance(value, tuple | list):
            if value:
                config[name] = list(value)
        elif value is not None:
            config[name] = value
    return config


def filters_from_config(config: Mapping[str, Any]) -> SegmentFilters:
    """The filters of a stored segment."""
    rfm = config.get("rfm")
    return SegmentFilters(
        last_order_before_days=config.get("last_order_before_days"),
        last_order_within_days=config.get("last_order_within_days"),
        spent_more_than=config.get("spent_more_than"),
        spent_less_than=config.get("spent_less_than"),
        orders_at_least=config.get("orders_at_least"),
        tiers=tuple(config.get("tiers", ())),
        acquired_locations=tuple(config.get("acquired_locations", ())),
        channels=tuple(config.get("channels", ())),
        rfm=ScoreRange(**rfm) if rfm else None,
    )
