"""UF1 (STFF Eq. 10), UAR (Eq. 11), accuracies and F1 against sklearn and hand examples."""
import json

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, recall_score

from micro_expr.core.metrics import confusion, evaluate, per_dataset_breakdown, scores_from_confusion

# Hand example: confusion matrix rows (true) [2 1 0], [0 1 1], [0 0 1].
Y_TRUE = [0, 0, 0, 1, 1, 2]
Y_PRED = [0, 0, 1, 1, 2, 2]


def test_hand_example():
    result = evaluate(Y_TRUE, Y_PRED, 3)
    assert result["confusion_matrix"] == [[2, 1, 0], [0, 1, 1], [0, 0, 1]]
    # F1_c = 2TP / (2TP + FP + FN): 4/5, 2/4, 2/3; recalls 2/3, 1/2, 1/1
    assert result["per_class_f1"] == pytest.approx([0.8, 0.5, 2 / 3])
    assert result["per_class_recall"] == pytest.approx([2 / 3, 0.5, 1.0])
    assert result["uf1"] == pytest.approx((0.8 + 0.5 + 2 / 3) / 3)          # 0.655556
    assert result["uar"] == pytest.approx((2 / 3 + 0.5 + 1.0) / 3)          # 0.722222
    assert result["accuracy_pooled"] == pytest.approx(4 / 6)
    assert result["weighted_f1"] == pytest.approx((3 * 0.8 + 2 * 0.5 + 1 * 2 / 3) / 6)  # 0.677778
    assert result["support"] == [3, 2, 1] and result["absent_classes"] == []
    assert result["accuracy_fold_mean"] is None and result["n_samples"] == 6


def test_matches_sklearn_when_every_class_is_present():
    rng = np.random.default_rng(0)
    y_true, y_pred = rng.integers(0, 5, 200), rng.integers(0, 5, 200)
    result = evaluate(y_true, y_pred, 5)
    assert result["uf1"] == pytest.approx(f1_score(y_true, y_pred, average="macro"))
    assert result["uar"] == pytest.approx(recall_score(y_true, y_pred, average="macro"))
    assert result["weighted_f1"] == pytest.approx(f1_score(y_true, y_pred, average="weighted"))
    assert result["per_class_f1"] == pytest.approx(list(f1_score(y_true, y_pred, average=None)))
    assert result["accuracy_pooled"] == pytest.approx(accuracy_score(y_true, y_pred))
    assert result["confusion_matrix"] == confusion_matrix(y_true, y_pred).tolist()


def test_folds_two_accuracies_and_pooled_uf1():
    folds = ["s1", "s1", "s2", "s2", "s2", "s2"]
    result = evaluate(Y_TRUE, Y_PRED, 3, folds=folds)
    assert result["fold_accuracies"] == {"s1": 1.0, "s2": 0.5}
    assert result["accuracy_fold_mean"] == pytest.approx(0.75)   # the code's figure
    assert result["accuracy_pooled"] == pytest.approx(4 / 6)
    # UF1 from the summed confusion matrix (MEGC), not the mean of per-fold UF1.
    summed = sum(confusion(np.array(Y_TRUE)[idx], np.array(Y_PRED)[idx], 3) for idx in ([0, 1], [2, 3, 4, 5]))
    assert scores_from_confusion(summed)["uf1"] == pytest.approx(result["uf1"])
    per_fold = [evaluate(Y_TRUE[:2], Y_PRED[:2], 3)["uf1"], evaluate(Y_TRUE[2:], Y_PRED[2:], 3)["uf1"]]
    assert per_fold == pytest.approx([1.0, (0 + 0.5 + 2 / 3) / 3])
    assert np.mean(per_fold) == pytest.approx(0.694444, rel=1e-5) != pytest.approx(result["uf1"])


def test_class_absent_from_the_ground_truth():
    # Class 2 has no true sample but is predicted once: MEGC leaves it out of UF1 and UAR.
    y_true, y_pred = [0, 0, 1, 1], [0, 2, 1, 1]
    result = evaluate(y_true, y_pred, 3)
    assert result["absent_classes"] == [2]
    assert result["per_class_f1"] == [pytest.approx(2 / 3), 1.0, None]
    assert result["uf1"] == pytest.approx((2 / 3 + 1) / 2)
    assert result["uar"] == pytest.approx((0.5 + 1) / 2)
    assert result["uf1"] == pytest.approx(f1_score(y_true, y_pred, labels=[0, 1], average="macro"))
    # sklearn's default labels (classes seen in y_true or y_pred) count class 2 as F1 = 0, recall = 0.
    assert f1_score(y_true, y_pred, average="macro") == pytest.approx((2 / 3 + 1 + 0) / 3)
    assert recall_score(y_true, y_pred, average="macro", zero_division=0) == pytest.approx(0.5)


def test_class_never_seen_at_all():
    result = evaluate([0, 1], [0, 1], 3)
    assert result["uf1"] == 1.0 and result["uar"] == 1.0
    assert result["per_class_recall"] == [1.0, 1.0, None] and result["confusion_matrix"][2] == [0, 0, 0]


def test_per_dataset_breakdown():
    datasets = ["smic", "smic", "casme2", "casme2", "samm", "samm"]
    folds = ["a", "a", "b", "b", "c", "c"]
    result = per_dataset_breakdown(Y_TRUE, Y_PRED, datasets, n_classes=3, folds=folds,
                                   class_names=["negative", "positive", "surprise"])
    assert list(result) == ["smic", "casme2", "samm", "FULL"]
    assert result["smic"]["accuracy_pooled"] == 1.0 and result["smic"]["absent_classes"] == [1, 2]
    assert result["casme2"]["confusion_matrix"] == [[0, 1, 0], [0, 1, 0], [0, 0, 0]]
    assert result["casme2"]["uf1"] == pytest.approx(0.0 / 2 + 2 / 3 / 2)  # F1_0 = 0, F1_1 = 2/3
    assert result["samm"]["uar"] == pytest.approx((0.0 + 1.0) / 2)
    assert result["FULL"] == evaluate(Y_TRUE, Y_PRED, 3, folds, ["negative", "positive", "surprise"])
    assert result["FULL"]["fold_accuracies"] == {"a": 1.0, "b": 0.5, "c": 0.5}
    assert json.loads(json.dumps(result)) == result  # plain JSON-able values


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError):
        evaluate([0, 1], [0], 2)
