"""`mer checkpoint inspect`: what Keras 2 / Keras 3 HDF5 files and .keras archives hold."""
import json

import h5py
import numpy as np
import pytest

from data_prep.errors import InputError
from micro_expr.core.checkpoint_inspect import inspect_checkpoint
from micro_expr.cli import main


@pytest.fixture(scope="module")
def keras3_files(tmp_path_factory):
    """A tiny Keras 3 model saved three ways: 4 -> BatchNorm(4) -> Dense(2) has 16 + 10 = 26 parameters."""
    keras = pytest.importorskip("keras")
    folder = tmp_path_factory.mktemp("keras3")
    inputs = keras.Input((4,), name="features")
    outputs = keras.layers.Dense(2, name="scores")(keras.layers.BatchNormalization(name="norm")(inputs))
    model = keras.Model(inputs, outputs, name="tiny")
    model.save(folder / "tiny.keras")
    model.save_weights(folder / "tiny.weights.h5")
    model.save(folder / "tiny.h5")  # legacy HDF5 whole model
    return folder


def _weights(report, layer):
    entry = next(item for item in report["layers"] if item["name"] == layer)
    return [(w["name"], tuple(w["shape"])) for w in entry["weights"]]


def test_published_keras2_weights_file(mean_weights):
    report = inspect_checkpoint(mean_weights / "CASME2" / "spot" / "s1.hdf5")
    assert report["format"] == "hdf5-weights"
    assert (report["keras_version"], report["backend"]) == ("2.4.0", "tensorflow")
    assert not report["has_architecture"] and report["architecture"] is None
    assert report["parameter_count"] == 3621  # MEAN trunk 420 + spotting head 2808 + 393
    assert (report["layer_count"], report["layers_with_weights"]) == (21, 8)
    assert _weights(report, "conv2d_60") == [("conv2d_60/kernel:0", (5, 5, 1, 3)), ("conv2d_60/bias:0", (3,))]
    assert _weights(report, "spot") == [("spot_2/kernel:0", (392, 1)), ("spot_2/bias:0", (1,))]


def test_published_keras2_whole_model(mean_weights):
    report = inspect_checkpoint(mean_weights / "CASME2" / "spot_recog" / "s1.hdf5")
    assert report["format"] == "hdf5-model"
    assert report["has_architecture"] and report["has_training_config"]
    assert report["architecture"] == {"class_name": "Functional", "name": "model_108"}
    assert report["parameter_count"] == 8394  # both heads, 5 classes
    assert _weights(report, "recog")[0] == ("recog_52/kernel:0", (392, 5))


def test_keras3_archive(keras3_files):
    report = inspect_checkpoint(keras3_files / "tiny.keras")
    assert report["format"] == "keras-zip"
    assert report["keras_version"].startswith("3.")
    assert report["architecture"] == {"class_name": "Functional", "name": "tiny"}
    assert report["parameter_count"] == 26
    assert _weights(report, "scores") == [("0", (4, 2)), ("1", (2,))]


def test_keras3_weights_file(keras3_files):
    report = inspect_checkpoint(keras3_files / "tiny.weights.h5")
    assert report["format"] == "keras3-weights" and not report["has_architecture"]
    assert report["parameter_count"] == 26
    assert len(_weights(report, "norm")) == 4  # gamma, beta, moving mean, moving variance


def test_keras3_legacy_hdf5_model(keras3_files):
    report = inspect_checkpoint(keras3_files / "tiny.h5")
    assert report["format"] == "hdf5-model" and report["keras_version"].startswith("3.")
    assert _weights(report, "scores") == [("scores/kernel", (4, 2)), ("scores/bias", (2,))]
    assert report["parameter_count"] == 26


def test_refuses_files_that_are_not_keras(tmp_path):
    text = tmp_path / "notes.h5"
    text.write_text("hello")
    with pytest.raises(InputError, match="neither an HDF5 file nor a .keras"):
        inspect_checkpoint(text)
    plain = tmp_path / "plain.h5"
    with h5py.File(plain, "w") as handle:
        handle["x"] = np.zeros(3)
    with pytest.raises(InputError, match="without Keras layers") as caught:
        inspect_checkpoint(plain)
    assert str(plain) in str(caught.value)


def test_cli_prints_layers_and_parameters(mean_weights, capsys):
    path = mean_weights / "SMIC_VIS" / "recog" / "s1.hdf5"
    assert main(["checkpoint", "inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Keras HDF5 weights file" in out and "2.4.0" in out
    assert "parameters:    4407" in out  # trunk 420 + head conv 2808 + dense 392*3+3
    assert "(392, 3)" in out and "no (weights only)" in out


def test_cli_json_is_the_report(keras3_files, capsys):
    path = keras3_files / "tiny.keras"
    assert main(["checkpoint", "inspect", "--json", str(path)]) == 0
    assert json.loads(capsys.readouterr().out) == inspect_checkpoint(path)


def test_cli_error_names_the_file(tmp_path, capsys):
    path = tmp_path / "missing.hdf5"
    assert main(["checkpoint", "inspect", str(path)]) == 2
    assert f"{path}: file does not exist" in capsys.readouterr().err
