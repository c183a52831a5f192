"""Long-video readers (CAS(ME)^2, SAMM-LV, SMIC-E) on synthetic trees in each layout, and long-video spotting."""
import json

import numpy as np
import pandas as pd
import pytest

from data_prep import long_videos
from tests.helpers import _casme_sq_tree, _frames
from data_prep.errors import InputError


def test_casme_sq_reader_groups_several_mes_per_video(tmp_path):
    coding = _casme_sq_tree(tmp_path)
    videos, failures = long_videos.read_casme_sq(tmp_path, coding)
    assert not failures
    by_key = {v.key: v for v in videos}
    assert sorted(by_key) == ["casme_sq/s15/15_0101disgustingteeth", "casme_sq/s15/15_0102eatingworms",
                              "casme_sq/s16/16_0101disgustingteeth", "casme_sq/s2/2_0101disgustingteeth"]
    teeth = by_key["casme_sq/s15/15_0101disgustingteeth"]
    assert [(e.onset, e.offset, e.megc_class) for e in teeth.expressions] == [(5, 12, "negative"),
                                                                             (20, 22, "positive")]
    assert teeth.intervals() == [(4, 11), (19, 21)] and teeth.n_frames == 40 and teeth.fps == 30.0
    assert by_key["casme_sq/s16/16_0101disgustingteeth"].expressions[0].megc_class is None   # 'others'
    assert long_videos.fold_subjects(videos) == ["s2", "s15", "s16"]


def test_sammlv_reader_takes_emotions_from_the_samm_sheet(tmp_path):
    folder = tmp_path / "SAMM_longvideos"
    _frames(folder / "006_1", range(1, 51), "006_1_{:04d}.jpg")
    _frames(folder / "007_3", range(1, 41), "007_3_{:04d}.jpg")
    _frames(folder / "010_2", range(1, 41), "010_2_{:04d}.jpg")
    rows = [("006", "006_1_1", "1", 5, 8, 12, 8, "Micro - 1/2", "4", ""),
            ("006", "006_1_2", "1", 20, 25, 30, 11, "Micro - 1/2", "12", ""),
            ("006", "006_1_3", "1", 35, 40, 48, 14, "Macro", "12", ""),
            ("007", "007_3_1", "3", 0, 10, 30, 30, "Micro - 1/2", "4", ""),     # onset 0: left out
            ("010", "010_2_1", "2", 4, 6, 9, 6, "Micro - 1/2", "1+2", "")]
    sheet = tmp_path / "SAMM_LongVideos_V2_Release.xlsx"
    pd.DataFrame([["note"]] * 9 + [["Subject"]] + [list(r) for r in rows]).to_excel(sheet, header=False,
                                                                                     index=False)
    samm = tmp_path / "samm.xlsx"
    header = pd.DataFrame([["notes"]] * 13)
    body = pd.DataFrame({"Subject": ["006", "006", "007", "010"],
                         "Filename": ["006_1_1", "006_1_2", "007_3_1", "010_2_1"],
                         "Onset Frame": [1] * 4, "Apex Frame": [2] * 4, "Offset Frame": [3] * 4,
                         "Action Units": ["4"] * 4, "Estimated Emotion": ["Anger", "Happiness", "Fear", "Other"]})
    with pd.ExcelWriter(samm) as writer:
        header.to_excel(writer, header=False, index=False)
        body.to_excel(writer, startrow=13, index=False)
    videos, failures = long_videos.read_sammlv(tmp_path, sheet, samm)
    assert not failures
    assert [v.key for v in videos] == ["sammlv/006/006_1", "sammlv/010/010_2"]
    assert [(e.onset, e.offset, e.megc_class) for e in videos[0].expressions] == [(5, 12, "negative"),
                                                                                 (20, 30, "positive")]
    assert videos[1].expressions[0].megc_class is None and videos[0].fps == 200.0
    assert long_videos.fold_subjects(videos) == ["006", "010"]   # 007's only ME had onset 0


