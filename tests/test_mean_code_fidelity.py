"""MEAN's ``original`` preset = what the authors' code (genbing99/MEAN_Spot-then-recognize) computes.

Hand-computed small cases, one per behaviour of that code the preset reproduces (issue 21). The file
and line of the code each test follows is in the test's docstring and in docs/mean.md.
"""
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from data_prep.cache import SampleInfo
from data_prep.long_videos import Expression, LongVideo
from micro_expr.mean import config as mean_config
from micro_expr.mean import long_video, metrics, pipeline, spotting

PAPER, ORIGINAL = mean_config.get_preset("paper"), mean_config.get_preset("original")


# ---------------------------------------------------------------- IoU exactly at the threshold


def test_a_spot_at_iou_exactly_one_half_is_a_true_positive_in_the_original_preset():
    """check_box: ``if iou[idx] >= iou_threshold`` (Utils/mean_average_precision/mean_average_precision/
    utils.py:196), IoU counting frames inclusively (``+ 1.`` in compute_iou, lines 99 and 109)."""
    # spot [F_p - k', F_p + k'] = [10, 20] (11 frames) against the truth [10, 31] (22 frames): IoU 11/22
    assert metrics.interval_iou((10, 20), (10, 31)) == 0.5
    row = {"key": "v", "truth": (10, 31), "label": 1,
           "spots": [{"peak": 15, "interval": (10, 20), "score": 1.0, "true_positive": True, "match": 0,
                      "predicted_class": 1}]}
    for config in (PAPER, ORIGINAL):
        spot = pipeline.summarise([row], 3, config=config)["spotting"]
        assert (spot["tp"], spot["fp"], spot["fn"]) == (1, 0, 0)
    # analyse_video marks it a TP too (one short clip, highest peak)
    assert metrics.match_intervals([(10, 20)], [(10, 31)], 0.5, ORIGINAL.hit_rule) == [0]


# ---------------------------------------------------------------- SMIC-E: the highest peak only


def _two_peak_scores():
    scores = np.zeros(30)
    scores[6:11] = 1.8     # smoothed (k' = 2, centred window of 5) peaks at 8 with 1.8
    scores[18:23] = 2.0    # and at 20 with 2.0
    return scores


def _video(dataset, expressions, n=30, first=1):
    return LongVideo(dataset, "s01", "v", Path("v"), list(range(first, first + n)),
                     [Path(f"{i}.jpg") for i in range(n)], expressions)


@pytest.mark.parametrize("dataset, peaks", [("smic_hs", [20]), ("smic_vis", [20]), ("smic_nir", [20]),
                                            ("casme_sq", [8, 20]), ("sammlv", [8, 20])])
def test_a_smic_e_video_with_two_peaks_gets_only_the_highest(dataset, peaks, monkeypatch):
    """prepare_training.py:33-36 sets spot_multiple only for CASME_sq and SAMMLV; training_utils.py:42-44
    then takes the one highest frame. T = mean + 0.55 (max - mean) = 19/26 + 0.55 (2 - 19/26) = 1.43 over
    the valid smoothed frames 2..27: both peaks (1.8, 2.0) are above it, so every-peak spotting finds two."""
    scores = _two_peak_scores()
    probabilities = np.eye(3)[np.zeros(30, dtype=int)]
    monkeypatch.setattr(long_video, "video_features", lambda video, k, config: scores)
    monkeypatch.setattr(pipeline, "predict", lambda model, features: (features, probabilities))
    first = 1
    video = _video(dataset, [Expression(first + 18, None, first + 22, "negative", "negative")])
    row = long_video.evaluate_video(None, video, 3, 2, PAPER)
    assert [s["peak"] for s in row["spots"]] == peaks
    assert row["spots"][-1]["true_positive"]          # [18, 21] on the truth [18, 22]: IoU 4/5
    every = long_video.evaluate_video(None, video, 3, 2, mean_config.get_preset("paper", long_video_peaks="all"))
    assert [s["peak"] for s in every["spots"]] == [8, 20]
    assert PAPER.long_video_peaks == ORIGINAL.long_video_peaks == "dataset"   # the paper reads it so too


# ---------------------------------------------------------------- SMIC-E frame index convention


def test_smic_e_truth_frames_are_one_earlier_in_the_original_preset():
    """load_excel.py:85-86: onset = OnsetF - FirstF; load_label.py:56: onset - 1 (and offset - 1). With the
    frame files image559700.jpg .. (FirstF 559700), OnsetF 559720 is file index 20, the code's index 19."""
    video = _video("smic_hs", [Expression(559720, None, 559740, "positive", "positive")], n=100, first=559700)
    assert long_video.truths_and_labels(video, 3, PAPER) == ([(20, 40)], [1])
    assert long_video.truths_and_labels(video, 3, ORIGINAL) == ([(19, 39)], [1])
    first = _video("smic_vis", [Expression(559700, None, 559710, "positive", "positive")], n=100, first=559700)
    assert long_video.select_videos([video, first], ORIGINAL) == [video]   # load_label.py:55 drops onset 0
    assert long_video.select_videos([video, first], PAPER) == [video, first]
    sq = _video("casme_sq", [Expression(21, None, 41, "positive", "positive")], n=100, first=1)   # img1.jpg ..
    assert long_video.truths_and_labels(sq, 3, ORIGINAL) == ([(20, 40)], [1])    # onset - 1 on 1-based files


