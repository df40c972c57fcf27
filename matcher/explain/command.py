"""The `matcher explain` command, for the main parser to register.

Bad input (a missing or foreign roster folder, an unknown id, a scenario that breaks the
format) is one clear message on stderr and exit 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys

from matcher.errors import ScenarioError
from matcher.exits import EXIT_BAD_INPUT, EXIT_OK
from matcher.explain.words import LANGUAGES


def add_explain_command(subparsers) -> None:
    """Register `matcher explain ROSTER_DIR [--scenario F] [--resident ID | --volunteer ID |
    --pair R V] [--lang zh|en] [--json]`."""
    explain = subparsers.add_parser(
        "explain", help="say why a roster is as it is: a pair, a resident, a volunteer",
        description="Explain a roster folder written by `matcher solve`. --pair R V: what the "
        "pair costs, term by term, and the best alternatives and why they were not chosen. "
        "--resident R: the team, the visits, and for each unmet need the rule that keeps each "
        "nearby volunteer away and the smallest change that would serve it (found by "
        "re-solving the resident's neighbourhood). --volunteer V: residents, hours against "
        "the cap, and why nearby residents are not theirs. With no selector: the objective "
        "by term and the ten costliest decisions.")
    explain.add_argument("roster_dir", metavar="ROSTER_DIR", help="roster folder")
    explain.add_argument("--scenario", metavar="FILE",
                         help="the scenario the roster was solved for (default: the file "
                         "summary.json records)")
    explain.add_argument("--config", action="append", default=[], metavar="FILE",
                         help="config file the roster was solved with (repeatable)")
    selector = explain.add_mutually_exclusive_group()
    selector.add_argument("--resident", metavar="ID", help="explain one resident")
    selector.add_argument("--volunteer", metavar="ID", help="explain one volunteer")
    selector.add_argument("--pair", nargs=2, metavar=("R", "V"), help="explain one pair")
    explain.add_argument("--lang", choices=LANGUAGES,
                         help="language (default: zh if residents' names are Chinese, else en)")
    explain.add_argument("--json", action="store_true", help="print a JSON document instead")
    explain.add_argument("--no-search", action="store_true",
                         help="--resident: do not search for the smallest change")
    explain.add_argument("--time-limit", type=float, default=None, metavar="S",
                         help="seconds per re-solve of a neighbourhood (default 4)")
    explain.add_argument("--seed", type=int, default=0, help="random seed of re-solves")
    explain.set_defaults(run=run_explain)


def run_explain(args: argparse.Namespace) -> int:
    from matcher.explain.neighbourhood import TIME_LIMIT_S

    time_limit = TIME_LIMIT_S if args.time_limit is None else args.time_limit
    if not time_limit > 0:
        print(f"matcher explain: --time-limit {args.time_limit:g} must be greater than 0",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.seed < 0:
        print(f"matcher explain: --seed {args.seed} must be at least 0", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        text, document = _explain(args, time_limit)
    except ScenarioError as error:
        print(str(error), file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.json:
        sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _explain(args: argparse.Namespace, time_limit: float) -> tuple[str, dict]:
    from matcher.explain import render
    from matcher.explain.overview import explain_roster
    from matcher.explain.pair import explain_pair
    from matcher.explain.resident import explain_resident
    from matcher.explain.state import open_roster
    from matcher.explain.volunteer import explain_volunteer
    from matcher.explain.words import change_words, choose_language

    state = open_roster(args.roster_dir, args.scenario, tuple(args.config))
    lang = args.lang or choose_language(state.scenario)
    if args.pair:
        explanation = explain_pair(state, *args.pair)
        text = render.render_pair(explanation, lang)
    elif args.resident:
        explanation = explain_resident(state, args.resident, search=not args.no_search,
                                       time_limit_s=time_limit, seed=args.seed)
        text = render.render_resident(explanation, lang)
    elif args.volunteer:
        explanation = explain_volunteer(state, args.volunteer)
        text = render.render_volunteer(explanation, lang)
    else:
        explanation = explain_roster(state)
        text = render.render_roster(explanation, lang)
    document = {"language": lang, **explanation.as_dict()}
    if args.resident:
        # The change in the chosen language too, for tools that show it as it is.
        for need in document["unmet"]:
            found = need.get("smallest_change", {}).get("found")
            if found is not None:
                found["words"] = change_words(lang, found["change"], args.resident)
    return text, document
