"""How many bytes a run will write, estimated from its configuration before any fold trains.

A run writes, per fold, the checkpoints of the models that fold trains plus a few JSON files; once, the
checkpoints of a stage shared by every fold (STFF's 'frame50' split), run.json and the merged results. The
checkpoints dominate, and their size follows from the models' parameter counts and the files
:func:`micro_expr.core.checkpoints.save_checkpoint` writes per model (:data:`~micro_expr.core.checkpoints.CHECKPOINT_FILES`: change it there
when that format changes, in one place). A resumed run knows better: the fold folders it finished list the size
of every file in their ``done.json``.

    estimate = run_estimate(system, items, folds_to_run, shared_to_run)     # a DiskEstimate
    check_output_folder(out, min_free=estimate.total)
"""
import functools
import json
from dataclasses import dataclass
from pathlib import Path

from micro_expr.core.checkpoints import CHECKPOINT_FILES  # the one place that knows the format

FOLD_FILES = 32_000        # a fold's history.json, done.json, lock, and predictions.json beyond its records
PER_TEST_ITEM = 1_000      # one record of predictions.json (MEAN's carry their spots)
PER_ITEM = 200             # run.json's sample key and fold entries, results.json's per-sample lines
RESULTS = 1_000_000        # results.json, results.md, the confusion matrix and training curves (PNG)
MARGIN = 1.2               # what the sizes above miss (file system blocks, longer histories)


def checkpoint_bytes(parameters, files=None):
    """Bytes of one model's checkpoint files with ``parameters`` weights (the only place that knows the format)."""
    files = CHECKPOINT_FILES if files is None else files
    return sum(per_parameter * int(parameters) + fixed for per_parameter, fixed in files.values())


@dataclass(frozen=True)
class DiskEstimate:
    """Bytes a run still has to write: per fold to run, the shared stage, and the rest (run.json, results)."""

    per_fold: int
    folds: int
    shared: int
    other: int

    @property
    def total(self):
        return int(MARGIN * (self.per_fold * self.folds + self.shared + self.other))

    def describe(self):
        parts = [f"{self.folds} fold(s) x {self.per_fold / 1e6:.1f} MB"]
        if self.shared:
            parts.append(f"shared stage {self.shared / 1e6:.1f} MB")
        return f"about {self.total / 1e6:.1f} MB ({' + '.join(parts)} + run files {self.other / 1e6:.1f} MB, " \
               f"+{MARGIN - 1:.0%})"


@functools.lru_cache(maxsize=32)
def _parameters(system_class, config_json):
    system = system_class.from_config_dict(json.loads(config_json))
    return system.checkpoint_parameters()


def checkpoint_parameters(system):
    """{"shared": {model: parameters}, "per_fold": {...}} of ``system`` (models built once per configuration)."""
    return _parameters(type(system), json.dumps(system.config.to_dict(), sort_keys=True, default=str))


def finished_fold_bytes(run_folder, folds):
    """The largest total of the files a finished fold of ``folds`` wrote (from its done.json), or None."""
    from micro_expr.core.run_folder import DONE, read_json

    sizes = []
    for fold in folds:
        marker = Path(run_folder.fold_folder(fold)) / DONE
        if marker.is_file():
            files = read_json(marker, "fold marker").get("files")
            if files:   # older markers list no files
                sizes.append(sum(size for size, _ in files.values()))
    return max(sizes) if sizes else None


def run_estimate(system, n_items, fold_tests, shared=False, run_folder=None, done_folds=()):
    """The :class:`DiskEstimate` of training the folds whose test-item counts are ``fold_tests``.

    ``shared``: the shared stage is still to train. ``run_folder``/``done_folds``: a resumed run takes the size of
    its largest finished fold instead of the parameter estimate (and builds no model to count parameters).
    """
    measured = finished_fold_bytes(run_folder, done_folds) if run_folder is not None else None
    if measured is not None and not shared:
        per_fold = measured + PER_TEST_ITEM * max(fold_tests, default=0)
        return DiskEstimate(per_fold, len(fold_tests), 0, RESULTS + PER_ITEM * n_items)
    if not fold_tests and not shared:
        return DiskEstimate(0, 0, 0, RESULTS + PER_ITEM * n_items)
    parameters = checkpoint_parameters(system)
    per_fold = measured if measured is not None else (
        sum(checkpoint_bytes(n) for n in parameters["per_fold"].values()) + FOLD_FILES)
    per_fold += PER_TEST_ITEM * max(fold_tests, default=0)
    shared_bytes = sum(checkpoint_bytes(n) for n in parameters["shared"].values()) if shared else 0
    return DiskEstimate(per_fold, len(fold_tests), shared_bytes, RESULTS + PER_ITEM * n_items)
