"""What a run is before any fold trains (its request, data, items and folds), and how finished folds merge.

Both engines (:mod:`micro_expr.core.engines`) plan with :func:`plan_run`, open data with :func:`open_data` and
merge with :func:`merge_results`: one way each.
"""
import json
import logging
import os
from dataclasses import dataclass, replace
from typing import Optional

from data_prep.errors import InputError
from micro_expr.core.folds import cross_dataset_folds, loso_folds
from micro_expr.core.results import versions
from micro_expr.core.run_folder import RunFolder

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunRequest:
    """Everything ``mer train`` asks of a run; an engine turns it into trained folds (see ``run_protocol``)."""

    system: object            # a micro_expr.core.system.RecognitionSystem
    source: object            # a region cache's path, or a data source with .open() (MEAN's long videos)
    out: object               # the run folder
    folds_kind: str = "loso"  # "loso" or "cross"
    datasets: Optional[tuple] = None
    train_datasets: Optional[tuple] = None
    test_dataset: Optional[str] = None
    fold_selection: Optional[str] = None
    merge: bool = True
    note: Optional[str] = None
    progress: bool = False
    partial: bool = False
    shared_only: bool = False

    def one_fold(self, selection, **changes):
        """The same request narrowed to ``selection`` (what a Ray task runs), not merging."""
        return replace(self, fold_selection=selection, merge=False, **changes)


def open_data(source):
    """The data a run reads: a region cache (``source`` is its path), or a source that reads itself
    (``source.open()``, e.g. MEAN's long videos, :class:`micro_expr.mean.long_video.LongVideoSet`)."""
    import data_prep.cache

    if isinstance(source, (str, os.PathLike)):
        return data_prep.cache.RegionCache(source)
    return source.open()


def _prep_settings(cache):
    """The cache's preparation settings as a dict (None for caches that do not record them)."""
    config = getattr(cache, "config", None)
    return json.loads(config.to_json()) if hasattr(config, "to_json") else None


def plan_run(request, cache):
    """(items, folds, run description) of a run; checks everything before any folder is touched."""
    from micro_expr.core.backends import check_supported

    system = request.system
    check_supported(system.name)   # a system the Keras backend cannot run stops here, before run.json
    if request.folds_kind == "cross":
        if not request.train_datasets or not request.test_dataset:
            raise InputError("a cross-dataset run needs training datasets and a test dataset")
        items = system.protocol_items(cache, set(request.train_datasets) | {request.test_dataset})
        folds = cross_dataset_folds(items, set(request.train_datasets), request.test_dataset)
    elif request.folds_kind == "loso":
        items = system.protocol_items(cache, request.datasets)
        folds = loso_folds(items, system.group_order)
        if len(folds) < 2:
            raise InputError(f"{cache_name(request)}: leave-one-subject-out needs two subjects or more, "
                             f"found {len(folds)}")
    else:
        raise InputError(f"unknown kind of folds {request.folds_kind!r} (loso or cross)")
    description = {"system": system.name, "citation": system.citation, "config": system.config.to_dict(),
                   "prep_config": _prep_settings(cache), "folds_kind": request.folds_kind, "note": request.note,
                   "cache": cache_name(request), "items": [i.key for i in items],
                   "folds": [f.entry(items) for f in folds], "versions": versions(),
                   "cache_fingerprint": cache.fingerprint([i.key for i in items]) if hasattr(cache, "fingerprint")
                   else None}
    return items, folds, description


def disk_estimate(request, run, items, folds, chosen):
    """What the run still writes (:class:`micro_expr.core.disk.DiskEstimate`): the chosen folds not yet done, the
    shared stage when it is still to train; a resumed run measures its finished folds instead of building models."""
    from micro_expr.core.disk import run_estimate

    system = request.system
    todo = [] if request.shared_only else [f for f in chosen if not run.is_done(f)]
    shared = system.has_shared_stage and not run.shared_done() and bool(todo or request.shared_only)
    return run_estimate(system, len(items), [len(f.test) for f in todo], shared, run,
                        [f for f in folds if run.is_done(f)])


def cache_name(request):
    """What run.json calls the data: the cache's path, or the data source's own description."""
    return str(request.source)


def finished_all(request, folds):
    """True when the run's results should be merged now: every fold done, or (``partial``) some."""
    run = RunFolder(request.out)
    done = [f for f in folds if run.is_done(f)]
    if request.merge and (len(done) == len(folds) or (request.partial and done)):
        return True
    log.info("%d of %d folds done; results are written when all are", len(done), len(folds))
    return False


def merge_results(out, system, note=None):
    """Combine the finished folds' predictions into results.json, results.md and the figures (``system``
    makes them: :meth:`micro_expr.core.system.RecognitionSystem.results`)."""
    run_folder = RunFolder(out)
    run = run_folder.read()
    finished = run_folder.finished_folds()
    if not finished:
        raise InputError(f"{out}: no finished fold to merge")
    run_folder.check_folds(finished)   # every file as the fold wrote it, or one line naming it and the repair
    predictions = run_folder.predictions(finished)
    histories = {fold["name"]: run_folder.fold_history(fold) for fold in finished}
    seconds = sum(run_folder.fold_seconds(fold) for fold in finished)
    partial = f"{len(finished)} of {len(run['folds'])} folds" if len(finished) < len(run["folds"]) else None
    if partial:   # the figures' titles say it too (core.results.run_title)
        run = {**run, "partial": partial}
    results, markdown, figures = system.results(run, predictions, histories, seconds, note or run.get("note"))
    if partial:
        results["partial"] = partial
        markdown = f"**Partial: {results['partial']}.**\n\n" + markdown
    with run_folder.merge_lock():
        run_folder.write_results(results, markdown, figures)
    return results
