"""What a GIA + BIA run will cost on this machine, from one measured training step (printed before a run).

The estimate: seconds of one training step on one clip (measured: the second of two ``train_on_batch``
calls, so tracing is left out) x the clip-epochs of a LOSO run, epochs x sum over folds of the training
clips = epochs x n_clips x (n_folds - 1). Left out: the augmentation (a rotation and a crop of every frame,
every epoch), the data pipeline and the prediction of the held-out clips, so on a busy machine it errs
short: on the quick demo (2 shared CPU cores) a 0.32 s step predicted 200 s per fold, and folds took 300 s.
It says how many hours or days a run takes, not to the minute.
"""
import time

import numpy as np


def measure_step_seconds(config, n_classes):
    """Seconds of one training step (Adam, the run's loss) on one clip of ``config``'s shape."""
    import keras

    from micro_expr.gia_bia.model import build_model

    model = build_model(config, n_classes)
    model.compile(optimizer=keras.optimizers.Adam(config.learning_rate), loss="sparse_categorical_crossentropy",
                  jit_compile=False)
    inputs = [np.zeros((1, config.frames, config.size, config.size, 3), dtype=np.float32)]
    if config.n_blocks:
        inputs.append(np.tile(np.array([[0.5, 0.5, 0.2]], dtype=np.float32), (1, config.n_blocks, 1)))
    y = np.zeros((1,), dtype=np.int64)
    model.train_on_batch(inputs, y)          # first call: tracing
    start = time.perf_counter()
    model.train_on_batch(inputs, y)
    return time.perf_counter() - start


def run_hours(step_seconds, epochs, n_clips, n_folds):
    """Hours of a LOSO run: ``step_seconds`` per clip and epoch, every fold training on the other folds' clips."""
    return step_seconds * epochs * n_clips * max(1, n_folds - 1) / 3600


def cost_line(config, n_classes, items, step_seconds=None):
    """One line: the measured step and the estimated hours of the whole run."""
    n_folds = len({item.subject for item in items})
    if step_seconds is None:
        step_seconds = measure_step_seconds(config, n_classes)
    hours = run_hours(step_seconds, config.epochs, len(items), n_folds)
    days = f" ({hours / 24:.1f} days)" if hours >= 48 else ""
    return (f"cost: one training step on one clip ({config.frames} x {config.size} x {config.size}) took "
            f"{step_seconds:.2f} s here; {config.epochs} epochs x {len(items)} clips x {n_folds - 1} of "
            f"{n_folds} LOSO folds -> about {hours:.1f} hours{days} for every fold on this machine")
