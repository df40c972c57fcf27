"""The inline form of a generated scenario means exactly what its CSV form means."""

from __future__ import annotations

from matcher.generate import generate_tables, write_scenario
from matcher.generate.inline import write_inline
from matcher.scenario import read_scenario


def test_inline_and_table_forms_read_the_same(tmp_path):
    tables = generate_tables("station", 5, with_current=True)
    from_tables = read_scenario(write_scenario(tmp_path / "csv", "station", 5, with_current=True))
    inline = read_scenario(write_inline(tmp_path / "inline" / "scenario.yaml", tables))
    assert inline.residents == from_tables.residents
    assert inline.volunteers == from_tables.volunteers
    assert inline.current == from_tables.current
    assert inline.services == from_tables.services
