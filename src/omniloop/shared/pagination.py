"""Opaque cursors for keyset pagination: ``{"items": [...], "next_cursor": ...}``."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from omniloop.errors import ValidationFailed
from omniloop.shared.clock import ensure_utc

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def encode_cursor(key: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> Any:
    if cursor is None or cursor == "":
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError):
        raise ValidationFailed("cursor is not one this API issued", field="cursor") from None


def encode_time_key(created_at: datetime, row_id: uuid.UUID) -> str:
    """The cursor after a row of a list ordered by (created_at, id)."""
    return encode_cursor([created_at.isoformat(), str(row_id)])


def decode_time_key(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    """The (created_at, id) an :func:`encode_time_key` cursor names; 422 for anything else."""
    key = decode_cursor(cursor)
    if key is None:
        return None
    try:
        created_at, row_id = key
        return ensure_utc(datetime.fromisoformat(created_at)), uuid.UUID(row_id)
    except (TypeError, ValueError):
        raise ValidationFailed("cursor is not one this API issued", field="cursor") from None