@pytest.mark.parametrize("modality, fps", [("HS", 100.0), ("VIS", 25.0), ("NIR", 25.0)])
def test_smic_e_reader_in_each_modality(tmp_path, modality, fps):
    base = tmp_path / f"{modality}_long"
    videos_dir = base / f"SMIC-{modality}-E" / modality
    _frames(videos_dir / "s01" / "s1_ne_01", range(559700, 559730), "image{}.jpg")
    _frames(videos_dir / "s10" / "s10_po_02", range(1000, 1020), "image{}.jpg")
    _frames(videos_dir / "s02" / "s2_sur_01", range(50, 70), "image{}.jpg")
    pd.DataFrame({"Subject": [1, 10, 2, None], "Filename": ["s1_ne_01", "s10_po_02", "s2_sur_01", "note: ..."],
                  "OnsetF": [559705, 1003, 52, None], "OffsetF": [559720, 1011, 60, None],
                  "Emotion": ["negative", "positive", "surprise", None], "FirstF": [559700, 1000, 50, None]}
                 ).to_excel(base / f"SMIC-{modality}-E_annotation.xlsx", index=False)
    videos, failures = long_videos.read_smic_e(tmp_path, modality)
    assert not failures
    prefix = f"smic_{modality.lower()}"
    assert [v.key for v in videos] == [f"{prefix}/s01/s1_ne_01", f"{prefix}/s02/s2_sur_01", f"{prefix}/s10/s10_po_02"]
    assert videos[0].intervals() == [(5, 20)] and videos[0].fps == fps
    assert [v.expressions[0].megc_class for v in videos] == ["negative", "surprise", "positive"]
    assert long_videos.fold_subjects(videos) == ["s01", "s02", "s10"]


def test_missing_folders_are_named(tmp_path):
    with pytest.raises(InputError, match="SMIC-E VIS folder"):
        long_videos.read_smic_e(tmp_path, "VIS")
    with pytest.raises(InputError, match="unknown long-video dataset"):
        long_videos.read_long_videos("casme3", tmp_path)


def test_casme_sq_video_folder_missing_is_a_failure(tmp_path):
    coding = _casme_sq_tree(tmp_path)
    import shutil

    shutil.rmtree(tmp_path / "rawpic" / "s16")
    videos, failures = long_videos.read_casme_sq(tmp_path, coding)
    assert len(videos) == 3 and len(failures) == 1 and "s16" in failures[0].message


# ---------------------------------------------------------------- spotting over a whole long video


def test_long_video_spots_every_peak_and_matches_several_truths():
    from micro_expr.mean import config as mean_config
    from micro_expr.mean import long_video, pipeline

    scores = np.zeros(60)
    scores[10:16] = 1.0    # an ME around frame 12
    scores[40:46] = 1.0    # another one around frame 42
    probabilities = np.eye(3)[np.where(np.arange(60) < 30, 1, 2)]   # class 1 early, class 2 late
    truths, labels = [(9, 16), (39, 46), (50, 55)], [1, 0, None]
    paper = mean_config.get_preset("paper")
    row = long_video.analyse_long_video("v", scores, probabilities, truths, labels, 3, paper)
    # box of 7 frames: plateaus 12..13 and 42..43, peaks at their middle (scipy takes the left one of two)
    assert [s["peak"] for s in row["spots"]] == [12, 42]
    assert [s["interval"] for s in row["spots"]] == [(9, 14), (39, 44)]        # [F_p - 3, F_p + 2]
    assert [s["match"] for s in row["spots"]] == [0, 1]                        # IoU 6/8 each
    assert [s["predicted_class"] for s in row["spots"]] == [1, 2]
    summary = pipeline.summarise([row], 3, config=paper)
    assert (summary["spotting"]["tp"], summary["spotting"]["fp"], summary["spotting"]["fn"]) == (2, 0, 1)
    # analysis over TPs with their own truth's label: (1 -> 1) right, (0 -> 2) wrong
    assert summary["analysis"]["n"] == 2 and summary["analysis"]["accuracy"] == 0.5
    code = long_video.analyse_long_video("v", scores, probabilities, truths, labels, 3,
                                         mean_config.get_preset("original"))
    assert [s["interval"] for s in code["spots"]] == [(10, 16), (40, 46)]       # even window: half a frame later


