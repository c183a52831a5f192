"""MEAN (Liong et al. 2023): features, spotting post-processing and metrics on hand-made examples, and `mer train --system mean`."""
import json
import shutil

import numpy as np
import pytest

from micro_expr.mean import features, metrics, spotting
from tests.helpers import _face_landmarks, install_fake_cache, smooth_texture

# ---------------------------------------------------------------- features (section 3.1)


def test_flow_distance_is_a_tenth_of_a_second():
    assert [features.flow_distance(fps) for fps in (200, 100, 30, 25, 5)] == [20, 10, 3, 3, 1]


def test_optical_strain_of_a_linear_flow_is_constant():
    rows, cols = np.mgrid[0:20, 0:30].astype(float)  # y, x
    a, b, c, d = 0.1, 0.2, -0.05, 0.3
    u, v = a * cols + b * rows, c * cols + d * rows  # u_x = a, u_y = b, v_x = c, v_y = d
    expected = np.sqrt(a ** 2 + d ** 2 + 0.5 * (b + c) ** 2)  # MEAN Eq. 3: sqrt(0.11125) = 0.33354
    np.testing.assert_allclose(features.optical_strain(u, v), expected, atol=1e-12)
    assert expected == pytest.approx(0.333542, abs=1e-6)


def test_a_rotation_has_no_strain_and_a_translation_neither():
    rows, cols = np.mgrid[0:10, 0:10].astype(float)
    np.testing.assert_allclose(features.optical_strain(-rows, cols), 0, atol=1e-12)  # u = -y, v = x
    np.testing.assert_allclose(features.optical_strain(np.full((10, 10), 3.0), np.ones((10, 10))), 0)


def test_tvl1_flow_finds_a_one_pixel_shift():
    image = smooth_texture((128, 128))
    flow = features.optical_flow(image, np.roll(image, 1, axis=1))  # content moves 1 px to the right
    assert flow.shape == (128, 128, 2)
    assert np.median(flow[20:-20, 20:-20, 0]) == pytest.approx(1.0, abs=0.1)
    assert np.median(flow[20:-20, 20:-20, 1]) == pytest.approx(0.0, abs=0.1)


def test_canvas_faces_undo_the_contain_resize():
    from data_prep.face import contain_resize

    box = (10, 20, 110, 140)  # 100 wide, 120 high -> 233 x 280 on the 240 x 280 canvas, 3 px bars
    assert features.canvas_content_box(box) == (3, 0, 236, 280)
    frame = np.repeat(smooth_texture((200, 150), seed=1)[..., None], 3, axis=2)
    crop = frame[20:140, 10:110]
    canvas = contain_resize(crop)
    faces, landmarks = features.canvas_faces(canvas[None], box, np.array([[10, 20], [110, 140], [60, 80]]))
    direct = features._resize(crop, (128, 128))
    assert faces.shape == (1, 128, 128, 3)
    assert np.abs(faces[0].astype(int) - direct.astype(int)).mean() < 2.0
    np.testing.assert_allclose(landmarks, [[0, 0], [128, 128], [64, 64]], atol=1e-9)


def test_roi_boxes_have_a_12_pixel_margin():
    boxes = features.roi_boxes(_face_landmarks())
    assert boxes == {"left_eye": (8, 18, 62, 57), "right_eye": (66, 18, 120, 57), "mouth": (32, 78, 96, 117)}


@pytest.mark.parametrize("layout", ["paper", "code"])
def test_rois_are_assembled_eyes_on_top_mouth_below(layout):
    rows, cols = np.mgrid[0:128, 0:128].astype(np.float32)
    feature_map = np.stack([rows, cols, np.zeros_like(rows)], axis=-1)  # channel 0 = y, channel 1 = x
    assembled = features.assemble_rois(feature_map, features.roi_boxes(_face_landmarks()), layout)
    assert assembled.shape == (42, 42, 3)
    assert 18 <= assembled[:21, :, 0].min() and assembled[:21, :, 0].max() <= 57   # eye rows
    assert 78 <= assembled[21:, :, 0].min() and assembled[21:, :, 0].max() <= 117  # mouth rows
    left, right = assembled[:21, :21, 1], assembled[:21, 21:, 1]
    if layout == "paper":  # each eye on its own 21 x 21 piece
        assert left.max() <= 62 and right.min() >= 66
    else:  # one piece across both eyes, including the gap between them
        assert np.any((left > 62) | (right < 66))


