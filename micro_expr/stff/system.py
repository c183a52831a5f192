"""STFF as a recognition system: spatial models per region, temporal model and classifier (STFF sections 3.2-3.4).

    stff = STFF.from_preset("strict")
    stff.fit(X_train, y_train)        # X: per clip, a list of uint8 frame stacks (T, H, W, 3), one per model input
    stff.predict_proba(X_test)        # (n, K)
    stff.save(folder); STFF.load(folder).explain(X_test)

Fitted attributes: ``spatial_models_`` (input name -> Keras model),
``temporal_model_``, ``standardizer_`` (or None), ``classes_``.

``fit`` trains both stages (preset ``strict``: the spatial models see the
training subjects only). With the code's ``frame50`` split (presets ``paper``
and ``original``) the spatial models are trained once for every fold by
:meth:`fit_shared` on a random half of all frames, and ``fit`` trains the
temporal stage only. The training stages are built and traced once per
system and restart from the same initial weights at every ``fit``
(:mod:`micro_expr.stff.training`), so refitting for the next fold is cheap.
"""
import logging
from pathlib import Path

import numpy as np

from data_prep.errors import InputError
from data_prep.labels import protocol_classes
from data_prep.pipeline import FrameTable
from micro_expr.stff import training
from micro_expr.stff.config import DEFAULT_PRESET, PRESETS, STFFConfig, get_preset
from micro_expr.core.items import protocol_items
from micro_expr.stff.data import read_inputs, region_targets
from micro_expr.papers import PAPERS
from micro_expr.stff.splits import frame50_indices
from micro_expr.core.system import RecognitionSystem, check_fitted

log = logging.getLogger(__name__)

SPATIAL = "spatial"     # a fold's spatial models (per_fold split)
TEMPORAL = "temporal"   # a fold's temporal model


