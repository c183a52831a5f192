"""The fast layouts train the same models: same outputs and gradients for the same weights.

- Spatial: the m patch encoders as grouped convolutions (``layout="grouped"``)
  against m separate encoders (``per_patch``), m = 1, 4, 9, the paper/strict SE
  and the code's ``original`` SE; weights converted both ways with
  :func:`copy_spatial_weights`.
- Temporal: the six region LSTMs as one batched LSTM (``fast=True``) against six
  Keras LSTMs, with masking (post-padding) and without (the code's pre-padding).
"""
import keras
import numpy as np
import pytest
import tensorflow as tf

from micro_expr.stff.config import get_preset
from micro_expr.stff.models import (GroupedConv2D, build_spatial_model, build_temporal_from_config, copy_spatial_weights,
                               copy_temporal_weights)
from micro_expr.stff.models.spatial import FEATURES

REGION = 5  # the mouth, 3 MEGC classes


def _outputs_and_gradients(model, x, layer):
    """Model output and ``layer``'s output, and the gradient of a fixed function of both, per trainable weight."""
    probe = keras.Model(model.inputs, [model.output, model.get_layer(layer).output])
    with tf.GradientTape() as tape:
        out, hidden = probe(x, training=False)
        loss = tf.reduce_sum(out * tf.range(1.0, out.shape[-1] + 1)) + tf.reduce_mean(hidden)
    gradients = tape.gradient(loss, model.trainable_variables)
    return np.concatenate([out.numpy(), hidden.numpy()], axis=1), gradients


def _as_model_weights(model, gradients):
    """A copy of ``model`` whose weights are ``gradients``, so they can be converted like weights."""
    copy = keras.models.clone_model(model)
    for variable, gradient in zip(copy.trainable_variables, gradients):
        variable.assign(gradient)
    return copy


@pytest.mark.parametrize("preset,m", [("original", 1), ("original", 4), ("original", 9),
                                      ("strict", 1), ("strict", 4), ("strict", 9), ("paper", 4)])
