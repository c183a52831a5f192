"""Check every published MEAN file: our Keras model against the NumPy reference pass.

    python -m micro_expr.mean.verify ../shared/data/mean_weights [--batch 8] [--seed 0]

For each ``<dataset>/<kind>/s<fold>.hdf5`` it loads the weights into our Keras
3 model, runs it and the NumPy pass (``reference.py``) on the same fixed random
input, and prints the largest absolute output difference per dataset and kind.
Exit code 1 when a file fails to load or differs by more than ``--tolerance``.
"""
import argparse
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np


def fixed_inputs(batch=8, seed=0):
    """[u, v, strain] of shape (batch, 42, 42, 1) in [0, 1), like the normalised features."""
    rng = np.random.default_rng(seed)
    return [rng.random((batch, 42, 42, 1), dtype=np.float32) for _ in range(3)]


def largest_difference(model, checkpoint, inputs):
    """max |Keras - NumPy| over all outputs of one checkpoint."""
    from micro_expr.mean.reference import reference_outputs

    outputs = model(inputs, training=False)
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    expected = reference_outputs(checkpoint, inputs)
    return max(float(np.max(np.abs(np.asarray(out) - expected[task]))) for out, task in zip(outputs, checkpoint.tasks))


def verify_folder(root, batch=8, seed=0):
    """{(dataset, kind): [(file, difference or error message)]} for all published files under ``root``."""
    from data_prep.errors import InputError
    from micro_expr.mean.published import build_model_for, read_checkpoint, set_published_weights

    inputs = fixed_inputs(batch, seed)
    models = {}  # one Keras model per (kind, classes), refilled for each file
    results = defaultdict(list)
    for path in sorted(Path(root).glob("*/*/s*.hdf5")):
        dataset, kind = path.parts[-3], path.parts[-2]
        try:
            checkpoint = read_checkpoint(path)
            key = (checkpoint.kind, checkpoint.num_classes)
            if key not in models:
                models[key] = build_model_for(*key)
            set_published_weights(models[key], checkpoint)
            results[dataset, kind].append((path, largest_difference(models[key], checkpoint, inputs)))
        except InputError as error:
            results[dataset, kind].append((path, str(error)))
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="the mean_weights folder (<dataset>/<kind>/s<fold>.hdf5)")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tolerance", type=float, default=1e-5)
    args = parser.parse_args(argv)

    results = verify_folder(args.folder, args.batch, args.seed)
    if not results:
        print(f"{args.folder}: no <dataset>/<kind>/s<fold>.hdf5 files")
        return 1
    worst, failures, total = 0.0, [], 0
    print(f"{'dataset':<10} {'kind':<11} {'files':>5}  largest |keras - numpy|")
    for (dataset, kind), entries in sorted(results.items()):
        numbers = [d for _, d in entries if isinstance(d, float)]
        failures += [(p, d) for p, d in entries if not isinstance(d, float) or d > args.tolerance]
        worst, total = max([worst] + numbers), total + len(numbers)
        print(f"{dataset:<10} {kind:<11} {len(numbers):>5}  {max(numbers, default=float('nan')):.3e}")
    print(f"all: {total} files loaded, largest difference {worst:.3e} (tolerance {args.tolerance:g})")
    for path, problem in failures:
        print(f"FAILED {path}: {problem}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
