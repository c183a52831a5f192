"""How long a full MEGC 2019 LOSO run takes on this machine, from measured per-frame and per-step costs.

    python -m benchmarks.full_run_estimate [--preset strict] [--steps 6]

Measures, on random inputs of the real shapes (the cost does not depend on the
pixel values): one spatial training step of all six region models at the
preset's batch size (per frame), feature extraction (per frame), and one
temporal training step at the preset's batch size on clips whose lengths follow
the real coding sheets (``../shared/data`` when present). Then multiplies them
out for the MEGC composite: 442 clips, 68 subjects (folds), the preset's epochs.

Clip lengths: CASME II and SAMM onset..offset from their coding sheets (MEGC
classes only); SMIC-HS has no sheet here, so its 164 clips are taken as 34
frames each (100 fps, cut to the expression). Without the sheets, CASME II and
SAMM clips are taken as 71 and 73 frames (the sheets' means).
"""
import argparse
import math
import os
from pathlib import Path

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

from benchmarks.spatial_throughput import repeat_seconds  # noqa: E402

MEGC_FOLDS = 68
SMIC_CLIPS, SMIC_FRAMES = 164, 34                    # assumption: no SMIC sheet here
FALLBACK = {"casme2": (145, 71), "samm": (133, 73)}  # clips, mean frames (the sheets' figures)
SHEETS = {"casme2": "CASME2-coding-20190701.xlsx", "samm": "SAMM_Micro_FACS_Codes_v2.xlsx"}


def megc_clip_lengths(labels_folder=None):
    """Frames per MEGC clip, onset..offset, from the coding sheets when they are there."""
    from data_prep.coding_sheets import read_coding_sheet
    from data_prep.labels import megc_class
    from data_prep.protocols import MEGC_CASME2_EXCLUDED, _sheet_subject

    lengths, source = [SMIC_FRAMES] * SMIC_CLIPS, {"smic": f"assumed {SMIC_FRAMES} frames x {SMIC_CLIPS}"}
    for dataset, sheet in SHEETS.items():
        path = Path(labels_folder or "") / sheet
        if labels_folder and path.exists():
            rows, _ = read_coding_sheet(path, dataset)
            found = [int(r["offset"]) - int(r["onset"]) + 1 for r in rows
                     if megc_class(dataset, r["emotion"]) is not None
                     and not (dataset == "casme2"
                              and (_sheet_subject(dataset, r["subject"]), r["sample"]) in MEGC_CASME2_EXCLUDED)]
            source[dataset] = f"{path.name}: {len(found)} clips"
        else:
            clips, mean = FALLBACK[dataset]
            found, source[dataset] = [mean] * clips, f"assumed {mean} frames x {clips}"
        lengths += found
    return np.array(lengths), source


def spatial_costs(config, steps):
    """Seconds per frame: training (one epoch of ``steps`` batches) and feature extraction."""
    from micro_expr.stff.training import SpatialStage

    from dataclasses import replace

    config = replace(config, spatial=replace(config.spatial, epochs=1))  # time one epoch of ``steps`` batches
    stage = SpatialStage(config, progress=False)
    n = config.spatial.batch_size * steps
    rng = np.random.default_rng(0)
    arrays = [rng.integers(0, 256, (n, h, w, 3), dtype=np.uint8) for h, w in config.region_sizes]
    labels = [np.arange(n) % k for k in stage.sizes]
    train = float(np.median(repeat_seconds(lambda: stage.fit(arrays, labels), 2))) / n
    features = float(np.median(repeat_seconds(lambda: stage.features(arrays), 2))) / n
    return train, features


def temporal_step(config, lengths, steps):
    """Seconds per temporal training step at the preset's batch size, clips drawn from ``lengths``."""
    from micro_expr.stff.training import TemporalStage

    from dataclasses import replace

    config = replace(config, temporal=replace(config.temporal, epochs=1))
    cfg = config.temporal
    n = cfg.batch_size * steps
    rng = np.random.default_rng(0)
    drawn = np.minimum(rng.choice(lengths, n), cfg.sequence_length)
    inputs = []
    for _ in config.region_names:
        x = np.zeros((n, cfg.sequence_length, config.spatial.head_units[-1]), np.float32)
        for i, length in enumerate(drawn):
            x[i, :length] = rng.normal(size=(length, x.shape[-1]))
        inputs.append(x)
    stage = TemporalStage(config, progress=False)
    return float(np.median(repeat_seconds(lambda: stage.fit(inputs, np.arange(n) % config.n_classes), 2))) / steps


def main(argv=None):
    from micro_expr.stff.config import get_preset
    from micro_expr.papers import PAPERS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="strict")
    parser.add_argument("--steps", type=int, default=4, help="batches per timed epoch (default 4)")
    parser.add_argument("--labels", default=str(Path(__file__).resolve().parents[2] / "shared" / "data" / "labels"),
                        help="folder with the CASME II and SAMM coding sheets")
    args = parser.parse_args(argv)
    config = get_preset(args.preset)
    lengths, source = megc_clip_lengths(args.labels)
    frames, clips = int(lengths.sum()), len(lengths)
    print(f"STFF: {PAPERS['STFF']}\nMEGC 2019 composite, preset {args.preset}: {clips} clips, {frames} frames, "
          f"{MEGC_FOLDS} LOSO folds ({'; '.join(f'{k}: {v}' for k, v in source.items())})")
    train_frame, feature_frame = spatial_costs(config, args.steps)
    step = temporal_step(config, lengths, args.steps)
    spatial_epochs, temporal_epochs = config.spatial.epochs, config.temporal.epochs
    train_frames = frames * (MEGC_FOLDS - 1) / MEGC_FOLDS
    temporal_steps = temporal_epochs * math.ceil(clips * (MEGC_FOLDS - 1) / MEGC_FOLDS / config.temporal.batch_size)
    per_fold = {"spatial training": spatial_epochs * train_frames * train_frame,
                "spatial features": frames * feature_frame,
                "temporal training": temporal_steps * step}
    print(f"measured: spatial training {1000 * train_frame:.2f} ms/frame (batch {config.spatial.batch_size}), "
          f"features {1000 * feature_frame:.2f} ms/frame, temporal {1000 * step:.0f} ms/step "
          f"(batch {config.temporal.batch_size}, N = {config.temporal.sequence_length})")
    for name, seconds in per_fold.items():
        print(f"  {name:<18} {seconds / 3600:8.2f} h per fold  {MEGC_FOLDS * seconds / 3600:9.1f} h for {MEGC_FOLDS} folds")
    total = MEGC_FOLDS * sum(per_fold.values())
    print(f"  {'total':<18} {sum(per_fold.values()) / 3600:8.2f} h per fold  {total / 3600:9.1f} h "
          f"({total / 86400:.1f} days)")
    if config.spatial.split == "frame50":
        print("  (frame50 presets train the spatial stage once, not per fold: divide its line by "
              f"{MEGC_FOLDS} and halve it for the 50 % share)")


if __name__ == "__main__":
    main()
