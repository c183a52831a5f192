"""Engines run a planned request's folds: :class:`LocalEngine` in this process, :class:`RayEngine` one Ray task
per fold. Each has one method, ``run(request)``, and returns the merged results (or None when folds remain).

Ray (``mer train ... --engine ray [--address auto]``): the plan (samples, folds, run.json) is made here, as for
a local run. A stage shared by all folds (STFF's 'frame50' split, presets ``paper`` and ``original``) is trained
first, in one task: a barrier, then the folds fan out. Every fold task is the local engine on that one fold, in a
fresh worker process (``max_calls=1``: TensorFlow gives its memory back when the process ends); the run folder's
fold locks and ``done.json`` markers make a retried or duplicated task harmless. A task whose worker dies (killed
for memory, crashed) is submitted again at most ``max_retries`` times (:class:`RetryPolicy`); each task reserves
the memory a fold needs (``FOLD_MEMORY``). Results are merged here at the end. On one machine the local engine is
faster: Ray says so when it starts a local instance.

Ray is an optional extra (``pip install -e ".[ray]"``); without ``address`` a local Ray instance is started with
this machine's CPUs.
"""
import logging
import time
from dataclasses import replace

import numpy as np

from data_prep.errors import InputError
from micro_expr.core.folds import select_folds
from micro_expr.core.plan import disk_estimate, finished_all, merge_results, open_data, plan_run
from micro_expr.core.run_folder import RunFolder

log = logging.getLogger(__name__)


def _add_log_file(path):
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("micro_expr")
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    return handler


def check_fold_space(run, fold, estimate):
    """OutputError when the disk has less free than the fold will write (checked before its training)."""
    from data_prep.output import check_output_folder
    from micro_expr.core.disk import MARGIN

    if estimate is not None and estimate.per_fold:
        check_output_folder(run.fold_folder(fold), min_free=int(MARGIN * estimate.per_fold),
                            need=f"about {MARGIN * estimate.per_fold / 1e6:.1f} MB for fold {fold.name}")


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
    seconds = time.perf_counter() - start
    scored = [p for p in predictions if "predicted" in p and p.get("label") is not None]
    accuracy = float(np.mean([p["label"] == p["predicted"] for p in scored])) if scored else None
    folder = run.fold_folder(fold)
    try:
        estimator.save(folder)
        run.finish_fold(fold, predictions, estimator.history_, seconds, accuracy=accuracy)
    except Exception as error:
        failure = write_failure(error, folder)
        if failure is error:
            raise
        raise failure from error
    log.info("fold %s done in %.1f s%s on %d samples", fold.name, seconds,
             f": accuracy {accuracy:.3f}" if accuracy is not None else "", len(predictions))


def write_failure(error, folder):
    """``error`` raised while a fold's files were written: a full disk becomes an OutputError naming the file
    being written (this process's temporaries are removed); anything else is returned as it is."""
    import errno
    import os
    from pathlib import Path

    from data_prep.errors import OutputError
    from micro_expr.core.run_folder import sweep_temporaries

    full = getattr(error, "errno", None) in (errno.ENOSPC, errno.EDQUOT) or "No space left on device" in str(error)
    if not full:
        return error
    mine = [p for p in Path(folder).rglob(f"*.{os.getpid()}.tmp*") if p.is_file()]
    where = getattr(error, "filename", None) or (max(mine, key=lambda p: p.stat().st_mtime) if mine else folder)
    for path in mine:
        path.unlink(missing_ok=True)
    sweep_temporaries(folder)
    return OutputError(f"{where}: cannot write: no space left on device (fold {Path(folder).name}); its "
                       f"training is lost, the finished folds are kept: free some space and run the same command "
                       f"again")


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
            estimate = disk_estimate(request, run, items, folds, chosen)
            run.claim(description, estimate)
            handler = _add_log_file(run.log_path)
            try:
                todo = [f for f in chosen if not run.is_done(f)]
                log.info("%s, %s: %d samples, %d folds, %d to run", system.name, request.folds_kind, len(items),
                         len(folds), len(todo))
                shared_todo = request.shared_only and system.has_shared_stage and not run.shared_done()
                if todo or shared_todo:
                    self._run_folds(request, cache, items, [] if request.shared_only else todo, run, estimate)
                if request.shared_only:
                    return None
            finally:
                logging.getLogger("micro_expr").removeHandler(handler)
                handler.close()
        return merge_results(request.out, system, request.note) if finished_all(request, folds) else None

    @staticmethod
    def _run_folds(request, cache, items, todo, run, estimate):
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
                    check_fold_space(run, fold, estimate)   # before the training, not after it
                    run_fold(system, fold, items, X, y, run)
            bar.update(1)
        bar.close()


