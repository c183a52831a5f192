"""CASME II for MEAN from the frame files (the authors' own preparation), not from the region cache.

The authors read each CASME2-RAW clip whole (load_images.py:46-60), cut the face with dlib's detector
rectangle of the first frame (face_crop.py) and spotted the highest peak per clip (prepare_training.py:
33-36). The region cache keeps only the landmark box, so that crop cannot be rebuilt from it;
``data_prep.long_videos.read_casme2_clips`` + ``micro_expr.mean.long_video`` read the frames instead.
"""
from types import SimpleNamespace

import pytest

from data_prep import long_videos
from data_prep.long_videos import Expression, LongVideo
from micro_expr.mean import config as mean_config
from micro_expr.mean import long_video

PAPER, ORIGINAL = mean_config.get_preset("paper"), mean_config.get_preset("original")


def _clip(subject, sample, emotion, onset=2, apex=4, offset=5):
    return LongVideo("casme2", subject, sample, None, list(range(1, 7)), [None] * 6,
                     [Expression(onset, apex, offset, emotion, None, "sheet")], 200.0)


def test_casme2_clips_are_selected_as_the_code_selects_samples():
    clips = [_clip("sub01", "EP01_01", "happiness"), _clip("sub01", "EP02_01", "fear"),     # fear: not one of 5
             _clip("sub04", "EP12_01f", "disgust", apex=None),                              # apex '/'
             _clip("sub12", "EP09_06", "disgust", onset=66, apex=111, offset=111),           # the code's index error
             _clip("sub24", "EP07_01", "others")]                                            # MEGC-excluded
    keys = lambda videos: [(v.subject, v.video) for v in videos]
    assert keys(long_video.select_videos(clips, ORIGINAL)) == [("sub01", "EP01_01"), ("sub24", "EP07_01")]
    assert keys(long_video.select_videos(clips, PAPER)) == [("sub01", "EP01_01"), ("sub12", "EP09_06")]
    assert long_video.spots_every_peak("casme2", ORIGINAL) is False    # one ME per clip: the highest peak
    video = _clip("sub01", "EP01_01", "surprise")
    assert long_video.truths_and_labels(video, 5, ORIGINAL) == ([(1, 4)], [3])   # CASME II class order


def test_casme2_reader_gives_whole_clips(face_clips, tmp_path):
    from tests.conftest import write_frames, write_sheet

    write_frames(tmp_path / "sub01" / "EP01_01", face_clips["single_face"][:6], first=1)
    write_sheet(tmp_path / "coding.xlsx", [(1, "EP01_01", 2, 5, "Surprise")])
    videos, failures = long_videos.read_long_videos("casme2", tmp_path, tmp_path / "coding.xlsx")
    assert not failures and len(videos) == 1
    video = videos[0]
    assert (video.key, video.n_frames, video.fps, video.intervals()) == ("casme2/sub01/EP01_01", 6, 200.0, [(1, 4)])
    assert video.expressions[0].emotion == "surprise"


@pytest.mark.slow
def test_casme2_published_weights_on_clips_read_from_frames(mean_weights, face_clips, tmp_path):
    """`mer train --system mean --protocol long-video --datasets casme2 --preset original`: the 26 published
    CASME2 folds on 26 subjects, fold s<i> = i-th subject; the detector crop from the frame files."""
    from micro_expr.cli import main
    from micro_expr.core.run_folder import RunFolder
    from tests.conftest import write_frames, write_sheet

    emotions = ("disgust", "happiness", "others", "surprise", "repression")
    rows = []
    for s in range(1, 27):
        write_frames(tmp_path / f"sub{s:02d}" / "EP01_01", face_clips["single_face"][:6], first=1)
        rows.append((s, "EP01_01", 2, 5, emotions[s % 5]))
    write_frames(tmp_path / "sub01" / "EP02_01", face_clips["single_face"][:6], first=1)
    rows.append((1, "EP02_01", 2, 5, "fear"))    # not one of the 5 classes: left out, as the code does
    write_sheet(tmp_path / "coding.xlsx", rows)
    out = tmp_path / "run"
    assert main(["train", "--system", "mean", "--protocol", "long-video", "--datasets", "casme2",
                 "--root", str(tmp_path), "--coding", str(tmp_path / "coding.xlsx"), "--out", str(out),
                 "--preset", "original", "--no-progress", "--set", f"weights={mean_weights}",
                 "--set", "flow=farneback", "--set", "flow_seconds=0.01"]) == 0
    run = RunFolder(out).read()
    assert [f["name"] for f in run["folds"]][:3] == ["casme2/sub01", "casme2/sub02", "casme2/sub03"]
    predictions = RunFolder(out).predictions()
    assert len(predictions) == 26 and all(len(p["spots"]) == 1 for p in predictions)
    assert {p["num_classes"] for p in predictions} == {5}
    assert {p["fold"] for p in predictions if p["subject"] == "casme2/sub10"} == {10}
    results = RunFolder(out).results()
    assert results["folds"] == 26 and results["spotting"]["tp"] + results["spotting"]["fn"] == 26
    assert run["config"]["face_crop"] == "detector" and results["tvl1_matches_authors"] is True
