"""No API route answers without a valid key: every one of them says 401, as problem+json."""

import re
import uuid

PUBLIC = {(m, "/api/v1/channels/{merchant_id}/{connection_id}/push") for m in ("GET", "POST")} | {
    ("POST", "/api/v1/payments/callbacks/sandbox"),  # authenticated by its signature
    ("POST", "/api/v1/auth/otp"),  # customers sign in: phone + one-time code
    ("POST", "/api/v1/auth/token"),
}


def _routes(app):
    for path, item in app.openapi()["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        for method in item:
            if (method.upper(), path) not in PUBLIC:
                yield method.upper(), path


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]*\}", lambda m: str(uuid.uuid4()) if "id" in m.group(0) else "X1", path)


async def test_every_api_route_refuses_a_missing_or_forged_key(app, client, tenant):
    routes = list(_routes(app))
    assert len(routes) >= 20, routes
    revoked = await tenant.key_for("operator")
    keys = (await tenant.get("/api/v1/api-keys")).json()["items"]
    revoked_id = next(k["id"] for k in keys if k["role"] == "operator")
    assert (await tenant.delete(f"/api/v1/api-keys/{revoked_id}")).status_code == 200
    for method, path in routes:
        url = _concrete(path)
        for headers in (
            {},
            {"Authorization": "Bearer olk_forged_key_that_does_not_exist"},
            {"Authorization": f"Bearer {revoked}"},
            {"Authorization": "Basic dXNlcjpwYXNz"},
        ):
            r = await client.request(method, url, headers=headers, json={})
            assert r.status_code == 401, (method, path, headers, r.status_code, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")
            assert r.json()["code"] == "unauthorized"


async def test_unknown_routes_and_methods_are_problem_json(client, tenant):
    r = await tenant.get("/api/v1/nothing-here")
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    r = await tenant.request("PATCH", "/api/v1/api-keys")
    assert r.status_code == 405 and r.json()["code"] == "method_not_allowed"
