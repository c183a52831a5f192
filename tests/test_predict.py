"""`mer predict` and micro_expr.stff.predict on a tiny trained demo run (real faces, synthetic movements).

The run: 2 demo people x 3 clips (one per MEGC class), trained with
leave-one-subject-out (2 folds), m = 1 (tracing m encoders per region is
what costs time here; m = 4 and 9 are tested on built models in
test_attention.py), one spatial epoch and three temporal epochs. Such a
model is no good, but it is a real trained run: predicting a clip from its
frames must give exactly what the run's own evaluation gave.
"""
import json
import shutil

import numpy as np
import pytest

from data_prep.errors import InputError, NoFaceError

from tests.helpers import TINY_SCHEDULE  # noqa: F401  (the demo_run fixture's schedule, conftest.py)


def sample_frames(run, record):
    """The folder and frame range (onset..offset, what the cache holds) of a demo sample."""
    return run / "dataset" / record["subject"] / record["filename"], (record["onset"], record["offset"])


def held_out(run, fold_index=0):
    """(fold entry, its predictions.json) of a fold."""
    from micro_expr.core.run_folder import RunFolder

    folder = RunFolder(run)
    fold = folder.read()["folds"][fold_index]
    return fold, folder.fold_predictions(fold)


@pytest.fixture(scope="module")
def loaded():
    return {}  # fold name -> fitted STFF, shared by the tests of this module (loading costs seconds)


@pytest.mark.slow
def test_predict_reproduces_the_held_out_prediction_of_its_fold(demo_run, loaded):
    from micro_expr.stff.predict import predict

    run, truth = demo_run
    fold, predictions = held_out(run)
    record = next(r for r in truth if f"casme2/{r['subject']}/{r['filename']}" == predictions[0]["key"])
    folder, frames = sample_frames(run, record)
    result = predict(run, folder, fold=fold["name"], frames=frames, loaded=loaded)

    probabilities = np.array(list(result["probabilities"].values()))
    assert result["folds"] == [fold["name"]]
    assert result["classes"] == ["negative", "positive", "surprise"]
    assert probabilities.sum() == pytest.approx(1.0, abs=1e-5)
    assert result["predicted"] == result["classes"][predictions[0]["predicted"]]
    np.testing.assert_allclose(probabilities, predictions[0]["probabilities"], atol=1e-4)
    assert 0 < probabilities.max() < 0.9999, "saturated outputs would make this comparison weak"
    assert result["n_frames"] == record["offset"] - record["onset"] + 1


@pytest.mark.slow
def test_ensemble_averages_the_folds_and_reports_attention_per_patch_and_region(demo_run, loaded):
    from micro_expr.stff.predict import predict

    run, truth = demo_run
    record = truth[0]
    folder, frames = sample_frames(run, record)
    result = predict(run, folder, fold="all", frames=frames, loaded=loaded)

    assert len(result["folds"]) == 2
    per_fold = np.array([list(f["probabilities"].values()) for f in result["per_fold"].values()])
    np.testing.assert_allclose(list(result["probabilities"].values()), per_fold.mean(axis=0), atol=1e-6)
    assert result["regions"] == ["R0", "R1", "R2", "R3", "R4", "R5"]
    n_frames, m = record["offset"] - record["onset"] + 1, TINY_SCHEDULE["spatial.patches"]
    assert result["config"]["patches"] == m
    for name in result["regions"]:
        spatial = result["spatial_attention"][name]
        assert np.shape(spatial["mean"]) == (m,)
        assert np.shape(spatial["per_frame"]) == (n_frames, m)
        assert all(0 < w < 1 for w in spatial["mean"])            # sigmoid gates
        assert len(result["feature_change"][name]) == n_frames
        assert result["feature_change"][name][0] == 0
    weights = result["temporal_attention"]
    assert set(weights) == set(result["regions"]) and all(0 < w < 1 for w in weights.values())
    assert result["top_region"] == max(weights, key=weights.get)
    assert result["face_canvas"].shape == (280, 240, 3)


def test_predict_on_a_real_face_video(demo_run, face_clips, tmp_path, loaded):
    import cv2

    from micro_expr.stff.predict import predict

    run, _ = demo_run
    video = tmp_path / "clip.avi"
    frames = face_clips["single_face"]
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 25, frames.shape[2:0:-1])
    for frame in frames:
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    result = predict(run, video, fold="0", loaded=loaded)
    assert result["n_frames"] == len(frames)
    assert sum(result["probabilities"].values()) == pytest.approx(1.0, abs=1e-5)
    part = predict(run, video, fold="0", frames=(2, 6), loaded=loaded)
    assert part["n_frames"] == 5


