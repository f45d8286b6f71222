import ast
from decimal import Decimal
from pathlib import Path

import pytest

import omniloop.channels
from omniloop.channels import generic
from omniloop.channels.domain import (
    UNITEMISED_DISCOUNT,
    Cancellation,
    DiscountLine,
    FeeKind,
    FeeLine,
    ItemLine,
    MappedOrder,
    NewOrder,
    PushInvalid,
    PushKind,
    RefundNotice,
    RefundStage,
    Unrecognised,
    reconcile,
    yuan_to_fen,
)
from omniloop.channels.fields import split_recipient_name
from omniloop.channels.mapping import Unmapped, map_order
from tests.unit.channels.vectors import generic_order

# ----------------------------------------------------------------------------- money


@pytest.mark.parametrize(
    ("value", "fen"),
    [
        ("25.5", 2550),
        (25.5, 2550),
        (Decimal("25.50"), 2550),
        ("58.0", 5800),
        (6, 600),
        ("0.1", 10),
        (0.29, 29),  # float(0.29) * 100 == 28.999999999999996
        ("1e2", 10000),
        ("25.500", 2550),
    ],
)
def test_yuan_become_fen_exactly(value, fen):
    assert yuan_to_fen(value) == fen


@pytest.mark.parametrize("value", ["1.005", 0.1 + 0.2, "abc", "", None, True, "NaN", "-1", [1]])
def test_yuan_that_are_not_a_whole_number_of_fen_or_not_numbers_are_refused(value):
    with pytest.raises(PushInvalid):
        yuan_to_fen(value, field="price")


def test_negative_yuan_are_allowed_only_when_asked():
    assert yuan_to_fen("-10.0", allow_negative=True) == -1000


# ------------------------------------------------------------------------ reconciling

ITEMS = [ItemLine(("A",), "a", 2, 1000)]
FEES = [FeeLine(FeeKind.SHIPPING, 300, "配送费")]


def test_totals_that_add_up_keep_the_platform_discounts_as_they_are():
    discounts = [DiscountLine(500, "满20减5"), DiscountLine(0, "zero is dropped")]
    assert reconcile(items=ITEMS, fees=FEES, discounts=discounts, total=1800, external_id="1") == (
        DiscountLine(500, "满20减5"),
    )


def test_an_unexplained_shortfall_becomes_an_unitemised_discount_line():
    result = reconcile(items=ITEMS, fees=FEES, discounts=[], total=2000, external_id="1")
    assert result == (DiscountLine(300, UNITEMISED_DISCOUNT),)


def test_strict_reconciling_refuses_any_difference():
    with pytest.raises(PushInvalid):
        reconcile(items=ITEMS, fees=FEES, discounts=[], total=2000, external_id="1", strict=True)


def test_recipient_name_suffixes_are_split_off():
    assert split_recipient_name("张(先生)") == ("张", "先生")
    assert split_recipient_name("李（女士）") == ("李", "女士")
    assert split_recipient_name("(先生)") == ("(先生)", None)
    assert split_recipient_name("Anna (Berlin)") == ("Anna (Berlin)", None)
    assert split_recipient_name("") == (None, None)


# --------------------------------------------------------------------------- mapping


def _parsed():
    parsed = generic.parse(
        generic_order(
            lines=[
                {"code": "TEA-L", "qty": 1, "unit_price": 1200},
                {"code": "CAKE", "qty": 1, "unit_price": 1400},
            ],
            total=2800,
        )
    )
    assert isinstance(parsed, NewOrder)
    return parsed.order


def _map(store_map=None, sku_map=None, locations=("S001",), skus=("TEA-L", "CAKE")):
    return map_order(
        _parsed(),
        order_channel="partner_app",
        store_map=store_map or {},
        sku_map=sku_map or {},
        known_locations=set(locations),
        known_skus=set(skus),
    )


def test_codes_that_are_already_ours_map_to_themselves():
    mapped = _map()
    assert isinstance(mapped, MappedOrder)
    assert mapped.location_code == "S001" and mapped.channel == "partner_app"
    assert [line.sku for line in mapped.lines] == ["TEA-L", "CAKE"]


def test_an_explicit_mapping_wins_over_an_identical_code():
    mapped = _map(
        store_map={"S001": "S002"},
        sku_map={"TEA-L": "TEA-XL"},
        locations=("S001", "S002"),
        skus=("TEA-L", "TEA-XL", "CAKE"),
    )
    assert isinstance(mapped, MappedOrder)
    assert mapped.location_code == "S002"
    assert [(line.sku, line.platform_code) for line in mapped.lines] == [
        ("TEA-XL", "TEA-L"),
        ("CAKE", "CAKE"),
    ]


def test_unknown_codes_and_mappings_to_unknown_codes_leave_the_order_unmapped():
    unmapped = _map(sku_map={"CAKE": "NO-SUCH-SKU"}, locations=())
    assert isinstance(unmapped, Unmapped)
    assert unmapped.unknown_store == "S001"
    assert unmapped.unknown_items == (("CAKE",),)
    assert "store_map" in unmapped.reason and "sku_map" in unmapped.reason


# --------------------------------------------------------------------------- generic


def test_generic_pushes_say_their_kind():
    parsed = generic.parse(generic_order())
    assert isinstance(parsed, NewOrder)
    assert parsed.order.total == 2600 and parsed.order.discounts == (DiscountLine(300, "coupon"),)
    assert generic.parse({"kind": "cancel", "external_id": "G-1"}) == Cancellation(
        "G-1", reason="cancelled"
    )
    refund = generic.parse({"kind": "refund", "external_id": "G-1", "amount": 500})
    assert refund == RefundNotice("G-1", RefundStage.AGREE, "refund", 500)
    assert isinstance(generic.parse({"kind": "heartbeat"}), Unrecognised)
    assert isinstance(generic.parse({"kind": "weird"}), Unrecognised)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"total": 2500}, "paid 2500"),
        ({"total": 26.0}, "minor units"),
        ({"lines": []}, "no lines"),
        ({"currency": "XYZ"}, "ISO 4217"),
        ({"customer": "Li"}, "customer must be an object"),
        ({"placed_at": None}, "placed_at"),
    ],
)
def test_generic_orders_are_strict(overrides, message):
    with pytest.raises(PushInvalid, match=message) as caught:
        generic.parse(generic_order(**overrides))
    assert caught.value.kind is PushKind.NEW_ORDER and caught.value.external_id == "G-1001"


# ---------------------------------------------------------------------------- purity

PURE = [
    "domain",
    "fields",
    "mapping",
    "signatures",
    "meituan",
    "eleme",
    "generic",
    "platforms",
    "ports",
]


@pytest.mark.parametrize("module", PURE)
def test_channel_rules_import_no_web_or_database_layer(module):
    source = Path(omniloop.channels.__file__).with_name(f"{module}.py").read_text()
    imported: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert not imported & {"fastapi", "sqlalchemy", "starlette", "httpx", "pydantic"}
