"""Marketing rules without a database: codes, bots, landings, attribution, report math."""

from __future__ import annotations

import ast
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from omniloop.marketing import domain
from omniloop.marketing.domain import (
    CODE_ALPHABET,
    Attribution,
    AttributionModel,
    AttributionRule,
    CampaignRules,
    InvalidCampaign,
    LandingType,
    Touch,
    attribute_touches,
    check_campaign,
    check_http_url,
    csv_text,
    explicit_attribution,
    in_campaign_window,
    is_bot,
    is_visitor_id,
    landing_url,
    new_tracking_code,
    new_visitor_id,
    normalize_code,
    ratio,
    roi,
    utc_offsets,
)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
A, B, C = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


def rules(campaign_id, model=AttributionModel.LAST_TOUCH, window=7, channels=(), locations=()):
    return CampaignRules(
        campaign_id=campaign_id,
        window_days=window,
        model=model,
        channels=frozenset(channels),
        locations=frozenset(locations),
    )


def touch(campaign_id, days_before_order, code=None):
    return Touch(
        exposure_id=uuid.uuid4(),
        tracking_code=code or f"{str(campaign_id)[:4].upper()}{days_before_order:04d}",
        campaign_id=campaign_id,
        exposed_at=T0 - timedelta(days=days_before_order),
    )


def attribute(touches, campaigns, channel="own_app", location="S1", at=T0):
    by_id = {c.campaign_id: c for c in campaigns}
    return attribute_touches(touches, by_id, channel=channel, location=location, at=at)


# --------------------------------------------------------------------------- codes


def test_tracking_codes_are_eight_base32_characters_and_differ():
    codes = {new_tracking_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(c) == 8 and set(c) <= set(CODE_ALPHABET) for c in codes)


def test_a_code_is_read_in_any_case_and_anything_else_is_not_a_code():
    assert normalize_code(" abcd2345 ") == "ABCD2345"
    for not_a_code in (None, "", "ABCD234", "ABCD23456", "ABCD0123", "ABCD-234", "ÄBCD2345"):
        assert normalize_code(not_a_code) is None


def test_visitor_ids_are_random_and_only_such_ids_are_accepted():
    first, second = new_visitor_id(), new_visitor_id()
    assert first != second and is_visitor_id(first) and is_visitor_id(second)
    for forged in (None, "", "short", "x" * 65, "has space in it ok", "<script>alert(1)</script>"):
        assert not is_visitor_id(forged)


@pytest.mark.parametrize(
    "agent",
    [
        "",
        "   ",
        None,
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Baiduspider-render/2.0",
        "Slack-LinkExpanding 1.0 (+https://api.slack.com/robots) Preview",
        "curl/8.4.0",
        "Wget/1.21",
        "python-requests/2.31",
        "Mozilla/5.0 HeadlessChrome/120.0",
        "Sogou web spider/4.0",
        "facebookexternalhit crawler",
    ],
)
def test_bots_are_told_by_a_simple_user_agent_rule(agent):
    assert is_bot(agent)


def test_browsers_and_wechat_are_people():
    assert not is_bot("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) MicroMessenger/8.0.44")
    assert not is_bot("Mozilla/5.0 (Linux; Android 14) Chrome/120.0 Mobile Safari/537.36")


# --------------------------------------------------------------------------- landings


def test_landings_go_to_our_pages_with_the_code_or_to_the_merchants_url_as_given():
    def land(landing_type, value):
        base = "https://shop.example.com/"
        return landing_url(base_url=base, code="ABCD2345", landing_type=landing_type, value=value)

    assert land(LandingType.STORE, "S1") == "https://shop.example.com/stores/S1?tc=ABCD2345"
    assert land(LandingType.PRODUCT, "TEA/L") == (
        "https://shop.example.com/products/TEA%2FL?tc=ABCD2345"
    )
    assert land(LandingType.COUPON, "c-1") == "https://shop.example.com/t/ABCD2345/claim"
    url = "https://mp.weixin.qq.com/s/abc?x=1"
    assert land(LandingType.URL, url) == url


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "ftp://files.example.com/x", "//example.com/x", "/stores/S1",
     "https://", "https://exa mple.com", "https://example.com:99999/", "data:text/html,hi"],
)  # fmt: skip
def test_only_absolute_http_urls_are_landings(url):
    with pytest.raises(InvalidCampaign):
        check_http_url(url)


def test_an_http_url_landing_is_kept_as_given():
    assert check_http_url(" http://example.com/a?b=1 ") == "http://example.com/a?b=1"


# --------------------------------------------------------------------------- campaigns


