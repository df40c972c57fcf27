"""What-if planning: scenario variants, the comparison of two rosters, sweeps of settings.

    >>> from matcher.whatif import drop_volunteers, compare_rosters, comparison_table
    >>> variant = drop_volunteers(scenario, 0.2, seed=1)     # 20 % drop out
    >>> matcher.solve(variant).write("out/dropout")
    >>> print(comparison_table(compare_rosters("out/base", "out/dropout", scenario, variant)))
    >>> table = sweep(scenario, {"weights.churn": [0, 50, 200]}, client="serial")

- `variants`: pure, seeded functions Scenario -> Scenario (drop volunteers, scale demand,
  set a volunteer cap for everyone, take a base roster as `current`);
- `writer`: a scenario written back as one inline scenario.yaml;
- `folder`: a roster folder read for comparison;
- `compare`: the comparison of two roster folders (unmet reasons by kind, from
  `matcher.reasons`);
- `report`: the comparison as a terminal table or Markdown;
- `commands`: the `matcher variant` and `matcher compare` subcommands;
- `compare_plot`: the comparison as bar charts (`matcher compare --plot`);
- `sweeps`: one scenario solved at every point of a grid of settings, serially or on Dask,
  with the Pareto front marked; `pareto_plot` draws its trade-offs;
- `sweep_command`: the `matcher sweep` subcommand.
"""

from matcher.whatif.commands import add_compare_command, add_variant_command
from matcher.whatif.compare import Comparison, RosterFigures, compare_rosters
from matcher.whatif.folder import RosterFolderError, read_roster_folder
from matcher.whatif.report import comparison_markdown, comparison_table
from matcher.whatif.sweep_command import add_sweep_command
from matcher.whatif.sweeps import GridError, pareto_mask, parse_grid, sweep
from matcher.whatif.variants import (
    drop_volunteers,
    scale_demand,
    set_volunteer_cap,
    with_current,
)
from matcher.whatif.writer import scenario_document, write_scenario_file

__all__ = [
    "Comparison",
    "GridError",
    "RosterFigures",
    "RosterFolderError",
    "add_compare_command",
    "add_sweep_command",
    "add_variant_command",
    "compare_rosters",
    "comparison_markdown",
    "comparison_table",
    "drop_volunteers",
    "pareto_mask",
    "parse_grid",
    "read_roster_folder",
    "scale_demand",
    "scenario_document",
    "set_volunteer_cap",
    "sweep",
    "with_current",
    "write_scenario_file",
]
