import ast
import random
from pathlib import Path

import pytest

import omniloop.webhooks.domain as domain
from omniloop.webhooks.domain import (
    backoff_seconds,
    invalid_pattern_reason,
    is_success,
    normalize_patterns,
    reports_failure_of,
    should_give_up,
    subscribes_to,
)

# ------------------------------------------------------------------------------ patterns


@pytest.mark.parametrize(
    ("patterns", "event_type", "expected"),
    [
        (["*"], "inventory.adjusted", True),
        (["*"], "webhook.delivery_failed", True),
        (["inventory.adjusted"], "inventory.adjusted", True),
        (["inventory.adjusted"], "inventory.reserved", False),
        (["inventory.*"], "inventory.adjusted", True),
        (["inventory.*"], "inventory.reservation.expired", True),
        (["inventory.*"], "inventory", False),
        (["inventory.*"], "inventory_count.adjusted", False),
        (["inventory.*"], "location.created", False),
        (["location.created", "inventory.*"], "location.created", True),
        ([], "location.created", False),
    ],
)
def test_a_subscription_receives_exact_types_prefixes_and_star(patterns, event_type, expected):
    assert subscribes_to(patterns, event_type) is expected


@pytest.mark.parametrize(
    "pattern", ["*", "inventory.adjusted", "inventory.*", "a_b.c_d.e", "merchant.created"]
)
def test_valid_patterns(pattern):
    assert invalid_pattern_reason(pattern) is None


@pytest.mark.parametrize(
    "pattern",
    [
        "",
        "Inventory.Adjusted",
        "inventory.",
        ".adjusted",
        "inventory.*.x",
        "inv*",
        "**",
        "a b",
        "x" * 81,
    ],
)
def test_invalid_patterns_say_why(pattern):
    assert invalid_pattern_reason(pattern)


def test_normalize_patterns_drops_duplicates_and_star_absorbs_the_rest():
    assert normalize_patterns(["b.x", "a.y", "b.x"]) == ["b.x", "a.y"]
    assert normalize_patterns(["a.y", "*", "b.x"]) == ["*"]


# ------------------------------------------------------------------------------- retries


def test_backoff_doubles_from_the_base_without_jitter_at_the_midpoint():
    delays = [backoff_seconds(n, base_seconds=1.0, jitter_sample=0.5) for n in range(1, 6)]
    assert delays == [1.0, 2.0, 4.0, 8.0, 16.0]


def test_backoff_starts_within_seconds_with_the_default_base():
    assert backoff_seconds(1, base_seconds=1.0, jitter_sample=0.999) < 1.25


def test_jitter_spreads_each_delay_by_at_most_twenty_percent():
    rng = random.Random(7)
    for attempt in range(1, 10):
        nominal = 0.5 * 2 ** (attempt - 1)
        for _ in range(200):
            delay = backoff_seconds(attempt, base_seconds=0.5, jitter_sample=rng.random())
            assert 0.8 * nominal <= delay <= 1.2 * nominal
    assert backoff_seconds(3, base_seconds=1.0, jitter_sample=0.0) == pytest.approx(3.2)
    assert backoff_seconds(3, base_seconds=1.0, jitter_sample=1.0) == pytest.approx(4.8)


def test_delays_grow_from_one_attempt_to_the_next_whatever_the_jitter():
    worst_next = backoff_seconds(2, base_seconds=1.0, jitter_sample=0.0)
    best_first = backoff_seconds(1, base_seconds=1.0, jitter_sample=1.0)
    assert worst_next > best_first


def test_backoff_is_capped_at_an_hour():
    assert backoff_seconds(13, base_seconds=1.0, jitter_sample=1.0) == 3600.0
    assert backoff_seconds(50, base_seconds=600.0, jitter_sample=0.5) == 3600.0
    assert backoff_seconds(10_000, base_seconds=1.0, jitter_sample=0.5) == 3600.0


def test_attempts_are_numbered_from_one():
    with pytest.raises(ValueError):
        backoff_seconds(0, base_seconds=1.0, jitter_sample=0.5)


def test_the_last_allowed_attempt_gives_up():
    assert not should_give_up(11, max_attempts=12)
    assert should_give_up(12, max_attempts=12)
    assert should_give_up(1, max_attempts=1)


@pytest.mark.parametrize(("status", "ok"), [(200, True), (204, True), (299, True), (None, False)])
def test_only_2xx_counts_as_delivered(status, ok):
    assert is_success(status) is ok


@pytest.mark.parametrize("status", [100, 301, 304, 400, 410, 429, 500, 503])
def test_redirects_and_errors_are_not_delivered(status):
    assert not is_success(status)


def test_failures_of_webhook_events_are_not_announced_again():
    assert reports_failure_of("inventory.adjusted")
    assert not reports_failure_of("webhook.delivery_failed")
    assert not reports_failure_of("webhook.test")


def test_domain_imports_neither_the_web_nor_the_database_layer():
    tree = ast.parse(Path(domain.__file__).read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert not imported & {"fastapi", "sqlalchemy", "starlette", "httpx", "pydantic"}
