"""Helpers shared by the test files (fixtures live in conftest.py); import from here, never from a test file."""
import json
import os
from pathlib import Path
from types import SimpleNamespace

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("MER_SHARED_DATA", REPO.parent / "shared" / "data"))
SEEDS = SHARED_DATA.parent / "seeds"


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


TINY_SCHEDULE = {
    "spatial.patches": 1, "spatial.epochs": 1, "spatial.batch_size": 32,
    "temporal.epochs": 3, "temporal.batch_size": 4, "temporal.sequence_length": 16,
    # Smaller initial weights than the paper's normal(0, 1), whose softmax outputs are all 0 or 1:
    # graded probabilities make the comparison with the run's predictions a real check.
    "temporal.lstm_init": 0.01, "temporal.dense_init": 0.1, "temporal.classifier_init": "glorot_uniform",
}


def build_trained_run(base):
    """Build (or reuse, the run resumes) the tiny demo run under ``base``; returns (run folder, ground truth)."""
    from data_prep.config import PRESETS as PREP_PRESETS
    from data_prep.datasets import read_casme2
    from data_prep.demo.build import build_demo_dataset
    from data_prep.prepare import prepare_samples
    from micro_expr.stff.config import get_preset
    from micro_expr.core.runner import run_protocol
    from micro_expr.stff.system import STFF

    dataset = build_demo_dataset(base / "data", seed=3, size="quick", subjects=2, samples_per_subject=3)
    samples, failures = read_casme2(dataset.root, dataset.coding_sheet)
    assert not failures
    run = base / "run"
    run.mkdir(parents=True, exist_ok=True)
    prepare_samples(samples, run / "cache.h5", PREP_PRESETS["clean"], progress=False)
    (run / "dataset").unlink(missing_ok=True)
    (run / "dataset").symlink_to(dataset.root.resolve(), target_is_directory=True)  # as `mer demo` links it
    run_protocol(STFF(get_preset("strict", **TINY_SCHEDULE)), run / "cache.h5", run)
    return run, json.loads(dataset.ground_truth.read_text())["samples"]


def seed_text(key):
    """The stored text of paper ``key`` (a key of micro_expr.papers.SOURCES), or skip saying it is absent."""
    import pytest

    from micro_expr.papers import SOURCES

    path = SEEDS / SOURCES[key].seed_file
    if not path.is_file():
        pytest.skip(f"seed text of {key} ({path}) is absent (it comes with ../shared/seeds beside the repo)")
    return path.read_text(encoding="utf-8")


# --- MEAN on a fake region cache (tests/test_mean_*.py, test_runner.py, test_run_integrity.py) ---------------------

def smooth_texture(shape, seed=0):
    import cv2

    noise = np.random.default_rng(seed).random(shape).astype(np.float32)
    blurred = cv2.GaussianBlur(noise, (0, 0), 3)
    return ((blurred - blurred.min()) / np.ptp(blurred) * 255).astype(np.uint8)


def _face_landmarks():
    """The dlib points used by the ROIs, on a 128 x 128 face: brows at y 30, eyes to y 45, mouth y 90-105."""
    points = np.zeros((68, 2))
    points[[17, 19, 21]] = [[20, 30], [35, 30], [50, 30]]
    points[[22, 24, 26]] = [[78, 30], [93, 30], [108, 30]]
    points[[41, 46]] = [[35, 45], [93, 45]]
    points[[60, 64, 50, 57]] = [[44, 98], [84, 98], [64, 90], [64, 105]]
    return points


class FakeCache:
    """The part of ``data_prep.cache.RegionCache`` that MEAN uses."""

    def __init__(self, path, samples, canvases):
        self.path, self.samples, self._canvases = Path(path), samples, canvases
        self.config = SimpleNamespace(frames="all")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def face(self, key):
        return self._canvases[key]

    def landmarks(self, key):
        return _face_landmarks() * [240 / 128, 280 / 128]   # the box below is the whole canvas

    def face_box(self, key):
        return np.array([0, 0, 240, 280])


