"""MEAN on the project's region cache: features per sample, LOSO folds, evaluation and training.

Each cached sample is treated as one video with one ME interval, from its
onset to its offset frame (the whole clip when the sheet has none, as for
SMIC). For spotting to mean anything, the cache must be prepared with all
frames of each video (``mer prepare --frames all --store-face``); with only
onset..offset frames the whole clip is the ME.

The cache holds the face canvas (the landmark face box contain-resized onto
240 x 280); MEAN's 128 x 128 face is cut back out of it (``features.canvas_faces``).

Fold assumption (published checkpoints): fold ``s<i>`` is the i-th subject,
in natural sort order (s2 before s10), of the dataset's subjects that have at
least one sample of a recognition class, as the authors' code ordered them.
"""
import re
from dataclasses import dataclass
from typing import Optional

import numpy as np

from data_prep.errors import InputError
from micro_expr.mean import features as feat
from micro_expr.mean import metrics, spotting

# Class orders of the published recognition heads (authors' code).
CASME2_CLASSES = ("disgust", "happiness", "others", "surprise", "repression")   # C = 5, CASME II
MEGC_CLASSES = ("negative", "positive", "surprise")                             # C = 3, the others
# Dataset name (of the cache, or of data_prep.long_videos) -> folder of the published checkpoints.
WEIGHT_FOLDERS = {"casme2": "CASME2", "smic": "SMIC_HS", "samm": "SAMMLV", "casme_sq": "CASME_sq",
                  "sammlv": "SAMMLV", "smic_hs": "SMIC_HS", "smic_vis": "SMIC_VIS", "smic_nir": "SMIC_NIR"}


def class_names(num_classes):
    if num_classes == 3:
        return MEGC_CLASSES
    if num_classes == 5:
        return CASME2_CLASSES
    raise InputError(f"MEAN recognition heads have 3 (MEGC) or 5 (CASME II) classes, not {num_classes}")


def class_index(info, num_classes):
    """The sample's class for a C-class head, or None when it has none of those classes."""
    if num_classes == 3:
        return info.megc_label
    emotion = (info.emotion or "").strip().lower()
    return CASME2_CLASSES.index(emotion) if emotion in class_names(num_classes) else None


def natural_key(text):
    """Sort key that puts s2 before s10."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", str(text))]


def fold_subjects(samples):
    """The subjects of ``samples`` in fold order: fold s<i> is the i-th (1-based)."""
    return sorted({info.subject for info in samples}, key=natural_key)


def _frame_index(info, frame, default):
    if frame is None:
        return default
    try:
        return info.frame_numbers.index(frame)
    except ValueError:
        raise InputError(f"{info.key}: frame {frame} is not among the cached frames "
                         f"{info.frame_numbers[0]}..{info.frame_numbers[-1]}") from None


def truth_interval(info):
    """(onset index, offset index) into the cached frames; the whole clip when unknown."""
    return _frame_index(info, info.onset, 0), _frame_index(info, info.offset, info.n_frames - 1)


def sample_faces(cache, info, face_crop="landmarks"):
    """MEAN's 128 x 128 faces of a cached sample, and its landmarks on them (``face_crop``: see ``MEANConfig``)."""
    from data_prep.face import face_box

    landmarks = np.asarray(cache.landmarks(info.key))
    landmarks = landmarks[0] if landmarks.ndim == 3 else landmarks   # per-frame landmarks: use the first
    box = cache.face_box(info.key) if hasattr(cache, "face_box") else face_box(landmarks)
    box = np.asarray(box)
    box = tuple(int(v) for v in (box[0] if box.ndim == 2 else box))
    return feat.canvas_faces(cache.face(info.key), box, landmarks, mode=face_crop)


def code_excluded(info):
    """Whether the authors' code drops this CASME II sample (load_label.py:52-53): its apex is not a number
    (sub04 EP12_01f, apex '/'), or its 0-based (onset, apex, offset) is (65, 110, 110) (sub12 EP09_06,
    "has index error")."""
    if info.dataset != "casme2":
        return False
    if info.apex is None:
        return True
    return (info.onset is not None and info.offset is not None
            and (info.onset - 1, info.apex - 1, info.offset - 1) == (65, 110, 110))


