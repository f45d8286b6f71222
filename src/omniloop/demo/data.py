"""The demo chain as plain data: one Shanghai tea-and-bakery merchant, its locations and menu.

Pure Python, no database and no web framework: the seeding code turns these values into rows.
Coordinates are WGS-84 (not the GCJ-02 of Chinese map apps) and put each store in the
neighbourhood its name says. Prices are integers in fen (CNY minor units). Stock comes from
`stock_plan`, which is deterministic so that every seeded demo looks the same.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

MERCHANT_NAME = "Omniloop Tea & Bakery 茶与面包"
CURRENCY = "CNY"
TIMEZONE = "Asia/Shanghai"

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# {"mon": [["08:00", "22:00"]], ...}: a missing day is closed, a close earlier than the open
# crosses midnight, ["00:00", "24:00"] is open all day.
OpeningHours = dict[str, list[list[str]]]

STORE = "store"
CENTRAL_KITCHEN = "central_kitchen"
WAREHOUSE = "warehouse"


@dataclass(frozen=True, slots=True)
class DemoLocation:
    code: str
    name: str
    kind: str
    lat: float
    lng: float
    address: str
    service_radius_km: float
    priority: int
    # Left out of the hash so that a location stays hashable; copy it before storing it.
    opening_hours: OpeningHours | None = field(default=None, hash=False)
    timezone: str = TIMEZONE


@dataclass(frozen=True, slots=True)
class DemoSku:
    sku: str
    name: str
    price: int


@dataclass(frozen=True, slots=True)
class DemoProduct:
    slug: str
    name: str
    category: str
    description: str
    image_url: str
    skus: tuple[DemoSku, ...]


@dataclass(frozen=True, slots=True)
class DemoPriceOverride:
    """An absolute price for one SKU on a channel or at a location (the other is None)."""

    sku: str
    price: int
    channel: str | None = None
    location_code: str | None = None


def _week(
    open_: str = "08:00",
    close: str = "22:00",
    *,
    closed: tuple[str, ...] = (),
    days: OpeningHours | None = None,
) -> OpeningHours:
    """The same hours every day, except the days `closed` and those given in `days`."""
    hours = {day: [[open_, close]] for day in WEEKDAYS if day not in closed}
    # Copied, so that no two locations share a list that the caller might mutate.
    hours.update(
        {day: [list(interval) for interval in spans] for day, spans in (days or {}).items()}
    )
    return hours


_LATE_WEEKEND = {"fri": [["08:00", "01:00"]], "sat": [["08:00", "01:00"]]}
_OFFICE = {"sat": [["09:00", "21:00"]], "sun": [["09:00", "21:00"]]}


def _store(
    code: str,
    name: str,
    lat: float,
    lng: float,
    address: str,
    *,
    hours: OpeningHours | None = None,
    radius_km: float = 3.0,
    priority: int = 5,
) -> DemoLocation:
    return DemoLocation(
        code=code,
        name=name,
        kind=STORE,
        lat=lat,
        lng=lng,
        address=address,
        service_radius_km=radius_km,
        priority=priority,
        opening_hours=hours if hours is not None else _week(),
    )


# fmt: off
STORES: tuple[DemoLocation, ...] = (
    _store("SH-001", "人民广场店 People's Square", 31.232500, 121.473600,
           "上海市黄浦区西藏中路268号", hours=_week(close="23:00"), priority=8),
    _store("SH-002", "南京东路店 Nanjing Road East", 31.237900, 121.482300,
           "上海市黄浦区南京东路353号", hours=_week(days=_LATE_WEEKEND), priority=7),
    _store("SH-003", "陆家嘴店 Lujiazui", 31.236500, 121.502000,
           "上海市浦东新区世纪大道8号", hours=_week("07:00", "21:00", days=_OFFICE), priority=9),
    _store("SH-004", "徐家汇店 Xujiahui", 31.194600, 121.436800,
           "上海市徐汇区虹桥路1号", priority=8),
    _store("SH-005", "静安寺店 Jing'an Temple", 31.223400, 121.445700,
           "上海市静安区南京西路1618号", hours=_week(close="23:00"), priority=7),
    _store("SH-006", "中山公园店 Zhongshan Park", 31.221700, 121.417400,
           "上海市长宁区长宁路1018号", priority=6),
    _store("SH-007", "五角场店 Wujiaochang", 31.299800, 121.514200,
           "上海市杨浦区淞沪路8号", hours=_week(days=_LATE_WEEKEND), radius_km=4.0, priority=6),
    _store("SH-008", "虹桥天地店 Hongqiao Tiandi", 31.192300, 121.306400,
           "上海市闵行区申长路688号", hours=_week("07:00", "21:00", days=_OFFICE),
           radius_km=4.0, priority=5),
    _store("SH-009", "新天地店 Xintiandi", 31.219800, 121.474500,
           "上海市黄浦区马当路245号", hours=_week(days=_LATE_WEEKEND), priority=8),
    _store("SH-010", "世纪大道店 Century Avenue", 31.228500, 121.516800,
           "上海市浦东新区世纪大道1192号", hours=_week("07:00", "21:00", days=_OFFICE), priority=6),
    _store("SH-011", "张江店 Zhangjiang", 31.202600, 121.587200,
           "上海市浦东新区祖冲之路2288号",
           hours=_week("07:30", "20:30", closed=("sun",), days={"sat": [["10:00", "18:00"]]}),
           radius_km=5.0, priority=4),
    _store("SH-012", "虹口足球场店 Hongkou Football Stadium", 31.272300, 121.481000,
           "上海市虹口区东江湾路444号", radius_km=3.5, priority=5),
    _store("SH-013", "七宝店 Qibao", 31.155900, 121.349800,
           "上海市闵行区七宝镇新镇路79号",
           hours=_week(days={day: [["09:00", "14:00"], ["16:00", "21:30"]] for day in WEEKDAYS}),
           radius_km=4.0, priority=3),
    _store("SH-014", "松江大学城店 Songjiang University Town", 31.050600, 121.226800,
           "上海市松江区文汇路1128弄", hours=_week("09:00", "21:00"), radius_km=5.0, priority=2),
    _store("SH-015", "莘庄店 Xinzhuang", 31.111000, 121.385000,
           "上海市闵行区沪闵路6088号", radius_km=4.0, priority=5),
    _store("SH-016", "金桥店 Jinqiao", 31.258400, 121.581800,
           "上海市浦东新区张杨路3611弄", radius_km=4.5, priority=4),
    _store("SH-017", "田子坊店 Tianzifang", 31.208500, 121.468900,
           "上海市黄浦区泰康路210弄", hours=_week("09:00", "22:00"), priority=6),
    _store("SH-018", "天山路店 Tianshan Road", 31.213500, 121.399200,
           "上海市长宁区天山路789号", priority=4),
    _store("SH-019", "四川北路店 North Sichuan Road", 31.255600, 121.484400,
           "上海市虹口区四川北路1318号", priority=5),
    _store("SH-020", "大宁店 Daning", 31.279500, 121.457200,
           "上海市静安区共和新路1878号", radius_km=3.5, priority=5),
    _store("SH-021", "长风公园店 Changfeng Park", 31.226700, 121.395000,
           "上海市普陀区大渡河路196号", radius_km=3.5, priority=4),
    _store("SH-022", "思南公馆店 Sinan Mansions", 31.214100, 121.466800,
           "上海市黄浦区思南路55号", hours=_week("10:00", "22:00", closed=("mon",)),
           priority=6),
    _store("SH-023", "上海火车站店 Shanghai Railway Station", 31.250300, 121.452600,
           "上海市静安区秣陵路303号", hours=_week("00:00", "24:00"), priority=7),
    _store("SH-024", "古北店 Gubei", 31.199000, 121.397000,
           "上海市长宁区黄金城道555号", priority=5),
    _store("SH-025", "上海南站店 Shanghai South Railway Station", 31.154500, 121.427800,
           "上海市徐汇区沪闵路9001号", hours=_week("06:30", "22:30"), radius_km=4.0,
           priority=5),
    _store("SH-026", "前滩店 Qiantan", 31.150900, 121.472600,
           "上海市浦东新区东育路500弄", radius_km=4.0, priority=6),
    _store("SH-027", "嘉定州桥店 Jiading Old Town", 31.383500, 121.246000,
           "上海市嘉定区南大街286号", hours=_week("09:00", "21:00"), radius_km=5.0,
           priority=2),
    _store("SH-028", "川沙店 Chuansha", 31.190400, 121.698800,
           "上海市浦东新区川沙镇南市街88号", hours=_week("09:00", "21:00"), radius_km=5.0,
           priority=3),
)
# fmt: on

CENTRAL_KITCHEN_LOCATION = DemoLocation(
    code="SH-CK1",
    name="莘庄中央厨房 Xinzhuang Central Kitchen",
    kind=CENTRAL_KITCHEN,
    lat=31.085000,
    lng=121.355000,
    address="上海市闵行区莘庄工业区春东路508号",
    service_radius_km=25.0,
    priority=5,
)

WAREHOUSE_LOCATION = DemoLocation(
    code="SH-WH1",
    name="浦东机场物流园仓 Pudong Airport Logistics Park Warehouse",
    kind=WAREHOUSE,
    lat=31.172000,
    lng=121.779500,
    address="上海市浦东新区闻居路1333号",
    service_radius_km=30.0,
    priority=1,
)

LOCATIONS: tuple[DemoLocation, ...] = (*STORES, CENTRAL_KITCHEN_LOCATION, WAREHOUSE_LOCATION)

CATEGORIES: dict[str, str] = {
    "milk_tea": "奶茶 Milk Tea",
    "fruit_tea": "果茶 Fruit Tea",
    "coffee": "咖啡 Coffee",
    "bread": "面包 Bread",
    "cake": "蛋糕 Cakes",
    "pastry": "酥点 Pastries",
}

DRINK_CATEGORIES = frozenset({"milk_tea", "fruit_tea", "coffee"})

# Default safety stock per location and SKU: fresh drinks are made to order, baked goods keep one
# or two back for display and breakage.
SAFETY_STOCK: dict[str, int] = {
    "milk_tea": 0,
    "fruit_tea": 0,
    "coffee": 0,
    "bread": 2,
    "cake": 1,
    "pastry": 2,
}

_CUP = (("M", "中杯 M"), ("L", "大杯 L"))
_CAKE = (("6IN", "6寸 6-inch"), ("8IN", "8寸 8-inch"))


def _product(
    slug: str,
    code: str,
    name: tuple[str, str],
    category: str,
    about: tuple[str, str],
    prices: tuple[int, ...],
    sizes: tuple[tuple[str, str], ...] = _CUP,
) -> DemoProduct:
    """A product from its (Chinese, English) name and description and one price per size."""
    if len(sizes) != len(prices):
        raise ValueError(f"{code}: {len(sizes)} sizes but {len(prices)} prices")
    name_zh, name_en = name
    skus = tuple(
        DemoSku(
            sku=f"{code}-{suffix}" if suffix else code,
            name=f"{name_zh} {label}" if label else name_zh,
            price=price,
        )
        for (suffix, label), price in zip(sizes, prices, strict=True)
    )
    return DemoProduct(
        slug=slug,
        name=f"{name_zh} {name_en}",
        category=category,
        description=" ".join(about),
        image_url=f"https://images.example.com/{slug}.jpg",
        skus=skus,
    )


_SINGLE = (("", ""),)
_PIECE_OR_BOX_OF_6 = (("1", "单个 Single"), ("6", "6只装 Box of 6"))

# fmt: off
PRODUCTS: tuple[DemoProduct, ...] = (
    _product("brown-sugar-boba-milk-tea", "MT-BROWN",
             ("黑糖珍珠奶茶", "Brown Sugar Boba Milk Tea"), "milk_tea",
             ("黑糖熬煮珍珠配鲜奶与阿萨姆红茶。",
              "Slow-cooked brown sugar pearls, fresh milk and Assam black tea."),
             (1600, 1900)),
    _product("jasmine-milk-green", "MT-JASMINE",
             ("茉莉奶绿", "Jasmine Milk Green Tea"), "milk_tea",
             ("茉莉绿茶与鲜奶，清香不腻。", "Jasmine green tea with fresh milk."),
             (1500, 1800)),
    _product("cheese-foam-oolong", "MT-OOLONG",
             ("芝士乌龙", "Cheese Foam Oolong"), "milk_tea",
             ("炭焙乌龙茶顶覆咸芝士奶盖。", "Roasted oolong under a salted cheese foam."),
             (1900, 2200)),
    _product("taro-mochi-milk-tea", "MT-TARO",
             ("芋泥麻薯奶茶", "Taro Mochi Milk Tea"), "milk_tea",
             ("手捣荔浦芋泥与软糯麻薯。", "Hand-mashed taro and chewy mochi in milk tea."),
             (2200, 2600)),
    _product("mango-pomelo-sago", "FT-MANGO",
             ("杨枝甘露", "Mango Pomelo Sago"), "fruit_tea",
             ("新鲜芒果、红西柚与西米。", "Fresh mango, pomelo and sago in coconut milk."),
             (2200, 2600)),
    _product("grapefruit-jasmine-tea", "FT-GRAPEFRUIT",
             ("满杯红柚", "Ruby Grapefruit Jasmine Tea"), "fruit_tea",
             ("整颗红西柚果肉配茉莉绿茶。", "A whole ruby grapefruit over jasmine green tea."),
             (1900, 2300)),
    _product("cheese-grape-tea", "FT-GRAPE",
             ("多肉葡萄", "Cheese Foam Grape Tea"), "fruit_tea",
             ("巨峰葡萄现剥果肉，绿茶底加芝士奶盖。",
              "Hand-peeled Kyoho grapes, green tea and cheese foam."),
             (2300, 2800)),
    _product("smashed-lemon-tea", "FT-LEMON",
             ("暴打柠檬茶", "Smashed Lemon Tea"), "fruit_tea",
             ("香水柠檬现捶出汁，单丛茶底。", "Smashed fragrant lemon over Dancong oolong."),
             (1500, 1800)),
    _product("americano", "CF-AMERICANO",
             ("美式咖啡", "Americano"), "coffee",
             ("云南保山豆双份浓缩。", "A double shot of Yunnan Baoshan espresso and water."),
             (1500, 1800)),
    _product("cafe-latte", "CF-LATTE",
             ("拿铁", "Caffè Latte"), "coffee",
             ("浓缩咖啡与蒸汽鲜奶。", "Espresso and steamed fresh milk."),
             (1800, 2200)),
    _product("coconut-latte", "CF-COCONUT",
             ("生椰拿铁", "Fresh Coconut Latte"), "coffee",
             ("生椰乳与浓缩咖啡，冰饮更佳。", "Fresh coconut milk and espresso, best iced."),
             (2000, 2400)),
    _product("hokkaido-milk-toast", "BR-TOAST",
             ("北海道吐司", "Hokkaido Milk Toast"), "bread",
             ("汤种工艺，柔软拉丝，整条装。", "Tangzhong milk loaf, soft and stringy, whole."),
             (1800,), _SINGLE),
    _product("pork-floss-bun", "BR-FLOSS",
             ("肉松面包", "Pork Floss Bun"), "bread",
             ("沙拉酱裹满肉松。", "Soft bun rolled in mayonnaise and pork floss."),
             (1200,), _SINGLE),
    _product("cheese-bun", "BR-CHEESE",
             ("爆浆奶酪包", "Molten Cheese Bun"), "bread",
             ("软欧包夹奶油奶酪馅。", "Soft rye bun filled with cream cheese."),
             (1500,), _SINGLE),
    _product("baguette", "BR-BAGUETTE",
             ("法棍", "Baguette"), "bread",
             ("每日现烤传统法棍。", "Traditional baguette, baked every morning."),
             (1000,), _SINGLE),
    _product("strawberry-cream-cake", "CAKE-STRAWBERRY",
             ("草莓奶油蛋糕", "Strawberry Cream Cake"), "cake",
             ("戚风蛋糕、动物奶油与新鲜草莓。", "Chiffon, fresh cream and strawberries."),
             (16800, 22800), _CAKE),
    _product("chocolate-mousse-cake", "CAKE-CHOCO",
             ("黑巧克力慕斯", "Dark Chocolate Mousse Cake"), "cake",
             ("70%黑巧克力慕斯。", "70% dark chocolate mousse on a cocoa sponge."),
             (18800, 25800), _CAKE),
    _product("mango-crepe-cake", "CAKE-MANGO",
             ("芒果千层", "Mango Mille Crêpe"), "cake",
             ("二十层薄饼夹芒果与奶油。", "Twenty crêpes layered with mango and cream."),
             (3200, 19800), (("SLICE", "切块 Slice"), ("6IN", "6寸 6-inch"))),
    _product("tiramisu", "CAKE-TIRAMISU",
             ("提拉米苏", "Tiramisu"), "cake",
             ("马斯卡彭奶酪与咖啡酒浸手指饼。", "Mascarpone and coffee-soaked ladyfingers."),
             (3500, 29800), (("SLICE", "切块 Slice"), ("8IN", "8寸 8-inch"))),
    _product("egg-yolk-pastry", "PA-YOLK",
             ("蛋黄酥", "Salted Egg Yolk Pastry"), "pastry",
             ("咸蛋黄、红豆沙与千层酥皮。", "Salted egg yolk and red bean in flaky pastry."),
             (800, 4200), _PIECE_OR_BOX_OF_6),
    _product("portuguese-egg-tart", "PA-EGGTART",
             ("葡式蛋挞", "Portuguese Egg Tart"), "pastry",
             ("焦糖表面，酥皮现烤。", "Caramelised custard in a fresh-baked puff shell."),
             (800, 2800), (("1", "单个 Single"), ("4", "4只装 Box of 4"))),
    _product("fresh-meat-mooncake", "PA-MOONCAKE",
             ("鲜肉月饼", "Shanghai Fresh Meat Mooncake"), "pastry",
             ("苏式酥皮包鲜猪肉馅，趁热吃。", "Flaky Suzhou-style pastry, juicy pork; eat hot."),
             (600, 3300), _PIECE_OR_BOX_OF_6),
    _product("butter-croissant", "PA-CROISSANT",
             ("黄油可颂", "Butter Croissant"), "pastry",
             ("法国发酵黄油，层层酥脆。", "French cultured butter, many flaky layers."),
             (1500,), _SINGLE),
)
# fmt: on

SKUS: tuple[DemoSku, ...] = tuple(sku for product in PRODUCTS for sku in product.skus)

_CATEGORY_OF_SKU: dict[str, str] = {
    sku.sku: product.category for product in PRODUCTS for sku in product.skus
}
_PRICE_OF_SKU: dict[str, int] = {sku.sku: sku.price for sku in SKUS}

# Meituan orders cost 2 yuan more on the best sellers (platform commission); the Lujiazui
# office crowd gets 1 yuan off a medium Americano.
MEITUAN_MARKUP = 200
PRICE_OVERRIDES: tuple[DemoPriceOverride, ...] = (
    *(
        DemoPriceOverride(sku=code, price=_PRICE_OF_SKU[code] + MEITUAN_MARKUP, channel="meituan")
        for code in ("MT-BROWN-M", "MT-BROWN-L", "FT-GRAPE-M", "FT-GRAPE-L")
    ),
    DemoPriceOverride(
        sku="CF-AMERICANO-M",
        price=_PRICE_OF_SKU["CF-AMERICANO-M"] - 100,
        location_code="SH-003",
    ),
)

# Sold out on purpose, so that "nearby stores with this SKU" skips the nearest store.
SOLD_OUT: frozenset[tuple[str, str]] = frozenset(
    {
        ("SH-001", "CAKE-TIRAMISU-8IN"),
        ("SH-002", "FT-GRAPE-L"),
        ("SH-009", "CAKE-STRAWBERRY-8IN"),
        ("SH-003", "PA-YOLK-6"),
        ("SH-022", "CF-COCONUT-L"),
    }
)

# Inclusive on-hand ranges per category, for stores and for the two hubs.
_STORE_STOCK: dict[str, tuple[int, int]] = {
    "milk_tea": (40, 200),
    "fruit_tea": (40, 200),
    "coffee": (40, 200),
    "bread": (10, 60),
    "cake": (2, 12),
    "pastry": (12, 80),
}
_HUB_STOCK: dict[str, tuple[int, int]] = {
    "milk_tea": (400, 1200),
    "fruit_tea": (400, 1200),
    "coffee": (400, 1200),
    "bread": (200, 600),
    "cake": (30, 100),
    "pastry": (200, 800),
}
_KIND_OF_LOCATION: dict[str, str] = {location.code: location.kind for location in LOCATIONS}


def category_of(sku: str) -> str:
    """The category of a demo SKU; KeyError for an unknown one."""
    return _CATEGORY_OF_SKU[sku]


def safety_stock_for(sku: str) -> int:
    """The default safety stock of a demo SKU at any location."""
    return SAFETY_STOCK[category_of(sku)]


def stock_plan(location_code: str, sku: str) -> int:
    """The on-hand quantity seeded for a SKU at a location, the same on every run."""
    kind = _KIND_OF_LOCATION.get(location_code)
    if kind is None:
        raise KeyError(f"unknown demo location {location_code!r}")
    category = _CATEGORY_OF_SKU.get(sku)
    if category is None:
        raise KeyError(f"unknown demo SKU {sku!r}")
    if (location_code, sku) in SOLD_OUT:
        return 0
    low, high = (_STORE_STOCK if kind == STORE else _HUB_STOCK)[category]
    spread = zlib.crc32(f"{location_code}/{sku}".encode())
    return low + spread % (high - low + 1)


# --------------------------------------------------------------------------- members


@dataclass(frozen=True)
class DemoMember:
    phone: str
    name: str
    channel: str
    store: str  # the store whose join QR code signed them up
    visits: tuple[tuple[str, ...], ...]  # POS orders rung up for them: SKUs, one unit each


MEMBERS: tuple[DemoMember, ...] = (
    DemoMember("13800138001", "王小明", "mini_program", "SH-001", (("MT-BROWN-M", "FT-MANGO-L"),)),
    DemoMember("13800138002", "李华", "mini_program", "SH-001", (("MT-JASMINE-L",),) * 3),
    DemoMember("13800138003", "张伟", "own_app", "SH-002", (("MT-OOLONG-M", "MT-TARO-L"),)),
    DemoMember("13800138004", "刘洋", "pos", "SH-002", ()),
    DemoMember("13800138005", "陈静", "mini_program", "SH-003", (("FT-MANGO-M",),) * 2),
    DemoMember("13800138006", "杨帆", "own_app", "SH-004", (("MT-BROWN-L", "MT-TARO-M"),)),
    DemoMember("13800138007", "赵敏", "pos", "SH-005", ()),
    DemoMember("13800138008", "周杰", "mini_program", "SH-006", (("MT-JASMINE-M",),)),
)
"""Demo members, each signed up through a store's join QR code (flow 2), some with POS
visits that completed and earned points."""


# --------------------------------------------------------------------------- marketing

VOUCHER_PRODUCT = {
    "name": "¥100 代金券 ¥100 voucher",
    "category": "vouchers",
    "description": "Pay ¥80 online, spend ¥100 in any store over several visits (团购券).",
    "skus": [{"sku": "VOUCHER-100", "name": "¥100 代金券", "price": 8000}],
}
VOUCHER_STOCK = 1000
"""Vouchers on sale per store (a voucher SKU's stock is its sales quota)."""
OPENING_CAMPAIGN_NAME = "开业海报 Opening posters"
OPENING_CAMPAIGN_COST = 50_000
OPENING_CAMPAIGN_DAYS = 30
SPEND_SAVE = {"name": "满50减5 ¥5 off ¥50", "kind": "spend_save_tiers", "tiers": [
    {"threshold": 5000, "amount": 500}, {"threshold": 10000, "amount": 1200}]}  # fmt: skip
WELCOME_COUPON = {
    "name": "新人券 ¥5 welcome coupon",
    "kind": "fixed_amount",
    "amount": 500,
    "min_spend": 2000,
    "days_after_grant": 30,
    "claimable": True,
    "total_quota": 10_000,
}
AFFILIATE = {"name": "小红书达人 Influencer Xiaohong", "kind": "influencer", "default_rate_bp": 800}
