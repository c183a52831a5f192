"""docs/lab/: the lab course's notebooks are committed without outputs, and each runs top to bottom.

Each notebook runs in its own Jupyter kernel (nbclient), with the repository first on the kernel's
PYTHONPATH, so the checkout's code is what runs. They share one small cache under ``$MER_CACHE_DIR/lab``
(the quick demo dataset that ``mer demo --quick`` builds, 4 of its people prepared once): the first notebook
prepares it, the third reuses it. This file runs on one xdist worker (``--dist loadfile``), in file order.
"""
import json
import os
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LAB = REPO / "docs" / "lab"
NOTEBOOKS = sorted(path.name for path in LAB.glob("*.ipynb"))
# Each notebook and the figures it draws at least (notebook 4 shows tables only).
FIGURES = {"01_preprocessing_and_regions.ipynb": 5, "02_stff_model_layer_by_layer.ipynb": 1,
           "03_train_one_fold_and_attention.ipynb": 2, "04_presets_and_original.ipynb": 0,
           "05_mean_spotting_long_video.ipynb": 2, "06_gia_bia_blocks.ipynb": 2}
EXPECTED = tuple(FIGURES)
NEEDS_MEAN_WEIGHTS = {"05_mean_spotting_long_video.ipynb"}   # the published MEAN checkpoints in ../shared/data
CELL_TIMEOUT = 600


def read(name):
    return json.loads((LAB / name).read_text())


def test_the_course_has_its_six_notebooks_and_the_index_names_each():
    assert tuple(NOTEBOOKS) == EXPECTED
    index = (LAB / "README.md").read_text()
    for name in NOTEBOOKS:
        assert f"({name})" in index, f"docs/lab/README.md does not link {name}"


@pytest.mark.parametrize("name", EXPECTED)
def test_committed_notebook_has_no_outputs(name):
    notebook = read(name)
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    assert code, f"{name} has no code cell"
    for number, cell in enumerate(code):
        assert cell.get("outputs") == [], f"{name}: code cell {number} has outputs (strip them before committing)"
        assert cell.get("execution_count") is None, f"{name}: code cell {number} has an execution count"
    assert "widgets" not in notebook["metadata"], f"{name}: widget state in the metadata"


@pytest.mark.slow   # builds the demo data, trains a fold: a kernel per notebook, 10-90 s of CPU each
@pytest.mark.parametrize("name", [pytest.param(name, marks=pytest.mark.needs_shared_data) if name in NEEDS_MEAN_WEIGHTS
                                  else name for name in EXPECTED])
def test_notebook_runs_top_to_bottom(name, pyfeat_wheel, request, monkeypatch):
    nbformat = pytest.importorskip("nbformat", reason="the test extra installs nbformat (pip install -e .[test])")
    pytest.importorskip("nbclient", reason="the test extra installs nbclient")
    pytest.importorskip("ipykernel", reason="the test extra installs ipykernel")
    pytest.importorskip("dlib")
    from nbclient import NotebookClient

    if name in NEEDS_MEAN_WEIGHTS:
        monkeypatch.setenv("MER_MEAN_WEIGHTS", str(request.getfixturevalue("mean_weights")))
    # The kernel inherits this environment: the checkout's code first, TensorFlow's C++ logs quiet.
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "2")
    notebook = nbformat.read(LAB / name, as_version=4)
    started = time.perf_counter()
    NotebookClient(notebook, timeout=CELL_TIMEOUT, kernel_name="python3",
                   resources={"metadata": {"path": str(LAB)}}).execute()   # raises on the first failing cell
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    figures = [output for output in outputs if "image/png" in output.get("data", {})]
    text = "".join(output.get("text", "") for output in outputs if output.get("output_type") == "stream")
    assert len(figures) >= FIGURES[name], f"{name} drew {len(figures)} figures, expected {FIGURES[name]}"
    assert "notebook ran in" in text, f"{name} did not reach its last cell"
    print(f"{name}: {time.perf_counter() - started:.0f} s, {len(figures)} figures; {text.strip().splitlines()[-1]}")
