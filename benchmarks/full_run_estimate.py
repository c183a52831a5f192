"""How long a full run of each system takes on this machine, from measured per-step, per-frame and per-fit costs.

    python -m benchmarks.full_run_estimate --system stff --preset paper [--json]
    python -m benchmarks.full_run_estimate --system cnn_lstm --preset strict
    python -m benchmarks.full_run_estimate --system mean --preset paper [--dataset casme2|casme_sq|sammlv]
    python -m benchmarks.full_run_estimate --system gia_bia --preset paper --blocks 24

What is counted (:mod:`benchmarks.run_cost`, pure arithmetic, tested on a fake timing table): which stage
runs how often on how much work, from the real clip lengths and subjects. STFF, CNN-LSTM and GIA + BIA:
the official MEGC 2019 list (``combined_3class_gt.csv``: 442 clips, 68 subjects) with onset..offset from
the CASME II and SAMM coding sheets; SMIC-HS has no sheet here, so its clips are taken as 34 frames
(assumption, said in the output). MEAN on CASME II: the sheet's clips with a 5-class label, minus the five
the MEGC list leaves out (244, MEAN Table 1). MEAN on long videos (CAS(ME)^2, SAMM-LV): evaluation of the
published checkpoints only (this project does not train MEAN on long videos); their frame counts are not
here, so ``--video-frames`` (frames per video, an assumption) is printed beside the result.

What is measured (this module), on random inputs of the real shapes (the cost of these networks does not
depend on pixel values; TV-L1 flow is measured on a smooth random image and its 1-pixel shift): each training
step timed alone (median of ``--repeats`` x 5 calls), and a fit's fixed cost (restart, input pipeline; for MEAN
and GIA + BIA a fresh Keras model's build and trace) as a one-step fit minus one step; wall and CPU seconds
(``time.process_time``: every thread of this process) side by side, and a row whose CPU time exceeds what the
cores give in its wall time flagged as a measuring error. STFF's and the CNN-LSTM's steps are measured at the
preset's own batch (``--max-batch`` default). GIA + BIA batches larger than ``--max-batch`` (default 2) are
not run (their 224 x 224 activations would need several times the demo's memory): the step is measured at two
batch sizes (``--max-batch`` and half of it) and extended along the line through them (a step is a fixed cost
plus a cost per sample). The temporal step runs on clips as long as the longest of a preset-sized batch.
"""
import argparse
import csv
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

from benchmarks import run_cost  # noqa: E402

SMIC_FRAMES = 34                                   # assumption: no SMIC-HS sheet here
SHEETS = {"casme2": "CASME2-coding-20190701.xlsx", "samm": "SAMM_Micro_FACS_Codes_v2.xlsx"}
MEGC_LIST = "combined_3class_gt.csv"
LABELS = Path(__file__).resolve().parents[2] / "shared" / "data" / "labels"
# MEAN's long-video sets (MEAN Table 1): videos with an ME, subjects, FPS. Frames per video: not here.
LONG_VIDEOS = {"casme_sq": {"videos": 22, "subjects": 9, "fps": 30}, "sammlv": {"videos": 70, "subjects": 28,
                                                                                 "fps": 200}}
SYSTEMS = ("stff", "cnn_lstm", "mean", "gia_bia")
# Largest batch measured by default. STFF's steps are measured at the preset's batch itself: extended from 4
# and 16 along a line, the spatial step at 128 came out at 0.64 s wall / 2.0 CPU-s (more CPU than 2 cores can
# give in that wall time), against 1.37 / 2.62 measured (benchmarks.backend_steps --batch 128, peak 1.7 GB).
MAX_BATCH = {"gia_bia": 2}


# --- counts -------------------------------------------------------------------------------------------------

def sheet_lengths(labels, dataset):
    """{(subject as the MEGC list writes it, sample): onset..offset frames} of a coding sheet, and its rows."""
    from data_prep.coding_sheets import read_coding_sheet
    from data_prep.protocols import LabelledSample, _sheet_subject

    rows, _ = read_coding_sheet(Path(labels) / SHEETS[dataset], dataset)
    lengths = {}
    for row in rows:
        subject = LabelledSample(dataset, _sheet_subject(dataset, row["subject"]), row["sample"], "").official_subject()
        lengths[(subject, row["sample"])] = int(row["offset"]) - int(row["onset"]) + 1
    return lengths, rows


