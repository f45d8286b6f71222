import json
import time
import uuid

from omniloop.payments.domain import CallbackEvent, Outcome, encode_event
from omniloop.payments.sandbox import deliver_sandbox_callbacks
from omniloop.webhooks.domain import SIGNATURE_HEADER, sign
from tests.api.payments.conftest import deliver, open_payment, paid_order, place_order, stock

CALLBACK = "/api/v1/payments/callbacks/sandbox"


async def _order(t, order_id):
    return (await t.get(f"/api/v1/orders/{order_id}")).json()


def _forged(tenant, payment, outcome="succeeded", secret="not-the-secret"):
    body = encode_event(
        CallbackEvent(
            event_id=str(uuid.uuid4()),
            merchant_id=tenant.merchant_id,
            payment_id=uuid.UUID(payment["id"]),
            provider_ref=payment["provider_ref"],
            outcome=Outcome(outcome),
            amount=payment["amount"],
        )
    )
    return body, {SIGNATURE_HEADER: sign(secret, int(time.time()), body)}


async def test_sandbox_payment_offers_a_pay_url_and_qr_payload_for_the_order_total(shop):
    order = await place_order(shop)
    payment = await open_payment(shop, order["id"])
    assert payment["status"] == "pending"
    assert payment["amount"] == order["total"] == 4500
    assert payment["pay_url"].endswith(f"/api/v1/sandbox/payments/{payment['id']}/succeed")
    assert payment["id"] in payment["qr_payload"]


async def test_succeeded_callback_pays_the_order_commits_stock_and_issues_a_pickup_code(
    app, shop, gateway
):
    assert await stock(shop, "TEA") == (10, 0)
    order = await place_order(shop)
    assert await stock(shop, "TEA") == (10, 2)
    payment = await open_payment(shop, order["id"])
    r = await shop.post(f"/api/v1/sandbox/payments/{payment['id']}/succeed")
    assert r.status_code == 202, r.text
    assert (await _order(shop, order["id"]))["status"] == "pending_payment"  # asynchronous

    assert await deliver(app, gateway) >= 1

    paid = await _order(shop, order["id"])
    assert paid["status"] == "paid"
    assert paid["paid_total"] == 4500
    assert paid["pickup_code"]
    assert await stock(shop, "TEA") == (8, 0)
    assert await stock(shop, "BUN") == (9, 0)


async def test_repeated_and_late_callbacks_change_nothing_twice(app, shop, gateway, db):
    order, payment = await paid_order(app, shop, gateway)
    # Replays of the delivered event, and a late out-of-order "failed" for the same payment.
    from omniloop.payments.service import provider_secret

    async with db.uow() as uow:
        secret = await provider_secret(uow.session, shop.merchant_id, "sandbox")
    for outcome in ("succeeded", "succeeded", "failed"):
        body, headers = _forged(shop, payment, outcome, secret=secret)
        r = await shop.client.post(CALLBACK, content=body, headers=headers)
        assert r.status_code == 200, r.text
        assert r.json()["applied"] is False
    after = await _order(shop, order["id"])
    assert after["status"] == "paid"
    assert after["paid_total"] == 4500
    assert after["pickup_code"] == order["pickup_code"]
    assert [h["to_status"] for h in after["history"]].count("paid") == 1
    assert await stock(shop, "TEA") == (8, 0)
    assert await deliver(app, gateway) == 0  # the sandbox does not resend what was acknowledged


async def test_a_bad_signature_is_refused_and_changes_nothing(shop):
    order = await place_order(shop)
    payment = await open_payment(shop, order["id"])
    body, headers = _forged(shop, payment)
    r = await shop.client.post(CALLBACK, content=body, headers=headers)
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "invalid_callback_signature"
    r = await shop.client.post(CALLBACK, content=b"{}")
    assert r.status_code == 401
    assert (await _order(shop, order["id"]))["status"] == "pending_payment"
    assert await stock(shop, "TEA") == (10, 2)


