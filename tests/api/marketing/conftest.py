from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.support.factories import add_location, add_skus

CAMPAIGNS = "/api/v1/campaigns"
BROWSER = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) MicroMessenger/8.0.44"


def running(days_before: int = 1, days_after: int = 30) -> dict[str, str]:
    """Dates of a campaign that runs now."""
    now = datetime.now(UTC)
    return {
        "starts_at": (now - timedelta(days=days_before)).isoformat(),
        "ends_at": (now + timedelta(days=days_after)).isoformat(),
    }


def campaign_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"name": "Spring tea 春茶", "cost": 50_000, **running()}
    body.update(overrides)
    return body


async def new_campaign(t: Any, **overrides: Any) -> dict[str, Any]:
    r = await t.post(CAMPAIGNS, json=campaign_body(**overrides))
    assert r.status_code == 201, r.text
    return dict(r.json())


async def new_code(t: Any, campaign_id: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "medium": "poster",
        "location": "S1",
        "landing": {"type": "store", "value": "S1"},
        **overrides,
    }
    r = await t.post(f"{CAMPAIGNS}/{campaign_id}/tracking-codes", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


@pytest.fixture
async def shop(tenant, db):
    """Stores S1 and S2, TEA and BUN at 15.00, plenty of stock."""
    await add_location(db, tenant.merchant_id, "S1")
    await add_location(db, tenant.merchant_id, "S2", lat=31.2480)
    await add_skus(db, tenant.merchant_id, ["TEA", "BUN"], price=1500)
    for location in ("S1", "S2"):
        for sku in ("TEA", "BUN"):
            r = await tenant.put(f"/api/v1/inventory/{location}/{sku}", json={"on_hand": 100})
            assert r.status_code == 200, r.text
    return tenant
