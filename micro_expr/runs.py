"""One protocol runner for every recognition system: LOSO or cross-dataset, any fold subset, resumable.

The runner knows folds and the run folder (:class:`micro_expr.run_folder.RunFolder`);
everything about a model is the system's (:class:`micro_expr.systems.base.RecognitionSystem`):

    items   = system.protocol_items(cache)            which clips, labels, subject groups
    folds   = loso_folds(items) / cross_dataset_folds(...)
    X       = system.load_inputs(cache, items)        read once
    shared  = system.fit_shared(X, y, folder)         only systems with a stage trained once for all folds
    per fold: system.for_fold(fold).fit(X[train], y[train]); .fold_predictions(X[test]); .save(fold folder)
    merge:  system.results(...) -> results.json, results.md, figures

A killed run restarts at its first unfinished fold; ``fold_selection`` runs
only some folds (e.g. one per cluster job; other processes may work on other
folds of the same folder at the same time) and :func:`merge_results` combines them.
"""
import logging
import re
import time
from dataclasses import dataclass

import numpy as np

from data_prep.errors import InputError
from micro_expr.run_folder import RunFolder, fold_folder_name

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
        return fold_folder_name(self.index, self.name)

    def entry(self, items):
        """The fold as run.json records it."""
        return {"index": self.index, "name": self.name, "test": [items[i].key for i in self.test]}


def loso_folds(items, order=sorted):
    """Leave-one-subject-out folds, one per subject group, in ``order`` of the groups.

    With the default order this is sklearn's LeaveOneGroupOut (groups sorted).
    """
    groups = np.array([item.subject for item in items])
    folds = []
    for index, group in enumerate(order(set(groups.tolist()))):
        test = np.flatnonzero(groups == group)
        train = np.flatnonzero(groups != group)
        folds.append(Fold(index, str(group), tuple(int(i) for i in train), tuple(int(i) for i in test)))
    return folds


def cross_dataset_folds(items, train_datasets, test_dataset):
    """One fold: train on ``train_datasets``, test on ``test_dataset`` (Aouayeb et al. 2021, Tables 12-13)."""
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
            if low > high:
                raise InputError(f"--folds: range {part!r} is empty (write the smaller index first, e.g. {high}-{low})")
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


def _add_log_file(path):
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("micro_expr")
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    return handler


def _prep_settings(cache):
    """The cache's preparation settings as a dict (None for caches that do not record them)."""
    import json

    config = getattr(cache, "config", None)
    return json.loads(config.to_json()) if hasattr(config, "to_json") else None


def plan_run(system, cache, folds_kind="loso", datasets=None, train_datasets=None, test_dataset=None, note=None,
             cache_path=None):
    """(items, folds, run description) of a run; checks everything before any folder is touched."""
    if folds_kind == "cross":
        if not train_datasets or not test_dataset:
            raise InputError("a cross-dataset run needs training datasets and a test dataset")
        items = system.protocol_items(cache, set(train_datasets) | {test_dataset})
        folds = cross_dataset_folds(items, set(train_datasets), test_dataset)
    elif folds_kind == "loso":
        items = system.protocol_items(cache, datasets)
        folds = loso_folds(items, system.group_order)
        if len(folds) < 2:
            raise InputError(f"{cache_path or cache.path}: leave-one-subject-out needs two subjects or more, "
                             f"found {len(folds)}")
    else:
        raise InputError(f"unknown kind of folds {folds_kind!r} (loso or cross)")
    description = {"system": system.name, "citation": system.citation, "config": system.config.to_dict(),
                   "prep_config": _prep_settings(cache), "folds_kind": folds_kind, "note": note,
                   "cache": str(cache_path or cache.path), "items": [i.key for i in items],
                   "folds": [f.entry(items) for f in folds]}
    return items, folds, description


