"""Run a protocol fold by fold: LOSO (MEGC, 5-AU) or cross-dataset; resumable and splittable.

A run folder holds::

    run.json                  configuration, samples, folds (a rerun must match it)
    train.log                 progress of every fold, stage and epoch
    spatial_shared/           spatial models of the 'frame50' split (trained once, spec section 2)
    folds/NN_<subject>/       checkpoints, predictions.json, history.json, done.json (written last)
    results.json, results.md, confusion_matrix.png, training_curves.png   (when every fold is done)

A killed run restarts at the first fold without ``done.json``; ``folds=`` runs
only some folds (e.g. one per cluster job) and :func:`merge_results` combines them.
"""
import json
import logging
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from data_prep.errors import InputError
from data_prep.labels import protocol_classes
from micro_expr import training
from micro_expr.checkpoints import load_h5_weights
from micro_expr.data import load_frames, protocol_items, region_targets
from micro_expr.splits import frame50_indices

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Fold:
    """One train/test split: ``name`` is the held-out subject (LOSO) or the test dataset."""

    index: int
    name: str
    train: tuple   # item indices
    test: tuple

    @property
    def folder(self):
        return f"{self.index:02d}_{re.sub(r'[^A-Za-z0-9_.-]+', '_', self.name)}"


def loso_folds(items):
    """Leave-one-subject-out folds (sklearn's LeaveOneGroupOut), one per subject."""
    from sklearn.model_selection import LeaveOneGroupOut

    groups = np.array([item.subject for item in items])
    folds = []
    for index, (train, test) in enumerate(LeaveOneGroupOut().split(np.zeros(len(items)), groups=groups)):
        folds.append(Fold(index, str(groups[test[0]]), tuple(int(i) for i in train), tuple(int(i) for i in test)))
    return folds


def cross_dataset_folds(items, train_datasets, test_dataset):
    """One fold: train on ``train_datasets``, test on ``test_dataset`` (seed 001 Tables 12-13)."""
    train = tuple(i for i, item in enumerate(items) if item.dataset in train_datasets)
    test = tuple(i for i, item in enumerate(items) if item.dataset == test_dataset)
    if not train or not test:
        raise InputError(f"cross-dataset: no samples to train on ({sorted(train_datasets)}) "
                         f"or to test on ({test_dataset})")
    return [Fold(0, f"{'+'.join(sorted(train_datasets))}_to_{test_dataset}", train, test)]


def select_folds(folds, selection):
    """Folds picked by ``selection``: None (all), or indices / ranges / names like "0-3,7,casme2/sub05"."""
    if not selection:
        return folds
    chosen = set()
    for part in str(selection).split(","):
        part = part.strip()
        if re.fullmatch(r"\d+-\d+", part):
            low, high = map(int, part.split("-"))
            chosen.update(range(low, high + 1))
        elif part.isdigit():
            chosen.add(int(part))
        else:
            matches = [f.index for f in folds if f.name == part]
            if not matches:
                raise InputError(f"--folds: unknown fold {part!r}; folds are 0..{len(folds) - 1} "
                                 f"or subjects such as {folds[0].name}")
            chosen.update(matches)
    unknown = sorted(chosen - {f.index for f in folds})
    if unknown:
        raise InputError(f"--folds: no fold {unknown}; this run has folds 0..{len(folds) - 1}")
    return [f for f in folds if f.index in chosen]


def _write_json(path, data):
    temporary = Path(str(path) + ".tmp")
    temporary.write_text(json.dumps(data, indent=2, default=_json_default))
    os.replace(temporary, path)


def _json_default(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"not JSON-able: {type(value)}")


