"""STFF checkpoints: .keras + Keras 2-layout .h5 + .json metadata, reloaded both ways to identical predictions.

Every trained fold saves its models with ``micro_expr.core.checkpoints.save_checkpoint``
(``micro_expr.core.runner``). Here small STFF models (spatial m = 1 and m = 4,
presets 'original' and 'strict', and the temporal model) take one training
step, are saved, and come back:

- ``load_checkpoint`` (the .keras file, custom layers and losses registered);
- a fresh model built from the configuration stored in the checkpoint's own
  metadata, plus ``load_h5_weights`` (the Keras 2 layout file);
- Keras' own Keras 2 loader ``legacy_h5_format.load_weights_from_hdf5_group``.

Each must predict exactly what the saved model predicted. Wrong files (another
architecture, not HDF5 at all, missing) must raise ``InputError`` naming the file.
"""
import json

import h5py
import keras
import numpy as np
import pytest
from keras.src.legacy.saving import legacy_h5_format

from data_prep.errors import InputError
from data_prep.labels import protocol_classes
from micro_expr.core.checkpoints import load_checkpoint, load_h5_weights, save_checkpoint
from micro_expr.stff.config import STFFConfig, get_preset
from micro_expr.stff.losses import stage_loss
from micro_expr.stff.models import build_spatial_model, build_temporal_from_config
from micro_expr.stff.models.spatial import FEATURES
from micro_expr.stff.training import one_hot

SEQUENCE = 6     # temporal sequence length, short to keep the test fast
REGION = 5       # the mouth: MEGC classes negative, positive, surprise (no "no reaction": it moves in all three)
# Layers that hold weights in Keras 2 too; anything else with weights (e.g. a dropout seed) breaks Keras 2 loading.
KERAS2_WEIGHT_LAYERS = (keras.layers.Conv2D, keras.layers.Dense, keras.layers.LSTM)


def _config(preset, m):
    return get_preset(preset, **{"spatial.patches": m, "temporal.sequence_length": SEQUENCE})


def _spatial(config, region=REGION):
    patch_hw = config.patch_sizes[region]
    k = len(config.region_class_names[region])
    return build_spatial_model(config.spatial, patch_hw, k, name=f"spatial_{config.region_names[region]}")


def _spatial_input(config, region=REGION, batch=3):
    h, w = config.patch_sizes[region]
    rng = np.random.default_rng(1)
    return rng.uniform(0, 255, (batch, config.spatial.patches, h, w, 3)).astype(np.float32)


def _temporal_input(config, batch=3):
    rng = np.random.default_rng(2)
    return [rng.normal(size=(batch, SEQUENCE, 256)).astype(np.float32) for _ in config.region_names]


def _build(kind, config):
    return _spatial(config) if kind == "spatial" else build_temporal_from_config(config)


def _inputs(kind, config):
    return _spatial_input(config) if kind == "spatial" else _temporal_input(config)


def _classes(kind, config):
    return list(config.region_class_names[REGION] if kind == "spatial" else protocol_classes(config.protocol))


def _names(values):
    return [v.decode("utf8") if isinstance(v, bytes) else str(v) for v in values]


def _as_inputs(x):
    return x if isinstance(x, list) else [x]


def _predict(model, x):
    """Class probabilities and the layer before the classifier (SF for a spatial model).

    With the paper's normal(0, 1) initialisers the softmax saturates to exact 0 / 1,
    so probabilities alone would hide differences; the features do not.
    """
    hidden = FEATURES if FEATURES in [layer.name for layer in model.layers] else "classifier_dense"
    probe = keras.Model(model.inputs, [model.output, model.get_layer(hidden).output])
    outputs = probe(_as_inputs(x), training=False)
    return np.concatenate([keras.ops.convert_to_numpy(o) for o in outputs], axis=1)


def _train(model, kind, config, x):
    """One eager Adam step on the stage's loss, then a small random change of every weight.

    With the paper's normal(0, 1) initialisers the softmax saturates and a step
    may change nothing, so the perturbation makes sure the saved weights are no
    longer the initial ones of any preset.
    """
    import tensorflow as tf

    k = model.output.shape[-1]
    y = one_hot(np.arange(len(x[0] if isinstance(x, list) else x)) % k, k)
    optimizer = keras.optimizers.Adam(1e-3)
    with tf.GradientTape() as tape:
        loss = stage_loss(config, kind)(y, model(x, training=True))
    optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))
    rng = np.random.default_rng(4)
    model.set_weights([w + rng.normal(0, 0.01, w.shape).astype(w.dtype) for w in model.get_weights()])


CASES = [("spatial", "original", 1), ("spatial", "original", 4), ("spatial", "strict", 1),
         ("spatial", "strict", 4), ("temporal", "original", 1), ("temporal", "strict", 1)]


