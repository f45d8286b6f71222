"""Sign-in requests and responses (Pydantic, never ORM rows)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from omniloop.members.schemas import Phone

SignInChannel = Literal["own_app", "web", "mini_program"]


class OtpRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    merchant_id: uuid.UUID
    phone: Phone


class OtpSentOut(BaseModel):
    expires_in: int = Field(description="Seconds the code stays valid.")
    resend_after: int = Field(description="Seconds before another code may be asked for.")


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    merchant_id: uuid.UUID
    phone: Phone
    code: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{6}$")]
    channel: SignInChannel = "own_app"
    join_token: Annotated[str, StringConstraints(min_length=1, max_length=512)] | None = Field(
        default=None, description="From a store's join QR code: the member joins at that store."
    )
    referral_code: Annotated[str, StringConstraints(min_length=1, max_length=40)] | None = Field(
        default=None, description="A friend's referral code (邀请码), for a new member."
    )


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    member_id: uuid.UUID
    referral: dict[str, str] | None = Field(
        default=None, description="What became of a referral_code: recorded, or refused and why."
    )


class SandboxSmsOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    phone: str
    template: str
    params: dict[str, Any]
    text: str
    created_at: datetime


class SandboxSmsPage(BaseModel):
    items: list[SandboxSmsOut]
