"""API shapes for channel connections and the push review queue."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from omniloop.channels.domain import Channel, PushKind, PushStatus
from omniloop.webhooks.schemas import MAX_URL_LENGTH, _check_url

RESERVED_ORDER_CHANNELS = frozenset({"own_app", "web", "mini_program", "pos"})
MAX_MAP_ENTRIES = 10_000
ORDER_CHANNEL_PATTERN = r"^[a-z][a-z0-9_]{1,39}$"


def _check_registered_url(value: str) -> str:
    value = _check_url(value)
    if "?" in value or "#" in value:
        raise ValueError("the registered URL is signed without a query: leave out '?...'")
    return value


def _check_secret(value: str) -> str:
    if not value.isprintable() or value != value.strip():
        raise ValueError("the secret must be printable, without surrounding spaces")
    return value


def _check_order_channel(value: str) -> str:
    if value in RESERVED_ORDER_CHANNELS:
        raise ValueError(f"{value!r} is one of Omniloop's own channels")
    return value


Url = Annotated[str, Field(min_length=1, max_length=MAX_URL_LENGTH * 2), AfterValidator(_check_url)]
RegisteredUrl = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_URL_LENGTH * 2,
        description="The push URL exactly as registered with the platform (signatures are "
        "checked against it). Omit it to use this connection's webhook_url.",
    ),
    AfterValidator(_check_registered_url),
]
Secret = Annotated[
    str,
    Field(min_length=8, max_length=200, description="The platform's app secret."),
    AfterValidator(_check_secret),
]
Name = Annotated[str, Field(min_length=1, max_length=100)]
AppId = Annotated[str, Field(min_length=1, max_length=100)]
Token = Annotated[str, Field(min_length=1, max_length=500), AfterValidator(_check_secret)]
OrderChannel = Annotated[
    str,
    Field(
        pattern=ORDER_CHANNEL_PATTERN,
        description="The channel its orders carry (default: the platform's name).",
    ),
    AfterValidator(_check_order_channel),
]
Code = Annotated[str, Field(min_length=1, max_length=100)]
CodeMap = Annotated[
    dict[Code, Annotated[str, Field(min_length=1, max_length=64)]],
    Field(max_length=MAX_MAP_ENTRIES),
]


class ConnectionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: Channel
    name: Name
    secret: Secret
    app_id: AppId | None = Field(
        default=None, description="When set, pushes for another app id are refused."
    )
    public_url: RegisteredUrl | None = None
    api_base_url: Url | None = Field(
        default=None, description="Where confirm/cancel calls go (default: the platform's API)."
    )
    access_token: Token | None = Field(
        default=None, description="Ele.me OAuth token for its API calls (write-only)."
    )
    order_channel: OrderChannel | None = None
    store_map: CodeMap = Field(
        default_factory=dict, description="Platform store code -> our location code."
    )
    sku_map: CodeMap = Field(default_factory=dict, description="Platform item code -> our SKU.")
    active: bool = True


class ConnectionUpdate(BaseModel):
    """Only the fields present change; maps are replaced whole; nullable fields clear."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    secret: Secret | None = None
    app_id: AppId | None = None
    public_url: RegisteredUrl | None = None
    api_base_url: Url | None = None
    access_token: Token | None = None
    order_channel: OrderChannel | None = None
    store_map: CodeMap | None = None
    sku_map: CodeMap | None = None
    active: bool | None = None

    @model_validator(mode="after")
    def _no_null_for_required(self) -> Self:
        required = ("name", "secret", "public_url", "order_channel", "store_map", "sku_map")
        for name in (*required, "active"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self

    def changes(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.model_fields_set}


class ConnectionOut(BaseModel):
    """A connection; its secret and token are never returned."""

    id: uuid.UUID
    channel: Channel
    name: str
    order_channel: str
    app_id: str | None
    public_url: str
    webhook_url: str = Field(description="Register this URL with the platform for every push.")
    api_base_url: str | None
    store_map: dict[str, str]
    sku_map: dict[str, str]
    active: bool
    secret_hint: str = Field(description="The secret's last characters, to tell secrets apart.")
    has_access_token: bool
    created_at: datetime
    updated_at: datetime


class PushOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    connection_id: uuid.UUID
    channel: Channel
    kind: PushKind
    external_id: str | None
    status: PushStatus
    reason: str | None
    payload: dict[str, Any] | None = Field(
        description="The decoded fields the platform signed (none for refused pushes)."
    )
    order_id: uuid.UUID | None
    attempts: int
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None


class PushDismiss(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500)
