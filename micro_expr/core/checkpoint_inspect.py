"""What a Keras checkpoint file holds, as plain data (used by `mer checkpoint inspect`).

Formats understood:
- ``hdf5-weights``: Keras 2 (or Keras 3 legacy) ``save_weights`` HDF5 file:
  a ``layer_names`` attribute and one group per layer with ``weight_names``;
- ``hdf5-model``: the same weights under ``model_weights`` plus the
  architecture (``model_config``) and often a ``training_config``;
- ``keras3-weights``: a Keras 3 ``.weights.h5`` file (``layers/<name>/vars/0, 1 ...``);
- ``keras-zip``: a Keras 3 ``.keras`` archive (config.json, metadata.json, model.weights.h5).
"""
import io
import json
import zipfile
from pathlib import Path

import numpy as np

from data_prep.errors import InputError


def _text(value):
    return value.decode() if isinstance(value, bytes) else str(value)


def _weight(name, dataset):
    return {"name": name, "shape": list(dataset.shape), "dtype": str(dataset.dtype)}


def _layer(name, weights):
    return {"name": name, "weights": weights, "parameters": int(sum(np.prod(w["shape"]) for w in weights))}


def _legacy_layers(root):
    """Layers of a Keras 2 style group (``layer_names`` / ``weight_names`` attributes), in file order."""
    layers = []
    for raw in root.attrs["layer_names"]:
        name = _text(raw)
        group = root.get(name)
        names = [_text(w) for w in group.attrs.get("weight_names", [])] if group is not None else []
        weights = [_weight(w, group[w]) for w in names if w in group]
        layers.append(_layer(name, weights))
    return layers


def _keras3_layers(handle):
    """Layers of a Keras 3 weights file: every ``vars`` group below ``layers/``."""
    import h5py

    layers = []

    def visit(path, item):
        if isinstance(item, h5py.Group) and path.endswith("/vars") and path.startswith("layers/"):
            weights = [_weight(key, item[key]) for key in sorted(item, key=lambda k: int(k) if k.isdigit() else k)]
            layer_path = path[len("layers/"):-len("/vars")]
            layers.append(_layer(_text(item.attrs.get("name", layer_path)), weights) | {"path": layer_path})

    handle.visititems(visit)
    return layers


def _architecture(config_text):
    config = json.loads(config_text)
    return {"class_name": config.get("class_name"), "name": (config.get("config") or {}).get("name")}


def _from_hdf5(handle):
    """Report of an open HDF5 file, or None when it is no Keras file."""
    attrs = handle.attrs
    if "model_weights" in handle and "layer_names" in handle["model_weights"].attrs:
        root = handle["model_weights"]
        report = {"format": "hdf5-model", "layers": _legacy_layers(root)}
    elif "layer_names" in attrs:
        root = handle
        report = {"format": "hdf5-weights", "layers": _legacy_layers(root)}
    elif "layers" in handle:
        root = handle
        report = {"format": "keras3-weights", "layers": _keras3_layers(handle)}
    else:
        return None
    report["keras_version"] = _text(attrs.get("keras_version", root.attrs.get("keras_version", ""))) or None
    report["backend"] = _text(attrs.get("backend", root.attrs.get("backend", ""))) or None
    report["has_architecture"] = "model_config" in attrs
    report["architecture"] = _architecture(attrs["model_config"]) if "model_config" in attrs else None
    report["has_training_config"] = "training_config" in attrs
    return report


def _other_hdf5_kind(handle):
    """What a non-Keras HDF5 file of this project is, to explain a wrong file given."""
    from data_prep.cache import FORMAT

    if handle.attrs.get("format") == FORMAT:
        return "a region cache written by `mer prepare`"
    return None


