"""MEAN (Liong et al. 2023): the Keras 3 architecture, the published checkpoints, and refusal of wrong files."""
import shutil

import h5py
import numpy as np
import pytest

from data_prep.errors import InputError

keras = pytest.importorskip("keras")

from micro_expr.mean import load_published, model as mean_model  # noqa: E402
from micro_expr.mean.published import read_checkpoint  # noqa: E402
from micro_expr.mean.reference import reference_outputs  # noqa: E402
from micro_expr.mean.verify import fixed_inputs  # noqa: E402


def predict_all(model, inputs):
    outputs = model(inputs, training=False)
    return [np.asarray(o) for o in (outputs if isinstance(outputs, (list, tuple)) else [outputs])]


# ---------------------------------------------------------------- architecture

def test_parameter_counts_match_hand_counts_and_the_paper():
    # stream convs 5*5*1*3+3 = 78, 78, 5*5*1*8+8 = 208; batch norms 4*3, 4*3, 4*8 -> trunk 420 (28 moving stats)
    # head conv 5*5*14*8+8 = 2808; spot dense 392+1 = 393; recog dense 392*C+C
    spot = mean_model.build_spotting_model()
    assert mean_model.parameter_counts(mean_model.trunk_model(spot)) == {
        "total": 420, "trainable": 392, "non_trainable": 28}
    assert mean_model.parameter_counts(spot)["total"] == 420 + 2808 + 393 == 3621
    assert mean_model.parameter_counts(mean_model.build_recognition_model(3))["total"] == 420 + 2808 + 1179 == 4407
    assert mean_model.parameter_counts(mean_model.build_recognition_model(5))["total"] == 420 + 2808 + 1965 == 5193
    # combined, C = 3: 420 + 2*2808 + 393 + 1179 = 7608, the "7608 parameters" of section 4.3
    assert mean_model.parameter_counts(mean_model.build_mean(3))["total"] == 7608
    assert mean_model.parameter_counts(mean_model.build_mean(5))["total"] == 8394


def test_shapes_follow_section_3_3():
    mean = mean_model.build_mean(4)
    assert [tuple(x.shape) for x in mean.inputs] == [(None, 42, 42, 1)] * 3
    assert tuple(mean.get_layer("trunk_concat").output.shape) == (None, 14, 14, 14)  # 3 + 3 + 8 channels
    assert tuple(mean.get_layer("spot_flatten").output.shape) == (None, 392)        # 7 * 7 * 8
    assert [tuple(o.shape) for o in mean.outputs] == [(None, 1), (None, 4)]
    assert mean.get_layer("spot").activation.__name__ == "linear"
    assert mean.get_layer("recog").activation.__name__ == "softmax"


@pytest.mark.slow
def test_frozen_trunk_keeps_its_weights_while_the_recognition_head_learns():
    keras.utils.set_random_seed(0)
    mean = mean_model.build_mean(3)
    mean_model.freeze_trunk(mean)
    recog = mean_model.task_model(mean, "recog")
    assert mean_model.parameter_counts(recog)["trainable"] == 2808 + 1179  # only the recognition head
    recog.compile(optimizer=keras.optimizers.Adam(1e-2), loss="categorical_crossentropy")
    trunk_before = [w.copy() for w in mean_model.trunk_model(mean).get_weights()]
    head_before = mean.get_layer("recog").get_weights()[0].copy()
    x = fixed_inputs(batch=4)
    recog.fit(x, keras.utils.to_categorical([0, 1, 2, 0], 3), epochs=1, batch_size=4, verbose=0)
    for before, after in zip(trunk_before, mean_model.trunk_model(mean).get_weights()):
        np.testing.assert_array_equal(before, after)
    assert not np.allclose(head_before, mean.get_layer("recog").get_weights()[0])


# ---------------------------------------------------------------- published checkpoints

PUBLISHED = [
    ("CASME2", "spot", "s1", "spot", None),           # weights only
    ("CASME2", "recog", "s1", "recog", 5),
    ("CASME2", "spot_recog", "s1", "spot_recog", 5),  # whole model (architecture JSON)
    ("SMIC_HS", "recog", "s3", "recog", 3),
    ("SAMMLV", "spot_recog", "s2", "spot_recog", 3),  # weights only, both heads
]


@pytest.mark.parametrize("dataset, folder, fold, kind, classes", PUBLISHED)
def test_published_file_loads_and_matches_the_numpy_network(mean_weights, dataset, folder, fold, kind, classes):
    path = mean_weights / dataset / folder / f"{fold}.hdf5"
    checkpoint = read_checkpoint(path)
    assert (checkpoint.kind, checkpoint.num_classes) == (kind, classes)
    assert checkpoint.has_architecture == (dataset == "CASME2" and kind == "spot_recog")
    model = load_published(path)
    inputs = fixed_inputs(batch=4)
    expected = reference_outputs(checkpoint, inputs)
    outputs = predict_all(model, inputs)
    assert len(outputs) == len(checkpoint.tasks)
    for output, task in zip(outputs, checkpoint.tasks):
        np.testing.assert_allclose(output, expected[task], atol=1e-5)
    # the spotting score depends on the input (a constant model would also "match")
    if "spot" in checkpoint.tasks:
        assert np.ptp(expected["spot"]) > 1e-3


def test_numpy_reference_notices_a_changed_weight(mean_weights):
    checkpoint = read_checkpoint(mean_weights / "CASME2" / "spot" / "s1.hdf5")
    inputs = fixed_inputs(batch=2)
    before = reference_outputs(checkpoint, inputs)["spot"]
    checkpoint.layers[0].arrays[0] = checkpoint.layers[0].arrays[0] + 0.1  # u stream kernel
    assert not np.allclose(before, reference_outputs(checkpoint, inputs)["spot"], atol=1e-5)


