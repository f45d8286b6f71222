"""Commission rules in plain Python.

An affiliate earns a rate in basis points (1/100 of a percent) of the attributed **net**
revenue of each order its codes brought: what was paid, less what was refunded, so refunds
are netted. A rate per product category overrides the affiliate's default. An order's net is
shared over its lines in proportion to their totals (largest remainder, so the shares add
up to the net exactly) and each share earns its category's rate, rounded down per order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

MAX_RATE_BP = 10_000
PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


class AffiliateKind(StrEnum):
    DEALER = "dealer"
    INFLUENCER = "influencer"
    PARTNER_STORE = "partner_store"


@dataclass(frozen=True)
class Commission:
    net: int
    commission: int
    by_category: dict[str, int]


def share(net: int, weights: list[int]) -> list[int]:
    """``net`` shared in proportion to ``weights`` (largest remainder; sums to ``net``)."""
    total = sum(weights)
    if total <= 0 or net <= 0:
        return [0 for _ in weights]
    floors = [net * w // total for w in weights]
    remainders = sorted(range(len(weights)), key=lambda i: (-(net * weights[i] % total), i))
    for i in remainders[: net - sum(floors)]:
        floors[i] += 1
    return floors


def commission_for(
    *,
    net: int,
    lines: list[tuple[str, int]],
    default_rate_bp: int,
    category_rates_bp: dict[str, int],
) -> Commission:
    """The commission on one order of ``net`` whose lines are (category, line total)."""
    parts = share(net, [total for _, total in lines])
    by_category: dict[str, int] = {}
    exact = 0
    for (category, _), part in zip(lines, parts, strict=True):
        rate = category_rates_bp.get(category, default_rate_bp)
        exact += part * rate
        by_category[category] = by_category.get(category, 0) + part
    return Commission(net=net, commission=exact // MAX_RATE_BP, by_category=by_category)


def period_bounds(period: str, timezone: str) -> tuple[datetime, datetime]:
    """The UTC start and end (exclusive) of a ``YYYY-MM`` month in the merchant's zone."""
    match = PERIOD.match(period)
    if match is None:
        raise ValueError("a period is a month: YYYY-MM")
    year, month = int(match.group(1)), int(match.group(2))
    zone = ZoneInfo(timezone)
    start = datetime(year, month, 1, tzinfo=zone)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)
