"""Seeded synthetic scenarios of Tangshan's neighbourhood-care scheme.

`write_scenario(out_dir, preset, seed)` writes a scenario folder (scenario.yaml and CSV
tables); `generate_tables(...)` gives the same content in memory. Everything is a pure function
of the preset, the sizes and the seed.
"""

from matcher.generate.presets import PRESETS, Preset
from matcher.generate.tables import DEFAULT_WEEK_OF, ScenarioTables, generate_tables
from matcher.generate.writer import write_scenario, write_tables

__all__ = [
    "DEFAULT_WEEK_OF",
    "PRESETS",
    "Preset",
    "ScenarioTables",
    "generate_tables",
    "write_scenario",
    "write_tables",
]
