"""Customers sign in with phone + one-time code: codes are single-use, short-lived, limited."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

import httpx
import jwt
import pytest
from sqlalchemy import select

from omniloop.customer_auth import service
from omniloop.customer_auth.models import OtpChallenge
from omniloop.members.models import MemberActivity
from tests.api.customer_auth.conftest import (
    OTHER_PHONE,
    OTP,
    PHONE,
    SANDBOX_SMS,
    ask_code,
    last_code,
    sign_in,
    trade,
    wrong,
)
from tests.support.events import events_of
from tests.support.factories import add_location


async def age_codes(db, t, phone: str = PHONE, *, seconds: float) -> None:
    """Move the phone's codes ``seconds`` into the past (sent and expiring earlier)."""
    delta = timedelta(seconds=seconds)
    async with db.uow() as uow:
        rows = await uow.session.scalars(
            select(OtpChallenge).where(
                OtpChallenge.merchant_id == t.merchant_id, OtpChallenge.phone == phone
            )
        )
        for row in rows:
            row.created_at -= delta
            row.expires_at -= delta
        await uow.commit()


async def test_a_texted_code_signs_a_new_customer_in_as_a_new_member(tenant, db, settings):
    r = await ask_code(tenant, "138 0013 8000")
    assert r.status_code == 202, r.text
    assert r.json() == {"expires_in": settings.otp_ttl_seconds, "resend_after": 60}
    code = await last_code(tenant)
    assert len(code) == 6 and code.isdigit()
    r = await trade(tenant, code)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == settings.customer_token_ttl_seconds
    member = await tenant.get(f"/api/v1/members/{body['member_id']}")
    assert member.status_code == 200 and member.json()["phone"] == PHONE
    created = await events_of(db, tenant, "member.created")
    assert [e["channel"] for e in created] == ["own_app"]
    signed_in = await events_of(db, tenant, "member.signed_in")
    assert signed_in == [{"member_id": body["member_id"], "channel": "own_app", "created": True}]


async def test_the_token_names_its_member_merchant_and_role_and_expires(tenant, settings):
    body = await sign_in(tenant)
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert jwt.get_unverified_header(body["access_token"])["alg"] == "HS256"
    assert claims["iss"] == "omniloop" and claims["role"] == "customer"
    assert claims["sub"] == body["member_id"] and claims["mid"] == str(tenant.merchant_id)
    assert claims["exp"] - claims["iat"] == settings.customer_token_ttl_seconds
    assert uuid.UUID(claims["jti"])


async def test_signing_in_again_finds_the_same_member_and_records_each_sign_in(
    tenant, db, settings
):
    first = await sign_in(tenant)
    await age_codes(db, tenant, seconds=61)
    second = await sign_in(tenant, channel="mini_program")
    assert first["member_id"] == second["member_id"]
    assert first["access_token"] != second["access_token"]
    async with db.uow().read_only() as uow:
        rows = await uow.session.scalars(
            select(MemberActivity.channel).where(
                MemberActivity.merchant_id == tenant.merchant_id,
                MemberActivity.kind == "signed_in",
            )
        )
        assert sorted(rows) == ["mini_program", "own_app"]
    signed_in = await events_of(db, tenant, "member.signed_in")
    assert [e["created"] for e in signed_in] == [True, False]


async def test_a_wrong_code_counts_down_and_the_fifth_kills_the_code(tenant):
    await ask_code(tenant)
    code = await last_code(tenant)
    for left in (4, 3, 2, 1, 0):
        r = await trade(tenant, wrong(code))
        assert r.status_code == 401, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["code"] == "invalid_otp" and r.json()["attempts_left"] == left
    r = await trade(tenant, code)
    assert r.status_code == 401 and r.json()["attempts_left"] == 0
    assert r.json()["reason"] == "exhausted"


async def test_a_code_works_once(tenant):
    await ask_code(tenant)
    code = await last_code(tenant)
    assert (await trade(tenant, code)).status_code == 200
    r = await trade(tenant, code)
    assert r.status_code == 401 and r.json()["code"] == "invalid_otp"
    assert r.json()["reason"] == "used"


async def test_an_expired_code_is_refused(tenant, db, settings):
    await ask_code(tenant)
    code = await last_code(tenant)
    await age_codes(db, tenant, seconds=settings.otp_ttl_seconds + 1)
    r = await trade(tenant, code)
    assert r.status_code == 401 and r.json()["reason"] == "expired"


@pytest.fixture
def codes(monkeypatch):
    """Codes drawn in a known order: 111111, 222222, ..."""
    drawn = iter(str(d) * 6 for d in range(1, 10))
    monkeypatch.setattr(service, "new_otp", lambda: next(drawn))


async def test_only_the_latest_code_counts(tenant, db, codes):
    await ask_code(tenant)
    await age_codes(db, tenant, seconds=61)
    await ask_code(tenant)
    assert await last_code(tenant) == "222222"
    r = await trade(tenant, "111111")
    assert r.status_code == 401 and r.json()["attempts_left"] == 4
    assert (await trade(tenant, "222222")).status_code == 200