def test_flow_features_are_normalised_to_the_unit_range():
    image = smooth_texture((128, 128), seed=2)
    result = features.flow_features(image, np.roll(image, 2, axis=0), _face_landmarks(), method="farneback")
    assert result.shape == (42, 42, 3) and result.dtype == np.float32
    assert result.min() >= 0.0 and result.max() <= 1.0


def test_video_features_from_rgb_frames_with_given_landmarks():
    landmarks = _face_landmarks()
    landmarks[[18, 25, 8]] = [[28, 25], [100, 25], [64, 125]]  # face box: x 20..108, y 25..125
    image = np.repeat(smooth_texture((160, 140), seed=3)[..., None], 3, axis=2)
    frames = np.stack([np.roll(image, shift, axis=0) for shift in (0, 1, 2)])
    faces, on_face = features.crop_faces(frames, landmarks)
    assert faces.shape == (3, 128, 128, 3)
    np.testing.assert_allclose(on_face[17], [0, (30 - 25) * 128 / 100])
    result = features.video_spotting_features(frames, fps=10, landmarks=landmarks, method="farneback")
    assert result.shape == (2, 42, 42, 3)  # k = 1 -> pairs (0, 1) and (1, 2)
    streams = features.split_streams(result)
    assert [x.shape for x in streams] == [(2, 42, 42, 1)] * 3
    np.testing.assert_array_equal(streams[2][..., 0], result[..., 2])


@pytest.mark.slow
def test_real_face_clip_gives_usable_features(face_clips):
    frames = face_clips["single_face"][:5]  # real video frames; dlib finds the face on the first
    faces, landmarks = features.crop_faces(frames)
    boxes = features.roi_boxes(landmarks)
    assert all(x1 - x0 > 20 and y1 - y0 > 10 for x0, y0, x1, y1 in boxes.values())
    assert boxes["mouth"][1] > boxes["left_eye"][1]  # the mouth is below the eyes
    result = features.video_spotting_features(frames, fps=10)  # k = 1: four TV-L1 pairs
    assert result.shape == (4, 42, 42, 3)
    assert np.isfinite(result).all() and result.min() >= 0 and result.max() <= 1
    assert result.std(axis=(1, 2)).min() > 0.01  # no channel is flat


def test_a_clip_without_a_face_is_refused_by_name(face_clips):
    from data_prep.errors import NoFaceError

    with pytest.raises(NoFaceError, match="no_face.mp4"):
        features.crop_faces(face_clips["no_face"][:2], source="no_face.mp4")


# ---------------------------------------------------------------- spotting (sections 3.3-3.4)


def test_half_expression_length():
    assert spotting.half_expression_length([(0, 10), (5, 25)]) == 8  # N = 15, (15 + 1) / 2


def test_pseudo_labels_mark_windows_that_overlap_the_expression():
    # window [j, j + 2] (k' = 3) overlaps [8, 11] for j = 6 .. 11 (MEAN Eqs. 5-6)
    labels = spotting.pseudo_labels(20, [(8, 11)], k_prime=3)
    assert labels.tolist() == [0] * 6 + [1] * 6 + [0] * 8


def test_smoothing_averages_2k_plus_1_frames_and_drops_the_borders():
    smoothed = spotting.smooth_scores([0, 0, 0, 3, 0, 0, 0], k_prime=1)  # MEAN Eq. 11, window of 3
    assert np.isnan(smoothed[[0, 6]]).all()
    np.testing.assert_allclose(smoothed[1:6], [0, 1, 1, 1, 0])


def test_clips_shorter_than_the_window_still_get_one_spot():
    scores = [1, 1, 1, 5]
    assert np.isnan(spotting.smooth_scores(scores, 2)).all()  # 4 scores < 2k' + 1 = 5
    # windows cut at the ends: [0..2], [0..3], [0..3], [1..3]
    np.testing.assert_allclose(spotting.smooth_scores(scores, 2, borders="shrink"), [1, 2, 2, 7 / 3])
    assert [s["peak"] for s in spotting.spot_video(scores, 2, multiple=False)] == [3]
    assert spotting.spot_video(scores, 2, multiple=True) == []  # long videos keep MEAN Eq. 11 strictly


