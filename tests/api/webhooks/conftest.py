from __future__ import annotations

import uuid
from typing import Any

# A closed local port: if a dispatcher ever runs during these tests, nothing leaves the box.
DEAD_URL = "http://127.0.0.1:9/hooks"


def webhook_body(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "url": f"{DEAD_URL}/{uuid.uuid4().hex[:8]}",
        "events": ["inventory.adjusted"],
    }
    body.update(fields)
    return body


async def create_webhook(tenant: Any, **fields: Any) -> dict[str, Any]:
    r = await tenant.post("/api/v1/webhooks", json=webhook_body(**fields))
    assert r.status_code == 201, r.text
    return dict(r.json())
