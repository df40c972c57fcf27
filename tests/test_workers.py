"""The search on several worker processes: same answers as in one process, and repeatable."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

import matcher
from matcher.candidates import candidate_pairs
from matcher.check import check_roster
from matcher.generate import write_scenario
from matcher.objective import evaluate, unserved_cost
from matcher.options import visit_options
from matcher.scenario import read_scenario
from matcher.solution import Solution
from matcher.solvers import budgets, engine, partition, schedule, teams
from matcher.solvers.bound import instant_lower_bound, lower_bound
from matcher.solvers.cpsat import SolverParams
from matcher.solvers.engine import StopFlag
from matcher.solvers.greedy import greedy_roster
from matcher.solvers.lagrange import lagrangian_bound
from matcher.solvers.plans import resident_plans
from matcher.solvers.pool import Workers, can_fork, workers_for
from tests.test_solve import solved_examples

ROOT = Path(__file__).resolve().parents[1]
STATION = ROOT / "scenarios" / "station" / "scenario.yaml"

needs_fork = pytest.mark.skipif(not can_fork(), reason="worker processes need fork()")


@pytest.fixture(scope="module")
def twin_stations(tmp_path_factory) -> Path:
    """The bundled station and a copy of it 30 km north: blocks of one share no volunteer
    with blocks of the other, so the team choice can solve them side by side."""
    data = yaml.safe_load(STATION.read_text(encoding="utf-8"))
    copy = copy_of(data, "S0002", 0.3)
    for key in ("residents", "volunteers", "current"):
        data[key] = data[key] + copy[key]
    data["stations"] = data["stations"] + copy["stations"]
    path = tmp_path_factory.mktemp("twin") / "scenario.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def copy_of(data: dict, station: str, north: float) -> dict:
    def moved(entity: dict) -> dict:
        return {**entity, "id": entity["id"] + "B", "station": station,
                "lat": round(entity["lat"] + north, 6)}

    return {
        "residents": [moved(r) for r in data["residents"]],
        "volunteers": [moved(v) for v in data["volunteers"]],
        "current": [{"resident": c["resident"] + "B", "volunteer": c["volunteer"] + "B"}
                    for c in data["current"]],
        "stations": [{**data["stations"][0], "id": station,
                      "lat": round(data["stations"][0]["lat"] + north, 6)}],
    }


@pytest.fixture(scope="module")
def station(twin_stations):
    scenario = read_scenario(twin_stations)
    problem = matcher.solve(scenario, method="greedy").problem
    options = visit_options(problem, candidate_pairs(problem), range(problem.n_residents))
    residents = list(range(problem.n_residents))
    plans = [plan for r in residents for plan in resident_plans(problem, options, r)]
    return problem, options, residents, plans


def _by_resident(plans):
    found = {}
    for plan in plans:
        found.setdefault(plan.resident, []).append(plan)
    return found


def test_a_block_waits_for_every_earlier_block_sharing_a_volunteer_and_only_those(station):
    _, _, residents, plans = station
    by_resident = _by_resident(plans)
    chunks = [residents[i:i + 8] for i in range(0, len(residents), 8)]
    blocks = teams._interleaved(chunks, 2)
    assert sorted(map(tuple, blocks)) == sorted(map(tuple, chunks))
    assert teams._interleaved(chunks, 1) == chunks  # one worker: map order
    used = [{v for r in block for p in by_resident.get(r, []) for v in p.team}
            for block in blocks]
    waits_for = teams._earlier_sharing_a_volunteer(blocks, by_resident)
    for i in range(len(blocks)):
        # Done before block i starts: those it waits for, and what they waited for.
        before, todo = set(), list(waits_for[i])
        while todo:
            j = todo.pop()
            if j not in before:
                before.add(j)
                todo.extend(waits_for[j])
        sharing = {j for j in range(i) if not used[i].isdisjoint(used[j])}
        assert sharing <= before
        assert all(j < i and not used[i].isdisjoint(used[j]) for j in waits_for[i])
    # Blocks of the two stations share no volunteer: each block of the second station in
    # turn waits for none of the first's, so the two run side by side.
    assert any(not waits for waits in waits_for[1:])


@needs_fork
def test_team_choice_on_two_workers_equals_the_same_blocks_one_after_another(station,
                                                                              monkeypatch):
    problem, options, residents, plans = station
    monkeypatch.setattr(teams, "BLOCK", 8)  # several blocks a station, so some run side by side
    params = SolverParams(time_limit_s=60.0)
    with workers_for(problem, options, 2) as pool:
        assert pool.count == 2
        forked = teams.choose_teams(problem, plans, residents, params, max_blocks=40,
                                    workers=pool)
    with workers_for(problem, options, 1):
        here = teams.choose_teams(problem, plans, residents, params, max_blocks=40,
                                  workers=Workers(count=2))  # every call here, in order
    assert forked.blocks == here.blocks >= 10  # every block of a pass at least
    assert forked.teams == here.teams


def test_the_team_choice_says_how_many_blocks_are_done(station, monkeypatch):
    problem, _, residents, plans = station
    monkeypatch.setattr(teams, "BLOCK", 8)
    monkeypatch.setattr(teams, "REPORT_SECONDS", 0.0)  # a line after every block
    lines = []
    choice = teams.choose_teams(problem, plans, residents, SolverParams(time_limit_s=60.0),
                                max_blocks=12, say=lines.append)
    assert choice.blocks == 12
    assert lines == [f"  team choice: {n} of 12 blocks re-chosen" for n in range(1, 13)]


def _failing_block(task):
    raise RuntimeError("block model failed")


@needs_fork
def test_a_block_that_fails_on_a_worker_fails_the_team_choice_at_once(station, monkeypatch):
    problem, options, residents, plans = station
    monkeypatch.setattr(teams, "BLOCK", 8)
    monkeypatch.setattr(teams, "_solve_block_on_worker", _failing_block)
    with workers_for(problem, options, 2) as pool, pytest.raises(RuntimeError,
                                                                match="block model failed"):
        teams.choose_teams(problem, plans, residents, SolverParams(time_limit_s=60.0),
                           max_blocks=40, workers=pool)


def _lost_block(task):
    time.sleep(60)  # as if its worker were gone: no answer in the part's time


@needs_fork
def test_a_block_lost_on_a_worker_is_given_up_once_the_time_is_past(station, monkeypatch):
    problem, options, residents, plans = station
    monkeypatch.setattr(teams, "BLOCK", 8)
    monkeypatch.setattr(teams, "LATE_SECONDS", 0.5)
    monkeypatch.setattr(teams, "_solve_block_on_worker", _lost_block)
    started = time.monotonic()
    with workers_for(problem, options, 2) as pool:
        choice = teams.choose_teams(problem, plans, residents, SolverParams(time_limit_s=1.0),
                                    max_blocks=40, workers=pool)
    assert time.monotonic() - started < 10
    assert choice.status == "time limit" and choice.blocks == 0
    assert choice.teams  # the start's teams are kept


@needs_fork
def test_candidate_teams_found_on_workers_equal_those_found_here(station, twin_stations):
    problem, options, residents, plans = station
    greedy = matcher.solve(read_scenario(twin_stations), method="greedy").solution
    chunks = [residents[i:i + 7] for i in range(0, len(residents), 7)]
    with workers_for(problem, options, 2) as pool:
        found = pool.submit(engine._plans_of, [(chunk, float("inf"), quick)
                                               for quick in (True, False) for chunk in chunks])
        forked, late = engine._plans_found(problem, options, chunks, found, greedy, StopFlag(),
                                           float("inf"))
    assert not late
    assert forked == plans  # the full plans only, where all were found in time


@needs_fork
def test_candidate_teams_not_in_by_the_parts_deadline_keep_the_greedy_teams(station,
                                                                            twin_stations):
    problem, options, residents, _ = station
    greedy = matcher.solve(read_scenario(twin_stations), method="greedy").solution
    greedy_teams = engine._teams_of(greedy)
    chunks = [residents[i:i + 7] for i in range(0, len(residents), 7)]
    with workers_for(problem, options, 2) as pool:
        found = pool.submit(_lost_block, chunks)  # a lost worker: no answer
        started = time.monotonic()
        plans, late = engine._plans_found(problem, options, chunks, found, greedy, StopFlag(),
                                          time.monotonic() + 0.5)
    assert late and time.monotonic() - started < 5
    assert {p.resident: p.team for p in plans} == greedy_teams


def test_chunks_past_their_deadline_keep_the_greedy_teams(station, twin_stations):
    problem, options, residents, plans = station
    greedy = matcher.solve(read_scenario(twin_stations), method="greedy").solution
    greedy_teams = engine._teams_of(greedy)
    chunks = [residents[:10], residents[10:]]
    with workers_for(problem, options, 1) as here:
        found = here.submit(engine._plans_of, [(chunks[0], float("inf"), False),
                                               (chunks[1], 0.0, False)])
        mixed, late = engine._plans_found(problem, options, chunks, found, greedy, StopFlag(),
                                          float("inf"))
    assert late
    assert [p for p in mixed if p.resident in chunks[0]] == [
        p for p in plans if p.resident in chunks[0]]
    assert {p.resident: p.team for p in mixed if p.resident in chunks[1]} == {
        r: greedy_teams[r] for r in chunks[1] if r in greedy_teams}


def test_chunks_whose_full_plans_are_cut_keep_their_quick_plans_and_greedy_teams(
        station, twin_stations):
    problem, options, residents, plans = station
    greedy = matcher.solve(read_scenario(twin_stations), method="greedy").solution
    greedy_teams = engine._teams_of(greedy)
    chunks = [residents[:10], residents[10:]]
    tasks = [(chunks[0], float("inf"), True), (chunks[1], float("inf"), True),
             (chunks[0], float("inf"), False), (chunks[1], 0.0, False)]
    with workers_for(problem, options, 1) as here:
        mixed, late = engine._plans_found(problem, options, chunks,
                                          here.submit(engine._plans_of, tasks), greedy,
                                          StopFlag(), float("inf"))
    assert late
    assert [p for p in mixed if p.resident in chunks[0]] == [
        p for p in plans if p.resident in chunks[0]]
    cut = [p for p in mixed if p.resident in chunks[1]]
    quick = [p for r in chunks[1] for p in resident_plans(problem, options, r, quick=True)]
    assert cut[:len(quick)] == quick
    assert len(quick) < len([p for p in plans if p.resident in chunks[1]])
    for r in chunks[1]:
        teams_of_r = [p.team for p in cut if p.resident == r]
        assert len(teams_of_r) == len(set(teams_of_r))
        if r in greedy_teams:
            assert greedy_teams[r] in teams_of_r


@needs_fork
def test_alone_bound_on_workers_equals_the_bound_worked_out_here(station):
    problem, options, residents, _ = station
    chunks = [residents[i:i + 9] for i in range(0, len(residents), 9)]
    with workers_for(problem, options, 2) as pool:
        values = pool.submit(engine._alone_bounds_of, chunks).get()
    assert float(sum(v for chunk in values for v in chunk)) == lower_bound(problem, options,
                                                                          residents)


@needs_fork
def test_visits_of_chosen_teams_set_on_workers_equal_those_set_here(station):
    problem, options, residents, plans = station
    params = SolverParams(time_limit_s=60.0)
    with workers_for(problem, options, 1):
        choice = teams.choose_teams(problem, plans, residents, params, max_blocks=10)
    # Every team promised one more visit than its plan: every group counts as short and
    # has its visits set by CP-SAT.
    planned = {p.resident: p.visits + 1 for p in plans
               if choice.teams.get(p.resident) == p.team}
    rosters = []
    for count in (2, 1):
        with workers_for(problem, options, count) as workers:
            assert workers.count == count
            roster, clock_ended = schedule.schedule_teams(
                problem, options, residents, choice.teams, planned, params, 5.0,
                float("inf"), StopFlag(), workers)
            assert not clock_ended  # no deadline: the work limits end every model
            rosters.append(roster)
    assert rosters[0] == rosters[1]
    allowed = {r: choice.teams.get(r, ()) for r in residents}
    greedy = greedy_roster(problem, options.restricted(allowed, problem), residents)
    # A group's exact visits replace the greedy pass's only where they are better.
    assert rosters[0] != greedy
    assert evaluate(problem, rosters[0]).objective < evaluate(problem, greedy).objective


@needs_fork
def test_visits_lost_on_a_worker_keep_the_greedy_pass_once_the_time_is_past(station,
                                                                            monkeypatch):
    problem, options, residents, plans = station
    with workers_for(problem, options, 1):
        choice = teams.choose_teams(problem, plans, residents, SolverParams(time_limit_s=60.0),
                                    max_blocks=10)
    monkeypatch.setattr(schedule, "LATE_SECONDS", 0.5)
    monkeypatch.setattr(schedule, "_schedule_group", _lost_block)
    started = time.monotonic()
    with workers_for(problem, options, 2) as workers:
        roster, clock_ended = schedule.schedule_teams(
            problem, options, residents, choice.teams, {}, SolverParams(time_limit_s=60.0),
            5.0, time.monotonic() + 0.5, StopFlag(), workers, every_group=True)
    assert clock_ended and time.monotonic() - started < 10
    allowed = {r: choice.teams.get(r, ()) for r in residents}
    assert roster == greedy_roster(problem, options.restricted(allowed, problem), residents)


@needs_fork
@pytest.mark.parametrize("layout, says, limit", [
    ("twin", "2 parts side by side on 2 workers", 10),  # two parts, one on each worker
    # One part whose candidate teams and blocks use both workers. Alone, it also has its
    # integer relaxation, which a 10 s limit cuts in some runs and not in others.
    ("one", "(2 workers)", 60),
])
def test_two_workers_give_a_checked_roster_that_repeats_byte_for_byte(
        tmp_path, monkeypatch, twin_stations, layout, says, limit):
    # The stations are small; lowering the size from which a part uses the workers makes
    # one take the path of a district or a city. (Two such parts would be joined into one,
    # so the twins keep the sizes of parts solved side by side.)
    if layout == "one":
        monkeypatch.setattr(partition, "PARALLEL_RESIDENTS", 20)
    monkeypatch.setattr(teams, "BLOCK", 10)
    scenario = read_scenario(twin_stations if layout == "twin" else STATION)
    folders, messages = [], []
    for run in ("first", "again"):
        result = matcher.solve(scenario, time_limit_s=limit, workers=2,
                               progress=messages.append)
        assert result.summary["status"] != "time limit"
        folders.append(result.write(tmp_path / run))
        assert check_roster(scenario, folders[-1]) == []
    assert any(says in message for message in messages)
    for name in ("assignments.csv", "visits.csv"):
        assert (folders[0] / name).read_bytes() == (folders[1] / name).read_bytes()


@pytest.fixture
def city_path(monkeypatch):
    """The sizes from which a part takes the city's path, made small enough for the
    bundled station: candidate teams and alone bound on the workers, the priced bound on
    another process beside the repairs."""
    monkeypatch.setattr(partition, "PARALLEL_RESIDENTS", 20)
    monkeypatch.setattr(budgets, "CONTESTED_BOUND_PAIRS", 100)
    monkeypatch.setattr(budgets, "INTEGER_BOUND_PAIRS", 50)
    monkeypatch.setattr(teams, "BLOCK", 10)


@needs_fork
@solved_examples(5)
@given(seed=st.integers(0, 2**16), residents=st.integers(25, 70),
       volunteers_each=st.sampled_from([0.3, 1.5, 4.0]), with_current=st.booleans(),
       limit=st.sampled_from([2, 6]))
def test_generated_stations_on_the_city_path_give_rosters_that_keep_the_rules(
        tmp_path_factory, city_path, seed, residents, volunteers_each, with_current, limit):
    # The city's path (candidate teams and bounds on the workers, blocks of ten, the
    # priced bound beside the repairs), whole or cut short by the limit, on generated
    # stations short of volunteers or rich in them: every roster keeps the hard rules,
    # and its bound stays below it.
    folder = tmp_path_factory.mktemp("generated")
    path = write_scenario(folder, "station", seed, residents=residents,
                          volunteers=max(1, round(residents * volunteers_each)),
                          with_current=with_current)
    scenario = read_scenario(path)
    result = matcher.solve(scenario, time_limit_s=limit, workers=2)
    assert check_roster(scenario, result.write(folder / "roster")) == []
    bound = result.summary["bound"]
    assert bound is None or bound <= result.objective + 1e-6


@needs_fork
def test_a_part_on_the_workers_gets_the_priced_bound_beside_its_repairs(tmp_path, city_path):
    # The priced bound is worked out on another process while the repairs run, its steps
    # sized by the roster before them.
    scenario = read_scenario(STATION)
    messages = []
    result = matcher.solve(scenario, time_limit_s=10, workers=2, progress=messages.append)
    assert check_roster(scenario, result.write(tmp_path / "roster")) == []
    sized_by = [m for m in messages if m.startswith("priced bound on another process")]
    assert len(sized_by) == 1
    steps, target = re.search(r"\((\d+) steps\), sized by the objective ([\d,.]+)$",
                              sized_by[0]).groups()
    steps, target = int(steps), float(target.replace(",", ""))
    assert steps == budgets.PRICED_STEPS  # the time left holds them all
    assert target >= result.objective
    problem = result.problem
    options = visit_options(problem, candidate_pairs(problem), range(problem.n_residents))
    residents = list(range(problem.n_residents))
    seen = []
    priced = lagrangian_bound(problem, options, residents, target=target, steps=steps,
                              found=seen.append)
    assert priced > lower_bound(problem, options, residents) + 1000
    # The bounds told on the way rise, and the teams priced last may lift the end higher.
    assert seen == sorted(seen) and len(seen) > 1 and seen[-1] <= priced
    assert result.summary["bound"] == pytest.approx(priced, rel=1e-9)


@needs_fork
def test_a_part_on_the_workers_stopped_before_its_repairs_starts_no_priced_bound(
        tmp_path, city_path):
    scenario = read_scenario(STATION)
    stop = StopFlag()
    messages = []

    def progress(message: str) -> None:
        messages.append(message)
        if message.startswith("teams chosen"):
            stop.stop("interrupted")  # as Ctrl-C would, once the teams are chosen

    result = matcher.solve(scenario, stop=stop, time_limit_s=10, workers=2, progress=progress)
    assert result.status == "interrupted"
    assert check_roster(scenario, result.write(tmp_path / "roster")) == []
    assert any(m.startswith("teams chosen") for m in messages)
    assert not any(m.startswith("priced bound on another process") for m in messages)


@needs_fork
def test_a_part_on_the_workers_stopped_before_its_team_choice_keeps_the_greedy_roster(
        tmp_path, monkeypatch, city_path):
    # Ctrl-C while a city's greedy roster is made: nothing better has been found, so that
    # roster is kept at once, with no team choice or visits set after the stop, and the
    # bound is the workers' alone bound if it came in time, else the instant bound.
    scenario = read_scenario(STATION)
    stop = StopFlag()
    made = engine.greedy_roster

    def greedy_then_stop(*args):
        roster = made(*args)
        stop.stop("interrupted")
        return roster

    monkeypatch.setattr(engine, "greedy_roster", greedy_then_stop)
    messages = []
    result = matcher.solve(scenario, stop=stop, time_limit_s=10, workers=2,
                           progress=messages.append)
    assert result.status == "interrupted"
    assert check_roster(scenario, result.write(tmp_path / "roster")) == []
    monkeypatch.undo()
    assert result.solution == matcher.solve(scenario, method="greedy").solution
    assert not any(m.startswith(("teams chosen", "priced bound")) for m in messages)
    problem = result.problem
    options = visit_options(problem, candidate_pairs(problem), range(problem.n_residents))
    residents = list(range(problem.n_residents))
    assert result.summary["bound"] in (
        pytest.approx(instant_lower_bound(problem, options, residents)),
        pytest.approx(lower_bound(problem, options, residents)))


def _found_then_slow(problem, options, part, target, *, found, **settings):
    found(123.0)  # a valid bound on the way; the rest takes longer than the part's time
    time.sleep(60)
    return 456.0


@needs_fork
def test_a_priced_bound_given_up_at_the_limit_keeps_the_best_it_had_found(station,
                                                                          monkeypatch):
    problem, options, residents, _ = station
    monkeypatch.setattr(engine, "lagrangian_bound", _found_then_slow)
    monkeypatch.setattr(budgets, "CONTESTED_BOUND_PAIRS", 100)
    beside = engine._PricedBeside(problem, options, residents,
                                  engine._pair_count(options, residents),
                                  time.monotonic() + 1.0)
    messages = []
    beside.start(greedy_roster(problem, options, residents), {}, messages.append)
    started = time.monotonic()
    assert beside.result(StopFlag(), messages.append) == 123.0
    assert time.monotonic() - started < 10
    assert messages[-1] == "priced bound given up: its best so far 123.0 is kept"


@needs_fork
def test_parts_side_by_side_not_finished_in_time_keep_the_greedy_roster(tmp_path,
                                                                       twin_stations):
    scenario = read_scenario(twin_stations)
    result = matcher.solve(scenario, time_limit_s=0.3, workers=2)
    assert result.status == "time limit"
    assert check_roster(scenario, result.write(tmp_path / "roster")) == []
    assert result.summary["bound"] is not None  # the relaxed bound holds for any roster
    greedy = matcher.solve(scenario, method="greedy")
    assert len(result.solution.visits) >= 0.9 * len(greedy.solution.visits) > 0
    # Both stations have visits: neither part was left without a roster.
    stations = {scenario.residents[int(result.problem.need_resident[v.need])].station
                for v in result.solution.visits}
    assert stations == {"S0001", "S0002"}


@needs_fork
def test_parts_side_by_side_when_interrupted_keep_the_greedy_roster(tmp_path, twin_stations):
    scenario = read_scenario(twin_stations)
    stop = StopFlag()
    stop.stop("interrupted")
    result = matcher.solve(scenario, stop=stop, time_limit_s=30, workers=2)
    assert result.status == "interrupted"
    assert check_roster(scenario, result.write(tmp_path / "roster")) == []
    greedy = matcher.solve(scenario, method="greedy")
    assert result.solution == greedy.solution


def test_when_the_budget_cannot_reach_every_block_the_most_to_gain_go_first(station):
    problem, _, residents, plans = station
    by_resident = _by_resident(plans)
    chosen, _ = teams._greedy_plans(problem, by_resident, residents, {})
    chunks = [residents[i:i + 8] for i in range(0, len(residents), 8)]
    ordered = teams._most_to_gain_first(problem, chunks, by_resident, chosen)
    assert sorted(map(str, ordered)) == sorted(map(str, chunks))

    def shortfall(r):
        best = min([p.cost for p in by_resident.get(r, [])] + [unserved_cost(problem, [r])])
        held = chosen[r].cost if r in chosen else unserved_cost(problem, [r])
        assert held >= best - 1e-9  # nobody holds better than their own best
        return held - best

    gains = [sum(shortfall(r) for r in block) for block in ordered]
    assert gains == sorted(gains, reverse=True) and gains[0] > gains[-1]


def test_waiting_for_another_process_reports_progress_and_gives_up_on_stop(monkeypatch):
    monkeypatch.setattr(engine, "WAIT_REPORT_SECONDS", 0.0)
    lines: list[str] = []
    stop = StopFlag()
    give_up = engine._waiting(lines.append, stop, "integer relaxation", "best roster so far 9.0")
    assert give_up() is False
    assert lines and "waiting for the integer relaxation" in lines[-1]
    assert "best roster so far 9.0" in lines[-1]
    stop.stop("interrupted")
    assert give_up() is True


@needs_fork
def test_parts_finished_when_the_limit_passes_are_kept_behind_a_larger_one_still_running(
        monkeypatch, tmp_path):
    from tests.scenarios import BASE_LAT, BASE_LON, scenario

    # Three parts a degree apart; the largest (begun first) outlasts the limit, the others
    # finish at once with a roster that serves nobody, which tells them from the greedy
    # roster given to parts not finished.
    sizes = (12, 10, 9)
    residents, volunteers = [], []
    for part, size in enumerate(sizes):
        residents += [{"id": f"R{part}_{i}", "lat": BASE_LAT + part + 0.001 * i, "lon": BASE_LON}
                      for i in range(size)]
        volunteers.append({"id": f"V{part}", "lat": BASE_LAT + part, "lon": BASE_LON})
    s = scenario(residents, volunteers)

    def first_part_slow_others_empty(problem, options, part, params, hint, say, stop,
                                     **keywords):
        if 0 in part:
            time.sleep(120)
        return Solution(), "feasible", 0.0

    monkeypatch.setattr(engine, "_solve_one", first_part_slow_others_empty)
    started = time.monotonic()
    result = matcher.solve(s, time_limit_s=8, workers=2)
    assert time.monotonic() - started < 30
    assert result.status == "time limit"
    assert check_roster(s, result.write(tmp_path / "roster")) == []
    served = {result.problem.resident_ids[r][:2] for r, _ in result.solution.pairs}
    assert served == {"R0"}  # the greedy roster for the part cut; the others' own, kept


def test_parts_that_together_reach_the_workers_size_are_joined_and_tiny_ones_kept():
    size = partition.PARALLEL_RESIDENTS
    tiny, large = [[0, 1]], [list(range(10, 10 + size // 2)), list(range(5000, 5000 + size // 2))]
    joined = partition.joined_for_workers([large[1], tiny[0], large[0]])
    assert joined == [sorted(large[0] + large[1]), tiny[0]]
    # Too few residents to use the workers in one part: parts stay side by side.
    assert partition.joined_for_workers([large[0], tiny[0]]) == [large[0], tiny[0]]
    assert partition.joined_for_workers([large[0][:100], large[1][:100]]) == [
        large[0][:100], large[1][:100]]


def _three_parts():
    from tests.scenarios import BASE_LAT, BASE_LON, scenario

    residents, volunteers = [], []
    for part, size in enumerate((12, 10, 9)):
        residents += [{"id": f"R{part}_{i}", "lat": BASE_LAT + part + 0.001 * i, "lon": BASE_LON,
                       "team_size": 1 + i % 2}
                      for i in range(size)]
        volunteers += [{"id": f"V{part}_{j}", "lat": BASE_LAT + part + 0.002 * j,
                        "lon": BASE_LON, "max_residents": 3} for j in range(6)]
    return scenario(residents, volunteers)


@needs_fork
def test_parts_joined_for_the_workers_give_a_checked_repeatable_roster(monkeypatch, tmp_path):
    monkeypatch.setattr(partition, "PARALLEL_RESIDENTS", 20)
    s = _three_parts()
    said = []
    first = matcher.solve(s, time_limit_s=30, workers=2, progress=said.append)
    assert any("3 parts of more than 8 residents solved as one (31 residents)" in line
               for line in said)
    assert check_roster(s, first.write(tmp_path / "first")) == []
    assert first.bound <= first.objective
    again = matcher.solve(s, time_limit_s=30, workers=2)
    assert (first.solution.pairs, first.solution.visits) == (again.solution.pairs,
                                                             again.solution.visits)
    assert first.objective <= matcher.solve(s, method="greedy").objective