async def test_a_code_for_one_phone_does_not_sign_in_another(tenant, codes):
    await ask_code(tenant, PHONE)
    await ask_code(tenant, OTHER_PHONE)
    r = await trade(tenant, "111111", OTHER_PHONE)
    assert r.status_code == 401 and r.json()["reason"] == "wrong"
    assert (await trade(tenant, "222222", OTHER_PHONE)).status_code == 200


async def test_a_phone_gets_one_code_a_minute(tenant, db):
    assert (await ask_code(tenant)).status_code == 202
    r = await ask_code(tenant)
    assert r.status_code == 429, r.text
    assert r.json()["code"] == "rate_limited"
    assert 55 <= int(r.headers["Retry-After"]) <= 60
    assert (await ask_code(tenant, OTHER_PHONE)).status_code == 202, "other phones are not held"
    await age_codes(db, tenant, seconds=61)
    assert (await ask_code(tenant)).status_code == 202


async def test_a_phone_gets_five_codes_an_hour(tenant, db):
    for _ in range(5):
        assert (await ask_code(tenant)).status_code == 202
        await age_codes(db, tenant, seconds=61)
    r = await ask_code(tenant)
    assert r.status_code == 429
    # The first of the five was sent 5 × 61 s ago: it leaves the hour in 3600 - 305 s.
    assert 3290 <= int(r.headers["Retry-After"]) <= 3295
    await age_codes(db, tenant, seconds=3600 - 5 * 61)
    assert (await ask_code(tenant)).status_code == 202


async def test_refused_requests_do_not_send_codes(tenant):
    await ask_code(tenant)
    assert (await ask_code(tenant)).status_code == 429
    r = await tenant.get(SANDBOX_SMS, params={"phone": PHONE})
    assert len(r.json()["items"]) == 1


async def test_phone_numbers_are_validated_and_unknown_merchants_are_not_found(tenant):
    assert (await ask_code(tenant, "12345")).status_code == 422
    r = await tenant.client.post(OTP, json={"merchant_id": str(uuid.uuid4()), "phone": PHONE})
    assert r.status_code == 404 and r.json()["code"] == "merchant_not_found"
    r = await trade(tenant, "12a456")
    assert r.status_code == 422
    r = await trade(tenant, "123456", channel="meituan")
    assert r.status_code == 422


async def test_a_code_never_sent_is_refused_without_saying_whether_a_member_exists(tenant):
    await sign_in(tenant, PHONE)
    known = await trade(tenant, "123456", OTHER_PHONE)
    assert known.status_code == 401 and known.json()["attempts_left"] == 0


async def test_the_sandbox_sender_logs_the_code(tenant, caplog):
    with caplog.at_level(logging.INFO, logger="omniloop.sms"):
        await ask_code(tenant)
    code = await last_code(tenant)
    assert any(code in r.getMessage() for r in caplog.records if r.name == "omniloop.sms")


async def test_the_sandbox_outbox_is_for_owners_and_operators_of_the_merchant(
    tenant, other_tenant, db
):
    await add_location(db, tenant.merchant_id, "S1")
    await ask_code(tenant)
    operator = await tenant.key_for("operator")
    assert (await tenant.get(SANDBOX_SMS, params={"phone": PHONE}, key=operator)).is_success
    for role in ("integrator", "store_staff"):
        key = await tenant.key_for(role, ["S1"] if role == "store_staff" else None)
        r = await tenant.get(SANDBOX_SMS, params={"phone": PHONE}, key=key)
        assert r.status_code == 403, role
    r = await other_tenant.get(SANDBOX_SMS, params={"phone": PHONE})
    assert r.status_code == 200 and r.json()["items"] == []
    assert (await tenant.client.get(SANDBOX_SMS, params={"phone": PHONE})).status_code == 401


async def test_without_the_sandbox_there_is_no_outbox_and_no_sender(app, settings, tenant):
    from omniloop.app import create_app

    production = create_app(settings.model_copy(update={"sandbox": False}))
    transport = httpx.ASGITransport(app=production, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            r = await c.get(SANDBOX_SMS, params={"phone": PHONE}, headers=tenant.headers)
            assert r.status_code == 404
            r = await c.post(OTP, json={"merchant_id": str(tenant.merchant_id), "phone": PHONE})
            assert r.status_code == 503 and r.json()["code"] == "sms_unavailable"
    finally:
        await production.state.db.dispose()


async def test_one_client_cannot_pump_codes_to_many_phones(app, client, tenant, settings):
    limit = settings.otp_max_per_client_per_hour
    phones = [f"+86138001{i:05d}" for i in range(limit + 1)]
    for phone in phones[:limit]:
        assert (await ask_code(tenant, phone)).status_code == 202
    r = await ask_code(tenant, phones[limit])
    assert r.status_code == 429, r.text
    assert int(r.headers["Retry-After"]) > 0
    sent = (await tenant.get(SANDBOX_SMS, params={"phone": phones[limit]})).json()["items"]
    assert sent == []  # refused before anything was texted
