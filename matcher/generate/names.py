"""Chinese personal names: a common northern surname and a given name typical of a generation.

Given names date people: an 85-year-old woman is 秀兰 or 桂芝, her grandson 浩宇, a child born
after 2015 一诺. Names are drawn by generation and gender so that a coordinator reading the
roster meets believable people. Repeats are normal, as in any real register.
"""

from __future__ import annotations

import numpy as np

# Generations, by birth years.
ELDER = 0   # born 1935-1965: cared-for seniors and older retired volunteers
MIDDLE = 1  # born 1965-2000: working volunteers
YOUTH = 2   # born 2000-2008: university students
CHILD = 3   # born 2010-2022: cared-for children

# Relative frequencies, roughly as in Hebei (赵 and 高 are commoner here than nationally).
_SURNAMES: tuple[tuple[str, float], ...] = (
    ("王", 7.5), ("李", 7.6), ("张", 7.0), ("刘", 5.8), ("杨", 3.2), ("赵", 3.4), ("陈", 2.4),
    ("孙", 2.0), ("高", 2.0), ("郭", 1.7), ("马", 1.6), ("徐", 1.3), ("周", 1.2), ("吴", 1.0),
    ("朱", 1.0), ("胡", 1.0), ("韩", 1.1), ("宋", 1.0), ("董", 1.0), ("于", 0.9), ("冯", 0.8),
    ("郑", 0.8), ("黄", 0.8), ("曹", 0.7), ("田", 0.7), ("贾", 0.6), ("魏", 0.6), ("梁", 0.6),
    ("吕", 0.5), ("苏", 0.5), ("卢", 0.5), ("丁", 0.5), ("石", 0.5), ("杜", 0.5), ("崔", 0.5),
    ("程", 0.5), ("许", 0.5), ("何", 0.4), ("邢", 0.4), ("侯", 0.4), ("阎", 0.4), ("常", 0.4),
    ("白", 0.4), ("薛", 0.4), ("齐", 0.3), ("康", 0.3), ("史", 0.3), ("边", 0.2), ("谷", 0.2),
    ("纪", 0.2), ("庞", 0.1), ("鲍", 0.1),
)
SURNAMES = tuple(s for s, _ in _SURNAMES)
_SURNAME_P = np.array([w for _, w in _SURNAMES]) / sum(w for _, w in _SURNAMES)

GIVEN_NAMES: dict[tuple[int, bool], tuple[str, ...]] = {
    (ELDER, True): (
        "秀兰", "桂兰", "玉兰", "淑珍", "秀英", "凤兰", "桂英", "玉珍", "淑芬", "秀珍", "桂芝",
        "凤英", "玉梅", "淑兰", "素芳", "秀芳", "兰英", "金凤", "翠兰", "桂荣", "淑华", "玉芳",
        "秀云", "凤琴", "桂芳", "秀荣", "玉华", "淑英", "桂珍", "春兰"),
    (ELDER, False): (
        "建国", "国华", "振华", "德胜", "玉林", "宝山", "国强", "福来", "德明", "永庆", "宝林",
        "金山", "树林", "长海", "玉田", "文明", "学文", "德福", "庆余", "志刚", "占山", "春生",
        "万福", "广义", "凤山", "海清", "建华", "振国", "立功", "保国"),
    (MIDDLE, True): (
        "丽娜", "艳红", "丽华", "晓燕", "海燕", "红梅", "静", "敏", "丽", "婷婷", "雪梅", "春燕",
        "晓丽", "秀梅", "玉洁", "慧敏", "芳", "霞", "娟", "颖", "丽萍", "晓红", "彩霞", "艳玲",
        "冬梅", "亚楠", "丽娟", "淑媛"),
    (MIDDLE, False): (
        "伟", "磊", "勇", "军", "强", "涛", "斌", "鹏", "海涛", "建军", "志勇", "晓东", "立新",
        "国栋", "永刚", "红军", "卫东", "少华", "明", "振宇", "海龙", "建伟", "冬生", "立军",
        "志明", "宏伟", "金龙", "永强"),
    (YOUTH, True): (
        "欣怡", "子涵", "雨桐", "佳怡", "思彤", "梦瑶", "紫萱", "雨萱", "欣妍", "诗涵", "可馨",
        "佳琪", "雅琪", "梓涵", "心怡", "晓彤", "一帆", "静怡", "思雨", "语嫣"),
    (YOUTH, False): (
        "浩宇", "子轩", "宇轩", "梓豪", "皓轩", "浩然", "博文", "一鸣", "思远", "俊杰", "天宇",
        "家豪", "子豪", "明轩", "宇航", "文博", "嘉伟", "鑫磊", "昊天", "泽宇"),
    (CHILD, True): (
        "一诺", "若汐", "沐晴", "梓萱", "依诺", "语桐", "芊芊", "米雪", "欣悦", "安琪", "雨涵",
        "可欣", "诗琪", "梓晴", "悦彤", "知夏", "小雨", "朵朵", "乐瑶", "星月"),
    (CHILD, False): (
        "沐宸", "奕辰", "子墨", "睿泽", "铭泽", "俊熙", "浩轩", "梓睿", "天佑", "一航", "宇泽",
        "锦程", "小宝", "乐乐", "安然", "嘉懿", "晨阳", "子航", "思辰", "承泽"),
}


def draw_names(rng: np.random.Generator, generation: np.ndarray, female: np.ndarray) -> list[str]:
    """One full name per person, given each person's generation and gender."""
    count = len(generation)
    surnames = rng.choice(len(SURNAMES), size=count, p=_SURNAME_P)
    # One uniform draw per person picks the given name within its (generation, gender) pool;
    # the pools differ in size, so the draw is scaled per pool rather than indexed directly.
    pick = rng.random(count)
    names: list[str] = []
    for s, g, f, u in zip(surnames.tolist(), generation.tolist(), female.tolist(), pick.tolist(),
                          strict=True):
        pool = GIVEN_NAMES[(g, f)]
        names.append(SURNAMES[s] + pool[int(u * len(pool))])
    return names
