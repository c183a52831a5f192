"""The predecessor CNN-LSTM (Aouayeb et al. 2021) and its classic CNN (Table 6, Figure 10).

Hand counts (a conv has kh*kw*c_in*filters + filters parameters, a dense
n_in*n_out + n_out, an LSTM 4 * (units * (n_in + units) + units)):

Inception CNN, one whole region (m = 1), 3 input channels: 11416 (tests/test_models.py), 72 channels.
Classic CNN (our reading of Figure 10), the same six convolutions chained:
    5*5*3*4+4 = 304, 3*3*4*8+8 = 296, 1*1*8*16+16 = 144, 3*3*16*16+16 = 2320,
    5*5*16*16+16 = 6416, 7*7*16*16+16 = 12560: 22040, 16 channels.
Head (Eq. 2): GAP -> 1024 -> 250 -> 20 = SF -> k(r).
Temporal: per region LSTM 64 on 20-d SF, no SE, dense 256, K softmax.
"""
from collections import Counter

import numpy as np
import pytest

from data_prep.labels import NO_REACTION, emotion_region_classes, emotion_region_label, megc_class, region_label
from data_prep.protocols import megc_samples
from micro_expr.cnn_lstm.config import PRESETS as CNN_LSTM_PRESETS
from micro_expr.cnn_lstm.config import get_preset as get_cnn_lstm_preset
from micro_expr.stff.config import get_preset, override
from micro_expr.stff.data import region_targets
from micro_expr.stff.losses import class_weights

INCEPTION = 304 + 296 + 144 + 1168 + 3216 + 6288
CLASSIC = 304 + 296 + 144 + 2320 + 6416 + 12560


def head(channels, k):
    return channels * 1024 + 1024 + 1024 * 250 + 250 + 250 * 20 + 20 + 20 * k + k


def lstm(n_in, units=64):
    return 4 * (units * (n_in + units) + units)


# k(r) per region under Aouayeb et al. 2021 Table 1 labels: eyes 3, nose 2, cheeks 2, mouth 4 ("no reaction" from sadness).
K_EMOTION = {"R0": 3, "R1": 3, "R2": 2, "R3": 2, "R4": 2, "R5": 4}


def test_hand_counts():
    assert INCEPTION == 11416 and CLASSIC == 22040
    assert INCEPTION + head(72, 3) == 347501
    assert CLASSIC + head(16, 3) == 300781


@pytest.mark.parametrize("encoder, conv, channels", [("inception", INCEPTION, 72), ("classic", CLASSIC, 16)])
def test_spatial_parameter_counts(encoder, conv, channels):
    from micro_expr.stff.models import build_spatial_models

    config = get_cnn_lstm_preset("paper", **{"spatial.encoder": encoder})
    models = build_spatial_models(config)
    assert {region: model.count_params() for region, model in models.items()} == \
        {region: conv + head(channels, k) for region, k in K_EMOTION.items()}


def test_temporal_parameter_count():
    from micro_expr.stff.models import build_temporal_from_config

    for protocol, k in (("megc", 3), ("au5", 5)):
        temporal = build_temporal_from_config(get_cnn_lstm_preset("mlsp2019", protocol=protocol))
        assert temporal.count_params() == 6 * lstm(20) + 6 * 64 * 256 + 256 + 256 * k + k
        assert temporal.get_layer("R0").output.shape == (None, 250, 20)


def test_layer_shapes_of_the_whole_region_models():
    from micro_expr.stff.models import build_spatial_models

    inception = build_spatial_models(get_cnn_lstm_preset("paper"))["R5"]  # mouth 60 x 160, k = 4
    assert inception.input.shape == (None, 1, 60, 160, 3)
    shape = lambda model, name: tuple(model.get_layer(name).output.shape)
    assert shape(inception, "p0_H") == (None, 15, 40, 8)
    assert shape(inception, "patches_concat") == (None, 8, 20, 72)
    assert [shape(inception, n) for n in ("fc1", "fc2", "spatial_features", "predictions")] == \
        [(None, 1024), (None, 250), (None, 20), (None, 4)]
    assert not any("se" in layer.name.split("_") for layer in inception.layers)  # no SE block

    classic = build_spatial_models(get_cnn_lstm_preset("paper", **{"spatial.encoder": "classic"}))["R0"]
    # 80 x 100 halved six times ('same' pooling rounds up): 40x50, 20x25, 10x13, 5x7, 3x4, 2x2.
    pools = [shape(classic, f"p0_classic{i}_pool") for i in range(1, 7)]
    assert pools == [(None, 40, 50, 4), (None, 20, 25, 8), (None, 10, 13, 16), (None, 5, 7, 16),
                     (None, 3, 4, 16), (None, 2, 2, 16)]
    assert shape(classic, "gap") == (None, 16)


