"""The closed loop end to end: a poster and a link are opened, a visitor joins, orders are
placed, paid, refunded, cancelled and picked up in the store; the report counts each step."""

from __future__ import annotations

import csv
import io
import uuid

from omniloop.marketing.tracking import link_visitor_in
from omniloop.shared.clock import utcnow
from tests.api.marketing.conftest import CAMPAIGNS, new_campaign, new_code
from tests.api.marketing.test_redirect import open_code
from tests.api.payments.conftest import deliver, gateway, open_payment  # noqa: F401

ORDERS = "/api/v1/orders"


async def place(t, channel="pos", lines=(("TEA", 2),), headers=None, **extra):
    body = {
        "channel": channel,
        "lines": [{"sku": sku, "qty": qty} for sku, qty in lines],
        "fulfillment": {"type": "pickup", "location": "S1"},
        **extra,
    }
    r = await t.post(ORDERS, json=body, headers=headers or {})
    assert r.status_code == 201, r.text
    return r.json()


async def test_the_report_counts_every_step_of_the_loop(shop, client, db, app, gateway):  # noqa: F811
    campaign = await new_campaign(shop, cost=5_000)
    other = await new_campaign(shop, name="Other")
    poster = (await new_code(shop, campaign["id"]))["code"]
    landing = {"type": "url", "value": "https://a.example"}
    link = await new_code(shop, campaign["id"], medium="link", location=None, landing=landing)
    link = link["code"]
    elsewhere = (await new_code(shop, other["id"]))["code"]

    old = await shop.post("/api/v1/members", json={"phone": "13900000001", "channel": "pos"})
    v1 = (await open_code(client, poster)).cookies["ol_vid"]
    await open_code(client, poster, cookie=v1)
    v2 = (await open_code(client, link)).cookies["ol_vid"]
    v4 = (await open_code(client, link)).cookies["ol_vid"]
    await open_code(client, poster, agent="Googlebot/2.1")
    await open_code(client, elsewhere)
    joined = await shop.post("/api/v1/members", json={"phone": "13800000001", "channel": "web"})
    assert joined.status_code == 201 and old.status_code == 201
    async with db.uow() as uow:
        for visitor, member in ((v1, joined.json()["id"]), (v4, old.json()["id"])):
            await link_visitor_in(uow.session, merchant_id=shop.merchant_id, visitor_id=visitor,
                                  member_id=uuid.UUID(member), at=utcnow())  # fmt: skip
        await uow.commit()
    client.cookies.clear()  # orders below come from the till, with no visitor cookie

    picked = await place(shop, tracking_code=poster.lower())  # 30.00, handed over in S1
    for action in ("accept", "start", "ready"):
        r = await shop.post(f"{ORDERS}/{picked['id']}/transitions", json={"action": action})
        assert r.status_code == 200, r.text
    r = await shop.post("/api/v1/locations/S1/redemptions", json={"code": picked["pickup_code"]})
    assert r.status_code == 200, r.text
    online = await place(shop, "own_app", (("TEA", 3),), tracking_code=link,
                         customer={"phone": "13700000001"})  # fmt: skip
    payment = await open_payment(shop, online["id"])
    assert (await shop.post(f"/api/v1/sandbox/payments/{payment['id']}/succeed")).is_success
    assert await deliver(app, gateway) >= 1
    r = await shop.post(f"{ORDERS}/{online['id']}/refunds", json={"amount": 1_000})
    assert r.status_code == 201, r.text
    cancelled = await place(shop, tracking_code=poster)
    r = await shop.post(f"{ORDERS}/{cancelled['id']}/transitions", json={"action": "cancel"})
    assert r.status_code == 200, r.text
    await place(shop, "own_app", tracking_code=poster)  # never paid
    by_touch = await place(shop, lines=(("BUN", 1),), member_id=joined.json()["id"])  # 15.00
    by_cookie = await place(shop, lines=(("BUN", 1),), headers={"Cookie": f"ol_vid={v2}"})
    await place(shop, tracking_code=elsewhere)
    await place(shop)  # no campaign at all
    credited = {o["id"]: (o["campaign_id"], o["attribution"]["rule"])
                for o in (await shop.get(ORDERS)).json()["items"] if o["campaign_id"]}  # fmt: skip
    assert credited[by_touch["id"]] == (campaign["id"], "last_touch")
    assert credited[by_cookie["id"]] == (campaign["id"], "last_touch")

    url = f"{CAMPAIGNS}/{campaign['id']}/report"
    r = await shop.get(url, params={"group_by": "medium"})
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["group_by"] == "medium" and report["currency"] == "CNY"
    assert report["totals"] == {
        "exposures": 4,
        "unique_visitors": 3,
        "new_members": 1,
        "orders": 4,
        "paid_revenue": 10_500,
        "refunds": 1_000,
        "net_revenue": 9_500,
        "redemptions": 1,
        "cost": 5_000,
        "roi": "0.9000",
        "conversions": {
            "visitors_to_members": "0.3333",
            "visitors_to_orders": "1.3333",
            "orders_to_redemptions": "0.2500",
        },
    }
    rows = {row.pop("key"): row for row in report["rows"]}
    assert set(rows) == {"poster", "link"}
    poster_row, link_row = rows["poster"], rows["link"]
    steps = ("exposures", "unique_visitors", "new_members", "orders", "redemptions")
    money = ("paid_revenue", "refunds", "net_revenue")
    assert [poster_row[name] for name in steps + money] == [2, 1, 1, 2, 1, 4_500, 0, 4_500]
    assert [link_row[name] for name in steps + money] == [2, 2, 0, 2, 0, 6_000, 1_000, 5_000]
    assert link_row["conversions"]["visitors_to_orders"] == "1.0000"
    assert v2 not in (v1, v4)

    by_channel = (await shop.get(url, params={"group_by": "channel"})).json()
    assert {row["key"]: row["orders"] for row in by_channel["rows"]} == {
        "own_app": 1,
        "pos": 3,
        None: 0,
    }
    assert by_channel["rows"][-1]["exposures"] == 4  # exposures have no sales channel
    assert by_channel["totals"] == report["totals"]

    exported = await shop.get(f"{url}.csv", params={"group_by": "medium"})
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    assert "attachment" in exported.headers["content-disposition"]
    table = list(csv.DictReader(io.StringIO(exported.text)))
    assert [(line["row"], line["medium"]) for line in table] == [
        ("group", "link"),
        ("group", "poster"),
        ("total", ""),
    ]
    assert table[-1]["net_revenue"] == "9500" and table[-1]["roi"] == "0.9000"
    assert table[1]["orders"] == "2" and table[1]["cost"] == ""
    same = await shop.get(url, params={"group_by": "medium", "format": "csv"})
    assert same.text == exported.text


async def test_a_report_before_anything_happened_is_all_zero(shop):
    campaign = await new_campaign(shop, cost=0)
    report = (await shop.get(f"{CAMPAIGNS}/{campaign['id']}/report")).json()
    assert report["rows"] == [] and report["group_by"] == "day"
    assert report["totals"]["exposures"] == report["totals"]["orders"] == 0
    assert report["totals"]["roi"] is None
    assert report["totals"]["conversions"]["visitors_to_members"] is None
    r = await shop.get(f"{CAMPAIGNS}/{campaign['id']}/report", params={"group_by": "week"})
    assert r.status_code == 422
