"""Member code tables: the codes issued, the log of scans, and scans claimed by orders."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKeyConstraint, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from omniloop.db import Base, MerchantScoped
from omniloop.shared.clock import utcnow


class MemberCode(MerchantScoped, Base):
    """A member code issued to a member: only its hash is kept; usable once before it expires."""

    __tablename__ = "member_code"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    member_id: Mapped[uuid.UUID]
    code_digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(default=None)
    used_location: Mapped[str | None] = mapped_column(String(64), default=None)

    __table_args__ = (
        ForeignKeyConstraint(["merchant_id", "member_id"], ["member.merchant_id", "member.id"]),
        UniqueConstraint("merchant_id", "code_digest"),
        Index(None, "merchant_id", "member_id", "created_at"),
    )


class MemberScan(MerchantScoped, Base):
    """One code scanned at a location, whatever came of it (append-only). The lockout
    counts a location's recent ``invalid`` rows, so it holds across processes."""

    __tablename__ = "member_scan"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    location_code: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))
    code_hint: Mapped[str] = mapped_column(String(64))
    member_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    member_code_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    actor: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    """Until when a successful scan may be claimed by a POS order."""

    __table_args__ = (
        ForeignKeyConstraint(["merchant_id"], ["merchant.merchant_id"]),
        Index(None, "merchant_id", "location_code", "outcome", "created_at"),
    )


class MemberScanClaim(MerchantScoped, Base):
    """The order a successful scan was used for: one per scan, by its primary key."""

    __tablename__ = "member_scan_claim"

    scan_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    order_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        ForeignKeyConstraint(
            ["merchant_id", "scan_id"], ["member_scan.merchant_id", "member_scan.id"]
        ),
    )
