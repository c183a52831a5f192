"""The two training stages of STFF (seed 000 sections 3.2-3.3; spec sections 2 and 4).

Stage 1 trains one spatial model per region on single frames. The six models
share no weights, so they are trained side by side in one Keras model with six
inputs and six outputs: each frame is read and cut into patches once for all
regions, and since Adam updates every weight from its own gradient only, this
is the same as six separate trainings fed the same batches.
Stage 2 turns every frame into its 256-d spatial feature SF (Eq. 5), pads the
sequences and trains the temporal model and classifier (Eq. 6-8).

Each stage is built and traced once per run (tracing the 54 patch encoders
costs more than training a small fold) and restarts every fold from the same
initial weights with a fresh optimizer state; the per-fold class weights of
the loss (alpha) come in as per-sample weights, so nothing traced changes.
"""
import logging

import numpy as np

from data_prep.pipeline import frame_dataset
from micro_expr.config import STANDARDIZE_MODES

log = logging.getLogger(__name__)


def one_hot(labels, n_classes):
    return np.eye(n_classes, dtype=np.float32)[np.asarray(labels, dtype=int)]


def sample_weights(weights, labels):
    """Per-sample weight alpha[label] (all ones when the loss is unweighted)."""
    labels = np.asarray(labels, dtype=int)
    if weights is None:
        return np.ones(len(labels), dtype=np.float32)
    return np.asarray(weights, dtype=np.float32)[labels]


def joint_model(models, outputs_of=lambda model: model.output):
    """One Keras model running several region models side by side (dict in, dict out)."""
    import keras

    inputs = {name: keras.Input(model.input.shape[1:], name=name) for name, model in models.items()}
    outputs = {name: keras.Model(model.input, outputs_of(model), name=f"{model.name}_part")(inputs[name])
               for name, model in models.items()}
    return keras.Model(inputs, outputs, name="regions")


class _Stage:
    """A model trained by a step function traced once per run (keras-io "training loop from scratch").

    The step is a ``tf.function`` with a fixed input signature, traced on the
    first fold only (about 80 s for the 54 patch encoders at m = 9 on 2 CPU
    cores). Every fold restarts from the same initial weights (dropout seed
    states included, so folds do not depend on each other) and a fresh
    optimizer state, without reseeding: ``tf.random.set_seed`` makes
    TensorFlow re-instantiate every traced function, which cost about 16-20 s
    per fold.
    """

    def _setup(self, model, losses, learning_rate):
        import keras

        self._model = model
        self._losses = losses                      # output name -> Keras loss
        self._optimizer = keras.optimizers.Adam(learning_rate)
        self._optimizer.build(model.trainable_variables)
        # model.variables, unlike get_weights(), holds the dropout seed states:
        # restoring them too makes a fold's result independent of the folds before it.
        self._initial = [variable.numpy() for variable in model.variables]
        self._step = None

    def restart(self):
        """Back to the initial weights, dropout states and a fresh optimizer state.

        No keras.utils.set_random_seed here: a new global seed makes TensorFlow
        re-instantiate every traced function (about 16 s for the spatial step).
        """
        for variable, value in zip(self._model.variables, self._initial):
            variable.assign(value)
        for variable in self._optimizer.variables:
            if variable is not self._optimizer._learning_rate:  # zero the step count and the moments
                variable.assign(np.zeros(variable.shape, dtype=variable.dtype))

    def _make_step(self, element_spec):
        import tensorflow as tf

        model, losses, optimizer = self._model, self._losses, self._optimizer

        def step(x, y, w):
            with tf.GradientTape() as tape:
                predicted = model(x, training=True)
                per_output = {name: loss(y[name], predicted[name], sample_weight=w[name])
                              for name, loss in losses.items()}
                total = tf.add_n(list(per_output.values()) + list(model.losses))
            gradients = tape.gradient(total, model.trainable_variables)
            optimizer.apply_gradients(zip(gradients, model.trainable_variables))
            correct = {name: tf.reduce_sum(tf.cast(tf.equal(tf.argmax(predicted[name], -1),
                                                            tf.argmax(y[name], -1)), tf.float32))
                       for name in losses}
            return total, per_output, correct

        return tf.function(step, input_signature=list(element_spec))

    def _train(self, dataset, epochs, stage, log_every=1):
        """Run ``epochs`` over ``dataset`` of (x, y, w) dicts; returns a Keras-style history dict."""
        if self._step is None:
            self._step = self._make_step(dataset.element_spec)
        names = list(self._losses)
        history = {"loss": []}
        for name in names:
            history[f"{name}_loss"], history[f"{name}_accuracy"] = [], []
        for epoch in range(epochs):
            totals, seen = np.zeros(1 + 2 * len(names)), 0
            for x, y, w in dataset:
                total, per_output, correct = self._step(x, y, w)
                size = int(next(iter(y.values())).shape[0])
                totals += [float(total) * size] + [float(per_output[n]) * size for n in names] + \
                          [float(correct[n]) for n in names]
                seen += size
            history["loss"].append(totals[0] / seen)
            for i, name in enumerate(names):
                history[f"{name}_loss"].append(totals[1 + i] / seen)
                history[f"{name}_accuracy"].append(totals[1 + len(names) + i] / seen)
            if (epoch + 1) % log_every == 0 or epoch + 1 == epochs:
                shown = ", ".join(f"{k}={v[-1]:.4f}" for k, v in history.items())
                log.info("%s epoch %d/%d: %s", stage, epoch + 1, epochs, shown)
        return history