class STFF(RecognitionSystem):
    name, label = "stff", "STFF"
    citation = PAPERS["STFF"]
    config_class = STFFConfig
    presets, default_preset, get_preset = PRESETS, DEFAULT_PRESET, staticmethod(get_preset)

    def __init__(self, config):
        super().__init__(config)
        self._spatial = self._temporal = None   # training stages, built on first use
        self._shared_fitted = False
        self._memo = {}                          # id(first frame stack) -> (stack, per-input features), frame50 only
        self._held_memo = {}                     # the same for the last fit's eval_set clips
        self._readouts = None


    @property
    def classes(self):
        return list(protocol_classes(self.config.protocol))

    @property
    def names(self):
        return list(self.config.region_names)

    # --- data ---------------------------------------------------------------------------------------

    def protocol_items(self, cache, datasets=None):
        from micro_expr.stff.config import WHOLE_FACE

        if self.config.region_mode == WHOLE_FACE and not getattr(cache.config, "store_face", True):
            raise InputError(f"{cache.path}: region_mode=whole_face reads the face canvases, and this cache was "
                             f"prepared without them (mer prepare --store-face)")
        return protocol_items(cache, self.config.protocol, datasets, exclude=self.config.exclude_samples)

    def load_inputs(self, cache, items):
        return [read_inputs(cache, item.key, self.config) for item in items]

    def _frame_labels(self, X, y, owner):
        """Per model input, the label of every frame of clips ``X``: its clip's region label (spec section 3)."""
        return [targets[owner] for targets in region_targets(y, self.config)]

    # --- training -------------------------------------------------------------------------------------

    def _stages(self):
        if self._spatial is None:
            import keras

            keras.utils.set_random_seed(self.config.seed)  # once: initial weights, dropout and shuffles
            self._spatial = training.SpatialStage(self.config, progress=self.progress)
            self._temporal = training.TemporalStage(self.config, progress=self.progress)
        return self._spatial, self._temporal

    @property
    def has_shared_stage(self):
        return self.config.spatial.split == "frame50"

    def fit_shared(self, X, y, folder, items=None, done=False, test_dataset=None):
        """The code's once-for-all spatial training on a random half of all frames (leaky, spec section 2).

        ``done``: ``folder`` holds the trained models already (a resumed run): load them. In a
        cross-dataset run the half is drawn from the training datasets' frames only
        (:func:`micro_expr.stff.splits.frame50_indices`; the code drew from all frames).
        """

        from micro_expr.core.checkpoints import load_checkpoint, load_h5_weights

        cfg = self.config
        spatial, _ = self._stages()
        folder = Path(folder)
        frames = FrameTable(X)
        owner = frames.owner
        if done:
            for name, model in spatial.models.items():
                if (folder / f"{name}.keras").exists():
                    model.set_weights(load_checkpoint(folder / f"{name}.keras")[0].get_weights())
                else:   # a run written before checkpoints were .keras only
                    load_h5_weights(model, folder / f"{name}.h5")
        else:
            chosen = frame50_indices(owner, items, test_dataset, cfg.spatial.split_fraction, cfg.spatial.split_seed,
                                     draw=cfg.spatial.split_draw)
            labels = self._frame_labels(X, y, owner)
            log.info("spatial (frame50, all subjects mixed): %d of %d frames", len(chosen), len(owner))
            self._history = spatial.fit(frames.subset(chosen), [t[chosen] for t in labels],
                                        predicted_labels=labels, seed=cfg.seed)
            self._save_spatial(folder)
        self._shared_fitted = True
        # Every clip's features once: the spatial models do not change again.
        features = training.per_item(spatial.features(frames), owner, len(X))
        self._memo = _memo_of(X, features)
        return self

    records_held_out = True

    def fit(self, X, y, eval_set=None):
        """Train on clips ``X`` with sequence labels ``y`` (class indices); returns self.

        ``eval_set``: optional (clips, labels) held out, whose loss after every epoch of each stage is recorded
        in ``history_`` (``held_out_loss``) for the training curves; they are never trained on, and the
        training is the same with or without them (tests/test_training_stages.py checks it).
        """
        cfg = self.config
        spatial, temporal = self._stages()
        y = np.asarray(y, dtype=int)
        history = {}
        self._held_memo = {}
        if eval_set is not None:
            held_X, held_y = eval_set[0], np.asarray(eval_set[1], dtype=int)
            held_frames = FrameTable(held_X)
        if cfg.spatial.split == "per_fold":
            frames = FrameTable(X)
            labels = self._frame_labels(X, y, frames.owner)
            if cfg.spatial.fold_frame_fraction < 1:  # the code's 50 % draw, from this fold's training frames only
                chosen = frame50_indices(frames.owner, None, fraction=cfg.spatial.fold_frame_fraction,
                                         seed=cfg.spatial.split_seed)
                log.info("spatial: %d of the fold's %d training frames", len(chosen), len(frames))
                frames, labels = frames.subset(chosen), [t[chosen] for t in labels]
            held_out = None if eval_set is None else (held_frames,
                                                      self._frame_labels(held_X, held_y, held_frames.owner))
            history["spatial"] = spatial.fit(frames, labels, seed=cfg.seed, held_out=held_out)
        elif not self._shared_fitted:
            raise RuntimeError("spatial.split='frame50' trains the spatial models once for every fold: "
                               "call fit_shared(X_all, y_all, folder) before fit")
        self.spatial_models_, self.temporal_model_, self.classes_ = spatial.models, temporal.model, self.classes
        self._readouts = None
        features = self._features(X)
        self.standardizer_ = training.Standardizer.for_config(cfg)
        if self.standardizer_ is not None:
            self.standardizer_.fit(features)
        held_out = None
        if eval_set is not None:   # the held-out clips' features, standardised with the training statistics
            held_features = training.per_item(self._extract(held_frames), held_frames.owner, len(held_X))
            # kept for predict_proba: the fold's test clips are these clips, and the spatial models are final
            self._held_memo = _memo_of(held_X, held_features)
            held_out = (self._sequences(held_features), held_y)
        history["temporal"] = temporal.fit(self._sequences(features), y, seed=cfg.seed, held_out=held_out)
        self._history = history
        return self

    def _features(self, X):
        """Per model input, the spatial feature sequences SF (STFF Eq. 5) of every clip."""
        for memo in (self._memo, self._held_memo):
            if memo and all(id(clip[0]) in memo for clip in X):
                per_clip = [memo[id(clip[0])][1] for clip in X]
                return [[clip[i] for clip in per_clip] for i in range(len(self.names))]
        frames = FrameTable(X)
        return training.per_item(self._extract(frames), frames.owner, len(X))

    def _extract(self, arrays):
        if self._spatial is not None and self._spatial.models is self.spatial_models_:
            return self._spatial.features(arrays)
        return training.frame_features(self._extractor(), arrays, self.config)

    def _extractor(self):
        if getattr(self, "_loaded_extractor", None) is None:
            from micro_expr.stff.models.spatial import FEATURES

            self._loaded_extractor = training.joint_model(self.spatial_models_,
                                                          lambda model: model.get_layer(FEATURES).output)
        return self._loaded_extractor

    def _sequences(self, features):
        """Standardised (STFF section 3.4) and padded temporal inputs of every clip."""
        return training.sequences_for(features, range(len(features[0])), self.config, self.standardizer_)

    def predict_proba(self, X):
        self._check_fitted()
        inputs = self._sequences(self._features(X))
        return np.asarray(self.temporal_model_.predict(dict(zip(self.names, inputs)), verbose=0))

    def _check_fitted(self):
        check_fitted(self, "temporal_model_")

    # --- checkpoints ------------------------------------------------------------------------------------

    def _save_spatial(self, folder):
        from micro_expr.core.checkpoints import save_checkpoint

        for (name, model), classes in zip(self._spatial.models.items(), self.config.region_class_names):
            save_checkpoint(model, Path(folder) / name, {"stage": "spatial", "region": name, "classes": list(classes),
                                                         "config": self.config.to_dict()}, same_architecture=True)

    def save(self, folder):
        """The fold's checkpoints: ``spatial/<input>.*`` (per-fold split only) and ``temporal.*``."""
        from micro_expr.core.checkpoints import save_checkpoint

        self._check_fitted()
        folder = Path(folder)
        if self.config.spatial.split == "per_fold":
            self._save_spatial(folder / SPATIAL)
        save_checkpoint(self.temporal_model_, folder / TEMPORAL, {
            "stage": "temporal", "classes": list(self.classes_), "regions": self.names,
            "config": self.config.to_dict(), "fold": folder.name,
            "standardizer": None if self.standardizer_ is None else self.standardizer_.to_stats()},
            same_architecture=True)   # the stages' models are built once per run, refit per fold

    @classmethod
    def load(cls, folder, shared_folder=None):
        """A fitted STFF from a fold folder; ``shared_folder``: where 'frame50' spatial models lie
        (default: the run's ``spatial_shared``, two levels up)."""
        from micro_expr.core.checkpoints import load_checkpoint
        from micro_expr.stff import losses, models  # noqa: F401  registers STFF's custom layers and losses

        folder = Path(folder)
        temporal, meta = load_checkpoint(folder / f"{TEMPORAL}.keras")
        if "config" not in meta or "classes" not in meta:
            raise InputError(f"{folder / 'temporal.json'}: checkpoint metadata (config, classes) is missing")
        try:
            config = STFFConfig.from_dict(meta["config"])
        except (TypeError, ValueError) as error:
            raise InputError(f"{folder / 'temporal.json'}: not an STFF configuration ({error})") from None
        system = cls(config)
        if list(meta.get("regions", config.region_names)) != system.names:
            raise InputError(f"{folder / 'temporal.json'}: regions {meta['regions']} do not match the configuration")
        if config.spatial.split == "per_fold":
            spatial_folder = folder / SPATIAL
        else:
            spatial_folder = Path(shared_folder) if shared_folder else folder.parent.parent / "spatial_shared"
        system.spatial_models_ = {}
        for name in system.names:
            model, spatial_meta = load_checkpoint(spatial_folder / f"{name}.keras")
            if spatial_meta.get("config") != meta["config"]:
                raise InputError(f"{spatial_folder / name}.json: trained with another configuration than "
                                 f"{folder / 'temporal.json'}")
            system.spatial_models_[name] = model
        system.temporal_model_, system.classes_ = temporal, list(meta["classes"])
        system.standardizer_ = (None if meta.get("standardizer") is None else
                                training.Standardizer.from_stats(meta["standardizer"], config.temporal.standardize))
        return system

    # --- models, a new video --------------------------------------------------------------------------------

    def models(self):
        """One spatial model per model input (``R0`` .. ``R5``) and the temporal model, in the paper's layout."""
        from micro_expr.stff.models import build_spatial_models, build_temporal_from_config

        return {**build_spatial_models(self.config), "temporal": build_temporal_from_config(self.config)}

    def parameter_counts(self):
        counts = super().parameter_counts()
        return {"spatial": {name: counts[name] for name in self.names}, "temporal": counts["temporal"]}

    def checkpoint_parameters(self):
        """The spatial models once for every fold with the shared ('frame50') split, else in every fold."""
        counts = self.parameter_counts()
        spatial = {f"spatial/{name}": n for name, n in counts["spatial"].items()}
        temporal = {"temporal": counts["temporal"]}
        if self.has_shared_stage:
            return {"shared": spatial, "per_fold": temporal}
        return {"shared": {}, "per_fold": {**spatial, **temporal}}

    def describe(self, line_length=160):
        """Keras summaries, then per spatial model its parameters and region classes k(r) (spec section 3)."""
        lines, cfg = [], self.config
        models = self.models()
        counts = {name: model.count_params() for name, model in models.items()}

        def add(text, line_break=True):
            lines.append(text)

        for name, classes in zip(self.names, cfg.region_class_names):
            models[name].summary(line_length=line_length, print_fn=add)
            lines.append(f"{name}: {counts[name]:,} parameters, k = {len(classes)} classes {list(classes)}\n")
        models["temporal"].summary(line_length=line_length, print_fn=add)
        lines.append(f"temporal: {counts['temporal']:,} parameters, K = {cfg.n_classes}\n")
        lines.append(f"preset {cfg.preset}, protocol {cfg.protocol}, m = {cfg.spatial.patches}, "
                     f"fusion {cfg.fusion}, spatial SE {cfg.spatial.se!r}, encoder {cfg.spatial.encoder}")
        spatial = sum(counts[name] for name in self.names)
        lines.append(f"total: {spatial + counts['temporal']:,} parameters (spatial {spatial:,}, "
                     f"temporal {counts['temporal']:,})")
        return lines

    can_predict_video = True

    @classmethod
    def predict_video(cls, run_dir, source, out, fold="all", frames=None, prep=None, announce=None, progress=False):
        """:func:`micro_expr.stff.predict.predict`, then the report (:mod:`micro_expr.stff.prediction_report`)."""
        from micro_expr.stff.predict import predict
        from micro_expr.stff.prediction_report import write_report

        result = predict(run_dir, source, fold=fold, frames=frames, prep=prep, announce=announce, progress=progress)
        result["report"] = write_report(result, out)
        return result

    # --- attention -----------------------------------------------------------------------------------------

    def explain(self, X):
        """Per clip: class probabilities (K,), per input the features SF (T, 256) and patch weights (T, m)
        of the spatial SE gate (STFF Eq. 2-4; None without it), and the region weights (R,) of the temporal
        SE gate (STFF Eq. 7; None without it)."""
        from data_prep.pipeline import cut_patches
        from micro_expr.stff import attention

        self._check_fitted()
        if self._readouts is None:
            self._readouts = ({name: attention.spatial_readout(model) for name, model in self.spatial_models_.items()},
                              attention.temporal_readout(self.temporal_model_))
        spatial, temporal = self._readouts
        cfg = self.config
        explained = []
        for clip in X:
            features, patch_weights = [], []
            for name, frames, size in zip(self.names, clip, cfg.patch_sizes):
                patches = cut_patches(frames, cfg.spatial.patches, size,  # the cut of training, any backend
                                      cfg.spatial.resize_antialias)
                sf, weights = attention.read_spatial(spatial[name], patches, cfg.spatial.patches)
                features.append(sf)
                patch_weights.append(weights)
            sequences = self._sequences([[sf] for sf in features])
            probabilities, region_weights = attention.read_temporal(temporal, dict(zip(self.names, sequences)),
                                                                    len(self.names))
            explained.append({"probabilities": probabilities, "features": features, "patch_weights": patch_weights,
                              "region_weights": region_weights})
        return explained


def _memo_of(X, features):
    """id(first frame stack) -> (that stack, its per-input feature sequences) for every clip of ``X``; the stack is
    kept so that its id is not reused while the memo lives."""
    return {id(clip[0]): (clip[0], [seqs[i] for seqs in features]) for i, clip in enumerate(X)}