async def test_failed_payment_leaves_the_order_pending_and_can_be_retried(app, shop, gateway):
    order = await place_order(shop)
    payment = await open_payment(shop, order["id"])
    assert (await shop.post(f"/api/v1/sandbox/payments/{payment['id']}/fail")).status_code == 202
    assert await deliver(app, gateway) >= 1
    after = await _order(shop, order["id"])
    assert after["status"] == "pending_payment"
    assert after["paid_total"] == 0
    assert await stock(shop, "TEA") == (10, 2)
    again = await shop.post(f"/api/v1/sandbox/payments/{payment['id']}/succeed")
    assert again.status_code == 409
    retry = await open_payment(shop, order["id"])
    assert retry["id"] != payment["id"]


async def test_second_payment_succeeding_after_the_order_was_paid_is_refunded_at_once(
    app, shop, gateway
):
    order = await place_order(shop)
    first = await open_payment(shop, order["id"])
    second = await open_payment(shop, order["id"])
    for p in (first, second):
        assert (await shop.post(f"/api/v1/sandbox/payments/{p['id']}/succeed")).status_code == 202
    assert await deliver(app, gateway) >= 2
    after = await _order(shop, order["id"])
    assert after["status"] == "paid"
    assert after["paid_total"] == 4500  # the second payment was not booked on the order
    assert after["refunded_total"] == 0


async def test_callbacks_are_retried_until_acknowledged(app, shop, gateway, db):
    import httpx

    order = await place_order(shop)
    payment = await open_payment(shop, order["id"])
    await shop.post(f"/api/v1/sandbox/payments/{payment['id']}/succeed")
    down = httpx.AsyncClient(transport=httpx.MockTransport(lambda request: httpx.Response(503)))
    async with down:
        assert await deliver(app, down) >= 1
    assert (await _order(shop, order["id"]))["status"] == "pending_payment"
    from sqlalchemy import update

    from omniloop.payments.models import SandboxCallback
    from omniloop.shared.clock import utcnow

    async with db.uow() as uow:  # skip the backoff wait
        await uow.session.execute(
            update(SandboxCallback)
            .where(SandboxCallback.merchant_id == shop.merchant_id)
            .values(next_attempt_at=utcnow())
        )
        await uow.commit()
    assert await deliver_sandbox_callbacks(db=db, settings=app.state.settings, http=gateway) >= 1
    assert (await _order(shop, order["id"]))["status"] == "paid"


async def test_refund_by_lines_with_restock_puts_stock_back_and_totals_add_up(app, shop, gateway):
    order, _ = await paid_order(app, shop, gateway)
    r = await shop.post(
        f"/api/v1/orders/{order['id']}/refunds",
        json={"lines": [{"sku": "TEA", "qty": 1}], "reason": "spilled", "restock": True},
    )
    assert r.status_code == 201, r.text
    result = r.json()
    assert result["refund"]["amount"] == 1500
    assert result["refund"]["status"] == "succeeded"
    assert result["refund"]["provider_ref"]
    totals = result["order"]
    assert totals["paid_total"] == 4500
    assert totals["refunded_total"] == 1500
    assert totals["net_total"] == 3000
    assert totals["paid_total"] == totals["refunded_total"] + totals["net_total"]
    assert await stock(shop, "TEA") == (9, 0)
    after = await _order(shop, order["id"])
    assert (after["paid_total"], after["refunded_total"], after["net_total"]) == (4500, 1500, 3000)


async def test_refund_beyond_what_was_paid_is_refused(app, shop, gateway):
    order, _ = await paid_order(app, shop, gateway)
    url = f"/api/v1/orders/{order['id']}/refunds"
    r = await shop.post(url, json={"amount": 4501})
    assert r.status_code == 409
    assert r.json()["code"] == "refund_exceeds_paid"
    assert (await shop.post(url, json={"amount": 4000})).status_code == 201
    r = await shop.post(url, json={"amount": 501})
    assert r.status_code == 409
    after = await _order(shop, order["id"])
    assert (after["refunded_total"], after["net_total"]) == (4000, 500)