@pytest.fixture(scope="module", params=CASES, ids=[f"{kind}-{preset}-m{m}" for kind, preset, m in CASES])
def saved(request, tmp_path_factory):
    """(kind, config, input, predictions of the trained model, checkpoint stem, metadata) of one saved model."""
    kind, preset, m = request.param
    config = _config(preset, m)
    keras.utils.set_random_seed(0)
    model = _build(kind, config)
    x = _inputs(kind, config)
    before = _predict(model, x)
    _train(model, kind, config, x)
    expected = _predict(model, x)
    assert not np.allclose(before, expected, rtol=0, atol=1e-6)
    stem = tmp_path_factory.mktemp("checkpoints") / f"{kind}_{preset}_m{m}"
    metadata = {"stage": kind, "classes": _classes(kind, config), "config": config.to_dict(), "fold": "sub01"}
    if kind == "spatial":
        metadata["region"] = config.region_names[REGION]
    save_checkpoint(model, stem, metadata, keras2_h5=True)
    return kind, config, x, expected, stem, metadata


def test_writes_three_files_and_no_temporaries(saved):
    _, _, _, _, stem, metadata = saved
    assert sorted(p.name for p in stem.parent.iterdir()) == sorted(stem.name + s for s in (".h5", ".json", ".keras"))
    assert json.loads(stem.with_suffix(".json").read_text()) == metadata


def test_one_format_by_default_and_the_keras2_h5_on_request(tmp_path):
    """Default: .keras and .json only; ``export_keras2`` (``mer checkpoint export``) writes the same .h5 as
    ``keras2_h5=True`` would have, from the .keras file alone."""
    from micro_expr.core.checkpoints import folder_checkpoint_bytes, export_keras2

    config = _config("strict", 1)
    keras.utils.set_random_seed(4)
    model = _spatial(config)
    save_checkpoint(model, tmp_path / "run" / "fold" / "spatial", {"config": config.to_dict()})
    assert sorted(p.name for p in (tmp_path / "run" / "fold").iterdir()) == ["spatial.json", "spatial.keras"]
    size = folder_checkpoint_bytes(tmp_path / "run")
    assert size == sum(p.stat().st_size for p in (tmp_path / "run" / "fold").iterdir())
    assert export_keras2(tmp_path / "run") == [tmp_path / "run" / "fold" / "spatial.h5"]
    assert folder_checkpoint_bytes(tmp_path / "run") > size
    keras.utils.set_random_seed(5)
    fresh = _spatial(config)
    load_h5_weights(fresh, tmp_path / "run" / "fold" / "spatial.h5")
    for old, new in zip(_weights(model), _weights(fresh)):
        np.testing.assert_array_equal(old, new)
    with pytest.raises(InputError, match="spatial.json: not a .keras checkpoint"):
        export_keras2(tmp_path / "run" / "fold" / "spatial.json")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="empty: no .keras checkpoint"):
        export_keras2(tmp_path / "empty")


def test_keras_file_reloads_with_identical_predictions_and_metadata(saved):
    kind, config, x, expected, stem, metadata = saved
    model, loaded_metadata = load_checkpoint(stem.with_suffix(".keras"))
    np.testing.assert_allclose(_predict(model, x), expected, rtol=0, atol=1e-6)
    assert loaded_metadata == metadata
    # The checkpoint says how it was trained: preset, every switch, and the label map.
    assert loaded_metadata["config"]["preset"] == config.preset
    assert STFFConfig.from_dict(loaded_metadata["config"]) == config
    assert loaded_metadata["classes"] == _classes(kind, config)
    assert model.output.shape[-1] == len(loaded_metadata["classes"])


def test_h5_weights_load_into_a_model_built_from_the_stored_config(saved):
    kind, _, x, expected, stem, _ = saved
    _, metadata = load_checkpoint(stem)
    with h5py.File(stem.with_suffix(".h5"), "r") as handle:  # the .h5 carries the metadata too
        assert json.loads(handle.attrs["micro_expr_metadata"]) == metadata
    config = STFFConfig.from_dict(metadata["config"])
    keras.utils.set_random_seed(1)
    fresh = _build(kind, config)
    assert not np.allclose(_predict(fresh, x), expected, rtol=0, atol=1e-6)  # not equal by chance
    assert load_h5_weights(fresh, stem.with_suffix(".h5")) is fresh
    np.testing.assert_allclose(_predict(fresh, x), expected, rtol=0, atol=1e-6)


def test_h5_has_the_keras2_layout(saved):
    kind, config, x, expected, stem, _ = saved
    keras.utils.set_random_seed(2)
    fresh = _build(kind, config)
    with h5py.File(stem.with_suffix(".h5"), "r") as handle:
        assert "backend" in handle.attrs and "keras_version" in handle.attrs
        layer_names = _names(handle.attrs["layer_names"])
        assert layer_names == [layer.name for layer in fresh.layers]
        with_weights = []
        for layer in fresh.layers:
            group = handle[layer.name]
            names = _names(group.attrs["weight_names"])
            if names:
                with_weights.append(layer.name)
                # Keras 2 reads each weight as group[weight_name]: names resolve, shapes fit, in layer order.
                assert [group[n].shape for n in names] == [tuple(w.shape) for w in layer.weights]
        assert with_weights == [layer.name for layer in fresh.layers if isinstance(layer, KERAS2_WEIGHT_LAYERS)]
        legacy_h5_format.load_weights_from_hdf5_group(handle, fresh)  # Keras' Keras 2 loader
    np.testing.assert_allclose(_predict(fresh, x), expected, rtol=0, atol=1e-6)


