"""Location errors."""

from __future__ import annotations

from omniloop.errors import AlreadyExists, NotFound


class LocationNotFound(NotFound):
    title = "Location not found"

    def __init__(self, code: str) -> None:
        super().__init__(f"no location with code {code!r}", location=code)


class LocationExists(AlreadyExists):
    title = "Location already exists"

    def __init__(self, code: str) -> None:
        super().__init__(f"a location with code {code!r} already exists", location=code)
