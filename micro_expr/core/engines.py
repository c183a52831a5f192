"""Engines run a planned request's folds: :class:`LocalEngine` in this process, :class:`RayEngine` one Ray task
per fold. Each has one method, ``run(request)``, and returns the merged results (or None when folds remain).

Ray (``mer train ... --engine ray [--address auto]``): the plan (samples, folds, run.json) is made here, as for
a local run. A stage shared by all folds (STFF's 'frame50' split, presets ``paper`` and ``original``) is trained
first, in one task: a barrier, then the folds fan out. Every fold task is the local engine on that one fold, in a
fresh worker process (``max_calls=1``: TensorFlow gives its memory back when the process ends); the run folder's
fold locks and ``done.json`` markers make a retried or duplicated task harmless. A task whose worker dies is
retried (``max_retries``). Results are merged here at the end.

Ray is an optional extra (``pip install -e ".[ray]"``); without ``address`` a local Ray instance is started with
this machine's CPUs.
"""
import logging
import time
from dataclasses import replace

import numpy as np

from data_prep.errors import InputError
from micro_expr.core.folds import select_folds
from micro_expr.core.plan import finished_all, merge_results, open_data, plan_run
from micro_expr.core.run_folder import RunFolder

log = logging.getLogger(__name__)


def _add_log_file(path):
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("micro_expr")
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    return handler


def run_fold(system, fold, items, X, y, run):
    """Fit the fold's estimator on its training items, predict its test items, save everything."""
    start = time.perf_counter()
    estimator = system.for_fold(fold)
    train, test = list(fold.train), list(fold.test)
    if estimator.records_held_out:   # the test clips' loss per epoch, for the training curves only
        estimator.fit([X[i] for i in train], y[train], eval_set=([X[i] for i in test], y[test]))
    else:
        estimator.fit([X[i] for i in train], y[train])
    predictions = estimator.fold_predictions([X[i] for i in test], [items[i] for i in test])
    estimator.save(run.fold_folder(fold))
    seconds = time.perf_counter() - start
    scored = [p for p in predictions if "predicted" in p and p.get("label") is not None]
    accuracy = float(np.mean([p["label"] == p["predicted"] for p in scored])) if scored else None
    log.info("fold %s done in %.1f s%s on %d samples", fold.name, seconds,
             f": accuracy {accuracy:.3f}" if accuracy is not None else "", len(predictions))
    run.finish_fold(fold, predictions, estimator.history_, seconds, accuracy=accuracy)


class LocalEngine:
    """Every selected fold in this process, one after the other (the default: on one machine it is the fastest,
    the training steps already keep every core busy)."""

    name = "local"

    def run(self, request):
        system, run = request.system, RunFolder(request.out)
        system.progress = request.progress
        with open_data(request.source) as cache:
            items, folds, description = plan_run(request, cache)
            chosen = select_folds(folds, request.fold_selection)
            run.claim(description)
            handler = _add_log_file(run.log_path)
            try:
                todo = [f for f in chosen if not run.is_done(f)]
                log.info("%s, %s: %d samples, %d folds, %d to run", system.name, request.folds_kind, len(items),
                         len(folds), len(todo))
                shared_todo = request.shared_only and system.has_shared_stage and not run.shared_done()
                if todo or shared_todo:
                    self._run_folds(request, cache, items, [] if request.shared_only else todo, run)
                if request.shared_only:
                    return None
            finally:
                logging.getLogger("micro_expr").removeHandler(handler)
                handler.close()
        return merge_results(request.out, system, request.note) if finished_all(request, folds) else None

    @staticmethod
    def _run_folds(request, cache, items, todo, run):
        system = request.system
        y = np.array([item.label for item in items])
        X = system.load_inputs(cache, items)
        if system.has_shared_stage and (todo or not run.shared_done()):
            with run.shared_lock():
                system.fit_shared(X, y, run.shared_folder, items=items, done=run.shared_done(),
                                  test_dataset=request.test_dataset)
                if not run.shared_done():
                    run.finish_shared(system.history_)
        from tqdm import tqdm

        bar = tqdm(total=len(todo), desc="folds", unit="fold", disable=not request.progress, dynamic_ncols=True)
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


def _fold_task(system_class, config, request):
    """Run one fold (or, with ``shared_only``, the shared stage) of ``request`` in a Ray worker."""
    request = replace(request, system=system_class.from_config_dict(config))
    LocalEngine().run(request)
    return request.fold_selection


class RayEngine:
    """One Ray task per fold (``--engine ray``); ``fold_task`` is the function each task runs (tests replace it
    to kill a worker)."""

    name = "ray"

    def __init__(self, address=None, num_cpus=None, cpus_per_fold=1, gpus_per_fold=0, max_retries=2,
                 fold_task=_fold_task):
        self.address, self.num_cpus = address, num_cpus
        self.cpus_per_fold, self.gpus_per_fold, self.max_retries = cpus_per_fold, gpus_per_fold, max_retries
        self.fold_task = fold_task

    def run(self, request):
        try:
            import ray
        except ImportError:
            raise InputError("--engine ray needs Ray: pip install -e \".[ray]\"") from None
        system, run = request.system, RunFolder(request.out)
        with open_data(request.source) as cache:
            items, folds, description = plan_run(request, cache)
        todo = [f for f in select_folds(folds, request.fold_selection) if not run.is_done(f)]
        run.claim(description)
        started_here = not ray.is_initialized()
        if started_here:
            ray.init(address=self.address, num_cpus=None if self.address else self.num_cpus, include_dashboard=False,
                     log_to_driver=False, runtime_env={"env_vars": {"TF_CPP_MIN_LOG_LEVEL": "2"}})
        try:
            task = ray.remote(max_calls=1, max_retries=self.max_retries, num_cpus=self.cpus_per_fold,
                              num_gpus=self.gpus_per_fold)(self.fold_task)
            config, cls = system.config.to_dict(), type(system)
            bare = request.one_fold(None, system=None, progress=False)   # the system travels as class + config
            if todo and system.has_shared_stage and not run.shared_done():
                log.info("ray: the shared stage first (one task), then %d fold tasks", len(todo))
                ray.get(task.remote(cls, config, bare.one_fold(None, shared_only=True)))
            log.info("ray: %d fold tasks on %s", len(todo), ray.cluster_resources())
            pending = [task.remote(cls, config, bare.one_fold(str(f.index))) for f in todo]
            for finished in ray.get(pending):
                log.info("ray: fold %s finished", finished)
        finally:
            if started_here:
                ray.shutdown()
        return merge_results(request.out, system, request.note) if finished_all(request, folds) else None


ENGINES = {"local": LocalEngine, "ray": RayEngine}


def make_engine(name, **options):
    """The engine called ``name`` ("local" or "ray") with its options (Ray: address, num_cpus, ...)."""
    if name not in ENGINES:
        raise InputError(f"unknown engine {name!r} (local or ray)")
    if name == "local" and options:
        raise InputError(f"the local engine takes no options, got {sorted(options)}")
    return ENGINES[name](**options)
