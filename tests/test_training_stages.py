"""The training stages' fast parts: fused Adam equals Keras' Adam; the public models hold the trained weights."""
import pytest
import keras
import numpy as np
import tensorflow as tf

from micro_expr.stff.config import get_preset
from micro_expr.stff.models.spatial import FEATURES, feature_extractor
from micro_expr.stff.training import FusedAdam, SpatialStage, TemporalStage


def _small_model(seed):
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((5,))
    x = keras.layers.Dense(7, activation="tanh")(inputs)
    return keras.Model(inputs, keras.layers.Dense(3)(x))


def test_fused_adam_equals_keras_adam():
    x = np.random.default_rng(0).normal(size=(8, 5)).astype(np.float32)
    keras_model, fused_model = _small_model(0), _small_model(0)
    keras_adam = keras.optimizers.Adam(0.01)
    fused = FusedAdam(fused_model.trainable_variables, 0.01)

    def step(model, apply):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(model(x) ** 2)
        apply(tape.gradient(loss, model.trainable_variables))

    fused_step = tf.function(lambda: step(fused_model, fused.apply))
    for _ in range(5):
        step(keras_model, lambda g: keras_adam.apply_gradients(zip(g, keras_model.trainable_variables)))
        fused_step()
    assert int(fused.iterations.numpy()) == 5
    for a, b in zip(fused_model.get_weights(), keras_model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)
    fused.reset()
    assert int(fused.iterations.numpy()) == 0 and all(not m.numpy().any() for pair in fused.moments for m in pair)


@pytest.mark.slow
def test_spatial_stage_trains_grouped_twins_and_fills_the_per_patch_models():
    config = get_preset("strict", **{"spatial.patches": 4, "spatial.epochs": 1, "spatial.batch_size": 4,
                                     "spatial.head_units": (16, 8)})
    stage = SpatialStage(config, progress=False)
    rng = np.random.default_rng(0)
    arrays = [rng.integers(0, 256, (6, h, w, 3), dtype=np.uint8) for h, w in config.region_sizes]
    labels = [np.arange(6) % len(classes) for classes in config.region_class_names]
    before = [m.get_weights() for m in stage.models.values()]
    stage.fit(arrays, labels)
    # traced once: nothing in the step creates a variable (which makes tf.function trace it all again)
    assert stage._step.experimental_get_tracing_count() == 1
    features = stage.features(arrays, batch_size=4)
    assert [f.shape for f in features] == [(6, 8)] * len(stage.names)
    for (name, model), old in zip(stage.models.items(), before):
        assert any(not np.array_equal(a, b) for a, b in zip(model.get_weights(), old))  # trained weights copied
    # The per-patch models give the stage's features ...
    from data_prep.pipeline import split_patches
    name, model = next(iter(stage.models.items()))
    x = split_patches(arrays[0], 4, config.patch_sizes[0])
    np.testing.assert_allclose(feature_extractor(model)(x, training=False).numpy(), features[0], rtol=1e-4, atol=1e-5)
    # ... and weights loaded into them (a checkpoint) are what features() uses.
    model.set_weights([w * 0.5 for w in model.get_weights()])
    assert not np.allclose(stage.features(arrays, batch_size=4)[0], features[0])


@pytest.mark.slow
def test_temporal_stage_trains_the_batched_twin_and_fills_the_per_region_model():
    config = get_preset("strict", **{"temporal.epochs": 2, "temporal.batch_size": 4, "temporal.sequence_length": 6})
    stage = TemporalStage(config, progress=False)
    rng = np.random.default_rng(0)
    inputs = [rng.normal(size=(5, 6, 256)).astype(np.float32) for _ in config.region_names]
    for x in inputs:
        x[0, 4:] = 0.0  # post-padding
    before = stage.model.get_weights()
    stage.fit(inputs, np.arange(5) % config.n_classes)
    assert stage._step.experimental_get_tracing_count() == 1   # batches of 4 and 1 clips: one trace
    assert any(not np.array_equal(a, b) for a, b in zip(stage.model.get_weights(), before))
    probe = keras.Model(stage.model.inputs, stage.model.get_layer("classifier_dense").output)
    fast_probe = keras.Model(stage._fast.inputs, stage._fast.get_layer("classifier_dense").output)
    np.testing.assert_allclose(fast_probe(inputs).numpy(), probe(inputs).numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(stage.predict(inputs), stage.model.predict(inputs, verbose=0), rtol=1e-4, atol=1e-6)


@pytest.mark.slow
def test_temporal_stage_trains_the_same_with_and_without_xla():
    """The XLA-compiled step (TemporalStage.jit_compile) is the plain step: same weights after training."""
    config = get_preset("strict", **{"temporal.epochs": 3, "temporal.batch_size": 3, "temporal.sequence_length": 7,
                                     "temporal.lstm_dropout": 0.0, "temporal.dropout": 0.0})
    rng = np.random.default_rng(1)
    inputs = [rng.normal(size=(5, 7, 256)).astype(np.float32) for _ in config.region_names]
    for x in inputs:
        x[1, 3:] = 0.0  # post-padding: the loop stops after step 6 of 7 in every batch
        x[:, 6:] = 0.0
    labels = np.arange(5) % config.n_classes
    trained = []
    for jit in (True, False):
        keras.utils.set_random_seed(3)
        stage = TemporalStage(config, progress=False)
        assert stage.jit_compile  # masking: the batched layout, compiled
        stage.jit_compile = jit
        before = stage.model.get_weights()
        history = stage.fit(inputs, labels)
        trained.append((stage.model.get_weights(), history["loss"]))
    (xla, xla_loss), (plain, plain_loss) = trained
    np.testing.assert_allclose(xla_loss, plain_loss, rtol=1e-4)
    for a, b in zip(xla, plain):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    assert any(not np.allclose(a, b) for a, b in zip(xla, before))  # it did train
