"""The least CPU time `mer demo --quick` could take on this machine, from its counted work and measured rates.

    python -m benchmarks.demo_floor [--cache DEMO/cache.h5] [--json OUT.json]

Issue 27 asks for the quick demo in 60 CPU-s on an idle 2-core machine with the same scores. The same scores
mean the same work: the same frames trained and passed through the same layers for the same epochs. This
script counts that work and prices it three ways, all measured in this process:

1. **Arithmetic.** Multiply-adds of every layer with a kernel (2 FLOPs each; training = 3 x forward, as
   ``benchmarks.spatial_throughput.training_flops_per_frame``), for every frame and clip step the 8 folds run:
   per fold the spatial epoch on its 50 % of training frames, the held-out loss on the test frames, the
   feature pass over training and test frames, and 30 temporal epochs over the training clips (each clip
   counted for its own kept length only: a lower bound, since a batch runs to its longest clip), with the
   held-out loss and the predictions on the test clips. Pooling, activations, Adam and data movement are
   left out, so every price below is a floor.
2. **Rates.** (a) The machine's peak: the best of a 2048 x 2048 ``tf.matmul`` and a 3 x 3 64 -> 64
   convolution (``measure_peak``). (b) The demo's own layer shapes, each run as *one* oneDNN op with the
   patches of a batch stacked on the batch axis (as if the m encoders shared weights: the most favourable
   layout there is), value and both gradients for training, value only for the feature pass, and the six
   regions' LSTM gates as one batched matmul over all time steps of a batch.
3. **Costs no implementation avoids**: starting Python with TensorFlow and Keras (``import``), and preparing
   the cache (dlib face detection and landmarks, crops), both in child processes.

The floor is (3) plus the work at rate (a) (no implementation beats it) and at rate (b) (what the best
kernel for each shape gives). Tracing, XLA compilation, the demo build and checkpoints are not counted.
docs/performance.md ("How far the quick demo is from 60 CPU-s") has today's figures.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
ROOT = Path(__file__).resolve().parents[1]
TARGET_CPU_S = 60.0


def child_cpu(command, **kwargs):
    """(wall s, CPU s) of ``command`` run as a child process (its user + system time, its children's too)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL, **kwargs)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return time.perf_counter() - start, cpu


# --- the work ------------------------------------------------------------------------------------

def demo_config():
    from micro_expr.demo import SCHEDULES
    from micro_expr.stff.config import get_preset

    return get_preset("strict", seed=0, **SCHEDULES["quick"])


def fold_counts(cache_path, config):
    """Per LOSO fold of the demo cache: frames and clip steps of each phase (see the module doc)."""
    from data_prep.cache import RegionCache
    from micro_expr.core.folds import loso_folds
    from micro_expr.stff.system import STFF

    system = STFF(config)
    with RegionCache(cache_path) as cache:
        items = system.protocol_items(cache)
    lengths = np.array([item.n_frames for item in items])
    kept = np.minimum(lengths, config.temporal.sequence_length)
    counts = []
    for fold in loso_folds(items):
        train, test = np.array(fold.train), np.array(fold.test)
        train_frames, test_frames = int(lengths[train].sum()), int(lengths[test].sum())
        counts.append({
            "fold": fold.name,
            "spatial_trained": int(train_frames * config.spatial.fold_frame_fraction) * config.spatial.epochs,
            "spatial_held_out": test_frames * config.spatial.epochs,
            "features": train_frames + test_frames,
            "temporal_trained": int(kept[train].sum()) * config.temporal.epochs,
            # the held-out loss after every epoch, and one pass for the fold's predictions
            "temporal_forward": int(kept[test].sum()) * (config.temporal.epochs + 1),
        })
    return counts


def layer_shapes(config):
    """The spatial layers with kernels, as (kind, input shape without batch, kernel shape, weight-sharing groups),
    one list per region, from the grouped models the demo trains; and the temporal LSTM sizes."""
    from micro_expr.stff.models.fast.grouped_conv import GroupedConv2D
    from micro_expr.stff.models.spatial import build_spatial_models

    regions = []
    for model in build_spatial_models(config, layout="grouped").values():
        shapes = []
        for layer in model.layers:
            kernel = getattr(layer, "kernel", None)
            if kernel is None:
                continue
            in_shape = tuple(layer.input.shape[1:])
            if isinstance(layer, GroupedConv2D):
                k = tuple(kernel.shape)
                shapes.append(("conv", in_shape[:2] + (in_shape[2] // layer.groups,),
                               k[:3] + (k[3] // layer.groups,), layer.groups))
            elif len(kernel.shape) == 4:   # 1 x 1 convolutions of the SE block ('original')
                shapes.append(("conv", in_shape, tuple(kernel.shape), 1))
            else:   # Dense layers, also on (1, 1, C) maps (the 'paper' SE): one matmul row per position
                shapes.append(("dense", (int(np.prod(in_shape[:-1])), in_shape[-1]), tuple(kernel.shape), 1))
        regions.append(shapes)
    cfg = config.temporal
    lstm = {"regions": len(config.region_names), "units": cfg.units, "inputs": config.spatial.head_units[-1],
            "batch": cfg.batch_size, "steps": cfg.sequence_length}
    return regions, lstm


def forward_flops(shape):
    """FLOPs of one example through one layer: 2 x kernel size x output positions x groups ('same' convs)."""
    kind, in_shape, kernel, groups = shape
    positions = in_shape[0] * in_shape[1] if kind == "conv" else in_shape[0]
    return 2 * int(np.prod(kernel)) * positions * groups


def lstm_step_flops(lstm):
    """Forward FLOPs of one time step of one clip through every region's LSTM (4 gates, input and recurrent)."""
    u, d = lstm["units"], lstm["inputs"]
    return lstm["regions"] * 2 * 4 * u * (d + u)


def work(counts, regions, lstm):
    """Total FLOPs per phase of the whole demo (training phases at 3 x forward)."""
    frame = sum(forward_flops(s) for shapes in regions for s in shapes)
    step = lstm_step_flops(lstm)
    total = {key: sum(c[key] for c in counts) for key in counts[0] if key != "fold"}
    return {"spatial_training": 3 * frame * total["spatial_trained"],
            "spatial_forward": frame * (total["spatial_held_out"] + total["features"]),
            "temporal_training": 3 * step * total["temporal_trained"],
            "temporal_forward": step * total["temporal_forward"],
            "frame_forward_flops": frame, "lstm_step_flops": step, "totals": total}


# --- the rates -----------------------------------------------------------------------------------

def shape_seconds(regions, lstm, train_batch, feature_batch, repeats=5):
    """Best wall seconds per frame (training and forward) and per LSTM clip step of the demo's layer shapes,
    each layer one op with the m patches on the batch axis (see the module doc)."""
    import tensorflow as tf

    from benchmarks.spatial_throughput import repeat_seconds

    def best_seconds(function, repeats):   # the fastest call after a warm-up (tracing, allocation)
        return min(repeat_seconds(function, repeats))

    def layer_fn(shape, batch, train):
        kind, in_shape, kernel, groups = shape
        x = tf.random.normal((batch * groups,) + in_shape if kind == "conv" else (batch * in_shape[0], in_shape[1]))
        w = tf.Variable(tf.random.normal(kernel) * 0.01)

        def apply(x):
            return tf.nn.conv2d(x, w, 1, "SAME") if kind == "conv" else tf.matmul(x, w)

        if not train:
            return tf.function(lambda: tf.reduce_sum(apply(x)))

        def step():
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = tf.reduce_sum(apply(x))
            gx, gw = tape.gradient(y, [x, w])
            return tf.reduce_sum(gx) + tf.reduce_sum(gw)
        return tf.function(step)

    seconds = {"train_per_frame": 0.0, "forward_per_frame": 0.0}
    for shapes in regions:
        for shape in shapes:
            for key, batch, train in (("train_per_frame", train_batch, True),
                                      ("forward_per_frame", feature_batch, False)):
                fn = layer_fn(shape, batch, train)
                seconds[key] += best_seconds(lambda: fn().numpy(), repeats) / batch
    # All steps of a batch in one matmul: the input half of the gates can be done so; the recurrent half cannot,
    # so this rate is again a favourable one (one op per step measured mostly the op's call).
    r, b, u, d = lstm["regions"], lstm["batch"] * lstm["steps"], lstm["units"], lstm["inputs"]
    xh, w = tf.random.normal((r, b, d + u)), tf.Variable(tf.random.normal((r, d + u, 4 * u)) * 0.01)

    def lstm_train():
        with tf.GradientTape() as tape:
            tape.watch(xh)
            y = tf.reduce_sum(tf.matmul(xh, w))
        gx, gw = tape.gradient(y, [xh, w])
        return tf.reduce_sum(gx) + tf.reduce_sum(gw)

    train_fn, forward_fn = tf.function(lstm_train), tf.function(lambda: tf.reduce_sum(tf.matmul(xh, w)))
    seconds["lstm_train_per_clip_step"] = best_seconds(lambda: train_fn().numpy(), repeats * 4) / b
    seconds["lstm_forward_per_clip_step"] = best_seconds(lambda: forward_fn().numpy(), repeats * 4) / b
    return seconds


# --- the costs no implementation avoids ---------------------------------------------------------

def import_cost(repeats=2):
    """(wall, CPU) of starting Python and importing TensorFlow and Keras, the least CPU of ``repeats`` runs (the
    first after a boot reads the files from disk)."""
    runs = [child_cpu([sys.executable, "-c", "import tensorflow, keras"], stderr=subprocess.DEVNULL)
            for _ in range(repeats)]
    return min(runs, key=lambda run: run[1])


PREPARE = """
import sys, tempfile
from pathlib import Path
from data_prep.datasets import read_casme2
from data_prep.demo.build import build_demo_dataset
from data_prep.prepare import prepare_samples
from micro_expr.demo import demo_data_folder, demo_prep_config
dataset = build_demo_dataset(demo_data_folder(), seed=0, size="quick")
prep = demo_prep_config("strict")
samples, failures = read_casme2(dataset.root, dataset.coding_sheet, prep.frames, prep.frame_order)
prepare_samples(samples, Path(sys.argv[1]) / "cache.h5", prep, failures, workers=1, progress=False)
"""


def prepare_cost(folder):
    """(wall, CPU) of preparing the quick demo's cache from its built dataset (one worker; built first if absent,
    so run it twice to time the prepare alone: the second run's figure is the one kept)."""
    child_cpu([sys.executable, "-c", PREPARE, str(folder / "first")], stderr=subprocess.DEVNULL)
    return child_cpu([sys.executable, "-c", PREPARE, str(folder / "second")], stderr=subprocess.DEVNULL)


# --- the report ----------------------------------------------------------------------------------

def floor(fixed_cpu, flops, seconds, peak_gflops, cores):
    """CPU seconds of the floor at the machine's peak and at the shapes' rates (see the module doc), with the
    shapes' CPU seconds per phase. Wall seconds of ops that use every core count ``cores`` times."""
    phases = ("spatial_training", "spatial_forward", "temporal_training", "temporal_forward")
    total = sum(flops[phase] for phase in phases)
    at_peak = total / (peak_gflops * 1e9) * cores
    t = flops["totals"]
    at_shapes = {"spatial_training": seconds["train_per_frame"] * t["spatial_trained"] * cores,
                 "spatial_forward": seconds["forward_per_frame"] * (t["spatial_held_out"] + t["features"]) * cores,
                 "temporal_training": seconds["lstm_train_per_clip_step"] * t["temporal_trained"] * cores,
                 "temporal_forward": seconds["lstm_forward_per_clip_step"] * t["temporal_forward"] * cores}
    shapes = sum(at_shapes.values())
    return {"flops": total, "arithmetic_cpu_s_at_peak": at_peak, "arithmetic_cpu_s_at_shapes": shapes,
            "shapes_cpu_s": at_shapes, "floor_cpu_s_at_peak": fixed_cpu + at_peak,
            "floor_cpu_s_at_shapes": fixed_cpu + shapes}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", help="the quick demo's cache (default: prepared here, in a temporary folder)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", help="write the figures here")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    cores = os.cpu_count()
    load = os.getloadavg()[0]
    config = demo_config()
    with tempfile.TemporaryDirectory() as tmp:
        import_wall, import_cpu = import_cost()
        prepare_wall, prepare_cpu = prepare_cost(Path(tmp))
        cache = args.cache or str(Path(tmp) / "second" / "cache.h5")
        counts = fold_counts(cache, config)
    regions, lstm = layer_shapes(config)
    flops = work(counts, regions, lstm)
    from benchmarks.spatial_throughput import measure_peak

    peak = measure_peak()
    seconds = shape_seconds(regions, lstm, config.spatial.batch_size, 64, args.repeats)
    fixed = import_cpu + prepare_cpu
    result = {"cores": cores, "load_before": load, "load_after": os.getloadavg()[0], "folds": counts,
              "work_flops": {k: v for k, v in flops.items() if k != "totals"}, "totals": flops["totals"],
              "peak": peak, "shape_seconds": seconds,
              "fixed": {"import_wall_s": import_wall, "import_cpu_s": import_cpu,
                        "prepare_wall_s": prepare_wall, "prepare_cpu_s": prepare_cpu},
              **floor(fixed, flops, seconds, peak["peak_gflops"], cores), "target_cpu_s": TARGET_CPU_S}
    print(report(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))
    return 0


def report(r):
    t, f, s = r["totals"], r["work_flops"], r["shape_seconds"]
    shape_rate = (f["frame_forward_flops"] * 3 / s["train_per_frame"]) / 1e9
    lines = [
        f"quick demo, {len(r['folds'])} folds (load {r['load_before']:.1f} -> {r['load_after']:.1f}, "
        f"{r['cores']} cores)",
        f"  work: {t['spatial_trained']:,} frames trained, {t['spatial_held_out'] + t['features']:,} frames forward "
        f"({f['frame_forward_flops'] / 1e6:.1f} MFLOP each); {t['temporal_trained']:,} clip steps trained, "
        f"{t['temporal_forward']:,} forward ({f['lstm_step_flops'] / 1e6:.2f} MFLOP each)",
        f"  FLOPs: spatial training {f['spatial_training'] / 1e12:.3f} T, spatial forward "
        f"{f['spatial_forward'] / 1e12:.3f} T, temporal training {f['temporal_training'] / 1e12:.3f} T, "
        f"temporal forward {f['temporal_forward'] / 1e12:.3f} T; total {r['flops'] / 1e12:.3f} TFLOP",
        f"  peak of this machine: {r['peak']['peak_gflops']:.1f} GFLOP/s (matmul {r['peak']['matmul_gflops']:.1f}, "
        f"3x3 conv {r['peak']['conv_gflops']:.1f}); the demo's spatial layers as one op each: "
        f"{shape_rate:.1f} GFLOP/s training",
        f"  costs no implementation avoids: import {r['fixed']['import_cpu_s']:.1f} CPU-s "
        f"({r['fixed']['import_wall_s']:.1f} s wall), prepare {r['fixed']['prepare_cpu_s']:.1f} CPU-s "
        f"({r['fixed']['prepare_wall_s']:.1f} s wall, one worker)",
        f"  arithmetic: {r['arithmetic_cpu_s_at_peak']:.1f} CPU-s at the peak, "
        f"{r['arithmetic_cpu_s_at_shapes']:.1f} CPU-s at the shapes' rates ("
        + ", ".join(f"{phase.replace('_', ' ')} {cpu:.1f}" for phase, cpu in r["shapes_cpu_s"].items()) + ")",
        f"  floor: {r['floor_cpu_s_at_peak']:.1f} CPU-s at the peak, {r['floor_cpu_s_at_shapes']:.1f} CPU-s at the "
        f"shapes' rates (target {r['target_cpu_s']:.0f} CPU-s; tracing, compilation, demo build and checkpoints "
        f"not counted)",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