@pytest.mark.slow
def test_grouped_encoders_equal_per_patch_encoders(preset, m):
    config = get_preset(preset, **{"spatial.patches": m})
    h, w = config.patch_sizes[REGION]
    keras.utils.set_random_seed(0)
    per_patch = build_spatial_model(config.spatial, (h, w), 3, layout="per_patch")
    grouped = build_spatial_model(config.spatial, (h, w), 3, layout="grouped")
    assert grouped.count_params() == per_patch.count_params()
    assert len(grouped.layers) < len(per_patch.layers) or m == 1
    # Small random weights (std 0.05) so that neither softmax nor ReLUs saturate and hide differences.
    rng = np.random.default_rng(1)
    per_patch.set_weights([rng.normal(0, 0.05, v.shape).astype(np.float32) for v in per_patch.get_weights()])
    copy_spatial_weights(per_patch, grouped)
    x = rng.uniform(0, 255, (2, m, h, w, 3)).astype(np.float32)

    expected, expected_gradients = _outputs_and_gradients(per_patch, x, FEATURES)
    got, gradients = _outputs_and_gradients(grouped, x, FEATURES)
    assert np.abs(expected).max() > 1e-3
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)
    converted = copy_spatial_weights(_as_model_weights(grouped, gradients), keras.models.clone_model(per_patch))
    for value, gradient in zip(converted.get_weights(), expected_gradients):
        np.testing.assert_allclose(value, gradient.numpy(), rtol=1e-3, atol=1e-5 * np.abs(gradient).max() + 1e-7)

    # And back: the grouped weights written in per-patch layout are the per-patch weights.
    back = copy_spatial_weights(grouped, keras.models.clone_model(per_patch))
    for a, b in zip(back.get_weights(), per_patch.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_grouped_layer_names_and_kernel_shapes():
    config = get_preset("original", **{"spatial.patches": 9})
    model = build_spatial_model(config.spatial, config.patch_sizes[0], 3, layout="grouped")
    kernels = {layer.name: tuple(layer.kernel.shape) for layer in model.layers if isinstance(layer, GroupedConv2D)}
    assert kernels == {"patches_conv5x5": (5, 5, 3, 36), "patches_conv3x3": (3, 3, 4, 72),
                       "patches_b1_conv": (1, 1, 8, 144), "patches_b3_conv": (3, 3, 8, 144),
                       "patches_b5_conv": (5, 5, 8, 144), "patches_b7_conv": (7, 7, 8, 144)}
    assert model.get_layer("patches_concat").output.shape[-1] == 72 * 9
    assert model.count_params() == 1_277_783
    kernel = model.get_layer("patches_b3_conv").kernel.numpy()  # every patch draws its own initial kernel
    assert not np.allclose(kernel[..., :16], kernel[..., 16:32])
    assert abs(kernel.std() - 0.1) < 0.01  # the code's normal(0, 0.1), as for a per-patch Conv2D


def test_grouped_model_reloads_from_keras_file(tmp_path):
    config = get_preset("strict", **{"spatial.patches": 4})
    h, w = config.patch_sizes[REGION]
    model = build_spatial_model(config.spatial, (h, w), 3, layout="grouped")
    model.save(tmp_path / "g.keras")
    again = keras.saving.load_model(tmp_path / "g.keras", compile=False)
    x = np.random.default_rng(0).uniform(0, 255, (2, 4, h, w, 3)).astype(np.float32)
    np.testing.assert_array_equal(again(x).numpy(), model(x).numpy())


def _padded_sequences(config, lengths, rng, features=256):
    """One padded (clips, N, features) array per region, zeros where the clips have ended (pre or post)."""
    arrays = []
    for _ in config.region_names:
        x = np.zeros((len(lengths), config.temporal.sequence_length, features), dtype=np.float32)
        for i, n in enumerate(lengths):
            steps = slice(None, n) if config.temporal.padding == "post" else slice(x.shape[1] - n, None)
            x[i, steps] = rng.normal(0, 1, (n, features))
        arrays.append(x)
    arrays[2][1, 1] = 0.0  # an all-zero frame inside a clip: masked by Masking as well
    return arrays


@pytest.mark.parametrize("preset", ["original", "strict", "paper"])
@pytest.mark.slow
def test_batched_region_lstms_equal_per_region_lstms(preset):
    config = get_preset(preset, **{"temporal.sequence_length": 12})
    keras.utils.set_random_seed(0)
    per_region = build_temporal_from_config(config)
    batched = build_temporal_from_config(config, layout="batched")
    assert batched.count_params() == per_region.count_params()
    rng = np.random.default_rng(3)
    per_region.set_weights([rng.normal(0, 0.1, v.shape).astype(np.float32) for v in per_region.get_weights()])
    copy_temporal_weights(per_region, batched)
    x = _padded_sequences(config, [5, 9, 3], rng)  # the longest clip (9) ends before N = 12

    expected, expected_gradients = _outputs_and_gradients(per_region, x, "classifier_dense")
    got, gradients = _outputs_and_gradients(batched, x, "classifier_dense")
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)
    converted = copy_temporal_weights(_as_model_weights(batched, gradients), keras.models.clone_model(per_region))
    for value, gradient in zip(converted.get_weights(), expected_gradients):
        np.testing.assert_allclose(value, gradient.numpy(), rtol=1e-3, atol=1e-5 * np.abs(gradient).max() + 1e-7)
    back = copy_temporal_weights(batched, keras.models.clone_model(per_region))
    for a, b in zip(back.get_weights(), per_region.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_batched_lstm_initial_weights_are_keras_lstm_s():
    """Unit forget bias, and one draw per region of the per-region kernel shapes."""
    config = get_preset("original")  # recurrent kernels 'orthogonal'
    batched = build_temporal_from_config(config, layout="batched").get_layer("region_lstms")
    kernel, recurrent, bias = (v.numpy() for v in batched.weights)
    assert kernel.shape == (6, 256, 256) and recurrent.shape == (6, 64, 256) and bias.shape == (6, 256)
    np.testing.assert_array_equal(bias[:, 64:128], 1.0)
    np.testing.assert_array_equal(np.delete(bias, np.s_[64:128], axis=1), 0.0)
    for r in range(6):  # (64, 256) orthogonal: orthonormal rows
        np.testing.assert_allclose(recurrent[r] @ recurrent[r].T, np.eye(64), atol=1e-4)
    assert not np.allclose(recurrent[0], recurrent[1])


def test_the_per_group_convolutions_compute_the_grouped_convolution():
    """GroupedConv2D convolves each group on its own (TensorFlow, JAX): its outputs equal TensorFlow's native
    grouped kernel, and its outputs and gradients a per-group reference written here with slices."""
    import tensorflow as tf

    from micro_expr.stff.models.fast import grouped_conv

    layer = grouped_conv.GroupedConv2D(4, 3, groups=3, kernel_initializer=0.1)
    x = tf.Variable(np.random.default_rng(0).normal(size=(2, 6, 7, 9)).astype("float32"))
    layer.build(x.shape)
    layer.bias.assign(np.linspace(-0.2, 0.2, 12).astype("float32"))

    def reference(x):
        return tf.nn.relu(tf.concat([tf.nn.conv2d(x[..., 3 * g:3 * g + 3], layer.kernel[..., 4 * g:4 * g + 4], 1,
                                                  "SAME") + layer.bias[4 * g:4 * g + 4] for g in range(3)], axis=-1))

    def run(convolve):
        with tf.GradientTape() as tape:
            y = convolve(x)
            loss = tf.reduce_sum(y * y)
        return y.numpy(), [g.numpy() for g in tape.gradient(loss, [x, layer.kernel, layer.bias])]

    y, gradients = run(layer)
    expected_y, expected_g = run(reference)
    assert (expected_y == 0).any() and (expected_y > 0).any()   # the ReLU cuts something
    np.testing.assert_allclose(y, expected_y, rtol=1e-5, atol=1e-6)
    for mine, theirs in zip(gradients, expected_g):
        assert np.abs(theirs).max() > 0
        np.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=1e-6)
    # TensorFlow's own grouped kernel (forward only: its CPU gradient needs oneDNN, and is not used)
    native = tf.nn.relu(tf.nn.conv2d(x, layer.kernel, 1, "SAME") + layer.bias).numpy()
    np.testing.assert_allclose(y, native, rtol=1e-5, atol=1e-6)
