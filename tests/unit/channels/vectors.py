"""Platform pushes as the platforms send them: the CHANNELS.md Meituan test vector, an
Ele.me envelope shaped like real ones, and the wire encodings (shared by unit and API tests)."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import quote_plus, urlencode

from omniloop.channels.signatures import eleme_signature, meituan_signature
from omniloop.webhooks.domain import sign

MEITUAN_URL = "https://omniloop.example.com/channels/meituan/order/new"
MEITUAN_SECRET = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
MEITUAN_SIG = "034b785a93259a23a85f83549c5a7a09"

MEITUAN_DETAIL = (
    '[{"app_food_code":"BURGER-01","box_num":1,"box_price":1,"cart_id":0,"food_discount":1,'
    '"food_name":"经典牛肉堡","food_property":"不要洋葱","price":25.5,"quantity":2,'
    '"sku_id":"BURGER-01-L","spec":"大份","unit":"份"},{"app_food_code":"COLA-01","box_num":0,'
    '"box_price":0,"cart_id":0,"food_discount":1,"food_name":"可乐","food_property":"",'
    '"price":6,"quantity":1,"sku_id":"COLA-01","spec":"","unit":"杯"}]'
)
MEITUAN_EXTRAS = '[{"act_detail_id":10001,"reduce_fee":5.0,"remark":"满50减5","type":2}]'


def meituan_new_order(**overrides: str) -> dict[str, str]:
    """The CHANNELS.md test vector, fully decoded, without ``sig``."""
    fields = {
        "app_id": "5123",
        "timestamp": "1718000003",
        "order_id": "27011234567890123",
        "wm_order_id_view": "27011234567890123",
        "app_poi_code": "OL-SH-001",
        "wm_poi_name": "Omniloop汉堡(人民广场店)",
        "wm_poi_address": "上海市黄浦区西藏中路1号",
        "wm_poi_phone": "021-61234567",
        "recipient_name": "张(先生)",
        "recipient_phone": "13812345678_1234",
        "recipient_address": "上海市黄浦区人民大道200号 (1号楼1201)",
        "latitude": "31.230416",
        "longitude": "121.473701",
        "shipping_fee": "4.0",
        "total": "58.0",
        "original_price": "63.0",
        "caution": "少放辣，不要香菜",
        "shipper_phone": "",
        "status": "2",
        "city_id": "310100",
        "has_invoiced": "0",
        "invoice_title": "",
        "ctime": "1717999950",
        "utime": "1717999950",
        "delivery_time": "0",
        "is_third_shipping": "0",
        "pay_type": "2",
        "day_seq": "12",
        "avg_send_time": "1800.0",
        "detail": MEITUAN_DETAIL,
        "extras": MEITUAN_EXTRAS,
    }
    fields.update(overrides)
    return fields


def meituan_signed(fields: dict[str, str], *, url: str, secret: str) -> dict[str, str]:
    return {**fields, "sig": meituan_signature(url, fields, secret)}


def meituan_wire(fields: dict[str, str], *, twice: bool = True) -> str:
    """A form body as Meituan sends it: every value URL-encoded twice (or once)."""
    values = {k: quote_plus(v) if twice else v for k, v in fields.items()}
    return urlencode(values)


ELEME_SECRET = "eleme-secret-3f1c9a"
ELEME_USER_ID = "283166468248413847"  # above 2**53: must stay exact


def eleme_order_message(**overrides: Any) -> dict[str, Any]:
    """A type-10 message shaped like the ones Ele.me sends (money in yuan)."""
    message: dict[str, Any] = {
        "id": "3014728511382982849",
        "orderId": "3014728511382982849",
        "address": "南昌大学共青学院-学生公寓一栋111",
        "createdAt": "2024-06-10T12:08:07",
        "activeAt": "2024-06-10T12:08:07",
        "deliverFee": 3.0,
        "deliverTime": None,
        "description": "多加冰",
        "groups": [
            {
                "name": "1号篮子",
                "type": "normal",
                "items": [
                    {
                        "id": 1298577560,
                        "skuId": 200000100943422213,
                        "name": "台湾烤肠",
                        "price": 5.0,
                        "quantity": 2,
                        "total": 10.0,
                        "newSpecs": [],
                        "attributes": [],
                        "extendCode": "SAUSAGE",
                    },
                    {
                        "id": 1288279667,
                        "skuId": 200000090398379781,
                        "name": "烧仙草奶茶-大杯热",
                        "price": 14.0,
                        "quantity": 1,
                        "total": 14.0,
                        "newSpecs": [{"name": "规格", "value": "大杯"}],
                        "attributes": [{"name": "温度", "value": "热"}],
                        "extendCode": "",
                    },
                ],
            }
        ],
        "onlinePaid": True,
        "phoneList": ["15079241539,1234"],
        "shopId": 156898280,
        "daySn": 6,
        "totalPrice": 17.0,
        "originalPrice": 27.0,
        "consignee": "马成鹏(先生)",
        "deliveryGeo": "115.80731995,29.22636934",
        "deliveryPoiAddress": "南昌大学共青学院-学生公寓一栋111",
        "income": 13.6,
        "packageFee": 0.0,
        "openId": "OL-NC-001",
        "orderActivities": [{"categoryId": 12, "name": "在线支付立减优惠", "amount": -10.0}],
    }
    message.update(overrides)
    return message


def eleme_body(push_type: int, message: dict[str, Any], *, secret: str = ELEME_SECRET) -> bytes:
    """An Ele.me envelope as bytes, signed over its wire text (big ids unquoted)."""
    message_text = json.dumps(message, ensure_ascii=False, separators=(",", ":"))
    wire = {
        "requestId": "200007211657667333",
        "type": str(push_type),
        "appId": "65929831",
        "message": message_text,
        "shopId": "156898280",
        "timestamp": "1718000003123",
        "userId": ELEME_USER_ID,
    }
    signature = eleme_signature(wire, secret)
    # Numbers go on the wire as bare JSON numbers, exactly as the platform writes them.
    return (
        "{"
        f'"requestId":"{wire["requestId"]}","type":{push_type},"appId":{wire["appId"]},'
        f'"message":{json.dumps(message_text, ensure_ascii=False)},'
        f'"shopId":{wire["shopId"]},"timestamp":{wire["timestamp"]},'
        f'"signature":"{signature}","userId":{wire["userId"]}'
        "}"
    ).encode()


def generic_headers(secret: str, body: bytes, *, at: int | None = None) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "Omniloop-Signature": sign(secret, at if at is not None else int(time.time()), body),
    }


def generic_order(external_id: str = "G-1001", store: str = "S001", **overrides: Any) -> dict:
    body: dict[str, Any] = {
        "kind": "new_order",
        "external_id": external_id,
        "store": store,
        "lines": [{"code": "TEA-L", "name": "Tea", "qty": 2, "unit_price": 1200}],
        "fees": [{"kind": "shipping", "amount": 500}],
        "discounts": [{"amount": 300, "remark": "coupon"}],
        "total": 2600,
        "customer": {"name": "Li", "phone": "13800000000"},
        "address": {"text": "1 Road", "lat": 31.23, "lng": 121.47},
        "placed_at": "2024-06-10T08:00:00Z",
    }
    body.update(overrides)
    return body