@pytest.mark.slow
def test_long_video_faces_from_frame_files(face_clips, tmp_path):
    from tests.helpers import write_frames

    from data_prep.long_videos import LongVideo
    from micro_expr.mean import config as mean_config
    from micro_expr.mean import long_video

    write_frames(tmp_path / "v", face_clips["single_face"][:4], first=1)
    video = LongVideo("casme_sq", "s15", "v", tmp_path / "v", [1, 2, 3, 4],
                      [tmp_path / "v" / f"img{n}.jpg" for n in (1, 2, 3, 4)], [], 30.0)
    for name, shape in (("paper", (4, 128, 128)), ("original", (4, 128, 128))):
        config = mean_config.get_preset(name, flow="farneback")
        faces, landmarks = long_video.video_faces(video, config)
        assert faces.shape == shape and landmarks.shape == (68, 2)
        features = long_video.video_features(video, 1, config, faces=(faces, landmarks))
        assert features.shape == (3, 42, 42, 3) and np.isfinite(features).all()


# ---------------------------------------------------------------- the long-video demo


def test_ping_pong_never_jumps():
    from data_prep.demo.long_video import ping_pong

    assert ping_pong(10, 4).tolist() == [0, 1, 2, 3, 2, 1, 0, 1, 2, 3]


def test_planned_mes_keep_neutral_stretches_between_them():
    from data_prep.demo.long_video import plan_events

    events = plan_events(300, 3, np.random.default_rng(0))
    assert len(events) == 3 and events[0].onset >= 40
    for before, after in zip(events, events[1:]):
        assert after.onset - before.offset > 40
    assert all(9 <= e.offset - e.onset + 1 <= 15 and e.onset < e.apex < e.offset for e in events)
    assert events[-1].offset < 300 - 40
    with pytest.raises(ValueError, match="cannot hold"):
        plan_events(100, 3, np.random.default_rng(0))


@pytest.mark.slow
def test_long_video_demo_is_read_back_by_the_casme_sq_reader(pyfeat_wheel, tmp_path):
    import json

    from data_prep.demo.long_video import build_long_video_demo

    truth = build_long_video_demo(tmp_path, seconds=4, n_mes=1, seed=1)
    videos, failures = long_videos.read_casme_sq(tmp_path, tmp_path / "code_final.xlsx")
    assert not failures and len(videos) == 2 and long_videos.fold_subjects(videos) == ["s1", "s2"]
    assert all(v.n_frames == 120 for v in videos)
    assert [(e.onset, e.offset, e.megc_class) for v in videos for e in v.expressions] == \
        [(t["onset"], t["offset"], t["class"]) for t in truth]
    assert json.loads((tmp_path / "truth.json").read_text())["frames"] == 120


# ---------------------------------------------------------------- the published weight sets through their readers

WEIGHT_SET_FOLDS = {"CASME_sq": 14, "SAMMLV": 29, "SMIC_HS": 16, "SMIC_VIS": 8, "SMIC_NIR": 8}


