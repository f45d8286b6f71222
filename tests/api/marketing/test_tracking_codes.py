"""Tracking codes: a short code per poster, link or staff member, with its URL and QR code."""

from __future__ import annotations

import base64

import pytest

from omniloop.marketing.domain import CODE_ALPHABET
from tests.api.marketing.conftest import CAMPAIGNS, new_campaign, new_code

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


async def test_a_code_comes_with_its_url_landing_and_qr_images(shop, settings):
    campaign = await new_campaign(shop)
    code = await new_code(shop, campaign["id"])
    assert len(code["code"]) == 8 and set(code["code"]) <= set(CODE_ALPHABET)
    assert code["url"] == f"{settings.base_url}/t/{code['code']}"
    assert code["landing_url"] == f"{settings.base_url}/stores/S1?tc={code['code']}"
    assert (code["medium"], code["location"]) == ("poster", "S1")
    assert code["landing"] == {"type": "store", "value": "S1"}
    assert code["campaign_id"] == campaign["id"] and code["affiliate_id"] is None
    assert code["qr_svg"].startswith("<svg") and "Tracking code" in code["qr_svg"]
    assert base64.b64decode(code["qr_png_base64"]).startswith(PNG_SIGNATURE)


async def test_a_store_landing_defaults_to_the_codes_store(shop, settings):
    campaign = await new_campaign(shop)
    code = await new_code(shop, campaign["id"], medium="staff", location="S2",
                          landing={"type": "store"})  # fmt: skip
    assert code["landing"] == {"type": "store", "value": "S2"}


@pytest.mark.parametrize(
    ("landing", "expected"),
    [
        ({"type": "product", "value": "TEA"}, "{base}/products/TEA?tc={code}"),
        ({"type": "coupon", "value": "spring-10"}, "{base}/t/{code}/claim"),
        ({"type": "url", "value": "https://mp.weixin.qq.com/s/x"}, "https://mp.weixin.qq.com/s/x"),
    ],
)
async def test_each_landing_type_has_its_url(shop, settings, landing, expected):
    campaign = await new_campaign(shop)
    code = await new_code(shop, campaign["id"], medium="link", location=None, landing=landing)
    assert code["landing_url"] == expected.format(base=settings.base_url, code=code["code"])


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"medium": "billboard", "landing": {"type": "url", "value": "https://a.example"}},
         "validation_error"),
        ({"medium": "link", "landing": {"type": "url", "value": "javascript:alert(1)"}},
         "validation_error"),
        ({"medium": "link", "landing": {"type": "url"}}, "validation_error"),
        ({"medium": "link", "landing": {"type": "store"}}, "validation_error"),
        ({"medium": "link", "landing": {"type": "web", "value": "x"}}, "validation_error"),
        ({"medium": "poster", "location": "S9", "landing": {"type": "url",
          "value": "https://a.example"}}, "unknown_reference"),
        ({"medium": "link", "landing": {"type": "store", "value": "S9"}}, "unknown_reference"),
        ({"medium": "link", "landing": {"type": "product", "value": "NOPE"}}, "unknown_reference"),
        ({"medium": "link", "landing": {"type": "url", "value": "https://a.example"},
          "affiliate_id": "00000000-0000-0000-0000-000000000000"}, "validation_error"),
    ],
)  # fmt: skip
async def test_a_code_that_points_nowhere_is_refused(shop, body, code):
    campaign = await new_campaign(shop)
    r = await shop.post(f"{CAMPAIGNS}/{campaign['id']}/tracking-codes", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["code"] == code
    listed = await shop.get(f"{CAMPAIGNS}/{campaign['id']}/tracking-codes")
    assert listed.json()["items"] == []


async def test_codes_are_listed_per_campaign_without_images_and_fetched_with_them(shop):
    spring, summer = await new_campaign(shop), await new_campaign(shop, name="Summer")
    made = [(await new_code(shop, spring["id"]))["code"] for _ in range(3)]
    other = await new_code(shop, summer["id"])
    url = f"{CAMPAIGNS}/{spring['id']}/tracking-codes"
    first = (await shop.get(url, params={"limit": 2})).json()
    rest = (await shop.get(url, params={"limit": 2, "cursor": first["next_cursor"]})).json()
    listed = [c["code"] for c in first["items"] + rest["items"]]
    assert sorted(listed) == sorted(made) and rest["next_cursor"] is None
    assert all(c["qr_svg"] is None and c["qr_png_base64"] is None for c in first["items"])
    one = (await shop.get(f"{url}/{made[0].lower()}")).json()
    assert one["code"] == made[0] and one["qr_svg"].startswith("<svg")
    assert (await shop.get(f"{url}/{other['code']}")).status_code == 404
    assert (await shop.get(f"{url}/NOT-A-CODE")).json()["code"] == "tracking_code_not_found"


async def test_a_marketer_can_read_codes_but_store_staff_cannot(shop, other_tenant):
    campaign = await new_campaign(shop)
    code = await new_code(shop, campaign["id"])
    url = f"{CAMPAIGNS}/{campaign['id']}/tracking-codes/{code['code']}"
    staff = await shop.key_for("store_staff", ["S1"])
    assert (await shop.get(url, key=staff)).status_code == 403
    assert (await shop.get(url, key=await shop.key_for("operator"))).status_code == 200
    assert (await other_tenant.get(url)).status_code == 404
