"""The arithmetic of a full run's cost: which stage runs how often on how much work, times a timing table.

Pure functions, no TensorFlow: :mod:`benchmarks.full_run_estimate` measures the timing table on the
machine it runs on and passes it here, and ``tests/test_full_run_estimate.py`` checks the arithmetic on a
fake table.

A stage is charged, for every time it runs, ``fixed + units x per_unit`` (wall and CPU seconds apart):
``fixed`` is what one fit or call pays whatever its size (restarting weights, building the input
pipeline, a Keras model's build, compile and trace), ``per_unit`` what one training step, frame, clip
or flow pair costs. A stage trained once for every fold (STFF's ``frame50`` split, presets ``paper``
and ``original``) has one run, not one per fold.

Timing table: ``{key: {"wall": s per unit, "cpu": s per unit, "fixed_wall": s per run, "fixed_cpu": s per
run}}``; missing fixed costs count as 0.
"""
import math
from collections import defaultdict
from dataclasses import dataclass


@dataclass(frozen=True)
class Stage:
    """A stage of a run: ``units[i]`` units of work in its i-th run (so ``len(units)`` runs)."""

    name: str
    timing: str        # key of the timing table
    unit: str          # what one unit is: "step", "frame", "clip", "flow pair", "save"
    units: tuple       # per run


@dataclass(frozen=True)
class Folds:
    """What every LOSO fold holds: per fold, the training and test clips' frame counts."""

    train_frames: tuple   # per fold, list of frame counts of its training clips
    test_frames: tuple    # per fold, the same for its test clips

    @classmethod
    def loso(cls, lengths, subjects):
        """Leave-one-subject-out folds of clips with ``lengths`` (frames) and ``subjects`` (group names)."""
        if len(lengths) != len(subjects):
            raise ValueError(f"{len(lengths)} clip lengths for {len(subjects)} subjects")
        train, test = [], []
        for held_out in sorted(set(subjects)):
            test.append(tuple(n for n, s in zip(lengths, subjects) if s == held_out))
            train.append(tuple(n for n, s in zip(lengths, subjects) if s != held_out))
        return cls(tuple(train), tuple(test))

    @property
    def n_folds(self):
        return len(self.train_frames)

    @property
    def all_frames(self):
        return sum(self.train_frames[0]) + sum(self.test_frames[0])

    @property
    def n_clips(self):
        return len(self.train_frames[0]) + len(self.test_frames[0])


def steps(n, batch_size, epochs=1):
    """Training steps of ``epochs`` over ``n`` samples at ``batch_size`` (the last batch may be smaller)."""
    return epochs * math.ceil(n / batch_size) if n else 0


# --- which stage runs how often, per system -------------------------------------------------------------

def stff_stages(spatial, temporal, folds):
    """STFF and its predecessor CNN-LSTM (same pipeline, :mod:`micro_expr.stff.system`).

    ``spatial``: dict split ("per_fold" / "frame50"), split_fraction, fold_frame_fraction, epochs,
    batch_size; ``temporal``: dict epochs, batch_size.

    - ``per_fold`` (``strict``): every fold trains the spatial models on its training frames
      (``fold_frame_fraction`` of them), extracts the features of all its clips, trains the temporal model,
      predicts its test clips and saves spatial and temporal checkpoints.
    - ``frame50`` (``paper``, ``original``): :meth:`STFF.fit_shared` trains the spatial models ONCE on
      ``split_fraction`` of all frames, saves them once and extracts every clip's features once (memoised);
      each fold then trains, predicts and saves the temporal stage only.
    """
    n, total = folds.n_folds, folds.all_frames
    se, sb, te, tb = spatial["epochs"], spatial["batch_size"], temporal["epochs"], temporal["batch_size"]
    result = []
    # int(), not round(): frame50_indices keeps the first int(n x fraction) frames of its draw.
    if spatial["split"] == "frame50":
        result += [Stage("spatial training (once)", "spatial_step", "step",
                         (steps(int(spatial["split_fraction"] * total), sb, se),)),
                   Stage("spatial features (once)", "features", "frame", (total,)),
                   Stage("spatial checkpoints (once)", "spatial_checkpoint", "save", (1,))]
    else:
        fraction = spatial.get("fold_frame_fraction", 1.0)
        result += [Stage("spatial training", "spatial_step", "step",
                         tuple(steps(int(fraction * sum(train)), sb, se) for train in folds.train_frames)),
                   Stage("spatial features", "features", "frame", (total,) * n),
                   Stage("spatial checkpoints", "spatial_checkpoint", "save", (1,) * n)]
    result += [Stage("temporal training", "temporal_step", "step",
                     tuple(steps(len(train), tb, te) for train in folds.train_frames)),
               # XLA compiles the temporal step once per batch shape it meets in the run (kept across folds):
               # the full batch and every fold's last, smaller one
               Stage("temporal compilation (once per shape)", "temporal_compile", "shape",
                     (len({min(tb, len(train)) for train in folds.train_frames}
                          | {len(train) % tb for train in folds.train_frames if len(train) % tb}),)),
               Stage("predictions", "temporal_predict", "clip", tuple(len(test) for test in folds.test_frames)),
               Stage("temporal checkpoints", "temporal_checkpoint", "save", (1,) * n)]
    return result


