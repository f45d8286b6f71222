"""A customer token opens only the self-service routes: every other route answers 403."""

from __future__ import annotations

import re
import uuid

from tests.api.customer_auth.conftest import OTHER_PHONE, sign_in

AUTHENTICATED_OTHERWISE = {
    ("POST", "/api/v1/auth/otp"),  # public: asks for a code
    ("POST", "/api/v1/auth/token"),  # public: trades a code for a token
    ("POST", "/api/v1/payments/callbacks/sandbox"),  # the gateway's signature
    ("GET", "/api/v1/channels/{merchant_id}/{connection_id}/push"),  # the platform's signature
    ("POST", "/api/v1/channels/{merchant_id}/{connection_id}/push"),
}

SELF_SERVICE = {
    ("GET", "/api/v1/members/{member_id}"),
    ("GET", "/api/v1/members/{member_id}/activity"),
    ("GET", "/api/v1/members/{member_id}/member-code"),
    ("GET", "/api/v1/members/{member_id}/points"),
    ("GET", "/api/v1/members/{member_id}/wallet"),
    ("GET", "/api/v1/members/{member_id}/referral-code"),  # to share with friends
    ("POST", "/api/v1/members/{member_id}/referrer"),  # who brought them in (first 24 hours)
    ("GET", "/api/v1/referral-program"),  # what inviting a friend brings
    ("POST", "/api/v1/members/{member_id}/wallet/top-ups"),
    ("GET", "/api/v1/members/{member_id}/wallet/top-ups/{top_up_id}"),
    ("GET", "/api/v1/orders"),
    ("POST", "/api/v1/orders"),
    ("GET", "/api/v1/orders/{order_id}"),
    ("POST", "/api/v1/orders/{order_id}/payments"),
    ("POST", "/api/v1/orders/{order_id}/transitions"),  # cancel their own unpaid order
    ("POST", "/api/v1/coupon-templates/{template_id}/claims"),
    ("GET", "/api/v1/members/{member_id}/coupons"),
    ("POST", "/api/v1/pricing/quote"),
    ("POST", "/api/v1/tracking-codes/{code}/claims"),  # 扫码领券 for themselves
    ("POST", "/api/v1/sandbox/payments/{payment_id}/succeed"),
    ("POST", "/api/v1/sandbox/payments/{payment_id}/fail"),
    ("GET", "/api/v1/vouchers"),  # their own only (tests/api/vouchers/test_reads.py)
    ("GET", "/api/v1/vouchers/{voucher_id}"),
    ("GET", "/api/v1/vouchers/{voucher_id}/qr"),
}
"""Routes a customer may call as themselves; each checks that what it touches is the
customer's own (their domain's tests say how). Extend it with every route opened to them."""

MEMBER_PAGES = sorted(
    (m, p) for m, p in SELF_SERVICE if m == "GET" and p.count("{") == 1 and "{member_id}" in p
)
"""The self-service pages of one member: the customer's own open, anyone else's 403."""


def _routes(app):
    for path, item in app.openapi()["paths"].items():
        if path.startswith("/api/v1/"):
            for method in item:
                yield method.upper(), path


def _concrete(path: str, member_id: str) -> str:
    path = path.replace("{member_id}", member_id)
    return re.sub(r"\{[^}]*\}", lambda m: str(uuid.uuid4()) if "id" in m.group(0) else "X1", path)


async def test_a_customer_token_is_refused_everywhere_but_self_service(app, tenant):
    me = await sign_in(tenant)
    headers = {"Authorization": f"Bearer {me['access_token']}"}
    routes = [r for r in _routes(app) if r not in AUTHENTICATED_OTHERWISE]
    assert len(routes) >= 40, routes
    for method, path in routes:
        if (method, path) in SELF_SERVICE:
            continue
        url = _concrete(path, me["member_id"])
        r = await tenant.client.request(method, url, headers=headers, json={})
        assert r.status_code == 403, (method, path, r.status_code, r.text)
        assert r.json()["code"] == "forbidden"


async def test_member_pages_open_to_their_own_customer_only(app, tenant):
    me = await sign_in(tenant)
    someone = (await sign_in(tenant, OTHER_PHONE))["member_id"]
    headers = {"Authorization": f"Bearer {me['access_token']}"}
    available = set(_routes(app))
    assert len(MEMBER_PAGES) >= 3
    for method, path in MEMBER_PAGES:
        assert (method, path) in available, f"{method} {path} is gone: update SELF_SERVICE"
        own = await tenant.client.request(method, _concrete(path, me["member_id"]), headers=headers)
        assert own.is_success, (method, path, own.status_code, own.text)
        other = await tenant.client.request(method, _concrete(path, someone), headers=headers)
        assert other.status_code == 403, (method, path, other.status_code, other.text)
