"""Reading vouchers: by order or member, the customer's own, codes only for those who may."""

from __future__ import annotations

import uuid

from tests.api.customer_auth.conftest import OTHER_PHONE, sign_in
from tests.api.vouchers.conftest import (
    PHONE,
    SET_MEAL,
    VOUCHERS,
    add_product,
    buy,
    redemptions,
)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_customer_sees_their_vouchers_with_codes_and_no_one_elses(shop, db):
    await add_product(shop)
    me = await sign_in(shop, PHONE)
    mine = await buy(db, shop, qty=2, phone=PHONE)
    theirs = await buy(db, shop, phone=OTHER_PHONE)
    client, headers = shop.client, bearer(me["access_token"])
    r = await client.get(VOUCHERS, headers=headers)
    assert r.status_code == 200, r.text
    assert {v["id"] for v in r.json()["items"]} == {v["id"] for v in mine}
    assert {v["code"] for v in r.json()["items"]} == {v["code"] for v in mine}
    assert all(v["member_id"] == me["member_id"] for v in r.json()["items"])
    r = await client.get(VOUCHERS, params={"order_id": theirs[0]["order_id"]}, headers=headers)
    assert r.status_code == 200 and r.json()["items"] == []
    r = await client.get(VOUCHERS, params={"member_id": theirs[0]["member_id"]}, headers=headers)
    assert r.status_code == 403
    r = await client.get(f"{VOUCHERS}/{mine[0]['id']}", headers=headers)
    assert r.status_code == 200 and r.json()["code"] == mine[0]["code"]
    r = await client.get(f"{VOUCHERS}/{theirs[0]['id']}", headers=headers)
    assert r.status_code == 404 and r.json()["code"] == "voucher_not_found"
    r = await client.get(f"{VOUCHERS}/{mine[0]['id']}/qr", headers=headers)
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
    assert r.text.lstrip().startswith("<svg")
    r = await client.get(f"{VOUCHERS}/{theirs[0]['id']}/qr", headers=headers)
    assert r.status_code == 404
    r = await client.get("/api/v1/voucher-products", headers=headers)
    assert r.status_code == 403


async def test_owners_and_integrators_see_codes_operators_and_staff_the_last_four(shop, db):
    await add_product(shop)
    [voucher] = await buy(db, shop, phone=PHONE)
    params = {"order_id": voucher["order_id"]}
    for role, sees in (("integrator", True), ("operator", False), ("store_staff", False)):
        key = await shop.key_for(role, ["S1"] if role == "store_staff" else None)
        [shown] = (await shop.get(VOUCHERS, params=params, key=key)).json()["items"]
        assert shown["code_masked"] == "**** **** " + voucher["code"][-4:]
        assert (shown["code"] == voucher["code"]) is sees and (shown["code"] is None) is not sees
        assert (shown["qr_payload"] is not None) is sees
        detail = (await shop.get(f"{VOUCHERS}/{voucher['id']}", key=key)).json()
        assert (detail["code"] is not None) is sees
        qr = await shop.get(f"{VOUCHERS}/{voucher['id']}/qr", key=key)
        assert qr.status_code == (200 if sees else 403)
    [shown] = (await shop.get(VOUCHERS, params=params)).json()["items"]
    assert shown["code"] == voucher["code"]  # the owner


async def test_vouchers_are_listed_by_order_member_and_status_newest_first(shop, db):
    await add_product(shop, partial_redemption=True)
    await add_product(shop, **SET_MEAL)
    first = await buy(db, shop, qty=2, phone=PHONE)
    meal = await buy(db, shop, "SET2", phone=PHONE)
    other = await buy(db, shop)
    member = first[0]["member_id"]
    r = await shop.get(VOUCHERS, params={"member_id": member})
    assert [v["id"] for v in r.json()["items"]] == [meal[0]["id"]] + [
        v["id"] for v in sorted(first, key=lambda v: v["id"], reverse=True)
    ]
    r = await shop.get(VOUCHERS, params={"order_id": other[0]["order_id"]})
    assert [v["id"] for v in r.json()["items"]] == [other[0]["id"]]
    assert [v["unit_no"] for v in first] == [1, 2]
    await shop.post(redemptions("S1"), json={"code": first[0]["code"], "amount": 100})
    await shop.post(redemptions("S1"), json={"code": meal[0]["code"]})
    by_status = {}
    for status in ("unredeemed", "partially_redeemed", "redeemed", "expired", "void"):
        r = await shop.get(VOUCHERS, params={"member_id": member, "status": status})
        by_status[status] = {v["id"] for v in r.json()["items"]}
        assert all(v["status"] == status for v in r.json()["items"])
    assert by_status == {
        "unredeemed": {first[1]["id"]},
        "partially_redeemed": {first[0]["id"]},
        "redeemed": {meal[0]["id"]},
        "expired": set(),
        "void": set(),
    }
    page = await shop.get(VOUCHERS, params={"limit": 2})
    assert len(page.json()["items"]) == 2 and page.json()["next_cursor"]
    rest = await shop.get(VOUCHERS, params={"limit": 2, "cursor": page.json()["next_cursor"]})
    seen = [v["id"] for v in page.json()["items"] + rest.json()["items"]]
    assert sorted(seen) == sorted(v["id"] for v in first + meal + other)


async def test_the_voucher_shows_its_terms_and_order(shop, db):
    campaign = str(uuid.uuid4())
    await add_product(shop, campaign_id=campaign, locations=["S2"], refund_policy="non_refundable")
    [voucher] = await buy(db, shop)
    detail = (await shop.get(f"{VOUCHERS}/{voucher['id']}")).json()
    assert detail["status"] == "unredeemed" and detail["redemptions"] == []
    assert (detail["kind"], detail["face_value"], detail["balance"]) == ("cash", 10000, 10000)
    assert (detail["paid_amount"], detail["currency"], detail["sku"]) == (8000, "CNY", "V100")
    assert detail["campaign_id"] == campaign and detail["locations"] == ["S2"]
    assert detail["refund_policy"] == "non_refundable"
    assert detail["qr_payload"] == "omniloop:voucher:" + voucher["code"]


async def test_store_staff_read_vouchers_and_other_merchants_find_none(shop, other_tenant, db):
    await add_product(shop)
    [voucher] = await buy(db, shop)
    r = await other_tenant.get(f"{VOUCHERS}/{voucher['id']}")
    assert r.status_code == 404 and r.json()["code"] == "voucher_not_found"
    r = await other_tenant.get(VOUCHERS, params={"order_id": voucher["order_id"]})
    assert r.status_code == 200 and r.json()["items"] == []
    r = await shop.get(VOUCHERS, params={"status": "lost"})
    assert r.status_code == 422