def test_spatial_h5_weight_names_per_layer(tmp_path):
    """The names a Keras 2 reader sees: '<layer>/<weight>' under the layer's group (conv kernels, LSTM cells)."""
    config = _config("original", 1)
    stem = tmp_path / "m1"
    save_checkpoint(_spatial(config), stem, {"config": config.to_dict()}, keras2_h5=True)
    with h5py.File(stem.with_suffix(".h5"), "r") as handle:
        names = _names(handle["p0_conv5x5"].attrs["weight_names"])
        assert names == ["p0_conv5x5/kernel", "p0_conv5x5/bias"]
        assert handle["p0_conv5x5"]["p0_conv5x5/kernel"].shape == (5, 5, 3, 4)
        assert list(handle["fc1_dropout"].attrs["weight_names"]) == []
    temporal = build_temporal_from_config(config)
    save_checkpoint(temporal, tmp_path / "t", {"config": config.to_dict()}, keras2_h5=True)
    with h5py.File(tmp_path / "t.h5", "r") as handle:
        names = _names(handle["R0_lstm"].attrs["weight_names"])
        assert names == ["R0_lstm/lstm_cell/kernel", "R0_lstm/lstm_cell/recurrent_kernel", "R0_lstm/lstm_cell/bias"]
        assert handle["R0_lstm"][names[1]].shape == (64, 256)


# --- wrong files ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def small_files(tmp_path_factory):
    """Checkpoints of a spatial m = 1 model (region R5), and of the temporal model, 'strict'."""
    folder = tmp_path_factory.mktemp("wrong")
    config = _config("strict", 1)
    keras.utils.set_random_seed(3)
    save_checkpoint(_spatial(config), folder / "spatial", {"config": config.to_dict()}, keras2_h5=True)
    save_checkpoint(build_temporal_from_config(config), folder / "temporal", {"config": config.to_dict()},
                    keras2_h5=True)
    return folder, config


def _weights(model):
    return [np.array(w) for w in model.get_weights()]


@pytest.mark.parametrize("other", ["temporal", "m4", "original", "region2"])
def test_h5_of_another_architecture_is_refused(small_files, other):
    folder, config = small_files
    if other == "temporal":
        model = _spatial(config)                         # spatial model, temporal weights
        path = folder / "temporal.h5"
    else:
        model = {"m4": lambda: _spatial(_config("strict", 4)),           # 4 patch encoders, not 1
                 "original": lambda: _spatial(_config("original", 1)),   # code SE: one more conv
                 "region2": lambda: _spatial(config, region=2)}[other]()  # same layers, 2 classes, not 3
        path = folder / "spatial.h5"
    with pytest.raises(InputError) as error:
        load_h5_weights(model, path)
    assert str(path) in str(error.value)


def test_not_hdf5_and_missing_files_are_refused(small_files, tmp_path):
    folder, config = small_files
    model = _spatial(config)
    text = tmp_path / "notes.h5"
    text.write_text("not an HDF5 file")
    missing = tmp_path / "absent.h5"
    for path in (text, missing, folder / "spatial.keras"):  # a .keras zip is not HDF5 either
        with pytest.raises(InputError) as error:
            load_h5_weights(model, path)
        assert str(path) in str(error.value)
    with pytest.raises(InputError, match="absent.keras"):
        load_checkpoint(missing)
    broken = tmp_path / "broken.keras"
    broken.write_text("not a zip")
    with pytest.raises(InputError) as error:
        load_checkpoint(broken)
    assert str(broken) in str(error.value)


def test_keras3_weights_file_is_not_taken_for_keras2_layout(small_files, tmp_path):
    folder, config = small_files
    model = _spatial(config)
    model.save_weights(tmp_path / "keras3.weights.h5")  # Keras 3 layout: no layer_names / weight_names
    with pytest.raises(InputError, match="keras3.weights.h5"):
        load_h5_weights(_spatial(config), tmp_path / "keras3.weights.h5")


def test_refused_load_leaves_the_model_unchanged(small_files):
    """A file that fits only in part (every layer but the classifier) must not half-load the model."""
    folder, config = small_files
    model = _spatial(config, region=2)
    before = _weights(model)
    with pytest.raises(InputError):
        load_h5_weights(model, folder / "spatial.h5")
    for old, new in zip(before, _weights(model)):
        np.testing.assert_array_equal(old, new)
