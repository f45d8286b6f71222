import pytest

from omniloop.inventory.domain import Line, available, count_delta, merge_lines


def test_available_is_on_hand_less_reserved_and_safety_stock():
    assert available(10, 3, 2) == 5
    assert available(2, 2, 1) == -1


def test_merge_lines_combines_repeated_skus_and_sorts_them_for_lock_order():
    merged = merge_lines([Line("B", 1), Line("A", 2), Line("B", 3)])
    assert merged == [Line("A", 2), Line("B", 4)]


def test_merge_lines_refuses_non_positive_quantities():
    with pytest.raises(ValueError, match="positive"):
        merge_lines([Line("A", 0)])


def test_merge_lines_refuses_quantities_that_add_up_past_the_limit():
    with pytest.raises(ValueError, match="exceeds"):
        merge_lines([Line("A", 600_000_000), Line("A", 600_000_000)])


def test_count_delta_is_what_the_ledger_records():
    assert count_delta(7, 10) == 3
    assert count_delta(7, 0) == -7
