import hashlib

from omniloop.channels import meituan
from omniloop.channels.signatures import (
    eleme_api_signature,
    eleme_signature,
    eleme_verifies,
    meituan_base_string,
    meituan_signature,
    meituan_verifies,
)
from tests.unit.channels.vectors import (
    MEITUAN_SECRET,
    MEITUAN_SIG,
    MEITUAN_URL,
    meituan_new_order,
    meituan_signed,
    meituan_wire,
)


def test_meituan_test_vector_from_channels_md_yields_its_signature():
    assert meituan_signature(MEITUAN_URL, meituan_new_order(), MEITUAN_SECRET) == MEITUAN_SIG


def test_meituan_base_string_sorts_keeps_empty_values_and_appends_the_secret():
    base = meituan_base_string("https://h/p", {"b": "2", "a": "", "sig": "x"}, "S3CRET")
    assert base == "https://h/p?a=&b=2S3CRET"


def test_meituan_signature_compares_case_insensitively_and_ignores_its_own_field():
    fields = {**meituan_new_order(), "sig": MEITUAN_SIG.upper()}
    assert meituan_verifies(MEITUAN_URL, fields, MEITUAN_SECRET)


def test_meituan_signature_fails_for_another_url_secret_or_value():
    fields = {**meituan_new_order(), "sig": MEITUAN_SIG}
    assert not meituan_verifies(MEITUAN_URL + "/", fields, MEITUAN_SECRET)
    assert not meituan_verifies(MEITUAN_URL, fields, MEITUAN_SECRET[::-1])
    assert not meituan_verifies(MEITUAN_URL, {**fields, "total": "0.01"}, MEITUAN_SECRET)
    assert not meituan_verifies(MEITUAN_URL, {**fields, "sig": "非ascii签名"}, MEITUAN_SECRET)
    assert not meituan_verifies(MEITUAN_URL, meituan_new_order(), MEITUAN_SECRET)


def test_twice_encoded_form_values_verify_after_one_more_decode():
    body = meituan_wire({**meituan_new_order(), "sig": MEITUAN_SIG}).encode()
    once = meituan.form_fields("", body)
    assert once["detail"].startswith("%5B%7B%22app_food_code")
    verified = meituan.verified_fields(once, url=MEITUAN_URL, secret=MEITUAN_SECRET)
    assert verified is not None and "sig" not in verified
    assert verified["detail"].startswith('[{"app_food_code"')
    assert verified["recipient_address"] == "上海市黄浦区人民大道200号 (1号楼1201)"


def test_a_push_encoded_and_signed_only_once_is_accepted_with_its_values_as_sent():
    fields = meituan_new_order(caution="100%好评 a+b")
    body = meituan_wire(meituan_signed(fields, url=MEITUAN_URL, secret=MEITUAN_SECRET), twice=False)
    verified = meituan.verified_fields(
        meituan.form_fields("", body.encode()), url=MEITUAN_URL, secret=MEITUAN_SECRET
    )
    assert verified is not None
    assert meituan.parse(verified).order.note == "100%好评 a+b"


def test_query_and_form_fields_are_merged_with_the_form_winning():
    fields = meituan.form_fields("order_id=1&reason=from+query", b"reason=from%20form&x=")
    assert fields == {"order_id": "1", "reason": "from form", "x": ""}


def test_eleme_envelope_signature_is_uppercase_md5_of_sorted_key_values_and_secret():
    envelope = {"type": "10", "appId": "1", "message": "{}", "signature": "ignored"}
    expected = hashlib.md5(b"appId=1message={}type=10" + b"s").hexdigest().upper()
    assert eleme_signature(envelope, "s") == expected
    assert eleme_verifies({**envelope, "signature": expected.lower()}, "s")
    assert not eleme_verifies({**envelope, "signature": expected}, "other")


def test_eleme_api_signature_covers_action_token_metas_and_params_as_json():
    signature = eleme_api_signature(
        action="eleme.order.confirmOrderLite",
        token="tok",
        metas={"timestamp": 1718000000, "app_key": "k"},
        params={"orderId": "3014"},
        secret="s",
    )
    base = 'eleme.order.confirmOrderLitetokapp_key="k"orderId="3014"timestamp=1718000000s'
    assert signature == hashlib.md5(base.encode()).hexdigest().upper()
