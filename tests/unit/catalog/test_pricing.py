from __future__ import annotations

import ast
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import omniloop.catalog.domain as domain
from omniloop.catalog.domain import (
    InvalidOverride,
    OverrideRule,
    RuleKind,
    check_override,
    check_overrides,
    duplicates,
    resolve_price,
)

NOW = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def rule(price: int, **fields: object) -> OverrideRule:
    return OverrideRule(price=price, id=uuid.uuid4(), **fields)  # type: ignore[arg-type]


STORE = rule(1400, location="S1")
CHANNEL = rule(1800, channel="meituan")
STORE_CHANNEL = rule(1650, location="S1", channel="meituan")
ALL = [CHANNEL, STORE, STORE_CHANNEL]


def resolve(overrides: list[OverrideRule], channel: str | None, location: str | None, at=NOW):
    return resolve_price(1500, "CNY", overrides, channel=channel, location=location, at=at)


@pytest.mark.parametrize(
    ("channel", "location", "expected", "kind"),
    [
        (None, None, None, RuleKind.BASE),
        ("pos", None, None, RuleKind.BASE),
        ("pos", "S2", None, RuleKind.BASE),
        ("meituan", None, CHANNEL, RuleKind.CHANNEL),
        ("meituan", "S2", CHANNEL, RuleKind.CHANNEL),
        (None, "S1", STORE, RuleKind.LOCATION),
        ("pos", "S1", STORE, RuleKind.LOCATION),
        ("meituan", "S1", STORE_CHANNEL, RuleKind.LOCATION_CHANNEL),
    ],
)
def test_location_and_channel_beats_location_beats_channel_beats_base(
    channel, location, expected, kind
):
    quote = resolve(ALL, channel, location)
    assert quote.rule is kind
    assert quote.price == (expected.price if expected else 1500)
    assert quote.override_id == (expected.id if expected else None)
    assert quote.base_price == 1500 and quote.currency == "CNY"
    assert (quote.channel, quote.location, quote.at) == (channel, location, NOW)


def test_precedence_does_not_depend_on_the_order_overrides_are_listed_in():
    for overrides in (ALL, list(reversed(ALL)), [STORE_CHANNEL, CHANNEL, STORE]):
        assert resolve(overrides, "meituan", "S1").override_id == STORE_CHANNEL.id


def test_a_location_override_beats_a_channel_override_even_when_it_is_dearer():
    assert resolve([rule(100, channel="pos"), rule(9000, location="S1")], "pos", "S1").price == 9000


def test_no_overrides_means_the_same_price_on_every_channel_and_at_every_store():
    prices = {resolve([], c, loc).price for c in (None, "pos", "own_app") for loc in (None, "S1")}
    assert prices == {1500}


def test_the_window_includes_its_start_and_excludes_its_end():
    window = rule(900, location="S1", starts_at=NOW, ends_at=NOW + HOUR)
    assert resolve([window], None, "S1", at=NOW - timedelta(microseconds=1)).rule is RuleKind.BASE
    assert resolve([window], None, "S1", at=NOW).price == 900
    assert resolve([window], None, "S1", at=NOW + HOUR - timedelta(microseconds=1)).price == 900
    assert resolve([window], None, "S1", at=NOW + HOUR).rule is RuleKind.BASE


def test_an_expired_specific_override_falls_back_to_the_next_rule():
    expired = rule(1000, location="S1", channel="pos", ends_at=NOW - HOUR)
    quote = resolve([expired, rule(1200, channel="pos")], "pos", "S1")
    assert (quote.price, quote.rule) == (1200, RuleKind.CHANNEL)


def test_among_overrides_of_one_kind_the_latest_started_wins_then_the_soonest_ending():
    standing = rule(1400, location="S1")
    week = rule(999, location="S1", starts_at=NOW - 24 * HOUR, ends_at=NOW + 6 * 24 * HOUR)
    flash = rule(500, location="S1", starts_at=NOW - HOUR, ends_at=NOW + HOUR)
    assert resolve([standing, week], None, "S1").price == 999
    assert resolve([flash, week, standing], None, "S1").price == 500
    assert resolve([flash, week, standing], None, "S1", at=NOW + 2 * HOUR).price == 999
    assert resolve([flash, week, standing], None, "S1", at=NOW + 7 * 24 * HOUR).price == 1400
    short = rule(800, location="S1", starts_at=NOW - HOUR, ends_at=NOW + 2 * HOUR)
    assert resolve([short, flash], None, "S1").price == 500


def test_overrides_for_other_channels_or_stores_never_apply():
    others = [
        rule(1, channel="eleme"),
        rule(2, location="S9"),
        rule(3, location="S9", channel="pos"),
    ]
    assert resolve(others, "pos", "S1").rule is RuleKind.BASE


def test_a_channel_override_does_not_apply_when_no_channel_is_named():
    assert resolve([CHANNEL, STORE_CHANNEL], None, "S1").rule is RuleKind.BASE


def test_an_override_needs_a_channel_or_a_location():
    with pytest.raises(InvalidOverride):
        check_override(OverrideRule(price=1))


@pytest.mark.parametrize(
    "bad",
    [
        OverrideRule(price=-1, channel="pos"),
        OverrideRule(price=1, channel="Pos"),
        OverrideRule(price=1, channel="a" * 41),
        OverrideRule(price=1, channel="pos", starts_at=NOW, ends_at=NOW),
        OverrideRule(price=1, channel="pos", starts_at=NOW, ends_at=NOW - HOUR),
    ],
)
def test_impossible_overrides_are_refused(bad):
    with pytest.raises(InvalidOverride):
        check_override(bad)


def test_two_overrides_with_the_same_scope_and_window_are_ambiguous():
    with pytest.raises(InvalidOverride, match="same time window"):
        check_overrides(
            [OverrideRule(price=1, location="S1"), OverrideRule(price=2, location="S1")]
        )
    check_overrides(
        [
            OverrideRule(price=1, location="S1"),
            OverrideRule(price=2, location="S1", starts_at=NOW),
            OverrideRule(price=3, location="S1", channel="pos"),
        ]
    )


def test_a_sku_has_a_bounded_number_of_overrides():
    many = [
        OverrideRule(price=1, location=f"S{i}") for i in range(domain.MAX_OVERRIDES_PER_SKU + 1)
    ]
    with pytest.raises(InvalidOverride):
        check_overrides(many)


def test_duplicates_lists_each_repeated_code_once():
    assert duplicates(["A", "B", "A", "C", "A", "B"]) == ["A", "B"]
    assert duplicates(["A", "B"]) == []


def test_pricing_rules_import_neither_web_nor_database():
    tree = ast.parse(Path(domain.__file__).read_text())
    imported = {
        name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for name in (
            [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
        )
    }
    assert not imported & {"fastapi", "sqlalchemy", "pydantic", "starlette"}