@pytest.mark.slow
def test_cli_prints_probabilities_and_writes_the_report(demo_run, tmp_path, capsys):
    from micro_expr.cli import main

    run, truth = demo_run
    folder, (onset, offset) = sample_frames(run, truth[1])
    out = tmp_path / "report"
    assert main(["predict", "--run", str(run), str(folder), "--frames", f"{onset}-{offset}",
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    report = json.loads((out / "prediction.json").read_text())
    assert f"{report['predicted']}" in printed and "<- predicted" in printed
    assert report["predicted"] in (out / "prediction.md").read_text()
    for name in ("patch_attention", "patch_attention_frames", "region_attention", "feature_change"):
        png = out / f"{name}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and 5_000 < png.stat().st_size < 200_000


# --- errors ----------------------------------------------------------------------------------

def test_a_clip_without_a_face_is_refused(demo_run, face_clips, loaded, capsys):
    from data_prep.pyfeat_media import media_path
    from micro_expr.cli import main
    from micro_expr.stff.predict import predict

    run, _ = demo_run
    with pytest.raises(NoFaceError, match="no face"):
        predict(run, face_clips["no_face"], fold="0", loaded=loaded)
    video = media_path("no_face.mp4")
    assert main(["predict", "--run", str(run), str(video), "--frames", "0-5"]) == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("mer predict: error:")]
    assert len(errors) == 1 and "no_face.mp4: no face found" in errors[0]  # one line, no traceback


def test_too_few_frames_are_refused(demo_run, tmp_path):
    from micro_expr.stff.predict import predict

    run, truth = demo_run
    folder, (onset, _) = sample_frames(run, truth[0])
    with pytest.raises(InputError, match="at least 2 frames"):
        predict(run, folder, frames=(onset, onset))
    single = tmp_path / "single"
    single.mkdir()
    shutil.copy(next(folder.glob("*.jpg")), single / "img1.jpg")
    with pytest.raises(InputError, match="at least 2 frames"):
        predict(run, single)


def test_missing_folds_and_checkpoints_are_refused(demo_run, tmp_path):
    from micro_expr.cli import main
    from micro_expr.stff.predict import predict
    from micro_expr.core.run_folder import RunFolder

    run, truth = demo_run
    folder, _ = sample_frames(run, truth[0])
    with pytest.raises(InputError, match="no fold 'casme2/sub99'"):
        predict(run, folder, fold="casme2/sub99")
    with pytest.raises(InputError, match="not a run folder"):
        predict(tmp_path, folder)

    # A copy of the run with fold 0 finished but its checkpoints gone, and fold 1 unfinished.
    broken = tmp_path / "broken"
    broken.mkdir()
    shutil.copy(run / "run.json", broken / "run.json")
    first, second = RunFolder(run).read()["folds"]
    RunFolder(broken).fold_folder(first).mkdir(parents=True)
    shutil.copy(RunFolder(run).fold_folder(first) / "done.json", RunFolder(broken).fold_folder(first) / "done.json")
    with pytest.raises(InputError, match=r"00_casme2_sub01: \S+ is missing; delete the folder .* to train that fold anew"):
        predict(broken, folder, fold="all")
    with pytest.raises(InputError, match="is not finished"):
        predict(broken, folder, fold=second["name"])
    assert main(["predict", "--run", str(broken), str(folder)]) == 2


def test_prep_settings_come_from_the_run_or_must_be_given(demo_run, tmp_path):
    from data_prep.config import PRESETS
    from micro_expr.stff.predict import prep_config_of

    run, _ = demo_run
    assert prep_config_of(run) == PRESETS["clean"]
    description = json.loads((run / "run.json").read_text())
    moved = tmp_path / "moved"
    moved.mkdir()
    # run.json records the preparation settings: the cache is not needed any more.
    (moved / "run.json").write_text(json.dumps({**description, "cache": str(tmp_path / "gone.h5")}))
    assert prep_config_of(moved) == PRESETS["clean"]
    # An older run.json without them, whose cache is gone: the user must say.
    older = {key: value for key, value in description.items() if key != "prep_config"}
    (moved / "run.json").write_text(json.dumps({**older, "cache": str(tmp_path / "gone.h5")}))
    with pytest.raises(InputError, match="--prep-preset"):
        prep_config_of(moved)


def test_input_errors_name_the_input(demo_run, tmp_path):
    from micro_expr.stff.predict import parse_frame_range, predict

    run, _ = demo_run
    with pytest.raises(InputError, match="no such video file or frame folder"):
        predict(run, tmp_path / "missing.mp4")
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(InputError, match="not a frame folder or a video"):
        predict(run, tmp_path / "notes.txt")
    with pytest.raises(InputError, match="FIRST-LAST"):
        parse_frame_range("40-17")


def test_a_long_video_is_refused_before_it_is_read_and_a_range_reads_only_its_frames(tmp_path):
    """`mer predict` on a long video: without --frames it is refused at once, naming the memory it would take;
    with --frames only those frames are kept (the rest are decoded one at a time and dropped)."""
    import time

    import cv2

    from micro_expr.stff.clips import MAX_FRAMES_WITHOUT_RANGE, clip_frames

    path = tmp_path / "long.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25, (64, 48))
    frame = np.zeros((48, 64, 3), np.uint8)
    for index in range(MAX_FRAMES_WITHOUT_RANGE + 200):
        frame[:] = index % 256
        writer.write(frame)
    writer.release()
    started = time.perf_counter()
    with pytest.raises(InputError, match=r"long.avi: 1200 frames of 64 x 48; reading them all would take about "
                                         r"0.0 GB .* --frames FIRST-LAST \(at most 1000 without it\)"):
        clip_frames(path)
    assert time.perf_counter() - started < 1.0            # refused from the header, nothing decoded
    label, numbers, named = clip_frames(path, (1100, 1109))
    assert numbers == list(range(1100, 1110)) and len(named) == 10
    assert all(np.abs(image.astype(int) - (number % 256)).max() <= 3 for number, (_, image) in zip(numbers, named))


def test_a_numbering_gap_in_a_frame_folder_is_a_warning(tmp_path, face_clips):
    """Frames 10, 11, 13, 14: the models would see 11 and 13 as neighbours; `mer predict` says so (issue 23 item 8)."""
    from data_prep.config import PRESETS
    from micro_expr.stff.clips import prepare_clip
    from tests.helpers import write_frames

    folder = tmp_path / "clip"
    write_frames(folder, face_clips["single_face"][:2], first=10)
    write_frames(folder, face_clips["single_face"][3:5], first=13)
    prepared = prepare_clip(folder, PRESETS["clean"])
    assert prepared["frame_numbers"] == [10, 11, 13, 14]
    assert prepared["warnings"] == [f"{folder}: frame numbers have gaps (missing 12); the frames around them are "
                                    f"used as if consecutive"]
    assert prepare_clip(folder, PRESETS["clean"], frames=(13, 14))["warnings"] == []


def test_a_clip_longer_than_the_model_reads_is_cut_to_its_n_frames_before_decoding(tmp_path):
    """Issue 25: 472 frames of which the model read 30, without a word; now only those N are prepared, and why."""
    import cv2

    from micro_expr.stff.predict import frames_the_model_reads

    folder = tmp_path / "clip"
    folder.mkdir()
    for number in range(10, 50):   # 40 frame names: only the names are read here
        (folder / f"img{number}.jpg").write_bytes(b"")
    post = {"sequence_length": 30, "truncating": "post"}
    assert frames_the_model_reads(folder, None, "all frames", post) == (
        (10, 39), "the first 30 of 40 frames: the temporal model reads N = 30 (temporal.sequence_length, "
                  "temporal.truncating 'post'); --frames FIRST-LAST chooses others")
    frames, note = frames_the_model_reads(folder, None, "all frames", {**post, "truncating": "pre"})
    assert frames == (20, 49) and note.startswith("the last 30 of 40 frames")
    assert frames_the_model_reads(folder, (12, 45), "frames given", post) == ((12, 45), "frames given")
    assert frames_the_model_reads(folder, None, "all frames", {**post, "sequence_length": 40}) == (None, "all 40 frames")

    video = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 25, (64, 48))
    for _ in range(50):
        writer.write(np.zeros((48, 64, 3), np.uint8))
    writer.release()
    assert frames_the_model_reads(video, None, "all frames", post)[0] == (0, 29)
    assert frames_the_model_reads(np.zeros((31, 8, 8, 3), np.uint8), None, "all frames", post)[0] == (0, 29)