def run_protocol(system, cache_path, out, folds_kind="loso", datasets=None, train_datasets=None, test_dataset=None,
                 fold_selection=None, merge=True, note=None, progress=False, partial=False, engine="local",
                 shared_only=False, **engine_options):
    """Train and evaluate ``system`` fold by fold on a prepared cache; returns the results (or None).

    ``system``: a :class:`RecognitionSystem` (an STFF configuration is accepted too).
    ``cache_path``: the prepared cache, or another data source (:func:`open_data`).
    ``folds_kind``: "loso" or "cross". Finished folds are skipped, so a killed
    run resumes; results are written when every fold is done (or, with
    ``partial``, over the finished folds, marked as partial).
    ``engine``: "local" (in this process) or "ray" (one Ray task per fold,
    :func:`micro_expr.engines.run_with_ray`; ``engine_options`` go there).
    ``shared_only``: train (or load) only the stage shared by all folds.
    """
    from micro_expr.systems import as_system

    system = as_system(system)
    system.progress = progress
    if engine == "ray":
        from micro_expr.engines import run_with_ray

        return run_with_ray(system, cache_path, out, folds_kind=folds_kind, datasets=datasets,
                            train_datasets=train_datasets, test_dataset=test_dataset, fold_selection=fold_selection,
                            merge=merge, note=note, partial=partial, **engine_options)
    if engine != "local":
        raise InputError(f"unknown engine {engine!r} (local or ray)")
    run = RunFolder(out)
    with open_data(cache_path) as cache:
        items, folds, description = plan_run(system, cache, folds_kind, datasets, train_datasets, test_dataset,
                                             note, cache_path)
        chosen = select_folds(folds, fold_selection)
        run.claim(description)
        handler = _add_log_file(run.log_path)
        try:
            todo = [f for f in chosen if not run.is_done(f)]
            log.info("%s, %s: %d samples, %d folds, %d to run", system.name, folds_kind, len(items), len(folds),
                     len(todo))
            if todo or (shared_only and system.has_shared_stage and not run.shared_done()):
                _run_folds(system, cache, items, [] if shared_only else todo, run, progress, test_dataset)
            if shared_only:
                return None
        finally:
            logging.getLogger("micro_expr").removeHandler(handler)
            handler.close()
    done = [f for f in folds if run.is_done(f)]
    if merge and (len(done) == len(folds) or (partial and done)):
        return merge_results(out, note, system=system)
    log.info("%d of %d folds done; results are written when all are", len(done), len(folds))
    return None


def open_data(source):
    """The data a run reads: a region cache (``source`` is its path), or a source that reads itself
    (``source.open()``, e.g. MEAN's long videos, :class:`micro_expr.mean.long_video.LongVideoSet`)."""
    import os

    import data_prep.cache

    if isinstance(source, (str, os.PathLike)):
        return data_prep.cache.RegionCache(source)
    return source.open()


def _run_folds(system, cache, items, todo, run, progress, test_dataset=None):
    y = np.array([item.label for item in items])
    X = system.load_inputs(cache, items)
    if system.has_shared_stage and (todo or not run.shared_done()):
        with run.shared_lock():
            system.fit_shared(X, y, run.shared_folder, items=items, done=run.shared_done(), test_dataset=test_dataset)
            if not run.shared_done():
                run.finish_shared(system.history_)
    bar = _progress(todo, progress)
    for number, fold in enumerate(todo, 1):
        with run.fold_lock(fold) as mine:
            if not mine:
                log.info("fold %s is being trained by another process; skipped here", fold.name)
            elif not run.is_done(fold):   # another process may have finished it meanwhile
                log.info("fold %d/%d (%s): %d training samples, %d test samples", number, len(todo), fold.name,
                         len(fold.train), len(fold.test))
                run_fold(system, fold, items, X, y, run)
        bar.update(1)
    bar.close()


def _progress(todo, enabled):
    from tqdm import tqdm

    return tqdm(total=len(todo), desc="folds", unit="fold", disable=not enabled, dynamic_ncols=True)


def run_fold(system, fold, items, X, y, run):
    """Fit the fold's estimator on its training items, predict its test items, save everything."""
    start = time.perf_counter()
    estimator = system.for_fold(fold)
    train, test = list(fold.train), list(fold.test)
    estimator.fit([X[i] for i in train], y[train])
    predictions = estimator.fold_predictions([X[i] for i in test], [items[i] for i in test])
    estimator.save(run.fold_folder(fold))
    seconds = time.perf_counter() - start
    scored = [p for p in predictions if "predicted" in p and p.get("label") is not None]
    accuracy = float(np.mean([p["label"] == p["predicted"] for p in scored])) if scored else None
    log.info("fold %s done in %.1f s%s on %d samples", fold.name, seconds,
             f": accuracy {accuracy:.3f}" if accuracy is not None else "", len(predictions))
    run.finish_fold(fold, predictions, estimator.history_, seconds, accuracy=accuracy)


def merge_results(out, note=None, system=None):
    """Combine the finished folds' predictions into results.json, results.md and the figures."""
    from micro_expr.systems import system_class

    run_folder = RunFolder(out)
    run = run_folder.read()
    if system is None:
        system = system_class(run.get("system", "stff")).from_config_dict(run["config"])
    finished = run_folder.finished_folds()
    if not finished:
        raise InputError(f"{out}: no finished fold to merge")
    predictions = run_folder.predictions(finished)
    histories = {fold["name"]: run_folder.fold_history(fold) for fold in finished}
    seconds = sum(run_folder.fold_seconds(fold) for fold in finished)
    results, markdown, figures = system.results(run, predictions, histories, seconds, note or run.get("note"))
    if len(finished) < len(run["folds"]):
        results["partial"] = f"{len(finished)} of {len(run['folds'])} folds"
        markdown = f"**Partial: {results['partial']}.**\n\n" + markdown
    with run_folder.merge_lock():
        run_folder.write_results(results, markdown, figures)
    return results
