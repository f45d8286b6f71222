"""Inventory rules in plain Python.

Per (location, SKU) a stock level holds ``on_hand`` (physically there), ``reserved`` (held by
active reservations) and ``safety_stock`` (kept back from every channel); what can be promised
is ``available = on_hand - reserved - safety_stock``. A reservation holds all of its lines or
none; committing turns it into a sale (``on_hand`` and ``reserved`` both drop), releasing or
expiring gives the units back. ``on_hand`` never drops below ``reserved``: units promised to a
customer cannot be counted, damaged or moved away until the reservation is closed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

MAX_QUANTITY = 1_000_000_000
MAX_TTL_SECONDS = 7 * 24 * 3600


class AdjustmentReason(StrEnum):
    RECEIPT = "receipt"
    COUNT = "count"
    DAMAGE = "damage"
    TRANSFER = "transfer"
    SALE = "sale"
    RETURN = "return"


class ReservationStatus(StrEnum):
    ACTIVE = "active"
    COMMITTED = "committed"
    RELEASED = "released"
    EXPIRED = "expired"

    @property
    def is_open(self) -> bool:
        return self is ReservationStatus.ACTIVE


def available(on_hand: int, reserved: int, safety_stock: int) -> int:
    """Units that can still be promised (negative when stock is short of its safety level)."""
    return on_hand - reserved - safety_stock


@dataclass(frozen=True)
class Line:
    sku: str
    qty: int


@dataclass(frozen=True)
class ShortLine:
    """A line that could not be reserved: what was asked and what is available."""

    sku: str
    requested: int
    available: int

    def as_dict(self) -> dict[str, object]:
        return {"sku": self.sku, "requested": self.requested, "available": self.available}


def merge_lines(lines: Iterable[Line]) -> list[Line]:
    """Combine repeated SKUs and sort by SKU, the order in which rows are locked.

    Locking rows in one global order is what keeps concurrent multi-line reservations from
    deadlocking each other on PostgreSQL.
    """
    totals: dict[str, int] = {}
    for line in lines:
        if line.qty <= 0:
            raise ValueError(f"quantity for {line.sku} must be positive")
        totals[line.sku] = totals.get(line.sku, 0) + line.qty
        if totals[line.sku] > MAX_QUANTITY:
            raise ValueError(f"quantity for {line.sku} exceeds {MAX_QUANTITY}")
    return [Line(sku, qty) for sku, qty in sorted(totals.items())]


def count_delta(current_on_hand: int, counted: int) -> int:
    """The ledger movement a physical count records."""
    return counted - current_on_hand
