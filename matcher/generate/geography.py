"""Where things are: Tangshan's districts and counties, their service stations, and homes.

Positions are drawn in kilometres on a local flat map around each point and turned into WGS84
degrees; distances that matter (who can reach whom) use the format's haversine distance.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

# The format's sphere (section 1, "Distances and travel").
EARTH_RADIUS_KM = 6371.0088
KM_PER_DEGREE = EARTH_RADIUS_KM * math.pi / 180.0

# The city centre (the 路北/路南 boundary) anchors the station lattice.
CITY_CENTRE = (39.630, 118.180)

# The Bohai coast south of the city, as (longitude, latitude) points from west to east: a
# crude line, enough to keep stations off the water along 丰南, 曹妃甸 and 乐亭.
COAST: tuple[tuple[float, float], ...] = (
    (117.6, 39.10), (118.2, 39.15), (118.5, 39.05), (118.8, 39.15), (119.0, 39.22),
    (119.2, 39.36), (119.4, 39.50),
)


@dataclass(frozen=True)
class Area:
    """A district (区) or county-level unit of Tangshan.

    (`lat`, `lon`) is roughly the middle of its inhabited part, where its stations start
    from; `area_km2` its approximate land area. `density` is how closely stations are packed
    relative to the preset's spacing: the old city centre is denser than the counties, and
    stations spaced `spacing / sqrt(density)` apart over about two thirds of an area's land
    keep every district's stations roughly inside it. `communities` are real or real-sounding
    community names given, in order, to the stations nearest the middle; further stations get
    generic neighbourhood names.
    """

    name: str
    lat: float
    lon: float
    area_km2: float
    communities: tuple[str, ...]
    density: float = 1.0

    @property
    def weight(self) -> float:
        """Share of the city's stations (and so of its cared-for residents)."""
        return self.area_km2 * self.density


AREAS: tuple[Area, ...] = (
    Area("路北区", 39.632, 118.195, 122,
         ("文化路", "乔屯", "钓鱼台", "龙泽", "翔云道", "光明里", "大里", "果园", "机场路",
          "缸窑", "河北路", "长宁道", "西山道", "友谊里", "东新村", "华岩北路"), density=2.5),
    Area("路南区", 39.590, 118.160, 288,
         ("学院南路", "小山", "永红桥", "广场", "惠民道", "梁家屯", "女织寨", "稷丰", "南厂",
          "吉祥里", "复兴路"), density=2.0),
    Area("开平区", 39.680, 118.290, 235,
         ("开平", "马家沟", "税务庄", "越河", "栗园", "双桥", "郑庄子", "荆各庄", "洼里"),
         density=1.6),
    Area("古冶区", 39.733, 118.447, 251,
         ("林西", "赵各庄", "唐家庄", "京华", "范各庄", "吕家坨", "王辇庄", "卑家店"),
         density=1.4),
    Area("丰南区", 39.450, 118.100, 1_568,
         ("胥各庄", "青年路", "惠丰湖", "稻地", "黄各庄", "小集", "钱营", "大新庄")),
    Area("丰润区", 39.860, 118.120, 1_335,
         ("太平路", "燕山路", "新城道", "浭阳", "左家坞", "银城铺", "七树庄", "火石营")),
    Area("曹妃甸区", 39.280, 118.460, 1_943,
         ("唐海", "滨海", "南堡", "柳赞", "一农场", "十农场", "双井")),
    Area("迁安市", 40.010, 118.700, 1_227,
         ("永顺", "滨河", "杨店子", "夏官营", "兴安", "野鸡坨")),
    Area("遵化市", 40.180, 117.960, 1_521,
         ("华明路", "文化北路", "北二环", "西三里", "堡子店", "马兰峪", "石门")),
    Area("滦州市", 39.750, 118.700, 1_027, ("古城", "响嘡", "东安各庄", "雷庄", "茨榆坨")),
    Area("滦南县", 39.460, 118.660, 1_270, ("倴城", "宋道口", "长凝", "胡各庄", "坨里")),
    Area("乐亭县", 39.400, 118.940, 1_308, ("乐亭", "汀流河", "胡家坨", "姜各庄", "王滩")),
    Area("迁西县", 40.190, 118.340, 1_439, ("兴城", "栗乡", "三屯营", "罗家屯", "洒河桥")),
    Area("玉田县", 39.860, 117.750, 1_165, ("无终", "鸦鸿桥", "林南仓", "亮甲店", "彩亭桥")),
)
AREAS_BY_NAME: dict[str, Area] = {area.name: area for area in AREAS}

