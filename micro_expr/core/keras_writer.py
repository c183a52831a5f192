"""Standard `.keras` files for a model saved again and again with new weights: the architecture once, the weights each time.

A `.keras` file is a zip of ``metadata.json`` (Keras version, date), ``config.json`` (the architecture) and
``model.weights.h5`` (one HDF5 group ``<path>/vars`` per saveable object, its variables as datasets
``0``, ``1``, ...). ``model.save`` rebuilds all three at every call. For a fold's seven STFF models (strict
preset, quick demo) that cost 3.1-3.8 CPU-s per fold on an idle 2-core AMD EPYC (6 CPU-s loaded), 10-17 % of
the fold's CPU, of which, by cProfile of ``STFF.save``:

- about 40 %: Keras' walk over every attribute of every layer to find what holds variables
  (``saving_lib._walk_saveable``); Keras 3.15 means to cache the attributes it skips per object type but
  reads the cache under another key than it writes it (``saving_attr_skiplist_`` / ``saving_attr_skipset_``),
  so it builds a throw-away ``Layer()`` for every layer it visits;
- about 13 %: serialising the architecture (``config.json``), which is the same at every fold.

:class:`KerasWriter` runs Keras' own walk once per model (``saving_lib._save_state`` into a store that
records which variable goes to which HDF5 group and dataset name) and serialises the architecture once;
every save then writes only the current values, with h5py, in the layout and order Keras writes them, and a
fresh ``metadata.json``. The file is a standard `.keras` file: ``keras.saving.load_model`` reads it on every
backend; tests/test_checkpoints.py checks that it holds the same groups, attributes and weights as the file
``model.save`` writes, and loads to the same predictions. docs/performance.md ("Checkpoints") has the
figures (``python -m benchmarks.checkpoint_cost``).

Only for models whose architecture does not change between saves (the systems' stage models, built once
per run and refit per fold): the writer checks the variables (paths, shapes, dtypes) and the layers'
``trainable`` flags at every save and starts again from Keras' walk when they differ. A model Keras would
save differently (assets, bfloat16 weights, a value that is not one of the model's variables, e.g. a
compiled optimizer's) is saved with ``model.save``; so is every model when the private Keras functions used
here (``keras.src.saving.saving_lib``, Keras 3.15) have moved (tests/test_keras_writer.py then fails).
"""
import datetime
import io
import json
import logging
import zipfile
import weakref

CONFIG, METADATA, WEIGHTS = "config.json", "metadata.json", "model.weights.h5"   # Keras' names in the zip


def _signature(model):
    """What must not change for a recorded plan to hold: variables and the layers' trainable flags."""
    return ([(v.path, tuple(v.shape), str(v.dtype)) for v in model.variables],
            [model.trainable] + [layer.trainable for layer in model.layers])


def _record(model):
    """Keras' own walk over ``model``: [(group path, group attributes, [(dataset name, variable)])] in the order
    Keras writes them, or None when the model holds something this writer does not write the same way."""
    import keras
    from keras.src.saving import saving_lib

    class Recorder(saving_lib.H5IOStore):   # _save_state accepts H5IOStore instances only
        def __init__(self):
            self.mode, self.entries = "w", []

        def __bool__(self):
            return True

        def make(self, path, metadata=None):
            self.entries.append((path, dict(metadata or {}), []))
            return self

        def __setitem__(self, key, value):
            self.entries[-1][2].append((key, value))

    recorder = Recorder()
    saving_lib._save_state(model, weights_store=recorder, assets_store=None, inner_path="", visited_saveables=set())
    variables = {id(v) for v in model.variables}
    for _, _, items in recorder.entries:
        for _, value in items:
            if (not isinstance(value, keras.Variable) or id(value) not in variables
                    or keras.backend.standardize_dtype(value.dtype) == "bfloat16"):
                return None
    overrides_assets = any(type(layer).save_assets is not keras.layers.Layer.save_assets
                           for layer in model._flatten_layers(include_self=False) if hasattr(layer, "save_assets"))
    return None if overrides_assets else recorder.entries


class KerasWriter:
    """Writes ``model`` as a `.keras` file, the architecture serialised once (module docstring)."""

    def __init__(self, model):
        from keras.src.saving import saving_lib

        self._model = weakref.ref(model)
        self.signature = _signature(model)
        try:
            self.entries = _record(model)
            self.config_json = saving_lib._serialize_model_as_json(model)[0] if self.entries is not None else None
        except (AttributeError, TypeError, ValueError) as error:   # Keras' private saving API moved: save as Keras does
            logging.getLogger(__name__).warning("%s: saved by model.save (%s)", model.name, error)
            self.entries = self.config_json = None

    def fits(self, model):
        return self._model() is model and _signature(model) == self.signature

    def weights_h5(self):
        """The bytes of ``model.weights.h5`` for the current values."""
        import h5py
        import keras

        buffer = io.BytesIO()
        with h5py.File(buffer, mode="w") as handle:
            for path, attributes, items in self.entries:
                if not attributes and not items:   # Keras creates no empty, unnamed group
                    continue
                group = (handle.create_group(path) if path else handle).create_group("vars")
                for key, value in attributes.items():
                    group.attrs[key] = value
                for key, variable in items:
                    group[key] = keras.ops.convert_to_numpy(variable.value)
        return buffer.getvalue()

    def write(self, model, path):
        """Write ``model`` (the one this writer was made for) to ``path``; plain ``model.save`` when Keras
        would write something this writer does not."""
        if self.entries is None:
            model.save(path)
            return
        import keras

        metadata = json.dumps({"keras_version": keras.__version__,
                               "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")})
        weights = self.weights_h5()
        with zipfile.ZipFile(path, "w") as archive:   # stored, not deflated: what model.save writes
            archive.writestr(METADATA, metadata)
            archive.writestr(CONFIG, self.config_json)
            archive.writestr(WEIGHTS, weights)


_WRITERS = weakref.WeakKeyDictionary()   # model -> its KerasWriter


def writer_for(model):
    """The model's writer, made again when its variables or trainable flags changed since the last save."""
    writer = _WRITERS.get(model)
    if writer is None or not writer.fits(model):
        writer = _WRITERS[model] = KerasWriter(model)
    return writer