def _check_run_folder(out, description):
    """Create run.json, or check that the folder holds the same run (no silent mixing)."""
    path = out / "run.json"
    if path.exists():
        found = json.loads(path.read_text())
        if found["config"] != description["config"] or found["items"] != description["items"]:
            changed = sorted(k for k in description["config"]
                             if found["config"].get(k) != description["config"][k])
            raise InputError(f"{path}: this folder holds a run with other settings or samples "
                             f"(differs in: {', '.join(changed) or 'samples'}); choose another --out")
    else:
        _write_json(path, description)


def _add_log_file(out):
    handler = logging.FileHandler(out / "train.log")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("micro_expr")
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    return handler


def run_protocol(cache_path, config, out, folds_kind="loso", datasets=None, train_datasets=None,
                 test_dataset=None, fold_selection=None, merge=True, note=None):
    """Train and evaluate ``config`` fold by fold on a prepared cache; returns the results (or None).

    ``folds_kind``: "loso" or "cross". Finished folds are skipped, so a killed
    run resumes; results are written when every fold is done.
    """
    from data_prep.cache import RegionCache

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    handler = _add_log_file(out)
    try:
        with RegionCache(cache_path) as cache:
            wanted = set(train_datasets or []) | {test_dataset} if folds_kind == "cross" else datasets
            items = protocol_items(cache, config.protocol, wanted, config.exclude_samples)
            folds = (loso_folds(items) if folds_kind == "loso"
                     else cross_dataset_folds(items, set(train_datasets), test_dataset))
            _check_run_folder(out, {"config": config.to_dict(), "prep_config": json.loads(cache.config.to_json()),
                                    "folds_kind": folds_kind, "note": note,
                                    "cache": str(cache_path), "items": [i.key for i in items],
                                    "folds": [{"index": f.index, "name": f.name, "test": [items[i].key for i in f.test]}
                                              for f in folds]})
            todo = [f for f in select_folds(folds, fold_selection) if not (out / "folds" / f.folder / "done.json").exists()]
            log.info("%s: %d samples, %d folds, %d to run", config.protocol, len(items), len(folds), len(todo))
            if todo:
                import keras

                keras.utils.set_random_seed(config.seed)  # once: initial weights, dropout and shuffles
                arrays, owner = load_frames(cache, items, config)
                spatial, temporal = training.SpatialStage(config), training.TemporalStage(config)
                shared = (_shared_spatial(config, spatial, out, items, arrays, owner,
                                          test_dataset if folds_kind == "cross" else None)
                          if config.spatial.split == "frame50" else None)
                for number, fold in enumerate(todo, 1):
                    log.info("fold %d/%d (%s): %d training samples, %d test samples", number, len(todo),
                             fold.name, len(fold.train), len(fold.test))
                    run_fold(config, fold, items, arrays, owner, out / "folds" / fold.folder, spatial, temporal,
                             shared)
        done = [f for f in folds if (out / "folds" / f.folder / "done.json").exists()]
        if merge and len(done) == len(folds):
            return merge_results(out, note)
        log.info("%d of %d folds done; results are written when all are", len(done), len(folds))
        return None
    finally:
        logging.getLogger("micro_expr").removeHandler(handler)
        handler.close()


def _frame_labels(items, owner, config):
    per_item = region_targets(items, config)
    return [labels[owner] for labels in per_item]


def _shared_spatial(config, spatial, out, items, arrays, owner, test_dataset=None):
    """The code's once-for-all spatial training on a random half of all frames (leaky, spec section 2).

    Returns every item's feature sequences; the trained models are saved in
    ``spatial_shared/`` and reused by a resumed run.
    """
    folder = out / "spatial_shared"
    if (folder / "done.json").exists():
        for name, model in spatial.models.items():
            load_h5_weights(model, folder / f"{name}.h5")
    else:
        # Cross-dataset: the draw leaves out the test dataset's frames (micro_expr.splits).
        chosen = frame50_indices(owner, items, test_dataset, config.spatial.split_fraction, config.spatial.split_seed)
        labels = _frame_labels(items, owner, config)
        log.info("spatial (frame50, all %s mixed): %d of %d frames", "subjects" if test_dataset is None
                 else f"training-dataset subjects, none of {test_dataset}", len(chosen), len(owner))
        history = spatial.fit([a[chosen] for a in arrays], [y[chosen] for y in labels],
                              predicted_labels=labels, seed=config.seed)
        _save_spatial(spatial.models, folder, config, history)
    return training.per_item(spatial.features(arrays), owner, len(items))


