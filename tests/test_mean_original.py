"""MEAN's 'original' preset (the authors' code) against the 'paper' one, on hand-computed cases.

Each test shows one difference: the same input gives the paper's answer with
the paper's value of the field and the code's answer with the code's value.
"""
from pathlib import Path

import numpy as np
import pytest

from micro_expr.mean import config as mean_config
from micro_expr.mean import features, metrics, pipeline, spotting, synthetic

# ---------------------------------------------------------------- presets as data


def test_original_preset_flips_exactly_the_documented_fields():
    paper, original = mean_config.get_preset("paper"), mean_config.get_preset("original")
    changed = {name for name in paper.to_dict() if getattr(paper, name) != getattr(original, name)}
    assert changed == {"preset", *mean_config.PRESET_OVERRIDES["original"]}
    assert (original.epochs_spot, original.epochs_recog, original.ratio) == (10, 100, 5)   # the code's main.py
    assert (paper.epochs_spot, paper.epochs_recog, paper.ratio) == (200, 800, 8)           # the paper, section 4.3
    for field, value in mean_config.PRESET_OVERRIDES["original"].items():   # each field flips alone
        assert getattr(mean_config.get_preset("paper", **{field: value}), field) == value


def test_bad_field_values_are_refused():
    with pytest.raises(ValueError, match="smoothing"):
        mean_config.get_preset("paper", smoothing="median")
    with pytest.raises(ValueError, match="k_prime"):
        mean_config.get_preset("paper", k_prime=0)


def test_k_prime_can_be_set_and_the_paper_table_holds_its_values():
    assert mean_config.K_PRIME_PAPER == {"casme2": 34, "smic_hs": 17, "smic_vis": 4, "smic_nir": 4,
                                         "casme_sq": 6, "sammlv": 37}
    info = type("Info", (), {"onset": 1, "offset": 11, "frame_numbers": list(range(1, 21)), "n_frames": 20,
                             "key": "x"})()
    assert pipeline.k_prime_for(mean_config.get_preset("paper"), [info]) == 5   # N = 10 -> (10 + 1) / 2
    assert pipeline.k_prime_for(mean_config.get_preset("paper", k_prime=34), [info]) == 34


def test_casme2_sample_set_244_or_249():
    from data_prep.protocols import MEGC_CASME2_EXCLUDED

    info = type("Info", (), {})
    samples = []
    for subject, sample in [("sub01", "EP02_01f"), *MEGC_CASME2_EXCLUDED]:
        item = info()
        item.dataset, item.subject, item.sample = "casme2", subject, sample
        samples.append(item)
    assert len(pipeline.select_samples(samples, mean_config.get_preset("paper"))) == 1
    assert len(pipeline.select_samples(samples, mean_config.get_preset("paper", casme2_megc_excluded=False))) == 6


# ---------------------------------------------------------------- spotting post-processing (section 3.4)


def test_code_smoothing_is_an_even_zero_padded_window_that_keeps_the_borders():
    scores = [0, 0, 0, 3, 0, 0, 0]
    # paper, MEAN Eq. 11 with k' = 1: mean of [i-1, i+1], ends dropped
    np.testing.assert_allclose(spotting.smooth_scores(scores, 1), [np.nan, 0, 1, 1, 1, 0, np.nan])
    # code: mean of [i-1, i] over 2k' = 2 frames, zeros outside: the bump is shifted half a frame later
    np.testing.assert_allclose(spotting.smooth_scores(scores, 1, method="same"), [0, 0, 0, 1.5, 1.5, 0, 0])
    # it is numpy's convolve(..., mode="same") with a box of 2k' ones / 2k', as the code called it
    rng = np.random.default_rng(0).random(30)
    np.testing.assert_allclose(spotting.smooth_scores(rng, 4, method="same"),
                               np.convolve(rng, np.ones(8) / 8, mode="same"))


def test_code_spots_can_sit_on_the_border_and_are_one_frame_longer():
    scores = [5, 0, 0, 0, 0, 0, 0, 0]
    paper = spotting.spot_video(scores, 2, multiple=False)
    code = spotting.spot_video(scores, 2, multiple=False, smoothing="same", interval_end=0)
    # paper: frames 0, 1 dropped; smoothed[2] = 5 / 5 = 1 is the peak -> [2 - 2, 2 + 2 - 1]
    assert (paper[0]["peak"], paper[0]["interval"], paper[0]["score"]) == (2, (0, 3), 1.0)
    # code: smoothed [1.25, 1.25, 1.25, 0, ...], first maximum at 0 -> [0 - 2, 0 + 2]
    assert (code[0]["peak"], code[0]["interval"], code[0]["score"]) == (0, (-2, 2), 1.25)


