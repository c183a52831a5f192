"""Synthetic spotting scores shaped like CASME II, to compare MEAN's post-processing presets on identical inputs.

No network and no video: each "video" is a sequence of per-frame spotting
scores such as MEAN's spotting head gives (a raised plateau where the
window [j, j + k' - 1] overlaps the ME, as its pseudo-labels of MEAN Eqs. 5-6,
plus noise and a few spikes), per-frame class probabilities, a ground-truth
interval and a class. The same videos go through both presets, so every
difference in F1 / AP / STRS comes from the post-processing and metrics.
"""
from types import SimpleNamespace

import numpy as np

from micro_expr.mean import pipeline, spotting

# CASME II at 200 fps (MEAN Table 1): k' = 34, so an ME is about 2k' = 68 frames long.
CASME_LIKE = {"k_prime": 34, "length": (150, 400), "me_length": (40, 100), "classes": 5}


def casme_like_videos(n_videos=200, seed=0, k_prime=34, noise=0.25, miss_rate=0.25, classes=5,
                      length=(150, 400), me_length=(40, 100)):
    """[{"scores", "probabilities", "truth", "label"}] of ``n_videos`` short videos, one ME each.

    ``miss_rate``: share of videos whose ME is weak (amplitude 0.1 instead of
    0.5 .. 1), as the head misses some MEs. The recognition head "believes"
    one class per video (the true one for 65 % of the videos, another one
    otherwise) and predicts it on half of the frames around the ME; other
    frames get a random class.
    """
    rng = np.random.default_rng(seed)
    videos = []
    for _ in range(n_videos):
        n = int(rng.integers(*length))
        me = int(rng.integers(*me_length))
        onset = int(rng.integers(0, max(1, n - me)))
        offset = min(n - 1, onset + me - 1)
        target = spotting.pseudo_labels(n, [(onset, offset)], k_prime)
        amplitude = 0.1 if rng.random() < miss_rate else rng.uniform(0.5, 1.0)
        scores = amplitude * target + noise * rng.standard_normal(n)
        for spike in rng.integers(0, n, size=2):   # short false spikes
            scores[spike:spike + 3] += rng.uniform(0.5, 1.5)
        label = int(rng.integers(classes))
        believed = label if rng.random() < 0.65 else int((label + rng.integers(1, classes)) % classes)
        predicted = rng.integers(classes, size=n)
        inside = np.zeros(n, bool)
        inside[max(0, onset - k_prime):offset + 1] = True
        predicted[inside & (rng.random(n) < 0.5)] = believed
        videos.append({"scores": scores, "probabilities": np.eye(classes)[predicted], "truth": (onset, offset),
                       "label": label})
    return videos


def analyse_scores(videos, k_prime, config):
    """Rows as ``pipeline.evaluate_fold`` gives them, from ready scores instead of a model."""
    rows = []
    for index, video in enumerate(videos):
        sample = SimpleNamespace(truth=video["truth"])
        rows.append({"key": f"video{index}", "truth": video["truth"], "label": video["label"],
                     "spots": pipeline.analyse_video(sample, video["scores"], video["probabilities"], k_prime,
                                                     config)})
    return rows


def score_config(videos, k_prime, config, num_classes=5):
    """{"f1", "ap_50_95", "analysis_f1", "strs", "tp", "fp"} of one MEANConfig on the videos."""
    summary = pipeline.summarise(analyse_scores(videos, k_prime, config), num_classes, config=config)
    return {"f1": summary["spotting"]["f1"], "ap_50_95": summary["spotting"]["ap_50_95"],
            "analysis_f1": summary["analysis"]["f1"], "strs": summary["strs"],
            "tp": summary["spotting"]["tp"], "fp": summary["spotting"]["fp"]}


# The fields of the 'original' preset that act on scores (post-processing and metrics).
SCORE_FIELDS = ("smoothing", "interval_end", "empty_spot", "ap_order", "analysis_classes")


def compare_presets(videos, k_prime, num_classes=5, presets=("paper", "original")):
    """{preset: scores} of each preset on the same videos (see ``score_config``)."""
    from micro_expr.mean.config import get_preset

    return {name: score_config(videos, k_prime, get_preset(name), num_classes) for name in presets}


def field_effects(videos, k_prime, num_classes=5, multiple_peaks=False):
    """{field: scores} of the paper preset with one field set to the authors' code value."""
    from micro_expr.mean.config import PRESET_OVERRIDES, get_preset

    code = PRESET_OVERRIDES["original"]
    return {field: score_config(videos, k_prime, get_preset("paper", multiple_peaks=multiple_peaks,
                                                            **{field: code[field]}), num_classes)
            for field in SCORE_FIELDS}
