"""Save and load trained models: a `.keras` file and metadata; Keras 2-compatible HDF5 weights on request.

Every checkpoint records the configuration (preset and every switch) and the
label map it was trained with, so prediction never has to guess them.

One format per checkpoint by default: the `.keras` file, Keras 3's native format (architecture and
weights; it loads on every Keras backend and is what ``load`` and ``mer predict`` read). The Keras 2-layout
`.h5` weights are for people comparing against published Keras 2 checkpoints: ``save_checkpoint(...,
keras2_h5=True)`` writes them beside, and ``mer checkpoint export RUN`` (:func:`export_keras2`) writes them
for every `.keras` file of a finished run. Writing both cost a full strict MEGC run 3.7 GB of duplicates
(docs/performance.md, "Checkpoints").
"""
import json
import os
from pathlib import Path

from data_prep.errors import InputError


# What save_checkpoint writes per model by default: suffix -> (bytes per parameter, fixed bytes); the disk
# estimate (micro_expr/core/disk.py) reads it. Measured on the MEAN and CNN-LSTM models (float32 weights,
# 4.0-4.2 bytes a parameter; the rest is the architecture and per-layer names): .keras 86-88 KB over
# 4 bytes/parameter, .json 1-2 KB. The Keras 2 .h5 written on request adds (4, 70_000).
CHECKPOINT_FILES = {".keras": (4, 100_000), ".json": (0, 4_000)}


def save_checkpoint(model, stem, metadata, keras2_h5=False, same_architecture=False):
    """Write ``<stem>.keras`` and ``<stem>.json``; with ``keras2_h5`` also ``<stem>.h5`` (:func:`write_keras2_h5`).

    ``same_architecture``: ``model`` is saved again and again with new weights (a system's stage model, refit
    per fold): its architecture is serialised on the first save only (:mod:`micro_expr.core.keras_writer`;
    the same standard `.keras` file, a third of the CPU).
    """
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    if same_architecture:
        from micro_expr.core.keras_writer import writer_for

        writer = writer_for(model)
        _atomic(stem.with_suffix(".keras"), lambda path: writer.write(model, path))
    else:
        _atomic(stem.with_suffix(".keras"), lambda path: model.save(path))
    if keras2_h5:
        write_keras2_h5(model, stem.with_suffix(".h5"), metadata)
    _atomic(stem.with_suffix(".json"), lambda path: Path(path).write_text(json.dumps(metadata, indent=2)))


def write_keras2_h5(model, path, metadata):
    """``model``'s weights as ``path`` (.h5) in the layout Keras 2 wrote with ``save_weights(..., 'x.h5')``
    (``layer_names`` / ``weight_names`` attributes), so TF 2.x Keras 2 code can ``load_weights`` it into the
    same architecture; the metadata rides along as the attribute ``micro_expr_metadata``."""
    import h5py

    def write_h5(temporary):
        with h5py.File(temporary, "w") as handle:
            write_keras2_weights(handle, model)
            handle.attrs["micro_expr_metadata"] = json.dumps(metadata)

    _atomic(Path(path), write_h5)


def export_keras2(path):
    """Write the Keras 2-layout ``.h5`` beside every ``.keras`` checkpoint under ``path`` (a run folder, a fold
    folder or one file); returns the paths written. An existing ``.h5`` is rewritten (same weights).
    The systems' custom layers must be registered first (:func:`micro_expr.registry.register_custom_objects`)."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such run folder or checkpoint")
    files = [path] if path.is_file() else sorted(path.rglob("*.keras"))
    if not files or any(f.suffix != ".keras" for f in files):
        raise InputError(f"{path}: no .keras checkpoint here" if not files else f"{path}: not a .keras checkpoint")
    written = []
    for keras_file in files:
        model, metadata = load_checkpoint(keras_file)
        write_keras2_h5(model, keras_file.with_suffix(".h5"), metadata)
        written.append(keras_file.with_suffix(".h5"))
    return written


def folder_checkpoint_bytes(folder):
    """Bytes of the checkpoint files (.keras, .h5, .json) under ``folder``, e.g. one finished fold's."""
    return sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file() and p.suffix in (".keras", ".h5", ".json")
               and p.name not in ("done.json", "predictions.json", "history.json"))


# --- the Keras 2 weight layout, written and read with h5py and public Keras APIs only -----------------
# Keras 2's `save_weights("x.h5")` wrote: attributes `layer_names`, `backend`, `keras_version` on the root;
# one group per layer (in name order) with attribute `weight_names` and one dataset per name; weights in the
# legacy order (trainable, then non-trainable). Its loader matched layers with weights by position.

