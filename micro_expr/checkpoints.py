"""Save and load trained models: a `.keras` file, Keras 2-compatible HDF5 weights, and metadata.

Every checkpoint records the configuration (preset and every switch) and the
label map it was trained with, so prediction never has to guess them.
"""
import json
import os
from pathlib import Path

from data_prep.errors import InputError


def save_checkpoint(model, stem, metadata):
    """Write ``<stem>.keras``, ``<stem>.h5`` (Keras 2 layout weights) and ``<stem>.json``.

    The HDF5 file uses the layout Keras 2 wrote with ``save_weights(..., 'x.h5')``
    (``layer_names`` / ``weight_names`` attributes), so TF 2.x Keras 2 code can
    ``load_weights`` it into the same architecture.
    """
    import h5py
    from keras.src.legacy.saving import legacy_h5_format

    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    _atomic(stem.with_suffix(".keras"), lambda path: model.save(path))

    def write_h5(path):
        with h5py.File(path, "w") as handle:
            legacy_h5_format.save_weights_to_hdf5_group(handle, model)
            handle.attrs["micro_expr_metadata"] = json.dumps(metadata)

    _atomic(stem.with_suffix(".h5"), write_h5)
    _atomic(stem.with_suffix(".json"), lambda path: Path(path).write_text(json.dumps(metadata, indent=2)))


def _atomic(path, write):
    temporary = path.with_name(path.stem + ".tmp" + path.suffix)  # keep the suffix: Keras checks it
    write(str(temporary))
    os.replace(temporary, path)


def load_checkpoint(path):
    """(model, metadata) from a `.keras` checkpoint written by :func:`save_checkpoint`."""
    import keras

    import micro_expr.losses  # noqa: F401  registers the custom losses
    import micro_expr.models  # noqa: F401  registers the custom layers

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
    metadata = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    return model, metadata


def load_h5_weights(model, path):
    """Load Keras 2-layout HDF5 weights (as written by :func:`save_checkpoint`) into ``model``.

    A file that does not fit raises InputError and leaves the model as it was
    (Keras sets layer by layer, so a late mismatch would otherwise half-load it).
    """
    import h5py
    from keras.src.legacy.saving import legacy_h5_format

    before = [variable.numpy() for variable in model.weights]
    try:
        with h5py.File(path, "r") as handle:
            legacy_h5_format.load_weights_from_hdf5_group(handle, model)
    except (OSError, ValueError, KeyError) as error:
        for variable, value in zip(model.weights, before):
            variable.assign(value)
        raise InputError(f"{path}: weights do not fit model {model.name} ({error})") from error
    return model
