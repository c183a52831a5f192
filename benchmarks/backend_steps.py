"""STFF's spatial and temporal training steps under every Keras backend, one subprocess each (medians).

    python -m benchmarks.backend_steps                       # CPU: tensorflow, jax, torch; ratios to tensorflow
    python -m benchmarks.backend_steps --backends jax torch --device gpu --paper-batches --fold

A step is what the training stages run (micro_expr.stff.training): TensorFlow's traced step with fused Adam,
or on the other backends Keras' ``train_on_batch`` with ``keras.optimizers.Adam`` (docs/backends.md). The
spatial step trains the six region models side by side (strict preset, m patches); the temporal step the
batched region LSTMs and classifier on post-padded clips of ``--clip`` frames in sequences of N. Prints per
backend: first-step seconds (trace/compile), median wall ms per step, median CPU ms (all the process's threads)
and the ratio to TensorFlow. ``--fold`` also trains one fold of the quick demo's size (42 clips of 18 frames,
one spatial epoch on half the frames, 30 temporal epochs) on random frames, then a second, traced fold, wall
and CPU seconds per stage. ``--threads INTER,INTRA`` sets TensorFlow's op threads (benchmarks/threads.py).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def _config(args):
    from micro_expr.stff.config import get_preset

    overrides = {"spatial.patches": args.patches}
    if not args.paper_batches:
        overrides.update({"spatial.batch_size": args.batch, "temporal.batch_size": args.temporal_batch})
    overrides["temporal.sequence_length"] = args.sequence
    return get_preset("strict", **overrides)


def _timed(step, batch, repeats):
    """(first call s, wall ms per call, CPU ms per call) of ``step(*batch)``; results read back each call."""
    def once():
        wall, cpu = time.perf_counter(), time.process_time()
        total = step(*batch)[0]
        float(total)   # wait for the device
        return time.perf_counter() - wall, time.process_time() - cpu

    first = once()[0]
    walls, cpus = zip(*[once() for _ in range(repeats)])
    return first, 1000 * statistics.median(walls), 1000 * statistics.median(cpus)


def spatial_step(args, cfg):
    from data_prep.pipeline import frame_batches, frame_dataset
    from micro_expr.stff.training import SpatialStage, one_hot, sample_weights

    stage = SpatialStage(cfg, progress=False)
    rng = np.random.default_rng(0)
    n = cfg.spatial.batch_size
    arrays = [rng.integers(0, 256, (n, h, w, 3), dtype=np.uint8) for h, w in cfg.region_sizes]
    labels = [np.arange(n) % len(classes) for classes in cfg.region_class_names]
    feed = frame_dataset if stage._fast_path else frame_batches
    data = feed(arrays, stage.names, cfg.spatial.patches, cfg.patch_sizes, n,
                targets=[one_hot(y, len(c)) for y, c in zip(labels, cfg.region_class_names)],
                weights=[sample_weights(None, y) for y in labels])
    return _timed(stage.step_for(data), next(iter(data)), args.steps)


def temporal_step(args, cfg):
    from micro_expr.stff.training import TemporalStage, _ShuffledBatches, one_hot, sample_weights

    stage = TemporalStage(cfg, progress=False)
    rng = np.random.default_rng(0)
    n, k = cfg.temporal.batch_size, cfg.n_classes
    inputs = [rng.normal(size=(n, cfg.temporal.sequence_length, cfg.spatial.head_units[-1])).astype(np.float32)
              for _ in cfg.region_names]
    for x in inputs:
        x[:, args.clip:] = 0.0
    labels = np.arange(n) % k
    elements = (dict(zip(cfg.region_names, inputs)), {stage.OUTPUT: one_hot(labels, k)},
                {stage.OUTPUT: sample_weights(None, labels)})
    if stage._fast_path:
        import tensorflow as tf

        data = tf.data.Dataset.from_tensor_slices(elements).batch(n)
    else:
        data = _ShuffledBatches(elements, n, 0)
    return _timed(stage.step_for(data), next(iter(data)), args.steps)


def quick_fold(args):
    """One fold of the quick demo's size on random frames: seconds per stage."""
    from micro_expr.demo import QUICK, _SMALL_DATA
    from micro_expr.stff.config import get_preset
    from micro_expr.stff.training import SpatialStage, Standardizer, TemporalStage, per_item, sequences_for

    cfg = get_preset("strict", **{**_SMALL_DATA, **QUICK, "temporal.sequence_length": 30})
    clips, frames = 42, 18
    rng = np.random.default_rng(0)
    n = clips * frames
    arrays = [rng.integers(0, 256, (n, h, w, 3), dtype=np.uint8) for h, w in cfg.region_sizes]
    labels = np.arange(clips) % cfg.n_classes
    frame_labels = [np.repeat(labels, frames) % len(c) for c in cfg.region_class_names]
    half = np.arange(n) % 2 == 0     # spatial.fold_frame_fraction 0.5
    marks = [(time.perf_counter(), time.process_time())]

    def mark():
        marks.append((time.perf_counter(), time.process_time()))

    spatial = SpatialStage(cfg, progress=False)
    temporal = TemporalStage(cfg, progress=False)
    mark()
    spatial.fit([a[half] for a in arrays], [y[half] for y in frame_labels])
    mark()
    features = per_item(spatial.features(arrays), np.repeat(np.arange(clips), frames), clips)
    mark()
    inputs = sequences_for(features, range(clips), cfg, Standardizer("sequence").fit(features))
    temporal.fit(inputs, labels)
    mark()
    spatial.fit([a[half] for a in arrays], [y[half] for y in frame_labels])   # a second fold: traced already
    mark()
    features = per_item(spatial.features(arrays), np.repeat(np.arange(clips), frames), clips)
    temporal.fit(inputs, labels)
    mark()
    names = ("build", "spatial_fit", "features", "temporal_fit", "second_spatial_fit", "second_features_temporal")
    result = {}
    for name, (wall0, cpu0), (wall1, cpu1) in zip(names, marks, marks[1:]):
        result[f"{name}_s"], result[f"{name}_cpu_s"] = wall1 - wall0, cpu1 - cpu0
    result["fold_s"], result["fold_cpu_s"] = marks[4][0] - marks[0][0], marks[4][1] - marks[0][1]
    result["second_fold_s"] = marks[6][0] - marks[4][0]
    result["second_fold_cpu_s"] = marks[6][1] - marks[4][1]
    return result


