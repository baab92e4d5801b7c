"""Fixed inputs of the demo generator: the packaged catalogue and districts, name pools,
and the behaviour constants (restock rhythm, weekly pattern, lockdown shock).

Kept apart from the generator so tests and the alert-quality simulator can read the
same constants the data were made with (the ground truth of what should alert).
"""

from __future__ import annotations

import io
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

CITY_CODE = "410400"
CITY_NAME = "Pingdingshan"
CITY_NAME_ZH = "平顶山市"
CITY_LAT, CITY_LON = 33.766, 113.193

CHAIN_COUNT = 40
CHAIN_STORE_COUNT = 109
MARKET_COUNT = 13
LOCKDOWN_DAYS = 7
PANIC_DAYS = 3
# Lockdown day on which the disrupted districts lose most of their deliveries.
DISRUPTION_START_DAY = 3
MISSING_LAST_DAY_SHARE = 0.03
# Weidong (卫东区) and Ye county (叶县) lose most of their deliveries after the panic.
DISRUPTED_DISTRICTS: tuple[str, ...] = ("410403", "410422")

# Sales by weekday (Monday first), mean 1: shoppers come at the weekend.
WEEKDAY_FACTORS = np.array([0.93, 0.92, 0.94, 0.97, 1.04, 1.12, 1.08])
# Sales multiplier on lockdown day 0, 1, 2 (panic buying) and after it.
PANIC_SURGE = np.array([3.2, 2.6, 1.9])
PANIC_AFTER = 1.15
OTHER_SURGE = np.array([1.5, 1.3, 1.15])
OTHER_AFTER = 1.05
# Share of a line's usual deliveries that still arrives in a disrupted district.
DISRUPTED_SUPPLY_SHARE = (0.2, 0.3)
# Price rise reached in a disrupted district (perishables at the high end).
DISRUPTED_PRICE_RISE_FRESH = (0.2, 0.4)
DISRUPTED_PRICE_RISE_STAPLE = (0.1, 0.2)
PANIC_PRICE_RISE = 0.04
SALES_NOISE_SIGMA = 0.15

# Goods people hoard when a lockdown is announced.
PANIC_CATEGORIES = frozenset({"edible_oil", "eggs", "vegetables"})
PANIC_PRODUCTS = frozenset({"rice", "flour", "noodles_dry", "instant_noodles", "millet"})
FRESH_CATEGORIES = frozenset({"vegetables", "fruit", "meat", "eggs"})
MARKET_CATEGORIES = frozenset({"vegetables", "fruit", "meat", "eggs"})

# Days of stock a store keeps beyond one restock cycle, by category (low, high).
COVER_DAYS: dict[str, tuple[float, float]] = {
    "grain": (8.0, 11.0),
    "edible_oil": (8.0, 11.0),
    "meat": (3.5, 4.3),
    "eggs": (3.5, 4.3),
    "vegetables": (2.4, 3.0),
    "fruit": (2.4, 3.0),
    "dairy": (2.6, 3.4),
}

# Sold by every supermarket whatever its size.
SUPERMARKET_CORE = (
    "rice", "flour", "noodles_dry", "instant_noodles", "peanut_oil", "soybean_oil",
    "blended_oil", "pork", "chicken", "eggs", "cabbage", "potato", "tomato", "cucumber",
    "carrot", "onion", "green_pepper", "scallion", "tofu", "apple", "banana", "milk",
    "yogurt",
)  # fmt: skip

# (product code, unit, how many canonical units one of it is)
CONVERSIONS: tuple[tuple[str, str, float], ...] = (
    ("rice", "bag", 10.0),
    ("flour", "bag", 5.0),
    ("instant_noodles", "box", 12.0),
    ("peanut_oil", "bottle", 5.0),
    ("soybean_oil", "bottle", 5.0),
    ("rapeseed_oil", "bottle", 5.0),
    ("blended_oil", "bottle", 5.0),
    ("eggs", "piece", 0.06),
    ("eggs", "dozen", 0.72),
    ("eggs", "box", 15.0),
    ("duck_eggs", "piece", 0.07),
    ("cabbage", "head", 2.0),
    ("round_cabbage", "head", 1.0),
    ("cauliflower", "head", 0.8),
    ("watermelon", "piece", 5.0),
    ("steamed_buns", "piece", 0.1),
    ("milk", "box", 3.0),  # 12 cartons of 250 mL
)

COUNT_UNITS = frozenset({"piece", "dozen", "pack", "box", "bag", "bottle", "head"})

PLACE_NAMES: tuple[tuple[str, str], ...] = (
    ("Guangming", "光明"), ("Jianshe", "建设"), ("Heping", "和平"), ("Xiyuan", "西苑"),
    ("Dongan", "东安"), ("Nanhu", "南湖"), ("Beihuan", "北环"), ("Qinghe", "清河"),
    ("Zhongxing", "中兴"), ("Xinglong", "兴隆"), ("Fuqiang", "富强"), ("Wenhua", "文化"),
    ("Yongan", "永安"), ("Changqing", "长青"), ("Hongqi", "红旗"), ("Xinyuan", "新苑"),
    ("Shuguang", "曙光"), ("Anle", "安乐"), ("Taiping", "太平"), ("Jinshan", "金山"),
    ("Lianhua", "莲花"), ("Baiyun", "白云"), ("Qinglong", "青龙"), ("Shuangmiao", "双庙"),
    ("Liuzhuang", "刘庄"), ("Wangji", "王集"), ("Zhaocun", "赵村"), ("Lizhuang", "李庄"),
    ("Gaoqiao", "高桥"), ("Shima", "石马"), ("Huayuan", "花园"), ("Youyi", "友谊"),
    ("Xiangyang", "向阳"), ("Dongcheng", "东城"), ("Xicheng", "西城"), ("Nancheng", "南城"),
    ("Beicheng", "北城"), ("Chengguan", "城关"), ("Longquan", "龙泉"), ("Fenghuang", "凤凰"),
    ("Hedong", "河东"), ("Hexi", "河西"), ("Tianqiao", "天桥"), ("Yuxin", "豫新"),
    ("Kuangshan", "矿山"), ("Sanlizhuang", "三里庄"), ("Qiliying", "七里营"), ("Matou", "码头"),
    ("Xinji", "新集"), ("Dazhuang", "大庄"), ("Liji", "李集"),
)  # fmt: skip

