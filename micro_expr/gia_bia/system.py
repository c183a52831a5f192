"""The GIA + BIA + Bi-LSTM system for the common runner (``mer train --system gia_bia``).

Zhu, Li, Liu, Zeng, "Micro-Expression Recognition Based on Spatio-Temporal Feature Extraction of Key
Regions", 2023. Inputs are the aligned TIM clips of :mod:`data_prep.key_regions.clips` (built from a region
cache prepared with ``--store-face``) and the identification blocks derived from their landmarks.
"""
import logging
from pathlib import Path

import numpy as np

from data_prep.errors import InputError
from micro_expr.gia_bia.config import DEFAULT_PRESET, PRESETS, GiaBiaConfig, get_preset
from micro_expr.core.system import RecognitionSystem, check_fitted
from micro_expr.papers import PAPERS

log = logging.getLogger(__name__)

RANDOM_BACKBONE_NOTE = ("RANDOM BACKBONE: no VGG16 ImageNet weights were given (backbone_weights), so the "
                        "transfer learning layer starts from random weights; these scores are NOT comparable "
                        "with the paper's.")
# The Keras 2 VGG16 ImageNet files and the MD5 checksums keras.applications.VGG16 checks them against.
VGG16_FILES = {
    "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5": "6d6bbae143d832006294945121d1f1fc",
    "vgg16_weights_tf_dim_ordering_tf_kernels.h5": "64373286793e3c8b2b4e3219cbf3544b",
}
VGG16_URL = "https://storage.googleapis.com/tensorflow/keras-applications/vgg16/"


def random_backbone_warning(config):
    """The start-of-run warning of a run without ImageNet weights (None when weights are given)."""
    if config.backbone_weights:
        return None
    name, md5 = next(iter(VGG16_FILES.items()))
    return (f"RANDOM BACKBONE: gia_bia ({config.preset} preset) starts from random VGG16 weights; the paper "
            f"transfers ImageNet weights (Zhu et al. 2023, section 3.1). Nothing is downloaded: fetch {VGG16_URL}{name} "
            f"on a machine with network (MD5 {md5}, what keras.applications checks; the file with the top, "
            f"{next(reversed(VGG16_FILES))}, works too) and pass --set backbone_weights=FILE. On the quick "
            "demo a random backbone stays at chance (docs/gia_bia.md, section 'Measured').")


def md5(path):
    from data_prep.pyfeat_media import file_digest

    return file_digest(path, "md5")   # Keras publishes the VGG16 files' MD5