def test_code_adds_a_dummy_false_positive_when_no_peak_is_found():
    flat = np.zeros(20)   # no local maximum at all, in either smoothing
    assert spotting.spot_video(flat, 2, multiple=True) == []
    dummy = spotting.spot_video(flat, 2, multiple=True, smoothing="same", empty_spot="dummy")
    assert dummy == [{"peak": 0, "interval": (0, 0), "score": 0.0}]
    # a constant 1 is no longer flat for the code: its zero padding lowers the ends, so the middle is a peak
    assert [s["peak"] for s in spotting.spot_video(np.ones(20), 2, multiple=True, smoothing="same")] == [10]
    # the dummy counts: one FP in a video with one truth -> F1 0 instead of undefined precision
    assert metrics.spotting_counts([([s["interval"] for s in dummy], [(5, 10)])]) == (0, 1, 1)


def test_table7_smoothing_functions_weight_the_centre_more():
    scores = np.zeros(11)
    scores[5] = 1.0
    box = spotting.smooth_scores(scores, 2)
    gauss = spotting.smooth_scores(scores, 2, method="gaussian1")
    assert box[5] == pytest.approx(1 / 5)
    weights = np.exp(-0.5 * np.arange(-2, 3) ** 2)  # sigma 1 over 2k' + 1 = 5 frames
    assert gauss[5] == pytest.approx(1 / weights.sum())
    assert np.isnan(gauss[[0, 1, 9, 10]]).all()


# ---------------------------------------------------------------- metrics (section 4.2)


def test_iou_of_exactly_one_half_is_a_hit_in_both_presets():
    """MEAN Eq. 14 and the authors' check_box (Utils/mean_average_precision/.../utils.py:196: ``iou >= threshold``)."""
    videos = [([(0, 9)], [(0, 19)])]   # 10 / 20 frames
    for name in ("paper", "original"):
        assert mean_config.get_preset(name).hit_rule == ">="
    assert metrics.spotting_counts(videos, 0.5, rule=">=") == (1, 0, 0)
    assert metrics.spotting_counts(videos, 0.5, rule=">") == (0, 1, 1)    # the ablation: strictly above


def test_code_ap_keeps_dataset_order():
    videos = [([((0, 9), 0.2)], [(0, 9)]),        # a hit with a low score
              ([((50, 59), 0.9)], [(20, 29)])]    # a miss with a high score
    # by score: FP then TP -> precision 0, 1/2 at recall 0, 1/2 -> AP = 1/2 x 1/2
    assert metrics.average_precision(videos, 0.5, order="score") == pytest.approx(0.25)
    # dataset order: TP then FP -> precision 1 at recall 1/2 -> AP = 1/2
    assert metrics.average_precision(videos, 0.5, order="dataset") == pytest.approx(0.5)


def test_code_analysis_averages_over_true_and_predicted_classes():
    y_true, y_pred = [0, 0, 1], [0, 2, 1]
    paper = metrics.analysis_scores(y_true, y_pred)
    code = metrics.analysis_scores(y_true, y_pred, classes="union")
    # classes {0, 1}: P (1 + 1) / 2 = 1, R (1/2 + 1) / 2 = 3/4 -> F1 6/7
    assert paper["f1"] == pytest.approx(6 / 7) and paper["uf1"] == pytest.approx((2 / 3 + 1) / 2)
    # classes {0, 1, 2}: class 2 adds P = R = F1 = 0 -> P 2/3, R 1/2, F1 4/7
    assert code["f1"] == pytest.approx(4 / 7) and code["uf1"] == pytest.approx(5 / 9)
    assert code["uar"] == pytest.approx(0.5)


def test_summarise_follows_the_config():
    rows = [{"key": "a", "truth": (0, 19), "label": 0,
             "spots": [{"peak": 5, "interval": (0, 9), "score": 1.0, "true_positive": True, "predicted_class": 0}]}]
    assert pipeline.summarise(rows, 3)["spotting"]["tp"] == 1
    assert pipeline.summarise(rows, 3, config=mean_config.get_preset("original"))["spotting"]["tp"] == 1
    strict = pipeline.summarise(rows, 3, config=mean_config.get_preset("paper", hit_rule=">"))["spotting"]
    assert (strict["tp"], strict["fp"], strict["fn"]) == (0, 1, 1)


# ---------------------------------------------------------------- both presets on identical synthetic scores


