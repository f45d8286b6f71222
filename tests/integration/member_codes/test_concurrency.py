"""Races: requests arriving together through the API still obey every single-use rule."""

from __future__ import annotations

import asyncio
import uuid

from omniloop.member_codes.errors import MemberScanInvalid
from omniloop.member_codes.service import claim_scan_in
from tests.api.customer_auth.conftest import sign_in
from tests.api.member_codes.conftest import fresh_code, member_code, scans_url


async def test_two_scans_of_one_code_at_once_identify_the_member_once(shop):
    for phone, locations in (("+8613800138000", ("S1", "S1")), ("+8613900139000", ("S1", "S2"))):
        _, code = await fresh_code(shop, phone)
        responses = await asyncio.gather(
            *(shop.post(scans_url(loc), json={"member_code": code}) for loc in locations)
        )
        codes = sorted(r.status_code for r in responses)
        assert codes == [201, 409], [r.text for r in responses]


async def test_many_scans_of_one_code_at_once_succeed_once(shop):
    _, code = await fresh_code(shop)
    responses = await asyncio.gather(
        *(shop.post(scans_url(("S1", "S2")[i % 2]), json={"member_code": code}) for i in range(8))
    )
    statuses = [r.status_code for r in responses]
    assert statuses.count(201) == 1 and statuses.count(409) == 7, statuses
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"member_code_used"}


async def test_two_screens_asking_at_once_get_one_code(shop):
    customer = await sign_in(shop)
    bodies = await asyncio.gather(*(member_code(shop, customer) for _ in range(5)))
    assert len({b["code"] for b in bodies}) == 1


async def test_two_orders_claiming_one_scan_at_once_get_it_once(shop, db):
    _, code = await fresh_code(shop)
    scan_id = uuid.UUID(
        (await shop.post(scans_url("S1"), json={"member_code": code})).json()["scan_id"]
    )

    async def claim() -> str:
        try:
            async with db.uow() as uow:
                await claim_scan_in(
                    uow.session,
                    merchant_id=shop.merchant_id,
                    scan_id=scan_id,
                    location="S1",
                    order_id=uuid.uuid4(),
                )
                await uow.commit()
        except MemberScanInvalid:
            return "refused"
        return "claimed"

    outcomes = await asyncio.gather(*(claim() for _ in range(4)))
    assert sorted(outcomes) == ["claimed", "refused", "refused", "refused"]
