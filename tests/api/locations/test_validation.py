"""Bad location input is refused with a problem+json naming the field, and writes nothing."""

from __future__ import annotations

import pytest

from tests.api.locations.conftest import URL, create_location, location_body


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"lat": 91}, "lat"),
        ({"lat": -90.5}, "lat"),
        ({"lng": 180.01}, "lng"),
        ({"lat": "north"}, "lat"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"timezone": "asia/shanghai"}, "timezone"),
        ({"kind": "shop"}, "kind"),
        ({"code": ""}, "code"),
        ({"code": "has space"}, "code"),
        ({"code": "x" * 65}, "code"),
        ({"code": "nearby"}, "code"),
        ({"name": "   "}, "name"),
        ({"name": "n" * 201}, "name"),
        ({"address": "a" * 501}, "address"),
        ({"service_radius_km": 0}, "service_radius_km"),
        ({"service_radius_km": 100.5}, "service_radius_km"),
        ({"priority": 10**12}, "priority"),
        ({"priority": 1.5}, "priority"),
        ({"active": "maybe"}, "active"),
        ({"colour": "red"}, "colour"),
        ({"opening_hours": {"funday": [["08:00", "12:00"]]}}, "opening_hours.funday.[key]"),
        ({"opening_hours": {"mon": [["08:00", "25:00"]]}}, "opening_hours.mon.0.1"),
        ({"opening_hours": {"mon": [["08:00"]]}}, "opening_hours.mon.0"),
        ({"opening_hours": {"mon": "08:00-12:00"}}, "opening_hours.mon"),
        ({"opening_hours": {"mon": [["24:00", "02:00"]]}}, "opening_hours"),
        ({"opening_hours": {"mon": [["08:00", "12:00"], ["11:00", "13:00"]]}}, "opening_hours"),
        ({"opening_hours": [["08:00", "12:00"]]}, "opening_hours"),
    ],
)
async def test_invalid_location_fields_are_422_naming_the_field(tenant, fields, field):
    r = await tenant.post(URL, json=location_body("BAD") | fields)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert problem["code"] == "validation_error"
    assert problem["status"] == 422
    assert field in [e["field"] for e in problem["errors"]], problem
    assert (await tenant.get(f"{URL}/BAD")).status_code == 404


@pytest.mark.parametrize("missing", ["code", "name", "kind", "lat", "lng"])
async def test_required_fields_must_be_sent(tenant, missing):
    body = location_body("BAD")
    del body[missing]
    r = await tenant.post(URL, json=body)
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == [missing]


async def test_the_overlap_message_says_which_day(tenant):
    hours = {"tue": [["08:00", "12:00"], ["11:00", "13:00"]]}
    r = await tenant.post(URL, json=location_body("BAD", opening_hours=hours))
    assert "tue: intervals overlap" in r.json()["detail"]


async def test_malformed_json_is_a_400(tenant):
    r = await tenant.post(
        URL, content=b'{"code": "S1", "name": ', headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 400
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "malformed_json"


async def test_a_body_that_is_not_an_object_is_a_422(tenant):
    r = await tenant.post(URL, json=["S1"])
    assert r.status_code == 422
    assert r.json()["code"] == "validation_error"


async def test_invalid_patches_are_refused_and_change_nothing(tenant):
    before = await create_location(tenant, "S1")
    for patch in (
        {"lat": 91},
        {"timezone": "Nowhere/City"},
        {"kind": "shop"},
        {"opening_hours": {"mon": [["08:00", "12:00"], ["09:00", "10:00"]]}},
        {"name": "Fine", "lng": 500},
    ):
        r = await tenant.patch(f"{URL}/S1", json=patch)
        assert r.status_code == 422, (patch, r.text)
        assert r.json()["code"] == "validation_error"
    assert (await tenant.get(f"{URL}/S1")).json() == before
