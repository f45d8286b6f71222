"""Routing rule sets: the defaults, the JSON form, and strict validation with clear messages."""

import ast
from pathlib import Path

import pytest

from omniloop.routing import domain, filters, rules
from omniloop.routing.rules import (
    DEFAULT_RULES,
    InvalidRuleParams,
    InvalidRules,
    RuleSet,
    UnknownFilter,
    UnknownSortKey,
)


def test_default_rules_are_active_open_in_radius_stocked_by_distance_then_priority_never_split():
    assert DEFAULT_RULES.to_dict() == {
        "filters": [
            {"name": "active"},
            {"name": "open_at_requested_time"},
            {"name": "within_service_radius"},
            {"name": "has_all_stock"},
        ],
        "sort": ["distance", "priority"],
        "split": {"policy": "never"},
    }


def test_bare_filter_names_and_objects_parse_to_the_same_canonical_form():
    raw = {
        "filters": [
            "active",
            {"name": "kind_in", "kinds": ["store", "store", "warehouse"]},
            {"name": "under_capacity", "max_open_orders": 30},
            {"name": "channel_allowed", "allow": {"SH-CK1": ["meituan", "eleme"]}},
            "has_all_stock",
        ],
        "sort": ["load", "stock_depth"],
        "split": {"policy": "allow", "max_locations": 3},
    }
    parsed = RuleSet.parse(raw)
    assert parsed.to_dict() == {
        "filters": [
            {"name": "active"},
            {"name": "kind_in", "kinds": ["store", "warehouse"]},
            {"name": "under_capacity", "max_open_orders": 30},
            {"name": "channel_allowed", "allow": {"SH-CK1": ["eleme", "meituan"]}},
            {"name": "has_all_stock"},
        ],
        "sort": ["load", "stock_depth"],
        "split": {"policy": "allow", "max_locations": 3},
    }
    assert RuleSet.parse(parsed.to_dict()) == parsed


def test_split_defaults_to_never_and_filters_and_sort_may_be_empty():
    parsed = RuleSet.parse({"filters": [], "sort": []})
    assert parsed.split.allow is False
    assert parsed.filters == () and parsed.sort == ()


@pytest.mark.parametrize(
    ("raw", "error", "field", "words"),
    [
        ({"filters": ["teleport"], "sort": []}, UnknownFilter, "filters[0]", "unknown filter"),
        ({"filters": [], "sort": ["vibes"]}, UnknownSortKey, "sort[0]", "unknown sort key"),
        ({"filters": ["active", "active"], "sort": []}, InvalidRuleParams, "filters[1]", "twice"),
        ({"filters": [], "sort": ["load", "load"]}, InvalidRuleParams, "sort[1]", "twice"),
        ({"filters": [{"name": "kind_in"}], "sort": []}, InvalidRuleParams, "filters[0]", "needs"),
        (
            {"filters": [{"name": "kind_in", "kinds": ["castle"]}], "sort": []},
            InvalidRuleParams,
            "filters[0].kinds",
            "not a location kind",
        ),
        (
            {"filters": [{"name": "kind_in", "kinds": []}], "sort": []},
            InvalidRuleParams,
            "filters[0].kinds",
            "non-empty",
        ),
        (
            {"filters": [{"name": "active", "strict": True}], "sort": []},
            InvalidRuleParams,
            "filters[0]",
            "no parameters",
        ),
        (
            {"filters": [{"name": "under_capacity", "max_open_orders": 0}], "sort": []},
            InvalidRuleParams,
            "filters[0].max_open_orders",
            "between 1",
        ),
        (
            {"filters": [{"name": "under_capacity", "max_open_orders": True}], "sort": []},
            InvalidRuleParams,
            "filters[0].max_open_orders",
            "integer",
        ),
        (
            {"filters": [{"name": "channel_allowed", "allow": ["meituan"]}], "sort": []},
            InvalidRuleParams,
            "filters[0].allow",
            "expected an object",
        ),
        (
            {"filters": [{"name": "channel_allowed", "allow": {"S1": ["MeiTuan"]}}], "sort": []},
            InvalidRuleParams,
            "filters[0].allow.S1",
            "not a channel id",
        ),
        (
            {"filters": ["has_all_stock"], "sort": [], "split": {"policy": "sometimes"}},
            InvalidRuleParams,
            "split.policy",
            "unknown policy",
        ),
        (
            {"filters": ["has_all_stock"], "sort": [], "split": {"policy": "allow"}},
            InvalidRuleParams,
            "split",
            "max_locations",
        ),
        (
            {
                "filters": ["has_all_stock"],
                "sort": [],
                "split": {"policy": "allow", "max_locations": 11},
            },
            InvalidRuleParams,
            "split.max_locations",
            "2 to 10",
        ),
        (
            {"filters": ["active"], "sort": [], "split": {"policy": "allow", "max_locations": 2}},
            InvalidRuleParams,
            "split",
            "has_all_stock",
        ),
        ({"filters": [], "sort": [], "extra": 1}, InvalidRules, "rules", "unknown key"),
        ({"sort": []}, InvalidRules, "filters", "required"),
        ({"filters": "active", "sort": []}, InvalidRules, "filters", "expected a list"),
        ([], InvalidRules, "rules", "expected an object"),
    ],
)
def test_bad_rule_sets_are_refused_naming_the_spot(raw, error, field, words):
    with pytest.raises(error) as caught:
        RuleSet.parse(raw)
    assert caught.value.field == field
    assert words in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_channel_allow_list_answers_per_location():
    rule = RuleSet.parse(
        {
            "filters": [{"name": "channel_allowed", "allow": {"CK": ["meituan"], "S9": []}}],
            "sort": [],
        }
    ).filters[0]
    assert rule.allowed_channels("CK") == frozenset({"meituan"})
    assert rule.allowed_channels("S9") == frozenset()
    assert rule.allowed_channels("S1") is None


@pytest.mark.parametrize("module", [domain, filters, rules])
def test_routing_rules_import_neither_web_nor_database(module):
    tree = ast.parse(Path(module.__file__).read_text())
    imported = {
        name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for name in (
            [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
        )
    }
    assert not imported & {"fastapi", "sqlalchemy", "pydantic", "starlette"}
