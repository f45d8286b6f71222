"""Merging two records of one customer, in the caller's transaction.

The survivor keeps its id; the absorbed record keeps its row (status ``merged``,
``merged_into`` the survivor), so its phone, its customer tokens and its history still lead
to the survivor. History is never moved: views read the survivor's rows and those of every
record merged into it. Domains above members that hold something of the absorbed record
(orders, points, stored value) take part through :data:`merge_participants`, registered by
the app factory, and run inside the same transaction: if one fails, nothing is merged.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from omniloop.events import record_event
from omniloop.members.domain import ActivityKind, MemberStatus
from omniloop.members.errors import MemberMergeRefused
from omniloop.members.identity import load_member, record_activity_in
from omniloop.members.models import Member
from omniloop.shared.clock import utcnow

MergeParticipant = Callable[[AsyncSession, uuid.UUID, uuid.UUID, uuid.UUID], Awaitable[None]]
"""``(session, merchant_id, survivor_id, absorbed_id)``: move what belongs to the absorbed
record to the survivor, in the merge's transaction (never commit)."""


class MergeParticipants:
    """The domains that move their rows when two members merge, in registration order."""

    def __init__(self) -> None:
        self._participants: list[MergeParticipant] = []

    def register(self, participant: MergeParticipant) -> None:
        if participant not in self._participants:
            self._participants.append(participant)

    def unregister(self, participant: MergeParticipant) -> None:
        if participant in self._participants:
            self._participants.remove(participant)

    async def run(
        self,
        session: AsyncSession,
        merchant_id: uuid.UUID,
        survivor_id: uuid.UUID,
        absorbed_id: uuid.UUID,
    ) -> None:
        for participant in list(self._participants):
            await participant(session, merchant_id, survivor_id, absorbed_id)


merge_participants = MergeParticipants()


async def merge_in(
    session: AsyncSession,
    *,
    merchant_id: uuid.UUID,
    survivor_id: uuid.UUID,
    absorbed_id: uuid.UUID,
    actor: str,
) -> Member:
    """Merge ``absorbed_id`` into ``survivor_id``; returns the survivor. Refuses
    (409 member_merge_refused) a self-merge or a record already merged; 404 for an unknown
    id. Both rows are locked in id order, so two merges of the same pair cannot deadlock."""
    if survivor_id == absorbed_id:
        raise MemberMergeRefused("a member cannot be merged into itself")
    locked = {
        member_id: await load_member(
            session, merchant_id, member_id, follow_merges=False, lock=True
        )
        for member_id in sorted((survivor_id, absorbed_id))
    }
    survivor, absorbed = locked[survivor_id], locked[absorbed_id]
    for member in (survivor, absorbed):
        if member.status == MemberStatus.MERGED.value:
            raise MemberMergeRefused(
                f"member {member.id} was already merged into {member.merged_into}",
                member_id=str(member.id),
                merged_into=str(member.merged_into),
            )
    now = utcnow()
    absorbed.status = MemberStatus.MERGED.value
    absorbed.merged_into = survivor.id
    absorbed.updated_at = survivor.updated_at = now
    # Records merged into the absorbed one earlier now lead straight to the survivor.
    await session.execute(
        update(Member)
        .where(Member.merchant_id == merchant_id, Member.merged_into == absorbed.id)
        .values(merged_into=survivor.id, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    record_activity_in(
        session,
        merchant_id=merchant_id,
        member_id=survivor.id,
        kind=ActivityKind.MERGED,
        detail={"absorbed_id": str(absorbed.id), "actor": actor},
    )
    record_event(
        session,
        merchant_id=merchant_id,
        type="member.merged",
        data={"member_id": str(survivor.id), "absorbed_id": str(absorbed.id), "actor": actor},
    )
    await session.flush()
    await merge_participants.run(session, merchant_id, survivor.id, absorbed.id)
    return survivor
