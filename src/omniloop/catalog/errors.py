"""Catalog errors; each keeps the stable code of its parent in :mod:`omniloop.errors`."""

from __future__ import annotations

from omniloop.errors import AlreadyExists, NotFound


class ProductNotFound(NotFound):
    title = "Product not found"


class SkuNotFound(NotFound):
    title = "SKU not found"


class LocationNotFound(NotFound):
    title = "Location not found"


class SkuAlreadyExists(AlreadyExists):
    title = "SKU already exists"

    def __init__(self, skus: list[str]) -> None:
        super().__init__(f"SKU code(s) already in use: {', '.join(skus)}", skus=skus)