CHAIN_NAMES: tuple[str, ...] = (
    "Huilong Supermarket", "Fengtai Fresh", "Jiahe Mart", "Xinyue Supermarket",
    "Dazhong Life Plaza", "Yuanfeng Fresh Market", "Lemin Supermarket", "Kanghui Mart",
    "Tianrun Supermarket", "Minsheng Fresh", "Wanfu Supermarket", "Hengxin Mart",
    "Baijia Supermarket", "Shunfa Fresh", "Jinhe Supermarket", "Ruifeng Mart",
    "Dongfang Supermarket", "Fuyuan Fresh", "Anxin Supermarket", "Huamei Mart",
    "Xinghe Supermarket", "Longda Fresh", "Meijia Supermarket", "Chengxin Mart",
    "Taihe Supermarket", "Zhongyuan Fresh", "Lianjia Mart", "Yinzuo Supermarket",
    "Fukang Fresh", "Hexie Supermarket", "Jinyuan Mart", "Xiangrui Supermarket",
    "Dannisi Supermarket", "Guomao Supermarket", "Ziyun Fresh", "Rongsheng Mart",
    "Daxin Supermarket", "Pangdeli Supermarket", "Yuxiang Mart", "Kuaile Supermarket",
)  # fmt: skip

PEOPLE: tuple[str, ...] = (
    "Wang Lei (王磊)", "Li Na (李娜)", "Zhang Wei (张伟)", "Liu Yang (刘洋)", "Chen Jing (陈静)",
    "Yang Fan (杨帆)", "Zhao Min (赵敏)", "Huang Qiang (黄强)", "Zhou Hui (周慧)",
    "Wu Tao (吴涛)", "Xu Li (徐丽)", "Sun Jie (孙杰)", "Ma Chao (马超)", "Zhu Hong (朱红)",
    "Hu Bin (胡斌)", "Guo Ping (郭平)",
)  # fmt: skip

ROADS: tuple[str, ...] = (
    "Jianshe", "Kaiyuan", "Xinhua", "Zhongxing", "Guangming", "Qinghe", "Yingbin",
    "Renmin", "Fuqian", "Shuguang", "Wenhua", "Heping", "Xinglong", "Jiefang",
)  # fmt: skip

# Henan's prefecture-level cities (code, name, name_zh, lat, lon) for province benchmarks.
PROVINCE_CITIES: tuple[tuple[str, str, str, float, float], ...] = (
    ("410100", "Zhengzhou", "郑州市", 34.75, 113.63),
    ("410200", "Kaifeng", "开封市", 34.80, 114.31),
    ("410300", "Luoyang", "洛阳市", 34.62, 112.45),
    ("410400", "Pingdingshan", "平顶山市", 33.77, 113.19),
    ("410500", "Anyang", "安阳市", 36.10, 114.39),
    ("410600", "Hebi", "鹤壁市", 35.75, 114.30),
    ("410700", "Xinxiang", "新乡市", 35.30, 113.93),
    ("410800", "Jiaozuo", "焦作市", 35.22, 113.24),
    ("410900", "Puyang", "濮阳市", 35.76, 115.03),
    ("411000", "Xuchang", "许昌市", 34.04, 113.85),
    ("411100", "Luohe", "漯河市", 33.58, 114.02),
    ("411200", "Sanmenxia", "三门峡市", 34.77, 111.20),
    ("411300", "Nanyang", "南阳市", 33.00, 112.53),
    ("411400", "Shangqiu", "商丘市", 34.41, 115.66),
    ("411500", "Xinyang", "信阳市", 32.15, 114.09),
    ("411600", "Zhoukou", "周口市", 33.63, 114.70),
    ("411700", "Zhumadian", "驻马店市", 32.98, 114.02),
)


def _read_packaged_csv(name: str) -> pd.DataFrame:
    text = resources.files("service").joinpath("data", name).read_text(encoding="utf-8")
    return pd.read_csv(io.StringIO(text), dtype={"code": str})


@lru_cache(maxsize=1)
def _catalogue() -> pd.DataFrame:
    return _read_packaged_csv("products.csv")


@lru_cache(maxsize=1)
def _districts() -> pd.DataFrame:
    return _read_packaged_csv("districts.csv")


def read_catalogue() -> pd.DataFrame:
    """The packaged product catalogue (a copy: callers may change it freely)."""
    return _catalogue().copy()


def read_districts() -> pd.DataFrame:
    """The packaged districts of the demo city (a copy)."""
    return _districts().copy()


def packaged_catalogue() -> bytes:
    """The packaged catalogue file as it is shipped (53 goods in 7 categories), for
    ``supplywatch catalog load`` without ``--file``."""
    return resources.files("service").joinpath("data", "products.csv").read_bytes()


def package_conversions() -> dict[str, dict[str, float]]:
    """The units the packaged catalogue's goods come in (a bag of rice is 10 kg), by
    product code."""
    conversions: dict[str, dict[str, float]] = {}
    for product, unit, factor in CONVERSIONS:
        conversions.setdefault(product, {})[unit] = factor
    return conversions
