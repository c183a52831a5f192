"""Load the published MEAN checkpoints (Keras 2.4 HDF5 files) into our Keras 3 models.

The authors published one file per LOSO fold and kind::

    <dataset>/spot/s<fold>.hdf5        weights only: trunk + spotting head
    <dataset>/recog/s<fold>.hdf5       weights only: trunk + recognition head (C classes)
    <dataset>/spot_recog/s<fold>.hdf5  both heads; some files hold the whole model
                                       (architecture JSON + weights), some weights only

Keras 3 cannot load Keras 2 whole-model files reliably, so we read the arrays
with h5py and call ``set_weights`` layer by layer.

How file layers are matched to ours: the files use auto-generated layer names
("conv2d_60", "batch_normalization_6") that change from file to file, so names
cannot be matched. Keras 2 stores a functional model's layers by depth, so the
layers that hold weights always come in this order::

    conv u, conv v, conv strain, bn u, bn v, bn strain,
    head conv(s) (spot before recog), dense "spot" and/or dense "recog"

We map them by this position, and check every array's shape against our
layer. Inside a layer, arrays are matched by their name (kernel, bias, gamma,
beta, moving_mean, moving_variance). When a file holds the architecture, we
also check by its wiring that the position rule gives the same mapping (the
conv fed by the i-th input, the head conv under each dense layer). Checked on
all 297 published files: the spot and recog arrays of each spot_recog file
equal those of the spot and recog files of the same fold. Folds without a
recog file (CASME_sq: 5 of 14, SAMMLV: s19) have an untrained recognition
head in their spot_recog file (zero biases): those subjects had no sample of
the recognition classes.
"""
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np

from data_prep.errors import InputError
from micro_expr.mean.model import STREAMS, TASKS

KINDS = ("spot", "recog", "spot_recog")
KIND_TASKS = {"spot": ("spot",), "recog": ("recog",), "spot_recog": ("spot", "recog")}


def layer_order(kind):
    """Our names of the layers holding weights, in the order a published file of ``kind`` stores them."""
    tasks = KIND_TASKS[kind]
    return ([f"{stream}_conv" for stream, _ in STREAMS] + [f"{stream}_bn" for stream, _ in STREAMS]
            + [f"{task}_conv" for task in tasks] + list(tasks))


@dataclass
class FileLayer:
    """One layer of a checkpoint file that holds weights."""

    name: str
    weight_names: list
    arrays: list


@dataclass
class PublishedCheckpoint:
    """What a published MEAN file holds, read with h5py (no Keras needed)."""

    path: Path
    kind: str
    num_classes: Optional[int]
    keras_version: str
    has_architecture: bool
    layers: list = field(default_factory=list)   # FileLayer, in file order

    @property
    def tasks(self):
        return KIND_TASKS[self.kind]

    def weights_by_layer(self):
        """{our layer name: (file layer name, {array base name: array})}, by the position rule."""
        return {ours: (layer.name, {_base_name(n): a for n, a in zip(layer.weight_names, layer.arrays)})
                for ours, layer in zip(layer_order(self.kind), self.layers)}


def _text(value):
    return value.decode() if isinstance(value, bytes) else str(value)


def _base_name(weight_name):
    """'conv2d_60/kernel:0' -> 'kernel' (Keras 2); 'kernel' stays 'kernel' (Keras 3)."""
    return _text(weight_name).split("/")[-1].split(":")[0]


def _open_hdf5(path):
    import h5py

    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: file does not exist")
    try:
        return h5py.File(path, "r")
    except OSError as error:
        raise InputError(f"{path}: not a readable HDF5 file (truncated or another format?): {error}") from None


def _read_file_layers(root, path):
    """The layers listed in ``layer_names`` that hold weights, with their arrays."""
    found = []
    for raw_name in root.attrs["layer_names"]:
        name = _text(raw_name)
        if name not in root:
            raise InputError(f"{path}: layer {name!r} is listed in layer_names but missing (truncated file?)")
        group = root[name]
        weight_names = [_text(w) for w in group.attrs.get("weight_names", [])]
        try:
            arrays = [np.asarray(group[w], dtype=np.float32) for w in weight_names]
        except (KeyError, OSError, ValueError) as error:
            raise InputError(f"{path}: cannot read the weights of layer {name!r} ({error})") from None
        if arrays:
            found.append(FileLayer(name, weight_names, arrays))
    return found


def _detect_kind(layers, path):
    names = [layer.name for layer in layers]
    tasks = [task for task in TASKS if task in names]
    if not tasks:
        raise InputError(f"{path}: no layer named 'spot' or 'recog', so this is not a MEAN checkpoint "
                         f"(layers with weights: {', '.join(names) or 'none'})")
    return "spot_recog" if len(tasks) == 2 else tasks[0]


def _num_classes(layers, path):
    """C, read from the kernel of the dense layer "recog" (392 x C)."""
    recog = next((layer for layer in layers if layer.name == "recog"), None)
    if recog is None:
        return None
    kernels = [a for n, a in zip(recog.weight_names, recog.arrays) if _base_name(n) == "kernel"]
    if len(kernels) != 1 or kernels[0].ndim != 2 or kernels[0].shape[1] < 2:
        shapes = [a.shape for a in recog.arrays]
        raise InputError(f"{path}: layer 'recog' should hold a 392 x C kernel with C >= 2, found arrays {shapes}")
    return int(kernels[0].shape[1])