def child(args):
    if args.device == "cpu":
        os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
        os.environ.setdefault("JAX_PLATFORMS", "cpu")
    sys.path.insert(0, str(ROOT))
    import micro_expr  # noqa: F401
    from micro_expr.core import backends

    if args.threads:   # before TensorFlow's runtime starts (benchmarks/threads.py)
        import tensorflow as tf

        inter, intra = (int(n) for n in args.threads.split(","))
        tf.config.threading.set_inter_op_parallelism_threads(inter)
        tf.config.threading.set_intra_op_parallelism_threads(intra)

    cfg = _config(args)
    result = {"backend": backends.backend(), "device": backends.device(), "path": backends.training_path(),
              "threads": args.threads or "0,0",
              "spatial_batch": cfg.spatial.batch_size, "temporal_batch": cfg.temporal.batch_size,
              "patches": cfg.spatial.patches, "sequence": cfg.temporal.sequence_length}
    for name, measure in (("spatial", spatial_step), ("temporal", temporal_step)):
        first, wall, cpu = measure(args, cfg)
        result[name] = {"first_s": first, "wall_ms": wall, "cpu_ms": cpu}
    if args.fold:
        result["fold"] = quick_fold(args)
    print("RESULT " + json.dumps(result), flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backends", nargs="+", default=["tensorflow", "jax", "torch"])
    parser.add_argument("--device", choices=["cpu", "gpu"], default="cpu")
    parser.add_argument("--patches", type=int, default=9)
    parser.add_argument("--batch", type=int, default=16, help="spatial batch (default: the quick demo's 16)")
    parser.add_argument("--temporal-batch", type=int, default=8, help="temporal batch (the quick demo's 8)")
    parser.add_argument("--paper-batches", action="store_true", help="the strict preset's batch sizes instead")
    parser.add_argument("--sequence", type=int, default=30, help="N, frames per padded sequence")
    parser.add_argument("--clip", type=int, default=18, help="frames of each clip before the padding")
    parser.add_argument("--steps", type=int, default=5, help="timed steps per backend (after a first one)")
    parser.add_argument("--fold", action="store_true", help="also one fold of the quick demo's size")
    parser.add_argument("--threads", help="TensorFlow's INTER,INTRA op threads (default: TensorFlow's, 0,0)")
    parser.add_argument("--json", help="write every backend's figures here")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args)
    forwarded = [a for a in (argv if argv is not None else sys.argv[1:]) if a not in ("--json",)]
    if args.json:
        forwarded = [a for a in forwarded if a != args.json]
    results, load = [], os.getloadavg()
    for name in args.backends:
        env = {**os.environ, "KERAS_BACKEND": name, "TF_CPP_MIN_LOG_LEVEL": "3"}
        wall = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "benchmarks.backend_steps", "--child", *forwarded,
                               "--backends", name], cwd=ROOT, env=env, capture_output=True, text=True)
        lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
        if done.returncode or not lines:
            print(f"{name}: failed (exit {done.returncode}):\n{done.stderr[-2000:]}", file=sys.stderr)
            continue
        result = json.loads(lines[-1][len("RESULT "):])
        result["process_s"] = time.perf_counter() - wall
        results.append(result)
        print(f"{name}: {json.dumps(result)}", flush=True)   # each backend as it finishes
    base = {r["backend"]: r for r in results}.get("tensorflow")
    print(f"load average before: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} ({os.cpu_count()} CPUs); "
          f"after: {' '.join(f'{v:.1f}' for v in os.getloadavg())}")
    print(f"{'backend':<11} {'device':<22} {'step':<9} {'first s':>8} {'wall ms':>9} {'CPU ms':>9} "
          f"{'wall/TF':>8} {'CPU/TF':>7}")
    for r in results:
        for stage in ("spatial", "temporal"):
            s = r[stage]
            ratio = (f"{s['wall_ms'] / base[stage]['wall_ms']:8.2f} {s['cpu_ms'] / base[stage]['cpu_ms']:7.2f}"
                     if base else f"{'-':>8} {'-':>7}")
            batch = r["spatial_batch"] if stage == "spatial" else r["temporal_batch"]
            print(f"{r['backend']:<11} {r['device'][:22]:<22} {stage + ' ' + str(batch):<9} {s['first_s']:8.1f} "
                  f"{s['wall_ms']:9.1f} {s['cpu_ms']:9.1f} {ratio}")
        if "fold" in r:
            print(f"{r['backend']:<11} quick-demo-sized fold: " +
                  ", ".join(f"{k} {v:.1f}" for k, v in r["fold"].items()))
    if args.json:
        Path(args.json).write_text(json.dumps({"load": load, "results": results}, indent=1))
    return 0 if len(results) == len(args.backends) else 1


if __name__ == "__main__":
    sys.exit(main())