def _canvas(n_frames, first, last, seed):
    """A textured 240 x 280 face whose mouth area moves up during frames first..last."""
    image = smooth_texture((280, 240), seed)
    frames = []
    for t in range(n_frames):
        frame = image.copy()
        if first <= t <= last:
            frame[190:235, 60:180] = np.roll(image[190:235, 60:180], -2 * (t - first + 1), axis=0)
        frames.append(np.repeat(frame[..., None], 3, axis=2))
    return np.stack(frames)


def install_fake_cache(monkeypatch, subjects=("s1", "s2"), n_frames=8):
    """Make ``RegionCache(path)`` return a fake cache: one SMIC-like sample per subject, 10 fps (k = 1)."""
    import data_prep.cache
    from data_prep.cache import SampleInfo
    from data_prep.labels import MEGC_CLASSES

    samples, canvases = [], {}
    for index, subject in enumerate(subjects):
        key = f"smic/{subject}/{subject}_ne_01"
        samples.append(SampleInfo(key, "smic", subject, f"{subject}_ne_01", n_frames, list(range(1, n_frames + 1)),
                                  onset=3, apex=4, offset=5, emotion="negative",
                                  megc_class=MEGC_CLASSES[index % 3], fps=10.0))
        canvases[key] = _canvas(n_frames, 2, 4, seed=index)
    monkeypatch.setattr(data_prep.cache, "RegionCache", lambda path: FakeCache(path, samples, canvases))
    return samples


# The quick GIA + BIA network shrunk to what a test trains in seconds.
GIA_BIA_TINY = dict(size=32, backbone_width=1 / 16, block_cells=2, block_units=4, global_units=8, attention_units=4,
                    lstm_units=4, head_units=(8, 6), frames=3, epochs=1, batch_size=4, learning_rate=1e-3,
                    freeze_transfer=False, rotation=0.0, crop=0.0)


# --- long videos: a CAS(ME)^2 tree of blank frames and its code_final.xlsx ---------------------------------

def _frames(folder, numbers, name="img{}.jpg"):
    import cv2

    folder.mkdir(parents=True, exist_ok=True)
    for number in numbers:
        cv2.imwrite(str(folder / name.format(number)), np.full((8, 8, 3), number % 255, np.uint8))


def _casme_sq_tree(root):
    import pandas as pd

    rawpic = root / "rawpic"
    _frames(rawpic / "s15" / "15_0101disgustingteeth", range(1, 41))
    _frames(rawpic / "s15" / "15_0102eatingworms", range(1, 31))
    _frames(rawpic / "s16" / "16_0101disgustingteeth", range(1, 31))
    _frames(rawpic / "s2" / "2_0101disgustingteeth", range(1, 31))   # natural order: s2 before s15
    rows = [  # subject number, video name, onset, apex, offset, AUs, emotion, type, self-report
        (1, "disgustingteeth_1", 5, 8, 12, "4", "negative", "micro-expression", "disgust"),
        (1, "disgustingteeth_1", 20, 22, 0, "12", "positive", "micro-expression", "happy"),   # offset 0 -> apex
        (1, "disgustingteeth_1", 30, 33, 39, "4", "negative", "macro-expression", "disgust"),  # not an ME
        (1, "eatingworms_2", 3, 4, 9, "1+2", "surprise", "micro-expression", "surprise"),
        (2, "disgustingteeth_1", 3, 5, 8, "14", "others", "micro-expression", "?"),           # spotting only
        (3, "disgustingteeth_1", 10, 12, 15, "4", "negative", "micro-expression", "disgust"),
    ]
    coding = root / "code_final.xlsx"
    with pd.ExcelWriter(coding) as writer:
        pd.DataFrame(rows).to_excel(writer, sheet_name="code", header=False, index=False)
        pd.DataFrame([("casme_015", "s15", 1), ("casme_016", "s16", 2), ("casme_002", "s2", 3)]).to_excel(
            writer, sheet_name="naming rule2", header=False, index=False)
        pd.DataFrame([("0101", "disgustingteeth"), ("0102", "eatingworms")]).to_excel(
            writer, sheet_name="naming rule1", header=False, index=False)
    return coding
