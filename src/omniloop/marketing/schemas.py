"""Campaign, tracking code and report requests and responses (Pydantic, never ORM rows)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from omniloop.marketing.domain import (
    DEFAULT_WINDOW_DAYS,
    MAX_CHANNELS,
    MAX_LOCATIONS,
    MAX_NAME_LENGTH,
    MAX_URL_LENGTH,
    MAX_WINDOW_DAYS,
    AttributionModel,
    GroupBy,
    LandingType,
    Medium,
)
from omniloop.orders.domain import CHANNEL_PATTERN
from omniloop.shared.money import MAX_AMOUNT

Name = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_NAME_LENGTH, strip_whitespace=True)
]
Cost = Annotated[
    int,
    Field(ge=0, le=MAX_AMOUNT, strict=True, description="Minor units of the merchant currency."),
]
Channel = Annotated[str, StringConstraints(pattern=CHANNEL_PATTERN.pattern)]
LocationCode = Annotated[str, StringConstraints(min_length=1, max_length=64, strip_whitespace=True)]
Channels = Annotated[
    list[Channel],
    Field(max_length=MAX_CHANNELS, description="Order channels it may be credited with; [] all."),
]
Locations = Annotated[
    list[LocationCode],
    Field(
        max_length=MAX_LOCATIONS, description="Fulfilling stores it may be credited with; [] all."
    ),
]
WindowDays = Annotated[int, Field(ge=1, le=MAX_WINDOW_DAYS, strict=True)]


class CampaignCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    cost: Cost = 0
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    channels: Channels = Field(default_factory=list)
    locations: Locations = Field(default_factory=list)
    attribution_window_days: WindowDays = DEFAULT_WINDOW_DAYS
    attribution_model: AttributionModel = AttributionModel.LAST_TOUCH

    @model_validator(mode="after")
    def _ends_after_start(self) -> Self:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class CampaignUpdate(BaseModel):
    """Only the fields present change; none of them may be null."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    cost: Cost | None = None
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    channels: Channels | None = None
    locations: Locations | None = None
    attribution_window_days: WindowDays | None = None
    attribution_model: AttributionModel | None = None

    @model_validator(mode="after")
    def _no_nulls(self) -> Self:
        for name in self.model_fields_set:
            if getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self

    def changes(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.model_fields_set}


class CampaignOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: str
    name: str
    cost: int
    currency: str
    starts_at: datetime
    ends_at: datetime
    channels: list[str]
    locations: list[str]
    attribution_window_days: int
    attribution_model: AttributionModel
    created_at: datetime
    updated_at: datetime


class LandingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: LandingType
    value: Annotated[str, StringConstraints(min_length=1, max_length=MAX_URL_LENGTH)] | None = (
        Field(
            default=None,
            description="store: a location code (default: the code's location); product: a "
            "SKU; coupon: the coupon template; url: an http(s) URL.",
        )
    )


class TrackingCodeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    medium: Medium
    location: LocationCode | None = Field(
        default=None, description="The store the poster or staff member is at."
    )
    landing: LandingIn


class LandingOut(BaseModel):
    type: LandingType
    value: str


class TrackingCodeOut(BaseModel):
    code: str
    campaign_id: uuid.UUID
    medium: Medium
    location: str | None
    landing: LandingOut
    affiliate_id: uuid.UUID | None
    url: str = Field(description="What to print or share: opening it counts an exposure.")
    landing_url: str = Field(description="Where the visitor is sent on.")
    created_at: datetime
    qr_svg: str | None = Field(default=None, description="The QR code of url, inline <svg>.")
    qr_png_base64: str | None = Field(default=None, description="The same QR code as a PNG.")


class ConversionsOut(BaseModel):
    """Step conversions as decimal strings with four places; null when a step is empty."""

    model_config = ConfigDict(from_attributes=True)

    visitors_to_members: str | None
    visitors_to_orders: str | None
    orders_to_redemptions: str | None


class FunnelOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    exposures: int
    unique_visitors: int
    new_members: int
    orders: int
    paid_revenue: int
    refunds: int
    net_revenue: int
    redemptions: int
    conversions: ConversionsOut


class ReportRowOut(FunnelOut):
    key: str | None = Field(description="The day, channel, location or medium; null: none.")


class ReportTotalsOut(FunnelOut):
    cost: int
    roi: str | None = Field(description="(net_revenue - cost) / cost; null when cost is 0.")


class CampaignReportOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    campaign_id: uuid.UUID
    name: str
    currency: str
    timezone: str = Field(description="Days are the merchant's local days.")
    group_by: GroupBy
    generated_at: datetime
    totals: ReportTotalsOut
    rows: list[ReportRowOut]
