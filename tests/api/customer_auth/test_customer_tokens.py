"""A customer token is the member's key: checked like an API key, good for its member only."""

from __future__ import annotations

import time
import uuid

import jwt
from sqlalchemy import update

from omniloop.members.models import Member
from omniloop.merchants.secrets import merchant_secret
from tests.api.customer_auth.conftest import (
    OTHER_PHONE,
    PHONE,
    ask_code,
    last_code,
    sign_in,
    trade,
)
from tests.support.factories import add_location


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def token_secret(db, merchant_id) -> bytes:
    async with db.uow() as uow:
        secret = await merchant_secret(uow.session, merchant_id, "customer_token")
        await uow.commit()
    return secret


def claims_for(t, member_id, **overrides):
    now = int(time.time())
    claims = {
        "iss": "omniloop",
        "sub": str(member_id),
        "mid": str(t.merchant_id),
        "role": "customer",
        "iat": now,
        "exp": now + 600,
        "jti": str(uuid.uuid4()),
    }
    claims.update(overrides)
    return claims


async def assert_refused(client, token: str, member_id) -> None:
    r = await client.get(f"/api/v1/members/{member_id}/member-code", headers=bearer(token))
    assert r.status_code == 401, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "unauthorized"


async def test_a_customer_token_reads_its_own_member(tenant):
    me = await sign_in(tenant)
    r = await tenant.client.get(
        f"/api/v1/members/{me['member_id']}", headers=bearer(me["access_token"])
    )
    assert r.status_code == 200, r.text
    assert r.json()["phone"] == PHONE


async def test_a_customer_token_reaches_no_other_member(tenant):
    me = await sign_in(tenant)
    other = await sign_in(tenant, OTHER_PHONE)
    for url in (
        f"/api/v1/members/{other['member_id']}",
        f"/api/v1/members/{other['member_id']}/member-code",
    ):
        r = await tenant.client.get(url, headers=bearer(me["access_token"]))
        assert r.status_code == 403, (url, r.text)


async def test_a_token_is_good_at_its_own_merchant_only(tenant, other_tenant, db):
    theirs = await sign_in(other_tenant)
    mine = await sign_in(tenant)
    r = await tenant.client.get(
        f"/api/v1/members/{mine['member_id']}/member-code", headers=bearer(theirs["access_token"])
    )
    assert r.status_code == 403
    # Re-labelled as this merchant's, the other merchant's signature no longer verifies.
    theirs_secret = await token_secret(db, other_tenant.merchant_id)
    relabelled = jwt.encode(claims_for(tenant, mine["member_id"]), theirs_secret, "HS256")
    await assert_refused(tenant.client, relabelled, mine["member_id"])


async def test_forged_and_tampered_tokens_are_refused(tenant, db):
    me = await sign_in(tenant)
    member_id = me["member_id"]
    header, payload, signature = me["access_token"].split(".")
    flipped = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")
    forged = [
        f"{header}.{payload}.{flipped}",
        jwt.encode(claims_for(tenant, member_id), b"a guess at the merchant secret!!", "HS256"),
        jwt.encode(claims_for(tenant, member_id), None, "none"),
        "not.a.jwt",
        f"{header}.{payload}",
    ]
    for token in forged:
        r = await tenant.client.get(
            f"/api/v1/members/{member_id}/member-code", headers=bearer(token)
        )
        assert r.status_code == 401, (token, r.text)


async def test_expired_tokens_and_tokens_claiming_another_role_are_refused(tenant, db):
    me = await sign_in(tenant)
    secret = await token_secret(db, tenant.merchant_id)
    past = int(time.time()) - 3600
    for overrides in (
        {"iat": past - 900, "exp": past},
        {"role": "owner"},
        {"iss": "someone-else"},
        {"sub": str(uuid.uuid4())},
        {"jti": "not-an-id"},
    ):
        token = jwt.encode(claims_for(tenant, me["member_id"], **overrides), secret, "HS256")
        await assert_refused(tenant.client, token, me["member_id"])
    without_expiry = claims_for(tenant, me["member_id"])
    del without_expiry["exp"]
    await assert_refused(
        tenant.client, jwt.encode(without_expiry, secret, "HS256"), me["member_id"]
    )


async def test_a_merchant_that_never_signed_a_token_verifies_none(tenant, other_tenant):
    me = await sign_in(tenant)
    claims = claims_for(other_tenant, me["member_id"])
    token = jwt.encode(claims, b"x" * 32, "HS256")
    await assert_refused(tenant.client, token, me["member_id"])


async def test_a_merged_members_token_stops_working(tenant, db):
    me = await sign_in(tenant)
    survivor = await sign_in(tenant, OTHER_PHONE)
    async with db.uow() as uow:
        await uow.session.execute(
            update(Member)
            .where(
                Member.merchant_id == tenant.merchant_id, Member.id == uuid.UUID(me["member_id"])
            )
            .values(status="merged", merged_into=uuid.UUID(survivor["member_id"]))
        )
        await uow.commit()
    await assert_refused(tenant.client, me["access_token"], me["member_id"])


async def test_signing_in_through_a_stores_join_code_joins_at_that_store(tenant, db):
    await add_location(db, tenant.merchant_id, "S1")
    qr = await tenant.get("/api/v1/locations/S1/join-qr")
    assert qr.status_code == 200, qr.text
    me = await sign_in(tenant, join_token=qr.json()["join_token"], channel="mini_program")
    member = (await tenant.get(f"/api/v1/members/{me['member_id']}")).json()
    assert member["acquired"]["location"] == "S1"
    assert member["acquired"]["channel"] == "mini_program"
    assert member["stores_seen"] == ["S1"]


async def test_a_forged_join_code_refuses_the_sign_in_but_keeps_the_code(tenant):
    await ask_code(tenant)
    code = await last_code(tenant)
    r = await trade(tenant, code, join_token="1.forged.token.here")
    assert r.status_code == 422 and r.json()["code"] == "invalid_join_token"
    assert (await trade(tenant, code)).status_code == 200
