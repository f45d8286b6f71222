"""Per-merchant signing secrets (customer tokens, member codes, join QR codes).

Each merchant gets one random secret per purpose, made on first use and kept in the
database, so every server process signs and verifies alike without configuration, and one
merchant's secret never verifies another's tokens.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime

from sqlalchemy import ForeignKeyConstraint, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from omniloop.db import Base, MerchantScoped, is_unique_violation
from omniloop.shared.clock import utcnow


class MerchantSecret(MerchantScoped, Base):
    __tablename__ = "merchant_secret"

    purpose: Mapped[str] = mapped_column(String(32), primary_key=True)
    secret: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (ForeignKeyConstraint(["merchant_id"], ["merchant.merchant_id"]),)


async def existing_merchant_secret(
    session: AsyncSession, merchant_id: uuid.UUID, purpose: str
) -> bytes | None:
    """The merchant's secret for ``purpose`` if one was ever made (read-only: verifying
    something signed with a secret that does not exist fails without creating one)."""
    found = await session.scalar(
        select(MerchantSecret.secret).where(
            MerchantSecret.merchant_id == merchant_id, MerchantSecret.purpose == purpose
        )
    )
    return None if found is None else bytes.fromhex(found)


async def merchant_secret(session: AsyncSession, merchant_id: uuid.UUID, purpose: str) -> bytes:
    """The merchant's secret for ``purpose`` (``customer_token``, ``member_code``,
    ``join_qr``), created on first use in the caller's transaction."""
    query = select(MerchantSecret.secret).where(
        MerchantSecret.merchant_id == merchant_id, MerchantSecret.purpose == purpose
    )
    found = await session.scalar(query)
    if found is None:
        try:
            async with session.begin_nested():
                session.add(
                    MerchantSecret(
                        merchant_id=merchant_id,
                        purpose=purpose,
                        secret=secrets.token_hex(32),
                        created_at=utcnow(),
                    )
                )
                await session.flush()
        except IntegrityError as exc:
            if not is_unique_violation(exc):
                raise
        found = await session.scalar(query)
        assert found is not None
    return bytes.fromhex(found)