def test_both_presets_on_identical_casme_like_scores():
    videos = synthetic.casme_like_videos(40, seed=3)
    results = synthetic.compare_presets(videos, 34)
    for name in ("paper", "original"):
        f1, ap, strs = (results[name][key] for key in ("f1", "ap_50_95", "strs"))
        assert 0 < f1 < 1 and 0 < ap < f1 and strs == pytest.approx(f1 * results[name]["analysis_f1"])
    # one spot per short video in both presets: TP + FP = number of videos
    for name in ("paper", "original"):
        assert results[name]["tp"] + results[name]["fp"] == 40
    assert results["paper"] != results["original"]
    # one field at a time: the interval end alone can only turn misses into hits here (one frame longer
    # to the right), the strict IoU rule (an ablation, in neither preset) only hits into misses
    effects = synthetic.field_effects(videos, 34)
    strict = synthetic.score_config(videos, 34, mean_config.get_preset("paper", hit_rule=">"))
    assert effects["interval_end"]["tp"] >= results["paper"]["tp"] >= strict["tp"]


# ---------------------------------------------------------------- features: strain, crop, flow (section 3.1)


def test_backward_strain_is_exact_for_a_linear_flow_except_on_the_first_row_and_column():
    rows, cols = np.mgrid[0:6, 0:8].astype(float)
    a, b, c, d = 0.1, 0.2, -0.05, 0.3
    u, v = a * cols + b * rows, c * cols + d * rows
    strain = features.optical_strain(u, v, "backward")
    np.testing.assert_allclose(strain[1:, 1:], np.sqrt(a ** 2 + d ** 2 + 0.5 * (b + c) ** 2))
    assert strain[0, 0] == 0.0                                                  # no neighbour before
    np.testing.assert_allclose(strain[0, 1:], np.sqrt(a ** 2 + 0.5 * c ** 2))   # u_y = v_y = 0 on row 0


def test_backward_and_central_strain_differ_on_a_curved_flow():
    cols = np.tile(np.arange(10.0), (4, 1))
    u, v = cols ** 2, np.zeros_like(cols)   # u_x = 2x: central 2x, backward 2x - 1
    assert features.optical_strain(u, v)[2, 5] == pytest.approx(10.0)
    assert features.optical_strain(u, v, "backward")[2, 5] == pytest.approx(9.0)


def _box_iou(a, b):
    overlap = max(0, min(a[2], b[2]) - max(a[0], b[0])) * max(0, min(a[3], b[3]) - max(a[1], b[1]))
    area = lambda box: (box[2] - box[0]) * (box[3] - box[1])  # noqa: E731
    return overlap / (area(a) + area(b) - overlap)


def test_detector_crop_on_real_frames(face_clips):
    from data_prep.face import detect_landmarks, face_box

    frames = face_clips["single_face"][:3]
    detector = features.detector_box(frames[0])
    landmark = face_box(detect_landmarks(frames[0]))
    # the detector's rectangle is wider than the landmark box and reaches above the eyebrows
    assert detector[0] < landmark[0] and detector[2] > landmark[2] and detector[1] < landmark[1]
    assert 0.4 < _box_iou(detector, landmark) < 0.8
    faces, landmarks = features.crop_faces(frames, mode="detector")
    assert faces.shape == (3, 128, 128) and faces.dtype == np.uint8          # grey, from the JPEG
    boxes = features.roi_boxes(landmarks)                                    # landmarks found again on the crop
    assert boxes["mouth"][1] > boxes["left_eye"][3] - 24 and boxes["left_eye"][2] <= boxes["right_eye"][2]
    assert 0 <= landmarks.min() and landmarks.max() <= 130
    paper_faces, _ = features.crop_faces(frames)
    assert paper_faces.shape == (3, 128, 128, 3)


def test_jpeg_round_trip_changes_the_pixels_a_little():
    from tests.helpers import smooth_texture

    image = np.repeat(smooth_texture((64, 64))[..., None], 3, axis=2)
    grey = features.jpeg_gray(image)
    assert grey.shape == (64, 64)
    difference = np.abs(grey.astype(int) - features.to_gray(image[None])[0].astype(int))
    assert 0 < difference.mean() < 2


def test_detector_crop_from_a_stored_face_canvas(face_clips):
    from data_prep.face import contain_resize, crop_box, detect_landmarks, face_box

    frames = face_clips["single_face"][:2]
    landmarks = detect_landmarks(frames[0])
    box = face_box(landmarks)
    canvases = np.stack([contain_resize(crop_box(frame, box)) for frame in frames])   # what the cache stores
    faces, on_face = features.canvas_faces(canvases, box, landmarks, mode="detector")
    assert faces.shape == (2, 128, 128)
    boxes = features.roi_boxes(on_face)
    assert boxes["mouth"][1] > boxes["left_eye"][1]