def _tree(weight_set, root, n_subjects, frames):
    """A tree in the reader's layout with one video of ``frames`` and one ME per subject; returns the reader args."""
    from tests.helpers import write_frames

    n = len(frames)
    if weight_set == "CASME_sq":
        for s in range(1, n_subjects + 1):
            write_frames(root / "rawpic" / f"s{s}" / f"{s}_0101demo", frames, first=1)
        with pd.ExcelWriter(root / "code.xlsx") as writer:
            pd.DataFrame([(s, "demo_1", 2, 3, n - 1, "4", "negative", "micro-expression", "")
                          for s in range(1, n_subjects + 1)]).to_excel(writer, header=False, index=False)
            pd.DataFrame([(f"x{s}", f"s{s}", s) for s in range(1, n_subjects + 1)]).to_excel(
                writer, sheet_name="b", header=False, index=False)
            pd.DataFrame([("0101", "demo")]).to_excel(writer, sheet_name="c", header=False, index=False)
        return ("casme_sq", root, root / "code.xlsx", None)
    if weight_set == "SAMMLV":
        names = [f"{s:03d}_1" for s in range(6, 6 + n_subjects)]
        for name in names:
            write_frames(root / "SAMM_longvideos" / name, frames, first=1, name=name + "_{:04d}.jpg")
        rows = [(name[:3], f"{name}_1", "1", 2, 3, n - 1, 3, "Micro - 1/2", "4", "") for name in names]
        pd.DataFrame([["note"]] * 10 + [list(r) for r in rows]).to_excel(root / "lv.xlsx", header=False, index=False)
        with pd.ExcelWriter(root / "samm.xlsx") as writer:
            pd.DataFrame([["notes"]] * 13).to_excel(writer, header=False, index=False)
            pd.DataFrame({"Subject": [r[0] for r in rows], "Filename": [r[1] for r in rows], "Onset Frame": 1,
                          "Apex Frame": 2, "Offset Frame": 3, "Action Units": "4", "Estimated Emotion": "Anger"}
                         ).to_excel(writer, startrow=13, index=False)
        return ("sammlv", root, root / "lv.xlsx", root / "samm.xlsx")
    modality = weight_set.split("_")[1]
    base = root / f"{modality}_long"
    names = [f"s{s}_ne_01" for s in range(1, n_subjects + 1)]
    for s, name in enumerate(names, start=1):
        write_frames(base / f"SMIC-{modality}-E" / modality / f"s{s:02d}" / name, frames, first=100, name="image{}.jpg")
    pd.DataFrame({"Subject": range(1, n_subjects + 1), "Filename": names, "OnsetF": 101, "OffsetF": 100 + n - 2,
                  "Emotion": "negative", "FirstF": 100}).to_excel(base / f"SMIC-{modality}-E_annotation.xlsx",
                                                                  index=False)
    return (f"smic_{modality.lower()}", root, None, None)


@pytest.mark.parametrize("weight_set", sorted(WEIGHT_SET_FOLDS))
@pytest.mark.slow
def test_published_weight_sets_run_through_the_runner(weight_set, mean_weights, face_clips, tmp_path):
    """Every published long-video weight set, all its folds, through its reader and `mer train --protocol
    long-video`, on a synthetic tree with as many subjects."""
    from micro_expr.cli import main
    from micro_expr.core.run_folder import RunFolder

    folds = WEIGHT_SET_FOLDS[weight_set]
    dataset, root, coding, samm = _tree(weight_set, tmp_path, folds, face_clips["single_face"][:5])
    videos, failures = long_videos.read_long_videos(dataset, root, coding, samm)
    assert not failures and len(long_videos.fold_subjects(videos)) == folds
    # quick inputs: Farneback flow, k = 1 frame (the published models only need 42 x 42 x 3 inputs)
    out = tmp_path / "run"
    argv = ["train", "--system", "mean", "--protocol", "long-video", "--datasets", dataset, "--root", str(root),
            "--out", str(out), "--preset", "original", "--no-progress", "--set", f"weights={mean_weights}",
            "--set", "flow=farneback", "--set", "flow_seconds=0.01", "--set", "face_crop=landmarks"]
    argv += (["--coding", str(coding)] if coding else []) + (["--samm-coding", str(samm)] if samm else [])
    assert main(argv) == 0
    results = RunFolder(out).results()
    assert results["folds"] == folds and results["spotting"]["tp"] + results["spotting"]["fn"] == folds
    predictions = RunFolder(out).predictions()
    assert all(p["spots"] for p in predictions)   # the code's dummy spot at least
    if dataset.startswith("smic_"):   # SMIC-E: the highest peak only (prepare_training.py:33-36)
        assert all(len(p["spots"]) == 1 for p in predictions)
    assert results["opencv"] == predictions[0]["opencv"] and results["tvl1_matches_authors"] is True


