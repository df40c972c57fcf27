"""Distances and travel times, computed here and nowhere else in the checker.

Kept apart from any solver on purpose: a mistake in a solver's distance code must not be
able to hide by being repeated in the code that checks it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from matcher.scenario.model import Config

EARTH_RADIUS_KM = 6371.0088  # mean Earth radius, as the format prescribes


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance between two WGS84 points on a sphere, in km."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    half_dphi = (phi2 - phi1) / 2
    half_dlambda = math.radians(lon2 - lon1) / 2
    a = math.sin(half_dphi) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(half_dlambda) ** 2
    # min() guards asin against a value a rounding error pushed just above 1.
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class Geometry:
    """Road distance (haversine x detour factor) and travel minutes at each mode's speed."""

    detour_factor: float
    speed_kmh: dict[str, float]

    @classmethod
    def from_config(cls, config: Config) -> Geometry:
        return cls(config.travel.detour_factor, dict(config.travel.speed_kmh))

    def distance_km(self, a: tuple[float, float], b: tuple[float, float]) -> float:
        return haversine_km(a[0], a[1], b[0], b[1]) * self.detour_factor

    def minutes(self, distance_km: float, mode: str) -> float:
        """Travel time in minutes, not rounded."""
        return distance_km / self.speed_kmh[mode] * 60
