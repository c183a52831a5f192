"""Evaluation metrics of STFF (Eq. 10-11; Aouayeb et al. 2021 "F1-score"; spec section 4).

MEGC convention (composite LOSO evaluation, See et al. 2019): UF1 and UAR come
from the predictions of all folds pooled, i.e. from the confusion matrix summed
over the folds, never as a mean of per-fold scores (a test subject often shows
only one or two classes). A class without any true sample in the evaluated set
is left out of UF1 and UAR, as the MEGC script skips a class it cannot score;
its per-class F1 and recall are reported as None.

Two accuracies, clearly labelled:
- ``accuracy_pooled``: correct / all samples;
- ``accuracy_fold_mean``: the mean of per-fold accuracies, what the code reported.

Everything returned is plain Python (JSON-able).
"""
import numpy as np
from sklearn.metrics import confusion_matrix


def confusion(y_true, y_pred, n_classes):
    """K x K confusion matrix, rows = true class, columns = predicted (sklearn)."""
    return confusion_matrix(y_true, y_pred, labels=list(range(n_classes)))


def scores_from_confusion(cm):
    """Accuracy, UF1 (STFF Eq. 10), UAR (Eq. 11), weighted F1 and per-class scores of a confusion matrix."""
    cm = np.asarray(cm, dtype=float)
    tp = np.diag(cm)
    support = cm.sum(axis=1)          # N_c, true samples per class
    predicted = cm.sum(axis=0)
    present = support > 0
    # F1_c = 2TP / (2TP + FP + FN) = 2TP / (N_c + predicted_c)
    f1 = np.divide(2 * tp, support + predicted, out=np.zeros_like(tp), where=(support + predicted) > 0)
    recall = np.divide(tp, support, out=np.zeros_like(tp), where=present)
    total = support.sum()
    return {
        "n_samples": int(total),
        "accuracy_pooled": float(tp.sum() / total) if total else None,
        "uf1": float(f1[present].mean()) if present.any() else None,
        "uar": float(recall[present].mean()) if present.any() else None,
        "weighted_f1": float((f1 * support).sum() / total) if total else None,  # Aouayeb et al. 2021 "F1-score"
        "per_class_f1": [float(v) if ok else None for v, ok in zip(f1, present)],
        "per_class_recall": [float(v) if ok else None for v, ok in zip(recall, present)],
        "support": [int(n) for n in support],
        "absent_classes": [int(c) for c in np.flatnonzero(~present)],
        "confusion_matrix": cm.astype(int).tolist(),
    }


def evaluate(y_true, y_pred, n_classes, folds=None, class_names=None):
    """All metrics of a LOSO run; ``folds`` (one fold id per sample, e.g. the subject) adds per-fold accuracy."""
    y_true, y_pred = np.asarray(y_true, dtype=int), np.asarray(y_pred, dtype=int)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred differ in shape: {y_true.shape} vs {y_pred.shape}")
    result = scores_from_confusion(confusion(y_true, y_pred, n_classes))
    if class_names is not None:
        result["classes"] = list(class_names)
    result["accuracy_fold_mean"] = None
    result["fold_accuracies"] = None
    if folds is not None:
        folds = np.asarray(folds)
        per_fold = {str(fold): float(np.mean(y_true[folds == fold] == y_pred[folds == fold]))
                    for fold in _in_order(folds)}
        result["fold_accuracies"] = per_fold
        result["accuracy_fold_mean"] = float(np.mean(list(per_fold.values())))
    return result


def per_dataset_breakdown(y_true, y_pred, datasets, n_classes=None, folds=None, class_names=None):
    """:func:`evaluate` on each dataset part and on all samples ("FULL"), as STFF Table 7."""
    y_true, y_pred, datasets = np.asarray(y_true, dtype=int), np.asarray(y_pred, dtype=int), np.asarray(datasets)
    if n_classes is None:
        n_classes = len(class_names) if class_names is not None else int(max(y_true.max(), y_pred.max())) + 1
    folds = None if folds is None else np.asarray(folds)
    result = {}
    for name in _in_order(datasets):
        part = datasets == name
        result[str(name)] = evaluate(y_true[part], y_pred[part], n_classes,
                                     None if folds is None else folds[part], class_names)
    result["FULL"] = evaluate(y_true, y_pred, n_classes, folds, class_names)
    return result


def _in_order(values):
    """Distinct values in order of first appearance (folds and datasets keep the run's order)."""
    _, first = np.unique(values, return_index=True)
    return [values[i] for i in sorted(first)]
