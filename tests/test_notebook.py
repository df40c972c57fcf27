"""The analysts' notebook runs top to bottom, saves its plots, and is stored without outputs."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from jupyter_client import KernelManager
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
TUNING = NOTEBOOKS / "tuning_weights.ipynb"
PLOTS = ("sweep/pareto.png", "terms.png", "compare.png")


def test_the_tuning_notebook_is_stored_without_outputs():
    notebook = nbformat.read(TUNING, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code
    for cell in code:
        assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]


def test_the_tuning_notebook_runs_and_saves_readable_plots(tmp_path, monkeypatch):
    monkeypatch.setenv("MATCHER_NOTEBOOK_OUT", str(tmp_path))
    notebook = nbformat.read(TUNING, as_version=4)
    # The kernel is this interpreter's ipykernel, whatever kernelspecs the machine has
    # installed, so the notebook runs against the matcher under test.
    manager = KernelManager(kernel_name="python3")
    manager.kernel_spec.argv = [sys.executable, "-m", "ipykernel_launcher", "-f",
                                "{connection_file}"]
    NotebookClient(notebook, km=manager, timeout=300,
                   resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    for name in PLOTS:
        path = tmp_path / name
        assert path.is_file(), name
        assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") and path.stat().st_size > 10_000
    errors = [output for cell in notebook.cells if cell.cell_type == "code"
              for output in cell.outputs if output.get("output_type") == "error"]
    assert errors == []