class SpatialStage(_Stage):
    """The spatial models of every input (seed 000 Eq. 1-5), trained side by side."""

    def __init__(self, config):
        from micro_expr.losses import stage_loss
        from micro_expr.models.spatial import FEATURES, build_spatial_models

        self.config = config
        self.models = build_spatial_models(config)
        self.names = list(self.models)
        self.sizes = [len(classes) for classes in config.region_class_names]
        self._setup(joint_model(self.models), {name: stage_loss(config, "spatial") for name in self.names},
                    config.spatial.learning_rate)
        self.extractor = joint_model(self.models, lambda model: model.get_layer(FEATURES).output)

    def fit(self, arrays, frame_labels, predicted_labels=None, seed=0):
        """Train on frames: ``arrays`` per input uint8 (N, H, W, 3), ``frame_labels`` per input (N,)."""
        from micro_expr.losses import class_weights

        cfg = self.config
        self.restart()
        weights = [sample_weights(class_weights(cfg, "spatial", k, y, None if predicted_labels is None
                                                else predicted_labels[i]), y)
                   for i, (k, y) in enumerate(zip(self.sizes, frame_labels))]
        data = frame_dataset(arrays, self.names, cfg.spatial.patches, cfg.patch_sizes, cfg.spatial.batch_size,
                             targets=[one_hot(y, k) for y, k in zip(frame_labels, self.sizes)], weights=weights,
                             shuffle_buffer=cfg.spatial.shuffle_buffer, seed=seed)
        return self._train(data, cfg.spatial.epochs, "spatial")

    def features(self, arrays, batch_size=256):
        """SF (Eq. 5) of every frame: per input float32 (N, 256)."""
        return frame_features(self.extractor, arrays, self.config, batch_size)


def frame_features(extractor, arrays, config, batch_size=256):
    """SF (STFF Eq. 5) of every frame with a joint feature extractor: per input float32 (N, 256)."""
    names, cfg = list(config.region_names), config
    data = frame_dataset(arrays, names, cfg.spatial.patches, cfg.patch_sizes, batch_size)
    features = extractor.predict(data, verbose=0)
    return [np.asarray(features[name], dtype=np.float32) for name in names]


class TemporalStage(_Stage):
    """The temporal model and classifier (seed 000 Eq. 6-8)."""

    OUTPUT = "classes"

    def __init__(self, config):
        import keras

        from micro_expr.losses import stage_loss
        from micro_expr.models.temporal import build_temporal_from_config

        self.config = config
        self.model = build_temporal_from_config(config)
        wrapped = keras.Model(self.model.inputs, {self.OUTPUT: self.model.outputs[0]}, name="temporal_training")
        self._setup(wrapped, {self.OUTPUT: stage_loss(config, "temporal")}, config.temporal.learning_rate)

    def fit(self, inputs, labels, seed=0):
        import tensorflow as tf

        from micro_expr.losses import class_weights

        cfg = self.config
        self.restart()
        k = cfg.n_classes
        weights = sample_weights(class_weights(cfg, "temporal", k, labels), labels)
        data = tf.data.Dataset.from_tensor_slices(
            (dict(zip(cfg.region_names, inputs)), {self.OUTPUT: one_hot(labels, k)}, {self.OUTPUT: weights}))
        data = data.shuffle(len(labels), seed=seed, reshuffle_each_iteration=True).batch(cfg.temporal.batch_size)
        return self._train(data, cfg.temporal.epochs, "temporal", log_every=25)

    def predict(self, inputs):
        return self.model.predict(dict(zip(self.config.region_names, inputs)), verbose=0)