def test_presets_are_the_papers_switches():
    paper, mlsp = get_cnn_lstm_preset("paper"), get_cnn_lstm_preset("mlsp2019")
    assert paper.spatial.patches == 1 and paper.fusion == "none" and paper.spatial.head_units == (1024, 250, 20)
    assert paper.patch_sizes == ((80, 100), (80, 100), (80, 120), (60, 60), (60, 60), (60, 160))
    assert paper.region_label_mode == "emotion"
    assert (mlsp.spatial.batch_size, mlsp.spatial.epochs, mlsp.temporal.batch_size, mlsp.temporal.epochs) == \
        (64, 100, 244, 60)
    assert get_cnn_lstm_preset("strict").spatial.split == "per_fold"
    assert {get_cnn_lstm_preset(name).preset for name in CNN_LSTM_PRESETS} == \
        {"cnn_lstm_paper", "cnn_lstm_mlsp2019", "cnn_lstm_strict"}
    # Aouayeb et al. 2021 Table 7's focal loss: alpha = 1/2 for every class, in both stages.
    assert class_weights(paper, "spatial", 4, [0, 0, 1]) == [0.5] * 4
    assert class_weights(paper, "temporal", 3, [0, 0, 1]) == [0.5] * 3
    assert class_weights(override(paper, loss="cross_entropy"), "spatial", 4, [0, 1]) is None
    # the STFF presets did not change
    assert get_preset("strict").spatial.encoder == "inception" and get_preset("strict").region_label_mode == "class"


def test_emotion_region_classes():
    assert emotion_region_classes("megc") == (
        ("negative", "surprise", NO_REACTION), ("negative", "surprise", NO_REACTION), ("negative", NO_REACTION),
        ("positive", NO_REACTION), ("positive", NO_REACTION), ("negative", "positive", "surprise", NO_REACTION))
    assert get_cnn_lstm_preset("paper").region_class_names == emotion_region_classes("megc")


def _labels(sample, region):
    """Region label name of a MEGC sample (emotion read from the sheet) per Aouayeb et al. 2021 Table 1 and per class."""
    emotion = sample.source.removeprefix("emotion ")
    by_emotion = emotion_region_classes("megc", [region])[0]
    by_class = ("negative", "surprise", NO_REACTION) if region < 2 else None
    return (by_emotion[emotion_region_label("megc", region, sample.label, emotion)],
            by_class and by_class[region_label("megc", region, sample.label)])


def test_region_labels_per_emotion_on_the_real_coding_sheets(casme2_coding, samm_coding):
    samples = [s for s in megc_samples(casme2_coding, samm_coding)]
    emotions = Counter((s.dataset, s.source.removeprefix("emotion ")) for s in samples)
    assert emotions[("casme2", "repression")] == 27 and emotions[("samm", "contempt")] == 12
    assert emotions[("samm", "sadness")] > 0
    for s in samples:
        emotion = s.source.removeprefix("emotion ")
        eyes, eyes_by_class = _labels(s, 0)
        nose, _ = _labels(s, 2)
        mouth, _ = _labels(s, 5)
        if emotion in ("repression", "contempt"):
            # negative by class, yet Aouayeb et al. 2021 Table 1 ticks only the mouth
            assert (eyes, nose, mouth) == (NO_REACTION, NO_REACTION, "negative")
            assert eyes_by_class == "negative"
        elif emotion == "sadness":
            assert (eyes, nose, mouth) == ("negative", NO_REACTION, NO_REACTION)
        elif emotion == "disgust":
            assert (eyes, nose, mouth) == ("negative", "negative", "negative")
        elif emotion == "happiness":
            assert (eyes, mouth, _labels(s, 3)[0]) == (NO_REACTION, "positive", "positive")
        elif emotion in ("anger", "fear"):  # not in Aouayeb et al. 2021 Table 1: the per-class involvement
            assert (eyes, nose, mouth) == ("negative", "negative", "negative")
    # On the eyes, every CASME II repression sample moves from "negative" to "no reaction".
    moved = Counter(s.dataset for s in samples if _labels(s, 0) == (NO_REACTION, "negative"))
    assert moved["casme2"] == emotions[("casme2", "repression")]
    assert moved["samm"] == emotions[("samm", "contempt")]


def test_region_targets_read_the_clips_emotion():
    labels = [0, 0, 1, 0]
    emotions = ["repression", "sadness", "happiness", "negative"]  # the last: SMIC, not in Aouayeb et al. 2021 Table 1
    by_emotion = region_targets(labels, get_cnn_lstm_preset("paper"), emotions)
    by_class = region_targets(labels, override(get_cnn_lstm_preset("paper"), region_label_mode="class"))
    # indices into: eyes (neg, sur, NR), nose (neg, NR), mouth (neg, pos, sur, NR) / by class (neg, pos, sur)
    assert [t.tolist() for t in (by_emotion[0], by_emotion[2], by_emotion[5])] == \
        [[2, 0, 2, 0], [1, 1, 1, 0], [0, 3, 1, 0]]
    assert [t.tolist() for t in (by_class[0], by_class[5])] == [[0, 0, 2, 0], [0, 0, 1, 0]]
    with pytest.raises(ValueError, match="emotion of every clip"):
        region_targets(labels, get_cnn_lstm_preset("paper"))


