"""Redeeming vouchers in stores (到店核销) through the same endpoint as pickup codes."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from omniloop.fulfilment.models import RedemptionAttempt
from omniloop.shared.clock import utcnow
from omniloop.vouchers.models import Voucher
from tests.api.vouchers.conftest import SET_MEAL, add_product, buy, paid_order, redemptions
from tests.support.events import events_of


def _wrong(code: str) -> str:
    return code[:-1] + str((int(code[-1]) + 1) % 10)


async def test_staff_redeem_a_cash_voucher_whole_and_see_what_it_was(shop, db):
    await add_product(shop)
    [voucher] = await buy(db, shop)
    assert len(voucher["code"]) == 12 and voucher["code"].startswith("9")
    staff = await shop.key_for("store_staff", ["S2"])
    r = await shop.post(redemptions("S2"), json={"code": voucher["code"]}, key=staff)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["redeemed"] == "voucher"
    assert (body["amount"], body["balance"], body["currency"]) == (10000, 0, "CNY")
    assert body["voucher"]["id"] == voucher["id"] and body["voucher"]["status"] == "redeemed"
    assert body["voucher"]["code"] is None and body["voucher"]["qr_payload"] is None
    assert body["voucher"]["code_masked"] == "**** **** " + voucher["code"][-4:]
    entry = body["redemption"]
    assert (entry["location"], entry["amount"], entry["paid_share"]) == ("S2", 10000, 8000)
    assert entry["actor"].startswith("api_key:") and entry["balance_after"] == 0
    [event] = await events_of(db, shop, "voucher.redeemed")
    assert event["voucher_id"] == voucher["id"] and event["order_id"] == voucher["order_id"]
    assert (event["location"], event["amount"], event["campaign_id"]) == ("S2", 10000, None)


async def test_the_scanned_qr_and_typed_digits_with_spaces_both_redeem(shop, db):
    await add_product(shop)
    first, second = await buy(db, shop, qty=2)
    r = await shop.post(redemptions("S1"), json={"code": first["qr_payload"]})
    assert r.status_code == 200, r.text
    assert r.json()["voucher"]["code"] == first["code"]  # the owner may see it
    code = second["code"]
    typed = f" {code[:4]} {code[4:8]}-{code[8:]} "
    assert (await shop.post(redemptions("S1"), json={"code": typed})).status_code == 200


async def test_a_partial_voucher_is_spent_over_visits_until_its_balance_is_gone(shop, db):
    await add_product(shop, partial_redemption=True)
    [voucher] = await buy(db, shop)
    steps = []
    for location, amount in (("S1", 3000), ("S2", 2500), ("S3", None)):
        body = {"code": voucher["code"]} | ({"amount": amount} if amount else {})
        r = await shop.post(redemptions(location), json=body)
        assert r.status_code == 200, r.text
        answer = r.json()
        steps.append((answer["amount"], answer["balance"], answer["redemption"]["paid_share"]))
    assert steps == [(3000, 7000, 2400), (2500, 4500, 2000), (4500, 0, 3600)]
    assert sum(share for _, _, share in steps) == 8000  # the price paid, exactly
    r = await shop.post(redemptions("S1"), json={"code": voucher["code"], "amount": 1})
    assert r.status_code == 409 and r.json()["code"] == "code_already_used"
    detail = (await shop.get(f"/api/v1/vouchers/{voucher['id']}")).json()
    assert [e["location"] for e in detail["redemptions"]] == ["S1", "S2", "S3"]
    assert [e["balance_after"] for e in detail["redemptions"]] == [7000, 4500, 0]


async def test_more_than_the_balance_is_refused_and_nothing_is_taken(shop, db):
    await add_product(shop, partial_redemption=True)
    [voucher] = await buy(db, shop)
    r = await shop.post(redemptions("S1"), json={"code": voucher["code"], "amount": 6000})
    assert r.status_code == 200, r.text
    r = await shop.post(redemptions("S1"), json={"code": voucher["code"], "amount": 4001})
    assert r.status_code == 409 and r.json()["code"] == "voucher_balance_exceeded"
    assert (r.json()["balance"], r.json()["status_now"]) == (4000, "partially_redeemed")
    detail = (await shop.get(f"/api/v1/vouchers/{voucher['id']}")).json()
    assert detail["balance"] == 4000 and len(detail["redemptions"]) == 1


async def test_a_voucher_without_partial_redemption_is_redeemed_whole(shop, db):
    await add_product(shop)
    [voucher] = await buy(db, shop)
    r = await shop.post(redemptions("S1"), json={"code": voucher["code"], "amount": 5000})
    assert r.status_code == 409 and r.json()["code"] == "partial_redemption_not_allowed"
    r = await shop.post(redemptions("S1"), json={"code": voucher["code"], "amount": 10000})
    assert r.status_code == 200 and r.json()["balance"] == 0


async def test_a_set_meal_is_redeemed_whole_once(shop, db):
    await add_product(shop, **SET_MEAL)
    [voucher] = await buy(db, shop, "SET2")
    assert voucher["items"] == SET_MEAL["items"] and voucher["face_value"] == 12800
    r = await shop.post(redemptions("S3"), json={"code": voucher["code"], "amount": 100})
    assert r.status_code == 409 and r.json()["code"] == "partial_redemption_not_allowed"
    r = await shop.post(redemptions("S3"), json={"code": voucher["code"]})
    assert r.status_code == 200, r.text
    assert r.json()["voucher"]["status"] == "redeemed" and r.json()["balance"] == 0
    assert r.json()["redemption"]["paid_share"] == 12800
    r = await shop.post(redemptions("S3"), json={"code": voucher["code"]})
    assert r.status_code == 409 and r.json()["code"] == "code_already_used"


async def test_a_voucher_is_refused_at_a_store_it_is_not_valid_at(shop, db):
    await add_product(shop, locations=["S1", "S2"])
    [voucher] = await buy(db, shop)
    r = await shop.post(redemptions("S3"), json={"code": voucher["code"]})
    assert r.status_code == 409 and r.json()["code"] == "voucher_not_valid_here"
    assert "S1, S2" in r.json()["detail"]
    assert (await shop.post(redemptions("S2"), json={"code": voucher["code"]})).status_code == 200


async def test_an_expired_voucher_is_refused_and_shown_expired(shop, db):
    await add_product(shop)
    [voucher] = await buy(db, shop)
    async with db.uow() as uow:
        await uow.session.execute(
            update(Voucher)
            .where(Voucher.merchant_id == shop.merchant_id)
            .values(valid_until=utcnow() - timedelta(seconds=1))
        )
        await uow.commit()
    r = await shop.post(redemptions("S1"), json={"code": voucher["code"]})
    assert r.status_code == 409 and r.json()["code"] == "voucher_expired"
    assert r.json()["status_now"] == "expired"
    assert (await shop.get(f"/api/v1/vouchers/{voucher['id']}")).json()["status"] == "expired"


async def test_wrong_voucher_codes_count_towards_the_same_lockout_as_pickup_codes(shop, db):
    await add_product(shop)
    [voucher] = await buy(db, shop)
    wrong = _wrong(voucher["code"])
    lefts = []
    for _ in range(3):
        r = await shop.post(redemptions("S1"), json={"code": wrong})
        assert r.status_code == 404 and r.json()["code"] == "invalid_code"
        lefts.append(r.json()["attempts_left"])
    for _ in range(2):  # pickup-shaped guesses join the same count
        r = await shop.post(redemptions("S1"), json={"code": "0000000000"})
        lefts.append(r.json()["attempts_left"])
    assert lefts == [4, 3, 2, 1, 0]
    r = await shop.post(redemptions("S1"), json={"code": voucher["code"]})
    assert r.status_code == 429 and r.json()["code"] == "rate_limited"
    assert (await shop.get(f"/api/v1/vouchers/{voucher['id']}")).json()["balance"] == 10000
    async with db.uow() as uow:
        attempts = await uow.session.scalars(
            select(RedemptionAttempt).where(RedemptionAttempt.merchant_id == shop.merchant_id)
        )
        for attempt in attempts:
            attempt.created_at -= timedelta(minutes=11)
        await uow.commit()
    assert (await shop.post(redemptions("S1"), json={"code": voucher["code"]})).status_code == 200


async def test_refusals_of_a_real_voucher_do_not_count_as_wrong_codes(shop, db):
    await add_product(shop, locations=["S1"])
    [voucher] = await buy(db, shop)
    for _ in range(6):
        r = await shop.post(redemptions("S2"), json={"code": voucher["code"]})
        assert r.status_code == 409
    assert (await shop.post(redemptions("S1"), json={"code": voucher["code"]})).status_code == 200


async def test_every_voucher_attempt_is_logged_with_a_masked_code(shop, db):
    await add_product(shop, locations=["S1"], partial_redemption=True)
    [voucher] = await buy(db, shop)
    code = voucher["code"]
    await shop.post(redemptions("S1"), json={"code": _wrong(code)})
    await shop.post(redemptions("S1"), json={"code": code, "amount": 20000})
    await shop.post(redemptions("S1"), json={"code": "omniloop:voucher:123"})
    await shop.post(redemptions("S1"), json={"code": code})
    await shop.post(redemptions("S1"), json={"code": code})
    items = (await shop.get(redemptions("S1"))).json()["items"]
    assert [i["outcome"] for i in items] == [
        "used", "success", "malformed", "refused", "wrong_code",
    ]  # fmt: skip
    assert [i["kind"] for i in items] == ["voucher", "voucher", None, "voucher", "voucher"]
    assert all(code not in i["code_hint"] for i in items)
    assert items[1]["code_hint"] == "*" * 10 + code[-2:]
    assert items[1]["order_id"] == voucher["order_id"] and items[4]["order_id"] is None


async def test_an_amount_is_for_vouchers_not_pickup_codes(shop, db):
    order = await paid_order(shop, [("TEA", 1)])
    r = await shop.post(redemptions("S1"), json={"code": order["pickup_code"], "amount": 100})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "amount"
    for bad in (0, -5, 1.5, "10"):
        r = await shop.post(redemptions("S1"), json={"code": "912345678901", "amount": bad})
        assert r.status_code == 422, bad


async def test_staff_of_another_store_and_other_merchants_cannot_redeem(shop, other_tenant, db):
    await add_product(shop)
    [voucher] = await buy(db, shop)
    s2_staff = await shop.key_for("store_staff", ["S2"])
    r = await shop.post(redemptions("S1"), json={"code": voucher["code"]}, key=s2_staff)
    assert r.status_code == 403
    r = await other_tenant.post(redemptions("S1"), json={"code": voucher["code"]})
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    assert (await shop.get(f"/api/v1/vouchers/{voucher['id']}")).json()["balance"] == 10000
