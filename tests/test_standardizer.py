"""The temporal stage's feature standardisation (STFF section 3.4), against scikit-learn."""
import numpy as np
import pytest
from sklearn.preprocessing import StandardScaler

from micro_expr.stff.config import STFFConfig, get_preset
from micro_expr.stff.training import Standardizer


def _sequences(seed=0):
    rng = np.random.default_rng(seed)
    # Two inputs, clips of different lengths, each clip with its own offset (a "face").
    return [[rng.normal(loc=rng.normal(0, 5, 8), scale=1.0, size=(n, 8)).astype(np.float32) for n in (5, 9, 7)]
            for _ in range(2)]


def test_training_mode_equals_standard_scaler_on_the_training_frames():
    train, test = _sequences(0), _sequences(1)
    standardizer = Standardizer("training").fit(train)
    for seqs, test_seqs, out in zip(train, test, standardizer.transform(test)):
        scaler = StandardScaler().fit(np.concatenate(seqs))
        for s, o in zip(test_seqs, out):
            np.testing.assert_allclose(o, scaler.transform(s), rtol=1e-4, atol=1e-4)


def test_sequence_mode_removes_each_clips_own_mean_and_scales_by_the_training_spread():
    train, test = _sequences(0), _sequences(1)
    standardizer = Standardizer("sequence").fit(train)
    for seqs, test_seqs, out in zip(train, test, standardizer.transform(test)):
        scaler = StandardScaler().fit(np.concatenate([s - s.mean(0) for s in seqs]))
        for s, o in zip(test_seqs, out):
            np.testing.assert_allclose(o.mean(0), 0.0, atol=1e-5)       # the clip's offset is gone
            np.testing.assert_allclose(o, scaler.transform(s - s.mean(0)), rtol=1e-4, atol=1e-4)
    # A constant shift of a whole clip (another face) does not change what the model sees.
    shifted = [[s + 100.0 for s in seqs] for seqs in test]
    for a, b in zip(standardizer.transform(test), standardizer.transform(shifted)):
        for x, y in zip(a, b):
            np.testing.assert_allclose(x, y, atol=1e-3)


def test_saved_stats_round_trip_keeps_the_mode():
    train = _sequences(0)
    standardizer = Standardizer("sequence").fit(train)
    again = Standardizer.from_stats(standardizer.to_stats(), "sequence")
    for a, b in zip(standardizer.transform(train), again.transform(train)):
        for x, y in zip(a, b):
            np.testing.assert_allclose(x, y, rtol=1e-5, atol=1e-5)


def test_presets_and_old_runs():
    assert get_preset("strict").temporal.standardize == "sequence"
    assert get_preset("paper").temporal.standardize == "sequence"
    assert get_preset("original").temporal.standardize == "none"
    assert Standardizer.for_config(get_preset("original")) is None
    # run.json of runs made before the modes existed held a bool.
    data = get_preset("strict").to_dict()
    data["temporal"]["standardize"] = True
    assert STFFConfig.from_dict(data).temporal.standardize == "training"
    data["temporal"]["standardize"] = False
    assert STFFConfig.from_dict(data).temporal.standardize == "none"
    with pytest.raises(ValueError, match="standardize"):
        get_preset("strict", **{"temporal.standardize": "per_frame"})
    with pytest.raises(ValueError, match="mode"):
        Standardizer("per_frame")
