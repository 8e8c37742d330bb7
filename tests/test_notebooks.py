"""Every notebook runs top to bottom, and its figures render as images."""
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def test_the_three_notebooks_are_there():
    assert {p.name for p in NOTEBOOKS} >= {"quickstart.ipynb", "programme_sizing.ipynb", "stress_sweep.ipynb"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_and_draws(path):
    nb = nbformat.read(path, as_version=4)
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}}).execute()  # raises on any error
    plot_cells = [c for c in nb.cells if c.cell_type == "code" and "plots." in c.source]
    assert plot_cells
    for c in plot_cells:
        assert any("image/png" in o.get("data", {}) for o in c.outputs), c.source
