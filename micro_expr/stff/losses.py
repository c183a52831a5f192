"""Losses of STFF: the paper's focal loss (STFF Eq. 9) and the code's two variants (spec 2, 4).

- ``FocalLoss``: -sum_i alpha_i y_i (1 - p_i)^gamma log p_i, p renormalised to
  sum 1 and clipped to [eps, 1 - eps] (as Keras and the code do). alpha is one
  weight per class (None = all ones). With one-hot labels this is exactly
  ``keras.losses.CategoricalFocalCrossentropy(alpha=<list>, gamma=...)``; note
  that Keras' default alpha is the scalar 0.25 (Lin et al.'s binary value),
  not the paper's per-class inverse frequency.
  The code's spatial loss (``original_spatial``) is the same form with alpha = 1
  and Keras ``class_weight`` = sklearn 'balanced' weights; for one-hot labels a
  class weight multiplies the only non-zero term, so it equals alpha =
  those weights, which is how :func:`build_loss` expresses it.
- ``BinaryFocalLoss``: the code's temporal loss, -sum_c (1 - q_c)^gamma log q_c,
  q_c = p_c if y_c = 1 else 1 - p_c; no class weights. This equals
  K x ``keras.losses.binary_focal_crossentropy`` (which averages over classes).

Both are registered Keras ``Loss`` subclasses with ``get_config``, so models
compiled with them reload from ``.keras`` checkpoints.
"""
import keras
import numpy as np
from keras import ops


def _class_counts(labels, n_classes):
    labels = np.asarray(labels, dtype=int).ravel()
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(f"labels must lie in 0..{n_classes - 1}")
    return np.bincount(labels, minlength=n_classes).astype(float)


def inverse_frequency_alpha(labels, n_classes):
    """alpha_i of STFF Eq. 9: inverse class frequency of ``labels``, normalised to sum 1 (so alpha_i in [0, 1]).

    A class without any label gets 0: no training sample carries it, so its
    alpha never enters the loss.
    """
    counts = _class_counts(labels, n_classes)
    inverse = np.divide(1.0, counts, out=np.zeros_like(counts), where=counts > 0)
    return (inverse / inverse.sum()).tolist()


def balanced_class_weights(labels, n_classes):
    """sklearn's 'balanced' weights n / (C n_c) over the C classes present (the code's class_weight); absent: 0."""
    from sklearn.utils.class_weight import compute_class_weight

    counts = _class_counts(labels, n_classes)
    present = np.flatnonzero(counts)
    weights = np.zeros(n_classes)
    weights[present] = compute_class_weight("balanced", classes=present,
                                            y=np.asarray(labels, dtype=int).ravel())
    return weights.tolist()


def _clip(probabilities):
    epsilon = keras.config.epsilon()
    return ops.clip(probabilities, epsilon, 1.0 - epsilon)


@keras.saving.register_keras_serializable(package="micro_expr")
class FocalLoss(keras.losses.Loss):
    """STFF Eq. 9 with per-class ``alpha`` (list of K floats, or None for no weighting)."""

    def __init__(self, alpha=None, gamma=2.0, name="focal_loss", **kwargs):
        super().__init__(name=name, **kwargs)
        self.alpha = None if alpha is None else [float(a) for a in alpha]
        self.gamma = float(gamma)

    def call(self, y_true, y_pred):
        y_pred = ops.convert_to_tensor(y_pred)
        y_true = ops.cast(y_true, y_pred.dtype)
        p = _clip(y_pred / ops.sum(y_pred, axis=-1, keepdims=True))
        terms = y_true * ops.power(1.0 - p, self.gamma) * ops.log(p)
        if self.alpha is not None:
            terms = terms * ops.convert_to_tensor(self.alpha, dtype=y_pred.dtype)
        return -ops.sum(terms, axis=-1)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha, "gamma": self.gamma}


@keras.saving.register_keras_serializable(package="micro_expr")
class BinaryFocalLoss(keras.losses.Loss):
    """The code's temporal loss (spec section 4): one binary focal term per class, summed."""

    def __init__(self, gamma=2.0, name="binary_focal_loss", **kwargs):
        super().__init__(name=name, **kwargs)
        self.gamma = float(gamma)

    def call(self, y_true, y_pred):
        y_pred = ops.convert_to_tensor(y_pred)
        y_true = ops.cast(y_true, y_pred.dtype)
        q = _clip(y_pred * y_true + (1.0 - y_pred) * (1.0 - y_true))
        return -ops.sum(ops.power(1.0 - q, self.gamma) * ops.log(q), axis=-1)

    def get_config(self):
        return {**super().get_config(), "gamma": self.gamma}


def class_weights(config, stage, n_classes, train_labels, predicted_labels=None):
    """Per-class weights of one stage's loss, or None when the loss is unweighted.

    paper focal (STFF Eq. 9): alpha = inverse class frequency of ``train_labels``;
    the code's spatial focal: sklearn 'balanced' weights of ``predicted_labels``
    (the labels of the frames the model is then run on, spec section 2;
    defaults to ``train_labels``), or none with ``spatial.class_weights``
    'none' (what TF 1.14 made of it); the code's temporal loss and plain
    cross-entropy: none.
    """
    if config.loss == "cross_entropy":
        return None  # Aouayeb et al. 2021 Eq. 4, unweighted
    focal = getattr(config, stage).focal
    if focal == "paper":
        return inverse_frequency_alpha(train_labels, n_classes)
    if focal == "constant":
        return [getattr(config, stage).focal_alpha] * n_classes  # Aouayeb et al. 2021 Table 7: alpha = 1/2
    if focal == "original_spatial":
        if config.spatial.class_weights == "none":
            # What the code trained with: CNN_SE.py:355 passes the compute_class_weight ndarray as
            # class_weight; TF 1.14 (like Keras 2.2.4's standardize_weights) only builds sample
            # weights from a dict, so the spatial models were trained unweighted.
            return None
        return balanced_class_weights(train_labels if predicted_labels is None else predicted_labels, n_classes)
    return None


def stage_loss(config, stage, alpha=None):
    """The loss form of one stage ('spatial' or 'temporal'); ``alpha`` weights the classes.

    Training passes alpha as per-sample weights (``alpha[label]``) instead, so the
    compiled model does not change from fold to fold; for one-hot labels the two
    are identical because only the true class's term is non-zero.
    """
    if config.loss == "cross_entropy":
        return keras.losses.CategoricalCrossentropy()
    stage_config = getattr(config, stage)
    if stage_config.focal == "original_temporal":
        return BinaryFocalLoss(stage_config.focal_gamma)
    return FocalLoss(alpha, stage_config.focal_gamma)


def build_loss(config, stage, n_classes, train_labels, predicted_labels=None):
    """The loss of one stage with its class weights built in (see :func:`class_weights`)."""
    return stage_loss(config, stage, class_weights(config, stage, n_classes, train_labels, predicted_labels))
