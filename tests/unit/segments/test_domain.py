"""Segment rules without a database: how scores fall and which filters make sense."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from omniloop.segments import domain
from omniloop.segments.domain import (
    InvalidFilters,
    ScoreRange,
    SegmentFilters,
    filters_from_config,
    filters_to_config,
    score,
    validate_filters,
)


def test_scores_are_quintiles_of_the_rank():
    assert [score(rank, 10) for rank in range(1, 11)] == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert [score(rank, 3) for rank in (1, 2, 3)] == [1, 2, 4]
    assert score(1, 1) == 1
    assert max(score(rank, 1000) for rank in range(1, 1001)) == 5


def test_only_filters_on_purchases_need_the_purchase_totals():
    assert not SegmentFilters(tiers=("gold",), channels=("pos",)).needs_purchases
    assert SegmentFilters(spent_less_than=100).needs_purchases
    assert SegmentFilters(last_order_before_days=60).needs_purchases


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        (SegmentFilters(last_order_before_days=60, last_order_within_days=60),
         "last_order_within_days"),
        (SegmentFilters(spent_more_than=100, spent_less_than=101), "spent_less_than"),
        (SegmentFilters(rfm=ScoreRange(f_min=3, f_max=2)), "rfm.f_max"),
        (SegmentFilters(rfm=ScoreRange(m_min=0)), "rfm.m_min"),
        (SegmentFilters(channels=("POS!",)), "channels"),
        (SegmentFilters(tiers=("",)), "tiers"),
        (SegmentFilters(orders_at_least=0), "orders_at_least"),
    ],
)  # fmt: skip
def test_filters_that_match_nobody_or_break_a_bound_are_refused(filters, field):
    with pytest.raises(InvalidFilters) as caught:
        validate_filters(filters)
    assert caught.value.field == field


def test_valid_filters_lose_duplicates_and_survive_storage():
    filters = validate_filters(
        SegmentFilters(
            last_order_before_days=60,
            last_order_within_days=365,
            spent_more_than=50_000,
            spent_less_than=50_002,
            tiers=("gold", "gold", "silver"),
            channels=("pos", "own_app"),
            rfm=ScoreRange(r_max=2, m_min=4),
        )
    )
    assert filters.tiers == ("gold", "silver")
    config = filters_to_config(filters)
    assert config["rfm"] == {"r_max": 2, "m_min": 4}
    assert "acquired_locations" not in config and "orders_at_least" not in config
    assert filters_from_config(config) == filters
    assert filters_to_config(SegmentFilters()) == {}


def test_domain_imports_neither_web_nor_database():
    tree = ast.parse(Path(domain.__file__).read_text())
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not {n for n in names if n.split(".")[0] in {"fastapi", "sqlalchemy", "pydantic"}}