# ---------------------------------------------------------------- a clip shorter than 2k'


def test_a_clip_shorter_than_2k_prime_is_smoothed_by_numpy_same_convolution():
    """training_utils.py:11-15: ``np.convolve(y, np.ones(2k') / 2k', mode='same')`` returns max(N, 2k')
    values. N = 6 scores, k' = 5: output j (j = 0 .. 9) is the sum of x[n], max(0, j - 7) <= n <= min(5, j + 2),
    over 10. x = [-.5, -.5, -.5, .2, .9, .1]: j = 9 sums x[2..5] = 0.7 -> 0.07, the maximum, three frames after
    the clip's last one; j = 8: x[1..5] -> 0.02. The project's zero-padded window [i - 5, i + 4] (``clip``)
    keeps 6 values: -0.04 at 0, -0.03 at 1..5."""
    x = np.array([-.5, -.5, -.5, .2, .9, .1])
    numpy_same = spotting.smooth_scores(x, 5, method="same", short_clip="numpy")
    assert len(numpy_same) == 10
    assert numpy_same[9] == pytest.approx(0.07) and numpy_same[8] == pytest.approx(0.02)
    clip = spotting.smooth_scores(x, 5, method="same")
    np.testing.assert_allclose(clip, [-0.04, -0.03, -0.03, -0.03, -0.03, -0.03])
    code = spotting.spot_video(x, 5, multiple=False, smoothing="same", interval_end=0, short_clip="numpy")
    assert [(s["peak"], s["interval"]) for s in code] == [(9, (4, 14))]
    ours = spotting.spot_video(x, 5, multiple=False, smoothing="same", interval_end=0)
    assert ours[0]["peak"] in range(1, 6)
    # a non-negative clip: the maximum is the plateau of whole sums, from j = ceil((N - 1) / 2) = 3: mid-clip
    positive = spotting.smooth_scores([.1, .9, .2, .1, .1, .1], 5, method="same", short_clip="numpy")
    assert int(np.argmax(positive)) == 3 and positive[3] == pytest.approx(0.15)


def test_a_peak_after_the_clip_counts_for_spotting_but_not_for_analysis():
    """training_utils.py:132 indexes ``pred_emotion[video_index][pred_peak]``: an IndexError for a peak
    after the clip, swallowed by ``except`` (lines 153-155) before any list is appended: the spot stays in
    the spotting counts (metric_video, line 53) and leaves the analysis."""
    x = np.array([-.5, -.5, -.5, .2, .9, .1])
    probabilities = np.eye(3)[[0, 0, 0, 1, 1, 1]]
    prepared = pipeline.PreparedSample(info=None, spot_features=None, truth=(4, 14), label=1)
    code = mean_config.get_preset("original")
    spots = pipeline.analyse_video(prepared, x, probabilities, 5, code)
    assert [(s["peak"], s["true_positive"], s["predicted_class"]) for s in spots] == [(9, True, None)]
    summary = pipeline.summarise([{"key": "v", "truth": (4, 14), "label": 1, "spots": spots}], 3, config=code)
    assert summary["spotting"]["tp"] == 1 and summary["analysis"]["n"] == 0


# ---------------------------------------------------------------- the NaN analysis F1


def test_a_single_true_positive_gives_the_code_a_nan_analysis_f1():
    """recognition_evaluation (training_utils.py:166-216): per class, ``confusion_matrix(gt, pred).ravel()``
    unpacked into 4 values (line 60); one TP predicted right gives a 1 x 1 matrix for every class, every
    class is skipped (``except: pass``, line 201), and the means over no class are NaN (lines 205-209)."""
    row = {"key": "v", "truth": (0, 9), "label": 2,
           "spots": [{"peak": 5, "interval": (0, 9), "score": 1.0, "true_positive": True, "predicted_class": 2}]}
    paper = pipeline.summarise([row], 3, config=PAPER)
    assert paper["analysis"]["f1"] == 1.0 and paper["strs"] == 1.0
    code = pipeline.summarise([row], 3, config=ORIGINAL)
    assert np.isnan(code["analysis"]["f1"]) and np.isnan(code["analysis"]["uf1"]) and np.isnan(code["strs"])
    assert code["spotting"]["f1"] == 1.0