def megc_clips(labels=LABELS):
    """(lengths, subjects, source) of the 442 clips of the official MEGC 2019 list."""
    path = Path(labels) / MEGC_LIST
    if not path.exists():
        raise SystemExit(f"{path}: the official MEGC 2019 list is needed for the clip counts (--labels DIR)")
    sheets = {dataset: sheet_lengths(labels, dataset)[0] for dataset in SHEETS}
    lengths, subjects, missing = [], [], []
    with open(path, newline="") as handle:
        for dataset, subject, sample, _ in csv.reader(handle):
            if dataset == "smic":
                lengths.append(SMIC_FRAMES)
            else:
                length = sheets[dataset].get((subject, sample))
                if length is None:
                    missing.append(f"{dataset}/{subject}/{sample}")
                    continue
                lengths.append(length)
            subjects.append(f"{dataset}/{subject}")
    if missing:
        raise SystemExit(f"{path}: {len(missing)} clips not in the coding sheets, e.g. {missing[:3]}")
    n_smic = sum(s.startswith("smic/") for s in subjects)
    source = (f"{path.name}: {len(lengths)} clips, {len(set(subjects))} subjects; onset..offset from "
              f"{' and '.join(SHEETS.values())}; SMIC-HS: {n_smic} clips assumed {SMIC_FRAMES} frames (no sheet)")
    return lengths, subjects, source


def casme2_mean_clips(labels=LABELS, classes=5):
    """(lengths, subjects, source) of MEAN's CASME II clips: a class of the 5-class head, the MEGC five left out."""
    from data_prep.protocols import MEGC_CASME2_EXCLUDED, _sheet_subject
    from micro_expr.mean.pipeline import class_names

    _, rows = sheet_lengths(labels, "casme2")
    wanted = {name.lower() for name in class_names(classes)}
    lengths, subjects = [], []
    for row in rows:
        subject = _sheet_subject("casme2", row["subject"])
        if str(row["emotion"]).strip().lower() in wanted and (subject, row["sample"]) not in MEGC_CASME2_EXCLUDED:
            lengths.append(int(row["offset"]) - int(row["onset"]) + 1)
            subjects.append(subject)
    return lengths, subjects, (f"{SHEETS['casme2']}: {len(lengths)} clips of {sorted(wanted)}, "
                               f"{len(set(subjects))} subjects, onset..offset (MEAN Table 1: 244)")


# --- measuring ------------------------------------------------------------------------------------------

def timed(function, repeats):
    """(median wall s, median CPU s) of ``repeats`` calls of ``function``."""
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        function()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def per_batch(step_small, step_large, b_small, b_large, batch):
    """A step's (wall, cpu) at ``batch`` on the line through the steps measured at two smaller batches."""
    if b_small == b_large:   # one batch size measured: proportional (an upper bound: the step's fixed part grows too)
        return tuple(v * batch / b_large for v in step_large)
    # Never below zero: on a crowded machine the noise can tilt the line (then raise --repeats).
    return tuple(max(0.0, run_cost.line_fit(b_small, s, b_large, l)[0] + run_cost.line_fit(b_small, s, b_large, l)[1]
                     * batch) for s, l in zip(step_small, step_large))


def step_timing(step, repeats, calls=5):
    """(median wall s, median CPU s) of one call of ``step()`` (after a first, tracing one), over
    ``repeats * calls`` calls. Each step is timed alone: the difference of two whole fits (1 and 3 steps),
    which this used to take, is two noisy figures subtracted, and it gave CPU per step up to 3x the wall
    time on 2 cores (docs/performance.md, "A full run")."""
    step()
    return timed(step, repeats * calls)


def stage_row(step, fit_one_step, batch, repeats):
    """Timing row of a training stage: the step at ``batch`` timed alone, and the fixed cost of a fit (restart,
    input pipeline, the first batch's latency) as a one-step fit's time minus one step's."""
    wall, cpu = step_timing(step, repeats)
    fit_one_step()
    one = timed(fit_one_step, repeats)
    return {"wall": wall, "cpu": cpu, "fixed_wall": max(0.0, one[0] - wall), "fixed_cpu": max(0.0, one[1] - cpu),
            "measured_batches": [batch], "batch": batch}


def scaled_row(row, batch):
    """``row`` measured at a smaller batch, extended to ``batch`` in proportion (an upper bound: the step's
    fixed part is scaled too)."""
    measured = row["measured_batches"][0]
    return {**row, "wall": row["wall"] * batch / measured, "cpu": row["cpu"] * batch / measured, "batch": batch}