def _save_spatial(models, folder, config, history):
    from micro_expr.checkpoints import save_checkpoint

    folder.mkdir(parents=True, exist_ok=True)
    for (name, model), classes in zip(models.items(), config.region_class_names):
        save_checkpoint(model, folder / name, {"stage": "spatial", "region": name, "classes": list(classes),
                                               "config": config.to_dict()})
    _write_json(folder / "history.json", history)
    _write_json(folder / "done.json", {"finished": time.time()})


def run_fold(config, fold, items, arrays, owner, folder, spatial, temporal, shared_features=None):
    """Train both stages on the fold's training samples and predict its test samples."""
    from micro_expr.checkpoints import save_checkpoint

    start = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    history = {}
    if shared_features is None:  # strict: spatial models see the training subjects only
        train_frames = np.isin(owner, fold.train)
        labels = _frame_labels(items, owner, config)
        history["spatial"] = spatial.fit([a[train_frames] for a in arrays], [y[train_frames] for y in labels],
                                         seed=config.seed)
        _save_spatial(spatial.models, folder / "spatial", config, history["spatial"])
        features = training.per_item(spatial.features(arrays), owner, len(items))
    else:
        features = shared_features
    standardizer = training.Standardizer.for_config(config)
    if standardizer is not None:
        standardizer.fit([[seqs[i] for i in fold.train] for seqs in features])
    y_train = np.array([items[i].label for i in fold.train])
    history["temporal"] = temporal.fit(training.sequences_for(features, fold.train, config, standardizer), y_train,
                                       seed=config.seed)
    probabilities = temporal.predict(training.sequences_for(features, fold.test, config, standardizer))
    classes = protocol_classes(config.protocol)
    save_checkpoint(temporal.model, folder / "temporal", {
        "stage": "temporal", "classes": list(classes), "regions": list(config.region_names),
        "config": config.to_dict(), "fold": fold.name,
        "standardizer": None if standardizer is None else standardizer.to_stats()})
    predictions = [{"key": items[i].key, "dataset": items[i].dataset, "subject": items[i].subject,
                    "label": int(items[i].label), "predicted": int(np.argmax(p)),
                    "probabilities": [float(v) for v in p]} for i, p in zip(fold.test, probabilities)]
    _write_json(folder / "predictions.json", predictions)
    _write_json(folder / "history.json", history)
    seconds = time.perf_counter() - start
    accuracy = float(np.mean([p["label"] == p["predicted"] for p in predictions]))
    log.info("fold %s done in %.1f s: accuracy %.3f on %d samples", fold.name, seconds, accuracy, len(predictions))
    _write_json(folder / "done.json", {"seconds": seconds, "accuracy": accuracy})  # written last: marks the fold done


def merge_results(out, note=None):
    """Combine every fold's predictions into results.json, results.md and the figures."""
    from micro_expr.results import write_results

    out = Path(out)
    run = json.loads((out / "run.json").read_text())
    predictions, histories, seconds = [], {}, 0.0
    for fold in run["folds"]:
        folder = out / "folds" / Fold(fold["index"], fold["name"], (), ()).folder
        if not (folder / "done.json").exists():
            raise InputError(f"{folder}: fold {fold['name']} is not finished; run it before merging")
        predictions += json.loads((folder / "predictions.json").read_text())
        histories[fold["name"]] = json.loads((folder / "history.json").read_text())
        seconds += json.loads((folder / "done.json").read_text())["seconds"]
    return write_results(out, run, predictions, histories, seconds, note or run.get("note"))