def read_checkpoint(path):
    """Read a published MEAN file (any of the three kinds) into a ``PublishedCheckpoint``."""
    path = Path(path)
    with _open_hdf5(path) as handle:
        root = handle["model_weights"] if "model_weights" in handle else handle
        if "layer_names" not in root.attrs:
            raise InputError(f"{path}: no 'layer_names' attribute, so this is not a Keras 2 HDF5 weights "
                             f"file (top-level keys: {', '.join(list(handle.keys())[:8]) or 'none'})")
        layers = _read_file_layers(root, path)
        kind = _detect_kind(layers, path)
        config = handle.attrs.get("model_config")
        checkpoint = PublishedCheckpoint(
            path=path, kind=kind, num_classes=_num_classes(layers, path),
            keras_version=_text(handle.attrs.get("keras_version", root.attrs.get("keras_version", "?"))),
            has_architecture=config is not None, layers=layers)
    expected = layer_order(kind)
    if len(layers) != len(expected):
        raise InputError(f"{path}: a MEAN '{kind}' file has {len(expected)} layers with weights "
                         f"({', '.join(expected)}), this one has {len(layers)} "
                         f"({', '.join(layer.name for layer in layers)})")
    if config is not None:
        _check_wiring(_text(config), checkpoint, path)
    return checkpoint


def _check_wiring(config_text, checkpoint, path):
    """For whole-model files: the position rule must agree with the architecture's wiring."""
    try:
        config = json.loads(config_text)["config"]
        inbound = {layer["name"]: [node[0] for node in layer["inbound_nodes"][0]] if layer["inbound_nodes"] else []
                   for layer in config["layers"]}
        classes = {layer["name"]: layer["class_name"] for layer in config["layers"]}
        entries = config["input_layers"]
        entries = entries[0] if entries and isinstance(entries[0][0], list) else entries  # Keras 2 nests once more
        inputs = [entry[0] for entry in entries]
    except (ValueError, KeyError, IndexError, TypeError):
        return  # not a Keras 2 functional config; the shape checks still apply
    wired = {}
    for (stream, _), input_name in zip(STREAMS, inputs):
        convs = [name for name, sources in inbound.items() if classes[name] == "Conv2D" and sources == [input_name]]
        wired[f"{stream}_conv"] = convs[0] if convs else None
    for task in checkpoint.tasks:
        name = task
        while name is not None and (name == task or classes.get(name) != "Conv2D"):
            sources = inbound.get(name, [])
            name = sources[0] if len(sources) == 1 else None
        wired[f"{task}_conv"] = name
    by_position = {ours: file_name for ours, (file_name, _) in checkpoint.weights_by_layer().items()}
    wrong = [f"{ours}: wiring says {wired[ours]}, position says {by_position[ours]}"
             for ours in wired if wired[ours] != by_position[ours]]
    if wrong:
        raise InputError(f"{path}: the architecture in this file is not MEAN's ({'; '.join(wrong)})")


def build_model_for(kind, num_classes=None):
    """An untrained Keras 3 model of the right shape for a checkpoint kind."""
    from micro_expr.mean import model as mean_model

    if kind == "spot":
        return mean_model.build_spotting_model()
    if kind == "recog":
        return mean_model.build_recognition_model(num_classes)
    if kind == "spot_recog":
        return mean_model.build_mean(num_classes)
    raise ValueError(f"unknown checkpoint kind {kind!r}; choose one of {KINDS}")


def set_published_weights(model, checkpoint):
    """Copy the checkpoint's arrays into ``model`` layer by layer, checking every name and shape."""
    for ours, (file_name, arrays) in checkpoint.weights_by_layer().items():
        layer = model.get_layer(ours)
        values = []
        for variable in layer.weights:
            base = _base_name(variable.name)
            if base not in arrays:
                raise InputError(f"{checkpoint.path}: layer {file_name!r} (our {ours}) has no '{base}' array "
                                 f"(it has {', '.join(arrays)})")
            if tuple(arrays[base].shape) != tuple(variable.shape):
                raise InputError(f"{checkpoint.path}: layer {file_name!r} (our {ours}) '{base}' has shape "
                                 f"{tuple(arrays[base].shape)}, MEAN needs {tuple(variable.shape)}")
            values.append(arrays[base])
        if len(arrays) != len(values):
            raise InputError(f"{checkpoint.path}: layer {file_name!r} (our {ours}) holds {len(arrays)} arrays "
                             f"({', '.join(arrays)}), MEAN's layer has {len(values)}")
        layer.set_weights(values)
    return model


def load_published(path):
    """A ready Keras 3 MEAN model from a published ``spot``, ``recog`` or ``spot_recog`` file.

    The kind is read from the file (which of the dense layers "spot" and
    "recog" it holds), and so is the number of classes C. ``spot`` gives the
    one-output spotting model, ``recog`` the C-class recognition model,
    ``spot_recog`` the combined two-output model. A file that does not fit
    raises ``InputError`` naming the file and the mismatch.
    """
    checkpoint = read_checkpoint(path)
    model = build_model_for(checkpoint.kind, checkpoint.num_classes)
    return set_published_weights(model, checkpoint)


def fold_files(folder):
    """{fold number: path} of the ``s<fold>.hdf5`` files of a folder."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder}: checkpoint folder does not exist")
    folds = {}
    for path in folder.glob("*.hdf5"):
        match = re.fullmatch(r"s(\d+)", path.stem)
        if match:
            folds[int(match.group(1))] = path
    return dict(sorted(folds.items()))