def _fold_task(system_class, config, request):
    """Run one fold (or, with ``shared_only``, the shared stage) of ``request`` in a Ray worker."""
    request = replace(request, system=system_class.from_config_dict(config))
    LocalEngine().run(request)
    return request.fold_selection


# What one fold task needs: about 2-3 GB resident (TensorFlow, the fold's inputs, the models; issue 23's tryout
# on a shared node). Each task reserves this much of Ray's "memory" resource, so Ray starts no more folds at
# once than a node's memory holds; a node shared with other users may still run out, hence the retries below.
FOLD_MEMORY = 3 * 1024**3
ONE_MACHINE_NOTE = ("--engine ray on one machine: the local engine is faster here (each fold task starts a fresh "
                    "TensorFlow, and the folds compete for the same cores and memory); Ray pays off on a cluster "
                    "(--address)")


class RetryPolicy:
    """How often a fold task is submitted again after its worker died, and when to give up (one bound for all).

    A worker dies when Ray's memory monitor kills it (the node ran low on memory: ``OutOfMemoryError``) or when
    its process or node dies (``WorkerCrashedError``, ``NodeDiedError``). Both are often passing (a neighbour's
    peak, a pre-empted node), so a fold is tried again, at most ``max_retries`` times (default 2: three kills of
    the same fold mean the node cannot hold it, and retrying forever, as Ray does for memory kills unless told
    otherwise, only burns the node). Ray's own retries are off (``max_retries=0`` on the task): this policy is the
    only one, so ``--max-retries`` bounds memory kills too. Any other error of a task is a bug or bad input:
    raised at once.
    """

    def __init__(self, max_retries=2):
        if max_retries < 0:
            raise InputError(f"--max-retries must be >= 0, got {max_retries}")
        self.max_retries = max_retries
        self.failures = {}   # fold name -> [reason, ...]

    @staticmethod
    def reason(error):
        """'out of memory' or 'worker died' for an error that kills a worker, None for any other error."""
        import ray.exceptions as rex

        if isinstance(error, rex.OutOfMemoryError):
            return "out of memory"
        if isinstance(error, (rex.WorkerCrashedError, rex.NodeDiedError, rex.LocalRayletDiedError)):
            return "worker died"
        return None

    def retry(self, fold_name, error):
        """True to submit the task again (``fold_name``: "fold casme2/sub01", "the shared stage"); raises InputError (one line) when its retries are spent, and
        ``error`` itself when it is not a dead worker."""
        reason = self.reason(error)
        if reason is None:
            raise error
        self.failures.setdefault(fold_name, []).append(reason)
        tries = len(self.failures[fold_name])
        if tries <= self.max_retries:
            log.warning("ray: %s: %s (try %d of %d); submitted again", fold_name, reason, tries,
                        self.max_retries + 1)
            return True
        advice = (f"a fold needs about {FOLD_MEMORY / 1024**3:.0f} GB: run fewer folds at once (more "
                  f"--cpus-per-fold), free memory on the node, or use the local engine"
                  if "out of memory" in self.failures[fold_name] else
                  "see the Ray worker logs (/tmp/ray/session_latest/logs)")
        raise InputError(f"ray: {fold_name}: its worker was killed {tries} time(s) "
                         f"({', '.join(self.failures[fold_name])}), more than --max-retries {self.max_retries}; "
                         f"the finished folds are kept (rerun the same command to continue); {advice}")


