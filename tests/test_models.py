"""Exact parameter counts and layer shapes of the STFF models, and what the helpers return.

Hand counts (a conv has kh*kw*c_in*filters + filters parameters, a dense
n_in*n_out + n_out, an LSTM 4 * (units * (n_in + units) + units)):

Patch encoder (STFF Eq. 1), 3 input channels:
    conv 4@5x5  5*5*3*4 + 4   =   304
    conv 8@3x3  3*3*4*8 + 8   =   296
    conv 16@1x1 1*1*8*16 + 16 =   144
    conv 16@3x3 3*3*8*16 + 16 =  1168
    conv 16@5x5 5*5*8*16 + 16 =  3216
    conv 16@7x7 7*7*8*16 + 16 =  6288
                                11416 per patch, C = 72 m channels out.
Paper SE on C channels, squeeze C/4:  C*C/4 + C/4  +  C/4*C + C.
Code SE: the same two 1x1 convs, plus 1x1 conv 162: C*162 + 162.
Head: GAP -> 2048 (C*2048 + 2048, or 162*2048 + 2048 = 333824 after the code's conv)
      -> 256 (2048*256 + 256 = 524544) -> k (256*k + k; k = 3: 771).

m = 9, C = 648, k = 3:
    paper:    102744 + (105138 + 105624) + 1329152 + 524544 + 771 = 2167973
    original: 102744 + (105138 + 105624) + 105138 + 333824 + 524544 + 771 = 1277783

Temporal, 6 regions, 256-d features: LSTM 4*(64*(256+64)+64) = 82176 each (493056),
SE 384 -> 96 -> 384: 36960 + 37248, dense 384*256+256 = 98560, K softmax 257 K:
    K = 3: 666595, K = 5: 667109 (same for every preset; L1 and masking add none).
"""
import json

import keras
import numpy as np
import pytest

from micro_expr.cli import main
from micro_expr.stff.config import get_preset, override
from micro_expr.stff.losses import BinaryFocalLoss, FocalLoss
from micro_expr.stff.models import (build_spatial_model, build_spatial_models, build_temporal_from_config,
                               build_temporal_model, feature_extractor, per_patch_weights, per_region_weights,
                               spatial_attention_model, temporal_attention_model)

ENCODER = 304 + 296 + 144 + 1168 + 3216 + 6288


