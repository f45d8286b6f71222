"""The delivery note (配送单) of a routed delivery order, as JSON and as a printable page."""

from __future__ import annotations

from datetime import datetime

import pytest

from omniloop.fulfilment.domain import COURIER_SPEED_KMH
from tests.api.fulfilment.conftest import HOME, KM, ORDERS, delivery_order, pickup_order


def note_url(order: dict) -> str:
    return f"{ORDERS}/{order['id']}/delivery-note"


async def test_delivery_note_has_store_items_customer_distance_eta_and_route(shop):
    order = await delivery_order(shop, note="ring twice")
    r = await shop.get(note_url(order))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    note = r.json()
    assert (note["number"], note["status"], note["order_id"]) == (
        order["number"], "paid", order["id"],
    )  # fmt: skip
    assert note["location"] == {
        "code": "S1", "name": "Store S1", "address": "1 Nanjing Rd",
        "lat": HOME[0], "lng": HOME[1],
    }  # fmt: skip
    assert sorted((i["sku"], i["qty"]) for i in note["items"]) == [("BUN", 1), ("TEA", 2)]
    assert note["customer"]["name"] == "Li <Lei>"
    assert note["address"]["text"] == "Room 5 & Co, People's Square"
    assert note["address"]["lat"] == pytest.approx(HOME[0] + 2 * KM)
    assert note["distance_km"] == pytest.approx(2.0, abs=0.01)
    travel = round(2.0 / COURIER_SPEED_KMH * 60)
    assert note["eta"]["preparation_minutes"] == 10 + 3
    assert note["eta"]["travel_minutes"] == travel
    assert note["eta"]["minutes"] == 13 + travel
    eta_at = datetime.fromisoformat(note["eta"]["at"])
    generated = datetime.fromisoformat(note["generated_at"])
    assert eta_at.tzinfo is not None
    assert (eta_at - generated).total_seconds() == pytest.approx((13 + travel) * 60, abs=1)
    assert note["navigation_url"].startswith("https://www.openstreetmap.org/directions?")
    assert f"{HOME[0]:.6f},{HOME[1]:.6f}" in note["navigation_url"]
    assert note["note"] == "ring twice"


async def test_preparation_is_not_counted_once_the_order_is_ready(shop):
    order = await delivery_order(shop)
    for action in ("accept", "start", "ready"):
        r = await shop.post(f"{ORDERS}/{order['id']}/transitions", json={"action": action})
        assert r.status_code == 200, r.text
    eta = (await shop.get(note_url(order))).json()["eta"]
    assert eta["preparation_minutes"] == 0 and eta["minutes"] == eta["travel_minutes"] > 0


@pytest.mark.parametrize(
    ("role", "masked"),
    [("owner", False), ("integrator", False), ("operator", True), ("store_staff", True)],
)
async def test_customer_phone_is_masked_for_staff_and_operators(shop, role, masked):
    order = await delivery_order(shop)
    key = None
    if role != "owner":
        key = await shop.key_for(role, ["S1"] if role == "store_staff" else None)
    customer = (await shop.get(note_url(order), key=key)).json()["customer"]
    if masked:
        assert customer["phone"] == "+86138****5678" and customer["phone_masked"] is True
    else:
        assert customer["phone"] == "+8613812345678" and customer["phone_masked"] is False


async def test_printable_page_is_html_with_the_items_escaped(shop):
    order = await delivery_order(shop)
    for request in (
        {"params": {"format": "html"}},
        {"headers": {"Accept": "text/html,application/xhtml+xml"}},
    ):
        r = await shop.get(note_url(order), **request)
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("text/html")
        page = r.text
        assert order["number"] in page and "Store S1" in page
        assert "<td>TEA</td>" in page and "<td>BUN</td>" in page
        assert "Li &lt;Lei&gt;" in page and "<Lei>" not in page
        assert "Room 5 &amp; Co, People&#x27;s Square" in page
        assert "openstreetmap.org/directions" in page
    r = await shop.get(note_url(order), params={"format": "json"}, headers={"Accept": "text/html"})
    assert r.headers["content-type"].startswith("application/json")
    assert (await shop.get(note_url(order), params={"format": "pdf"})).status_code == 422


async def test_a_pickup_order_has_no_delivery_note(shop):
    order = await pickup_order(shop, ready=False)
    r = await shop.get(note_url(order))
    assert r.status_code == 409 and r.json()["code"] == "not_a_delivery_order"


async def test_only_the_orders_store_staff_and_merchant_see_the_note(shop, other_tenant):
    order = await delivery_order(shop)
    s2_staff = await shop.key_for("store_staff", ["S2"])
    assert (await shop.get(note_url(order), key=s2_staff)).status_code == 403
    assert (await other_tenant.get(note_url(order))).status_code == 404
    r = await shop.get(f"{ORDERS}/00000000-0000-0000-0000-000000000000/delivery-note")
    assert r.status_code == 404
