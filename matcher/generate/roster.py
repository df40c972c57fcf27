"""Relations between residents and volunteers: exclusions and the roster already in force."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from matcher.generate.geography import on_sphere, pairs_within_reach
from matcher.generate.services import SERVICES
from matcher.generate.volunteers import SKILLS

EXCLUDE_P = 0.02       # residents who refuse someone (a past quarrel, a neighbour they dislike)
EXCLUDE_AMONG = 12     # ... among the volunteers living closest to them
CURRENT_P = 0.6        # residents already served under the previous roster
FULL_TEAM_P = 0.7      # ... by a full team rather than part of one
SKILL_MISS_KM = 1.5    # a coordinator would rather send someone this much farther who has the skill


def draw_exclusions(rng: np.random.Generator, residents: pd.DataFrame,
                    volunteers: pd.DataFrame) -> list[str]:
    """`exclude_volunteers` per resident: for a few, one or two volunteers living close by,
    the only people an exclusion matters for."""
    count = len(residents)
    chosen = np.flatnonzero(rng.random(count) < EXCLUDE_P)
    how_many = np.where(rng.random(len(chosen)) < 0.8, 1, 2)
    result = [""] * count
    if len(chosen) == 0:
        return result
    k = min(EXCLUDE_AMONG, len(volunteers))
    tree = cKDTree(on_sphere(volunteers["lat"].to_numpy(), volunteers["lon"].to_numpy()))
    points = on_sphere(residents["lat"].to_numpy()[chosen], residents["lon"].to_numpy()[chosen])
    _, nearest = tree.query(points, k=k)
    nearest = np.asarray(nearest).reshape(len(chosen), k)
    ranks = np.argsort(rng.random((len(chosen), k)), axis=1)
    ids = volunteers["id"].to_numpy()
    for row, (resident, m) in enumerate(zip(chosen.tolist(), how_many.tolist(), strict=True)):
        picked = np.sort(nearest[row, ranks[row, : min(m, k)]])
        result[resident] = ";".join(ids[picked].tolist())
    return result


def draw_current(rng: np.random.Generator, residents: pd.DataFrame, needs: pd.DataFrame,
                 volunteers: pd.DataFrame, week_of: dt.date) -> pd.DataFrame:
    """A plausible previous roster: (resident, volunteer) pairs a coordinator could have made.

    Every pair is within the volunteer's distance cap (default travel model), meets the
    resident's hard wishes and exclusions, has a valid safeguarding check for a child, and no
    volunteer holds more residents than `max_residents`. Nearby volunteers with the skills the
    resident needs come first. Hours and time windows are not checked: the old roster is where
    the new one starts from, and it may have gone stale.
    """
    n_res = len(residents)
    res_lat, res_lon = residents["lat"].to_numpy(), residents["lon"].to_numpy()
    vol_lat, vol_lon = volunteers["lat"].to_numpy(), volunteers["lon"].to_numpy()
    pair_res, pair_vol, pair_km = pairs_within_reach(res_lat, res_lon, vol_lat, vol_lon,
                                                     volunteers["max_distance_km"].to_numpy())
    bounds = np.searchsorted(pair_res, np.arange(n_res + 1))

    vol_female = (volunteers["gender"] == "female").to_numpy()
    vol_dialect = volunteers["languages"].str.contains("tangshan_dialect").to_numpy()
    vol_putonghua = volunteers["languages"].str.contains("putonghua").to_numpy()
    vol_checked = (volunteers["background_check_until"] >= week_of.isoformat()).to_numpy()
    vol_skills = _skill_masks(volunteers["skills"])
    capacity = volunteers["max_residents"].to_numpy().copy()
    vol_index = {vid: i for i, vid in enumerate(volunteers["id"].tolist())}

    needed = np.zeros(n_res, dtype=np.int64)
    service_mask = dict(zip([s.id for s in SERVICES], _skill_masks(
        pd.Series([";".join(s.skills) for s in SERVICES])).tolist(), strict=True))
    res_index = {rid: i for i, rid in enumerate(residents["id"].tolist())}
    for rid, service in zip(needs["resident"].tolist(), needs["service"].tolist(), strict=True):
        needed[res_index[rid]] |= service_mask[service]

    child = (residents["kind"] == "child").to_numpy()
    team = residents["team_size"].to_numpy()
    members = np.where(rng.random(n_res) < FULL_TEAM_P, team,
                       1 + (rng.random(n_res) * team).astype(np.int64))
    served = rng.random(n_res) < CURRENT_P
    require_gender = residents["require_gender"].tolist()
    require_languages = residents["require_languages"].tolist()
    excluded = residents["exclude_volunteers"].tolist()

    pairs: list[tuple[int, int]] = []
    for r in rng.permutation(n_res).tolist():
        if not served[r]:
            continue
        lo, hi = bounds[r], bounds[r + 1]
        candidates, km = pair_vol[lo:hi], pair_km[lo:hi]
        ok = capacity[candidates] > 0
        if child[r]:
            ok &= vol_checked[candidates]
        if require_gender[r]:
            ok &= vol_female[candidates] == (require_gender[r] == "female")
        if require_languages[r]:
            speaks = np.zeros(len(candidates), dtype=bool)
            for language in require_languages[r].split(";"):
                table = vol_dialect if language == "tangshan_dialect" else vol_putonghua
                speaks |= table[candidates]
            ok &= speaks
        if excluded[r]:
            ok &= ~np.isin(candidates, [vol_index[v] for v in excluded[r].split(";")])
        candidates, km = candidates[ok], km[ok]
        if len(candidates) == 0:
            continue
        score = km + SKILL_MISS_KM * ((vol_skills[candidates] & needed[r]) == 0) * (needed[r] != 0)
        take = min(int(members[r]), len(candidates))
        best = candidates[np.argsort(score, kind="stable")[: max(3, take)]]
        picked = rng.choice(best, size=take, replace=False)
        capacity[picked] -= 1
        pairs.extend((r, int(v)) for v in picked)

    pairs.sort()
    res_ids, vol_ids = residents["id"].to_numpy(), volunteers["id"].to_numpy()
    return pd.DataFrame({"resident": [res_ids[r] for r, _ in pairs],
                         "volunteer": [vol_ids[v] for _, v in pairs]},
                        columns=["resident", "volunteer"])


def _skill_masks(skills: pd.Series) -> np.ndarray:
    bit = {skill: 1 << j for j, skill in enumerate(SKILLS)}
    patterns: dict[str, int] = {}
    masks = np.empty(len(skills), dtype=np.int64)
    for i, text in enumerate(skills.tolist()):
        mask = patterns.get(text)
        if mask is None:
            mask = sum(bit[s] for s in text.split(";") if s)
            patterns[text] = mask
        masks[i] = mask
    return masks
