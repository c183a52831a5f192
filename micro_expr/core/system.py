"""What every recognition system implements, so that one runner, one run folder and one CLI serve them all.

A system is a scikit-learn-like estimator over *clips*:

    system = STFF(get_preset("strict"))                # a typed config with named presets
    items = system.protocol_items(cache)               # which cached clips, with labels and LOSO groups
    X = system.load_inputs(cache, items)               # one entry per item (the system's own plain data)
    y = np.array([item.label for item in items])
    system.fit([X[i] for i in train], y[train])        # -> self; fitted attributes end with "_"
    probabilities = system.predict_proba([X[i] for i in test])   # (n, K)
    system.save(folder); fitted = STFF.load(folder)    # .keras + JSON metadata (Keras 2 .h5: export)
    fitted.explain([X[i] for i in test])               # attention / gates, where the system has them

``fit`` may be called again for the next fold: it starts from the system's
initial state (an estimator refits from scratch, as in scikit-learn).

The runner (:mod:`micro_expr.core.runner`) only calls these methods and
:class:`micro_expr.core.run_folder.RunFolder`; it knows nothing of regions,
patches, optical flow or spotting.
"""
from dataclasses import dataclass

import numpy as np

from data_prep.errors import InputError


@dataclass(frozen=True)
class Item:
    """A sample in a protocol: its cache key, LOSO group and class index."""

    key: str
    dataset: str
    subject: str      # the LOSO group: "<dataset>/<subject>"
    label: int        # index into the protocol's classes
    n_frames: int
    emotion: str = ""  # the coding sheet's emotion; region labels per emotion need it (Aouayeb et al. 2021, Table 1)


class NotFittedError(ValueError, AttributeError):
    """A system used before ``fit`` or ``load`` (as scikit-learn's ``NotFittedError``: both a ValueError and an
    AttributeError, so ``hasattr``-style checks and ``except ValueError`` both work)."""


def check_fitted(system, attribute):
    """Raise :class:`NotFittedError` unless ``system`` has the fitted ``attribute`` (a name ending in '_')."""
    if not hasattr(system, attribute):
        raise NotFittedError(f"this {system.name} system is not fitted yet: call fit(X, y), "
                             f"or {type(system).__name__}.load(folder)")


def _flat(counts, prefix=""):
    """(name, parameters) of nested parameter counts ({"spatial": {"R0": n}, "temporal": n} -> spatial/R0 ...)."""
    for name, value in counts.items():
        if isinstance(value, dict):
            yield from _flat(value, f"{prefix}{name}/")
        else:
            yield f"{prefix}{name}", value


