"""Folds on many machines: one Ray task per fold, merged through the same run folder.

    mer train ... --engine ray [--address auto]

The plan (samples, folds, run.json) is made here, as for a local run. A stage
shared by all folds (STFF's 'frame50' split, presets ``paper`` and
``original``) is trained first, in one task: a barrier, then the folds fan out.
Every fold task is :func:`micro_expr.runs.run_protocol` with that one fold
selected, in a fresh worker process (``max_calls=1``: TensorFlow gives its
memory back when the process ends); the run folder's fold locks and
``done.json`` markers make a retried or duplicated task harmless. A task whose
worker dies is retried (``max_retries``). Results are merged here at the end.

Ray is an optional extra (``pip install -e ".[ray]"``); without ``address``
a local Ray instance is started with this machine's CPUs.
"""
import logging
import os
from pathlib import Path

from data_prep.errors import InputError

log = logging.getLogger(__name__)

# Fault injection for tests: the first fold task to find this marker file absent creates it and dies.
FAIL_ONCE = "MER_RAY_FAIL_ONCE"


def _fold_task(system_name, config, cache_path, out, fold_selection, run_options):
    """Run one fold (or, with ``fold_selection=None`` and ``shared_only``, the shared stage) in a worker."""
    marker = os.environ.get(FAIL_ONCE)
    if marker and fold_selection is not None and not Path(marker).exists():
        Path(marker).write_text(str(os.getpid()))
        os._exit(1)   # a worker that dies: Ray retries the task
    from micro_expr.runs import run_protocol
    from micro_expr.systems import system_class

    system = system_class(system_name).from_config_dict(config)
    run_protocol(system, cache_path, out, fold_selection=fold_selection, merge=False, **run_options)
    return fold_selection


def run_with_ray(system, cache_path, out, folds_kind="loso", datasets=None, train_datasets=None, test_dataset=None,
                 fold_selection=None, merge=True, note=None, partial=False, address=None, num_cpus=None,
                 cpus_per_fold=1, gpus_per_fold=0, max_retries=2):
    """Run the selected folds as Ray tasks; returns the merged results (or None, as run_protocol)."""
    try:
        import ray
    except ImportError:
        raise InputError("--engine ray needs Ray: pip install -e \".[ray]\"") from None
    import data_prep.cache
    from micro_expr.run_folder import RunFolder
    from micro_expr.runs import merge_results, plan_run, select_folds

    run = RunFolder(out)
    with data_prep.cache.RegionCache(cache_path) as cache:
        items, folds, description = plan_run(system, cache, folds_kind, datasets, train_datasets, test_dataset, note,
                                             cache_path)
    todo = [f for f in select_folds(folds, fold_selection) if not run.is_done(f)]
    run.claim(description)
    started_here = not ray.is_initialized()
    if started_here:
        ray.init(address=address, num_cpus=None if address else num_cpus, include_dashboard=False,
                 log_to_driver=False, runtime_env={"env_vars": {"TF_CPP_MIN_LOG_LEVEL": "2"}})
    try:
        task = ray.remote(max_calls=1, max_retries=max_retries, num_cpus=cpus_per_fold, num_gpus=gpus_per_fold)(
            _fold_task)
        config = system.config.to_dict()
        options = {"folds_kind": folds_kind, "datasets": datasets, "train_datasets": train_datasets,
                   "test_dataset": test_dataset, "note": note}
        if todo and system.has_shared_stage and not run.shared_done():
            log.info("ray: the shared stage first (one task), then %d fold tasks", len(todo))
            ray.get(task.remote(system.name, config, str(cache_path), str(out), None,
                                {**options, "shared_only": True}))
        log.info("ray: %d fold tasks on %s", len(todo), ray.cluster_resources())
        pending = [task.remote(system.name, config, str(cache_path), str(out), str(f.index), options) for f in todo]
        for finished in ray.get(pending):
            log.info("ray: fold %s finished", finished)
    finally:
        if started_here:
            ray.shutdown()
    done = [f for f in folds if run.is_done(f)]
    if merge and (len(done) == len(folds) or (partial and done)):
        return merge_results(out, note, system=system)
    return None