async def test_refund_with_an_idempotency_key_happens_once(app, shop, gateway):
    order, _ = await paid_order(app, shop, gateway)
    url = f"/api/v1/orders/{order['id']}/refunds"
    headers = {"Idempotency-Key": "refund-1"}
    first = await shop.post(url, json={"amount": 1000}, headers=headers)
    again = await shop.post(url, json={"amount": 1000}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json() == first.json()
    assert (await _order(shop, order["id"]))["refunded_total"] == 1000


async def test_unpaid_order_cannot_be_refunded(shop):
    order = await place_order(shop)
    r = await shop.post(f"/api/v1/orders/{order['id']}/refunds", json={"amount": 100})
    assert r.status_code == 409


async def test_refund_needs_lines_or_an_amount(shop):
    order = await place_order(shop)
    r = await shop.post(f"/api/v1/orders/{order['id']}/refunds", json={"reason": "x"})
    assert r.status_code == 422


async def test_store_staff_cannot_refund(app, shop, gateway):
    order, _ = await paid_order(app, shop, gateway)
    staff = await shop.key_for("store_staff", ["S1"])
    r = await shop.post(f"/api/v1/orders/{order['id']}/refunds", json={"amount": 100}, key=staff)
    assert r.status_code == 403
    assert (await _order(shop, order["id"]))["refunded_total"] == 0


async def test_payment_needs_a_pending_payment_order(app, shop, gateway):
    order, _ = await paid_order(app, shop, gateway)
    r = await shop.post(f"/api/v1/orders/{order['id']}/payments", json={"provider": "sandbox"})
    assert r.status_code == 409
    assert r.json()["code"] == "payment_not_allowed"


async def test_unknown_provider_is_refused(shop):
    order = await place_order(shop)
    r = await shop.post(f"/api/v1/orders/{order['id']}/payments", json={"provider": "bitcoin"})
    assert r.status_code == 422
    assert r.json()["code"] == "unknown_provider"


async def test_with_the_sandbox_off_the_provider_and_simulation_do_not_exist(app, shop, settings):
    import httpx

    from omniloop.app import create_app

    order = await place_order(shop)
    payment = await open_payment(shop, order["id"])
    production = create_app(settings.model_copy(update={"sandbox": False}))
    transport = httpx.ASGITransport(app=production, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            r = await c.post(
                f"/api/v1/orders/{order['id']}/payments",
                json={"provider": "sandbox"},
                headers=shop.headers,
            )
            assert r.status_code == 422
            assert r.json()["code"] == "unknown_provider"
            r = await c.post(
                f"/api/v1/sandbox/payments/{payment['id']}/succeed", headers=shop.headers
            )
            assert r.status_code == 404
    finally:
        await production.state.db.dispose()


async def test_other_tenants_orders_and_payments_are_not_found(app, shop, other_tenant, gateway):
    order = await place_order(shop)
    payment = await open_payment(shop, order["id"])
    other = other_tenant
    r = await other.post(f"/api/v1/orders/{order['id']}/payments", json={"provider": "sandbox"})
    assert r.status_code == 404
    r = await other.post(f"/api/v1/sandbox/payments/{payment['id']}/succeed")
    assert r.status_code == 404
    r = await other.post(f"/api/v1/orders/{order['id']}/refunds", json={"amount": 1})
    assert r.status_code == 404
    assert (await _order(shop, order["id"]))["status"] == "pending_payment"


async def test_callback_signed_with_another_merchants_secret_is_refused(shop, other_tenant, db):
    from omniloop.payments.service import provider_secret

    order = await place_order(shop)
    payment = await open_payment(shop, order["id"])
    async with db.uow() as uow:
        other_secret = await provider_secret(uow.session, other_tenant.merchant_id, "sandbox")
        await uow.commit()
    body, headers = _forged(shop, payment, secret=other_secret)
    r = await shop.client.post(CALLBACK, content=body, headers=headers)
    assert r.status_code == 401
    tampered = json.loads(body)
    assert (await _order(shop, order["id"]))["status"] == "pending_payment"
    assert tampered["payment_id"] == payment["id"]
