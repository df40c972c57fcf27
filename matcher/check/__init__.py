"""An independent checker of a roster folder against its scenario: hard rules H1-H10 and the
output contract (section 7 of the format, reported as rule `OUTPUT`).

It shares no constraint code with any solver, so that one mistake cannot hide in both: it
imports nothing from `matcher` but the scenario model and window helpers, reads the roster
files itself with `csv` and `json`, and recomputes distances, travel times, hours and
overlaps in plain Python.

Conventions (the same ones the solver follows):

- Distance is the haversine great-circle distance on a sphere of radius 6371.0088 km, times
  `config.travel.detour_factor`. Travel minutes = distance / `speed_kmh[volunteer.travel]`
  x 60, a float, not rounded.
- H1: distance <= `max_distance_km` (+1e-9).
- H2: a resident has at most `team_size` pairs; every attendee of a visit is paired with
  that resident in assignments.csv.
- H3: per (resident, service) need: at most `visits_per_week` visits, on distinct days; each
  visit [start, end) lies within ONE merged window of the need and within one merged
  availability window of every attending volunteer; end - start == `duration_min`; exactly
  `volunteers_per_visit` distinct volunteers.
- H4: the union of the attendees' skills includes every skill of the service.
- H5: a volunteer's visits, sorted by day and start: on one day, next.start - prev.end >=
  travel minutes from prev's resident to next's at that volunteer's speed (0 for the same
  resident), 1e-9 tolerance, and never an overlap. A resident's visits never overlap.
- H6: sum over the visits attended of (end - start + 2 x travel minutes base -> resident)
  <= `max_hours_per_week` x 60 (+1e-6).
- H7: a volunteer has at most `max_residents` pairs.
- H8: the volunteer is not in `exclude_volunteers`; `require.gender`, if set, is the
  volunteer's gender; `require.languages`, if any, has at least one the volunteer speaks.
- H9: every id in every output file exists (a visit's or unmet row's service must be one of
  that resident's needs); no pair row twice; names in assignments.csv are the scenario's;
  `station_id` is the resident's station (empty when none); `distance_km` is within 0.01 of
  the computed distance; `incumbent` is `true` iff the pair is in `current`, else `false`.
- H10: a volunteer paired with a `child` has `background_check_until` >= `week_of`.
- OUTPUT: the four files exist; each CSV starts with the UTF-8 BOM and has exactly the
  contract's columns in order; no cell starts with `=`, `+`, `-` or `@`; days are Mon..Sun,
  times HH:MM; unmet.csv has a row for a need iff visits_missing = visits_per_week - visits
  written > 0 or members_missing = max(0, team_size - pairs written) > 0, with exactly those
  numbers and a non-empty reason; summary.json holds every contract key with its JSON type,
  coverage.visits_scheduled = rows of visits.csv, coverage.visits_demanded = the sum of
  visits_per_week, and bound <= objective + 1e-6 when a bound is given.

A malformed file or cell is an OUTPUT violation naming the file and row (the header is row
1); checking goes on wherever the rest can still be read. Violations come sorted: OUTPUT
first, then H1..H10, each by its message read naturally.
"""

from .checker import check_roster
from .violation import Violation, format_report

__all__ = ["Violation", "check_roster", "format_report"]
