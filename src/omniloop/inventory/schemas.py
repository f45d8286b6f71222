"""API shapes for stock, adjustments and reservations."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, StringConstraints, computed_field

from omniloop.inventory.domain import (
    MAX_QUANTITY,
    MAX_TTL_SECONDS,
    AdjustmentReason,
    ReservationStatus,
)
from omniloop.inventory.domain import available as available_units

Code = Annotated[str, StringConstraints(min_length=1, max_length=64, strip_whitespace=True)]
Reference = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Quantity = Annotated[int, Field(gt=0, le=MAX_QUANTITY, strict=True)]
Count = Annotated[int, Field(ge=0, le=MAX_QUANTITY, strict=True)]


class StockCountIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    on_hand: Count
    reason: AdjustmentReason = AdjustmentReason.COUNT
    safety_stock: Count | None = None
    reference: Reference | None = None


class AdjustmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    location: Code
    sku: Code
    delta: Annotated[int, Field(ge=-MAX_QUANTITY, le=MAX_QUANTITY, strict=True)]
    reason: AdjustmentReason
    reference: Reference | None = None


class StockOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    location: str = Field(validation_alias=AliasChoices("location", "location_code"))
    sku: str
    on_hand: int
    reserved: int
    safety_stock: int
    updated_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def available(self) -> int:
        return available_units(self.on_hand, self.reserved, self.safety_stock)


class MovementOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    location: str = Field(validation_alias=AliasChoices("location", "location_code"))
    sku: str
    delta: int
    on_hand_after: int
    reason: str
    reference: str | None
    actor: str
    created_at: datetime


class AdjustmentOut(BaseModel):
    stock: StockOut
    movement: MovementOut


class ReservationLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: Code
    qty: Quantity


class ReservationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    location: Code
    lines: Annotated[list[ReservationLineIn], Field(min_length=1, max_length=200)]
    ttl_seconds: Annotated[int, Field(ge=1, le=MAX_TTL_SECONDS, strict=True)] | None = None
    reference: Reference | None = None


class ReservationLineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    sku: str
    qty: int


class ReservationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    location: str
    status: ReservationStatus
    reference: str | None
    lines: list[ReservationLineOut]
    expires_at: datetime
    created_at: datetime
    closed_at: datetime | None
