"""Answers to "why?" about a roster, for a station coordinator.

    >>> from matcher.explain import open_roster, explain_pair, explain_resident, render_pair
    >>> state = open_roster("out/station", "scenarios/station/scenario.yaml")
    >>> print(render_pair(explain_pair(state, "R00002", "V000030"), "en"))
    >>> explain_resident(state, "R00005").as_dict()      # JSON-ready

- `load`: a roster folder and its scenario read back, checked to belong together;
- `state`: the roster in the solver's terms (problem, candidates, loads), indexed once;
- `terms`: what a pair adds to each objective term, and the change if another took it;
- `rules`: which hard rule or capacity keeps a volunteer from a resident, as facts;
- `pair`, `resident`, `volunteer`, `overview`: the four explanations (dataclasses);
- `changes`: single changes to a scenario that might serve an unmet need;
- `neighbourhood`: one change applied and the part around the resident re-solved;
- `search`: changes tried smallest first until one really serves the need;
- `patch`: the whole roster after a change, written as a folder for `matcher check`;
- `words`, `render`: the explanations in English or Chinese;
- `command`: the `matcher explain` subcommand.
"""

from __future__ import annotations

from matcher.explain.command import add_explain_command

# Explaining loads the solver's modules (OR-Tools, scipy); they are imported on first use
# so that registering the command keeps `matcher --help` quick.
_LAZY = {
    "open_roster": "matcher.explain.state",
    "RosterState": "matcher.explain.state",
    "load_roster": "matcher.explain.load",
    "explain_pair": "matcher.explain.pair",
    "PairExplanation": "matcher.explain.pair",
    "explain_resident": "matcher.explain.resident",
    "ResidentExplanation": "matcher.explain.resident",
    "explain_volunteer": "matcher.explain.volunteer",
    "VolunteerExplanation": "matcher.explain.volunteer",
    "explain_roster": "matcher.explain.overview",
    "RosterExplanation": "matcher.explain.overview",
    "smallest_change": "matcher.explain.search",
    "Change": "matcher.explain.changes",
    "write_trial_roster": "matcher.explain.patch",
    "render_pair": "matcher.explain.render",
    "render_resident": "matcher.explain.render",
    "render_volunteer": "matcher.explain.render",
    "render_roster": "matcher.explain.render",
    "choose_language": "matcher.explain.words",
}

__all__ = ["add_explain_command", *_LAZY]


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'matcher.explain' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
