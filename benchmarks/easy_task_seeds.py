"""The easy task of tests/backend_probe.py (``learn``) over several seeds and both STFF training paths.

    KERAS_BACKEND=tensorflow python benchmarks/easy_task_seeds.py fast,keras 0,1,2,3 '{"regions": [0], "spatial.learning_rate": 0.01}'
    KERAS_BACKEND=jax python benchmarks/easy_task_seeds.py keras 0,1,2 '{"regions": [0], "spatial.learning_rate": 0.01}'

PATHS: ``fast`` (TensorFlow's traced step; TensorFlow only) and/or ``keras`` (the Keras path; on TensorFlow via
MICRO_EXPR_KERAS_PATH=1). The optional JSON holds config overrides on top of the task's (six regions, batches of
8 frames, no dropout, learning rate 3e-3, 12 epochs). Prints the first input's training accuracy and loss per
epoch, one line per path and seed (docs/backends.md, "The Keras path takes TensorFlow's steps").
"""
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import numpy as np  # noqa: E402

import micro_expr  # noqa: E402,F401  (TensorFlow defaults)
import keras  # noqa: E402
from backend_probe import _tiny_fold_data, config  # noqa: E402
from micro_expr.stff import training  # noqa: E402


def main(paths, seeds, overrides="{}"):
    cfg = config(**{"spatial.epochs": 12, "spatial.batch_size": 8, "spatial.dropout": 0.0,
                    "spatial.learning_rate": 3e-3, **json.loads(overrides)})
    arrays, labels = _tiny_fold_data(cfg, n=8)
    frame_labels = [np.repeat(labels, 3) % len(classes) for classes in cfg.region_class_names]
    first = cfg.region_names[0]
    print("load", os.getloadavg(), flush=True)
    for path in paths.split(","):
        os.environ["MICRO_EXPR_KERAS_PATH"] = "1" if path == "keras" else "0"
        for seed in map(int, seeds.split(",")):
            start, cpu = time.time(), time.process_time()
            keras.utils.set_random_seed(seed)
            history = training.SpatialStage(cfg, progress=False).fit(arrays, frame_labels, seed=seed)
            print(keras.backend.backend(), path, seed, "accuracy", np.round(history[f"{first}_accuracy"], 2).tolist(),
                  "loss", np.round(history[f"{first}_loss"], 3).tolist(),
                  f"{time.time() - start:.0f} s wall, {time.process_time() - cpu:.0f} CPU-s", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
