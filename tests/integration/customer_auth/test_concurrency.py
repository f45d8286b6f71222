"""Races: sign-in requests arriving together still obey the sending and single-use rules."""

from __future__ import annotations

import asyncio

from tests.api.customer_auth.conftest import ask_code, last_code, trade


async def test_code_requests_at_once_send_one_code(tenant):
    responses = await asyncio.gather(*(ask_code(tenant) for _ in range(5)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [202, 429, 429, 429, 429], [r.text for r in responses]


async def test_one_code_traded_twice_at_once_signs_in_once(tenant):
    await ask_code(tenant)
    code = await last_code(tenant)
    responses = await asyncio.gather(*(trade(tenant, code) for _ in range(4)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 401, 401, 401], [r.text for r in responses]
