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


@pytest.mark.parametrize("backend", ["tensorflow"] + OTHERS)
def test_the_spatial_stage_learns_an_easy_task(backend, tmp_path):
    """Class = the bright half of every region; a few epochs fit it on every backend."""
    found = probe("learn", backend, tmp_path)
    assert found["accuracy"][-1] == 1.0, found
    assert found["loss"][-1] < 0.5 * found["loss"][0], found


def test_the_keras_path_takes_the_same_steps_as_the_tensorflow_path(monkeypatch):
    """Same weights, same batches, one step at a time: TensorFlow's traced step with FusedAdam against the Keras
    path (compiled loss, ``train_on_batch``, keras.optimizers.Adam), both on TensorFlow (MICRO_EXPR_KERAS_PATH=1
    sends TensorFlow down the Keras path). Two outputs, unequal sample weights: the per-output loss and
    sample-weight wiring of ``compile`` must equal the step's own sum. Measured (relative to the largest entry):
    gradients 0, losses within 1e-6, weights after three Adam steps 6.8e-6, 1.2e-5, 3.5e-5 (tolerance 1e-4: Adam's
    first steps are about lr * sign(g), so entries with |g| near epsilon magnify float32 noise)."""
    import keras
    import tensorflow as tf

    from data_prep.pipeline import frame_dataset
    from micro_expr.stff import training
    from tests.backend_probe import _tiny_fold_data, config

    if keras.backend.backend() != "tensorflow":
        pytest.skip("compares the two paths on TensorFlow")
    cfg = config(**{"regions": (0, 3), "spatial.batch_size": 4, "spatial.dropout": 0.0,
                    "spatial.learning_rate": 1e-2})
    arrays, labels = _tiny_fold_data(cfg, n=4)                       # 12 frames: 3 batches of 4
    keras.utils.set_random_seed(0)
    fast = training.SpatialStage(cfg, progress=False)
    monkeypatch.setenv("MICRO_EXPR_KERAS_PATH", "1")
    keras_path = training.SpatialStage(cfg, progress=False)
    assert fast._fast_path and not keras_path._fast_path
    for mine, theirs in zip(keras_path._model.variables, fast._model.variables):
        mine.assign(theirs.value)
    keras_path._initial = [v.numpy() for v in keras_path._model.variables]

    rng = np.random.default_rng(0)
    frame_labels = [np.repeat(labels, 3) % k for k in fast.sizes]
    targets = [training.one_hot(y, k) for y, k in zip(frame_labels, fast.sizes)]
    weights = [rng.uniform(0.2, 2.0, len(y)).astype(np.float32) for y in frame_labels]
    data = frame_dataset(arrays, fast.names, cfg.spatial.patches, cfg.patch_sizes, 4, targets=targets,
                         weights=weights)
    batches = [tuple({k: v.numpy() for k, v in part.items()} for part in batch) for batch in data]
    assert len(batches) == 3

    def largest_difference(a, b):
        return max(_max_relative(np.asarray(x), np.asarray(y)) for x, y in zip(a, b))

    def weights_of(stage):
        return [keras.ops.convert_to_numpy(v.value) for v in stage._model.trainable_variables]

    # Gradients at the same weights: the TF step's loss (per-output losses + regularisation) and the compiled loss.
    x, y, w = batches[0]
    with tf.GradientTape() as tape:
        predicted = fast._model(x, training=True)
        total = tf.add_n([loss(y[n], predicted[n], sample_weight=w[n]) for n, loss in fast._losses.items()]
                         + list(fast._model.losses))
    expected = tape.gradient(total, fast._model.trainable_variables)
    with tf.GradientTape() as tape:
        compiled = keras_path._model.compute_loss(x, y, keras_path._model(x, training=True), w)
    found = tape.gradient(compiled, keras_path._model.trainable_variables)
    assert abs(float(compiled) - float(total)) <= 1e-6 * abs(float(total))
    assert all(float(tf.reduce_max(tf.abs(g))) > 0 for g in expected)
    measured = {"gradients": largest_difference(found, expected)}
    assert measured["gradients"] < 1e-5

    step = fast.step_for(data)
    after_first = None
    for x, y, w in batches:
        total, per_output, correct = step(*({k: tf.constant(v) for k, v in p.items()} for p in (x, y, w)))
        keras_total, keras_per_output, keras_correct = keras_path.step_for(None)(x, y, w)
        assert float(keras_total) == pytest.approx(float(total), rel=1e-5)
        for name in fast.names:
            assert float(keras_per_output[name]) == pytest.approx(float(per_output[name]), rel=1e-5), name
            assert float(keras_correct[name]) == pytest.approx(float(correct[name]), abs=1e-4), name
        measured[f"weights, step {len(measured)}"] = largest_difference(weights_of(keras_path), weights_of(fast))
        assert measured[f"weights, step {len(measured) - 1}"] < 1e-4
        after_first = after_first or weights_of(fast)
    assert largest_difference(weights_of(fast), after_first) > 1e-3      # three steps moved the weights

    # restart(): initial weights and a fresh optimizer state on both paths; the first step again.
    fast.restart()
    keras_path.restart()
    x, y, w = batches[0]
    step(*({k: tf.constant(v) for k, v in p.items()} for p in (x, y, w)))
    keras_path.step_for(None)(x, y, w)
    assert largest_difference(weights_of(fast), after_first) < 1e-6
    assert largest_difference(weights_of(keras_path), after_first) < 1e-4
    print("largest relative differences, Keras path vs TensorFlow path:", measured)   # pytest -s shows it
