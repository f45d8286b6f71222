async def test_health_and_readiness(client):
    assert (await client.get("/healthz")).json()["status"] == "ok"
    ready = (await client.get("/readyz")).json()
    assert ready["status"] == "ready" and ready["database"] in {"sqlite", "postgresql"}


async def test_metrics_count_requests_by_route_template_and_status(client, tenant):
    await tenant.get("/api/v1/inventory/S1/TEA")
    await tenant.get("/api/v1/inventory/S2/BUN")
    text = (await client.get("/metrics")).text
    assert 'route="/api/v1/inventory/{location}/{sku}"' in text
    assert "/api/v1/inventory/S1/TEA" not in text
    assert "omniloop_http_request_duration_seconds_bucket" in text
    assert "omniloop_outbox_lag_seconds" in text
    assert "omniloop_reservation_conflicts_total" in text