def test_strain_modes_on_real_frames_change_only_the_strain_channel(face_clips):
    faces, landmarks = features.crop_faces(face_clips["single_face"][:4])
    gray = features.to_gray(faces)
    central = features.flow_features(gray[0], gray[3], landmarks, method="farneback")
    backward = features.flow_features(gray[0], gray[3], landmarks, method="farneback", strain="backward")
    np.testing.assert_array_equal(central[..., :2], backward[..., :2])   # u and v untouched
    difference = np.abs(central[..., 2] - backward[..., 2])
    assert difference.mean() > 0.003 and difference.max() > 0.1   # measured: mean 0.0076, max 0.30


def _texture(shape, seed):
    """A smooth texture from NumPy only, identical under every OpenCV (bilinear upsampled noise)."""
    noise = np.random.default_rng(seed).random((shape[0] // 4 + 2, shape[1] // 4 + 2))
    ys, xs = np.linspace(0, noise.shape[0] - 1.001, shape[0]), np.linspace(0, noise.shape[1] - 1.001, shape[1])
    y0, x0 = ys.astype(int), xs.astype(int)
    fy, fx = (ys - y0)[:, None], (xs - x0)[None]
    image = (noise[y0][:, x0] * (1 - fy) * (1 - fx) + noise[y0 + 1][:, x0] * fy * (1 - fx)
             + noise[y0][:, x0 + 1] * (1 - fy) * fx + noise[y0 + 1][:, x0 + 1] * fy * fx)
    return (image * 255).astype(np.uint8)


def test_tvl1_flow_against_the_authors_opencv():
    """The flow of OpenCV 4.11 (the authors' range, 4.5.1 .. 4.11) was stored once; newer OpenCV differs."""
    assert features.tvl1_matches_authors("4.5.1") and features.tvl1_matches_authors("4.11.0")
    assert not features.tvl1_matches_authors("4.12.0") and not features.tvl1_matches_authors("5.0.0")
    assert not features.tvl1_matches_authors("4.5.0")
    image = _texture((64, 64), 0)
    flow = features.optical_flow(image, np.roll(image, 1, axis=1))
    reference = np.load(Path(__file__).parent / "data" / "tvl1_opencv4_11.npy")
    if features.tvl1_matches_authors():
        np.testing.assert_array_equal(flow, reference)
    else:   # measured with 5.0.0: max 0.57 px, mean 0.01 px apart; both find the 1-px shift
        assert not np.array_equal(flow, reference)
        assert np.abs(flow - reference).mean() < 0.05
    assert np.median(reference[..., 0]) == pytest.approx(1.0, abs=0.01)


# ---------------------------------------------------------------- ablation switches (MEAN Tables 6, 8, 9)


def test_table8_interval_cases_vote_over_different_frames():
    probabilities = np.eye(3)[[0, 0, 0, 0, 0, 0, 0, 2, 1, 2, 1, 1, 1, 1]]   # classes of frames 0..13
    assert spotting.voted_interval(10, 3) == (7, 9)                    # case 1: [F_p - k', F_p - 1]
    assert spotting.voted_interval(10, 3, "apex") == (10, 10)          # case 2: [F_p]
    assert spotting.voted_interval(10, 3, "onset_offset") == (7, 12)   # case 3: [F_p - k', F_p + k' - 1]
    assert spotting.vote_emotion(probabilities, 10, 3) == 2            # 2, 1, 2
    assert spotting.vote_emotion(probabilities, 10, 3, "apex") == 1    # frame 10
    assert spotting.vote_emotion(probabilities, 10, 3, "onset_offset") == 1   # 2, 1, 2, 1, 1, 1


def test_table6_k_follows_flow_seconds():
    assert [pipeline.flow_k(mean_config.get_preset("paper", flow_seconds=s), 200) for s in (0.05, 0.1, 0.15)] == \
        [10, 20, 30]


@pytest.mark.slow
def test_without_inductive_transfer_recognition_has_its_own_trunk():
    rng = np.random.default_rng(0)
    samples = [pipeline.PreparedSample(None, rng.random((12, 42, 42, 3), dtype=np.float32), (4, 8), label,
                                       rng.random((42, 42, 3), dtype=np.float32)) for label in (0, 1, 2)]
    config = mean_config.get_preset("paper", epochs_spot=1, epochs_recog=1, inductive_transfer=False)
    model, history = pipeline.train_fold(samples, 3, 2, config)
    spot, recog = pipeline.predict(model, samples[0].spot_features)
    assert spot.shape == (12,) and recog.shape == (12, 3) and set(history) == {"spot", "recog"}
    # the spotting trunk stayed trainable (nothing was frozen), the recognition one is another network
    assert all(layer.trainable for layer in model.layers if layer.name.endswith("_conv"))