def mean_stages(config, folds, k, train=True):
    """MEAN (Liong et al., :mod:`micro_expr.mean.pipeline`): optical flow of every clip once per run (``k``
    frames apart: T - k spotting pairs and one onset -> apex pair per clip), then per fold a fresh model
    trained for spotting (every window counted: ``ratio`` non-ME windows are kept per ME window, which
    on short clips keeps all of them, so on long videos this is an upper bound) and for recognition (one sample per training clip), predictions of the held-out windows and a
    checkpoint. ``train=False``: evaluation of the published checkpoints (long videos): flow and
    predictions only. ``config``: dict epochs_spot, epochs_recog, batch_size."""
    n = folds.n_folds
    pairs = [max(0, t - k) for t in folds.train_frames[0] + folds.test_frames[0]]
    result = [Stage("optical flow (once)", "flow_pair", "flow pair",
                    (sum(pairs) + (len(pairs) if train else 0),))]
    if train:
        b = config["batch_size"]
        result += [Stage("spotting training", "spot_step", "step",
                         tuple(steps(sum(max(0, t - k) for t in train), b, config["epochs_spot"])
                               for train in folds.train_frames)),
                   Stage("recognition training", "recog_step", "step",
                         tuple(steps(len(train), b, config["epochs_recog"]) for train in folds.train_frames)),
                   Stage("checkpoints", "mean_checkpoint", "save", (1,) * n)]
    result.append(Stage("predictions", "mean_predict", "window",
                        tuple(sum(max(0, t - k) for t in test) for test in folds.test_frames)))
    return result


def gia_bia_stages(config, folds):
    """GIA + BIA (Zhu et al. 2023, :mod:`micro_expr.gia_bia.system`): per fold a fresh model trained for
    ``epochs`` over the training clips (one augmented copy of every clip per epoch), the test clips
    predicted and a checkpoint. ``config``: dict epochs, batch_size."""
    e, b = config["epochs"], config["batch_size"]
    return [Stage("training", "gia_step", "step", tuple(steps(len(train), b, e) for train in folds.train_frames)),
            Stage("augmentation", "augment_clip", "clip", tuple(e * len(train) for train in folds.train_frames)),
            Stage("predictions", "gia_predict", "clip", tuple(len(test) for test in folds.test_frames)),
            Stage("checkpoints", "gia_checkpoint", "save", (1,) * folds.n_folds)]


# --- the arithmetic ---------------------------------------------------------------------------------------

def estimate(stages, timings):
    """Hours of every stage and of the whole run: ``{"stages": [...], "total_hours", "cpu_hours"}``.

    Per stage: ``runs``, ``units`` (total), ``unit``, ``cost_each`` (wall s of one run, its mean over the
    runs), ``cpu_each``, ``fixed_each`` (the wall s of that which does not depend on the size),
    ``hours``, ``cpu_hours``.
    """
    rows, totals = [], defaultdict(float)
    for stage in stages:
        t = timings[stage.timing]
        runs = len(stage.units)
        units = sum(stage.units)
        wall = runs * t.get("fixed_wall", 0.0) + units * t["wall"]
        cpu = runs * t.get("fixed_cpu", 0.0) + units * t["cpu"]
        rows.append({"stage": stage.name, "runs": runs, "units": units, "unit": stage.unit,
                     "per_unit": t["wall"], "fixed_each": t.get("fixed_wall", 0.0),
                     "cost_each": wall / runs if runs else 0.0, "cpu_each": cpu / runs if runs else 0.0,
                     "hours": wall / 3600, "cpu_hours": cpu / 3600})
        totals["wall"] += wall
        totals["cpu"] += cpu
    return {"stages": rows, "total_hours": totals["wall"] / 3600, "cpu_hours": totals["cpu"] / 3600}


def line_fit(x1, y1, x2, y2):
    """(intercept, slope) of the line through two measured points, e.g. a fit's time at 1 and 3 steps."""
    slope = (y2 - y1) / (x2 - x1)
    return y1 - slope * x1, slope