def test_spot_recog_file_equals_its_spot_and_recog_files(mean_weights):
    folder = mean_weights / "SMIC_VIS"
    inputs = fixed_inputs(batch=3)
    spot, recog = predict_all(load_published(folder / "spot_recog" / "s2.hdf5"), inputs)
    np.testing.assert_allclose(spot, predict_all(load_published(folder / "spot" / "s2.hdf5"), inputs)[0], atol=1e-6)
    np.testing.assert_allclose(recog, predict_all(load_published(folder / "recog" / "s2.hdf5"), inputs)[0], atol=1e-6)


@pytest.mark.parametrize("dataset, classes", [("CASME2", 5), ("SAMMLV", 3), ("SMIC_NIR", 3), ("CASME_sq", 3)])
def test_class_count_is_read_from_the_recognition_file(mean_weights, dataset, classes):
    path = sorted((mean_weights / dataset / "recog").glob("s*.hdf5"))[0]
    assert read_checkpoint(path).num_classes == classes
    assert load_published(path).output.shape[-1] == classes


# ---------------------------------------------------------------- wrong files

def _assert_refused(path, *words):
    with pytest.raises(InputError) as caught:
        load_published(path)
    message = str(caught.value)
    assert str(path) in message
    for word in words:
        assert word in message


def test_refuses_a_file_that_is_not_hdf5(tmp_path):
    path = tmp_path / "notes.hdf5"
    path.write_text("not a checkpoint")
    _assert_refused(path, "not a readable HDF5 file")


def test_refuses_a_missing_file(tmp_path):
    _assert_refused(tmp_path / "s1.hdf5", "does not exist")


def test_refuses_an_hdf5_file_without_keras_layers(tmp_path):
    path = tmp_path / "random.h5"
    with h5py.File(path, "w") as handle:
        handle["data"] = np.arange(10)
    _assert_refused(path, "layer_names")


def test_refuses_a_keras3_model_of_another_network(tmp_path):
    inputs = keras.Input((8,))
    other = keras.Model(inputs, keras.layers.Dense(2, name="dense")(inputs))
    path = tmp_path / "stff.weights.h5"
    other.save_weights(path)
    _assert_refused(path, "layer_names")


def _write_weights_file(path, layers):
    """A Keras 2 style weights file: layers = [(name, {weight name: array})]."""
    with h5py.File(path, "w") as handle:
        handle.attrs["layer_names"] = np.array([name.encode() for name, _ in layers])
        for name, weights in layers:
            group = handle.create_group(name)
            group.attrs["weight_names"] = np.array([f"{name}/{w}:0".encode() for w in weights])
            for weight, array in weights.items():
                group[f"{name}/{weight}:0"] = array


def _spot_layers(head_kernel_shape=(392, 1)):
    conv = lambda filters, channels=1: {"kernel": np.zeros((5, 5, channels, filters), np.float32),  # noqa: E731
                                         "bias": np.zeros(filters, np.float32)}
    bn = lambda n: {w: np.ones(n, np.float32) for w in ("gamma", "beta", "moving_mean", "moving_variance")}  # noqa
    return [("conv2d_1", conv(3)), ("conv2d_2", conv(3)), ("conv2d_3", conv(8)),
            ("batch_normalization_1", bn(3)), ("batch_normalization_2", bn(3)), ("batch_normalization_3", bn(8)),
            ("conv2d_4", conv(8, 14)),
            ("spot", {"kernel": np.zeros(head_kernel_shape, np.float32), "bias": np.zeros(1, np.float32)})]


def test_a_hand_written_file_of_the_right_shapes_loads(tmp_path):
    path = tmp_path / "s1.hdf5"
    _write_weights_file(path, _spot_layers())
    assert read_checkpoint(path).kind == "spot"
    assert load_published(path).output.shape[-1] == 1


def test_refuses_wrong_shapes_naming_the_layer(tmp_path):
    path = tmp_path / "s1.hdf5"
    _write_weights_file(path, _spot_layers(head_kernel_shape=(100, 1)))
    _assert_refused(path, "'spot'", "(100, 1)", "(392, 1)")


def test_refuses_missing_layers(tmp_path):
    path = tmp_path / "s1.hdf5"
    _write_weights_file(path, _spot_layers()[:3] + _spot_layers()[-1:])
    _assert_refused(path, "8 layers with weights", "has 4")


def test_refuses_a_file_without_mean_heads(tmp_path):
    path = tmp_path / "s1.hdf5"
    _write_weights_file(path, _spot_layers()[:-1])
    _assert_refused(path, "no layer named 'spot' or 'recog'")


def test_refuses_a_whole_model_whose_wiring_disagrees_with_the_layer_order(mean_weights, tmp_path):
    import json

    path = tmp_path / "s1.hdf5"
    shutil.copy(mean_weights / "CASME2" / "spot_recog" / "s1.hdf5", path)
    with h5py.File(path, "r+") as handle:
        config = json.loads(handle.attrs["model_config"])
        for layer in config["config"]["layers"]:  # feed the v input to the first conv and u to the second
            if layer["name"] in ("conv2d_60", "conv2d_61"):
                layer["inbound_nodes"][0][0][0] = {"conv2d_60": "input_8", "conv2d_61": "input_7"}[layer["name"]]
        handle.attrs["model_config"] = json.dumps(config)
    _assert_refused(path, "not MEAN's", "u_conv")


def test_refuses_a_truncated_published_file(mean_weights, tmp_path):
    source = mean_weights / "CASME2" / "spot" / "s1.hdf5"
    path = tmp_path / "s1.hdf5"
    path.write_bytes(source.read_bytes()[:6000])
    _assert_refused(path)

