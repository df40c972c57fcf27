"""The command line: exit codes, messages on stderr, no traceback, nothing written on bad input."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from matcher.cli import main

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "scenarios" / "tiny" / "scenario.yaml"


def test_validate_reports_on_a_valid_scenario(capsys):
    assert main(["validate", str(TINY)]) == 0
    printed = capsys.readouterr()
    out = printed.out
    # The report on stdout; what is being done, on stderr.
    assert printed.err.startswith(f"reading {TINY} ...\nread 3 residents and 4 volunteers")
    assert "The scenario is valid." not in printed.err
    assert "The scenario is valid." in out
    assert "Residents: 3" in out
    assert "Needs: 4, asking 6 visits" in out
    assert "Residents with no eligible volunteer at all: 0" in out


def test_validate_names_the_first_rule_that_rules_a_resident_out(tmp_path, capsys):
    text = TINY.read_text(encoding="utf-8").replace(
        "config: ../../configs/default.yaml", "").replace(
        "lat: 39.6290\n    lon: 118.1770", "lat: 39.9290\n    lon: 118.1770")
    scenario = tmp_path / "far.yaml"
    scenario.write_text(text, encoding="utf-8")
    assert main(["validate", str(scenario)]) == 0
    out = capsys.readouterr().out
    assert "Residents with no eligible volunteer at all: 1" in out
    assert "R02 王建国: no volunteer lives within reach (H1 distance); the nearest volunteer is" in out


def test_bad_input_exits_2_with_every_problem_on_stderr(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(TINY.read_text(encoding="utf-8")
                   .replace("config: ../../configs/default.yaml", "")
                   .replace("kind: senior", "kind: elder", 1)
                   .replace("Mon-Sat 08:30-12:00", "Mon-Sat 08:30-25:00"), encoding="utf-8")
    before = sorted(os.listdir(tmp_path))
    assert main(["validate", str(bad)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "2 problems in the input:" in captured.err
    assert f"{bad}:23: resident R01: kind: 'elder' is not one of senior, child" in captured.err
    assert sorted(os.listdir(tmp_path)) == before


def test_missing_scenario_file_is_a_clear_message(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "nope.yaml")]) == 2
    assert f"{tmp_path / 'nope.yaml'}: file does not exist" in capsys.readouterr().err


def test_console_script_prints_no_traceback(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("format: matcher/v1\nname: [unclosed\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "matcher", "validate", str(bad)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "not valid YAML" in result.stderr


def test_validate_names_services_whose_skills_nobody_in_reach_has(tmp_path, capsys):
    text = TINY.read_text(encoding="utf-8").replace(
        "config: ../../configs/default.yaml", "").replace(
        "gender: female, skills: [haircut]", "gender: female, skills: []")
    scenario = tmp_path / "no_haircut.yaml"
    scenario.write_text(text, encoding="utf-8")
    assert main(["validate", str(scenario)]) == 0
    assert "  haircut (skills haircut): 1 of 1 residents who need it: R01" in capsys.readouterr().out
