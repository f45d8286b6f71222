"""API shapes for the loyalty program, points and wallet statements and adjustments."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from omniloop.loyalty.domain import (
    EarnRate,
    ExpiryPolicy,
    Program,
    Rounding,
    Tier,
    TopUpRule,
)
from omniloop.loyalty.program_rules import (
    MAX_CHANNEL_RATES,
    MAX_EXPIRY_DAYS,
    MAX_POINTS_AMOUNT,
    MAX_TIERS,
    MAX_TOP_UP_RULES,
    MAX_WINDOW_DAYS,
)

Amount = Annotated[int, Field(ge=0, le=MAX_POINTS_AMOUNT)]
PositiveAmount = Annotated[int, Field(ge=1, le=MAX_POINTS_AMOUNT)]


class EarnRateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    points: int = Field(ge=0, le=1_000_000, description="Points per ``per_amount``.")
    per_amount: PositiveAmount = Field(description="Minor units of net paid money.")


class TierIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,32}$")]
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
    threshold: Amount = Field(description="Rolling net spend (minor units) that reaches it.")
    earn_multiplier_percent: int = Field(default=100, ge=100, le=1000)
    discount_percent: int = Field(default=0, ge=0, le=100)


class TopUpRuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pay: PositiveAmount
    bonus: Amount


class ProgramIn(BaseModel):
    """The whole program; PUT replaces it. Omitted ``currency`` means the merchant's."""

    model_config = ConfigDict(extra="forbid")

    currency: str | None = Field(default=None, min_length=3, max_length=3)
    enabled: bool = True
    earn: EarnRateIn
    channel_earn: dict[
        Annotated[str, StringConstraints(pattern=r"^[a-z0-9_-]{1,40}$")], EarnRateIn
    ] = Field(default_factory=dict, max_length=MAX_CHANNEL_RATES)
    rounding: Rounding = Rounding.DOWN
    tier_window_days: int = Field(default=365, ge=1, le=MAX_WINDOW_DAYS)
    tiers: list[TierIn] = Field(min_length=1, max_length=MAX_TIERS)
    expiry: ExpiryPolicy
    expiry_days: int | None = Field(default=None, ge=1, le=MAX_EXPIRY_DAYS)
    redeem_points: int = Field(ge=1, le=1_000_000, description="Points worth redeem_amount.")
    redeem_amount: PositiveAmount = Field(description="Minor units redeem_points pay.")
    max_redeem_percent: int = Field(ge=0, le=100, description="Share of an order points pay.")
    top_up_rules: list[TopUpRuleIn] = Field(default_factory=list, max_length=MAX_TOP_UP_RULES)

    def to_program(self, *, default_currency: str) -> Program:
        """The domain program (not yet checked across fields: see validate_program)."""
        return Program(
            currency=(self.currency or default_currency).upper(),
            enabled=self.enabled,
            earn=EarnRate(self.earn.points, self.earn.per_amount),
            channel_earn={
                c: EarnRate(r.points, r.per_amount) for c, r in self.channel_earn.items()
            },
            rounding=self.rounding,
            tier_window_days=self.tier_window_days,
            tiers=tuple(
                Tier(t.code, t.name, t.threshold, t.earn_multiplier_percent, t.discount_percent)
                for t in self.tiers
            ),
            expiry=self.expiry,
            expiry_days=self.expiry_days,
            redeem_points=self.redeem_points,
            redeem_amount=self.redeem_amount,
            max_redeem_percent=self.max_redeem_percent,
            top_up_rules=tuple(TopUpRule(r.pay, r.bonus) for r in self.top_up_rules),
        )


class ProgramOut(BaseModel):
    """The program in force, its version and last change (``version`` 0: the defaults)."""

    currency: str
    enabled: bool
    earn: dict[str, int]
    channel_earn: dict[str, dict[str, int]]
    rounding: Rounding
    tier_window_days: int
    tiers: list[dict[str, Any]]
    expiry: ExpiryPolicy
    expiry_days: int | None
    redeem_points: int
    redeem_amount: int
    max_redeem_percent: int
    top_up_rules: list[dict[str, int]]
    version: int
    is_default: bool
    updated_at: datetime | None
    updated_by: str | None


class ExpiringPoints(BaseModel):
    points: int
    expires_at: datetime


class PointsEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: str
    points: int
    balance_after: int
    order_id: uuid.UUID | None
    reference: str | None
    expires_at: datetime | None
    detail: dict[str, Any]
    created_at: datetime


class PointsStatementOut(BaseModel):
    """A member's points: balance, what expires soonest, entries newest first."""

    member_id: uuid.UUID
    balance: int
    tier: str | None
    expiring: list[ExpiringPoints]
    items: list[PointsEntryOut]
    next_cursor: str | None = None


class WalletEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: str
    principal: int
    bonus: int
    amount: int
    principal_after: int
    bonus_after: int
    currency: str
    order_id: uuid.UUID | None
    top_up_id: uuid.UUID | None
    reference: str | None
    created_at: datetime


class WalletStatementOut(BaseModel):
    """A member's stored value: paid principal and merchant bonus, entries newest first."""

    member_id: uuid.UUID
    currency: str
    principal: int
    bonus: int
    total: int
    items: list[WalletEntryOut]
    next_cursor: str | None = None


class PointsAdjustmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    points: int = Field(ge=-10_000_000, le=10_000_000, description="Signed, not zero.")
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]

    @field_validator("points")
    @classmethod
    def _not_zero(cls, value: int) -> int:
        if value == 0:
            raise ValueError("an adjustment moves at least one point")
        return value


class PointsAdjustmentOut(BaseModel):
    member_id: uuid.UUID
    entry: PointsEntryOut
    balance: int
