"""The public page a store's join QR code opens: no key, the token is the proof."""

import json
import re
import uuid

import httpx
import pytest
from fastapi import FastAPI

from omniloop.errors import install_error_handlers
from omniloop.members.landing import router
from tests.support.factories import add_location


@pytest.fixture
async def public(db):
    """The join page alone, as the app factory mounts it (outside /api/v1)."""
    page = FastAPI()
    page.state.db = db
    install_error_handlers(page)
    page.include_router(router)
    transport = httpx.ASGITransport(app=page)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def qr(t, store):
    r = await t.get(f"/api/v1/locations/{store}/join-qr")
    assert r.status_code == 200, r.text
    return r.json()


def page_config(html):
    found = re.search(r'<script id="join-config" type="application/json">(.*?)</script>', html)
    assert found, html
    return json.loads(found.group(1))


async def test_the_join_page_names_the_store_and_signs_up_through_customer_sign_in(
    tenant, db, public
):
    await add_location(db, tenant.merchant_id, "S1", name="人民广场店 <b>&</b>")
    code = await qr(tenant, "S1")
    assert code["url"].endswith(f"/join?t={code['join_token']}")
    r = await public.get("/join", params={"t": code["join_token"]})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/html")
    assert r.headers["cache-control"] == "no-store"
    assert "人民广场店 &lt;b&gt;&amp;&lt;/b&gt;" in r.text and "<b>&</b>" not in r.text
    assert page_config(r.text) == {
        "merchant_id": str(tenant.merchant_id),
        "join_token": code["join_token"],
        "api": "/api/v1",
    }
    assert '"/auth/otp"' in r.text and '"/auth/token"' in r.text


async def test_a_forged_missing_or_unknown_merchants_code_shows_an_invalid_page(tenant, db, public):
    await add_location(db, tenant.merchant_id, "S1")
    token = (await qr(tenant, "S1"))["join_token"]
    version, _merchant, store, signature = token.split(".")
    for t in (
        token[:-2] + "AA" if not token.endswith("AA") else token[:-2] + "BB",
        f"{version}.{uuid.uuid4().hex}.{store}.{signature}",  # a merchant with no join codes
        "nonsense",
    ):
        r = await public.get("/join", params={"t": t})
        assert r.status_code == 404 and "not valid" in r.text, t
    assert (await public.get("/join")).status_code == 404


async def test_a_closed_stores_code_no_longer_opens_the_page(tenant, db, public):
    await add_location(db, tenant.merchant_id, "S1")
    token = (await qr(tenant, "S1"))["join_token"]
    r = await tenant.patch("/api/v1/locations/S1", json={"active": False})
    assert r.status_code == 200, r.text
    assert (await public.get("/join", params={"t": token})).status_code == 404
