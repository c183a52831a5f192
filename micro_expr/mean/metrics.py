"""Metrics of MEAN (section 4.2): spotting F1 and AP@[.5:.95], analysis F1/UF1/UAR, and STRS.

Intervals are (first, last) frame numbers with both ends included, so the
interval (3, 5) holds 3 frames. A "video" for the spotting metrics is a pair
(spotted intervals, ground-truth intervals); for AP each spotted interval
also has a score, as (interval, score).
"""
import numpy as np

IOU_THRESHOLDS = tuple(round(t, 2) for t in np.arange(0.5, 0.951, 0.05))  # 0.5, 0.55, ..., 0.95


def interval_iou(a, b):
    """|a ∩ b| / |a ∪ b| of two frame intervals, counting frames (MEAN Eqs. 6 and 14)."""
    overlap = min(a[1], b[1]) - max(a[0], b[0]) + 1
    if overlap <= 0:
        return 0.0
    union = (a[1] - a[0] + 1) + (b[1] - b[0] + 1) - overlap
    return overlap / union


def _hits(iou, threshold, rule):
    """IoU >= k_IoU (``rule=">="``: MEAN Eq. 14, and the authors' ``check_box``, Utils/mean_average_precision/
    mean_average_precision/utils.py:196 ``if iou[idx] >= iou_threshold``) or IoU > k_IoU (``rule=">"``, an
    ablation only)."""
    return iou >= threshold if rule == ">=" else iou > threshold


def match_intervals(spotted, truth, threshold=0.5, rule=">="):
    """For each spotted interval, in order, the index of the ground truth it hits, or None.

    A spot is a true positive when its IoU with a not yet matched ground
    truth is >= ``threshold`` (MEAN Eq. 14 and the authors' code; ``rule=">"``: strictly
    above, an ablation); it takes the one it overlaps most.
    Each ground truth is matched at most once.
    """
    free = set(range(len(truth)))
    matches = []
    for interval in spotted:
        ious = {g: interval_iou(interval, truth[g]) for g in free}
        best = max(ious, key=ious.get, default=None)
        if best is not None and _hits(ious[best], threshold, rule):
            free.discard(best)
            matches.append(best)
        else:
            matches.append(None)
    return matches


def spotting_counts(videos, threshold=0.5, rule=">="):
    """(TP, FP, FN) over videos: A hits among N spots and M truths, FP = N - A, FN = M - A (MEAN Eqs. 14-15)."""
    hits = spots = truths = 0
    for spotted, truth in videos:
        hits += sum(match is not None for match in match_intervals(spotted, truth, threshold, rule))
        spots += len(spotted)
        truths += len(truth)
    return hits, spots - hits, truths - hits


def precision_recall_f1(tp, fp, fn):
    """Recall A/M, precision A/N (MEAN Eq. 15) and F1 = 2TP / (2TP + FP + FN) (MEAN Eq. 16); 0 when undefined."""
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def average_precision(videos, threshold=0.5, order="score", rule=">="):
    """AP at one IoU threshold (MEAN Eq. 17): area under the interpolated precision-recall curve.

    ``videos``: [([(interval, score), ...], [truth interval, ...]), ...].
    ``order="score"``: spots of all videos are ranked by score (highest first);
    ``order="dataset"``: in the order given, video after video, as the authors'
    code did (it gave every spot confidence 0 and removed the library's sort).
    Each spot is a TP or FP by ``match_intervals`` within its video in that
    order. P_interp(r) is the best precision at any recall >= r;
    AP = sum (R_{n+1} - R_n) P_interp(R_{n+1}). 0 when there is no ground truth.
    """
    n_truth = sum(len(truth) for _, truth in videos)
    ranked = []  # (score, is true positive)
    for scored, truth in videos:
        if order == "score":
            scored = sorted(scored, key=lambda item: -item[1])
        matches = match_intervals([interval for interval, _ in scored], truth, threshold, rule)
        ranked += [(score, match is not None) for (_, score), match in zip(scored, matches)]
    if n_truth == 0 or not ranked:
        return 0.0
    if order == "score":
        ranked.sort(key=lambda item: -item[0])  # stable: ties keep the order within a video
    hits = np.cumsum([is_tp for _, is_tp in ranked])
    precision = hits / np.arange(1, len(ranked) + 1)
    recall = np.concatenate([[0.0], hits / n_truth])
    interpolated = np.maximum.accumulate(precision[::-1])[::-1]
    return float(np.sum(np.diff(recall) * interpolated))


def average_precision_range(videos, thresholds=IOU_THRESHOLDS, order="score", rule=">="):
    """AP@[.5:.95]: the mean AP over IoU thresholds 0.5, 0.55, ..., 0.95 (section 4.2)."""
    return float(np.mean([average_precision(videos, t, order, rule) for t in thresholds]))


