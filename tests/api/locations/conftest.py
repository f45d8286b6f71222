from __future__ import annotations

from typing import Any

URL = "/api/v1/locations"


def location_body(code: str = "S001", **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "code": code,
        "name": f"Store {code}",
        "kind": "store",
        "lat": 31.2304,
        "lng": 121.4737,
    }
    body.update(fields)
    return body


async def create_location(tenant: Any, code: str = "S001", **fields: Any) -> dict[str, Any]:
    r = await tenant.post(URL, json=location_body(code, **fields))
    assert r.status_code == 201, r.text
    return dict(r.json())