class RayEngine:
    """One Ray task per fold (``--engine ray``); ``fold_task`` is the function each task runs (tests replace it
    to kill a worker). Dead workers are handled by :class:`RetryPolicy`."""

    name = "ray"

    def __init__(self, address=None, num_cpus=None, cpus_per_fold=1, gpus_per_fold=0, max_retries=2,
                 fold_task=_fold_task, memory_per_fold=FOLD_MEMORY):
        self.address, self.num_cpus = address, num_cpus
        self.cpus_per_fold, self.gpus_per_fold, self.max_retries = cpus_per_fold, gpus_per_fold, max_retries
        self.fold_task, self.memory_per_fold = fold_task, memory_per_fold

    def run(self, request):
        try:
            import ray
        except ImportError:
            raise InputError("--engine ray needs Ray: pip install -e \".[ray]\"") from None
        policy = RetryPolicy(self.max_retries)
        system, run = request.system, RunFolder(request.out)
        with open_data(request.source) as cache:
            items, folds, description = plan_run(request, cache)
        chosen = select_folds(folds, request.fold_selection)
        todo = [f for f in chosen if not run.is_done(f)]
        run.claim(description, disk_estimate(request, run, items, folds, chosen))
        started_here = not ray.is_initialized()
        if started_here:
            if not self.address:
                import sys

                print(f"WARNING: {ONE_MACHINE_NOTE}", file=sys.stderr, flush=True)
            ray.init(address=self.address, num_cpus=None if self.address else self.num_cpus, include_dashboard=False,
                     log_to_driver=False, runtime_env={"env_vars": {"TF_CPP_MIN_LOG_LEVEL": "2"}})
        try:
            task = ray.remote(max_calls=1, max_retries=0, num_cpus=self.cpus_per_fold, num_gpus=self.gpus_per_fold,
                              memory=self._memory(ray))(self.fold_task)
            config, cls = system.config.to_dict(), type(system)
            bare = request.one_fold(None, system=None, progress=False)   # the system travels as class + config
            submit = {}
            if todo and system.has_shared_stage and not run.shared_done():
                log.info("ray: the shared stage first (one task), then %d fold tasks", len(todo))
                submit["the shared stage"] = lambda: task.remote(cls, config, bare.one_fold(None, shared_only=True))
                self._wait(ray, policy, submit)
                submit.clear()
            log.info("ray: %d fold tasks on %s", len(todo), ray.cluster_resources())
            for fold in todo:
                submit[f"fold {fold.name}"] = (lambda index: lambda: task.remote(cls, config, bare.one_fold(str(index))))(fold.index)
            self._wait(ray, policy, submit)
        finally:
            if started_here:
                ray.shutdown()
        return merge_results(request.out, system, request.note) if finished_all(request, folds) else None

    def _memory(self, ray):
        """Memory each task reserves: ``memory_per_fold``, at most what the largest node offers (else never placed)."""
        offered = [node.get("Resources", {}).get("memory", 0) for node in ray.nodes() if node.get("Alive", True)]
        return int(min(self.memory_per_fold, max(offered, default=self.memory_per_fold)))

    @staticmethod
    def _wait(ray, policy, submit):
        """Run the tasks of ``submit`` ({name: function submitting it}), resubmitting dead workers' as ``policy``
        allows; returns when every one succeeded."""
        pending = {submit[name](): name for name in submit}
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            name = pending.pop(ready[0])
            try:
                ray.get(ready[0])
            except Exception as error:   # a dead worker is retried, anything else raised by the policy
                if policy.retry(name, error):
                    pending[submit[name]()] = name
                continue
            log.info("ray: %s finished", name)


ENGINES = {"local": LocalEngine, "ray": RayEngine}


def make_engine(name, **options):
    """The engine called ``name`` ("local" or "ray") with its options (Ray: address, num_cpus, ...)."""
    if name not in ENGINES:
        raise InputError(f"unknown engine {name!r} (local or ray)")
    if name == "local" and options:
        raise InputError(f"the local engine takes no options, got {sorted(options)}")
    return ENGINES[name](**options)
