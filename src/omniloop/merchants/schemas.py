"""API shapes for keys."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from omniloop.merchants.domain import Role

KeyRole = Literal["owner", "operator", "store_staff", "integrator"]
"""Roles an API key can hold (customers sign in with a one-time code instead)."""


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: KeyRole
    locations: list[str] = Field(default_factory=list, max_length=1000)
    label: str | None = Field(default=None, max_length=200)


class ApiKeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    role: Role
    locations: list[str]
    label: str | None
    hint: str = Field(description="The key's first and last characters, to recognise it.")
    created_at: datetime
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="The secret. Shown once: store it now.")
