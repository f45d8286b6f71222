"""Merchant and key errors."""

from omniloop.errors import NotFound, Unauthorized


class InvalidApiKey(Unauthorized):
    code, title = "unauthorized", "Invalid or revoked API key"


class ApiKeyNotFound(NotFound):
    code, title = "not_found", "API key not found"