def test_threshold_and_peaks():
    smoothed = np.array([np.nan, 1, 2, 5, 2, 1, 4, 1, np.nan])
    # MEAN Eq. 12: mean 16/7, max 5 -> T = 16/7 + 0.55 (5 - 16/7) = 3.7786
    assert spotting.peak_threshold(smoothed, 0.55) == pytest.approx(16 / 7 + 0.55 * (5 - 16 / 7))
    assert spotting.find_spot_peaks(smoothed, k_prime=2, multiple=True) == [3, 6]
    assert spotting.find_spot_peaks(smoothed, k_prime=4, multiple=True) == [3]   # 6 is closer than k'
    assert spotting.find_spot_peaks(smoothed, k_prime=2, p=0.9, multiple=True) == [3]  # T = 4.73
    assert spotting.find_spot_peaks(smoothed, k_prime=2, multiple=False) == [3]


def test_spotted_intervals_and_the_emotion_vote():
    assert spotting.spotted_interval(10, 3) == (7, 12)        # [F_p - k', F_p + k' - 1]
    assert spotting.onset_to_apex_interval(10, 3) == (7, 9)   # case 1, [F_p - k', F_p - 1]
    probabilities = np.eye(3)[[0, 0, 0, 0, 0, 0, 0, 2, 1, 2, 1, 1, 1]]  # classes of frames 0..12
    assert spotting.vote_emotion(probabilities, 10, 3) == 2   # frames 7, 8, 9 -> 2, 1, 2


# ---------------------------------------------------------------- metrics (section 4.2)


def test_interval_iou_counts_frames():
    assert metrics.interval_iou((0, 9), (5, 14)) == pytest.approx(5 / 15)
    assert metrics.interval_iou((0, 9), (10, 19)) == 0.0
    assert metrics.interval_iou((3, 5), (3, 5)) == 1.0
    assert metrics.interval_iou((1, 10), (0, 9)) == pytest.approx(9 / 11)


def test_spotting_counts_and_f1():
    videos = [([(0, 9)], [(1, 10)]),                 # IoU 9/11: TP
              ([(0, 9), (30, 39)], [(5, 14)])]       # IoU 1/3 and 0: two FP, one FN
    tp, fp, fn = metrics.spotting_counts(videos, 0.5)
    assert (tp, fp, fn) == (1, 2, 1)
    scores = metrics.precision_recall_f1(tp, fp, fn)
    assert scores == pytest.approx({"precision": 1 / 3, "recall": 1 / 2, "f1": 2 / 5})  # MEAN Eq. 16: 2 / (2 + 2 + 1)
    # MEAN Table 5, CASME II spotting: TP 159, FP 85, FN 85 -> F1 0.6516
    assert metrics.precision_recall_f1(159, 85, 85)["f1"] == pytest.approx(0.6516, abs=1e-4)


def test_a_ground_truth_is_matched_once():
    assert metrics.match_intervals([(0, 9), (0, 9)], [(0, 9)]) == [0, None]


def test_average_precision_by_hand():
    videos = [([((0, 9), 0.9), ((50, 59), 0.8)], [(0, 9)]),   # exact hit, then a miss
              ([((21, 30), 0.7)], [(20, 29)])]                  # IoU 9/11 = 0.818
    # IoU 0.5: ranks TP, FP, TP -> precision 1, 1/2, 2/3 at recall 1/2, 1/2, 1
    # interpolated: 1 up to recall 1/2, 2/3 up to 1 -> AP = 0.5 * 1 + 0.5 * 2/3 (MEAN Eq. 17)
    assert metrics.average_precision(videos, 0.5) == pytest.approx(0.5 + 1 / 3)
    assert metrics.average_precision(videos, 0.85) == pytest.approx(0.5)   # the second hit becomes FP
    # 7 thresholds (0.5 .. 0.8) give 5/6, 3 thresholds (0.85 .. 0.95) give 1/2
    assert metrics.average_precision_range(videos) == pytest.approx((7 * 5 / 6 + 3 * 0.5) / 10)


def test_average_precision_uses_the_interpolated_precision():
    videos = [([((40, 49), 0.95), ((0, 9), 0.9)], [(0, 9)]), ([((20, 29), 0.8)], [(20, 29)])]
    # ranks FP, TP, TP: precision 0, 1/2, 2/3 at recall 0, 1/2, 1; P_interp(1/2) = 2/3, not 1/2
    assert metrics.average_precision(videos, 0.5) == pytest.approx(0.5 * 2 / 3 + 0.5 * 2 / 3)


