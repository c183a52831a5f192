"""Training-step times of the old and new layouts, side by side in one process (medians).

    python -m benchmarks.step_times --patches 9 --batch 16 --steps 10

Spatial: one region model (R0 of the preset) at m patches, a step = forward,
gradient and Adam update; four variants: per-patch encoders or grouped
convolutions, keras.optimizers.Adam or the fused Adam. Temporal: the
per-region LSTMs or the batched LSTM, with post-padded clips of ``--clip``
frames in sequences of N (masking trims the loop to the longest clip).
Prints per variant: tracing seconds, graph ops, median step ms (min-max); the
variants take turns step by step, so a shared machine's load hits them alike.
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _step_function(model, optimizer_kind, x, y):
    import keras
    import tensorflow as tf

    from micro_expr.stff.training import FusedAdam

    loss_fn = keras.losses.CategoricalCrossentropy()
    if optimizer_kind == "fused":
        optimizer = FusedAdam(model.trainable_variables, 1e-4)
        apply = optimizer.apply
    else:
        optimizer = keras.optimizers.Adam(1e-4)
        optimizer.build(model.trainable_variables)

        def apply(gradients):
            optimizer.apply_gradients(zip(gradients, model.trainable_variables))

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        apply(tape.gradient(loss, model.trainable_variables))
        return loss

    return step


def trace(model, optimizer_kind, x, y):
    """(step function, tracing s, graph ops): the step traced and run once."""
    step = _step_function(model, optimizer_kind, x, y)
    start = time.perf_counter()
    concrete = step.get_concrete_function(x, y)
    step(x, y).numpy()
    return step, time.perf_counter() - start, len(concrete.graph.get_operations())


def time_round_robin(variants, x, y, steps):
    """Step times in ms per variant, the variants taking turns step by step (a shared machine's
    load then falls on all of them alike)."""
    times = {name: [] for name in variants}
    for _ in range(steps):
        for name, step in variants.items():
            start = time.perf_counter()
            step(x, y).numpy()
            times[name].append(1000 * (time.perf_counter() - start))
    return times


def _compare(models, x, y, steps):
    """Trace every (name -> (model, optimizer kind)), time them round-robin, print and return the figures."""
    traced = {name: trace(model, kind, x, y) for name, (model, kind) in models.items()}
    times = time_round_robin({name: t[0] for name, t in traced.items()}, x, y, steps)
    results = {}
    for name, (_, trace_s, ops) in traced.items():
        t = times[name]
        results[name] = {"trace_s": trace_s, "ops": ops, "median_ms": statistics.median(t)}
        print(f"{name:<48} trace {trace_s:6.1f} s  ops {ops:6d}  step {statistics.median(t):7.1f} ms "
              f"({min(t):.1f}-{max(t):.1f})", flush=True)
    return results


def spatial(preset, m, batch, steps):
    import keras

    from micro_expr.stff.config import get_preset
    from micro_expr.stff.models import build_spatial_model, copy_spatial_weights

    config = get_preset(preset, **{"spatial.patches": m})
    h, w = config.patch_sizes[0]
    k = len(config.region_class_names[0])
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 255, (batch, m, h, w, 3)).astype(np.float32)
    y = np.eye(k, dtype=np.float32)[np.arange(batch) % k]
    keras.utils.set_random_seed(0)
    reference = build_spatial_model(config.spatial, (h, w), k, layout="per_patch")
    models = {}
    for layout in ("per_patch", "grouped"):
        for optimizer in ("keras", "fused"):
            model = copy_spatial_weights(reference, build_spatial_model(config.spatial, (h, w), k, layout=layout))
            models[f"spatial m={m} b={batch} {layout} + {optimizer} Adam"] = (model, optimizer)
    return _compare(models, x, y, steps)


def temporal(preset, batch, clip, steps):
    import keras

    from micro_expr.stff.config import get_preset
    from micro_expr.stff.models import build_temporal_from_config, copy_temporal_weights

    config = get_preset(preset)
    n = config.temporal.sequence_length
    rng = np.random.default_rng(0)
    x = []
    for _ in config.region_names:
        a = np.zeros((batch, n, 256), dtype=np.float32)
        if config.temporal.padding == "post":
            a[:, :clip] = rng.normal(size=(batch, clip, 256))
        else:
            a[:, n - clip:] = rng.normal(size=(batch, clip, 256))
        x.append(a)
    y = np.eye(config.n_classes, dtype=np.float32)[np.arange(batch) % config.n_classes]
    keras.utils.set_random_seed(0)
    reference = build_temporal_from_config(config)
    models = {}
    for layout, optimizer in (("per_region", "keras"), ("batched", "keras"), ("batched", "fused")):
        model = copy_temporal_weights(reference, build_temporal_from_config(config, layout=layout))
        models[f"temporal {preset} b={batch} N={n} clip={clip} {layout} + {optimizer} Adam"] = (model, optimizer)
    return _compare(models, x, y, steps)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.step_times", description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="original")
    parser.add_argument("--patches", type=int, default=9)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--temporal-batch", type=int, default=32)
    parser.add_argument("--clip", type=int, default=30, help="frames per clip in the temporal sequences")
    parser.add_argument("--skip", choices=("spatial", "temporal"), default=None)
    args = parser.parse_args(argv)
    if args.skip != "spatial":
        spatial(args.preset, args.patches, args.batch, args.steps)
    if args.skip != "temporal":
        for preset in ("strict", "original"):  # post-padding + masking, and the code's pre-padding without
            temporal(preset, args.temporal_batch, args.clip, args.steps)
    return 0


if __name__ == "__main__":
    sys.exit(main())
