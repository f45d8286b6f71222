"""Member code requests and responses (Pydantic, never ORM rows)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints


class MemberCodeOut(BaseModel):
    code: str = Field(description="18 digits to show as a barcode or type at the till.")
    qr_payload: str = Field(description="What the member's QR code encodes.")
    svg: str = Field(description="The QR code, as an inline <svg> element.")
    expires_at: datetime
    refresh_after: datetime = Field(
        description="Ask for the next code from then on (the same code is returned until then)."
    )


class MemberScanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    member_code: Annotated[str, StringConstraints(min_length=1, max_length=200)] = Field(
        description="The digits, typed or scanned, or the scanned QR payload."
    )


class ScannedMemberOut(BaseModel):
    id: uuid.UUID
    name: str | None
    phone: str | None
    tier: str | None
    points: int
    wallet_total: int


class MemberScanOut(BaseModel):
    scan_id: uuid.UUID = Field(description="Give it to the POS order to attach this member.")
    expires_at: datetime
    member: ScannedMemberOut
