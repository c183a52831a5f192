"""The core every system shares, and which knows no system.

- :mod:`~micro_expr.core.system`: the contract (:class:`RecognitionSystem`, :class:`Item`, :class:`NotFittedError`);
- :mod:`~micro_expr.core.config`: field validators and the one override rule (``--set a.b=v``);
- :mod:`~micro_expr.core.folds`: LOSO and cross-dataset folds, ``--folds`` selections;
- :mod:`~micro_expr.core.runner` and :mod:`~micro_expr.core.engines`: plan a run, run its folds (local or Ray),
  merge them;
- :mod:`~micro_expr.core.run_folder`: the run folder (run.json, fold folders, locks, results);
- :mod:`~micro_expr.core.checkpoints`: `.keras` files (+ Keras 2-layout `.h5` on request); :mod:`~micro_expr.core.checkpoint_inspect`;
- :mod:`~micro_expr.core.metrics`, :mod:`~micro_expr.core.results`, :mod:`~micro_expr.core.plots`.

No module here imports a system package (``tests/test_layout.py`` checks it).
"""