def test_analysis_scores_by_hand():
    y_true, y_pred = [0, 0, 1, 1, 2], [0, 1, 1, 1, 0]
    # class 0: P 1/2 R 1/2 F1 1/2; class 1: P 2/3 R 1 F1 4/5; class 2: P 0 R 0 F1 0
    scores = metrics.analysis_scores(y_true, y_pred)
    precision, recall = (1 / 2 + 2 / 3) / 3, (1 / 2 + 1) / 3
    assert scores["precision"] == pytest.approx(precision)                     # MEAN Eq. 20
    assert scores["recall"] == pytest.approx(recall)                           # MEAN Eq. 19
    assert scores["f1"] == pytest.approx(2 * precision * recall / (precision + recall))  # MEAN Eq. 21: 0.4375
    assert scores["uf1"] == pytest.approx((1 / 2 + 4 / 5) / 3)                 # MEAN Eq. 22
    assert scores["uar"] == pytest.approx(0.5)                                 # MEAN Eq. 23
    assert scores["accuracy"] == pytest.approx(3 / 5)                          # MEAN Eq. 18


def test_strs_multiplies_the_two_f1_scores():
    assert metrics.strs(0.5, 0.4375) == pytest.approx(0.21875)
    assert metrics.strs(0.6516, 0.5927) == pytest.approx(0.3862, abs=1e-4)  # MEAN Table 5, CASME II


def test_apex_spotting_rate():
    assert metrics.apex_spotting_rate([5, 10, 20], [(0, 10), (0, 10), (15, 30)]) == pytest.approx(2 / 3)


# ---------------------------------------------------------------- `mer train --system mean` on a fake cache


def _copy_folds(mean_weights, folder, folds):
    folder.mkdir(parents=True)
    for fold in folds:
        shutil.copy(mean_weights / "SMIC_VIS" / "spot_recog" / f"s{fold}.hdf5", folder / f"s{fold}.hdf5")


def test_mean_evaluate_runs_the_published_folds(mean_weights, tmp_path, monkeypatch, capsys):
    from micro_expr.cli import main

    install_fake_cache(monkeypatch)
    _copy_folds(mean_weights, tmp_path / "weights" / "spot_recog", (1, 2))
    out = tmp_path / "out"
    assert main(["train", "--system", "mean", "--set", f"weights={tmp_path / 'weights'}", "--set", "roi_layout=code",
                 "--cache", "fake.h5", "--out", str(out), "--no-progress"]) == 0
    summary = json.loads((out / "results.json").read_text())
    spot, analysis = summary["spotting"], summary["analysis"]
    assert (summary["k"], summary["k_prime"]) == (1, 1)  # 10 fps; N = 5 - 3 = 2 -> k' = 1
    assert spot["tp"] + spot["fn"] == 2 and spot["tp"] + spot["fp"] == 2  # one truth, one spot per video
    assert analysis["n"] == spot["tp"]
    assert summary["strs"] == pytest.approx(spot["f1"] * analysis["f1"])
    from micro_expr.mean.pipeline import run_rows

    rows = run_rows(out)
    assert [row["fold"] for row in rows] == [1, 2]
    assert all(int(row["last"]) - int(row["first"]) == 1 for row in rows)  # 2k' frames
    assert "STRS" in capsys.readouterr().out


def test_mean_evaluate_refuses_fold_files_that_do_not_fit_the_subjects(mean_weights, tmp_path, monkeypatch,
                                                                      capsys):
    from micro_expr.cli import main

    install_fake_cache(monkeypatch)
    _copy_folds(mean_weights, tmp_path / "weights", (1, 2, 3))
    code = main(["train", "--system", "mean", "--set", f"weights={tmp_path / 'weights'}", "--set", "roi_layout=code",
                 "--cache", "fake.h5",
                 "--out", str(tmp_path / "out")])
    assert code == 2
    error = capsys.readouterr().err
    assert "3 fold files for the 2 subjects" in error and str(tmp_path / "weights") in error


def test_mean_train_runs_a_tiny_fold(tmp_path, monkeypatch):
    from micro_expr.cli import main

    install_fake_cache(monkeypatch)
    out = tmp_path / "train"
    assert main(["train", "--system", "mean", "--cache", "fake.h5", "--out", str(out), "--set", "epochs_spot=1",
                 "--set", "epochs_recog=1", "--set", "flow=farneback", "--folds", "0", "--partial",
                 "--no-progress"]) == 0
    summary = json.loads((out / "results.json").read_text())
    assert summary["folds"] == 1 and summary["classes"] == ["negative", "positive", "surprise"]
    assert summary["spotting"]["tp"] + summary["spotting"]["fn"] == 1  # only subject s1 was held out
    assert (out / "folds" / "00_smic_s1" / "mean.keras").is_file()  # the run folder layout of every system
