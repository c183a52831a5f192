"""MEAN as a recognition system: spot, then recognise (MEAN sections 3.2-3.4), on the common runner.

    mean = MEAN.from_preset("paper", epochs_spot=1, epochs_recog=1)
    items = mean.protocol_items(cache)         # one dataset's clips with a recognition class
    X = mean.load_inputs(cache, items)         # optical-flow features per clip (MEAN Eqs. 1-4)
    mean.fit(X_train, y_train)                 # spotting first, then recognition on a frozen trunk
    mean.fold_predictions(X_test, items_test)  # spotted intervals, true positives, voted classes

With ``config.weights`` (a folder of the authors' published ``s<fold>.hdf5``
files) every fold uses its published checkpoint instead of training: fold
``s<i>`` is the i-th subject in natural order (``micro_expr.mean.pipeline``).

Long videos (MEAN Table 4: CAS(ME)^2, SAMM-LV, SMIC-E) come through the same
runner when the run's data is a :class:`micro_expr.mean.long_video.LongVideoSet`
instead of a cache (``mer train --system mean --protocol long-video``): one item
per video, every ME of it a truth, published weights only.

Fitted attributes: ``model_`` (the combined Keras model), ``k_`` and ``k_prime_``
(flow distance and half ME length, from the dataset), ``num_classes_``.
"""
from pathlib import Path

import numpy as np

from data_prep.errors import InputError
from data_prep.long_videos import LongVideo, fold_subjects
from micro_expr.mean import long_video, pipeline
from micro_expr.mean.config import DEFAULT_PRESET, PRESETS, MEANConfig, get_preset
from micro_expr.papers import PAPERS
from micro_expr.core.system import Item, RecognitionSystem, check_fitted

MODEL = "mean"   # a fold's checkpoint stem


def _dataset_samples(cache, dataset):
    datasets = sorted({info.dataset for info in cache.samples})
    if not datasets:
        failures = list(getattr(cache, "failures", None) or [])
        detail = (f"; all {len(failures)} samples failed preparation, e.g. {failures[0].get('key')}: "
                  f"{failures[0].get('message')}" if failures else "")
        raise InputError(f"{cache.path}: holds no prepared sample{detail}; prepare it again "
                         f"(mer prepare ... --frames all --store-face)")
    if dataset is None:
        if len(datasets) != 1:
            raise InputError(f"{cache.path}: holds datasets {', '.join(datasets) or 'none'}; "
                             f"choose one (--set dataset=NAME or --dataset)")
        dataset = datasets[0]
    samples = [info for info in cache.samples if info.dataset == dataset]
    if not samples:
        raise InputError(f"{cache.path}: no samples of dataset {dataset!r} (it has {', '.join(datasets) or 'none'})")
    return dataset, samples


def weights_folder(root, dataset):
    """The folder with the s<fold>.hdf5 spot_recog files, from what ``weights`` points at.

    A folder named after another dataset's published set (e.g. ``SAMMLV/spot_recog`` for a CASME II
    cache) is refused: its fold count may match by chance, its folds would not.
    """
    folder = Path(root)
    if not folder.is_dir():
        raise InputError(f"{folder}: weights folder does not exist")
    wanted = pipeline.WEIGHT_FOLDERS.get(dataset, dataset)
    if (folder / wanted).is_dir():
        folder = folder / wanted
    if (folder / "spot_recog").is_dir():
        folder = folder / "spot_recog"
    named = [part for part in folder.resolve().parts[-3:] if part in set(pipeline.WEIGHT_FOLDERS.values())]
    if named and named[-1] != wanted:
        raise InputError(f"{folder}: these are the published weights of {named[-1]}, but the data is {dataset} "
                         f"(its weights are {wanted}); give --weights the root folder or {wanted}/")
    return folder