class RecognitionSystem:
    """Base class: override the methods a system needs; the defaults serve classification systems."""

    name = None          # the --system name, e.g. "stff"
    citation = None      # authors, title, venue, year of the paper the system implements
    label = None         # its name in figure titles, e.g. "STFF" (default: name)
    config_class = None  # the typed configuration dataclass
    presets = ()         # preset names accepted by :meth:`from_preset`
    default_preset = None
    get_preset = None    # the config module's get_preset(name, **overrides), as a staticmethod
    progress = False     # progress bars over epochs and batches (the runner sets it)

    def __init__(self, config):
        self.config = config

    # --- configuration -----------------------------------------------------------------------

    @classmethod
    def make_config(cls, preset=None, **overrides):
        """The configuration of a named preset (None: the system's default) with overrides."""
        return cls.get_preset(preset or cls.default_preset, **overrides)

    @classmethod
    def from_preset(cls, preset=None, **overrides):
        """The system built from a named preset with optional overrides; a bad value is an InputError."""
        try:
            return cls(cls.make_config(preset, **overrides))
        except (TypeError, ValueError) as error:
            raise InputError(f"configuration: {error}") from error

    @classmethod
    def protocol_overrides(cls, protocol):
        """Configuration overrides that select ``--protocol`` (megc, au5) for this system."""
        return {"protocol": protocol}

    @classmethod
    def from_config_dict(cls, data):
        """The system of a configuration saved with ``config.to_dict()`` (run.json, checkpoints)."""
        return cls(cls.config_class.from_dict(data))

    @property
    def classes(self):
        """Class names, in the order of :meth:`predict_proba`'s columns."""
        raise NotImplementedError

    # --- what a run reads -----------------------------------------------------------------------

    def protocol_items(self, cache, datasets=None):
        """The cached samples this system's protocol uses: a list of :class:`Item`."""
        raise NotImplementedError

    def group_order(self, groups):
        """LOSO fold order of the subject groups (default: sorted, as sklearn's LeaveOneGroupOut)."""
        return sorted(groups)

    def load_inputs(self, cache, items):
        """Everything ``fit`` and ``predict_proba`` need of every item, read once per run (a list)."""
        raise NotImplementedError

    # --- a stage trained once for every fold (optional) -----------------------------------------

    @property
    def has_shared_stage(self):
        """True when part of the system is trained once, before any fold (e.g. STFF's 'frame50' split)."""
        return False

    def fit_shared(self, X, y, folder, items=None, done=False, test_dataset=None):
        """Train the shared stage on every clip and save it in ``folder``; with ``done``, load it from there.

        ``items``: the run's items and ``test_dataset`` a cross-dataset run's test dataset (a shared
        split must not train on the clips it will be tested on).
        """
        raise NotImplementedError

    # --- one fold ---------------------------------------------------------------------------------

    def for_fold(self, fold):
        """The estimator to train on ``fold`` (default: this one; MEAN's published weights differ per fold)."""
        return self

    # True when ``fit`` takes ``eval_set=(X_held_out, y_held_out)`` and records their loss per epoch in
    # ``history_`` ("held_out_loss"; as XGBoost's eval_set, without early stopping): the runner passes a
    # fold's test clips, so the training curves show a held-out curve; it must not change the training.
    records_held_out = False

    def fit(self, X, y):
        raise NotImplementedError

    def predict_proba(self, X):
        raise NotImplementedError

    def fold_predictions(self, X, items):
        """JSON-able prediction records of ``items`` (the fold's test items), written to predictions.json."""
        probabilities = self.predict_proba(X)
        return [{"key": item.key, "dataset": item.dataset, "subject": item.subject, "label": int(item.label),
                 "predicted": int(np.argmax(p)), "probabilities": [float(v) for v in p]}
                for item, p in zip(items, probabilities)]

    @property
    def history_(self):
        """Training history of the last fit (a dict of lists), {} when there was no training."""
        return getattr(self, "_history", {})

    def save(self, folder):
        raise NotImplementedError

    @classmethod
    def load(cls, folder, shared_folder=None):
        """A fitted system from a fold folder written by :meth:`save`."""
        raise NotImplementedError

    def explain(self, X):
        """Per clip, what the model attended to (dicts of arrays); systems without attention raise."""
        raise InputError(f"{self.name}: this system has no attention or gates to read out")

    # --- a new video through a finished run (``mer predict``) ------------------------------------------

    can_predict_video = False   # True where predict_video is implemented
    cannot_predict = "this system has no path from a new video to its inputs"   # why not, where it is not

    @classmethod
    def predict_video(cls, run_dir, source, out, **options):
        """Class probabilities of a new video or frame folder from the folds of a finished run, with a report
        written to ``out`` (a dict: ``classes``, ``probabilities``, ``predicted``, ``report`` ...); systems
        without such a path raise an InputError saying why (``cannot_predict``)."""
        raise InputError(f"{run_dir}: a {cls.name} run; `mer predict` cannot run {cls.name} on a new video: "
                         f"{cls.cannot_predict}")

    # --- models and results ---------------------------------------------------------------------------

    def models(self):
        """{name: keras.Model}: the system's models as its configuration builds them, untrained (``mer summary``)."""
        raise NotImplementedError

    def parameter_counts(self):
        """JSON-able parameter counts of :meth:`models` (``mer summary --json``)."""
        return {name: model.count_params() for name, model in self.models().items()}

    def checkpoint_parameters(self):
        """{"shared": {model: parameters}, "per_fold": {...}}: the models whose checkpoints a run writes once and
        per fold (:mod:`micro_expr.core.disk` estimates a run's disk use from it). Default: every model of
        :meth:`models` per fold; a system without models writes no checkpoint."""
        try:
            counts = self.parameter_counts()
        except NotImplementedError:
            return {"shared": {}, "per_fold": {}}
        return {"shared": {}, "per_fold": dict(_flat(counts))}

    def describe(self, line_length=160):
        """Lines that describe the models (Keras summaries, parameter counts); ``mer summary`` prints them."""
        lines = []
        models = self.models()
        for name, model in models.items():
            model.summary(line_length=line_length, print_fn=lambda text, line_break=True: lines.append(text))
            lines.append(f"{name}: {model.count_params():,} parameters\n")
        total = sum(model.count_params() for model in models.values())
        lines.append(f"{self.name}, preset {self.config.preset}: total {total:,} parameters")
        return lines

    def results(self, run, predictions, histories, seconds, note=None):
        """(results dict, Markdown text, {figure name: matplotlib Figure}) of the merged predictions."""
        from micro_expr.core.results import classification_results

        return classification_results(run, predictions, histories, seconds, note, self.classes,
                                      label=self.label or self.name)

    def results_text(self, results):
        """The headline of merged results as ``mer train`` prints it (default: classification metrics)."""
        from micro_expr.core.results import classification_text

        return classification_text(results)