def check_consistent(table, cores):
    """Warnings for rows whose CPU time exceeds what ``cores`` can give in their wall time (a measuring error)."""
    return [f"{name}: {row['cpu']:.3f} CPU-s per unit in {row['wall']:.3f} s wall, more than {cores} cores give"
            for name, row in table.items() if isinstance(row, dict) and row.get("wall", 0) > 0
            and row.get("cpu", 0) > 1.1 * cores * row["wall"]]


def measure_save(models, repeats):
    """(wall, cpu) of the checkpoints of ``models`` ({name: keras.Model}), as the systems write them."""
    from micro_expr.core.checkpoints import save_checkpoint

    with tempfile.TemporaryDirectory() as folder:
        def save():
            for name, model in models.items():
                save_checkpoint(model, Path(folder) / name, {"stage": name})
        save()
        wall, cpu = timed(save, repeats)
        size = sum(p.stat().st_size for p in Path(folder).iterdir())
    return {"wall": wall, "cpu": cpu, "bytes": size}


def measure_stff(config, lengths, max_batch, repeats):
    """The timing table of STFF (or the CNN-LSTM, an STFF configuration)."""
    import tensorflow as tf

    from data_prep.pipeline import frame_dataset
    from micro_expr.stff.training import SpatialStage, TemporalStage, one_hot, sample_weights

    rng = np.random.default_rng(0)
    spatial = SpatialStage(config, progress=False)
    batch = min(config.spatial.batch_size, max_batch)
    n_max = max(batch, 1024)
    frames = [rng.integers(0, 256, (n_max, h, w, 3), dtype=np.uint8) for h, w in config.region_sizes]
    labels = [np.arange(n_max) % k for k in spatial.sizes]
    spatial.config = replace(config, spatial=replace(config.spatial, batch_size=batch, epochs=1))
    data = frame_dataset([a[:batch] for a in frames], spatial.names, config.spatial.patches, config.patch_sizes,
                         batch, targets=[one_hot(y[:batch], k) for y, k in zip(labels, spatial.sizes)],
                         weights=[sample_weights(None, y[:batch]) for y in labels],
                         antialias=config.spatial.resize_antialias)
    first = next(iter(data))
    spatial_step = spatial.step_for(data)
    table = {"spatial_step": stage_row(lambda: float(spatial_step(*first)[0]),
                                       lambda: spatial.fit([a[:batch] for a in frames], [y[:batch] for y in labels]),
                                       batch, repeats)}
    if batch < config.spatial.batch_size:
        table["spatial_step"] = scaled_row(table["spatial_step"], config.spatial.batch_size)
    spatial.config = config
    # Per frame: a whole pass over n_max frames divided by n_max (the difference of a 256- and a 512-frame
    # pass, used before, was noise-sized: 0 ms or more CPU than the cores give). The fixed part is in it.
    spatial.features([a[:256] for a in frames])   # trace
    wall, cpu = timed(lambda: spatial.features(frames[:]), repeats)
    table["features"] = {"wall": wall / n_max, "cpu": cpu / n_max, "fixed_wall": 0.0, "fixed_cpu": 0.0}
    table["spatial_checkpoint"] = measure_save(spatial.models, repeats)
    del frames

    cfg = config.temporal
    # Clips of a batch of the preset's size drawn from the real lengths: the batched LSTM runs to the longest.
    longest = int(min(cfg.sequence_length, max(rng.choice(lengths, cfg.batch_size))))
    temporal = TemporalStage(config, progress=False)
    width = config.spatial.head_units[-1]
    t_batch = min(cfg.batch_size, max_batch)

    def sequences(n, batch):
        drawn = np.minimum(rng.choice(lengths, n), cfg.sequence_length)
        drawn[::batch] = longest                   # every batch as long as a preset-sized batch
        x = np.zeros((n, cfg.sequence_length, width), np.float32)
        for i, length in enumerate(drawn):
            x[i, :length] = rng.normal(size=(length, width))
        return [x] * len(config.region_names)

    def temporal_fit(batch, n_steps):
        temporal.config = replace(config, temporal=replace(cfg, batch_size=batch, epochs=1))
        n = batch * n_steps
        temporal.fit(sequences(n, batch), np.arange(n) % config.n_classes)

    # XLA compiles once per batch shape: the first fit at a new batch size minus a second one.
    b = max(1, t_batch // 4) + 1
    first_fit = timed(lambda: temporal_fit(b, 1), 1)
    again = timed(lambda: temporal_fit(b, 1), 1)
    table["temporal_compile"] = {"wall": max(0.0, first_fit[0] - again[0]), "cpu": max(0.0, first_fit[1] - again[1])}
    x = sequences(t_batch, t_batch)
    y = np.arange(t_batch) % config.n_classes
    elements = (dict(zip(config.region_names, x)), {temporal.OUTPUT: one_hot(y, config.n_classes)},
                {temporal.OUTPUT: sample_weights(None, y)})
    t_data = tf.data.Dataset.from_tensor_slices(elements).batch(t_batch)
    t_first = next(iter(t_data))
    temporal_step = temporal.step_for(t_data)
    table["temporal_step"] = stage_row(lambda: float(temporal_step(*t_first)[0]),
                                       lambda: temporal_fit(t_batch, 1), t_batch, repeats)
    if t_batch < cfg.batch_size:
        table["temporal_step"] = scaled_row(table["temporal_step"], cfg.batch_size)
    temporal.config = config
    x = sequences(64, 64)
    temporal.predict(x)
    wall, cpu = timed(lambda: temporal.predict(x), repeats)
    table["temporal_predict"] = {"wall": wall / 64, "cpu": cpu / 64}
    table["temporal_checkpoint"] = measure_save({"temporal": temporal.model}, repeats)
    return table


def measure_mean(config, repeats):
    """The timing table of MEAN: TV-L1 flow pairs, spotting and recognition steps, predictions, a checkpoint."""
    import cv2
    import keras

    from micro_expr.mean import features as feat
    from micro_expr.mean import model as mean_model

    rng = np.random.default_rng(0)
    image = cv2.GaussianBlur(rng.integers(0, 256, (128, 128), dtype=np.uint8), (9, 9), 3)
    shifted = np.roll(image, 1, axis=1)
    points = np.stack([np.linspace(20, 108, 68), np.linspace(30, 100, 68)], axis=1).astype(np.float32)
    feat.flow_features(image, shifted, points, config.roi_layout, config.flow, config.strain)
    wall, cpu = timed(lambda: feat.flow_features(image, shifted, points, config.roi_layout, config.flow,
                                                 config.strain), repeats)
    table = {"flow_pair": {"wall": wall, "cpu": cpu}}
    x = rng.normal(size=(config.batch_size * 10, 42, 42, 3)).astype(np.float32)

    def targets(task, n):
        return rng.random((n, 1)) if task == "spot" else keras.utils.to_categorical(np.arange(n) % 3, 3)

    def fresh(task):   # a fresh model each fold, as pipeline.train_fold
        model = mean_model.task_model(mean_model.build_mean(3), task)
        model.compile(optimizer=keras.optimizers.Adam(config.learning_rate),
                      loss="mse" if task == "spot" else "categorical_crossentropy")
        return model

    b = config.batch_size
    for task in ("spot", "recog"):
        model, xb, yb = fresh(task), feat.split_streams(x[:b]), targets(task, b)

        def fit_one_step():
            fresh(task).fit(xb, yb, batch_size=b, epochs=1, verbose=0)
        table[f"{task}_step"] = stage_row(lambda: model.train_on_batch(xb, yb), fit_one_step, b, repeats)
    model = mean_model.build_mean(3)
    model.predict(feat.split_streams(x), verbose=0, batch_size=256)
    wall, cpu = timed(lambda: model.predict(feat.split_streams(x), verbose=0, batch_size=256), repeats)
    table["mean_predict"] = {"wall": wall / len(x), "cpu": cpu / len(x)}
    table["mean_checkpoint"] = measure_save({"model": model}, repeats)
    return table


def measure_gia_bia(config, repeats, max_batch):
    """The timing table of GIA + BIA: a training step per batch, augmentation and prediction per clip."""
    import keras

    from micro_expr.gia_bia.inputs import augment
    from micro_expr.gia_bia.model import build_model

    rng = np.random.default_rng(0)
    clip_shape = (config.frames, config.size, config.size, 3)

    def inputs(n):
        x = [rng.integers(0, 256, (n,) + clip_shape).astype(np.float32)]
        if config.n_blocks:
            x.append(np.tile(np.array([[0.5, 0.5, 0.2]], np.float32), (n, config.n_blocks, 1)))
        return x

    model = build_model(config, 3)
    model.compile(optimizer=keras.optimizers.Adam(config.learning_rate), loss="sparse_categorical_crossentropy",
                  jit_compile=False)
    b2 = min(config.batch_size, max_batch)
    b1 = max(1, b2 // 2)
    steps = {}
    for b in sorted({b1, b2}):
        x, y = inputs(b), np.arange(b) % 3
        model.train_on_batch(x, y)
        steps[b] = timed(lambda: model.train_on_batch(x, y), repeats)
    wall, cpu = per_batch(steps[b1], steps[b2], b1, b2, config.batch_size)

    def fresh():   # what every fold pays before its first step: build, compile, trace
        fold_model = build_model(config, 3)
        fold_model.compile(optimizer=keras.optimizers.Adam(config.learning_rate),
                           loss="sparse_categorical_crossentropy", jit_compile=False)
        fold_model.train_on_batch(inputs(1), np.zeros(1))
    first = timed(fresh, 1)
    one = steps[min(steps)]
    table = {"gia_step": {"wall": wall, "cpu": cpu, "fixed_wall": max(0.0, first[0] - one[0]),
                          "fixed_cpu": max(0.0, first[1] - one[1]), "measured_batches": sorted(steps),
                          "batch": config.batch_size}}
    clip = rng.integers(0, 256, clip_shape, dtype=np.uint8)
    landmarks = np.stack([np.linspace(40, 180, 68), np.linspace(60, 200, 68)], axis=1).astype(np.float32)
    wall, cpu = timed(lambda: augment(clip, landmarks, rng, config), repeats)
    table["augment_clip"] = {"wall": wall, "cpu": cpu}
    x = inputs(b2)
    model.predict(x, verbose=0)
    wall, cpu = timed(lambda: model.predict(x, verbose=0), repeats)
    table["gia_predict"] = {"wall": wall / b2, "cpu": cpu / b2}
    table["gia_checkpoint"] = measure_save({"model": model}, repeats)
    return table


# --- one system, one preset ------------------------------------------------------------------------------------

def plan(system, preset, dataset=None, blocks=None, video_frames=None, labels=LABELS):
    """(config, stages, counts source text, what the measurement needs) of a run, without measuring."""
    if system in ("stff", "cnn_lstm"):
        from micro_expr.registry import build_system

        config = build_system(system, preset).config
        lengths, subjects, source = megc_clips(labels)
        folds = run_cost.Folds.loso(lengths, subjects)
        s, t = config.spatial, config.temporal
        stages = run_cost.stff_stages({"split": s.split, "split_fraction": s.split_fraction,
                                       "fold_frame_fraction": s.fold_frame_fraction, "epochs": s.epochs,
                                       "batch_size": s.batch_size},
                                      {"epochs": t.epochs, "batch_size": t.batch_size}, folds)
        return config, stages, source, lengths
    if system == "mean":
        from micro_expr.mean.config import get_preset
        from micro_expr.mean.pipeline import flow_k

        dataset = dataset or "casme2"
        config = get_preset(preset)
        cfg = {"epochs_spot": config.epochs_spot, "epochs_recog": config.epochs_recog,
               "batch_size": config.batch_size}
        if dataset == "casme2":
            lengths, subjects, source = casme2_mean_clips(labels)
            k = flow_k(config, 200)
            return config, run_cost.mean_stages(cfg, run_cost.Folds.loso(lengths, subjects), k), source, lengths
        if dataset not in LONG_VIDEOS:
            raise SystemExit(f"--dataset {dataset}: choose casme2 or one of {', '.join(LONG_VIDEOS)}")
        info = LONG_VIDEOS[dataset]
        if not video_frames:
            raise SystemExit(f"--dataset {dataset}: its videos' frame counts are not here; give --video-frames N "
                             f"(frames per long video, an assumption printed with the result)")
        subjects = [f"s{i % info['subjects']}" for i in range(info["videos"])]
        lengths = [video_frames] * info["videos"]
        k = flow_k(config, info["fps"])
        source = (f"MEAN Table 1: {info['videos']} videos with an ME, {info['subjects']} subjects, {info['fps']} fps; "
                  f"ASSUMED {video_frames} frames per video; published checkpoints evaluated, no training")
        return config, run_cost.mean_stages(cfg, run_cost.Folds.loso(lengths, subjects), k, train=False), \
            source, lengths
    if system == "gia_bia":
        from micro_expr.gia_bia.config import get_preset

        config = get_preset(preset, **({"n_blocks": blocks} if blocks is not None else {}))
        lengths, subjects, source = megc_clips(labels)
        folds = run_cost.Folds.loso(lengths, subjects)
        return config, run_cost.gia_bia_stages({"epochs": config.epochs, "batch_size": config.batch_size},
                                               folds), source, lengths
    raise SystemExit(f"unknown system {system!r}; choose one of {', '.join(SYSTEMS)}")


def measure(system, config, lengths, max_batch, repeats):
    if system in ("stff", "cnn_lstm"):
        return measure_stff(config, lengths, max_batch, repeats)
    if system == "mean":
        return measure_mean(config, repeats)
    return measure_gia_bia(config, repeats, max_batch)


def machine():
    """What the measurement ran beside: cores, load averages before, a warning when the load exceeds the cores."""
    cores = os.cpu_count()
    load = os.getloadavg()
    warning = (f"the load average ({load[0]:.2f}) exceeds the {cores} cores: other jobs shared this machine, "
               "so the wall times are longer than on an idle one (compare CPU hours)") if load[0] > cores else None
    return {"cores": cores, "load_before": [round(v, 2) for v in load], "warning": warning}


def report_text(result):
    lines = [f"{result['system']} preset {result['preset']}: {result['counts']}",
             f"machine: {result['machine']['cores']} cores, load {result['machine']['load_before']} before, "
             f"{result['machine']['load_after']} after; peak memory {result['peak_rss_gb']:.2f} GiB"]
    if result["machine"]["warning"]:
        lines.append(f"WARNING: {result['machine']['warning']}")
    lines.append(f"  {'stage':<38}{'runs':>6}{'units':>12}  {'per unit':>10}{'fixed/run':>11}"
                 f"{'wall h':>10}{'CPU h':>10}")
    for row in result["stages"]:
        lines.append(f"  {row['stage']:<38}{row['runs']:>6}{row['units']:>12,} {row['unit']:<6}"
                     f"{1000 * row['per_unit']:>7.2f} ms{row['fixed_each']:>9.2f} s"
                     f"{row['hours']:>10.2f}{row['cpu_hours']:>10.2f}")
    days = result["total_hours"] / 24
    lines.append(f"  total: {result['total_hours']:.1f} h wall ({days:.1f} days), {result['cpu_hours']:.1f} CPU h")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--system", default="stff", choices=SYSTEMS)
    parser.add_argument("--preset", default=None, help="the system's preset (default: its default preset)")
    parser.add_argument("--dataset", default=None, help="mean: casme2 (default), casme_sq or sammlv")
    parser.add_argument("--video-frames", type=int, default=None,
                        help="mean on long videos: frames per video (an assumption; not in the data here)")
    parser.add_argument("--blocks", type=int, default=None, help="gia_bia: n_blocks (0, 10 or 24)")
    parser.add_argument("--repeats", type=int, default=5, help="repeats per measurement; the median is used")
    parser.add_argument("--max-batch", type=int, default=None,
                        help="largest batch actually run (default: STFF and CNN-LSTM the preset's own, 128 or 32: "
                             "one spatial step at 128 peaks at 1.7 GB; GIA + BIA 2, its 224 x 224 activations)")
    parser.add_argument("--labels", default=str(LABELS), help="folder with the coding sheets and the MEGC list")
    parser.add_argument("--json", action="store_true", help="print the estimate as JSON")
    args = parser.parse_args(argv)
    from micro_expr.registry import system_class

    preset = args.preset or system_class(args.system).default_preset
    config, stages, source, lengths = plan(args.system, preset, args.dataset, args.blocks, args.video_frames,
                                           args.labels)
    state = machine()
    if state["warning"]:
        print(f"WARNING: {state['warning']}", file=sys.stderr)
    max_batch = args.max_batch or MAX_BATCH.get(args.system, 128)
    timings = measure(args.system, config, lengths, max_batch, args.repeats)
    result = run_cost.estimate(stages, timings)
    result["inconsistent"] = check_consistent(timings, os.cpu_count())
    for line in result["inconsistent"]:
        print(f"WARNING: {line}", file=sys.stderr)
    state["load_after"] = [round(v, 2) for v in os.getloadavg()]
    name = preset + (f", {config.n_blocks} blocks" if args.system == "gia_bia" else "") + \
        (f", {args.dataset or 'casme2'}" if args.system == "mean" else "")
    result.update(system=args.system, preset=name, counts=source, machine=state, timings=timings,
                  peak_rss_gb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 20)
    print(json.dumps(result, indent=2) if args.json else report_text(result))
    return result


if __name__ == "__main__":
    main()