# How far (in multiples of an area's own radius) its stations may spread when neighbours
# crowd it; far more than ever needed.
_LATTICE_RADII = 12.0

# Generic neighbourhood names for stations beyond an area's listed communities.
_NAME_STEMS = (
    "幸福", "和平", "康乐", "祥和", "福安", "金桥", "凤凰", "龙泉", "银河", "阳光", "东风",
    "建设", "新华", "团结", "胜利", "朝阳", "春华", "锦绣", "书香", "怡景", "新城", "滨河",
    "碧水", "绿园", "丽景", "盛世", "嘉禾", "金地", "瑞丰", "永安", "长安", "兴隆", "惠民",
    "富强", "民生", "安居", "和谐", "华苑", "东湖", "西苑",
)
_NAME_KINDS = ("里", "园", "苑", "小区", "新村", "花园", "家园", "东里", "西里", "北里", "南里")


@dataclass(frozen=True)
class Stations:
    """Service stations in id order, with the area each belongs to."""

    ids: tuple[str, ...]
    names: tuple[str, ...]
    areas: tuple[str, ...]
    lat: np.ndarray
    lon: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)


def place_stations(rng: np.random.Generator, areas: Sequence[Area], count: int,
                   spacing_km: float) -> Stations:
    """`count` stations shared among `areas` by weight, each area growing from its middle.

    An area's stations sit on its own hexagonal lattice, `spacing_km / sqrt(area.density)`
    apart. All areas grow at once, nearest their middle first, each at a pace set by the
    radius its stations would cover alone; a point too close to another area's station is
    skipped, so contested ground is split between neighbours like a border. Stations are
    listed by area, nearest the middle first.
    """
    quotas = _share(count, np.array([area.weight for area in areas]))
    spacing = spacing_km / np.sqrt([area.density for area in areas])
    mid_x, mid_y = to_local_km(np.array([a.lat for a in areas]),
                                 np.array([a.lon for a in areas]), *CITY_CENTRE)
    radius = np.sqrt(np.maximum(quotas, 1) * _cell_area(spacing) / math.pi)
    lattices = [_lattice(rng, s, _LATTICE_RADII * r + 3.0 * s) for s, r in zip(spacing, radius,
                                                                                 strict=True)]

    # Stations placed so far (any area), for the spacing test; `claimed` keeps them by area.
    placed_x, placed_y, placed_gap = np.empty(count), np.empty(count), np.empty(count)
    placed = 0
    claimed: list[list[tuple[float, float]]] = [[] for _ in areas]
    remaining = quotas.copy()
    reach = 2.0
    while remaining.any():
        # Candidates of every unfinished area within `reach` times its own radius, in order of
        # distance from its middle relative to that radius; widened until every area is full.
        keys, owners, xs, ys = [], [], [], []
        for a in np.flatnonzero(remaining):
            x = lattices[a][0] + mid_x[a]
            y = lattices[a][1] + mid_y[a]
            scaled = np.hypot(lattices[a][0], lattices[a][1]) / radius[a]
            inside = scaled <= reach
            keys.append(scaled[inside])
            owners.append(np.full(int(inside.sum()), a))
            xs.append(x[inside])
            ys.append(y[inside])
        key, owner = np.concatenate(keys), np.concatenate(owners)
        x_all, y_all = np.concatenate(xs), np.concatenate(ys)
        order = np.lexsort((owner, key))
        at_sea = ~on_land(*from_local_km(x_all, y_all, *CITY_CENTRE))
        for i in order.tolist():
            a = owner[i]
            if not remaining[a] or at_sea[i]:
                continue
            px, py = x_all[i], y_all[i]
            gap = np.hypot(placed_x[:placed] - px, placed_y[:placed] - py)
            # Never closer than the wider spacing of the two areas (less a little slack, as
            # neighbouring lattices do not line up).
            if (gap < 0.8 * np.maximum(placed_gap[:placed], spacing[a])).any():
                continue
            placed_x[placed], placed_y[placed], placed_gap[placed] = px, py, spacing[a]
            placed += 1
            claimed[a].append((px, py))
            remaining[a] -= 1
        reach *= 1.5
        if remaining.any() and reach > _LATTICE_RADII:
            raise RuntimeError(f"cannot place {count} stations in {[a.name for a in areas]}")

    xy = np.array([point for area_points in claimed for point in area_points]).reshape(-1, 2)
    gaps = np.repeat(spacing, quotas)
    # Jitter inside a fifth of the spacing: irregular like a real map, never stacked.
    jitter_r = 0.2 * gaps * np.sqrt(rng.random(len(xy)))
    jitter_a = rng.uniform(0.0, 2.0 * math.pi, len(xy))
    lat, lon = from_local_km(xy[:, 0] + jitter_r * np.cos(jitter_a),
                             xy[:, 1] + jitter_r * np.sin(jitter_a), *CITY_CENTRE)

    names: list[str] = []
    area_names: list[str] = []
    for area, quota in zip(areas, quotas, strict=True):
        for community in _community_names(rng, area, int(quota)):
            names.append(f"{area.name}{community}社区服务站")
            area_names.append(area.name)
    ids = tuple(f"S{i:04d}" for i in range(1, len(xy) + 1))
    return Stations(ids, tuple(names), tuple(area_names), lat, lon)