@pytest.mark.slow
def test_casme2_weights_run_through_the_region_cache_runner(mean_weights, tmp_path, monkeypatch):
    """The sixth weight set, CASME2 (26 folds, 5 classes), is a short-video set: region cache and `mer train --system mean`."""
    import json

    import data_prep.cache
    from data_prep.cache import SampleInfo
    from micro_expr.cli import main
    from tests.helpers import FakeCache, _canvas

    emotions = ("disgust", "happiness", "others", "surprise", "repression")
    samples, canvases = [], {}
    for index in range(26):
        subject = f"sub{index + 1:02d}"
        key = f"casme2/{subject}/EP01_01"
        samples.append(SampleInfo(key, "casme2", subject, "EP01_01", 6, list(range(1, 7)), onset=2, apex=3,
                                  offset=4, emotion=emotions[index % 5], fps=10.0))
        canvases[key] = _canvas(6, 1, 3, seed=index)
    monkeypatch.setattr(data_prep.cache, "RegionCache", lambda path: FakeCache(path, samples, canvases))
    out = tmp_path / "out"
    assert main(["train", "--system", "mean", "--preset", "original", "--set", f"weights={mean_weights}",
                 "--datasets", "casme2", "--cache", "fake.h5", "--out", str(out), "--set", "flow=farneback",
                 "--set", "tvl1_opencv=warn", "--no-progress"]) == 0
    summary = json.loads((out / "results.json").read_text())
    assert summary["folds"] == 26 and len(summary["classes"]) == 5
    assert summary["spotting"]["tp"] + summary["spotting"]["fn"] == 26


# ---------------------------------------------------------------- long videos through the common runner


def test_published_long_video_folds_run_through_the_runner(mean_weights, face_clips, tmp_path, capsys):
    """`mer train --protocol long-video`: run folder, --folds, merge; the same spots as evaluate_published."""
    import json
    import shutil

    from micro_expr.cli import main
    from micro_expr.mean import long_video
    from micro_expr.mean.config import MEANConfig
    from micro_expr.core.run_folder import RunFolder

    dataset, root, coding, _ = _tree("CASME_sq", tmp_path / "data", 2, face_clips["single_face"][:5])
    weights = tmp_path / "weights" / "CASME_sq" / "spot_recog"
    weights.mkdir(parents=True)
    for fold in (1, 2):
        shutil.copy(mean_weights / "CASME_sq" / "spot_recog" / f"s{fold}.hdf5", weights)
    out = tmp_path / "run"
    argv = ["train", "--system", "mean", "--protocol", "long-video", "--datasets", dataset, "--root", str(root),
            "--coding", str(coding), "--out", str(out), "--preset", "original", "--no-progress",
            "--set", "flow=farneback", "--set", "flow_seconds=0.01", "--set", "face_crop=landmarks"]
    assert main(argv) == 2 and "published checkpoints" in capsys.readouterr().err
    assert not out.exists()                                      # refused before the folder was made
    argv += ["--set", f"weights={tmp_path / 'weights'}"]
    assert main(argv + ["--folds", "1"]) == 0                     # one fold: nothing merged yet
    assert not (out / "results.json").exists()
    assert main(argv) == 0 and "STRS" in capsys.readouterr().out  # the other fold, then the merge
    run = RunFolder(out).read()
    assert [f["name"] for f in run["folds"]] == ["casme_sq/s1", "casme_sq/s2"]
    assert run["cache"].startswith("casme_sq long videos") and run["config"]["roi_layout"] == "code"
    results = RunFolder(out).results()
    assert results["folds"] == 2 and results["spotting"]["tp"] + results["spotting"]["fn"] == 2
    assert all("truths" in p for p in RunFolder(out).predictions())
    assert "mean: spot-then-recognise on casme_sq" in (out / "results.md").read_text()

    videos, _ = long_videos.read_long_videos(dataset, root, coding)
    _, direct = long_video.evaluate_published(weights, videos, MEANConfig.from_dict(run["config"]))
    for key in ("spotting", "analysis", "strs", "k", "k_prime"):   # NaN (the code's analysis) equals NaN here
        assert json.dumps(results[key], sort_keys=True) == json.dumps(direct[key], sort_keys=True)