def apex_spotting_rate(spotted_apexes, truth):
    """ASR (MEAN Eq. 13): share of videos whose spotted apex f* lies strictly inside (onset, offset)."""
    if not truth:
        return 0.0
    inside = [first < apex < last for apex, (first, last) in zip(spotted_apexes, truth)]
    return float(np.mean(inside))


def analysis_scores(y_true, y_pred, labels=None, classes="truth"):
    """Analysis metrics of predicted classes (MEAN Eqs. 18-23), with scikit-learn.

    precision / recall: the means over classes of TP_c / (TP_c + FP_c) and
    TP_c / (TP_c + FN_c) (MEAN Eqs. 19-20); f1 = 2 P R / (P + R) (MEAN Eq. 21);
    uf1: mean per-class F1 (MEAN Eq. 22); uar: mean per-class recall TP_c / n_c
    (MEAN Eq. 23); accuracy (MEAN Eq. 18). ``labels``: the classes C averaged over;
    by default those with samples in ``y_true`` (MEAN Eq. 23 divides by n_c), ``classes="union"``:
    those in ``y_true`` or ``y_pred``; ``classes="code"``: as the authors' code (``code_analysis_scores``).
    """
    from sklearn.metrics import accuracy_score, precision_recall_fscore_support

    if classes == "code":
        return code_analysis_scores(y_true, y_pred)
    if len(y_true) == 0:
        return {"precision": 0.0, "recall": 0.0, "f1": 0.0, "uf1": 0.0, "uar": 0.0, "accuracy": 0.0, "n": 0}
    if labels is None:
        labels = sorted(set(y_true) | (set(y_pred) if classes == "union" else set()))
    labels = list(labels)
    per_class_p, per_class_r, per_class_f1, _ = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, average=None, zero_division=0)
    precision, recall = float(np.mean(per_class_p)), float(np.mean(per_class_r))
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "uf1": float(np.mean(per_class_f1)),
            "uar": recall, "accuracy": float(accuracy_score(y_true, y_pred)), "n": len(y_true)}


def code_analysis_scores(y_true, y_pred):
    """The analysis metrics exactly as the authors' ``recognition_evaluation`` computed them (training_utils.py).

    Per class c (one-vs-rest): ``confusion_matrix(gt == c, pred == c).ravel()`` is unpacked into
    TN, FP, FN, TP (training_utils.py:60); when the 0/1 labels of that class are not both present the
    matrix is 1 x 1, the unpacking raises and the class is skipped (``except: pass``, lines 187-202).
    F1_c = 2TP / (2TP + FP + FN), recall TP / (TP + FN), precision TP / (TP + FP), 0/0 giving NaN
    (NumPy integers, lines 61-64); NaN precisions and recalls become 0 (lines 203-204), but the recalls
    averaged into UAR keep theirs (``ar_list``, line 209). precision, recall: means over the counted
    classes; f1 = 2PR / (P + R) (line 207); uf1 = mean F1_c (line 208). With no class counted (e.g. a
    single true positive, predicted right) every mean is over nothing: NaN.
    """
    import warnings

    y_true, y_pred = list(y_true), list(y_pred)
    precisions, recalls, f1s, uar_recalls = [], [], [], []
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        for c in sorted(set(y_true) | set(y_pred)):
            gt = np.array([t == c for t in y_true])
            pred = np.array([p == c for p in y_pred])
            if len({*gt.tolist(), *pred.tolist()}) < 2:
                continue   # a 1 x 1 confusion matrix: the code's unpacking fails, the class is skipped
            tp, fp = np.int64(np.sum(gt & pred)), np.int64(np.sum(~gt & pred))
            fn = np.int64(np.sum(gt & ~pred))
            f1s.append(float(2 * tp / (2 * tp + fp + fn)))
            recall, precision = float(tp / (tp + fn)), float(tp / (tp + fp))
            uar_recalls.append(recall)
            recalls.append(0.0 if np.isnan(recall) else recall)
            precisions.append(0.0 if np.isnan(precision) else precision)
        precision, recall = float(np.mean(precisions)), float(np.mean(recalls))
        f1 = float(np.float64(2 * precision * recall) / np.float64(precision + recall))
        uf1, uar = float(np.mean(f1s)), float(np.mean(uar_recalls))
    accuracy = float(np.mean([t == p for t, p in zip(y_true, y_pred)])) if y_true else float("nan")
    return {"precision": precision, "recall": recall, "f1": f1, "uf1": uf1, "uar": uar, "accuracy": accuracy,
            "n": len(y_true), "classes_counted": len(f1s)}


def strs(spotting_f1, analysis_f1):
    """Spot-Then-Recognize Score, STRS = F1_s x F1_a (MEAN Eq. 24; F1_s of MEAN Eq. 16, F1_a of MEAN Eq. 21)."""
    return spotting_f1 * analysis_f1
