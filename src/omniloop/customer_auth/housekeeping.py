"""Deleting what sign-in no longer needs: one-time codes past every limit window, member
codes long expired, sandbox texts. Set-based deletes, run by a periodic job."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete

from omniloop.customer_auth.models import OtpChallenge, SandboxSms
from omniloop.db import Database
from omniloop.member_codes.models import MemberCode
from omniloop.shared.clock import utcnow

KEEP_CHALLENGES = timedelta(days=1)
"""Longer than any sending window (an hour) and any code's life."""
KEEP_MEMBER_CODES = timedelta(days=1)
"""An expired code is still recognised as expired (not as forged) for a day."""
KEEP_SANDBOX_TEXTS = timedelta(days=7)


@dataclass(frozen=True)
class Purged:
    challenges: int
    member_codes: int
    sandbox_texts: int

    @property
    def total(self) -> int:
        return self.challenges + self.member_codes + self.sandbox_texts


async def purge_stale(*, db: Database, now: datetime | None = None) -> Purged:
    """Delete stale sign-in rows of every merchant; returns how many of each went."""
    now = now or utcnow()
    async with db.uow() as uow:
        counts = []
        for statement in (
            delete(OtpChallenge).where(OtpChallenge.created_at < now - KEEP_CHALLENGES),
            delete(MemberCode).where(MemberCode.expires_at < now - KEEP_MEMBER_CODES),
            delete(SandboxSms).where(SandboxSms.created_at < now - KEEP_SANDBOX_TEXTS),
        ):
            result = await uow.session.execute(
                statement.execution_options(synchronize_session=False)
            )
            counts.append(int(getattr(result, "rowcount", 0) or 0))
        await uow.commit()
    return Purged(*counts)
