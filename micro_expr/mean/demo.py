"""MEAN on the bundled demo through ``mer train --system mean --demo`` (the same runner as every system).

MEAN spots on every frame pair (F_i, F_{i+k}), k = FPS x 0.10 s = 20 at the demo's CASME II rate of 200 fps,
so a clip needs more than 20 frames. The STFF demo cache holds each clip's onset..offset only (14-23
frames), so MEAN's demo prepares the same quick demo dataset (real faces, synthetic movements) again with
every frame of each clip folder (30) and the whole-face canvases MEAN reads, into ``<out>/cache.h5``.
Built once and reused: the dataset under ``$MER_CACHE_DIR/demo``, the cache (written atomically) in the run
folder. Scores on it say whether MEAN's pipeline learns, nothing about CASME II.
"""
from dataclasses import replace
from pathlib import Path

# The demo's schedule unless --set gives another: the authors' main.py (train_test(epochs_spot=10,
# epochs_recog=100), the ``original`` preset's), not the paper's 200 / 800 epochs.
DEMO_SCHEDULE = {"epochs_spot": 10, "epochs_recog": 100}
DEMO_NOTE = ("MEAN on the bundled quick demo (real faces, synthetic micro-movements, every frame of each clip): "
             "the scores say whether the pipeline learns; they say nothing about CASME II, SMIC-E or the long videos.")


def demo_cache(out, seed=0, workers=2, progress=True):
    """The quick demo prepared for MEAN (every frame, face canvases) at ``<out>/cache.h5``; returns its path."""
    from data_prep.datasets import read_casme2
    from data_prep.demo.build import build_demo_dataset
    from data_prep.errors import InputError
    from data_prep.prepare import prepare_samples
    from micro_expr.demo import demo_data_folder, demo_prep_config

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    cache = out / "cache.h5"
    dataset = build_demo_dataset(demo_data_folder(), seed=seed, size="quick", progress=progress)
    prep = replace(demo_prep_config("strict", store_face=True), frames="all")
    samples, failures = read_casme2(dataset.root, dataset.coding_sheet, prep.frames, prep.frame_order)
    summary = prepare_samples(samples, cache, prep, failures, workers=workers, progress=progress)
    if summary.failures:
        raise InputError(f"{dataset.root}: {len(summary.failures)} demo samples could not be prepared for MEAN")
    return cache
