"""Upgrading a database with orders paid before tenders existed gives each paid order one
tender: ``provider`` when a payment was applied, ``external`` otherwise."""

import asyncio
import sqlite3
import uuid

from omniloop.migrate import upgrade
from omniloop.payments.check import check_payments
from tests.support.databases import sqlite_url

NOW = "2026-11-01 10:00:00.000000"


def _order(conn, merchant, number, *, channel, paid, refunded):
    order_id = uuid.uuid4().hex
    conn.execute(
        "INSERT INTO sales_order (merchant_id, id, number, channel, status, payment_status, "
        "fulfillment_type, fulfillment, currency, subtotal, discount_total, fee_total, total, "
        "paid_total, refunded_total, adjustments, routing, allocations, created_by, created_at, "
        "updated_at) VALUES (?, ?, ?, ?, 'paid', 'paid', 'pickup', '{}', 'CNY', ?, 0, 0, ?, ?, "
        "?, '[]', '{}', '[]', 'test', ?, ?)",
        (merchant, order_id, number, channel, paid, paid, paid, refunded, NOW, NOW),
    )
    return order_id


def test_orders_paid_before_tenders_get_one_tender_each(tmp_path):
    from omniloop.db import Database

    path = tmp_path / "old.db"
    url = sqlite_url(path)
    upgrade(url, "0003")
    merchant = uuid.uuid4().hex
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO merchant (merchant_id, name, currency, timezone, created_at) "
            "VALUES (?, 'Old', 'CNY', 'Asia/Shanghai', ?)",
            (merchant, NOW),
        )
        online = _order(conn, merchant, "A1", channel="own_app", paid=3000, refunded=1000)
        _order(conn, merchant, "A2", channel="pos", paid=2000, refunded=0)
        conn.execute(
            "INSERT INTO payment (merchant_id, id, order_id, provider, amount, currency, status, "
            "applied, created_by, created_at) VALUES (?, ?, ?, 'sandbox', 3000, 'CNY', "
            "'succeeded', 1, 'test', ?)",
            (merchant, uuid.uuid4().hex, online, NOW),
        )
    upgrade(url)
    with sqlite3.connect(path) as conn:
        rows = sorted(
            conn.execute(
                "SELECT o.number, t.kind, t.amount, t.refunded_amount FROM order_tender t "
                "JOIN sales_order o ON o.merchant_id = t.merchant_id AND o.id = t.order_id"
            ).fetchall()
        )
    assert rows == [("A1", "provider", 3000, 1000), ("A2", "external", 2000, 0)]

    async def check():
        db = Database(url)
        try:
            return (await check_payments(uow=db.uow()))[1]
        finally:
            await db.dispose()

    problems = asyncio.run(check())
    # The provider refunded nothing in this made-up history, which the check must notice.
    assert [p.field for p in problems] == ["provider refunds"]
