"""One protocol runner for every recognition system: LOSO or cross-dataset, any fold subset, resumable.

The runner knows folds and the run folder (:class:`micro_expr.core.run_folder.RunFolder`);
everything about a model is the system's (:class:`micro_expr.core.system.RecognitionSystem`):

    items   = system.protocol_items(cache)            which clips, labels, subject groups
    folds   = loso_folds(items) / cross_dataset_folds(...)          (micro_expr.core.folds)
    X       = system.load_inputs(cache, items)        read once
    shared  = system.fit_shared(X, y, folder)         only systems with a stage trained once for all folds
    per fold: system.for_fold(fold).fit(X[train], y[train]); .fold_predictions(X[test]); .save(fold folder)
    merge:  system.results(...) -> results.json, results.md, figures             (micro_expr.core.plan)

An engine (:mod:`micro_expr.core.engines`: local or Ray) runs the folds. A killed run restarts at its first
unfinished fold; ``fold_selection`` runs only some folds (e.g. one per cluster job; other processes may work on
other folds of the same folder at the same time) and the last one to finish merges them.
"""
from micro_expr.core.engines import make_engine
from micro_expr.core.folds import Fold, cross_dataset_folds, loso_folds, select_folds  # noqa: F401
from micro_expr.core.plan import RunRequest, merge_results, open_data  # noqa: F401
from micro_expr.core.system import RecognitionSystem


def run_protocol(system, source, out, folds_kind="loso", datasets=None, train_datasets=None, test_dataset=None,
                 fold_selection=None, merge=True, note=None, progress=False, partial=False, engine="local",
                 shared_only=False, **engine_options):
    """Train and evaluate ``system`` fold by fold; returns the merged results (or None while folds remain).

    ``system``: a :class:`RecognitionSystem`. ``source``: the prepared cache's path, or another data source
    (:func:`micro_expr.core.plan.open_data`). ``folds_kind``: "loso" or "cross". Finished folds are skipped, so a
    killed run resumes; results are written when every fold is done (or, with ``partial``, over the finished
    folds, marked as partial). ``engine``: "local" or "ray" (``engine_options`` go to
    :class:`micro_expr.core.engines.RayEngine`). ``shared_only``: train (or load) only the stage shared by all folds.
    """
    if not isinstance(system, RecognitionSystem):
        raise TypeError(f"run_protocol needs a RecognitionSystem, got {type(system).__name__} "
                        "(wrap a configuration in its system, e.g. STFF(config))")
    request = RunRequest(system, source, out, folds_kind, _tuple(datasets), _tuple(train_datasets), test_dataset,
                         fold_selection, merge, note, progress, partial, shared_only)
    return make_engine(engine, **engine_options).run(request)


def _tuple(names):
    return None if names is None else tuple(names)