def select_samples(samples, config):
    """The samples MEAN uses.

    ``config.casme2_megc_excluded``: CASME II without the 5 MEGC-excluded ones (244 of the 249 samples of
    the 5 classes); ``config.casme2_code_excluded``: without the 2 the authors' code drops
    (``code_excluded``; 247 of 249: disgust 61, happiness 32, others 99, surprise 28, repression 27).
    """
    from data_prep.protocols import MEGC_CASME2_EXCLUDED

    kept = list(samples)
    if config.casme2_megc_excluded:
        kept = [info for info in kept
                if not (info.dataset == "casme2" and (info.subject, info.sample) in MEGC_CASME2_EXCLUDED)]
    if config.casme2_code_excluded:
        kept = [info for info in kept if not code_excluded(info)]
    return kept


def flow_k(config, fps):
    """k = FPS x ``config.flow_seconds`` frames (section 4.3; 0.1 s in both presets, MEAN Table 6 varies it)."""
    return feat.flow_distance(fps, config.flow_seconds)


def k_prime_for(config, samples):
    """k' of ``config`` when set, else (N + 1) / 2 from the samples' intervals (section 3.3)."""
    if config.k_prime is not None:
        return config.k_prime
    return spotting.half_expression_length([truth_interval(info) for info in samples])


@dataclass
class PreparedSample:
    """A sample's MEAN inputs and labels."""

    info: object
    spot_features: np.ndarray                 # (T - k, 42, 42, 3)
    truth: tuple                              # ME interval, indices of the spotting features
    label: Optional[int]
    recog_features: Optional[np.ndarray] = None  # (42, 42, 3), onset -> apex (training only)


def prepare_sample(cache, info, k, num_classes, config, with_recognition=False):
    """Compute the spotting features (and, for training, the onset -> apex features) of one sample.

    ``config``: :class:`micro_expr.mean.config.MEANConfig` (ROI layout, flow method, face crop, strain).
    """
    layout, method, strain = config.roi_layout, config.flow, config.strain
    feat.check_opencv(config)
    if info.n_frames <= k:
        raise InputError(f"{cache.path}: sample {info.key} has {info.n_frames} frames, MEAN needs more than k = {k}")
    faces, landmarks = sample_faces(cache, info, config.face_crop)
    onset, offset = truth_interval(info)
    prepared = PreparedSample(info, feat.spotting_features(faces, k, landmarks, layout, method, strain),
                              (onset, offset), class_index(info, num_classes))
    if with_recognition:
        if info.apex is not None:
            apex = _frame_index(info, info.apex, offset)
        else:
            apex = feat.estimate_apex(faces, onset, offset, landmarks, layout, method, strain)
        prepared.recog_features = feat.recognition_features(faces, onset, max(apex, onset + 1), landmarks,
                                                            layout, method, strain)
    return prepared


def predict(model, features):
    """(spotting scores (N,), class probabilities (N, C)) of a combined MEAN model."""
    spot, recog = model.predict(feat.split_streams(features), verbose=0, batch_size=256)
    return np.asarray(spot).reshape(-1), np.asarray(recog)


def analyse_video(prepared, scores, probabilities, k_prime, config, threshold=0.5):
    """Spot-then-recognize one video (section 3.4): spotted intervals, TP matches and voted classes."""
    spots = spotting.spot_video(scores, k_prime, config.peak_p, config.multiple_peaks, config.smoothing,
                                config.interval_end, config.empty_spot, config.short_clip)
    matches = metrics.match_intervals([s["interval"] for s in spots], [prepared.truth], threshold, config.hit_rule)
    for spot, match in zip(spots, matches):
        spot["true_positive"] = match is not None
        spot["match"] = match
        spot["predicted_class"] = voted_class(probabilities, spot["peak"], k_prime, config)
    return spots


def voted_class(probabilities, peak, k_prime, config):
    """The spot's voted class (``spotting.vote_emotion``), or None for a peak after the clip's last frame.

    Such a peak comes only from the code's smoothing of a short clip (``short_clip="numpy"``); the code's
    ``recognition`` then fails on ``pred_emotion[video_index][pred_peak]`` (training_utils.py:132), its
    ``except`` skips the spot (lines 153-155), so the spot counts for spotting but not for analysis.
    """
    if config.short_clip == "numpy" and peak >= len(probabilities):
        return None
    return spotting.vote_emotion(probabilities, peak, k_prime, config.analysis_interval)


