"""Domains above members take part in a merge inside its transaction."""

import asyncio

import pytest

from omniloop.members import service
from omniloop.members.errors import MemberMergeRefused
from omniloop.members.identity import load_member, member_for_phone_in
from omniloop.members.merge import merge_participants


class Boom(Exception):
    pass


async def two_members(db, merchant_id):
    async with db.uow() as uow:
        ids = []
        for phone in ("+8613800138000", "+8613900139000"):
            member, _ = await member_for_phone_in(
                uow.session, merchant_id=merchant_id, phone=phone, name=None, channel="pos"
            )
            ids.append(member.id)
        await uow.commit()
    return ids


async def merge(db, tenant, survivor_id, absorbed_id):
    return await service.merge_members(
        uow=db.uow(),
        merchant_id=tenant.merchant_id,
        survivor_id=survivor_id,
        absorbed_id=absorbed_id,
        actor="test",
        personal_data=True,
    )


@pytest.fixture
def participant():
    """Register a participant for one test only."""
    registered = []

    def register(fn):
        merge_participants.register(fn)
        registered.append(fn)

    yield register
    for fn in registered:
        merge_participants.unregister(fn)


async def test_a_participant_sees_the_merge_in_its_own_transaction(db, tenant, participant):
    survivor_id, absorbed_id = await two_members(db, tenant.merchant_id)
    calls = []

    async def moves_its_rows(session, merchant_id, survivor, absorbed):
        record = await load_member(session, merchant_id, absorbed, follow_merges=False)
        calls.append((merchant_id, survivor, absorbed, record.status, record.merged_into))

    participant(moves_its_rows)
    await merge(db, tenant, survivor_id, absorbed_id)
    assert calls == [(tenant.merchant_id, survivor_id, absorbed_id, "merged", survivor_id)]


async def test_a_failing_participant_undoes_the_whole_merge(db, tenant, participant):
    survivor_id, absorbed_id = await two_members(db, tenant.merchant_id)

    async def fails(session, merchant_id, survivor, absorbed):
        raise Boom()

    participant(fails)
    with pytest.raises(Boom):
        await merge(db, tenant, survivor_id, absorbed_id)
    view = await service.get_member(
        uow=db.uow(), merchant_id=tenant.merchant_id, member_id=absorbed_id, personal_data=True
    )
    assert view.id == absorbed_id and view.status == "active" and view.merged_into is None
    history, _ = await service.list_activity(
        uow=db.uow(), merchant_id=tenant.merchant_id, member_id=survivor_id
    )
    assert [a.kind for a in history] == ["joined"], "no merged activity was kept"


async def test_registering_a_participant_twice_runs_it_once(db, tenant, participant):
    survivor_id, absorbed_id = await two_members(db, tenant.merchant_id)
    calls = []

    async def counts(session, merchant_id, survivor, absorbed):
        calls.append(absorbed)

    participant(counts)
    participant(counts)
    await merge(db, tenant, survivor_id, absorbed_id)
    assert calls == [absorbed_id]


async def test_two_merges_of_one_pair_in_opposite_directions_leave_one_survivor(db, tenant):
    a, b = await two_members(db, tenant.merchant_id)

    async def attempt(survivor, absorbed):
        try:
            view = await merge(db, tenant, survivor, absorbed)
        except MemberMergeRefused:
            return None
        return view.id

    outcomes = await asyncio.gather(attempt(a, b), attempt(b, a))
    [winner] = [o for o in outcomes if o is not None]
    loser = b if winner == a else a
    view = await service.get_member(
        uow=db.uow(), merchant_id=tenant.merchant_id, member_id=loser, personal_data=True
    )
    assert view.id == winner and view.merged_ids == [loser]