def test_the_system_feeds_the_clips_emotions_to_the_spatial_labels():
    from micro_expr.registry import as_system, build_system
    from micro_expr.cnn_lstm.system import CNNLSTM, EmotionClip

    system = build_system("cnn_lstm", "mlsp2019")
    assert isinstance(system, CNNLSTM) and system.config.preset == "cnn_lstm_mlsp2019"
    assert isinstance(as_system(get_cnn_lstm_preset("strict")), CNNLSTM)
    assert type(as_system(get_preset("strict"))).__name__ == "STFF"
    clips = [EmotionClip([np.zeros((2, 4, 4, 3), np.uint8)], e) for e in ("repression", "disgust")]
    eyes = system._frame_labels(clips, np.array([0, 0]), np.array([0, 0, 1, 1]))[0]
    assert eyes.tolist() == [2, 2, 0, 0]  # repression: no reaction on the eyes; disgust: negative


@pytest.mark.slow
def test_classic_cnn_learns_a_bright_bar():
    """An easy task the classic CNN must fit: a bright horizontal (class 0) or vertical (class 1) bar."""
    import keras

    from micro_expr.stff.models import build_spatial_model

    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    n, size = 64, 24
    images = rng.integers(0, 60, (n, 1, size, size, 3)).astype("float32")
    labels = np.arange(n) % 2
    for image, label, at in zip(images, labels, rng.integers(2, size - 4, n)):
        if label == 0:
            image[0, at:at + 2, 3:-3] = 255
        else:
            image[0, 3:-3, at:at + 2] = 255
    spatial = get_cnn_lstm_preset("paper", **{"spatial.encoder": "classic", "spatial.head_units": (32, 8),
                                              "spatial.dropout": 0.0}).spatial
    model = build_spatial_model(spatial, (size, size), 2)
    model.compile(keras.optimizers.Adam(3e-3), "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(images, labels, batch_size=16, epochs=25, verbose=0)
    assert history.history["accuracy"][-1] >= 0.9
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]


def test_summary_prints_the_predecessor(capsys):
    import json

    from micro_expr.cli import main

    assert main(["summary", "--system", "cnn_lstm", "--json"]) == 0
    counts = json.loads(capsys.readouterr().out)
    assert counts == {"spatial": {r: INCEPTION + head(72, k) for r, k in K_EMOTION.items()},
                      "temporal": 6 * lstm(20) + 6 * 64 * 256 + 256 + 256 * 3 + 3}
    assert main(["summary", "--system", "cnn_lstm", "--encoder", "classic", "--protocol", "au5"]) == 0
    out = capsys.readouterr().out
    # au5 falls back to the per-class involvement: k(r) = 5, 5, 2, 2, 2, 4 (spec section 3)
    assert f"R0: {CLASSIC + head(16, 5):,} parameters, k = 5" in out
    assert "preset cnn_lstm_paper, protocol au5, m = 1, fusion none, spatial SE 'none', encoder classic" in out
    assert main(["summary", "--system", "cnn_lstm", "--preset", "original"]) == 2


@pytest.mark.slow
def test_mer_train_runs_the_predecessor(tiny_cache, tmp_path):
    """`mer train --system cnn_lstm`: one LOSO fold of the predecessor through the common runner."""
    import json

    from micro_expr.cli import main
    from micro_expr.cnn_lstm.system import CNNLSTM

    out = tmp_path / "run"
    settings = ["spatial.epochs=1", "spatial.batch_size=16", "temporal.epochs=2", "temporal.batch_size=4",
                "temporal.sequence_length=8"]
    assert main(["train", "--system", "cnn_lstm", "--preset", "strict", "--protocol", "megc", "--cache",
                 str(tiny_cache), "--out", str(out), "--folds", "0", "--no-progress",
                 *[arg for s in settings for arg in ("--set", s)]]) == 0
    run = json.loads((out / "run.json").read_text())
    assert run["system"] == "cnn_lstm" and run["config"]["preset"] == "cnn_lstm_strict"
    fold = next((out / "folds").iterdir())
    assert len(json.loads((fold / "predictions.json").read_text())) == 3
    fitted = CNNLSTM.load(fold)
    assert isinstance(fitted, CNNLSTM) and fitted.spatial_models_["R5"].output.shape == (None, 4)
