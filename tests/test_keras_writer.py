""".keras files written by micro_expr.core.keras_writer (the architecture serialised once) against model.save.

A real strict STFF spatial model (m = 4) and the temporal model are saved
by ``model.save`` and by the writer, a second time after their weights changed (the writer reuses what it
recorded at the first save): the zip holds the same members in the same order, the same ``config.json``, a
byte-for-byte identical ``model.weights.h5``, and ``keras.saving.load_model`` gives the same weights and
predictions. (tests/test_backends.py loads writer-written files on JAX and PyTorch.)
"""
import io
import zipfile

import h5py
import keras
import numpy as np
import pytest

from micro_expr.core import keras_writer
from micro_expr.core.checkpoints import save_checkpoint
from micro_expr.stff.config import get_preset
from micro_expr.stff.models import build_spatial_model, build_temporal_from_config

CONFIG = get_preset("strict", **{"spatial.patches": 4, "temporal.sequence_length": 6})
REGION = 5


def _spatial(layout="per_patch"):
    return build_spatial_model(CONFIG.spatial, CONFIG.patch_sizes[REGION], 3, layout=layout, name="spatial_mouth")


def _inputs(model):
    rng = np.random.default_rng(1)
    shapes = [tuple(t.shape[1:]) for t in model.inputs]
    x = [rng.uniform(0, 255 if len(s) > 2 else 1, (3,) + s).astype(np.float32) for s in shapes]
    return x if len(x) > 1 else x[0]


def _perturb(model, seed):
    rng = np.random.default_rng(seed)
    model.set_weights([w + rng.normal(0, 0.01, w.shape).astype(w.dtype) for w in model.get_weights()])


def _h5_tree(data):
    """Every group and dataset of an HDF5 file: name -> (attributes, value or None)."""
    tree = {}
    with h5py.File(io.BytesIO(data), "r") as handle:
        def visit(name, node):
            value = node[()] if isinstance(node, h5py.Dataset) else None
            tree[name] = ({k: str(v) for k, v in node.attrs.items()}, value)
        handle.visititems(visit)
    return tree


BUILDERS = {"spatial": _spatial, "temporal": lambda: build_temporal_from_config(CONFIG)}


@pytest.mark.parametrize("kind", list(BUILDERS))
def test_the_writer_writes_what_model_save_writes_also_after_the_weights_changed(kind, tmp_path):
    keras.utils.set_random_seed(0)
    model = BUILDERS[kind]()
    writer = keras_writer.writer_for(model)
    assert writer.entries is not None, "the writer fell back to model.save for a model the runs save"
    writer.write(model, tmp_path / "first.keras")
    _perturb(model, 4)                       # the next fold's weights
    assert keras_writer.writer_for(model) is writer
    writer.write(model, tmp_path / "fast.keras")
    model.save(tmp_path / "keras.keras")

    fast, slow = zipfile.ZipFile(tmp_path / "fast.keras"), zipfile.ZipFile(tmp_path / "keras.keras")
    assert [i.filename for i in fast.infolist()] == [i.filename for i in slow.infolist()] == \
        ["metadata.json", "config.json", "model.weights.h5"]
    assert [i.compress_type for i in fast.infolist()] == [i.compress_type for i in slow.infolist()]
    assert fast.read("config.json") == slow.read("config.json")
    assert fast.read("model.weights.h5") == slow.read("model.weights.h5")
    assert fast.read("model.weights.h5") != zipfile.ZipFile(tmp_path / "first.keras").read("model.weights.h5")
    tree = _h5_tree(fast.read("model.weights.h5"))
    assert sum(value is not None for _, value in tree.values()) == len(model.weights)

    x = _inputs(model)
    expected = keras.ops.convert_to_numpy(model(x, training=False))
    loaded = keras.saving.load_model(tmp_path / "fast.keras", compile=False)
    for a, b in zip(loaded.weights, model.weights):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b))
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(loaded(x, training=False)), expected)


def test_a_changed_model_gets_a_new_writer_and_save_checkpoint_stays_atomic(tmp_path):
    model = build_temporal_from_config(CONFIG)
    writer = keras_writer.writer_for(model)
    model.layers[-1].trainable = False       # the architecture (config.json) changed
    assert keras_writer.writer_for(model) is not writer
    save_checkpoint(model, tmp_path / "temporal", {"stage": "temporal"}, same_architecture=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["temporal.json", "temporal.keras"]   # no temporaries left
    config = zipfile.ZipFile(tmp_path / "temporal.keras").read("config.json")
    model.save(tmp_path / "keras.keras")
    assert config == zipfile.ZipFile(tmp_path / "keras.keras").read("config.json")


def test_a_model_with_a_compiled_optimizer_is_saved_by_keras(tmp_path):
    """model.save also writes the optimizer's variables: the writer leaves such a model to Keras."""
    model = build_temporal_from_config(CONFIG)
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    model.optimizer.build(model.trainable_variables)
    writer = keras_writer.writer_for(model)
    assert writer.entries is None
    writer.write(model, tmp_path / "compiled.keras")
    assert "optimizer" in str(_h5_tree(zipfile.ZipFile(tmp_path / "compiled.keras").read("model.weights.h5")))


@pytest.mark.slow   # 14 models built and 7 loaded: about a minute on a loaded 2-core machine
def test_stff_folds_saved_by_the_writer_load_back_with_each_folds_weights(tmp_path):
    """STFF.save (strict: six spatial models + the temporal one) for two 'folds' with other weights; STFF.load
    of the second gives its weights (the writers made at the first save wrote the second fold's values)."""
    from micro_expr.stff import training
    from micro_expr.stff.system import STFF

    config = get_preset("strict", **{"spatial.patches": 4, "spatial.head_units": (16, 8), "temporal.units": 4,
                                     "temporal.head_units": 8, "temporal.sequence_length": 6})
    stff = STFF(config)
    stff._spatial = training.SpatialStage(config, progress=False)
    stff.temporal_model_ = build_temporal_from_config(config)
    stff.classes_, stff.standardizer_ = stff.classes, None
    models = list(stff._spatial.models.values()) + [stff.temporal_model_]
    stff.save(tmp_path / "sub01")
    writers = [keras_writer.writer_for(model) for model in models]
    assert all(writer.entries is not None for writer in writers)
    for seed, model in enumerate(models):
        _perturb(model, seed)
    stff.save(tmp_path / "sub02")
    assert [keras_writer.writer_for(model) for model in models] == writers
    loaded = STFF.load(tmp_path / "sub02")
    pairs = [(loaded.spatial_models_[name], model) for name, model in stff._spatial.models.items()]
    for saved, model in pairs + [(loaded.temporal_model_, stff.temporal_model_)]:
        for a, b in zip(saved.weights, model.weights):
            np.testing.assert_array_equal(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b))
