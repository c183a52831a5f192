"""The GIA + BIA + Bi-LSTM network of Zhu et al. 2023: shapes, parameter counts, saving, learning."""
import json

import numpy as np
import pytest

from micro_expr.gia_bia.config import get_preset

# A tiny configuration: VGG16's layer structure with 1/16 of its filters on 32 x 32 frames.
from tests.helpers import GIA_BIA_TINY as TINY



def conv(c_in, c_out):
    return 3 * 3 * c_in * c_out + c_out


def dense(n_in, n_out):
    return n_in * n_out + n_out


def expected_parameters(c, n_blocks, n_classes=3):
    """Parameters of the network, from the layer shapes (section 3)."""
    f = [round(w * c.backbone_width) for w in (64, 128, 256, 512)]
    transfer = (conv(3, f[0]) + conv(f[0], f[0]) + conv(f[0], f[1]) + conv(f[1], f[1]) + conv(f[1], f[2])
                + 2 * conv(f[2], f[2]) + conv(f[2], f[3]))                              # conv1_1 .. conv4_1
    gia_convs = 4 * conv(f[3], f[3])                                      # conv4_2, conv4_3, conv5_1, conv5_2
    if c.gia_start == "conv4_3":                                          # conv4_2 moves into the transfer layer
        transfer, gia_convs = transfer + conv(f[3], f[3]), gia_convs - conv(f[3], f[3])
    global_in = (c.size // 16) ** 2 * f[3]                                              # conv5_2 map, flattened
    gia = dense(global_in, c.global_units) + dense(global_in, c.attention_units) + dense(c.attention_units, 1)
    block_in = c.block_cells ** 2 * f[3]
    bia = n_blocks * (dense(block_in, c.block_units) + dense(block_in, c.attention_units)
                      + dense(c.attention_units, 1))
    fused = n_blocks * c.block_units + c.global_units
    bilstm = 2 * 4 * (c.lstm_units * (fused + c.lstm_units) + c.lstm_units)
    head, previous = 0, 2 * c.lstm_units
    for units in c.head_units + (n_classes,):
        head, previous = head + dense(previous, units), units
    return transfer + gia_convs + gia + bia + bilstm + head, transfer


@pytest.mark.parametrize("n_blocks", [0, 10, 24])
def test_tiny_layer_shapes_and_parameter_counts(n_blocks):
    from micro_expr.gia_bia.model import build_model

    c = get_preset("quick", n_blocks=n_blocks, **TINY)
    model = build_model(c, 3)
    assert model.count_params() == expected_parameters(c, n_blocks)[0]
    shape = lambda name: tuple(model.get_layer(name).output.shape)  # noqa: E731
    assert shape("block4_conv2") == (None, 4, 4, 32)      # conv4_2: stride 8
    assert shape("block5_conv2") == (None, 2, 2, 32)      # conv5_2: stride 16
    fused = n_blocks * c.block_units + c.global_units
    assert shape("unfold_time") == (None, 3, fused)
    assert shape("bilstm") == (None, 2 * c.lstm_units)
    assert tuple(model.output.shape) == (None, 3)
    if n_blocks:
        assert shape("bia_blocks") == (None, n_blocks, 2 * 2 * 32)
        assert shape("bia_attention") == (None, n_blocks, 1)
    else:
        assert "blocks" not in [i.name for i in model.inputs]


@pytest.mark.parametrize("gia_start", ["conv4_2", "conv4_3"])
def test_paper_size_layer_shapes_and_parameter_counts(gia_start):
    """Zhu et al. 2023 section 3.3: GIA runs conv4_2 .. conv5_2 on the 512 x 28 x 28 output of the transfer
    learning layer (conv1_1 .. conv4_1), where BIA cuts its blocks; "conv4_3" is the earlier split."""
    from micro_expr.gia_bia.model import build_model

    c = get_preset("paper", n_blocks=10, gia_start=gia_start)
    model = build_model(c, 3)
    total, transfer = expected_parameters(c, 10)
    assert model.count_params() == total == 86_037_134     # the same layers, whichever split
    frozen = sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)
    assert frozen == transfer == {"conv4_2": 2_915_648, "conv4_3": 5_275_456}[gia_start]
    source = "block4_conv1" if gia_start == "conv4_2" else "block4_conv2"
    assert model.get_layer("bia_blocks").input[0] is model.get_layer(source).output
    assert tuple(model.get_layer(source).output.shape) == (None, 28, 28, 512)
    assert tuple(model.get_layer("block5_conv2").output.shape) == (None, 14, 14, 512)
    assert tuple(model.get_layer("bia_blocks").output.shape) == (None, 10, 6 * 6 * 512)
    assert model.get_layer("block4_conv2").trainable == (gia_start == "conv4_2")