class GiaBia(RecognitionSystem):
    """Scikit-learn-like estimator over clips; see :class:`micro_expr.core.system.RecognitionSystem`."""

    name, label = "gia_bia", "GIA + BIA"
    citation = PAPERS["Zhu et al. 2023"]
    config_class = GiaBiaConfig
    presets, default_preset, get_preset = PRESETS, DEFAULT_PRESET, staticmethod(get_preset)

    @property
    def classes(self):
        from data_prep.labels import protocol_classes

        return list(protocol_classes(self.config.protocol))

    # --- inputs ---------------------------------------------------------------------------------

    def protocol_items(self, cache, datasets=None):
        """The protocol's items; refuses a bad run before any work, then says what the run will cost."""
        from micro_expr.core.items import protocol_items

        items = protocol_items(cache, self.config.protocol, datasets)
        self.check_run(cache, items)
        self.announce(items)
        return items

    def check_run(self, cache, items):
        """Refuse, naming the field, what would only fail (or silently invent frames) later."""
        shortest = min(items, key=lambda item: item.n_frames)
        if self.config.frames > shortest.n_frames:
            raise InputError(f"frames={self.config.frames}: more than the {shortest.n_frames} cached frames of "
                             f"{shortest.key} (the shortest clip of this run); TIM would invent frames. Choose "
                             f"frames <= {shortest.n_frames}")
        if self.config.clip_source == "frames" and not self.config.frames_roots and not Path(
                self.clip_cache_path(cache)).exists():
            datasets = sorted({item.dataset for item in items})
            raise InputError("frames_roots: clip_source=frames reads the raw frames the cache was prepared from; "
                             "pass --set frames_roots=" + ",".join(f"{d}=DIR" for d in datasets)
                             + " (or clip_source=face_canvas for the earlier, padded clips)")
        if self.config.clip_source == "face_canvas" and not cache.config.store_face:
            raise InputError(f"{cache.path}: clip_source=face_canvas needs face canvases (mer prepare --store-face)")

    def announce(self, items):
        """The random-backbone warning and the cost line (a measured training step), before any training."""
        from micro_expr.gia_bia.cost import cost_line

        lines = [random_backbone_warning(self.config)]
        if self.config.backbone_weights:
            found = md5(self.config.backbone_weights)
            if found not in VGG16_FILES.values():
                lines.append(f"backbone_weights {self.config.backbone_weights}: MD5 {found} is not Keras's VGG16 "
                             f"ImageNet file ({', '.join(f'{k}: {v}' for k, v in VGG16_FILES.items())})")
        lines.append(cost_line(self.config, len(self.classes), items))
        for line in filter(None, lines):
            level = logging.INFO if line.startswith("cost:") else logging.WARNING
            log.log(level, line)
            print(f"gia_bia: {line}", flush=True)

    def clip_cache_path(self, cache):
        from data_prep.key_regions.clips import default_path

        return Path(self.config.clip_cache) if self.config.clip_cache else default_path(cache.path,
                                                                                          self.config.clip_settings())

    def load_inputs(self, cache, items):
        """Per item {"clip": uint8 (frames, size, size, 3), "landmarks": (68, 2) on the 224 reference}."""
        from data_prep.key_regions.clips import ClipCache

        clips = ClipCache(self.clip_cache_path(cache), self.config.clip_settings(), self.config.frames_roots).load(
            cache, [item.key for item in items])
        return [{"clip": clips[item.key][0], "landmarks": clips[item.key][1]} for item in items]

    # --- training -------------------------------------------------------------------------------

    def _model_inputs(self, X):
        from micro_expr.gia_bia.inputs import network_inputs

        return network_inputs([x["clip"] for x in X], [x["landmarks"] for x in X], self.config)

    def build(self):
        from micro_expr.gia_bia.model import build_model

        return build_model(self.config, len(self.classes))

    def fit(self, X, y):
        """Train from scratch (section 4.4: Adam, L2 in the loss, rotation and crop augmentation)."""
        import keras

        from micro_expr.gia_bia.training import AugmentedClips

        keras.utils.set_random_seed(self.config.seed)
        self.model_ = self.build()
        self.model_.compile(optimizer=keras.optimizers.Adam(self.config.learning_rate),
                            loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                            jit_compile=False)  # XLA compiling costs more than it saves on small CPU runs
        data = AugmentedClips(X, np.asarray(y), self.config)
        history = self.model_.fit(data, epochs=self.config.epochs, verbose=0)
        self._history = {k: [float(v) for v in values] for k, values in history.history.items()}
        return self

    def _fitted(self):
        check_fitted(self, "model_")
        return self.model_

    def predict_proba(self, X, batch_size=8):
        model = self._fitted()
        out = [model.predict(self._model_inputs(X[i:i + batch_size]), verbose=0) for i in range(0, len(X), batch_size)]
        return np.concatenate(out) if out else np.zeros((0, len(self.classes)))

    # --- saving ---------------------------------------------------------------------------------

    def metadata(self):
        from data_prep.pyfeat_media import file_sha256

        weights = self.config.backbone_weights
        return {"system": self.name, "citation": self.citation, "config": self.config.to_dict(),
                "classes": self.classes,
                "backbone": {"file": weights, "sha256": file_sha256(weights) if weights else None,
                             "random": not weights, "note": None if weights else RANDOM_BACKBONE_NOTE}}

    def save(self, folder):
        from micro_expr.core.checkpoints import save_checkpoint

        save_checkpoint(self._fitted(), Path(folder) / "model", self.metadata())

    @classmethod
    def load(cls, folder, shared_folder=None):
        import micro_expr.gia_bia.layers  # noqa: F401  registers the custom layers
        from micro_expr.core.checkpoints import load_checkpoint

        model, metadata = load_checkpoint(Path(folder) / "model.keras")
        system = cls(GiaBiaConfig.from_dict(metadata["config"]))
        system.model_ = model
        return system

    # --- read-out -------------------------------------------------------------------------------

    def explain(self, X):
        """Per clip, the attention weights p of Zhu et al. 2023 Eq. 1: "global_attention" (frames,),
        "block_attention" (frames, n_blocks);
        and "blocks" (n_blocks, 3), the boxes as fractions of the frame side."""
        from micro_expr.gia_bia.inputs import clip_blocks
        from micro_expr.gia_bia.model import attention_model

        reader = attention_model(self._fitted())
        frames = self.config.frames
        result = []
        for x in X:
            weights = reader.predict(self._model_inputs([x]), verbose=0)
            entry = {"global_attention": np.asarray(weights["global"]).reshape(frames),
                     "blocks": clip_blocks(x["landmarks"], self.config)}
            if "blocks" in weights:
                entry["block_attention"] = np.asarray(weights["blocks"]).reshape(frames, self.config.n_blocks)
            result.append(entry)
        return result

    cannot_predict = ("its inputs are eye-aligned key-region clips cut at preparation from a region cache "
                      "(frames and landmarks); there is no path yet from a raw video to such a clip")

    def models(self):
        """The whole network (VGG16 transfer and global branches, the identification blocks, Bi-LSTM, head)."""
        return {"gia_bia": self.build()}

    def results(self, run, predictions, histories, seconds, note=None):
        if not self.config.backbone_weights:
            note = RANDOM_BACKBONE_NOTE + (" " + note if note else "")
        return super().results(run, predictions, histories, seconds, note)