def on_land(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """False for points south of the coast line."""
    coast_lon, coast_lat = zip(*COAST, strict=True)
    return lat >= np.interp(lon, coast_lon, coast_lat)


def _share(count: int, weights: np.ndarray) -> np.ndarray:
    """Split `count` in proportion to `weights` by largest remainder (sums exactly)."""
    exact = count * weights / weights.sum()
    quotas = np.floor(exact).astype(np.int64)
    short = count - int(quotas.sum())
    quotas[np.argsort(-(exact - quotas), kind="stable")[:short]] += 1
    return quotas


def _cell_area(spacing: np.ndarray | float) -> np.ndarray | float:
    return spacing * spacing * math.sqrt(3.0) / 2.0


def _lattice(rng: np.random.Generator, spacing: float,
             reach_km: float) -> tuple[np.ndarray, np.ndarray]:
    """A hexagonal lattice around (0, 0) out to `reach_km`, randomly shifted so seeds differ."""
    row = spacing * math.sqrt(3.0) / 2.0
    rows, cols = int(reach_km / row) + 1, int(reach_km / spacing) + 1
    j, i = np.meshgrid(np.arange(-rows, rows + 1), np.arange(-cols, cols + 1), indexing="ij")
    x = ((i + 0.5 * (j % 2)) * spacing).ravel() + rng.uniform(-0.5, 0.5) * spacing
    y = (j * row).ravel() + rng.uniform(-0.5, 0.5) * row
    inside = np.hypot(x, y) <= reach_km
    return x[inside], y[inside]


def _community_names(rng: np.random.Generator, area: Area, count: int) -> list[str]:
    names = list(area.communities[:count])
    if count > len(names):
        generic = [stem + kind for stem in _NAME_STEMS for kind in _NAME_KINDS]
        generic = [name for name in generic if name not in area.communities]
        generic = [generic[i] for i in rng.permutation(len(generic))]
        rounds = itertools.count(2)
        while len(names) + len(generic) < count:
            # Beyond ~440 stations in one area, number the names like a second phase (二期).
            suffix = f"{next(rounds)}期"
            generic += [name + suffix for name in generic[: len(_NAME_STEMS) * len(_NAME_KINDS)]]
        names += generic[: count - len(names)]
    return names


def to_local_km(lat: np.ndarray, lon: np.ndarray, lat0: float,
                lon0: float) -> tuple[np.ndarray, np.ndarray]:
    """Degrees to kilometres east and north of (lat0, lon0) on a flat local map."""
    x = (lon - lon0) * KM_PER_DEGREE * math.cos(math.radians(lat0))
    y = (lat - lat0) * KM_PER_DEGREE
    return x, y


def from_local_km(x: np.ndarray, y: np.ndarray, lat0: float,
                  lon0: float) -> tuple[np.ndarray, np.ndarray]:
    lat = lat0 + y / KM_PER_DEGREE
    lon = lon0 + x / (KM_PER_DEGREE * math.cos(math.radians(lat0)))
    return lat, lon


def offset(lat: np.ndarray, lon: np.ndarray, distance_km: np.ndarray,
           bearing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Points `distance_km` from (lat, lon) in direction `bearing` (radians from north)."""
    new_lat = lat + distance_km * np.cos(bearing) / KM_PER_DEGREE
    new_lon = lon + distance_km * np.sin(bearing) / (KM_PER_DEGREE * np.cos(np.radians(lat)))
    return new_lat, new_lon


def haversine_km(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray,
                 lon2: np.ndarray) -> np.ndarray:
    """Great-circle distance on the format's sphere, element-wise."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp = p2 - p1
    dl = np.radians(lon2) - np.radians(lon1)
    h = np.sin(dp / 2.0) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2.0) ** 2
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def pairs_within_reach(res_lat: np.ndarray, res_lon: np.ndarray, vol_lat: np.ndarray,
                       vol_lon: np.ndarray, vol_max_km: np.ndarray,
                       detour_factor: float = 1.3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every (resident, volunteer) index pair with haversine x detour <= the volunteer's cap.

    This is rule H1 with the default travel model. Returns resident indices, volunteer
    indices and haversine km (before the detour factor), sorted by resident then volunteer. A k-d
    tree on points of the sphere finds candidates (a chord is monotone in the great-circle
    distance), and the exact haversine test decides, so the result matches the format.
    """
    res_xyz = on_sphere(res_lat, res_lon)
    vol_xyz = on_sphere(vol_lat, vol_lon)
    arc = np.asarray(vol_max_km, dtype=float) / detour_factor
    chord = 2.0 * EARTH_RADIUS_KM * np.sin(arc / (2.0 * EARTH_RADIUS_KM))
    found = cKDTree(res_xyz).query_ball_point(vol_xyz, chord * (1.0 + 1e-9) + 1e-9)
    lengths = np.fromiter((len(hits) for hits in found), dtype=np.intp, count=len(found))
    res = np.fromiter(itertools.chain.from_iterable(found), dtype=np.intp,
                      count=int(lengths.sum()))
    vol = np.repeat(np.arange(len(vol_lat), dtype=np.intp), lengths)
    distance = haversine_km(res_lat[res], res_lon[res], vol_lat[vol], vol_lon[vol])
    keep = distance * detour_factor <= np.asarray(vol_max_km, dtype=float)[vol]
    res, vol, distance = res[keep], vol[keep], distance[keep]
    order = np.lexsort((vol, res))
    return res[order], vol[order], distance[order]


def on_sphere(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Points on the format's sphere in km (x, y, z): straight-line neighbours there are
    great-circle neighbours, so a k-d tree on them finds who is near whom."""
    phi, lam = np.radians(lat), np.radians(lon)
    return EARTH_RADIUS_KM * np.column_stack(
        (np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)))
