"""A scenario that `extends:` another: what it overrides, adds and removes, and its errors."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from matcher.cli import main
from matcher.errors import ScenarioError
from matcher.scenario import parse_scenario, read_scenario

BASE = textwrap.dedent("""\
    format: matcher/v1
    name: 测试社区
    week_of: 2026-12-07
    config:
      weights: {distance_km: 1}
      defaults: {volunteer: {max_distance_km: 3}}
    services:
      companionship: {name: 陪伴探访, skills: []}
      rehab: {name: 康复训练, skills: [rehab]}
    stations:
      - {id: S01, name: 文化路社区服务站, lat: 39.63, lon: 118.18}
    organizations:
      - {id: ORG1, name: 志愿服务队}
    residents:
      - id: R01
        name: 张秀兰
        kind: senior
        lat: 39.632
        lon: 118.181
        station: S01
        team_size: 2
        exclude_volunteers: [V02]
        prefer: {gender: female}
        needs:
          - {service: companionship, duration_min: 60, windows: [Mon-Fri 09:00-11:30]}
      - id: R02
        name: 王建国
        kind: senior
        lat: 39.629
        lon: 118.177
        needs:
          - {service: rehab, duration_min: 45, windows: [Sat 09:00-12:00]}
    volunteers:
      - {id: V01, name: 刘桂芳, lat: 39.631, lon: 118.183, organization: ORG1,
         availability: [Mon-Sat 08:30-12:00], max_hours_per_week: 5}
      - {id: V02, name: 陈志强, lat: 39.628, lon: 118.176, skills: [rehab],
         availability: [Sat 08:00-12:00]}
    current:
      - {resident: R01, volunteer: V01}
      - {resident: R02, volunteer: V02}
    """)


def variant(text: str, base: str = BASE):
    return parse_scenario(textwrap.dedent(text), "variant.yaml", files={"base.yaml": base})


def problems_of(text: str, files: dict[str, str] | None = None) -> list[str]:
    files = {"base.yaml": BASE} if files is None else files
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(textwrap.dedent(text), "variant.yaml", files=files)
    return [str(problem) for problem in caught.value.problems]


def by_id(entities):
    return {entity.id: entity for entity in entities}


def test_a_variant_that_only_extends_is_its_base():
    base = parse_scenario(BASE, "base.yaml")
    same = variant("format: matcher/v1\nextends: base.yaml\n")
    assert same.name == base.name and same.week_of == base.week_of
    assert same.config == base.config
    for key in ("services", "stations", "organizations", "residents", "volunteers", "current"):
        assert [_without_source(e) for e in getattr(same, key)] == \
               [_without_source(e) for e in getattr(base, key)], key
    # Entities keep pointing at the file that wrote them.
    assert same.volunteers[0].source.file == "base.yaml"


def _without_source(entity):
    from dataclasses import replace
    return replace(entity, source=None)


def test_a_base_entity_changes_only_the_fields_written():
    scenario = variant("""\
        format: matcher/v1
        extends: base.yaml
        volunteers:
          - {id: V01, max_distance_km: 5}
        residents:
          - {id: R01, priority: 4}
        """)
    volunteer = by_id(scenario.volunteers)["V01"]
    assert volunteer.max_distance_km == 5
    assert volunteer.max_hours_per_week == 5          # kept from the base
    assert volunteer.name == "刘桂芳"
    assert volunteer.source.file == "variant.yaml" and volunteer.source.line == 4
    resident = by_id(scenario.residents)["R01"]
    assert resident.priority == 4
    assert resident.needs == parse_scenario(BASE, "b.yaml").residents[0].needs
    assert resident.prefer.gender == "female"
    assert [v.id for v in scenario.volunteers] == ["V01", "V02"]   # base order kept


def test_needs_and_wishes_written_replace_the_base_ones():
    scenario = variant("""\
        format: matcher/v1
        extends: base.yaml
        residents:
          - id: R01
            prefer: {}
            needs:
              - {service: companionship, visits_per_week: 2, duration_min: 30,
                 windows: [Sat 09:00-12:00]}
        """)
    resident = by_id(scenario.residents)["R01"]
    assert [(n.visits_per_week, n.duration_min) for n in resident.needs] == [(2, 30)]
    assert resident.prefer.is_empty


def test_new_entities_are_added_after_the_base_ones():
    scenario = variant("""\
        format: matcher/v1
        extends: base.yaml
        stations:
          - {id: S02, name: 新开服务站, lat: 39.64, lon: 118.19}
        volunteers:
          - {id: V03, name: 赵晓明, lat: 39.635, lon: 118.178, availability: [Sun 09:00-12:00]}
        """)
    assert [s.id for s in scenario.stations] == ["S01", "S02"]
    assert [v.id for v in scenario.volunteers] == ["V01", "V02", "V03"]
    # A new volunteer takes the defaults of the config in force.
    assert by_id(scenario.volunteers)["V03"].max_distance_km == 3


def test_config_is_merged_over_the_base_config_before_defaults_apply():
    scenario = variant("""\
        format: matcher/v1
        extends: base.yaml
        config:
          weights: {churn: 7}
          defaults: {volunteer: {max_distance_km: 5}}
        """)
    assert scenario.config.weights.churn == 7
    assert scenario.config.weights.distance_km == 1          # from the base
    # A base volunteer that did not set a distance takes the variant's default.
    assert by_id(scenario.volunteers)["V02"].max_distance_km == 5


def test_remove_takes_out_entities_and_what_would_dangle():
    scenario = variant("""\
        format: matcher/v1
        extends: base.yaml
        remove:
          volunteers: [V02]
        """)
    assert [v.id for v in scenario.volunteers] == ["V01"]
    assert [(p.resident, p.volunteer) for p in scenario.current] == [("R01", "V01")]
    assert by_id(scenario.residents)["R01"].exclude_volunteers == ()

    scenario = variant("""\
        format: matcher/v1
        extends: base.yaml
        remove: {residents: [R01]}
        """)
    assert [r.id for r in scenario.residents] == ["R02"]
    assert [(p.resident, p.volunteer) for p in scenario.current] == [("R02", "V02")]


def test_current_written_replaces_the_base_current():
    scenario = variant("""\
        format: matcher/v1
        extends: base.yaml
        current:
          - {resident: R02, volunteer: V02}
        """)
    assert [(p.resident, p.volunteer) for p in scenario.current] == [("R02", "V02")]


def test_a_variant_can_extend_a_variant_with_paths_relative_to_each_file():
    files = {"base/base.yaml": BASE,
             "base/middle.yaml": "format: matcher/v1\nextends: base.yaml\nname: 中间\n"
                                 "config: {weights: {churn: 3}}\n"}
    scenario = parse_scenario("format: matcher/v1\nextends: base/middle.yaml\n"
                              "config: {weights: {churn: 9}}\n", "top.yaml", files=files)
    assert scenario.name == "中间"
    assert scenario.config.weights.churn == 9        # the nearest file wins


def test_extends_on_disk_solves_and_passes_the_checker(tmp_path: Path):
    (tmp_path / "base.yaml").write_text(BASE, encoding="utf-8")
    (tmp_path / "what_if").mkdir()
    (tmp_path / "what_if" / "far.yaml").write_text(textwrap.dedent("""\
        format: matcher/v1
        extends: ../base.yaml
        name: 远一点
        volunteers:
          - {id: V01, max_distance_km: 6}
        """), encoding="utf-8")
    scenario = read_scenario(tmp_path / "what_if" / "far.yaml")
    assert by_id(scenario.volunteers)["V01"].max_distance_km == 6
    out = tmp_path / "out"
    assert main(["solve", str(tmp_path / "what_if" / "far.yaml"), "-o", str(out),
                 "--time-limit", "10", "--quiet"]) == 0
    assert main(["check", str(tmp_path / "what_if" / "far.yaml"), str(out)]) == 0


@pytest.mark.parametrize(("text", "files", "expected"), [
    ("format: matcher/v1\nextends: nowhere.yaml\n", None,
     ["variant.yaml:2: extends: file 'nowhere.yaml' does not exist"]),
    ("format: matcher/v1\nextends: [a, b]\n", None,
     ["variant.yaml:2: extends: ['a', 'b'] is not a path to a scenario file"]),
    ("format: matcher/v1\nextends: variant.yaml\n", {"variant.yaml": "format: matcher/v1\n"},
     ["variant.yaml:2: extends: 'variant.yaml' leads back to itself (variant.yaml -> "
      "variant.yaml); a scenario cannot extend itself"]),
    ("format: matcher/v1\nextends: base.yaml\nremove: {volunteers: [V09]}\n", None,
     ["variant.yaml:3: remove.volunteers: 'V09' is not a volunteer of the base scenario "
      "(did you mean 'V02'?)"]),
    ("format: matcher/v1\nextends: base.yaml\nremove: {helpers: [V01]}\n", None,
     ["variant.yaml:3: remove.helpers: unknown key"]),
    ("format: matcher/v1\nname: x\nservices: {}\nresidents: []\nvolunteers: []\n"
     "remove: {volunteers: [V01]}\n", None,
     ["variant.yaml:6: remove: only applies to a scenario that extends another "
      "(add extends: FILE)"]),
    ("format: matcher/v1\nextends: base.yaml\nvolunteers:\n  - {id: V01, max_hours_per_week: -1}\n",
     None,
     ["variant.yaml:4: volunteer V01: max_hours_per_week: -1 must be greater than 0"]),
    ("format: matcher/v1\nextends: base.yaml\nvolunteers:\n  - {id: V01, speed: 3}\n", None,
     ["variant.yaml:4: volunteer V01: speed: unknown field"]),
    ("format: matcher/v1\nextends: base.yaml\nremove: {volunteers: [V01]}\n"
     "volunteers:\n  - {id: V01, max_residents: 2}\n", None,
     ["variant.yaml:5: volunteer V01: id: 'V01' is also under remove.volunteers "
      "(expected one or the other)"]),
    ("format: matcher/v1\nextends: base.yaml\nvolunteers:\n  - {id: V01, max_residents: 2}\n"
     "  - {id: V01, max_residents: 3}\n", None,
     ["variant.yaml:5: volunteer V01: id: 'V01' is changed twice (expected one entry per id)"]),
    # A removed station still used by a resident is a mistake, named where the resident is.
    ("format: matcher/v1\nextends: base.yaml\nremove: {stations: [S01]}\n", None,
     ["base.yaml:15: resident R01: station: 'S01' is not a known station id"]),
])
def test_bad_variants_are_refused_with_file_line_entity_and_field(text, files, expected):
    problems = problems_of(text, files)
    # Only the start of an unknown-id message is compared: the rest lists the known ids.
    assert [p.split(" (expected")[0] if "station id" in p else p for p in problems] == expected


def test_problems_in_the_base_are_reported_in_the_base_file():
    broken = BASE.replace("max_hours_per_week: 5", "max_hours_per_week: lots")
    problems = problems_of("format: matcher/v1\nextends: base.yaml\n", {"base.yaml": broken})
    assert len(problems) == 1 and problems[0] == ("base.yaml:35: volunteer V01: "
                                                 "max_hours_per_week: 'lots' is not a number")


def test_cli_refuses_a_bad_variant_with_exit_2(tmp_path: Path, capsys):
    (tmp_path / "variant.yaml").write_text("format: matcher/v1\nextends: missing.yaml\n",
                                           encoding="utf-8")
    assert main(["validate", str(tmp_path / "variant.yaml")]) == 2
    err = capsys.readouterr().err
    assert "extends" in err and "does not exist" in err and "Traceback" not in err


def test_the_bundled_spring_festival_variant_reads_as_its_comments_say():
    root = Path(__file__).resolve().parent.parent / "scenarios" / "station"
    base = read_scenario(root / "scenario.yaml")
    spring = read_scenario(root / "spring_festival.yaml")
    gone = {"V000003", "V000005", "V000008", "V000013"}
    assert {v.id for v in base.volunteers} - {v.id for v in spring.volunteers} == gone
    assert len(spring.volunteers) == len(base.volunteers) - 4
    assert not any(p.volunteer in gone for p in spring.current)
    first = by_id(spring.volunteers)["V000001"]
    assert (first.max_distance_km, first.max_hours_per_week) == (3, 10)
    base_residents = by_id(base.residents)
    for resident in spring.residents:
        kept = tuple(v for v in base_residents[resident.id].exclude_volunteers if v not in gone)
        assert resident.exclude_volunteers == kept
        assert resident.needs == base_residents[resident.id].needs