def per_item(features, owner, n_items):
    """Split frame features into one (T, 256) sequence per item: list per input of lists."""
    bounds = np.searchsorted(owner, np.arange(n_items + 1))
    return [[array[bounds[i]:bounds[i + 1]] for i in range(n_items)] for array in features]


class Standardizer:
    """Zero mean, unit variance features per input (seed 000 section 3.4), fitted on training sequences.

    Seed 000: "the input sequence of spatial features for the temporal model is
    normalized [to] mean 0 [and] standard deviation 1". Two readings, both here:

    - ``mode="sequence"``: every sequence minus its own mean, then divided by the
      per-feature standard deviation of the (centred) training frames. The
      features then say how a region changes during the clip rather than whose
      face it is: on the quick demo (amplitude 4-8 px) the temporal model scored
      0.708 LOSO accuracy this way against 0.312 with ``training``.
    - ``mode="training"``: minus the training frames' mean, divided by their std
      (one statistic for the whole training set).

    A per-sequence standard deviation as well scored 0.562: it blows up
    features that hardly move to the size of those that do.
    """

    MODES = tuple(m for m in STANDARDIZE_MODES if m != "none")  # 'none' means no Standardizer at all

    def __init__(self, mode="sequence"):
        if mode not in self.MODES:
            raise ValueError(f"standardizer mode must be one of {self.MODES}, got {mode!r}")
        self.mode = mode

    def _centred(self, seqs):
        if self.mode == "sequence":
            return [s - s.mean(axis=0) if len(s) else s for s in seqs]
        return seqs

    def fit(self, sequences):
        self.stats = []
        for seqs in sequences:
            frames = np.concatenate(self._centred(seqs))
            self.stats.append((frames.mean(axis=0), frames.std(axis=0) + 1e-6))
        return self

    def transform(self, sequences):
        return [[(s - mean) / std for s in self._centred(seqs)] for seqs, (mean, std) in zip(sequences, self.stats)]

    def to_stats(self):
        """[[mean, std], ...] as JSON-able lists, one pair per input (stored in checkpoint metadata)."""
        return [[mean.tolist(), std.tolist()] for mean, std in self.stats]

    @classmethod
    def from_stats(cls, stats, mode="sequence"):
        """A standardiser holding saved :meth:`to_stats` pairs; ``mode`` is ``temporal.standardize``."""
        standardizer = cls(mode)
        standardizer.stats = [(np.asarray(mean, dtype=np.float32), np.asarray(std, dtype=np.float32))
                              for mean, std in stats]
        return standardizer

    @classmethod
    def for_config(cls, config):
        """The standardiser ``config.temporal.standardize`` asks for, or None for 'none'."""
        mode = config.temporal.standardize
        return None if mode == "none" else cls(mode)


def pad(sequences, config):
    """Pad or cut every sequence to N frames with keras.utils.pad_sequences.

    The code's helper used pad_sequences' default dtype int32, which truncates
    the features (``temporal.cast_int32``, spec section 4).
    """
    import keras

    cfg = config.temporal
    dtype = "int32" if cfg.cast_int32 else "float32"
    return [keras.utils.pad_sequences(seqs, maxlen=cfg.sequence_length, dtype=dtype, padding=cfg.padding,
                                      truncating=cfg.truncating, value=0).astype(np.float32)
            for seqs in sequences]


def sequences_for(features, items_index, config, standardizer=None):
    """Padded model inputs for the items at ``items_index`` (list of per-input sequence lists)."""
    chosen = [[seqs[i] for i in items_index] for seqs in features]
    if standardizer is not None:
        chosen = standardizer.transform(chosen)
    return pad(chosen, config)
