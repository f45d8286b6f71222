"""Redemption and delivery-note rules, without a database."""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import omniloop.fulfilment.domain as domain
from omniloop.fulfilment.domain import (
    CodeKind,
    UnrecognisedCode,
    attempts_left,
    code_hint,
    estimate_eta,
    locked_until,
    navigation_url,
    recognise,
    retry_after_seconds,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def minutes_ago(*values: float) -> list[datetime]:
    return [NOW - timedelta(minutes=v) for v in values]


def test_ten_digits_are_a_pickup_code_whatever_the_separators():
    assert recognise("0123456789") == domain.RecognisedCode(CodeKind.PICKUP, "0123456789")
    assert recognise(" 012 345-6789 ").value == "0123456789"
    assert recognise("０１２３４５６７８９").value == "0123456789"


def test_a_scanned_qr_payload_names_its_location_and_order():
    code = recognise("omniloop:pickup:S:1:2611231234567890:0123456789")
    assert (code.kind, code.value, code.location, code.order_number) == (
        CodeKind.PICKUP, "0123456789", "S:1", "2611231234567890",
    )  # fmt: skip


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "123456789",
        "01234567890",
        "abcdefghij",
        "omniloop:pickup:S1:123",
        "٠١٢٣٤٥٦٧٨٩",
    ],
)
def test_anything_else_is_unrecognised(raw):
    with pytest.raises(UnrecognisedCode):
        recognise(raw)


def test_the_log_keeps_only_a_hint_of_the_code():
    assert code_hint("0123456789") == "********89"
    assert code_hint("12") == "**"


def test_five_wrong_codes_within_ten_minutes_lock_for_ten_minutes_after_the_last():
    wrong = minutes_ago(9, 7, 5, 3, 1)
    assert locked_until(wrong, now=NOW) == NOW + timedelta(minutes=9)
    assert retry_after_seconds(NOW + timedelta(minutes=9), now=NOW) == 540
    assert locked_until(wrong[:4], now=NOW) is None
    assert attempts_left(wrong[:4], now=NOW) == 1


def test_wrong_codes_spread_over_more_than_ten_minutes_do_not_lock():
    assert locked_until(minutes_ago(12, 9, 6, 3, 1), now=NOW) is None


def test_the_lock_ends_after_the_cooldown():
    assert locked_until(minutes_ago(15, 14, 13, 12, 11), now=NOW) is None
    assert locked_until(minutes_ago(14, 13, 12, 11, 9.5), now=NOW) is not None


def test_eta_is_preparation_plus_travel_at_courier_speed():
    eta = estimate_eta(status="paid", units=3, distance_km=3.0, now=NOW)
    assert (eta.preparation_minutes, eta.travel_minutes, eta.minutes) == (13, 12, 25)
    assert eta.at == NOW + timedelta(minutes=25)
    assert estimate_eta(status="paid", units=500, distance_km=0, now=NOW).minutes == 60


def test_an_order_on_its_way_counts_from_its_dispatch_and_a_delivered_one_is_there():
    left = NOW - timedelta(minutes=5)
    eta = estimate_eta(status="out_for_delivery", units=3, distance_km=3.0, now=NOW,
                       dispatched_at=left)  # fmt: skip
    assert eta.minutes == 12 and eta.at == left + timedelta(minutes=12)
    assert estimate_eta(status="delivered", units=3, distance_km=3.0, now=NOW).minutes == 0


def test_navigation_link_is_an_openstreetmap_bike_route():
    url = navigation_url(31.23, 121.47, 31.25, 121.48)
    assert url == (
        "https://www.openstreetmap.org/directions?engine=fossgis_osrm_bike"
        "&route=31.230000,121.470000%3B31.250000,121.480000"
    )


def test_domain_imports_neither_web_nor_database():
    tree = ast.parse(Path(domain.__file__).read_text())
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not {n for n in names if n.split(".")[0] in {"fastapi", "sqlalchemy", "pydantic"}}
