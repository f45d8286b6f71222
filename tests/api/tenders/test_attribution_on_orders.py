"""Orders are credited to the campaign that brought them: an explicit tracking code, or the
visitor's last touch within the campaign's window; the campaign report counts them."""

from datetime import UTC, datetime, timedelta

from tests.api.tenders.conftest import body, place

BROWSER = {"User-Agent": "Mozilla/5.0 (iPhone) MicroMessenger"}


async def _campaign(t, cost=1000):
    now = datetime.now(UTC)
    r = await t.post(
        "/api/v1/campaigns",
        json={
            "name": "Mooncake posters",
            "cost": cost,
            "starts_at": (now - timedelta(days=1)).isoformat(),
            "ends_at": (now + timedelta(days=30)).isoformat(),
        },
    )
    assert r.status_code == 201, r.text
    campaign = r.json()
    r = await t.post(
        f"/api/v1/campaigns/{campaign['id']}/tracking-codes",
        json={"medium": "poster", "location": "S1", "landing": {"type": "store", "value": "S1"}},
    )
    assert r.status_code == 201, r.text
    return campaign, r.json()["code"]


async def test_a_visitor_who_saw_a_poster_and_ordered_is_credited_to_its_campaign(shop):
    campaign, code = await _campaign(shop)
    r = await shop.client.get(f"/t/{code}", headers=BROWSER, follow_redirects=False)
    assert r.status_code == 302, r.text
    visitor = r.cookies.get("ol_vid") or r.headers["set-cookie"].split("ol_vid=")[1].split(";")[0]
    order = await place(shop, visitor_id=visitor)
    assert order["campaign_id"] == campaign["id"]
    assert order["attribution"]["exposed_at"] is not None
    assert order["tracking_code"] == code
    assert order["attribution"]["rule"] == "last_touch"
    again = await place(shop)  # the member's later order: their linked visitor's touch
    assert again["campaign_id"] == campaign["id"]
    b = body(shop)
    b.pop("member_id")
    shop.client.cookies.clear()
    r = await shop.post("/api/v1/orders", json=b)
    assert r.status_code == 201 and r.json()["campaign_id"] is None  # no touch, no credit


async def test_an_explicit_tracking_code_credits_the_campaign_and_the_report_counts_it(shop):
    campaign, code = await _campaign(shop, cost=1000)
    order = await place(shop, channel="pos", tracking_code=code)  # paid at the till: 3000
    assert order["campaign_id"] == campaign["id"]
    assert order["attribution"]["rule"] == "explicit"
    r = await shop.post("/api/v1/orders", json=body(shop, tracking_code=code))
    assert r.status_code == 201  # unpaid: not revenue
    report = (await shop.get(f"/api/v1/campaigns/{campaign['id']}/report")).json()
    totals = report["totals"]
    assert totals["orders"] == 1
    assert totals["paid_revenue"] == 3000
    assert totals["net_revenue"] == 3000
    assert totals["roi"] == "2.0000"  # (3000 - 1000) / 1000


async def test_the_tracking_cookie_attributes_an_order_placed_from_the_same_browser(shop):
    campaign, code = await _campaign(shop)
    b = body(shop)
    b.pop("member_id")
    r = await shop.client.get(f"/t/{code}", headers=BROWSER, follow_redirects=False)
    assert r.status_code == 302  # the client keeps the ol_vid cookie, as a browser would
    r = await shop.post("/api/v1/orders", json=b)
    assert r.status_code == 201 and r.json()["campaign_id"] == campaign["id"], r.text


async def test_a_coupon_poster_gives_a_signed_in_customer_a_coupon_for_its_campaign(shop):
    from tests.api.customer_auth.conftest import sign_in
    from tests.api.member_codes.conftest import bearer
    from tests.api.tenders.conftest import PHONE

    r = await shop.post(
        "/api/v1/coupon-templates",
        json={
            "name": "¥3 off",
            "kind": "fixed_amount",
            "amount": 300,
            "days_after_grant": 7,
            "total_quota": 1,
        },
    )
    template = r.json()
    campaign, _ = await _campaign(shop)
    r = await shop.post(
        f"/api/v1/campaigns/{campaign['id']}/tracking-codes",
        json={"medium": "qr", "landing": {"type": "coupon", "value": template["id"]}},
    )
    assert r.status_code == 201, r.text
    code = r.json()["code"]
    me = bearer((await sign_in(shop, PHONE))["access_token"])
    r = await shop.client.post(f"/api/v1/tracking-codes/{code}/claims", json={}, headers=me)
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "available"
    r = await shop.client.post(f"/api/v1/tracking-codes/{code}/claims", json={}, headers=me)
    assert r.status_code == 409, r.text  # one per member, and the quota of one is gone


async def test_signing_up_from_a_poster_with_a_friends_code_links_both(shop):
    from tests.api.customer_auth.conftest import ask_code, last_code

    campaign, code = await _campaign(shop)
    r = await shop.put(
        "/api/v1/referral-program",
        json={
            "enabled": True,
            "referrer_reward": {"points": 100},
            "referee_reward": {"points": 50},
        },
    )
    assert r.status_code == 200, r.text
    invite = (await shop.get(f"/api/v1/members/{shop.member_id}/referral-code")).json()["code"]
    r = await shop.client.get(f"/t/{code}", headers=BROWSER, follow_redirects=False)
    assert r.status_code == 302  # the browser now carries ol_vid
    phone = "+8613900139000"
    assert (await ask_code(shop, phone)).status_code == 202
    body = {
        "merchant_id": str(shop.merchant_id),
        "phone": phone,
        "code": await last_code(shop, phone),
        "referral_code": invite,
    }
    r = await shop.client.post("/api/v1/auth/token", json=body)
    assert r.status_code == 200, r.text
    assert r.json()["referral"] == {"status": "recorded"}
    report = (await shop.get(f"/api/v1/campaigns/{campaign['id']}/report")).json()
    assert report["totals"]["new_members"] == 1  # the poster brought a member
    other = "+8613700137000"
    assert (await ask_code(shop, other)).status_code == 202
    r = await shop.client.post(
        "/api/v1/auth/token",
        json={
            **body,
            "phone": other,
            "code": await last_code(shop, other),
            "referral_code": "NOPE",
        },
    )
    assert r.status_code == 200, r.text  # a bad code never stops a sign-up
    assert r.json()["referral"]["status"] == "refused"
