"""The same models on every Keras backend: TensorFlow (fast path) against JAX and PyTorch (Keras path).

Each backend runs in its own subprocess (tests/backend_probe.py): Keras picks the backend once, at import.
TensorFlow writes the checkpoints (.keras) and initial weights; the other backends load them, so these tests
also check that checkpoints load on every backend. Tolerances are a few times the largest differences
measured (docs/backends.md lists them): float32 sums in another order differ by about 1e-6 relative.
"""
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

PROBE = Path(__file__).with_name("backend_probe.py")
OTHERS = [pytest.param(name, marks=pytest.mark.skipif(importlib.util.find_spec(module) is None,
                                                      reason=f"{module} is not installed (pip install -e '.[{name}]')"))
          for name, module in (("jax", "jax"), ("torch", "torch"))]


def probe(task, backend, folder, *args):
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, str(PROBE), task, str(folder), *map(str, args)], env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{task} on {backend} failed:\n{done.stderr[-3000:]}"
    return dict(np.load(Path(folder) / f"{task}_{backend}.npz"))


@pytest.fixture(scope="module")
def tensorflow_layouts(tmp_path_factory):
    folder = tmp_path_factory.mktemp("layouts")
    return folder, probe("layouts", "tensorflow", folder)


def _max_relative(a, b):
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-12))


@pytest.mark.parametrize("backend", OTHERS)
def test_same_outputs_and_gradients_for_the_same_checkpoint(backend, tensorflow_layouts):
    folder, expected = tensorflow_layouts
    found = probe("layouts", backend, folder)
    assert set(found) == set(expected)
    assert sum(key.endswith("/out") for key in found) == 4
    for key, value in expected.items():
        assert found[key].shape == value.shape, key
        # Relative to the array's largest entry: gradients of the 54 patch encoders span many magnitudes.
        assert _max_relative(found[key], value) < 1e-4, (key, _max_relative(found[key], value))
        assert np.abs(value).max() > 0, key      # a zero gradient would compare equal to anything


@pytest.mark.parametrize("backend", OTHERS)
def test_a_checkpoint_written_on_another_backend_loads_on_tensorflow(backend, tensorflow_layouts):
    import keras

    import micro_expr.stff.models.spatial  # noqa: F401  (registers the layers the checkpoint names)

    folder, expected = tensorflow_layouts
    if not (folder / f"written_by_{backend}.keras").exists():
        probe("layouts", backend, folder)
    model = keras.saving.load_model(folder / f"written_by_{backend}.keras")
    patches = np.random.default_rng(0).uniform(0, 255, (3,) + tuple(model.input.shape[1:])).astype(np.float32)
    np.testing.assert_allclose(model.predict(patches, verbose=0), expected["spatial_grouped/out"], rtol=1e-5,
                               atol=1e-6)


@pytest.fixture(scope="module")
def tensorflow_fold(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fold")
    return folder, probe("fold", "tensorflow", folder)


@pytest.mark.parametrize("backend", OTHERS)
def test_a_tiny_fold_trains_to_the_same_predictions(backend, tensorflow_fold):
    """Same initial weights, full batches, no dropout: both stages follow the same path on every backend."""
    folder, expected = tensorflow_fold
    found = probe("fold", backend, folder)
    assert expected["spatial_loss"][-1] < expected["spatial_loss"][0]       # it trained
    assert expected["temporal_loss"][-1] < expected["temporal_loss"][0]
    # Measured (torch vs TF): spatial loss 1e-4 relative, temporal loss 1.1e-3, probabilities 8.4e-4 absolute.
    np.testing.assert_allclose(found["spatial_loss"], expected["spatial_loss"], rtol=5e-4)
    np.testing.assert_allclose(found["temporal_loss"], expected["temporal_loss"], rtol=5e-3)
    np.testing.assert_allclose(found["probabilities"], expected["probabilities"], atol=3e-3)


# Known defect (issue 24, open): on the Keras path (JAX, PyTorch) the spatial stage stays at 0.5 accuracy on this
# task (measured 2026-12-02: 0.375 -> 0.5 in 12 epochs, loss 0.24 -> 0.11), where TensorFlow's path reaches 1.0.
KERAS_PATH_DOES_NOT_LEARN = pytest.mark.xfail(reason="Keras path (jax/torch) does not learn the easy task yet; "
                                                     "issue 24", strict=False)
EASY_TASK_BACKENDS = ["tensorflow"] + [pytest.param(*p.values, marks=[*p.marks, KERAS_PATH_DOES_NOT_LEARN])
                                       for p in OTHERS]


@pytest.mark.parametrize("backend", EASY_TASK_BACKENDS)
def test_the_spatial_stage_learns_an_easy_task(backend, tmp_path):
    """Class = the bright half of every region; a few epochs fit it on every backend."""
    found = probe("learn", backend, tmp_path)
    assert found["accuracy"][-1] == 1.0, found
    assert found["loss"][-1] < 0.5 * found["loss"][0], found
