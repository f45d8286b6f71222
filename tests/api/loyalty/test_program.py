"""``GET/PUT /api/v1/loyalty-program``: the defaults until an operator stores a program,
whole replacement with a version, validation that names the field, roles."""

from __future__ import annotations

import pytest

from tests.api.customer_auth.conftest import sign_in
from tests.api.loyalty.conftest import PROGRAM, program_document, staff_key
from tests.support.events import events_of


async def test_a_new_merchant_has_the_default_program_in_its_currency(tenant):
    r = await tenant.get(PROGRAM)
    assert r.status_code == 200, r.text
    program = r.json()
    assert program["currency"] == "CNY"
    assert (program["version"], program["is_default"], program["updated_by"]) == (0, True, None)
    assert program["earn"] == {"points": 1, "per_amount": 100}
    assert [t["name"] for t in program["tiers"]] == ["普通", "银卡", "金卡", "黑金"]
    assert program["expiry"] == "end_of_next_year"
    assert program["top_up_rules"] == [
        {"pay": 50_000, "bonus": 5_000},
        {"pay": 100_000, "bonus": 12_000},
    ]


async def test_putting_a_program_replaces_it_and_counts_versions(db, tenant):
    document = program_document(
        earn={"points": 2, "per_amount": 100},
        channel_earn={"meituan": {"points": 1, "per_amount": 100}},
        rounding="half_up",
        expiry="days",
        expiry_days=365,
        max_redeem_percent=30,
    )
    r = await tenant.put(PROGRAM, json=document)
    assert r.status_code == 200, r.text
    assert (r.json()["version"], r.json()["is_default"]) == (1, False)
    r = await tenant.put(PROGRAM, json={**document, "enabled": False})
    assert r.json()["version"] == 2
    stored = (await tenant.get(PROGRAM)).json()
    assert stored["version"] == 2 and stored["enabled"] is False
    assert stored["channel_earn"] == {"meituan": {"points": 1, "per_amount": 100}}
    assert (stored["rounding"], stored["expiry"], stored["expiry_days"]) == ("half_up", "days", 365)
    assert stored["updated_by"].startswith("api_key:")
    events = await events_of(db, tenant, "loyalty_program.updated")
    assert [e["version"] for e in events] == [1, 2]
    assert events[0]["program"]["earn"] == {"points": 2, "per_amount": 100}


async def test_an_omitted_currency_is_the_merchants(tenant):
    document = program_document()
    del document["currency"]
    r = await tenant.put(PROGRAM, json=document)
    assert r.status_code == 200, r.text
    assert r.json()["currency"] == "CNY"


def _tiers(*thresholds: int) -> list[dict]:
    return [
        {"code": f"T{i}", "name": f"Tier {i}", "threshold": t, "earn_multiplier_percent": 100}
        for i, t in enumerate(thresholds)
    ]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"tiers": _tiers(0, 500, 500)}, "tiers.2.threshold"),
        ({"tiers": _tiers(0, 900, 500)}, "tiers.2.threshold"),
        ({"tiers": _tiers(100, 500)}, "tiers.0.threshold"),
        ({"tiers": [*_tiers(0), {**_tiers(0, 5)[1], "code": "T0"}]}, "tiers.1.code"),
        ({"tiers": []}, "tiers"),
        ({"tiers": [{**_tiers(0)[0], "discount_percent": 101}]}, "tiers.0.discount_percent"),
        (
            {"tiers": [{**_tiers(0)[0], "earn_multiplier_percent": 90}]},
            "tiers.0.earn_multiplier_percent",
        ),
        (
            {"tiers": [{**_tiers(0)[0], "earn_multiplier_percent": 1001}]},
            "tiers.0.earn_multiplier_percent",
        ),
        ({"earn": {"points": 0, "per_amount": 100}}, "earn.points"),
        ({"earn": {"points": 1, "per_amount": 0}}, "earn.per_amount"),
        ({"redeem_points": 0}, "redeem_points"),
        ({"max_redeem_percent": 120}, "max_redeem_percent"),
        ({"currency": "XYZ"}, "currency"),
        ({"expiry": "days"}, "expiry_days"),
        ({"expiry": "sometimes"}, "expiry"),
        ({"rounding": "banker"}, "rounding"),
        (
            {"top_up_rules": [{"pay": 100, "bonus": 1}, {"pay": 100, "bonus": 2}]},
            "top_up_rules.1.pay",
        ),
        ({"top_up_rules": [{"pay": 100, "bonus": -1}]}, "top_up_rules.0.bonus"),
        ({"surprise": 1}, "surprise"),
    ],
)
async def test_an_invalid_program_is_a_422_naming_the_field(tenant, changes, field):
    r = await tenant.put(PROGRAM, json=program_document(**changes))
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert problem["code"] == "validation_error"
    assert field in [e["field"] for e in problem["errors"]], problem
    assert (await tenant.get(PROGRAM)).json()["version"] == 0


@pytest.mark.parametrize("role", ["operator", "integrator", "store_staff"])
async def test_staff_with_member_access_read_the_program(db, tenant, role):
    key = await staff_key(db, tenant, role)
    r = await tenant.get(PROGRAM, key=key)
    assert r.status_code == 200, r.text


@pytest.mark.parametrize(
    ("role", "status"), [("operator", 200), ("integrator", 403), ("store_staff", 403)]
)
async def test_only_owners_and_operators_change_the_program(db, tenant, role, status):
    key = await staff_key(db, tenant, role)
    r = await tenant.put(PROGRAM, json=program_document(), key=key)
    assert r.status_code == status, r.text


async def test_customers_neither_read_nor_change_the_program(tenant):
    token = (await sign_in(tenant))["access_token"]
    assert (await tenant.get(PROGRAM, key=token)).status_code == 403
    assert (await tenant.put(PROGRAM, json=program_document(), key=token)).status_code == 403


async def test_programs_are_per_merchant(tenant, other_tenant):
    r = await tenant.put(PROGRAM, json=program_document(max_redeem_percent=10))
    assert r.status_code == 200, r.text
    other = (await other_tenant.get(PROGRAM)).json()
    assert (other["version"], other["max_redeem_percent"]) == (0, 50)
