"""API shapes for RFM, segments, their members and coupon grants."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from omniloop.segments.domain import (
    MAX_AMOUNT,
    MAX_DAYS,
    MAX_LIST,
    MAX_NAME,
    MAX_ORDERS,
    SCORE_BUCKETS,
    ScoreRange,
    SegmentFilters,
)

Days = Annotated[int, Field(ge=1, le=MAX_DAYS)]
Amount = Annotated[int, Field(ge=0, le=MAX_AMOUNT, description="Minor units.")]
Score = Annotated[int, Field(ge=1, le=SCORE_BUCKETS)]
Code = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_NAME)]


class RfmOut(BaseModel):
    """A member's RFM as of the last computation. No purchase: zeros, no scores."""

    member_id: uuid.UUID
    recency_days: int | None
    frequency: int
    monetary: int = Field(description="Net paid money of the purchases, minor units.")
    last_order_at: datetime | None
    r_score: int | None
    f_score: int | None
    m_score: int | None
    computed_at: datetime | None


class RfmRunOut(BaseModel):
    buyers: int = Field(description="Members with a purchase, now scored.")
    computed_at: datetime


class ScoreRangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    r_min: Score | None = None
    r_max: Score | None = None
    f_min: Score | None = None
    f_max: Score | None = None
    m_min: Score | None = None
    m_max: Score | None = None


class SegmentFiltersIn(BaseModel):
    """Members matching every filter given. Days count back from when the segment is read."""

    model_config = ConfigDict(extra="forbid")

    last_order_before_days: Days | None = Field(
        default=None, description="Lapsed: bought, but not in the last N days."
    )
    last_order_within_days: Days | None = Field(
        default=None, description="Bought in the last N days."
    )
    spent_more_than: Amount | None = Field(default=None, description="Net spend above this.")
    spent_less_than: Amount | None = Field(
        default=None, description="Net spend below this (members who never bought too)."
    )
    orders_at_least: Annotated[int, Field(ge=1, le=MAX_ORDERS)] | None = None
    tiers: Annotated[list[Code], Field(max_length=MAX_LIST)] = Field(default_factory=list)
    acquired_locations: Annotated[list[Code], Field(max_length=MAX_LIST)] = Field(
        default_factory=list
    )
    channels: Annotated[list[Code], Field(max_length=MAX_LIST)] = Field(
        default_factory=list, description="Channels the member was seen in (activity, orders)."
    )
    rfm: ScoreRangeIn | None = Field(
        default=None, description="Score bounds (1-5, inclusive); only buyers have scores."
    )

    def to_filters(self) -> SegmentFilters:
        return SegmentFilters(
            last_order_before_days=self.last_order_before_days,
            last_order_within_days=self.last_order_within_days,
            spent_more_than=self.spent_more_than,
            spent_less_than=self.spent_less_than,
            orders_at_least=self.orders_at_least,
            tiers=tuple(self.tiers),
            acquired_locations=tuple(self.acquired_locations),
            channels=tuple(self.channels),
            rfm=ScoreRange(**self.rfm.model_dump()) if self.rfm else None,
        )


class SegmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    filters: SegmentFiltersIn = Field(default_factory=SegmentFiltersIn)


class SegmentPatch(BaseModel):
    """Rename, or replace the filters whole."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    filters: SegmentFiltersIn | None = None


class SegmentOut(BaseModel):
    id: uuid.UUID
    name: str
    filters: dict[str, Any] = Field(description="The filters that are set.")
    created_by: str
    created_at: datetime
    updated_at: datetime


class SegmentMemberOut(BaseModel):
    member_id: uuid.UUID
    phone: str
    name: str | None
    acquired_location: str | None
    tier: str
    orders: int = Field(description="Purchases (paid, not cancelled, not refunded in full).")
    spent: int = Field(description="Net paid money of the purchases, minor units.")
    last_order_at: datetime | None
    r_score: int | None
    f_score: int | None
    m_score: int | None


class SegmentMembersPage(BaseModel):
    items: list[SegmentMemberOut]
    next_cursor: str | None = None
    count: int = Field(description="Members in the segment now (all pages).")


class CouponGrantIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    template_id: uuid.UUID
    name: Name | None = Field(default=None, description="The campaign's name.")
    cost: Annotated[int, Field(ge=0, le=MAX_AMOUNT)] = Field(
        default=0, description="What the grant costs the merchant, for the campaign's ROI."
    )


class CouponGrantOut(BaseModel):
    id: uuid.UUID
    segment_id: uuid.UUID
    campaign_id: uuid.UUID
    template_id: uuid.UUID
    members: int = Field(description="Members in the segment at the time of the grant.")
    granted: int = Field(
        description="Coupons given: members already holding as many as the template allows "
        "per member got none."
    )
    created_at: datetime
