"""The two training stages of STFF (STFF sections 3.2-3.3; spec sections 2 and 4).

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

from data_prep.pipeline import FrameTable, PatchCache, array_batches, frame_batches, frame_dataset
from micro_expr.core.backends import tensorflow_fast_path
from micro_expr.stff.config import STANDARDIZE_MODES

log = logging.getLogger(__name__)


# Frames per batch of a feature pass (no gradients, so any size gives the same features up to float rounding,
# about 1e-8). 64, not 256: a third of the memory (`python -m benchmarks.feature_pass`, strict, 4,000 frames:
# the process grows by 0.58 GB at 256, 0.20 GB at 64) and no more CPU per frame (5.48 against 5.94 ms there;
# docs/performance.md "A full-size fold's memory").
FEATURE_BATCH = 64


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


class FusedAdam:
    """Adam (keras.optimizers.Adam's update and defaults), one fused TensorFlow kernel per variable.

    Keras' Adam updates every variable with about ten small ops; the spatial
    models have hundreds of variables, so the step's graph was mostly optimizer.
    ``ResourceApplyAdam`` does the same update in one op:

        m = b1 m + (1 - b1) g,   v = b2 v + (1 - b2) g^2
        w -= lr sqrt(1 - b2^t) / (1 - b1^t) m / (sqrt(v) + eps)
    """

    def __init__(self, variables, learning_rate, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        import tensorflow as tf

        self.variables = list(variables)
        self.learning_rate, self.beta_1, self.beta_2, self.epsilon = learning_rate, beta_1, beta_2, epsilon
        self.iterations = tf.Variable(0, dtype=tf.int64, trainable=False, name="adam_iterations")
        self.moments = [(tf.Variable(tf.zeros(v.shape, v.dtype), trainable=False, name="adam_m"),
                         tf.Variable(tf.zeros(v.shape, v.dtype), trainable=False, name="adam_v"))
                        for v in self.variables]

    def apply(self, gradients):
        """One update of every variable from its gradient (None: not updated); use inside a tf.function."""
        import tensorflow as tf

        step = tf.cast(self.iterations + 1, tf.float32)
        constants = dict(beta1_power=tf.pow(self.beta_1, step), beta2_power=tf.pow(self.beta_2, step),
                         lr=tf.constant(self.learning_rate, tf.float32), beta1=tf.constant(self.beta_1, tf.float32),
                         beta2=tf.constant(self.beta_2, tf.float32), epsilon=tf.constant(self.epsilon, tf.float32))
        for variable, gradient, (m, v) in zip(self.variables, gradients, self.moments):
            if gradient is not None:
                tf.raw_ops.ResourceApplyAdam(var=variable.handle, m=m.handle, v=v.handle, grad=gradient, **constants)
        self.iterations.assign_add(1)

    def reset(self):
        """A fresh state: step count and moments zero."""
        self.iterations.assign(0)
        for m, v in self.moments:
            m.assign(np.zeros(m.shape, dtype=np.float32))
            v.assign(np.zeros(v.shape, dtype=np.float32))


class KerasAdam:
    """The Keras path's optimizer (every backend but TensorFlow): ``keras.optimizers.Adam`` with
    :class:`FusedAdam`'s hyper-parameters, compiled into the model; :meth:`reset` gives a fresh state."""

    def __init__(self, model, losses, learning_rate, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        import keras

        self.optimizer = keras.optimizers.Adam(learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon)
        # Per output: the loss (sample-weighted like the TF step's) and plain accuracy (correct / batch).
        model.compile(optimizer=self.optimizer, loss=losses,
                      metrics={name: ["categorical_accuracy"] for name in losses}, jit_compile="auto")
        self.optimizer.build(model.trainable_variables)
        self._initial = [variable.numpy() if hasattr(variable, "numpy") else
                         keras.ops.convert_to_numpy(variable.value) for variable in self.optimizer.variables]

    def reset(self):
        """A fresh state: step count and moments as after ``build``."""
        for variable, value in zip(self.optimizer.variables, self._initial):
            variable.assign(value)


def _progress(iterable, progress, **kwargs):
    """``iterable`` with a tqdm bar (rate and ETA) on stderr, or as it is when ``progress`` is off."""
    from tqdm import tqdm

    return tqdm(iterable, disable=not progress, leave=False, dynamic_ncols=True, **kwargs)


class _Stage:
    """A model trained by a step function traced once per run (keras-io "training loop from scratch").

    The step is a ``tf.function`` with a fixed input signature, traced on the
    first fold only. Every fold restarts from the same initial weights (dropout
    seed states included, so folds do not depend on each other) and a fresh
    optimizer state, without reseeding: ``tf.random.set_seed`` makes
    TensorFlow re-instantiate every traced function, which cost about 16-20 s
    per fold.

    Each stage trains its models in their fast layout (grouped convolutions,
    batched LSTMs; same outputs and gradients) and copies the trained weights
    into the public models in the paper's layout, which checkpoints save and the
    authors' Keras 2 code loads. Outside ``fit``, the public models hold the truth.
    """

    jit_compile = False   # XLA for the whole step; pays off for loops of small ops (TemporalStage)

    def _setup(self, model, losses, learning_rate, progress):
        self._model = model
        self._losses = losses                      # output name -> Keras loss
        # The one place the path is chosen: TensorFlow's traced step and fused Adam, or Keras' own
        # train_on_batch with keras.optimizers.Adam on every other backend (docs/backends.md).
        self._fast_path = tensorflow_fast_path()
        if self._fast_path:
            self._optimizer = FusedAdam(model.trainable_variables, learning_rate)
        else:
            self._optimizer = KerasAdam(model, losses, learning_rate)
        # model.variables, unlike get_weights(), holds the dropout seed states:
        # restoring them too makes a fold's result independent of the folds before it.
        import keras

        self._initial = [keras.ops.convert_to_numpy(variable.value) for variable in model.variables]
        self._step = None
        self._held_out_steps = {}   # element spec -> traced held-out loss, traced once per run like the step
        self.progress = progress

    def restart(self):
        """Back to the initial weights, dropout states and a fresh optimizer state.

        No keras.utils.set_random_seed here: a new global seed makes TensorFlow
        re-instantiate every traced function (about 16 s for the spatial step).
        """
        for variable, value in zip(self._model.variables, self._initial):
            variable.assign(value)
        self._optimizer.reset()

    def _make_step(self, element_spec):
        import tensorflow as tf

        model, losses, optimizer = self._model, self._losses, self._optimizer

        def step(x, y, w):
            with tf.GradientTape() as tape:
                predicted = model(x, training=True)
                per_output = {name: loss(y[name], predicted[name], sample_weight=w[name])
                              for name, loss in losses.items()}
                total = tf.add_n(list(per_output.values()) + list(model.losses))
            optimizer.apply(tape.gradient(total, model.trainable_variables))
            correct = {name: tf.reduce_sum(tf.cast(tf.equal(tf.argmax(predicted[name], -1),
                                                            tf.argmax(y[name], -1)), tf.float32))
                       for name in losses}
            return total, per_output, correct

        return tf.function(step, input_signature=list(element_spec), jit_compile=self.jit_compile)

    def step_for(self, data):
        """The training step for batches of ``data`` (x, y, w): TensorFlow's traced step (traced once per run)
        or the Keras path's ``train_on_batch``; returns (total loss, per-output loss, per-output correct)."""
        if self._step is None:
            self._step = self._make_step(data.element_spec) if self._fast_path else self._keras_step
        return self._step

    def _keras_step(self, x, y, w):
        """The Keras path's step: (total loss, per-output loss, per-output correct count) of one batch."""
        logs = self._model.train_on_batch(x, y, sample_weight=w, return_dict=True)
        size = len(next(iter(y.values())))
        names = list(self._losses)
        if len(names) == 1:
            per_output = {names[0]: logs["loss"] - self._regularization()}
            correct = {names[0]: logs["categorical_accuracy"] * size}
        else:
            per_output = {name: logs[f"{name}_loss"] for name in names}
            correct = {name: logs[f"{name}_categorical_accuracy"] * size for name in names}
        return logs["loss"], per_output, correct

    def _regularization(self):
        import keras

        return sum(float(keras.ops.convert_to_numpy(loss)) for loss in self._model.losses)

    def _train(self, dataset, epochs, stage, log_every=1, after_epoch=None):
        """Run ``epochs`` over ``dataset`` of (x, y, w) dicts; returns a Keras-style history dict.

        ``after_epoch``: optional function called after every epoch, returning {history key: value} to
        record (:meth:`held_out_loss`); it only reads the weights, so training does not depend on it.
        """
        step = self.step_for(dataset)
        names = list(self._losses)
        history = {"loss": []}
        for name in names:
            history[f"{name}_loss"], history[f"{name}_accuracy"] = [], []
        bar = _progress(range(epochs), self.progress, desc=f"{stage} epochs", unit="epoch")
        for epoch in bar:
            totals, seen = np.zeros(1 + 2 * len(names)), 0
            for x, y, w in dataset:
                total, per_output, correct = step(x, y, w)
                size = int(next(iter(y.values())).shape[0])
                totals += [float(total) * size] + [float(per_output[n]) * size for n in names] + \
                          [float(correct[n]) for n in names]
                seen += size
            history["loss"].append(totals[0] / seen)
            for i, name in enumerate(names):
                history[f"{name}_loss"].append(totals[1 + i] / seen)
                history[f"{name}_accuracy"].append(totals[1 + len(names) + i] / seen)
            for key, value in (after_epoch() if after_epoch else {}).items():
                history.setdefault(key, []).append(value)
            bar.set_postfix(loss=f"{history['loss'][-1]:.4f}", refresh=False)
            if (epoch + 1) % log_every == 0 or epoch + 1 == epochs:
                shown = ", ".join(f"{k}={v[-1]:.4f}" for k, v in history.items())
                log.info("%s epoch %d/%d: %s", stage, epoch + 1, epochs, shown)
        return history

    def held_out_loss(self, dataset):
        """The ``after_epoch`` of :meth:`_train` recording the loss on held-out (x, y, w) batches: the training
        loss (same weights per class, regularisation included) in inference mode (no dropout), so the
        curves compare; it draws no random numbers and touches no optimizer state."""
        import keras

        model, losses = self._model, self._losses

        def batch_loss(x, y, w):
            predicted = model(x, training=False)
            return keras.ops.sum(keras.ops.stack(
                [loss(y[name], predicted[name], sample_weight=w[name]) for name, loss in losses.items()]
                + list(model.losses)))

        if self._fast_path:
            import tensorflow as tf

            # One traced function per run, not per fold: tracing it cost 4-5 s of every quick-demo fold.
            key = repr(dataset.element_spec)
            if key not in self._held_out_steps:
                self._held_out_steps[key] = tf.function(batch_loss, input_signature=list(dataset.element_spec))
            batch_loss = self._held_out_steps[key]

        def evaluate():
            total, seen = 0.0, 0
            for x, y, w in dataset:
                size = int(next(iter(y.values())).shape[0])
                value = float(keras.ops.convert_to_numpy(batch_loss(x, y, w)))
                total, seen = total + value * size, seen + size
            return {"held_out_loss": total / seen}

        return evaluate


class SpatialStage(_Stage):
    """The spatial models of every input (STFF Eq. 1-5, Aouayeb et al.), trained side by side.

    ``models``: region -> per-patch Keras model (the saved layout); training and
    feature extraction run the grouped twins (:func:`copy_spatial_weights`).
    """

    def __init__(self, config, progress=True, feature_batch_size=None):
        from micro_expr.stff.losses import stage_loss
        from micro_expr.stff.models.fast.convert import copy_spatial_weights
        from micro_expr.stff.models.spatial import FEATURES, build_spatial_models

        self.config = config
        self._fast = build_spatial_models(config, layout="grouped")
        self.models = build_spatial_models(config)
        for name, model in self.models.items():
            copy_spatial_weights(self._fast[name], model)
        self.names = list(self.models)
        self.sizes = [len(classes) for classes in config.region_class_names]
        self.feature_batch_size = feature_batch_size or FEATURE_BATCH
        self._setup(joint_model(self._fast), {name: stage_loss(config, "spatial") for name in self.names},
                    config.spatial.learning_rate, progress)
        self.extractor = joint_model(self._fast, lambda model: model.get_layer(FEATURES).output)
        self._extract = None
        # The clips' frames cut into patches once per run, not in every epoch, fold and feature pass (fast path)
        self.patch_cache = PatchCache(config.spatial.patches, config.patch_sizes, config.spatial.resize_antialias)

    def _cache_for(self, arrays):
        """The patch cache for a :class:`~data_prep.pipeline.FrameTable` of clips (the run's own, which every
        fold reads again); None for plain arrays, which are this call's frames only."""
        return self.patch_cache if isinstance(arrays, FrameTable) else None

    def fit(self, arrays, frame_labels, predicted_labels=None, seed=0, held_out=None):
        """Train on frames: ``arrays`` a :class:`~data_prep.pipeline.FrameTable` or per input uint8
        (N, H, W, 3), ``frame_labels`` per input (N,).
        ``held_out``: (arrays, frame labels) whose loss is recorded after every epoch (never trained on)."""
        from micro_expr.stff.losses import class_weights
        from micro_expr.stff.models.fast.convert import copy_spatial_weights

        cfg = self.config
        self.restart()
        alphas = [class_weights(cfg, "spatial", k, y, None if predicted_labels is None else predicted_labels[i])
                  for i, (k, y) in enumerate(zip(self.sizes, frame_labels))]

        def frames(arrays, labels, seed=None, shuffle=True):
            targets = [one_hot(y, k) for y, k in zip(labels, self.sizes)]
            weights = [sample_weights(alpha, y) for alpha, y in zip(alphas, labels)]
            if self._fast_path:
                extra = dict(shuffle_buffer=cfg.spatial.shuffle_buffer, seed=seed) if shuffle else {}
                return frame_dataset(arrays, self.names, cfg.spatial.patches, cfg.patch_sizes,
                                     cfg.spatial.batch_size, targets=targets, weights=weights,
                                     antialias=cfg.spatial.resize_antialias, patch_cache=self._cache_for(arrays),
                                     **extra)
            # NumPy batches, a full shuffle per epoch (tf.data's is a 400-frame buffer)
            return frame_batches(arrays, self.names, cfg.spatial.patches, cfg.patch_sizes, cfg.spatial.batch_size,
                                 targets=targets, weights=weights, seed=seed if shuffle else None,
                                 antialias=cfg.spatial.resize_antialias)

        data = frames(arrays, frame_labels, seed=seed)
        after_epoch = self.held_out_loss(frames(*held_out, shuffle=False)) if held_out is not None else None
        history = self._train(data, cfg.spatial.epochs, "spatial", after_epoch=after_epoch)
        for name, model in self.models.items():
            copy_spatial_weights(self._fast[name], model)
        return history

    def features(self, arrays, batch_size=None):
        """SF (STFF Eq. 5) of every frame (``arrays`` as in :meth:`fit`): per input float32 (N, 256), from the
        weights ``models`` hold now."""
        from micro_expr.stff.models.fast.convert import copy_spatial_weights

        for name, model in self.models.items():
            copy_spatial_weights(model, self._fast[name])
        batch_size = batch_size or self.feature_batch_size
        if not self._fast_path:
            return frame_features(self.extractor, arrays, self.config, batch_size, progress=self.progress)
        import tensorflow as tf

        cfg = self.config
        data = frame_dataset(arrays, self.names, cfg.spatial.patches, cfg.patch_sizes, batch_size,
                             antialias=cfg.spatial.resize_antialias, patch_cache=self._cache_for(arrays))
        if self._extract is None:  # traced once; a None batch dimension takes the last, smaller batch too
            self._extract = tf.function(lambda x: self.extractor(x, training=False),
                                        input_signature=[data.element_spec])
        n_frames = len(FrameTable.of(arrays))
        parts = {name: [] for name in self.names}
        bar = _progress(data, self.progress, desc="spatial features", unit="batch",
                        total=-(-n_frames // batch_size))
        for x in bar:
            for name, value in self._extract(x).items():
                parts[name].append(value.numpy())
        return [np.concatenate(parts[name]) if parts[name] else np.zeros((0, cfg.spatial.head_units[-1]), np.float32)
                for name in self.names]


def frame_features(extractor, arrays, config, batch_size=None, progress=False):
    """SF (STFF Eq. 5) of every frame with a joint feature extractor (e.g. of loaded checkpoints):
    per input float32 (N, 256). tf.data on TensorFlow, NumPy batches on the other backends."""
    import keras

    names, cfg, batch_size = list(config.region_names), config, batch_size or FEATURE_BATCH
    if tensorflow_fast_path():
        data = frame_dataset(arrays, names, cfg.spatial.patches, cfg.patch_sizes, batch_size,
                             antialias=cfg.spatial.resize_antialias)
        features = extractor.predict(data, verbose=0)
        return [np.asarray(features[name], dtype=np.float32) for name in names]
    data = frame_batches(arrays, names, cfg.spatial.patches, cfg.patch_sizes, batch_size,
                         antialias=cfg.spatial.resize_antialias)
    parts = {name: [] for name in names}
    for x in _progress(data, progress, desc="spatial features", unit="batch", total=len(data)):
        for name, value in extractor.predict_on_batch(x).items():
            parts[name].append(keras.ops.convert_to_numpy(value).astype(np.float32))
    return [np.concatenate(parts[name]) if parts[name] else np.zeros((0, cfg.spatial.head_units[-1]), np.float32)
            for name in names]


class TemporalStage(_Stage):
    """The temporal model and classifier (STFF Eq. 6-8, Aouayeb et al.).

    ``model``: the per-region Keras model (the saved layout). Training runs a
    twin (:func:`copy_temporal_weights`): the batched LSTM when masking lets it
    stop at the longest clip (measured 4.8x faster per step, N = 250, clips of 30
    frames), else per-region LSTMs: over all N steps, six Keras LSTM loops
    running side by side on 2 cores measured 1.5x faster than one batched loop.
    The batched twin's step is compiled with XLA (``jit_compile``): its LSTM loop
    of small ops then runs as one native loop (quick demo, 2 cores: 38 -> 22 ms
    per step, about 5 s more to compile once per batch size).
    """

    OUTPUT = "classes"

    def __init__(self, config, progress=True):
        import keras

        from micro_expr.stff.losses import stage_loss
        from micro_expr.stff.models.fast.convert import copy_temporal_weights
        from micro_expr.stff.models.temporal import build_temporal_from_config

        self.config = config
        layout = "batched" if config.temporal.masking else "per_region"
        self.jit_compile = layout == "batched"
        self._fast = build_temporal_from_config(config, layout=layout)
        self.model = copy_temporal_weights(self._fast, build_temporal_from_config(config))
        wrapped = keras.Model(self._fast.inputs, {self.OUTPUT: self._fast.outputs[0]}, name="temporal_training")
        self._setup(wrapped, {self.OUTPUT: stage_loss(config, "temporal")}, config.temporal.learning_rate, progress)

    def fit(self, inputs, labels, seed=0, held_out=None):
        """Train on padded sequences ``inputs`` (per region (N, T, 256)) with labels (N,); ``held_out``:
        (inputs, labels) whose loss is recorded after every epoch (never trained on)."""
        from micro_expr.stff.losses import class_weights
        from micro_expr.stff.models.fast.convert import copy_temporal_weights

        cfg = self.config
        self.restart()
        k = cfg.n_classes
        alpha = class_weights(cfg, "temporal", k, labels)

        def sequences(inputs, labels, seed=None):
            elements = (dict(zip(cfg.region_names, inputs)), {self.OUTPUT: one_hot(labels, k)},
                        {self.OUTPUT: sample_weights(alpha, labels)})
            if self._fast_path:   # read in place: no tensor copy of the padded sequences, no shuffle-buffer copy
                return array_batches(elements, cfg.temporal.batch_size, seed)
            return _ShuffledBatches(elements, cfg.temporal.batch_size, seed)

        data = sequences(inputs, labels, seed=seed)
        after_epoch = self.held_out_loss(sequences(*held_out)) if held_out is not None else None
        history = self._train(data, cfg.temporal.epochs, "temporal", log_every=25, after_epoch=after_epoch)
        copy_temporal_weights(self._fast, self.model)
        return history

    def predict(self, inputs):
        from micro_expr.stff.models.fast.convert import copy_temporal_weights

        copy_temporal_weights(self.model, self._fast)
        return self._fast.predict(dict(zip(self.config.region_names, inputs)), verbose=0)


class _ShuffledBatches:
    """Batches of a tuple of dicts of arrays, in a new random order every pass (the Keras path's tf.data)."""

    def __init__(self, elements, batch_size, seed):
        self.elements, self.batch_size = elements, batch_size
        self.n = len(next(iter(elements[0].values())))
        self.rng = np.random.default_rng(seed)

    def __iter__(self):
        order = self.rng.permutation(self.n)
        for start in range(0, self.n, self.batch_size):
            chosen = order[start:start + self.batch_size]
            yield tuple({name: np.asarray(value)[chosen] for name, value in part.items()} for part in self.elements)


def per_item(features, owner, n_items):
    """Split frame features into one (T, 256) sequence per item: list per input of lists."""
    bounds = np.searchsorted(owner, np.arange(n_items + 1))
    return [[array[bounds[i]:bounds[i + 1]] for i in range(n_items)] for array in features]


class Standardizer:
    """Zero mean, unit variance features per input (STFF section 3.4), fitted on training sequences.

    STFF: "the input sequence of spatial features for the temporal model is
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
                                      truncating=cfg.truncating, value=0).astype(np.float32, copy=False)
            for seqs in sequences]


def sequences_for(features, items_index, config, standardizer=None):
    """Padded model inputs for the items at ``items_index`` (list of per-input sequence lists)."""
    chosen = [[seqs[i] for i in items_index] for seqs in features]
    if standardizer is not None:
        chosen = standardizer.transform(chosen)
    return pad(chosen, config)