def valid_campaign(**overrides):
    fields = {
        "name": "Spring tea",
        "cost": 100_000,
        "starts_at": T0,
        "ends_at": T0 + timedelta(days=30),
        "channels": ["own_app", "pos"],
        "locations": ["S1"],
        "attribution_window_days": 7,
    }
    fields.update(overrides)
    return fields


def test_a_valid_campaign_passes():
    check_campaign(**valid_campaign())


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": "  "}, "name"),
        ({"cost": -1}, "cost"),
        ({"cost": True}, "cost"),
        ({"ends_at": T0}, "ends_at"),
        ({"ends_at": T0 - timedelta(seconds=1)}, "ends_at"),
        ({"attribution_window_days": 0}, "attribution_window_days"),
        ({"attribution_window_days": 366}, "attribution_window_days"),
        ({"channels": ["own_app", "own_app"]}, "channels"),
        ({"channels": ["Own App"]}, "channels"),
        ({"locations": ["S1", "S1"]}, "locations"),
        ({"starts_at": datetime(2026, 3, 1)}, "starts_at"),
    ],
)
def test_campaign_rules_name_the_field_they_refuse(overrides, field):
    with pytest.raises(InvalidCampaign) as refused:
        check_campaign(**valid_campaign(**overrides))
    assert refused.value.field == field


def test_the_campaign_window_includes_both_ends():
    window = {"starts_at": T0, "ends_at": T0 + timedelta(days=1)}
    assert in_campaign_window(T0, **window) and in_campaign_window(T0 + timedelta(days=1), **window)
    assert not in_campaign_window(T0 - timedelta(microseconds=1), **window)
    assert not in_campaign_window(T0 + timedelta(days=1, microseconds=1), **window)


# --------------------------------------------------------------------------- attribution


def test_an_explicit_code_wins_without_any_exposure():
    found = explicit_attribution("ABCD2345", rules(A), channel="pos", location="S9")
    assert found == Attribution("ABCD2345", A, AttributionRule.EXPLICIT, None)


def test_an_explicit_code_of_a_campaign_excluding_the_channel_or_store_does_not_count():
    limited = rules(A, channels=["own_app"], locations=["S1"])
    assert explicit_attribution("ABCD2345", limited, channel="pos", location="S1") is None
    assert explicit_attribution("ABCD2345", limited, channel="own_app", location="S2") is None
    assert explicit_attribution("ABCD2345", limited, channel="own_app", location=None) is None
    assert explicit_attribution("ABCD2345", limited, channel="own_app", location="S1")


def test_last_touch_credits_the_latest_exposure():
    early, late = touch(A, 5), touch(A, 1)
    found = attribute([early, late], [rules(A)])
    assert found == Attribution(late.tracking_code, A, AttributionRule.LAST_TOUCH, late.exposed_at)


def test_first_touch_credits_the_earliest_exposure_within_the_window():
    early, late = touch(A, 5), touch(A, 1)
    found = attribute([late, early], [rules(A, AttributionModel.FIRST_TOUCH)])
    assert found == Attribution(
        early.tracking_code, A, AttributionRule.FIRST_TOUCH, early.exposed_at
    )


def test_exposures_older_than_the_window_or_after_the_order_do_not_count():
    assert attribute([touch(A, 8)], [rules(A, window=7)]) is None
    assert attribute([touch(A, 7)], [rules(A, window=7)]) is not None  # the window's last moment
    after = Touch(uuid.uuid4(), "LATER234", A, T0 + timedelta(seconds=1))
    assert attribute([after], [rules(A)]) is None
    stale, fresh = touch(A, 20), touch(A, 3)
    first_touch = rules(A, AttributionModel.FIRST_TOUCH, window=7)
    assert attribute([stale, fresh], [first_touch]).exposed_at == fresh.exposed_at


def test_each_campaign_measures_its_own_window():
    long_ago = touch(A, 20)
    assert attribute([long_ago, touch(B, 10)], [rules(A, window=30), rules(B, window=7)]) == (
        Attribution(long_ago.tracking_code, A, AttributionRule.LAST_TOUCH, long_ago.exposed_at)
    )


def test_a_campaign_that_excludes_the_order_is_passed_over_for_one_that_does_not():
    pos_only, anywhere = touch(A, 1), touch(B, 3)
    campaigns = [rules(A, channels=["pos"]), rules(B)]
    assert attribute([pos_only, anywhere], campaigns, channel="own_app").campaign_id == B
    assert attribute([pos_only, anywhere], campaigns, channel="pos").campaign_id == A
    in_s2 = [rules(A, locations=["S2"]), rules(B, locations=["S2"])]
    assert attribute([pos_only, anywhere], in_s2, location="S1") is None