def run_rows(run_dir):
    """prediction_rows of every finished fold of a MEAN run folder (what MEAN Tables 2-3 read)."""
    from micro_expr.core.run_folder import RunFolder

    return [row for record in RunFolder(run_dir).predictions() for row in prediction_rows([record], record["fold"])]


def summarise(rows, num_classes, threshold=0.5, config=None):
    """Spotting, analysis (spotted TPs only) and STRS over analysed videos (MEAN Table 5).

    ``config`` (a MEANConfig): its ``hit_rule``, ``ap_order`` and ``analysis_classes``;
    None: the paper's. A row's ``truth`` is one interval or, for long videos, a list of them
    (``truths``), with ``labels`` one per truth.
    """
    from micro_expr.mean.config import MEANConfig

    config = config or MEANConfig()
    rule = config.hit_rule
    videos = [([s["interval"] for s in row["spots"]], row_truths(row)) for row in rows]
    scored = [([(s["interval"], s["score"]) for s in row["spots"]], row_truths(row)) for row in rows]
    tp, fp, fn = metrics.spotting_counts(videos, threshold, rule)
    spot = {"tp": tp, "fp": fp, "fn": fn, **metrics.precision_recall_f1(tp, fp, fn),
            "ap_50_95": metrics.average_precision_range(scored, order=config.ap_order, rule=rule)}
    if config.analysis_pairs == "code":
        hits = code_analysis_pairs(rows)
    else:
        hits = [(spot_label(row, s), s["predicted_class"]) for row in rows for s in row["spots"]
                if s["true_positive"] and spot_label(row, s) is not None and s["predicted_class"] is not None]
    analysis = metrics.analysis_scores([t for t, _ in hits], [p for _, p in hits], classes=config.analysis_classes)
    return {"spotting": spot, "analysis": analysis, "strs": metrics.strs(spot["f1"], analysis["f1"]),
            "classes": list(class_names(num_classes))}


def code_analysis_pairs(rows):
    """(true class, predicted class) pairs as the authors' code formed them (``analysis_pairs="code"``).

    ``recognition`` (training_utils.py:118-164) walks every spot of every video and appends the voted
    class to ``cur_pred`` (line 139) before it looks up the truth's label: the matched truth's for a TP,
    the video's *last* truth's for an FP (``sample_index == -1``, line 148). ``convertLabel`` raises
    ``KeyError`` for 'others' (a truth without a class here, label None), the ``except`` swallows it
    (lines 153-155), and ``cur_tp_gt`` misses that entry (lines 149-152); for an FP the entry would be -1.
    ``final_evaluation`` then pairs the two lists by position (train_evaluate.py:213-218), so every pair
    after such a spot takes the prediction of the spot before it. A spot whose peak lies after the clip
    raises earlier (line 132) and is left out of both lists.
    """
    predicted, truths = [], []
    for row in rows:
        labels = list(row["labels"]) if "labels" in row else [row["label"]]
        for spot in row["spots"]:
            if spot["predicted_class"] is None:
                continue
            predicted.append(spot["predicted_class"])
            label = spot_label(row, spot) if spot["true_positive"] else (labels[-1] if labels else None)
            if label is None:
                continue   # convertLabel(..., 'others'): KeyError after cur_pred was appended
            truths.append(label if spot["true_positive"] else -1)
    return [(truth, predicted[index]) for index, truth in enumerate(truths) if truth != -1]


def row_truths(row):
    """The ground-truth intervals of an analysed row: ``truths`` (long videos) or [``truth``]."""
    return [tuple(t) for t in row["truths"]] if "truths" in row else [tuple(row["truth"])]


def spot_label(row, spot):
    """The true class of the ground truth a TP spot hit (long videos: ``labels`` by ``match``)."""
    if "labels" in row:
        return row["labels"][spot["match"]] if spot.get("match") is not None else None
    return row["label"]


