"""API shapes for referral codes, the referral program and a member's referrer."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from omniloop.referrals.domain import MAX_REWARD_POINTS, ReferralRule, Reward


class ReferralCodeOut(BaseModel):
    member_id: uuid.UUID
    code: str = Field(description="Shared by the member; a new member joins with it.")
    created_at: datetime
    referred: int = Field(description="Members who joined with this code.")
    rewarded: int = Field(description="Of those, the ones whose first order has completed.")


class RewardIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    points: int = Field(default=0, ge=0, le=MAX_REWARD_POINTS)
    coupon_template_id: uuid.UUID | None = None

    def to_reward(self) -> Reward:
        return Reward(points=self.points, coupon_template_id=self.coupon_template_id)


class ReferralProgramIn(BaseModel):
    """The whole rule; PUT replaces it."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool
    referrer_reward: RewardIn = Field(
        default_factory=RewardIn, description="For the member who shared the code."
    )
    referee_reward: RewardIn = Field(
        default_factory=RewardIn, description="For the new member who joined with it."
    )

    def to_rule(self) -> ReferralRule:
        return ReferralRule(
            enabled=self.enabled,
            referrer_reward=self.referrer_reward.to_reward(),
            referee_reward=self.referee_reward.to_reward(),
        )


class RewardOut(BaseModel):
    points: int
    coupon_template_id: uuid.UUID | None


class ReferralProgramOut(BaseModel):
    enabled: bool
    referrer_reward: RewardOut
    referee_reward: RewardOut
    version: int = Field(description="0: never set (the program is off).")
    updated_at: datetime | None
    updated_by: str | None


class ReferrerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    referral_code: Annotated[str, StringConstraints(min_length=1, max_length=32)]


class ReferralOut(BaseModel):
    referee_id: uuid.UUID
    referrer_id: uuid.UUID
    code: str
    created_at: datetime
    rewarded_at: datetime | None
