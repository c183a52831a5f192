"""Focal losses (STFF Eq. 9; spec sections 2 and 4) against Keras and hand-computed values."""
import math

import keras
import numpy as np
import pytest

from micro_expr.stff.config import get_preset, override
from micro_expr.stff.losses import (BinaryFocalLoss, FocalLoss, balanced_class_weights, build_loss,
                               inverse_frequency_alpha)

Y = np.array([[0.0, 1.0, 0.0]])
P = np.array([[0.2, 0.7, 0.1]])


def value(loss, y_true, y_pred, sample_weight=None):
    return float(keras.ops.convert_to_numpy(loss(y_true, y_pred, sample_weight=sample_weight)))


def random_batch(n=16, k=4, seed=0):
    rng = np.random.default_rng(seed)
    y = np.eye(k)[rng.integers(0, k, n)]
    p = rng.dirichlet(np.ones(k), n)
    return y, p


def test_inverse_frequency_alpha_by_hand():
    # counts 3, 1, 0 -> 1/3, 1, (absent) -> normalised by 4/3
    assert inverse_frequency_alpha([0, 0, 0, 1], 3) == pytest.approx([0.25, 0.75, 0.0])
    assert inverse_frequency_alpha([0, 1, 2, 2], 3) == pytest.approx([0.4, 0.4, 0.2])
    with pytest.raises(ValueError):
        inverse_frequency_alpha([0, 3], 3)


def test_balanced_class_weights_are_sklearns():
    # n / (C n_c) = 4 / (2 * 3), 4 / (2 * 1); the absent class gets 0
    assert balanced_class_weights([0, 0, 0, 1], 3) == pytest.approx([2 / 3, 2.0, 0.0])


def test_focal_by_hand():
    # -alpha_1 (1 - 0.7)^2 log 0.7 = 0.5 * 0.09 * 0.356675
    assert value(FocalLoss([0.25, 0.5, 0.25]), Y, P) == pytest.approx(0.5 * 0.09 * -math.log(0.7), rel=1e-6)
    assert value(FocalLoss([0.25, 0.5, 0.25]), Y, P) == pytest.approx(0.0160504, rel=1e-5)
    # The code's spatial form: no alpha, p renormalised first (here p sums to 2).
    assert value(FocalLoss(), Y, 2 * P) == pytest.approx(0.09 * -math.log(0.7), rel=1e-6)


def test_binary_focal_by_hand():
    # q = 0.8, 0.7, 0.9: -(0.2^2 log 0.8 + 0.3^2 log 0.7 + 0.1^2 log 0.9)
    expected = -(0.04 * math.log(0.8) + 0.09 * math.log(0.7) + 0.01 * math.log(0.9))
    assert value(BinaryFocalLoss(), Y, P) == pytest.approx(expected, rel=1e-6)
    assert value(BinaryFocalLoss(), Y, P) == pytest.approx(0.0420801, rel=1e-5)


def test_focal_equals_keras_with_per_class_alpha():
    y, p = random_batch()
    alpha = [0.1, 0.2, 0.3, 0.4]
    keras_loss = keras.losses.CategoricalFocalCrossentropy(alpha=alpha, gamma=2.0)
    assert value(FocalLoss(alpha, 2.0), y, p) == pytest.approx(value(keras_loss, y, p), rel=1e-6)
    # Keras' default alpha is the scalar 0.25 for every class: not the paper's.
    assert value(FocalLoss(None), y, p) == pytest.approx(
        value(keras.losses.CategoricalFocalCrossentropy(alpha=1.0), y, p), rel=1e-6)
    assert value(FocalLoss(None), y, p) == pytest.approx(
        4 * value(keras.losses.CategoricalFocalCrossentropy(), y, p), rel=1e-6)


def test_class_weights_equal_alpha_for_one_hot_labels():
    # The code: alpha = 1 plus fit(class_weight=w); here: alpha = w. Same value.
    y, p = random_batch(seed=1)
    weights = [0.5, 1.5, 2.0, 0.7]
    sample_weight = np.asarray(weights)[y.argmax(axis=1)]
    assert value(FocalLoss(weights), y, p) == pytest.approx(value(FocalLoss(), y, p, sample_weight), rel=1e-6)


def test_binary_focal_is_k_times_keras_binary_focal():
    y, p = random_batch(seed=2)
    per_sample = keras.ops.convert_to_numpy(BinaryFocalLoss(reduction=None)(y, p))
    keras_mean = keras.ops.convert_to_numpy(keras.losses.binary_focal_crossentropy(y, p, gamma=2.0))
    assert np.allclose(per_sample, 4 * keras_mean, rtol=1e-5)


def test_gamma_zero_is_cross_entropy():
    y, p = random_batch(seed=3)
    assert value(FocalLoss(gamma=0.0), y, p) == pytest.approx(
        value(keras.losses.CategoricalCrossentropy(), y, p), rel=1e-6)


def test_losses_serialise():
    for loss in (FocalLoss([0.3, 0.7], gamma=1.5), BinaryFocalLoss(gamma=3.0)):
        again = keras.losses.deserialize(keras.losses.serialize(loss))
        assert type(again) is type(loss) and again.get_config() == loss.get_config()
    assert FocalLoss([0.3, 0.7], gamma=1.5).get_config()["alpha"] == [0.3, 0.7]


def test_build_loss_per_preset():
    train, predicted = [0, 0, 0, 1, 2, 2], [0, 1, 1, 1, 2, 2]
    paper = build_loss(get_preset("paper"), "spatial", 3, train)
    assert isinstance(paper, FocalLoss) and paper.gamma == 2.0
    # counts 3, 1, 2 -> 1/3, 1, 1/2, normalised by 11/6
    assert paper.alpha == pytest.approx([2 / 11, 6 / 11, 3 / 11])
    original = get_preset("original")
    # What TF 1.14 made of the code's ndarray class_weight: nothing (CNN_SE.py:355).
    assert build_loss(original, "spatial", 3, train, predicted).alpha is None
    asked = override(original, **{"spatial.class_weights": "balanced"})   # what the code asked for
    spatial = build_loss(asked, "spatial", 3, train, predicted)
    assert spatial.alpha == pytest.approx([2.0, 2 / 3, 1.0])  # 'balanced' over the predicted labels
    assert build_loss(asked, "spatial", 3, train).alpha == pytest.approx([2 / 3, 2.0, 1.0])
    assert isinstance(build_loss(original, "temporal", 3, train), BinaryFocalLoss)
    assert build_loss(get_preset("paper"), "temporal", 3, train).alpha == pytest.approx([2 / 11, 6 / 11, 3 / 11])
    cross_entropy = build_loss(override(original, loss="cross_entropy"), "temporal", 3, train)
    assert isinstance(cross_entropy, keras.losses.CategoricalCrossentropy)
