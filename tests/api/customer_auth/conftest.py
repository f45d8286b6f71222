"""Helpers for signing customers in through the sandbox SMS sender."""

from __future__ import annotations

from typing import Any

import httpx

PHONE = "+8613800138000"
OTHER_PHONE = "+8613900139000"
OTP = "/api/v1/auth/otp"
TOKEN = "/api/v1/auth/token"
SANDBOX_SMS = "/api/v1/sandbox/sms"


async def ask_code(t: Any, phone: str = PHONE, **extra: Any) -> httpx.Response:
    """Ask for a code as the public would: no API key."""
    body = {"merchant_id": str(t.merchant_id), "phone": phone, **extra}
    return await t.client.post(OTP, json=body)


async def last_code(t: Any, phone: str = PHONE) -> str:
    """The code the sandbox sender last "texted" to ``phone``."""
    r = await t.get(SANDBOX_SMS, params={"phone": phone})
    assert r.status_code == 200, r.text
    return str(r.json()["items"][0]["params"]["code"])


async def trade(t: Any, code: str, phone: str = PHONE, **extra: Any) -> httpx.Response:
    body = {"merchant_id": str(t.merchant_id), "phone": phone, "code": code, **extra}
    return await t.client.post(TOKEN, json=body)


async def sign_in(t: Any, phone: str = PHONE, **extra: Any) -> dict[str, Any]:
    """Sign ``phone`` in end to end; the token response."""
    r = await ask_code(t, phone)
    assert r.status_code == 202, r.text
    r = await trade(t, await last_code(t, phone), phone, **extra)
    assert r.status_code == 200, r.text
    return dict(r.json())


def wrong(code: str) -> str:
    return code[:-1] + str((int(code[-1]) + 1) % 10)
