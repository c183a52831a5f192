"""What one fold's checkpoints cost: bytes and wall / CPU seconds, .keras only against .keras + Keras 2 .h5.

    python -m benchmarks.checkpoint_cost [--preset strict] [--repeats 5]

Saves the models one fold of the preset writes (``per_fold`` split: six spatial models and the temporal
model; ``frame50``: the temporal model, the spatial ones once per run) the two ways, alternating, in one
process, and prints the medians (untrained weights: the file sizes and the time do not depend on the values).
"""
import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")


def fold_models(preset):
    from micro_expr.stff.models import build_spatial_models, build_temporal_from_config
    from micro_expr.stff.config import get_preset

    config = get_preset(preset)
    models = {"temporal": build_temporal_from_config(config)}
    if config.spatial.split == "per_fold":
        models.update(build_spatial_models(config))
    return models


def measure(models, keras2_h5, repeats):
    """(median wall s, median CPU s, bytes) of saving ``models`` as a fold does."""
    from micro_expr.core.checkpoints import folder_checkpoint_bytes, save_checkpoint

    walls, cpus = [], []
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(repeats):
            wall, cpu = time.perf_counter(), time.process_time()
            for name, model in models.items():
                save_checkpoint(model, Path(folder) / name, {"stage": name}, keras2_h5=keras2_h5)
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
        size = folder_checkpoint_bytes(folder)
    return statistics.median(walls), statistics.median(cpus), size


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="strict")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    models = fold_models(args.preset)
    measure(models, True, 1)   # warm-up
    print(f"load before {os.getloadavg()}, {os.cpu_count()} cores; preset {args.preset}: {len(models)} models per fold")
    rows = {}
    for _ in range(2):   # alternate, so that a change of load hits both
        for keras2_h5 in (True, False):
            rows.setdefault(keras2_h5, []).append(measure(models, keras2_h5, args.repeats))
    for keras2_h5, label in ((True, ".keras + .h5 (before)"), (False, ".keras only (now)")):
        wall = statistics.median(r[0] for r in rows[keras2_h5])
        cpu = statistics.median(r[1] for r in rows[keras2_h5])
        print(f"  {label:<24} {wall:6.2f} s wall {cpu:6.2f} CPU-s {rows[keras2_h5][0][2] / 1e6:7.1f} MB per fold")
    print(f"load after {os.getloadavg()}")


if __name__ == "__main__":
    main()