def hand_spatial_count(m, se, k):
    channels = 72 * m
    count = ENCODER * m
    if se in ("paper", "original"):
        count += channels * (channels // 4) + channels // 4 + (channels // 4) * channels + channels
    if se == "original":
        count += channels * 162 + 162
        channels = 162
    return count + channels * 2048 + 2048 + 2048 * 256 + 256 + 256 * k + k


def test_encoder_count_by_hand():
    assert ENCODER == 11416
    assert hand_spatial_count(9, "paper", 3) == 2167973
    assert hand_spatial_count(9, "original", 3) == 1277783


# Spatial parameter counts, k = 3 (the first MEGC region), every preset and m.
SPATIAL_COUNTS = {
    "paper": {1: 688917, 4: 1204683, 9: 2167973, 16: 3734307},
    "strict": {1: 688917, 4: 1204683, 9: 2167973, 16: 3734307},
    "original": {1: 885063, 4: 993453, 9: 1277783, 16: 1893573},
}


@pytest.mark.parametrize("preset", ["paper", "strict", "original"])
@pytest.mark.parametrize("m", [1, 4, 9, 16])
def test_spatial_parameter_counts(preset, m):
    config = get_preset(preset, **{"spatial.patches": m})
    model = build_spatial_model(config.spatial, config.patch_sizes[0], 3)
    assert model.count_params() == SPATIAL_COUNTS[preset][m] == hand_spatial_count(m, config.spatial.se, 3)


def test_spatial_counts_without_se():
    # fusion 'none' (STFF Table 5 baseline): 102744 + 648*2048+2048 + 524544 + 771
    for preset in ("paper", "original"):
        config = get_preset(preset, fusion="none")
        assert build_spatial_model(config.spatial, config.patch_sizes[0], 3).count_params() == 1957211


@pytest.mark.parametrize("preset, protocol, temporal", [
    ("paper", "megc", 666595), ("original", "megc", 666595), ("strict", "megc", 666595),
    ("paper", "au5", 667109), ("original", "au5", 667109), ("strict", "au5", 667109),
])
def test_temporal_parameter_counts(preset, protocol, temporal):
    assert build_temporal_from_config(get_preset(preset, protocol=protocol)).count_params() == temporal


@pytest.mark.parametrize("changes, count", [
    ({"fusion": "none"}, 493056 + 98560 + 771),                        # 592387
    ({"fusion": "spatial"}, 493056 + 98560 + 771),
    ({"regions": "no_cheeks"}, 4 * 82176 + 16448 + 16640 + 65792 + 771),  # 428355
    ({"regions": "whole_face"}, 82176 + 1040 + 1088 + 16640 + 771),       # 101715
])
def test_temporal_counts_of_variants(changes, count):
    assert build_temporal_from_config(get_preset("original", **changes)).count_params() == count


def test_whole_face_mode_builds_one_region():
    config = get_preset("strict", regions="whole_face")
    models = build_spatial_models(config)
    assert list(models) == ["face"]
    assert models["face"].input_shape == (None, 9, 93, 80, 3)
    assert models["face"].count_params() == 2167973
    temporal = build_temporal_from_config(config)
    assert [tensor.name for tensor in temporal.inputs] == ["face"]


def ceil_half(hw):
    return (-(-hw[0] // 2), -(-hw[1] // 2))


def expected_spatial_shapes(m, patch, se, k):
    """Every layer's output shape, from the architecture description (max-pools 'same': ceil(n / 2))."""
    pool1 = ceil_half(patch)
    h = ceil_half(pool1)
    out = ceil_half(h)
    shapes = {"patches": (None, m, *patch, 3), "scaling": (None, m, *patch, 3)}
    for i in range(m):
        shapes.update({
            f"p{i}": (None, *patch, 3), f"p{i}_conv5x5": (None, *patch, 4), f"p{i}_pool1": (None, *pool1, 4),
            f"p{i}_conv3x3": (None, *pool1, 8), f"p{i}_H": (None, *h, 8), f"p{i}_b0_pool": (None, *out, 8),
            f"p{i}_concat": (None, *out, 72)})
        for size in (1, 3, 5, 7):
            shapes[f"p{i}_b{size}_conv"] = (None, *h, 16)
            shapes[f"p{i}_b{size}_pool"] = (None, *out, 16)
    channels = 72 * m
    shapes["patches_concat"] = (None, *out, channels)
    if se == "paper":
        shapes.update({"spatial_se_pool": (None, 1, 1, channels), "spatial_se_squeeze": (None, 1, 1, channels // 4),
                       "spatial_se_act": (None, 1, 1, channels // 4), "spatial_se_gate": (None, 1, 1, channels),
                       "spatial_se_scale": (None, *out, channels)})
    if se == "original":
        shapes.update({"spatial_se_squeeze": (None, *out, channels // 4), "spatial_se_act": (None, *out, channels // 4),
                       "spatial_se_gate": (None, *out, channels), "spatial_se_scale": (None, *out, channels),
                       "spatial_se_fuse": (None, *out, 162)})
        channels = 162
    shapes.update({"gap": (None, channels), "fc1": (None, 2048), "fc1_dropout": (None, 2048),
                   "spatial_features": (None, 256), "spatial_features_dropout": (None, 256),
                   "predictions": (None, k)})
    return shapes


def run(model, x):
    """Inference without model.predict (no tf.function tracing: faster for one tiny batch)."""
    return keras.ops.convert_to_numpy(model(x, training=False))


def layer_shapes(model):
    return {layer.name: tuple(layer.output.shape) for layer in model.layers}


@pytest.mark.parametrize("preset", ["paper", "original"])
@pytest.mark.parametrize("m", [1, 4, 9, 16])
def test_spatial_layer_shapes(preset, m):
    config = get_preset(preset, **{"spatial.patches": m})
    patch = config.patch_sizes[5]  # the mouth, the widest region
    model = build_spatial_model(config.spatial, patch, 4)
    assert layer_shapes(model) == expected_spatial_shapes(m, patch, config.spatial.se, 4)


def test_spatial_shapes_by_hand():
    # paper, m = 9, left eye: patch 27 x 34 -> 14 x 17 -> 7 x 9 = H -> 4 x 5.
    config = get_preset("paper")
    shapes = layer_shapes(build_spatial_model(config.spatial, config.patch_sizes[0], 3))
    assert shapes["p8_H"] == (None, 7, 9, 8)
    assert shapes["p8_concat"] == (None, 4, 5, 72)
    assert shapes["patches_concat"] == (None, 4, 5, 648)
    assert shapes["spatial_se_squeeze"] == (None, 1, 1, 162)
    assert len(shapes) == 2 + 9 * 15 + 1 + 5 + 1 + 4 + 1


@pytest.mark.parametrize("preset, k", [("paper", 3), ("original", 5)])
def test_temporal_layer_shapes(preset, k):
    config = get_preset(preset, protocol="megc" if k == 3 else "au5")
    model = build_temporal_from_config(config)
    expected = {}
    for region in ("R0", "R1", "R2", "R3", "R4", "R5"):
        expected[region] = (None, 250, 256)
        if preset == "paper":
            expected[f"{region}_mask"] = (None, 250, 256)
        expected.update({f"{region}_lstm": (None, 64), f"{region}_act": (None, 64), f"{region}_dropout": (None, 64)})
    expected.update({"stf_concat": (None, 384), "temporal_se_squeeze": (None, 96), "temporal_se_act": (None, 96),
                     "temporal_se_gate": (None, 384), "temporal_se_scale": (None, 384),
                     "classifier_dense": (None, 256), "classifier_act": (None, 256),
                     "classifier_dropout": (None, 256), "predictions": (None, k)})
    assert layer_shapes(model) == expected
    act = model.get_layer("temporal_se_act")
    assert type(act).__name__ == ("ReLU" if preset == "paper" else "LeakyReLU")


def test_forward_pass_features_and_attention():
    config = get_preset("original", **{"spatial.patches": 4})
    model = build_spatial_model(config.spatial, (16, 24), 3)
    x = np.random.default_rng(0).uniform(0, 255, (2, 4, 16, 24, 3)).astype("float32")
    probabilities = run(model, x)
    assert probabilities.shape == (2, 3) and np.allclose(probabilities.sum(axis=1), 1, atol=1e-5)
    features = run(feature_extractor(model), x)
    assert features.shape == (2, 256) and features.min() >= 0  # ReLU output (STFF Eq. 5)
    gates = run(spatial_attention_model(model), x)
    assert gates.shape == (2, 2, 3, 288)  # per pixel in the code's variant
    weights = per_patch_weights(gates, 4)
    assert weights.shape == (2, 4) and np.all((weights > 0) & (weights < 1))
    assert np.allclose(weights[:, 1], gates[..., 72:144].mean(axis=(1, 2, 3)))

    paper = get_preset("paper", **{"spatial.patches": 4})
    gates = run(spatial_attention_model(build_spatial_model(paper.spatial, (16, 24), 3)), x)
    assert gates.shape == (2, 1, 1, 288) and per_patch_weights(gates, 4).shape == (2, 4)

    none = get_preset("paper", fusion="none")
    with pytest.raises(ValueError, match="no spatial SE"):
        spatial_attention_model(build_spatial_model(none.spatial, (16, 24), 3))


def test_temporal_attention():
    config = get_preset("original", **{"temporal.sequence_length": 5})
    model = build_temporal_model(config.temporal, ["R0", "R1", "R2"], 3, feature_dim=8)
    x = {name: np.ones((2, 5, 8), "float32") for name in ("R0", "R1", "R2")}
    gates = run(temporal_attention_model(model), x)
    assert gates.shape == (2, 192)
    assert per_region_weights(gates, 3).shape == (2, 3)
    assert np.allclose(per_region_weights(gates, 3)[:, 2], gates[:, 128:].mean(axis=1))
    with pytest.raises(ValueError, match="no temporal SE"):
        temporal_attention_model(build_temporal_model(override(config, fusion="none").temporal, ["R0"], 3, 8))


@pytest.mark.parametrize("scaling, low, high", [("unit", 0.0, 1.0), ("symmetric", -1.0, 1.0)])
def test_input_scaling_inside_the_model(scaling, low, high):
    config = get_preset("paper", **{"spatial.patches": 1, "spatial.input_scaling": scaling})
    model = build_spatial_model(config.spatial, (8, 8), 2)
    scaled = keras.Model(model.input, model.get_layer("scaling").output)
    x = np.stack([np.zeros((1, 8, 8, 3)), np.full((1, 8, 8, 3), 255.0)]).astype("float32")
    out = run(scaled, x)
    assert np.allclose(out[0], low) and np.allclose(out[1], high)


def kernel(model, name, index=0):
    return keras.ops.convert_to_numpy(model.get_layer(name).weights[index])


def test_initialisers_follow_the_preset():
    original, paper = get_preset("original"), get_preset("paper")
    spatial = build_spatial_model(original.spatial, (40, 50), 3)
    assert np.std(kernel(spatial, "p0_b7_conv")) == pytest.approx(0.1, rel=0.05)
    assert np.std(kernel(spatial, "spatial_se_fuse")) == pytest.approx(0.1, rel=0.05)
    assert np.std(kernel(spatial, "fc1")) == pytest.approx(0.01, rel=0.02)
    limit = np.sqrt(6 / (256 + 3))  # glorot_uniform, the code's default for the classifier
    assert np.abs(kernel(spatial, "predictions")).max() <= limit
    assert np.std(kernel(build_spatial_model(paper.spatial, (27, 34), 3), "fc1")) == pytest.approx(1.0, rel=0.02)

    temporal = build_temporal_from_config(original)
    assert np.std(kernel(temporal, "R0_lstm", 0)) == pytest.approx(0.01, rel=0.05)
    recurrent = kernel(temporal, "R0_lstm", 1)  # orthogonal (64, 256): orthonormal rows
    assert np.allclose(recurrent @ recurrent.T, np.eye(64), atol=1e-4)
    assert np.std(kernel(temporal, "classifier_dense")) == pytest.approx(0.1, rel=0.05)
    assert float(temporal.get_layer("classifier_dense").kernel_regularizer.l1) == pytest.approx(1e-5)
    paper_temporal = build_temporal_from_config(paper)
    assert np.std(kernel(paper_temporal, "R0_lstm", 1)) == pytest.approx(1.0, rel=0.05)
    assert paper_temporal.get_layer("classifier_dense").kernel_regularizer is None


def test_masking_ignores_post_padding():
    # Paper: 3 real steps then 3 zero steps; with the mask the LSTM state is the one after step 3.
    config = get_preset("paper", **{"temporal.sequence_length": 6})
    model = build_temporal_model(config.temporal, ["R0"], 3, feature_dim=4)
    sequence = np.zeros((1, 6, 4), "float32")
    sequence[0, :3] = np.random.default_rng(1).normal(size=(3, 4))
    lstm_out = run(keras.Model(model.inputs, model.get_layer("R0_lstm").output), {"R0": sequence})

    reference = keras.layers.LSTM(64)
    reference.build((1, 3, 4))
    reference.set_weights(model.get_layer("R0_lstm").get_weights())
    expected = keras.ops.convert_to_numpy(reference(sequence[:, :3]))
    assert np.allclose(lstm_out, expected, atol=1e-5)
    unmasked = keras.ops.convert_to_numpy(reference(sequence))
    assert not np.allclose(unmasked, expected, atol=1e-3)


def test_keras_checkpoints_reload(tmp_path):
    config = get_preset("paper", **{"spatial.patches": 1, "temporal.sequence_length": 4})
    spatial = build_spatial_model(config.spatial, (8, 8), 3)
    spatial.compile(optimizer="adam", loss=FocalLoss([0.2, 0.3, 0.5]), run_eagerly=True)  # no tracing: fast
    temporal = build_temporal_model(config.temporal, ["R0"], 3, feature_dim=4)
    temporal.compile(optimizer="adam", loss=BinaryFocalLoss(gamma=2.0), run_eagerly=True)
    inputs = [np.full((1, 1, 8, 8, 3), 100.0, "float32"), {"R0": np.ones((1, 4, 4), "float32")}]
    for model, x in zip((spatial, temporal), inputs):
        model.fit(x, np.array([[0.0, 1.0, 0.0]]), epochs=1, verbose=0)  # the losses train
        path = tmp_path / f"{model.name}.keras"
        model.save(path)
        loaded = keras.models.load_model(path)
        assert np.allclose(run(loaded, x), run(model, x), atol=1e-6)
    assert loaded.loss.gamma == 2.0
    assert keras.models.load_model(tmp_path / "spatial.keras").loss.alpha == [0.2, 0.3, 0.5]


def test_summary_json(capsys):
    # au5 region labels: k(r) = 5, 5, 2, 2, 2, 4 (spec section 3); the classifier has 257 k(r) parameters.
    assert main(["summary", "--preset", "original", "--protocol", "au5", "--json"]) == 0
    base = 1277783 - 771
    assert json.loads(capsys.readouterr().out) == {
        "spatial": {"R0": base + 257 * 5, "R1": base + 257 * 5, "R2": base + 257 * 2,
                    "R3": base + 257 * 2, "R4": base + 257 * 2, "R5": base + 257 * 4},
        "temporal": 667109}
    assert main(["summary", "--preset", "paper", "--patches", "1", "--protocol", "au5",
                 "--whole-face-labels", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "spatial": {region: 688146 + 257 * 5 for region in ("R0", "R1", "R2", "R3", "R4", "R5")},
        "temporal": 667109}


def test_summary_text(capsys):
    assert main(["summary", "--preset", "strict", "--patches", "1"]) == 0
    out = capsys.readouterr().out
    assert "spatial_R5" in out and "temporal_se_gate" in out
    assert "R0: 688,917 parameters, k = 3 classes ['negative', 'surprise', 'no reaction']" in out
    assert "temporal: 666,595 parameters, K = 3" in out
