"""What one fold's checkpoints cost: bytes and wall / CPU seconds, three ways.

    python -m benchmarks.checkpoint_cost [--preset strict] [--repeats 5]

Saves the models one fold of the preset writes (``per_fold`` split: six spatial models and the temporal
model; ``frame50``: the temporal model, the spatial ones once per run) as `.keras` + Keras 2 `.h5`, as
`.keras` by ``model.save``, and as `.keras` by :mod:`micro_expr.core.keras_writer` (the architecture
serialised once per run: what runs do now), alternating, in one process, and prints the medians (untrained
weights: the file sizes and the time do not depend on the values).
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


WAYS = {".keras + .h5 (model.save)": dict(keras2_h5=True),
        ".keras (model.save)": dict(keras2_h5=False),
        ".keras (keras_writer, now)": dict(same_architecture=True)}


def measure(models, options, repeats):
    """(median wall s, median CPU s, bytes) of saving ``models`` as a fold does, ``save_checkpoint(**options)``."""
    from micro_expr.core.checkpoints import folder_checkpoint_bytes, save_checkpoint

    walls, cpus = [], []
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(repeats):
            wall, cpu = time.perf_counter(), time.process_time()
            for name, model in models.items():
                save_checkpoint(model, Path(folder) / name, {"stage": name}, **options)
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
    for options in WAYS.values():   # warm-up (the writer's one walk and serialisation per model: once per run)
        measure(models, options, 1)
    print(f"load before {os.getloadavg()}, {os.cpu_count()} cores; preset {args.preset}: {len(models)} models per fold")
    rows = {}
    for _ in range(2):   # alternate, so that a change of load hits every way
        for label, options in WAYS.items():
            rows.setdefault(label, []).append(measure(models, options, args.repeats))
    for label in WAYS:
        wall = statistics.median(r[0] for r in rows[label])
        cpu = statistics.median(r[1] for r in rows[label])
        print(f"  {label:<28} {wall:6.2f} s wall {cpu:6.2f} CPU-s {rows[label][0][2] / 1e6:7.1f} MB per fold")
    print(f"load after {os.getloadavg()}")


if __name__ == "__main__":
    main()
