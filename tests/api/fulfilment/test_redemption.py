"""Handing pickup orders over at the store with the customer's code (到店核销)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from omniloop.fulfilment.models import RedemptionAttempt
from tests.api.fulfilment.conftest import ORDERS, pickup_order, redemptions


def _wrong(code: str) -> str:
    return code[:-1] + str((int(code[-1]) + 1) % 10)


async def test_staff_redeem_a_ready_order_which_becomes_picked_up_with_them_in_history(shop):
    order = await pickup_order(shop)
    staff = await shop.key_for("store_staff", ["S1"])
    r = await shop.post(redemptions("S1"), json={"code": order["pickup_code"]}, key=staff)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["redeemed"] == "pickup"
    assert body["status"] == "picked_up" and body["id"] == order["id"]
    assert body["pickup_code"] is None and body["pickup_qr"] is None  # staff never see it
    last = body["history"][-1]
    assert (last["action"], last["to_status"]) == ("pick_up", "picked_up")
    keys = (await shop.get("/api/v1/api-keys")).json()["items"]
    staff_id = next(k["id"] for k in keys if k["role"] == "store_staff")
    assert last["actor"] == f"api_key:{staff_id}"
    r = await shop.get(f"{ORDERS}/{order['id']}")
    assert r.json()["status"] == "picked_up"


async def test_scanned_qr_payload_and_typed_digits_with_spaces_both_redeem(shop):
    first, second = await pickup_order(shop), await pickup_order(shop)
    r = await shop.post(redemptions("S1"), json={"code": first["pickup_qr"]})
    assert r.status_code == 200, r.text
    code = second["pickup_code"]
    r = await shop.post(redemptions("S1"), json={"code": f" {code[:3]} {code[3:6]}-{code[6:]} "})
    assert r.status_code == 200, r.text
    assert r.json()["pickup_code"] == code  # the owner may see it


async def test_a_code_is_single_use(shop):
    order = await pickup_order(shop)
    assert (await shop.post(redemptions("S1"), json={"code": order["pickup_code"]})).is_success
    r = await shop.post(redemptions("S1"), json={"code": order["pickup_code"]})
    assert r.status_code == 409 and r.json()["code"] == "code_already_used"
    assert r.json()["status_now"] == "picked_up"


async def test_pickup_code_is_refused_at_another_store_as_a_wrong_code(shop):
    order = await pickup_order(shop, "S1")
    r = await shop.post(redemptions("S2"), json={"code": order["pickup_code"]})
    assert r.status_code == 404 and r.json()["code"] == "invalid_code"
    r = await shop.post(redemptions("S2"), json={"code": order["pickup_qr"]})
    assert r.status_code == 404 and r.json()["code"] == "invalid_code"
    assert (await shop.get(f"{ORDERS}/{order['id']}")).json()["status"] == "ready"


async def test_staff_of_another_location_are_forbidden(shop):
    order = await pickup_order(shop, "S1")
    s2_staff = await shop.key_for("store_staff", ["S2"])
    r = await shop.post(redemptions("S1"), json={"code": order["pickup_code"]}, key=s2_staff)
    assert r.status_code == 403
    assert (await shop.get(f"{ORDERS}/{order['id']}")).json()["status"] == "ready"


async def test_another_merchant_cannot_redeem_or_see_the_location(shop, other_tenant):
    order = await pickup_order(shop)
    r = await other_tenant.post(redemptions("S1"), json={"code": order["pickup_code"]})
    assert r.status_code == 404 and r.json()["code"] != "invalid_code"


async def test_an_order_not_ready_yet_is_refused_with_its_status(shop):
    order = await pickup_order(shop, ready=False)
    r = await shop.post(redemptions("S1"), json={"code": order["pickup_code"]})
    assert r.status_code == 409
    assert r.json()["code"] == "invalid_transition" and r.json()["status_now"] == "paid"
    assert (await shop.get(f"{ORDERS}/{order['id']}")).json()["status"] == "paid"


async def test_five_wrong_codes_lock_the_location_even_for_the_right_code(shop, db):
    order = await pickup_order(shop)
    wrong = _wrong(order["pickup_code"])
    lefts = []
    for _ in range(5):
        r = await shop.post(redemptions("S1"), json={"code": wrong})
        assert r.status_code == 404 and r.json()["code"] == "invalid_code"
        lefts.append(r.json()["attempts_left"])
    assert lefts == [4, 3, 2, 1, 0]
    r = await shop.post(redemptions("S1"), json={"code": order["pickup_code"]})
    assert r.status_code == 429 and r.json()["code"] == "rate_limited"
    retry = int(r.headers["Retry-After"])
    assert 590 <= retry <= 600
    assert (await shop.get(f"{ORDERS}/{order['id']}")).json()["status"] == "ready"
    # Other stores are not affected.
    other = await pickup_order(shop, "S2")
    assert (await shop.post(redemptions("S2"), json={"code": other["pickup_code"]})).is_success
    # Once the cooldown has passed, the right code works again.
    async with db.uow() as uow:
        attempts = await uow.session.scalars(
            select(RedemptionAttempt).where(RedemptionAttempt.merchant_id == shop.merchant_id)
        )
        for attempt in attempts:
            attempt.created_at -= timedelta(minutes=11)
        await uow.commit()
    r = await shop.post(redemptions("S1"), json={"code": order["pickup_code"]})
    assert r.status_code == 200, r.text


async def test_typing_slips_are_422_and_do_not_count_towards_the_lockout(shop):
    order = await pickup_order(shop)
    for _ in range(6):
        r = await shop.post(redemptions("S1"), json={"code": "12345"})
        assert r.status_code == 422 and r.json()["code"] == "validation_error"
    assert (await shop.post(redemptions("S1"), json={"code": order["pickup_code"]})).is_success


async def test_every_attempt_is_logged_with_a_masked_code(shop):
    order = await pickup_order(shop)
    code = order["pickup_code"]
    await shop.post(redemptions("S1"), json={"code": _wrong(code)})
    await shop.post(redemptions("S1"), json={"code": "oops"})
    await shop.post(redemptions("S1"), json={"code": code})
    await shop.post(redemptions("S1"), json={"code": code})
    r = await shop.get(redemptions("S1"))
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [i["outcome"] for i in items] == ["used", "success", "malformed", "wrong_code"]
    assert all(code not in i["code_hint"] and i["code_hint"] != code for i in items)
    assert items[1]["code_hint"] == "********" + code[-2:]
    assert items[0]["order_id"] == order["id"] and items[3]["order_id"] is None
    assert all(i["actor"].startswith("api_key:") for i in items)
    staff = await shop.key_for("store_staff", ["S2"])
    assert (await shop.get(redemptions("S1"), key=staff)).status_code == 403


async def test_bad_bodies_and_unknown_locations(shop):
    assert (await shop.post(redemptions("S1"), json={})).status_code == 422
    r = await shop.post(redemptions("S1"), json={"code": "1", "extra": 1})
    assert r.status_code == 422
    r = await shop.post(redemptions("S1"), json={"code": "x" * 201})
    assert r.status_code == 422
    r = await shop.post(redemptions("NOPE"), json={"code": "0123456789"})
    assert r.status_code == 404 and r.json()["code"] == "not_found"