def _check_folds(folds, subjects, folder, cache_path):
    """Fold files must be s1 .. sN for the N subjects, or the fold -> subject assignment is wrong."""
    wanted = list(range(1, len(subjects) + 1))
    if list(folds) != wanted:
        missing = [f"s{i}.hdf5" for i in wanted if i not in folds]
        extra = [folds[i].name for i in folds if i not in wanted]
        raise InputError(
            f"{folder}: {len(folds)} fold files for the {len(subjects)} subjects of {cache_path} "
            f"(fold s<i> = i-th subject in natural order: {', '.join(subjects[:6])}"
            f"{' ...' if len(subjects) > 6 else ''})"
            + (f"; missing {', '.join(missing[:5])}" if missing else "")
            + (f"; no subject for {', '.join(extra[:5])}" if extra else ""))


class MEAN(RecognitionSystem):
    name, label = "mean", "MEAN"
    citation = PAPERS["MEAN"]
    config_class = MEANConfig
    presets, default_preset, get_preset = PRESETS, DEFAULT_PRESET, staticmethod(get_preset)

    @classmethod
    def protocol_overrides(cls, protocol):
        if protocol == "long-video":   # published weights only: they were trained on the code's ROI layout
            return {"roi_layout": "code"}
        if protocol != "megc":
            raise InputError(f"--protocol {protocol}: MEAN recognises the 3 MEGC classes (megc) or, without "
                             f"--protocol, its dataset's classes (5 for CASME II); long videos: long-video")
        return {"classes": 3}

    @property
    def classes(self):
        return list(pipeline.class_names(getattr(self, "num_classes_", None) or self.config.num_classes(None)))

    def group_order(self, groups):
        return sorted(groups, key=pipeline.natural_key)   # fold s<i> = i-th subject, s2 before s10

    # --- data ---------------------------------------------------------------------------------------

    def _published(self, dataset):
        from micro_expr.mean.published import fold_files, read_checkpoint

        folder = weights_folder(self.config.weights, dataset)
        folds = fold_files(folder)
        if not folds:
            raise InputError(f"{folder}: no s<fold>.hdf5 checkpoint files")
        first = read_checkpoint(next(iter(folds.values())))
        if first.kind != "spot_recog":
            raise InputError(f"{first.path}: evaluation needs 'spot_recog' checkpoints (both heads), "
                             f"this is '{first.kind}'")
        return folder, folds, first

    def protocol_items(self, cache, datasets=None):
        """The clips of one dataset that have a class of the recognition head (as the authors kept them)."""
        if isinstance(cache, long_video.LongVideos):
            return self._long_video_items(cache)
        if not getattr(getattr(cache, "config", None), "store_face", True):
            raise InputError(f"{cache.path}: MEAN reads the face canvases, and this cache was prepared without "
                             f"them (mer prepare ... --frames all --store-face)")
        wanted = self.config.dataset or (sorted(datasets)[0] if datasets and len(datasets) == 1 else None)
        dataset, samples = _dataset_samples(cache, wanted)
        if getattr(getattr(cache, "config", None), "frames", "all") != "all":
            import logging

            logging.getLogger(__name__).warning(
                "%s holds only onset..offset frames; spotting needs whole videos (mer prepare --frames all "
                "--store-face)", cache.path)
        self.dataset_ = dataset
        self.num_classes_ = self.config.num_classes(dataset)
        if self.config.weights:
            folder, folds, first = self._published(dataset)
            self.num_classes_ = first.num_classes
        kept = [info for info in pipeline.select_samples(samples, self.config)
                if pipeline.class_index(info, self.num_classes_) is not None]
        if len(kept) < len(samples):
            import logging

            logging.getLogger(__name__).info("%d samples have none of the %d classes and are left out (as the "
                                             "authors did)", len(samples) - len(kept), self.num_classes_)
        if not kept:
            raise InputError(f"{cache.path}: no {dataset} sample has one of the classes "
                             f"{', '.join(pipeline.class_names(self.num_classes_))}")
        if self.config.weights:
            _check_folds(folds, pipeline.fold_subjects(kept), folder, cache.path)
        return [Item(info.key, dataset, f"{dataset}/{info.subject}", pipeline.class_index(info, self.num_classes_),
                     info.n_frames) for info in kept]

    def _long_video_items(self, data):
        """One item per long video with an ME (MEAN Table 4), for the published checkpoints of its dataset."""
        import logging

        if not self.config.weights:
            raise InputError(f"{data.path}: long videos are evaluated with the published checkpoints "
                             f"(--set weights=DIR); training MEAN on long videos is not implemented")
        for failure in data.failures:
            logging.getLogger(__name__).warning("skipped %s: %s", failure.key, failure.message)
        videos = long_video.select_videos([video for video in data.videos if video.expressions], self.config)
        if not videos:
            raise InputError(f"{data.path}: no {data.source.dataset} video with a micro-expression")
        self.dataset_ = data.source.dataset
        folder, folds, first = self._published(self.dataset_)
        self.num_classes_ = first.num_classes
        _check_folds(folds, fold_subjects(videos), folder, data.path)
        # label None: a long video has one class per ME (LongVideo.expressions), not one per item
        return [Item(video.key, video.dataset, f"{video.dataset}/{video.subject}", None, video.n_frames)
                for video in videos]

    def load_inputs(self, cache, items):
        """MEAN's features of every clip (:class:`micro_expr.mean.pipeline.PreparedSample`).

        Long videos: the :class:`data_prep.long_videos.LongVideo` objects themselves; their frames are
        read when their fold predicts (a few long videos' features fill the memory).
        """
        import logging

        from micro_expr.mean.features import check_opencv, opencv_report

        check_opencv(self.config)   # preset original: refuses an OpenCV whose TV-L1 is not the authors'
        report = opencv_report()
        logging.getLogger(__name__).info("OpenCV %s (TV-L1 %s the authors' OpenCV 4.5.1 .. 4.11), flow %s",
                                         report["opencv"], "as" if report["tvl1_matches_authors"] else "NOT as",
                                         self.config.flow)
        if isinstance(cache, long_video.LongVideos):
            by_key = {video.key: video for video in cache.videos}
            videos = [by_key[item.key] for item in items]
            self.k_ = pipeline.flow_k(self.config, videos[0].fps)
            self.k_prime_ = long_video.k_prime_of(videos, self.config)
            return videos
        by_key = {info.key: info for info in cache.samples}
        infos = [by_key[item.key] for item in items]
        self.k_ = pipeline.flow_k(self.config, infos[0].fps)
        self.k_prime_ = pipeline.k_prime_for(self.config, infos)
        logging.getLogger(__name__).info("%s: %d samples, k = %d, k' = %d", self.dataset_, len(infos), self.k_,
                                         self.k_prime_)
        return [pipeline.prepare_sample(cache, info, self.k_, self.num_classes_, self.config,
                                        with_recognition=not self.config.weights) for info in infos]

    # --- one fold -----------------------------------------------------------------------------------

    def for_fold(self, fold):
        """This system, or, with published weights, a MEAN holding fold ``s<index + 1>``'s checkpoint."""
        self.fold_number_ = fold.index + 1
        if not self.config.weights:
            return self
        from micro_expr.mean.published import build_model_for, read_checkpoint, set_published_weights

        folder, folds, first = self._published(self.dataset_)
        checkpoint = read_checkpoint(folds[self.fold_number_])
        if (checkpoint.kind, checkpoint.num_classes) != (first.kind, first.num_classes):
            raise InputError(f"{checkpoint.path}: a '{checkpoint.kind}' checkpoint with {checkpoint.num_classes} "
                             f"classes among '{first.kind}' ones with {first.num_classes} ({first.path.name})")
        published = MEAN(self.config)
        for name in ("dataset_", "num_classes_", "k_", "k_prime_", "fold_number_"):
            setattr(published, name, getattr(self, name))
        published.model_ = build_model_for("spot_recog", first.num_classes)
        set_published_weights(published.model_, checkpoint)
        published.checkpoint_ = str(checkpoint.path)
        return published

    def fit(self, X, y):
        """Spotting, then recognition with a frozen trunk (MEAN section 3.2); a no-op with published weights."""
        if self.config.weights:
            self._history = {}
            return self
        self.model_, self._history = pipeline.train_fold(list(X), self.num_classes_, self.k_prime_, self.config)
        return self

    def _rows(self, X):
        check_fitted(self, "model_")
        if X and isinstance(X[0], LongVideo):
            return [long_video.evaluate_video(self.model_, video, self.k_, self.k_prime_, self.config,
                                              self.num_classes_) for video in X]
        return pipeline.evaluate_fold(self.model_, list(X), self.k_prime_, self.config)

    def predict_proba(self, X):
        """Per clip, the recognition probabilities voted at its first spotted interval (uniform when none)."""
        from micro_expr.mean.features import split_streams

        probabilities = []
        for clip, row in zip(X, self._rows(X)):
            _, per_frame = self.model_.predict(split_streams(clip.spot_features), verbose=0, batch_size=256)
            if row["spots"]:
                first, last = row["spots"][0]["interval"]
                per_frame = per_frame[max(0, first):last + 1] if last >= first else per_frame
            probabilities.append(np.asarray(per_frame).mean(axis=0))
        return np.asarray(probabilities)

    def fold_predictions(self, X, items):
        """Per clip: truth interval, every spotted interval with its score, match and voted class.

        Long videos also record every ME (``truths``, ``labels``); ``match`` is the truth a TP hit.
        """
        import cv2

        opencv_version = cv2.__version__   # the features of this fold were computed with it
        records = []
        for item, row in zip(items, self._rows(X)):
            spots = [{"peak": int(s["peak"]), "interval": [int(v) for v in s["interval"]], "score": float(s["score"]),
                      "true_positive": bool(s["true_positive"]), "match": s.get("match"),
                      "predicted_class": s["predicted_class"]} for s in row["spots"]]
            records.append({"key": item.key, "dataset": item.dataset, "subject": item.subject,
                            "label": row["label"], "truth": [int(v) for v in row["truth"]], "spots": spots,
                            "fold": self.fold_number_, "k": self.k_, "k_prime": self.k_prime_,
                            "num_classes": self.num_classes_, "opencv": opencv_version})
            if "truths" in row:
                records[-1].update(truths=[[int(v) for v in t] for t in row["truths"]], labels=row["labels"])
        return records

    # --- checkpoints ------------------------------------------------------------------------------------

    def save(self, folder):
        from micro_expr.core.checkpoints import save_checkpoint

        save_checkpoint(self.model_, Path(folder) / MODEL, {
            "system": self.name, "config": self.config.to_dict(), "classes": self.classes, "k": self.k_,
            "k_prime": self.k_prime_, "published_checkpoint": getattr(self, "checkpoint_", None)})

    @classmethod
    def load(cls, folder, shared_folder=None):
        from micro_expr.core.checkpoints import load_checkpoint

        model, meta = load_checkpoint(Path(folder) / f"{MODEL}.keras")
        if meta.get("system") != "mean":
            raise InputError(f"{Path(folder) / MODEL}.json: not a MEAN checkpoint")
        system = cls(MEANConfig.from_dict(meta["config"]))
        system.model_, system.k_, system.k_prime_ = model, meta["k"], meta["k_prime"]
        system.num_classes_ = len(meta["classes"])
        return system

    # --- results --------------------------------------------------------------------------------------------

    def results(self, run, predictions, histories, seconds, note=None):
        """Spotting (F1, AP@[.5:.95]), analysis of the true positives and STRS (MEAN Table 5)."""
        first = predictions[0]
        rows = [{**p, "truth": tuple(p["truth"]),
                 "spots": [{**s, "interval": tuple(s["interval"])} for s in p["spots"]]} for p in predictions]
        summary = {"system": self.name, "citation": self.citation, "preset": run["config"]["preset"],
                   "dataset": first["dataset"], "k": first["k"], "k_prime": first["k_prime"],
                   "folds": len({p["fold"] for p in predictions}), "n_folds": len(run["folds"]),
                   "n_samples": len(predictions),
                   **pipeline.summarise(rows, first["num_classes"], config=MEANConfig.from_dict(run["config"])),
                   "timings": {"fold_seconds_total": seconds}, **_opencv_summary(predictions)}
        if run["config"].get("weights"):
            summary["weights"] = run["config"]["weights"]
        if note:
            summary["note"] = note
        figures = {"training_curves": learning_curves(histories)} if any(histories.values()) else {}
        return summary, format_markdown(summary), figures

    cannot_predict = ("MEAN spots and recognises from the optical flow of whole videos, with k and k' set per "
                      "dataset; evaluate a new long video with `mer train --system mean --protocol long-video` "
                      "on its dataset's layout")

    def results_text(self, results):
        return format_summary(results)

    def models(self):
        """The one MEAN network (shared trunk, spotting and recognition heads; MEAN Fig. 3) of the config's dataset."""
        from micro_expr.mean.model import build_mean

        return {"mean": build_mean(self.config.num_classes(self.config.dataset))}