def _from_zip(path):
    import h5py

    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if "config.json" not in names:
                raise InputError(f"{path}: a zip file without config.json, so not a .keras model")
            config = archive.read("config.json")
            metadata = json.loads(archive.read("metadata.json")) if "metadata.json" in names else {}
            weights = archive.read("model.weights.h5") if "model.weights.h5" in names else None
    except (zipfile.BadZipFile, ValueError, KeyError) as error:
        raise InputError(f"{path}: damaged .keras archive ({error})") from None
    layers = []
    if weights is not None:
        try:
            with h5py.File(io.BytesIO(weights), "r") as handle:
                layers = _keras3_layers(handle)
        except OSError as error:
            raise InputError(f"{path}: damaged .keras archive (model.weights.h5 inside cannot be read: "
                             f"{error})") from None
    try:
        config = json.loads(config)
    except ValueError as error:
        raise InputError(f"{path}: damaged .keras archive (config.json is not JSON: {error})") from None
    return {"format": "keras-zip", "layers": layers, "keras_version": metadata.get("keras_version"),
            "backend": metadata.get("backend"), "has_architecture": True,
            "architecture": _architecture(json.dumps(config)),
            "has_training_config": bool(config.get("compile_config"))}


def inspect_checkpoint(path):
    """A dict describing a Keras checkpoint: format, versions, architecture, layers, weights, parameters.

    Raises ``InputError`` naming the file when it is missing or is not a Keras checkpoint.
    """
    import h5py

    path = Path(path)
    if path.is_dir():
        raise InputError(f"{path}: is a folder; give a checkpoint file in it (e.g. spatial/R5.keras or "
                         f"temporal.keras of a fold)")
    if not path.is_file():
        raise InputError(f"{path}: file does not exist")
    with open(path, "rb") as handle:
        start = handle.read(8)
    if zipfile.is_zipfile(path):
        report = _from_zip(path)
    elif start.startswith(b"PK"):
        raise InputError(f"{path}: damaged .keras archive (a zip file that is cut short or corrupt; "
                         f"copy it again or use another checkpoint)")
    else:
        try:
            with h5py.File(path, "r") as handle:
                report = _from_hdf5(handle)
                kind = _other_hdf5_kind(handle)
        except OSError as error:
            raise InputError(f"{path}: neither an HDF5 file nor a .keras zip archive ({error})") from None
        if report is None:
            raise InputError(f"{path}: {kind or 'an HDF5 file without Keras layers'} (no layer_names attribute, "
                             f"no model_weights or layers/ group), so not a Keras checkpoint")
    with_weights = [layer for layer in report["layers"] if layer["weights"]]
    return {"path": str(path), **report, "parameter_count": sum(layer["parameters"] for layer in report["layers"]),
            "layer_count": len(report["layers"]), "layers_with_weights": len(with_weights)}


FORMAT_TITLES = {
    "hdf5-weights": "Keras HDF5 weights file (save_weights)",
    "hdf5-model": "Keras HDF5 whole model (architecture + weights)",
    "keras3-weights": "Keras 3 weights file (.weights.h5)",
    "keras-zip": "Keras 3 model archive (.keras)",
}


def format_report(report):
    """The report as readable text lines."""
    architecture = report["architecture"]
    lines = [
        report["path"],
        f"  format:        {FORMAT_TITLES[report['format']]}",
        f"  keras version: {report['keras_version'] or 'not recorded'}   "
        f"backend: {report['backend'] or 'not recorded'}",
        f"  architecture:  " + (f"yes ({architecture['class_name']} {architecture['name']!r})" if architecture
                                 else "no (weights only)"),
        f"  training config: {'yes' if report['has_training_config'] else 'no'}",
        f"  parameters:    {report['parameter_count']} in {report['layers_with_weights']} layers with weights "
        f"({report['layer_count']} layers listed)",
    ]
    for layer in report["layers"]:
        weights = "; ".join(f"{w['name']} {tuple(w['shape'])} {w['dtype']}" for w in layer["weights"]) or "-"
        lines.append(f"    {layer['name']:<28} {layer['parameters']:>7}  {weights}")
    return "\n".join(lines)
