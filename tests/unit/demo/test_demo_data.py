"""The demo chain's data is a believable Shanghai chain that the seeding code can trust."""

from __future__ import annotations

import math
import re
from collections import Counter
from itertools import combinations

import pytest

from omniloop.demo import data
from omniloop.demo.data import (
    CATEGORIES,
    LOCATIONS,
    PRICE_OVERRIDES,
    PRODUCTS,
    SAFETY_STOCK,
    SKUS,
    SOLD_OUT,
    STORES,
    WEEKDAYS,
    stock_plan,
)

SHANGHAI_LAT = (30.6, 31.9)
SHANGHAI_LNG = (120.8, 122.2)
PEOPLES_SQUARE = (31.2325, 121.4736)
HHMM = re.compile(r"^(?:[01]\d|2[0-4]):[0-5]\d$")


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lng1, lat2, lng2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    )
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def test_the_chain_has_twenty_stores_one_central_kitchen_and_one_warehouse() -> None:
    kinds = Counter(location.kind for location in LOCATIONS)
    assert kinds["store"] >= 20
    assert kinds["central_kitchen"] == 1
    assert kinds["warehouse"] == 1
    assert set(kinds) == {"store", "central_kitchen", "warehouse"}
    assert len(STORES) == kinds["store"]


def test_location_codes_are_unique() -> None:
    codes = [location.code for location in LOCATIONS]
    assert len(codes) == len(set(codes))


def test_every_location_lies_inside_shanghai() -> None:
    for location in LOCATIONS:
        assert SHANGHAI_LAT[0] < location.lat < SHANGHAI_LAT[1], location.code
        assert SHANGHAI_LNG[0] < location.lng < SHANGHAI_LNG[1], location.code
        assert _km(PEOPLES_SQUARE, (location.lat, location.lng)) < 60, location.code


def test_coordinates_are_distinct_and_at_least_300_metres_apart() -> None:
    for a, b in combinations(LOCATIONS, 2):
        assert _km((a.lat, a.lng), (b.lat, b.lng)) >= 0.3, (a.code, b.code)


def test_coordinates_carry_at_most_six_decimals() -> None:
    for location in LOCATIONS:
        assert round(location.lat, 6) == location.lat
        assert round(location.lng, 6) == location.lng


def test_stores_spread_over_the_city_rather_than_one_district() -> None:
    distances = [_km(PEOPLES_SQUARE, (s.lat, s.lng)) for s in STORES]
    assert sum(d < 5 for d in distances) >= 5
    assert sum(d > 15 for d in distances) >= 3


def test_every_location_has_shanghai_time_an_address_radius_and_priority() -> None:
    for location in LOCATIONS:
        assert location.timezone == "Asia/Shanghai"
        assert location.address.startswith("上海市")
        assert 0 <= location.priority <= 10
        assert location.name.strip()
        if location.kind == "store":
            assert 3 <= location.service_radius_km <= 5
        else:
            assert 15 <= location.service_radius_km <= 30


def test_stores_have_well_formed_opening_hours_and_hubs_have_none() -> None:
    for location in LOCATIONS:
        if location.kind != "store":
            assert location.opening_hours is None
            continue
        hours = location.opening_hours
        assert hours, location.code
        assert set(hours) <= set(WEEKDAYS), location.code
        for spans in hours.values():
            assert spans, location.code
            for opens, closes in spans:
                assert HHMM.match(opens) and HHMM.match(closes), location.code
                assert _minutes(opens) < 24 * 60, location.code
                assert _minutes(closes) <= 24 * 60, location.code
                assert opens != closes, location.code


def test_opening_hours_include_a_midnight_crossing_a_24_hour_store_and_a_closed_day() -> None:
    spans = [
        (opens, closes)
        for store in STORES
        for day_spans in (store.opening_hours or {}).values()
        for opens, closes in day_spans
    ]
    assert any(_minutes(closes) < _minutes(opens) for opens, closes in spans)
    assert ("00:00", "24:00") in spans
    assert any(set(store.opening_hours or {}) < set(WEEKDAYS) for store in STORES)


def test_no_two_locations_share_an_opening_hours_list() -> None:
    lists = [
        id(day_spans) for store in STORES for day_spans in (store.opening_hours or {}).values()
    ]
    assert len(lists) == len(set(lists))


def test_sku_codes_are_unique_and_at_least_thirty() -> None:
    codes = [sku.sku for sku in SKUS]
    assert len(codes) >= 30
    assert len(codes) == len(set(codes))
    assert all(re.fullmatch(r"[A-Z0-9]+(?:-[A-Z0-9]+)+", code) for code in codes)


