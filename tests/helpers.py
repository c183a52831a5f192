"""Helpers shared by the test files (fixtures live in conftest.py); import from here, never from a test file."""
import json
import os
from pathlib import Path

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
