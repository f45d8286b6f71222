"""Inventory errors."""

from __future__ import annotations

from omniloop.errors import Conflict, NotFound, OmniloopError
from omniloop.inventory.domain import ShortLine


class InsufficientStock(Conflict):
    code, title = "insufficient_stock", "Insufficient stock"

    def __init__(self, location: str, short: list[ShortLine]) -> None:
        names = ", ".join(f"{s.sku} (asked {s.requested}, available {s.available})" for s in short)
        super().__init__(
            f"not enough stock at {location}: {names}",
            location=location,
            lines=[s.as_dict() for s in short],
        )
        self.short = short


class StockReserved(Conflict):
    code, title = "stock_reserved", "Units are reserved"


class ReservationClosed(Conflict):
    code, title = "reservation_closed", "Reservation is already closed"


class ReservationNotFound(NotFound):
    title = "Reservation not found"


class StockNotFound(NotFound):
    title = "Stock level not found"


class UnknownReference(OmniloopError):
    """A body names a SKU or location the merchant does not have."""

    status, title = 422, "Unknown reference"

    def __init__(self, code: str, detail: str, **extra: object) -> None:
        super().__init__(detail, **extra)
        self.code = code


def unknown_skus(skus: list[str]) -> UnknownReference:
    return UnknownReference("unknown_sku", f"unknown SKU(s): {', '.join(skus)}", skus=skus)


def unknown_location(code: str) -> UnknownReference:
    return UnknownReference("unknown_location", f"unknown location: {code}", location=code)


class LocationInactive(Conflict):
    code, title = "location_inactive", "Location is inactive"
