"""What orders call in their own transactions: issue vouchers when paid, void them on refund,
tell voucher SKUs apart; and what the campaign report reads."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from omniloop.shared.clock import utcnow
from omniloop.vouchers.errors import VoucherNonRefundable, VoucherRedeemed
from omniloop.vouchers.issuing import (
    is_voucher_sku,
    merge_vouchers_in,
    void_for_refund_in,
)
from omniloop.vouchers.models import Voucher
from omniloop.vouchers.redemption import redemptions_by_campaign
from tests.api.vouchers.conftest import (
    PHONE,
    SET_MEAL,
    VOUCHERS,
    add_product,
    backdate,
    buy,
    issue,
    of_order,
    paid_order,
    redemptions,
)
from tests.support.events import events_of


async def _void(db, t, order, sku: str, qty: int) -> int:
    async with db.uow() as uow:
        voided = await void_for_refund_in(
            uow.session, merchant_id=t.merchant_id, order_id=uuid.UUID(order["id"]), sku=sku,
            qty=qty,
        )  # fmt: skip
        await uow.commit()
    return voided


async def test_one_voucher_per_unit_of_each_voucher_sku_and_none_for_other_lines(shop, db):
    await add_product(shop)
    await add_product(shop, **SET_MEAL)
    order = await paid_order(shop, [("V100", 3), ("SET2", 1), ("TEA", 2)], phone=PHONE)
    issued = await issue(db, shop, order)
    assert sorted((v.sku, v.unit_no) for v in issued) == [
        ("SET2", 1), ("V100", 1), ("V100", 2), ("V100", 3),
    ]  # fmt: skip
    assert all(str(v.member_id) == order["member_id"] for v in issued)
    assert {v.paid_amount for v in issued if v.sku == "V100"} == {8000}
    views = await of_order(db, shop, order)
    assert [(v["sku"], v["unit_no"]) for v in views] == [
        ("SET2", 1), ("V100", 1), ("V100", 2), ("V100", 3),
    ]  # fmt: skip
    codes = [v["code"] for v in views]
    assert len(set(codes)) == 4 and all(len(c) == 12 and c[0] == "9" for c in codes)
    events = await events_of(db, shop, "voucher.issued")
    assert sorted(e["voucher_id"] for e in events) == sorted(v["id"] for v in views)
    assert all(e["order_id"] == order["id"] and "code" not in e for e in events)


async def test_issuing_again_for_the_same_order_issues_nothing_new(shop, db):
    await add_product(shop)
    order = await paid_order(shop, [("V100", 2)])  # the payment issued two
    assert len(await issue(db, shop, order)) == 2  # issuing again (inside) issued none
    assert len(await issue(db, shop, order)) == 2
    assert len(await of_order(db, shop, order)) == 2
    assert len(await events_of(db, shop, "voucher.issued")) == 2


async def test_an_order_without_voucher_skus_issues_none(shop, db):
    await add_product(shop)
    order = await paid_order(shop, [("TEA", 1)])
    assert await issue(db, shop, order) == []


async def test_the_database_keeps_no_code_in_clear(shop, db):
    await add_product(shop)
    [voucher] = await buy(db, shop)
    async with db.uow().read_only() as uow:
        row = await uow.session.scalar(
            select(Voucher).where(Voucher.merchant_id == shop.merchant_id)
        )
    assert row is not None
    stored = {k: str(v) for k, v in vars(row).items() if not k.startswith("_")}
    assert not [k for k, v in stored.items() if voucher["code"][1:] in v]
    assert row.code_last4 == voucher["code"][-4:]
    assert voucher["code"] not in row.code_digest and len(row.code_digest) == 64
    assert row.code_sealed != voucher["code"][1:]


def test_codes_are_random_not_derived_from_ids():
    from omniloop.vouchers.domain import new_code

    codes = {new_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert len({c[1:3] for c in codes}) > 50  # spread over the whole range


async def test_validity_counts_from_payment_or_stops_at_a_fixed_end(shop, db):
    await add_product(shop, validity={"days_after_purchase": 7})
    until = datetime(2030, 6, 30, 16, 0, tzinfo=UTC)
    await add_product(shop, kind="set_meal", validity={"until": until.isoformat()})
    order = await paid_order(shop, [("V100", 1), ("SET2", 1)])
    issued = {v.sku: v for v in await issue(db, shop, order)}
    assert issued["V100"].valid_until == issued["V100"].issued_at + timedelta(days=7)
    assert abs(issued["V100"].issued_at - utcnow()) < timedelta(minutes=1)  # paid just now
    assert issued["SET2"].valid_until == until


async def test_vouchers_sold_keep_their_terms_when_the_product_changes(shop, db):
    product = await add_product(shop, partial_redemption=True)
    [before] = await buy(db, shop)
    r = await shop.patch(
        f"/api/v1/voucher-products/{product['id']}",
        json={"face_value": 5000, "partial_redemption": False, "locations": ["S3"]},
    )
    assert r.status_code == 200, r.text
    [after] = await buy(db, shop)
    assert (before["face_value"], before["partial_redemption"], before["locations"]) == (
        10000, True, [],
    )  # fmt: skip
    assert (after["face_value"], after["partial_redemption"], after["locations"]) == (
        5000, False, ["S3"],
    )  # fmt: skip
    r = await shop.post(redemptions("S1"), json={"code": before["code"], "amount": 100})
    assert r.status_code == 200, r.text


async def test_masked_for_those_who_may_not_see_codes(shop, db):
    await add_product(shop)
    order = await paid_order(shop, [("V100", 1)])
    await issue(db, shop, order)
    [shown] = await of_order(db, shop, order, reveal=False)
    [full] = await of_order(db, shop, order)
    assert shown["code"] is None and shown["qr_payload"] is None
    assert shown["code_masked"] == "**** **** " + full["code"][-4:]


async def test_refund_voids_untouched_vouchers_only(shop, db):
    await add_product(shop, partial_redemption=True)
    order = await paid_order(shop, [("V100", 3)])
    await issue(db, shop, order)
    first, second, third = await of_order(db, shop, order)
    r = await shop.post(redemptions("S1"), json={"code": first["code"], "amount": 1})
    assert r.status_code == 200
    with pytest.raises(VoucherRedeemed) as refused:
        await _void(db, shop, order, "V100", 3)
    assert refused.value.code == "voucher_redeemed" and refused.value.status == 409
    assert refused.value.extra["refundable_qty"] == 2
    assert [v["status"] for v in await of_order(db, shop, order)] == [
        "partially_redeemed", "unredeemed", "unredeemed",
    ]  # fmt: skip
    assert await _void(db, shop, order, "V100", 1) == 1
    assert await _void(db, shop, order, "V100", 1) == 1
    views = await of_order(db, shop, order)
    assert [v["status"] for v in views] == ["partially_redeemed", "void", "void"]
    assert views[1]["void_reason"] == "refund"
    with pytest.raises(VoucherRedeemed):
        await _void(db, shop, order, "V100", 1)
    r = await shop.post(redemptions("S1"), json={"code": third["code"]})
    assert r.status_code == 409 and r.json()["code"] == "voucher_void"
    assert len(await events_of(db, shop, "voucher.voided")) == 2
    assert second["id"] in {e["voucher_id"] for e in await events_of(db, shop, "voucher.voided")}


async def test_expired_untouched_vouchers_are_still_refundable(shop, db):
    await add_product(shop)
    order = await paid_order(shop, [("V100", 1)])
    await backdate(db, shop, order, days=365)
    [voucher] = await of_order(db, shop, order)
    assert voucher["status"] == "expired"
    assert await _void(db, shop, order, "V100", 1) == 1


async def test_non_refundable_vouchers_are_refused_whole(shop, db):
    await add_product(shop, refund_policy="non_refundable")
    order = await paid_order(shop, [("V100", 2)])
    await issue(db, shop, order)
    with pytest.raises(VoucherNonRefundable) as refused:
        await _void(db, shop, order, "V100", 1)
    assert isinstance(refused.value, VoucherRedeemed)  # one except clause catches both
    assert refused.value.code == "voucher_non_refundable"
    assert {v["status"] for v in await of_order(db, shop, order)} == {"unredeemed"}


async def test_a_sku_that_issued_no_vouchers_on_the_order_voids_nothing(shop, db):
    order = await paid_order(shop, [("V100", 1)])  # paid before V100 became a voucher
    await add_product(shop)
    assert await _void(db, shop, order, "V100", 1) == 0
    assert await _void(db, shop, order, "V100", 0) == 0


async def test_voucher_skus_are_told_apart(shop, db, other_tenant):
    await add_product(shop)
    async with db.uow().read_only() as uow:
        assert await is_voucher_sku(uow.session, shop.merchant_id, ["V100", "TEA", "X"]) == {"V100"}
        assert await is_voucher_sku(uow.session, other_tenant.merchant_id, ["V100"]) == set()
        assert await is_voucher_sku(uow.session, shop.merchant_id, []) == set()


async def test_the_campaign_report_reads_each_redemption_with_its_share_of_the_price(shop, db):
    campaign, other = uuid.uuid4(), uuid.uuid4()
    await add_product(shop, campaign_id=str(campaign), partial_redemption=True)
    await add_product(shop, **SET_MEAL, campaign_id=str(other))
    [cash] = await buy(db, shop)
    [meal] = await buy(db, shop, "SET2")
    start = utcnow()
    await shop.post(redemptions("S1"), json={"code": cash["code"], "amount": 2500})
    await shop.post(redemptions("S2"), json={"code": cash["code"]})
    await shop.post(redemptions("S3"), json={"code": meal["code"]})
    async with db.uow().read_only() as uow:
        rows = await redemptions_by_campaign(
            uow.session, merchant_id=shop.merchant_id, campaign_id=campaign
        )
        later = await redemptions_by_campaign(
            uow.session, merchant_id=shop.merchant_id, campaign_id=campaign, since=utcnow()
        )
    assert [(r.location, r.amount, r.paid_share) for r in rows] == [
        ("S1", 2500, 2000), ("S2", 7500, 6000),
    ]  # fmt: skip
    assert all(str(r.order_id) == cash["order_id"] and r.created_at >= start for r in rows)
    assert sum(r.paid_share for r in rows) == cash["paid_amount"] and later == []
    events = await events_of(db, shop, "voucher.redeemed")
    assert [e["campaign_id"] for e in events] == [str(campaign), str(campaign), str(other)]


async def test_a_merged_members_vouchers_follow_them(shop, db):
    await add_product(shop)
    [voucher] = await buy(db, shop, phone=PHONE)
    [survivor] = await buy(db, shop, phone="+8613900139000")
    async with db.uow() as uow:
        await merge_vouchers_in(
            uow.session,
            shop.merchant_id,
            uuid.UUID(survivor["member_id"]),
            uuid.UUID(voucher["member_id"]),
        )
        await uow.commit()
    r = await shop.get(VOUCHERS, params={"member_id": survivor["member_id"]})
    assert {v["id"] for v in r.json()["items"]} == {voucher["id"], survivor["id"]}


async def test_concurrent_redemptions_of_one_voucher_at_two_stores_take_it_once(shop, db):
    await add_product(shop)
    [voucher] = await buy(db, shop)
    answers = await asyncio.gather(
        *(shop.post(redemptions(s), json={"code": voucher["code"]}) for s in ("S1", "S2", "S3"))
    )
    assert sorted(r.status_code for r in answers) == [200, 409, 409], [r.text for r in answers]
    detail = (await shop.get(f"{VOUCHERS}/{voucher['id']}")).json()
    assert detail["balance"] == 0 and len(detail["redemptions"]) == 1
    assert all(isinstance(r.json(), dict) for r in answers)
    assert not any(r.status_code >= 500 for r in answers)