_ATTRIBUTE_LIMIT = 64 * 1024  # HDF5 object header limit: longer lists are split into name0, name1, ...


def _write_names(group, name, values):
    values = [v.encode("utf8") for v in values]
    chunks = max(1, -(-sum(len(v) + 8 for v in values) // _ATTRIBUTE_LIMIT))
    if chunks == 1:
        group.attrs[name] = values
        return
    size = -(-len(values) // chunks)
    for index in range(chunks):
        group.attrs[f"{name}{index}"] = values[index * size:(index + 1) * size]


def _read_names(group, name):
    if name in group.attrs:
        values = list(group.attrs[name])
    else:
        values, index = [], 0
        while f"{name}{index}" in group.attrs:
            values += list(group.attrs[f"{name}{index}"])
            index += 1
    return [v.decode("utf8") if hasattr(v, "decode") else str(v) for v in values]


def _legacy_weights(layer):
    return layer.trainable_weights + layer.non_trainable_weights


def write_keras2_weights(handle, model):
    """Write ``model``'s weights into an open h5py file in the Keras 2 ``save_weights`` layout."""
    import keras
    import numpy as np

    _write_names(handle, "layer_names", [layer.name for layer in model.layers])
    handle.attrs["backend"] = keras.backend.backend().encode("utf8")
    handle.attrs["keras_version"] = keras.__version__.encode("utf8")
    for layer in sorted(model.layers, key=lambda layer: layer.name):
        group = handle.create_group(layer.name)
        weights = _legacy_weights(layer)
        _write_names(group, "weight_names", [str(w.path) for w in weights])
        for weight in weights:
            group.create_dataset(str(weight.path), data=np.asarray(weight.numpy()))


def read_keras2_weights(handle, model):
    """Set ``model``'s weights from a Keras 2-layout h5py file: layers with weights matched by position."""
    layers = [layer for layer in model.layers if _legacy_weights(layer)]
    saved = [name for name in _read_names(handle, "layer_names") if _read_names(handle[name], "weight_names")]
    if len(saved) != len(layers):
        raise ValueError(f"the file has {len(saved)} layers with weights, the model {len(layers)}")
    for layer, name in zip(layers, saved):
        group = handle[name]
        values = [group[weight_name][()] for weight_name in _read_names(group, "weight_names")]
        variables = _legacy_weights(layer)
        if [v.shape for v in values] != [tuple(w.shape) for w in variables]:
            raise ValueError(f"layer {layer.name} (file: {name}) expects shapes "
                             f"{[tuple(w.shape) for w in variables]}, the file has {[v.shape for v in values]}")
        for variable, value in zip(variables, values):
            variable.assign(value)


def _atomic(path, write):
    temporary = path.with_name(f"{path.stem}.{os.getpid()}.tmp{path.suffix}")  # keep the suffix: Keras checks it
    write(str(temporary))
    os.replace(temporary, path)


def load_checkpoint(path):
    """(model, metadata) from a `.keras` checkpoint written by :func:`save_checkpoint`.

    The system that wrote it registers its custom layers and losses on import (``keras.saving.
    register_keras_serializable``): import the system's package before loading its checkpoints.
    """
    import keras

    path = Path(path)
    if path.suffix != ".keras":
        path = path.with_suffix(".keras")
    if not path.exists():
        raise InputError(f"{path}: checkpoint does not exist")
    try:
        model = keras.saving.load_model(path, compile=False)
    except Exception as error:
        raise InputError(f"{path}: not a loadable Keras checkpoint ({error})") from error
    meta_path = path.with_suffix(".json")
    metadata = {}
    if meta_path.exists():
        from micro_expr.core.run_folder import read_json

        metadata = read_json(meta_path, "checkpoint metadata")
        if not isinstance(metadata, dict):
            raise InputError(f"{meta_path}: checkpoint metadata is not a JSON object")
    return model, metadata


def load_h5_weights(model, path):
    """Load Keras 2-layout HDF5 weights (as written by :func:`save_checkpoint`) into ``model``.

    A file that does not fit raises InputError and leaves the model as it was
    (Keras sets layer by layer, so a late mismatch would otherwise half-load it).
    """
    import h5py

    before = [variable.numpy() for variable in model.weights]
    try:
        with h5py.File(path, "r") as handle:
            read_keras2_weights(handle, model)
    except (OSError, ValueError, KeyError) as error:
        for variable, value in zip(model.weights, before):
            variable.assign(value)
        raise InputError(f"{path}: weights do not fit model {model.name} ({error})") from error
    return model