def _synthetic(n_per_class=4, seed=0, config=None):
    """Clips whose class is a bright bar growing, over the frames, inside one block (class 0: mouth corner
    IP1, class 1: right eye IP7, class 2: between the eyebrows IP8) on a noisy grey face."""
    from data_prep.key_regions.points import points_10

    rng = np.random.default_rng(seed)
    landmarks = np.zeros((68, 2))
    landmarks[:, 0] = np.linspace(50, 174, 68)
    landmarks[:, 1] = 112
    landmarks[[48, 54], :] = [[85, 160], [139, 160]]          # mouth corners: 27 px blocks
    landmarks[[19, 24], :] = [[90, 60], [134, 60]]
    landmarks[[36, 45], :] = [[75, 85], [149, 85]]
    landmarks[[31, 35, 8], :] = [[100, 125], [124, 125], [112, 200]]
    centres = points_10(landmarks)[[0, 6, 7]] * config.size / 224
    X, y = [], []
    for label in range(3):
        for _ in range(n_per_class):
            clip = rng.normal(110, 8, size=(config.frames, config.size, config.size, 3))
            cx, cy = centres[label].astype(int)
            for t in range(config.frames):
                clip[t, cy - 1:cy + 2, cx - 3:cx + 4] += 120 * t / max(1, config.frames - 1)
            X.append({"clip": np.clip(clip, 0, 255).astype(np.uint8), "landmarks": landmarks})
            y.append(label)
    return X, np.array(y)


@pytest.mark.slow
def test_save_and_load_give_the_same_predictions(tmp_path):
    from micro_expr.core.checkpoints import export_keras2, load_h5_weights
    from micro_expr.gia_bia.system import GiaBia

    system = GiaBia(get_preset("quick", n_blocks=10, **TINY))
    X, y = _synthetic(2, config=system.config)
    system.fit(X, y)
    before = system.predict_proba(X)
    system.save(tmp_path)
    loaded = GiaBia.load(tmp_path)
    np.testing.assert_allclose(loaded.predict_proba(X), before, atol=1e-6)
    fresh = GiaBia(system.config)
    export_keras2(tmp_path)   # the Keras 2 layout, on request
    fresh.model_ = load_h5_weights(fresh.build(), tmp_path / "model.h5")
    np.testing.assert_allclose(fresh.predict_proba(X), before, atol=1e-6)
    metadata = json.loads((tmp_path / "model.json").read_text())
    assert metadata["config"]["n_blocks"] == 10 and metadata["backbone"]["random"] is True
    assert "RANDOM BACKBONE" in metadata["backbone"]["note"]


def test_backbone_weights_file_is_loaded_and_its_sha256_recorded(tmp_path):
    import hashlib

    import h5py
    import keras

    from micro_expr.core.checkpoints import write_keras2_weights
    from micro_expr.gia_bia.model import build_model
    from micro_expr.gia_bia.system import GiaBia

    # A stand-in for the ImageNet file: a VGG16 (no top) saved in the Keras 2 layout, 32 x 32 input.
    source = keras.applications.VGG16(include_top=False, weights=None, input_shape=(32, 32, 3))
    path = tmp_path / "vgg16_notop.h5"
    with h5py.File(path, "w") as handle:
        write_keras2_weights(handle, source)
    config = get_preset("quick", **{**TINY, "backbone_width": 1.0, "backbone_weights": str(path)})
    model = build_model(config, 3)
    for name in ("block1_conv1", "block4_conv2", "block5_conv2"):
        np.testing.assert_array_equal(model.get_layer(name).get_weights()[0], source.get_layer(name).get_weights()[0])
    backbone = GiaBia(config).metadata()["backbone"]
    assert backbone["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest() and backbone["random"] is False


@pytest.mark.slow
def test_explain_reads_the_attention_weights_and_draws_them():
    from matplotlib.figure import Figure

    from micro_expr.gia_bia.figures import attention_figure
    from micro_expr.gia_bia.system import GiaBia

    system = GiaBia(get_preset("quick", n_blocks=10, **TINY))
    X, y = _synthetic(1, config=system.config)
    system.fit(X, y)
    entry = system.explain(X[:1])[0]
    assert entry["block_attention"].shape == (3, 10) and entry["global_attention"].shape == (3,)
    assert np.all((entry["block_attention"] > 0) & (entry["block_attention"] < 1))
    np.testing.assert_allclose(entry["blocks"][0, :2], np.array([85, 160]) / 224)
    assert isinstance(attention_figure(entry, X[0]["clip"][-1]), Figure)


@pytest.mark.slow
def test_learns_a_block_local_movement():
    """Class = where a bar brightens; a tiny network learns it in a few epochs and recognises new clips
    (held-out noise: memorising the 18 training clips, which shuffled labels also allow, is not enough)."""
    from micro_expr.gia_bia.system import GiaBia

    config = get_preset("quick", n_blocks=10, **{**TINY, "size": 64, "block_cells": 3, "epochs": 25,
                                                 "batch_size": 6, "frames": 4, "dropout": 0.0})
    system = GiaBia(config)
    X, y = _synthetic(6, seed=0, config=config)
    system.fit(X, y)
    X_new, y_new = _synthetic(4, seed=1, config=config)
    accuracy = np.mean(np.argmax(system.predict_proba(X_new), axis=1) == y_new)
    assert accuracy >= 0.9, (accuracy, system.history_)


def test_a_file_that_is_not_vgg16_is_refused_with_its_name(tmp_path):
    import h5py

    from data_prep.errors import InputError
    from micro_expr.gia_bia.model import read_vgg16_file

    path = tmp_path / "other.h5"
    with h5py.File(path, "w") as handle:
        handle.create_group("dense_1")
    with pytest.raises(InputError, match="other.h5.*block1_conv1"):
        read_vgg16_file(path, ["block1_conv1"])