def test_code_analysis_counts_a_class_only_with_a_two_by_two_matrix():
    """y_true [0, 0, 1], y_pred [0, 2, 1]: classes 0, 1, 2 all have both labels. TP/FP/FN: class 0 1/0/1,
    class 1 1/0/0, class 2 0/1/0. F1_c = 2/3, 1, 0 -> UF1 5/9; precision 1, 1, 0 -> 2/3; recall 1/2, 1, 0/0
    = NaN -> 0 for the precision-recall F1 (line 204): R = 1/2, F1 = 2 (2/3)(1/2) / (7/6) = 4/7; but UAR
    keeps the NaN (``ar_list``, line 209)."""
    code = metrics.analysis_scores([0, 0, 1], [0, 2, 1], classes="code")
    assert code["uf1"] == pytest.approx(5 / 9) and code["precision"] == pytest.approx(2 / 3)
    assert code["recall"] == pytest.approx(0.5) and code["f1"] == pytest.approx(4 / 7)
    assert np.isnan(code["uar"])
    # every sample of one class, all predicted right: 1 x 1 matrices again -> NaN
    assert np.isnan(metrics.analysis_scores([1, 1, 1], [1, 1, 1], classes="code")["f1"])
    # one TP predicted wrong: classes 1 (gt) and 2 (pred) count, P = R = 0, F1 = 0 / 0
    wrong = metrics.analysis_scores([1], [2], classes="code")
    assert wrong["uf1"] == 0.0 and np.isnan(wrong["f1"])


# ---------------------------------------------------------------- CASME II samples


def _casme2_infos(path):
    from data_prep.coding_sheets import read_coding_sheet

    rows = read_coding_sheet(path, "casme2")[0]
    return [SampleInfo(key=f"casme2/sub{r['subject']:02d}/{r['sample']}", dataset="casme2",
                       subject=f"sub{r['subject']:02d}", sample=r["sample"], n_frames=0, onset=r["onset"],
                       apex=r["apex"], offset=r["offset"], emotion=r["emotion"]) for r in rows]


def test_casme2_sample_exclusions_of_the_code(casme2_coding):
    """load_label.py:17 keeps the 5 emotions (drops fear 2, sadness 4: 249 of 255); line 52 drops a
    non-integer apex (sub04 EP12_01f, '/'), line 53 the sample whose 0-based (onset, apex, offset) is
    (65, 110, 110) (sub12 EP09_06): 247. The paper preset drops the 5 MEGC-excluded samples instead: 244."""
    infos = _casme2_infos(casme2_coding)
    assert len(infos) == 255

    def counts(config):
        kept = [i for i in pipeline.select_samples(infos, config) if pipeline.class_index(i, 5) is not None]
        return Counter(pipeline.CASME2_CLASSES[pipeline.class_index(i, 5)] for i in kept), kept

    code, kept = counts(ORIGINAL)
    assert dict(code) == {"disgust": 61, "happiness": 32, "others": 99, "surprise": 28, "repression": 27}
    assert sum(code.values()) == 247
    dropped = {(i.subject, i.sample) for i in infos if pipeline.class_index(i, 5) is not None} - \
        {(i.subject, i.sample) for i in kept}
    assert dropped == {("sub04", "EP12_01f"), ("sub12", "EP09_06")}
    paper, kept = counts(PAPER)
    assert sum(paper.values()) == 244 and ("sub12", "EP09_06") in {(i.subject, i.sample) for i in kept}


# ---------------------------------------------------------------- analysis pairs out of step ('others')


def test_an_others_me_puts_the_code_analysis_pairs_out_of_step():
    """training_utils.py:139 appends the voted class, line 150 the truth's, with convertLabel raising
    KeyError for 'others' in between (swallowed, lines 153-155); train_evaluate.py:215-218 pairs by position.
    Video 1: TP on an 'others' ME (voted 0), TP on a negative ME (voted 0); video 2: TP on a surprise ME
    (voted 2). cur_pred [0, 0, 2], cur_tp_gt [0, 2]: pairs (0, 0) and (2, 0), so the surprise TP is scored
    with the class voted for the negative one."""
    spot = lambda match, voted: {"peak": 5, "interval": (0, 9), "score": 1.0, "true_positive": True,
                                 "match": match, "predicted_class": voted}
    rows = [{"key": "v1", "truths": [(0, 9), (20, 29)], "labels": [None, 0], "truth": (0, 9), "label": None,
             "spots": [spot(0, 0), spot(1, 0)]},
            {"key": "v2", "truths": [(0, 9)], "labels": [2], "truth": (0, 9), "label": 2, "spots": [spot(0, 2)]}]
    assert pipeline.code_analysis_pairs(rows) == [(0, 0), (2, 0)]
    own = pipeline.summarise(rows, 3, config=PAPER)["analysis"]
    assert own["n"] == 2 and own["accuracy"] == 1.0                 # (0, 0) and (2, 2)
    code = pipeline.summarise(rows, 3, config=ORIGINAL)["analysis"]
    assert code["n"] == 2 and code["accuracy"] == 0.5
    # an FP on a video whose last ME is 'others' also drops its -1 entry: the shift happens without a TP
    fp = {"peak": 40, "interval": (40, 49), "score": 0.5, "true_positive": False, "match": None,
          "predicted_class": 1}
    rows[0]["spots"] = [fp]
    rows[0]["labels"] = [0, None]
    assert pipeline.code_analysis_pairs(rows) == [(2, 1)]
