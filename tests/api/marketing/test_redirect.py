"""``GET /t/{code}``: every opening of a poster or link is an exposure, then a redirect."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from omniloop.marketing.domain import is_visitor_id
from omniloop.marketing.models import Exposure
from tests.api.marketing.conftest import BROWSER, CAMPAIGNS, new_campaign, new_code, running


async def exposures(db, tenant) -> list[Exposure]:
    async with db.uow() as uow:
        rows = await uow.session.scalars(
            select(Exposure)
            .where(Exposure.merchant_id == tenant.merchant_id)
            .order_by(Exposure.exposed_at)
        )
        return list(rows)


async def open_code(client, code, *, agent=BROWSER, cookie=None, referer=None):
    headers = {"User-Agent": agent}
    if cookie is not None:
        headers["Cookie"] = f"ol_vid={cookie}"
    if referer is not None:
        headers["Referer"] = referer
    client.cookies.clear()
    return await client.get(f"/t/{code}", headers=headers)


async def test_a_first_visit_is_recorded_redirected_and_given_a_years_visitor_cookie(
    shop, client, db
):
    campaign = await new_campaign(shop)
    code = await new_code(shop, campaign["id"])
    before = datetime.now(UTC)
    r = await open_code(client, code["code"], referer="https://weibo.com/post/1")
    assert r.status_code == 302, r.text
    assert r.headers["location"] == code["landing_url"]
    assert r.headers["cache-control"] == "no-store"
    cookie = r.headers["set-cookie"]
    visitor = r.cookies["ol_vid"]
    assert is_visitor_id(visitor)
    for attribute in ("HttpOnly", "Max-Age=31536000", "Path=/", "SameSite=lax"):
        assert attribute.lower() in cookie.lower()
    assert "secure" not in cookie.lower()
    [seen] = await exposures(db, shop)
    assert (seen.code, str(seen.campaign_id), seen.visitor_id) == (
        code["code"],
        campaign["id"],
        visitor,
    )
    assert seen.user_agent == BROWSER and seen.referer == "https://weibo.com/post/1"
    assert not seen.is_bot and not seen.outside_window
    assert before <= seen.exposed_at <= datetime.now(UTC)


async def test_a_returning_visitor_keeps_their_id_and_a_forged_one_is_replaced(shop, client, db):
    campaign = await new_campaign(shop)
    code = (await new_code(shop, campaign["id"]))["code"]
    first = await open_code(client, code)
    visitor = first.cookies["ol_vid"]
    again = await open_code(client, code.lower(), cookie=visitor)
    assert again.status_code == 302 and "set-cookie" not in again.headers
    forged = await open_code(client, code, cookie="<script>")
    assert forged.cookies["ol_vid"] not in (visitor, "<script>")
    ids = [e.visitor_id for e in await exposures(db, shop)]
    assert ids == [visitor, visitor, forged.cookies["ol_vid"]]


async def test_bots_are_redirected_and_stored_but_flagged(shop, client, db):
    campaign = await new_campaign(shop)
    code = (await new_code(shop, campaign["id"]))["code"]
    for agent in ("Googlebot/2.1", "", "curl/8.4.0", "WhatsApp link preview"):
        assert (await open_code(client, code, agent=agent)).status_code == 302
    await open_code(client, code)
    assert [e.is_bot for e in await exposures(db, shop)] == [True, True, True, True, False]
    report = (await shop.get(f"{CAMPAIGNS}/{campaign['id']}/report")).json()
    assert report["totals"]["exposures"] == 1 and report["totals"]["unique_visitors"] == 1


async def test_openings_outside_the_campaign_still_redirect_but_count_once_dates_cover_them(
    shop, client, db
):
    now = datetime.now(UTC)
    campaign = await new_campaign(
        shop,
        starts_at=(now + timedelta(days=1)).isoformat(),
        ends_at=(now + timedelta(days=10)).isoformat(),
    )
    landing = {"type": "url", "value": "https://mp.weixin.qq.com/s/x"}
    code = await new_code(shop, campaign["id"], medium="link", location=None, landing=landing)
    r = await open_code(client, code["code"])
    assert r.status_code == 302 and r.headers["location"] == "https://mp.weixin.qq.com/s/x"
    [early] = await exposures(db, shop)
    assert early.outside_window and not early.is_bot
    url = f"{CAMPAIGNS}/{campaign['id']}"
    assert (await shop.get(f"{url}/report")).json()["totals"]["exposures"] == 0
    r = await shop.patch(url, json=running())
    assert r.status_code == 200, r.text
    [now_inside] = await exposures(db, shop)
    assert not now_inside.outside_window
    assert (await shop.get(f"{url}/report")).json()["totals"]["exposures"] == 1


async def test_an_unknown_code_is_a_404_problem_and_records_nothing(shop, client, db):
    campaign = await new_campaign(shop)
    await new_code(shop, campaign["id"])
    for code in ("AAAAAAAA", "not-a-code", "x" * 200):
        r = await open_code(client, code)
        assert r.status_code == 404, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["code"] == "tracking_code_not_found"
    assert await exposures(db, shop) == []


async def test_the_cookie_is_secure_when_the_service_is_reached_over_https(shop, client, app):
    campaign = await new_campaign(shop)
    code = (await new_code(shop, campaign["id"]))["code"]
    plain = app.state.settings
    app.state.settings = plain.model_copy(update={"public_base_url": "https://shop.example.com"})
    try:
        r = await open_code(client, code)
    finally:
        app.state.settings = plain
    assert r.headers["location"] == f"https://shop.example.com/stores/S1?tc={code}"
    assert "secure" in r.headers["set-cookie"].lower()
