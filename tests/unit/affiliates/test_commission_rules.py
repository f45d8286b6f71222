import ast
from datetime import UTC, datetime
from pathlib import Path

import pytest

from omniloop.affiliates import domain
from omniloop.affiliates.domain import commission_for, period_bounds, share


def test_a_net_is_shared_over_lines_exactly():
    assert share(100, [1, 1, 1]) == [34, 33, 33]
    assert sum(share(9999, [3, 7, 11])) == 9999
    assert share(0, [5, 5]) == [0, 0]
    assert share(-5, [5, 5]) == [0, 0]  # a fully refunded order earns nothing


def test_category_rates_override_the_default_and_round_down_per_order():
    earned = commission_for(
        net=10_000,
        lines=[("cakes", 6_000), ("drinks", 4_000)],
        default_rate_bp=1_000,
        category_rates_bp={"cakes": 500},
    )
    assert earned.by_category == {"cakes": 6_000, "drinks": 4_000}
    assert earned.commission == 6_000 * 500 // 10_000 + 4_000 * 1_000 // 10_000  # 300 + 400
    odd = commission_for(net=333, lines=[("x", 1)], default_rate_bp=1_000, category_rates_bp={})
    assert odd.commission == 33


def test_refunds_are_netted_before_the_rate():
    before = commission_for(
        net=5_000, lines=[("x", 5_000)], default_rate_bp=2_000, category_rates_bp={}
    )
    after = commission_for(
        net=3_000, lines=[("x", 5_000)], default_rate_bp=2_000, category_rates_bp={}
    )
    assert (before.commission, after.commission) == (1_000, 600)


def test_a_period_is_a_local_month():
    start, end = period_bounds("2026-11", "Asia/Shanghai")
    assert start == datetime(2026, 10, 31, 16, tzinfo=UTC)
    assert end == datetime(2026, 11, 30, 16, tzinfo=UTC)
    assert period_bounds("2026-12", "UTC")[1] == datetime(2027, 1, 1, tzinfo=UTC)
    with pytest.raises(ValueError):
        period_bounds("2026-13", "UTC")


def test_domain_imports_neither_web_nor_database():
    tree = ast.parse(Path(domain.__file__).read_text())
    names = {
        (node.module or "").split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
    } | {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not names & {"fastapi", "sqlalchemy"}