def test_predict_says_which_frames_and_folds_first_and_prepares_only_those(demo_run, face_clips, tmp_path, capsys):
    from micro_expr.cli import main
    from tests.helpers import TINY_SCHEDULE, write_frames

    run, _ = demo_run
    n = TINY_SCHEDULE["temporal.sequence_length"]
    folder = tmp_path / "long_clip"
    write_frames(folder, np.concatenate([face_clips["single_face"], face_clips["single_face"]]), first=10)   # 24
    assert main(["predict", "--run", str(run), str(folder), "--out", str(tmp_path / "report")]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[0] == (f"{folder}: frames 10-{9 + n} (the first {n} of 24 frames: the temporal model reads N = {n} "
                        f"(temporal.sequence_length, temporal.truncating 'post'); --frames FIRST-LAST chooses "
                        f"others); 2 fold(s): casme2/sub01, casme2/sub02")
    assert lines[1] == f"{folder}: frames 10-{9 + n} ({n} frames); folds: casme2/sub01, casme2/sub02"
    assert "frames: 100%" in captured.err and "folds: 100%" in captured.err   # the progress bars
    report = json.loads((tmp_path / "report" / "prediction.json").read_text())
    assert report["n_frames"] == n and report["frame_range"] == f"10-{9 + n}"