def prediction_rows(rows, fold):
    """Flat table rows (one per spotted interval, or one empty row) for predictions.csv."""
    table = []
    for row in rows:
        base = {"fold": fold, "key": row["key"], "truth_first": row["truth"][0], "truth_last": row["truth"][1],
                "true_class": row["label"]}
        for spot in row["spots"] or [None]:
            table.append({**base, **({"peak": spot["peak"], "first": spot["interval"][0],
                                      "last": spot["interval"][1], "score": round(spot["score"], 6),
                                      "true_positive": spot["true_positive"],
                                      "predicted_class": spot["predicted_class"]} if spot else {})})
    return table


def evaluate_fold(model, prepared_samples, k_prime, config, keep_scores=False):
    """Analysed rows of the held-out subject's samples with a combined MEAN model.

    ``keep_scores``: rows also hold the per-frame ``scores`` and ``probabilities``, so that the
    post-processing ablations (MEAN Tables 7 and 8) can run again on them without the model.
    """
    rows = []
    for prepared in prepared_samples:
        scores, probabilities = predict(model, prepared.spot_features)
        rows.append({"key": prepared.info.key, "truth": prepared.truth, "label": prepared.label,
                     "spots": analyse_video(prepared, scores, probabilities, k_prime, config)})
        if keep_scores:
            rows[-1].update(scores=scores, probabilities=probabilities)
    return rows


def spotting_training_set(prepared_samples, k_prime, ratio=8, seed=1):
    """Spotting inputs and pseudo-labels (MEAN Eqs. 5-6), non-ME windows kept at ``ratio`` per ME window."""
    x = np.concatenate([s.spot_features for s in prepared_samples])
    y = np.concatenate([spotting.pseudo_labels(len(s.spot_features), [s.truth], k_prime) for s in prepared_samples])
    positives, negatives = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    keep = min(len(negatives), max(1, ratio * len(positives)))
    chosen = np.random.default_rng(seed).choice(negatives, size=keep, replace=False)
    index = np.sort(np.concatenate([positives, chosen]))
    return x[index], y[index]


def train_fold(train_samples, num_classes, k_prime, config):
    """Train MEAN on one LOSO training set: spotting first, then recognition with a frozen trunk (section 3.2)."""
    import keras

    from micro_expr.mean import model as mean_model

    cfg = config
    keras.utils.set_random_seed(cfg.seed)
    mean = mean_model.build_mean(num_classes)
    spot = mean_model.task_model(mean, "spot")
    spot.compile(optimizer=keras.optimizers.Adam(cfg.learning_rate), loss="mse", metrics=["mae"])
    x, y = spotting_training_set(train_samples, k_prime, cfg.ratio, cfg.seed)
    spotted = spot.fit(feat.split_streams(x), y, batch_size=cfg.batch_size, epochs=cfg.epochs_spot, shuffle=True,
                       verbose=0)
    history = {"spot": {name: [float(v) for v in values] for name, values in spotted.history.items()}}

    labelled = [s for s in train_samples if s.label is not None and s.recog_features is not None]
    if labelled:
        if cfg.inductive_transfer:   # ITL: the recognition head on the spotting-trained, frozen trunk
            mean_model.freeze_trunk(mean)
            recog = mean_model.task_model(mean, "recog")
        else:   # MEAN Table 9 "without ITL": a second network, its own trunk trained for recognition only
            recog = mean_model.task_model(mean_model.build_mean(num_classes), "recog")
        recog.compile(optimizer=keras.optimizers.Adam(cfg.learning_rate), loss="categorical_crossentropy",
                      metrics=["categorical_accuracy"])
        x = np.stack([s.recog_features for s in labelled])
        y = keras.utils.to_categorical([s.label for s in labelled], num_classes)
        recognised = recog.fit(feat.split_streams(x), y, batch_size=cfg.batch_size, epochs=cfg.epochs_recog,
                               shuffle=True, verbose=0)
        history["recog"] = {name: [float(v) for v in values] for name, values in recognised.history.items()}
        if not cfg.inductive_transfer:   # one model with both outputs, as evaluate_fold expects
            mean = keras.Model(mean.inputs, [mean.get_layer("spot").output, recog(mean.inputs)], name="mean_no_itl")
    return mean, history