def _opencv_summary(predictions):
    """The OpenCV the folds' features were computed with (older runs without it: the installed one)."""
    from micro_expr.mean.features import opencv_report, tvl1_matches_authors

    versions = sorted({p["opencv"] for p in predictions if p.get("opencv")}) or [opencv_report()["opencv"]]
    return {"opencv": ", ".join(versions),
            "tvl1_matches_authors": all(tvl1_matches_authors(version) for version in versions)}


# What MEAN's training records per epoch (``pipeline.train_fold``): the spotting stage regresses
# (MSE loss, MAE), the recognition stage classifies (cross-entropy, accuracy); MEAN Fig. 6 plots both.
CURVE_METRICS = ("loss", {"spot": "mae", "recog": "categorical_accuracy"})


def learning_curves(histories):
    """Learning curves of MEAN's two training stages, one line per fold (a matplotlib Figure)."""
    from micro_expr.core.plots import plot_training_curves

    return plot_training_curves(histories, ("spot", "recog"), CURVE_METRICS)


def format_summary(summary):
    """The headline figures as plain text lines."""
    spot, analysis = summary["spotting"], summary["analysis"]
    return "\n".join([
        f"MEAN on {summary['dataset']} (k = {summary['k']}, k' = {summary['k_prime']})",
        f"spotting  TP {spot['tp']}  FP {spot['fp']}  FN {spot['fn']}  precision {spot['precision']:.4f}  "
        f"recall {spot['recall']:.4f}  F1 {spot['f1']:.4f}  AP@[.5:.95] {spot['ap_50_95']:.4f}",
        f"analysis  n {analysis['n']}  F1 {analysis['f1']:.4f}  UF1 {analysis['uf1']:.4f}  "
        f"UAR {analysis['uar']:.4f}  accuracy {analysis['accuracy']:.4f}",
        f"STRS {summary['strs']:.4f}",
    ] + ([f"OpenCV {summary['opencv']} (TV-L1 {'as' if summary.get('tvl1_matches_authors') else 'NOT as'} "
          f"the authors' OpenCV 4.5.1 .. 4.11)"] if summary.get("opencv") else []))


def format_markdown(summary):
    lines = [f"# mean: spot-then-recognise on {summary['dataset']}, preset `{summary['preset']}`", "",
             f"System: {summary['citation']}.", ""]
    if summary.get("note"):
        lines += [f"> {summary['note']}", ""]
    if summary.get("weights"):
        lines += [f"Published checkpoints: `{summary['weights']}`.", ""]
    lines += ["```", format_summary(summary), "```", "",
              "Spotting F1 counts a spotted interval as a true positive at IoU >= 0.5 with a truth interval; "
              "analysis scores the classes of the true positives only; STRS = spotting F1 x analysis F1 "
              "(MEAN Eq. 24)."]
    return "\n".join(lines) + "\n"