def test_across_last_touch_campaigns_the_latest_touch_wins():
    assert attribute([touch(A, 4), touch(B, 2), touch(A, 3)], [rules(A), rules(B)]).campaign_id == B


def test_across_first_touch_campaigns_the_earliest_touch_wins():
    first = AttributionModel.FIRST_TOUCH
    found = attribute([touch(A, 2), touch(B, 4), touch(A, 3)], [rules(A, first), rules(B, first)])
    assert (found.campaign_id, found.rule) == (B, AttributionRule.FIRST_TOUCH)


def test_a_first_touch_campaign_wins_when_it_touched_first():
    introduced = touch(A, 6)
    found = attribute(
        [introduced, touch(B, 2), touch(A, 1)],
        [rules(A, AttributionModel.FIRST_TOUCH), rules(B)],
    )
    assert found == Attribution(
        introduced.tracking_code, A, AttributionRule.FIRST_TOUCH, introduced.exposed_at
    )


def test_otherwise_the_campaign_of_the_last_touch_wins_by_its_own_model():
    b_first, b_last = touch(B, 3), touch(B, 1)
    found = attribute(
        [touch(A, 5), b_first, b_last],
        [rules(A), rules(B, AttributionModel.FIRST_TOUCH)],
    )
    assert found == Attribution(
        b_first.tracking_code, B, AttributionRule.FIRST_TOUCH, b_first.exposed_at
    )


def test_touches_of_unknown_campaigns_are_ignored_and_ties_do_not_depend_on_order():
    assert attribute([touch(C, 1)], [rules(A)]) is None
    same_time = [touch(A, 1), touch(B, 1)]
    campaigns = [rules(A), rules(B)]
    assert attribute(same_time, campaigns) == attribute(list(reversed(same_time)), campaigns)


def test_the_attribution_is_stored_on_the_order_as_json():
    found = Attribution("ABCD2345", A, AttributionRule.LAST_TOUCH, T0)
    assert found.as_json() == {
        "rule": "last_touch",
        "tracking_code": "ABCD2345",
        "campaign_id": str(A),
        "exposed_at": "2026-03-01T12:00:00+00:00",
    }


# --------------------------------------------------------------------------- report math


def test_ratios_have_four_places_rounded_half_up_and_none_without_a_denominator():
    assert ratio(1, 3) == "0.3333"
    assert ratio(2, 3) == "0.6667"
    assert ratio(1, 8) == "0.1250"
    assert ratio(5, 100_000) == "0.0001"  # 0.00005 rounds up
    assert ratio(0, 5) == "0.0000"
    assert ratio(7, 2) == "3.5000"
    assert ratio(3, 0) is None


def test_roi_is_net_revenue_less_cost_over_cost():
    assert roi(net_revenue=150_00, cost=100_00) == "0.5000"
    assert roi(net_revenue=20_00, cost=100_00) == "-0.8000"
    assert roi(net_revenue=10**12, cost=1) == "999999999999.0000"
    assert roi(net_revenue=5_00, cost=0) is None


def test_csv_text_cells_cannot_become_formulas():
    assert csv_text("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert csv_text("-1+1") == "'-1+1"
    assert csv_text("S1") == "S1"
    assert csv_text(None) == ""


def test_utc_offsets_of_a_zone_without_summer_time_is_one_period():
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert utc_offsets("Asia/Shanghai", start, start + timedelta(days=400)) == [(start, 8 * 3600)]


def test_utc_offsets_find_each_summer_time_change_to_the_second():
    start = datetime(2026, 1, 1, 0, 0, 0, 123, tzinfo=UTC)
    periods = utc_offsets("Europe/Berlin", start, datetime(2027, 1, 1, tzinfo=UTC))
    assert periods == [
        (datetime(2026, 1, 1, tzinfo=UTC), 3600),
        (datetime(2026, 3, 29, 1, 0, tzinfo=UTC), 7200),
        (datetime(2026, 10, 25, 1, 0, tzinfo=UTC), 3600),
    ]
    berlin = ZoneInfo("Europe/Berlin")
    for at, offset in periods[1:]:
        assert (at - timedelta(seconds=1)).astimezone(berlin).utcoffset() != timedelta(
            seconds=offset
        )
        assert at.astimezone(berlin).utcoffset() == timedelta(seconds=offset)


def test_domain_imports_neither_web_nor_database():
    tree = ast.parse(Path(domain.__file__).read_text())
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not {n for n in names if n.split(".")[0] in {"fastapi", "sqlalchemy", "pydantic"}}