def test_the_menu_has_at_least_fourteen_products_in_five_categories() -> None:
    assert len(PRODUCTS) >= 14
    used = {product.category for product in PRODUCTS}
    assert len(used) >= 5
    assert used <= set(CATEGORIES)
    assert set(SAFETY_STOCK) == set(CATEGORIES)


def test_products_have_names_descriptions_images_and_skus() -> None:
    slugs = [product.slug for product in PRODUCTS]
    assert len(slugs) == len(set(slugs))
    for product in PRODUCTS:
        assert product.name and product.description
        assert product.image_url == f"https://images.example.com/{product.slug}.jpg"
        assert product.skus


def test_prices_are_positive_integer_fen_in_realistic_ranges() -> None:
    for product in PRODUCTS:
        for sku in product.skus:
            assert isinstance(sku.price, int) and sku.price > 0, sku.sku
            if product.category == "milk_tea":
                assert 1500 <= sku.price <= 2800, sku.sku
            if product.category == "bread":
                assert 800 <= sku.price <= 2000, sku.sku
            if sku.sku.endswith(("-6IN", "-8IN")):
                assert 16800 <= sku.price <= 29800, sku.sku


def test_price_overrides_name_known_skus_and_one_channel_or_location() -> None:
    known_skus = {sku.sku for sku in SKUS}
    known_locations = {location.code for location in LOCATIONS}
    for override in PRICE_OVERRIDES:
        assert override.sku in known_skus
        assert isinstance(override.price, int) and override.price > 0
        assert (override.channel is None) != (override.location_code is None)
        assert override.location_code is None or override.location_code in known_locations
    assert any(override.channel == "meituan" for override in PRICE_OVERRIDES)
    assert any(override.location_code == "SH-003" for override in PRICE_OVERRIDES)


def test_every_sku_is_in_stock_at_fifteen_locations_or_more() -> None:
    for sku in SKUS:
        stocked = [loc.code for loc in LOCATIONS if stock_plan(loc.code, sku.sku) > 0]
        assert len(stocked) >= 15, sku.sku


def test_stock_is_never_negative_and_covers_safety_stock_where_stocked() -> None:
    for location in LOCATIONS:
        for sku in SKUS:
            on_hand = stock_plan(location.code, sku.sku)
            assert on_hand >= 0
            if (location.code, sku.sku) not in SOLD_OUT:
                assert on_hand > data.safety_stock_for(sku.sku), (location.code, sku.sku)


def test_drinks_are_stocked_high_and_cakes_low_at_stores() -> None:
    for store in STORES:
        for sku in SKUS:
            if (store.code, sku.sku) in SOLD_OUT:
                continue
            on_hand = stock_plan(store.code, sku.sku)
            category = data.category_of(sku.sku)
            if category in data.DRINK_CATEGORIES:
                assert 40 <= on_hand <= 200
            if category == "cake":
                assert 2 <= on_hand <= 12


def test_hubs_hold_more_than_any_store() -> None:
    hubs = [loc for loc in LOCATIONS if loc.kind != "store"]
    for sku in SKUS:
        most_in_a_store = max(stock_plan(store.code, sku.sku) for store in STORES)
        for hub in hubs:
            assert stock_plan(hub.code, sku.sku) > most_in_a_store, (hub.code, sku.sku)


def test_sold_out_pairs_are_real_stores_and_skus_and_stock_zero() -> None:
    assert SOLD_OUT
    store_codes = {store.code for store in STORES}
    for code, sku in SOLD_OUT:
        assert code in store_codes
        assert stock_plan(code, sku) == 0


def test_stock_plan_is_deterministic_and_varies() -> None:
    first = {
        (loc.code, sku.sku): stock_plan(loc.code, sku.sku) for loc in LOCATIONS for sku in SKUS
    }
    second = {
        (loc.code, sku.sku): stock_plan(loc.code, sku.sku) for loc in LOCATIONS for sku in SKUS
    }
    assert first == second
    assert stock_plan("SH-001", "MT-BROWN-M") == stock_plan("SH-001", "MT-BROWN-M")
    assert len(set(first.values())) > 20


@pytest.mark.parametrize(("code", "sku"), [("SH-999", "MT-BROWN-M"), ("SH-001", "NO-SUCH-SKU")])
def test_stock_plan_refuses_unknown_locations_and_skus(code: str, sku: str) -> None:
    with pytest.raises(KeyError):
        stock_plan(code, sku)


def test_the_merchant_trades_in_yuan_on_shanghai_time() -> None:
    assert data.MERCHANT_NAME
    assert data.CURRENCY == "CNY"
    assert data.TIMEZONE == "Asia/Shanghai"
