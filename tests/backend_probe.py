"""Run by tests/test_backends.py in one subprocess per Keras backend (KERAS_BACKEND set before keras is imported).

    python tests/backend_probe.py TASK FOLDER

Every task reads what the TensorFlow run wrote into FOLDER (checkpoints, weights) and writes its own results to
FOLDER/<task>_<backend>.npz, so the test compares backends array by array.
- ``layouts``: the STFF training layouts (grouped spatial model, batched and per-region temporal models) and the
  paper-layout checkpoints (.keras): outputs and gradients of a fixed loss for fixed weights and inputs.
- ``fold``: a tiny STFF fold (spatial then temporal stage) trained from fixed initial weights, full-batch and
  without dropout (so batch order and dropout masks, which differ between backends, play no part): predictions.
- ``learn``: the Keras path learns an easy synthetic task (bright top half or bright bottom half).
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

import micro_expr  # noqa: E402,F401  (sets the TensorFlow defaults)
import keras  # noqa: E402
from micro_expr.core.keras_writer import writer_for  # noqa: E402

BACKEND = keras.backend.backend()
TINY = {"spatial.patches": 4, "spatial.head_units": (16, 8), "temporal.sequence_length": 6, "temporal.units": 4,
        "temporal.head_units": 8}


def config(**overrides):
    from micro_expr.stff.config import get_preset

    return get_preset("strict", **{**TINY, **overrides})


def numpy(value):
    return np.asarray(keras.ops.convert_to_numpy(value), dtype=np.float32)


def outputs_and_gradients(model, x, projection):
    """(outputs, gradients of sum(outputs * projection) by every trainable weight), inference mode."""
    if BACKEND == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            out = model(x, training=False)
            loss = tf.reduce_sum(out * projection)
        return numpy(out), [numpy(g) for g in tape.gradient(loss, model.trainable_variables)]
    if BACKEND == "jax":
        import jax

        trainable = [v.value for v in model.trainable_variables]
        frozen = [v.value for v in model.non_trainable_variables]

        def loss(weights):
            out, _ = model.stateless_call(weights, frozen, x, training=False)
            return (out * projection).sum(), out

        (_, out), grads = jax.value_and_grad(loss, has_aux=True)(trainable)
        return numpy(out), [numpy(g) for g in grads]
    if BACKEND == "torch":
        for v in model.trainable_variables:
            v.value.grad = None
        out = model(x, training=False)
        (out * keras.ops.convert_to_tensor(projection)).sum().backward()
        return numpy(out.detach()), [numpy(v.value.grad) for v in model.trainable_variables]
    raise SystemExit(f"unknown backend {BACKEND}")


def layout_models(cfg):
    """The training-layout models (and the paper-layout ones, as checkpoints load them) with inputs."""
    from micro_expr.stff.models.spatial import build_spatial_model
    from micro_expr.stff.models.temporal import build_temporal_from_config

    rng = np.random.default_rng(0)
    m, hw = cfg.spatial.patches, cfg.patch_sizes[0]
    patches = rng.uniform(0, 255, (3, m, hw[0], hw[1], 3)).astype(np.float32)
    sequences = [rng.normal(size=(3, 6, cfg.spatial.head_units[-1])).astype(np.float32) for _ in cfg.region_names]
    for x, length in zip(sequences, (4, 6, 2, 5, 3, 6)):
        x[:, length:] = 0.0     # post-padding the mask must skip
    return {
        "spatial_grouped": (lambda: build_spatial_model(cfg.spatial, hw, 3, layout="grouped"), patches),
        "spatial_per_patch": (lambda: build_spatial_model(cfg.spatial, hw, 3), patches),
        "temporal_batched": (lambda: build_temporal_from_config(cfg, layout="batched"), sequences),
        "temporal_per_region": (lambda: build_temporal_from_config(cfg), sequences),
    }


def layouts(folder):
    cfg = config()
    results = {}
    for name, (build, x) in layout_models(cfg).items():
        path = folder / f"{name}.keras"
        if BACKEND == "tensorflow":      # TensorFlow writes the checkpoints every backend loads
            keras.utils.set_random_seed(0)
            model = build()
            writer_for(model).write(model, path)   # what runs write (micro_expr.core.keras_writer)
        model = keras.saving.load_model(path)
        projection = np.random.default_rng(1).normal(size=(len(x[0]) if isinstance(x, list) else len(x),
                                                           model.output.shape[-1])).astype(np.float32)
        out, grads = outputs_and_gradients(model, x, projection)
        results[f"{name}/out"] = out
        results.update({f"{name}/grad{i}": g for i, g in enumerate(grads)})
        if name == "spatial_grouped":   # a checkpoint this backend writes loads back (TensorFlow reads it)
            model.save(folder / f"written_by_{BACKEND}.keras")
    np.savez(folder / f"layouts_{BACKEND}.npz", **results)


def _tiny_fold_data(cfg, n=8):
    """Frames of n clips of 3 frames: class = which half of every region is bright."""
    rng = np.random.default_rng(0)
    labels = np.arange(n) % 2
    arrays = []
    for h, w in cfg.region_sizes:
        frames = rng.integers(0, 60, (n * 3, h, w, 3), dtype=np.uint8)
        for i, label in enumerate(np.repeat(labels, 3)):
            rows = slice(0, h // 2) if label == 0 else slice(h // 2, h)
            frames[i, rows] = np.minimum(255, frames[i, rows].astype(int) + 150).astype(np.uint8)
        arrays.append(frames)
    return arrays, labels


def _restart_from(stage, weights):
    """Give a stage fixed initial weights (the TensorFlow run's): the twin's variables, as restart() restores."""
    for variable, value in zip(stage._model.variables, weights):
        variable.assign(value)
    stage._initial = [numpy(v.value) if v.dtype.startswith("float") else keras.ops.convert_to_numpy(v.value)
                      for v in stage._model.variables]


def fold(folder):
    from micro_expr.stff import training

    epochs = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    # Seeded: unseeded, the initial weights changed from run to run, and with some of them torch's temporal
    # loss ended 1.0 % from TensorFlow's (tolerance 0.5 %): the same test passed and failed on the same code.
    keras.utils.set_random_seed(0)
    cfg = config(**{"spatial.epochs": epochs, "spatial.batch_size": 64, "spatial.dropout": 0.0,
                    "temporal.epochs": epochs, "temporal.batch_size": 64, "temporal.dropout": 0.0,
                    "temporal.lstm_dropout": 0.0, "spatial.learning_rate": 1e-3, "temporal.learning_rate": 1e-2})
    arrays, labels = _tiny_fold_data(cfg)
    frame_labels = [np.repeat(labels, 3) % len(classes) for classes in cfg.region_class_names]
    spatial = training.SpatialStage(cfg, progress=False)
    temporal = training.TemporalStage(cfg, progress=False)
    start = folder / "fold_initial.npz"
    if BACKEND == "tensorflow":
        np.savez(start, *[keras.ops.convert_to_numpy(v.value) for v in spatial._model.variables],
                 *[keras.ops.convert_to_numpy(v.value) for v in temporal._model.variables])
    saved = np.load(start)
    saved = [saved[f"arr_{i}"] for i in range(len(saved.files))]
    n_spatial = len(spatial._model.variables)
    _restart_from(spatial, saved[:n_spatial])
    _restart_from(temporal, saved[n_spatial:])
    history = spatial.fit(arrays, frame_labels)
    features = training.per_item(spatial.features(arrays), np.repeat(np.arange(len(labels)), 3), len(labels))
    inputs = training.sequences_for(features, range(len(labels)), cfg, training.Standardizer("sequence").fit(features))
    temporal_history = temporal.fit(inputs, labels)
    np.savez(folder / f"fold_{BACKEND}.npz", probabilities=temporal.predict(inputs),
             spatial_loss=np.asarray(history["loss"]), temporal_loss=np.asarray(temporal_history["loss"]),
             features=np.concatenate(features[0]))


def learn(folder):
    """The spatial stage (Keras path or TF path alike) fits an easy task: accuracy and loss per epoch."""
    from micro_expr.stff import training

    keras.utils.set_random_seed(0)
    # One region, learning rate 1e-2: at 3e-3 with six regions the model sat on the 0.5 plateau for some seeds on
    # every path, TensorFlow's fast path included (seed 1: 0.5 after 12 epochs), so the task tested luck.
    # Here TensorFlow (both paths, seeds 0-3) and JAX (seeds 0-2) all reach 1.0 (docs/backends.md).
    cfg = config(**{"regions": (0,), "spatial.epochs": 12, "spatial.batch_size": 8, "spatial.dropout": 0.0,
                    "spatial.learning_rate": 1e-2})
    arrays, labels = _tiny_fold_data(cfg, n=8)
    frame_labels = [np.repeat(labels, 3) % len(classes) for classes in cfg.region_class_names]
    history = training.SpatialStage(cfg, progress=False).fit(arrays, frame_labels)
    np.savez(folder / f"learn_{BACKEND}.npz", loss=np.asarray(history["R0_loss"]),
             accuracy=np.asarray(history["R0_accuracy"]))


if __name__ == "__main__":
    task, out = sys.argv[1], Path(sys.argv[2])
    {"layouts": layouts, "fold": fold, "learn": learn}[task](out)
