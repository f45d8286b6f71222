"""API shapes for affiliates and their settlements."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from omniloop.affiliates.domain import MAX_RATE_BP, AffiliateKind
from omniloop.marketing.domain import Medium
from omniloop.marketing.schemas import LandingIn

Rate = Annotated[int, Field(ge=0, le=MAX_RATE_BP, description="Basis points: 1000 = 10%.")]
Category = Annotated[str, StringConstraints(min_length=1, max_length=100)]


class AffiliateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    kind: AffiliateKind
    contact: Annotated[str, StringConstraints(max_length=200)] | None = None
    default_rate_bp: Rate
    category_rates_bp: dict[Category, Rate] = Field(default_factory=dict, max_length=100)
    active: bool = True


class AffiliatePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
        | None
    ) = None
    contact: Annotated[str, StringConstraints(max_length=200)] | None = None
    default_rate_bp: Rate | None = None
    category_rates_bp: dict[Category, Rate] | None = None
    active: bool | None = None


class AffiliateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    kind: AffiliateKind
    contact: str | None
    default_rate_bp: int
    category_rates_bp: dict[str, int]
    active: bool
    created_at: datetime


class AffiliateCodeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    campaign_id: uuid.UUID
    medium: Medium = Medium.LINK
    location: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    landing: LandingIn


class AffiliateCodeOut(BaseModel):
    code: str
    url: str
    campaign_id: uuid.UUID
    affiliate_id: uuid.UUID


class SettlementOrderOut(BaseModel):
    order_id: uuid.UUID
    number: str
    tracking_code: str
    created_at: datetime
    paid: int
    refunded: int
    net: int
    commission: int
    net_by_category: dict[str, int]


class SettlementOut(BaseModel):
    affiliate_id: uuid.UUID
    period: str
    currency: str
    orders: list[SettlementOrderOut]
    paid: int
    refunded: int
    net: int
    commission_due: int
