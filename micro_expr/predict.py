"""Predict the class of a new clip with a trained run, and read out where the models looked.

A clip (video file, folder of frames, list of frame files or an array of
frames) goes through exactly the preparation of ``mer prepare``
(:func:`data_prep.prepare.prepare_sample`: dlib landmarks on the first frame,
face box, 240 x 280 face canvas, six regions), then through the trained
models of one fold or of every fold of the run:

    regions -> m patches -> spatial model (SF per frame, STFF Eq. 5; spatial SE gate, Eq. 2-4)
            -> standardise, pad to N (as in training) -> temporal model (Eq. 6-8; temporal SE gate, Eq. 7)

With several folds the class probabilities are averaged (an ensemble of the
LOSO models). Everything the models need is read from the checkpoints'
metadata (configuration, class names, region order, standardiser
statistics) and from the run folder (how frames were prepared); nothing is guessed.

Notebook use::

    from micro_expr.predict import predict
    result = predict("demo_out", "demo_out/dataset/sub01/EP01_01", fold="all")
    result["predicted"], result["probabilities"], result["temporal_attention"]
"""
import json
import re
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from data_prep.errors import InputError, NoFaceError
from micro_expr import attention, training

VIDEO_SUFFIXES = {".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg"}
MIN_FRAMES = 2  # a sequence model needs at least a start and a change


# --- the run folder -------------------------------------------------------------------------

def read_run(run_dir):
    """run.json of a run folder (written by :func:`micro_expr.runs.run_protocol`)."""
    path = Path(run_dir) / "run.json"
    if not path.is_file():
        raise InputError(f"{run_dir}: not a run folder (no run.json; train one with `mer train` or `mer demo`)")
    return json.loads(path.read_text())


def fold_folder(run_dir, fold):
    """The folder of a fold entry of run.json: ``folds/NN_<name>``."""
    from micro_expr.runs import Fold

    return Path(run_dir) / "folds" / Fold(fold["index"], fold["name"], (), ()).folder


def finished_folds(run_dir):
    """The fold entries of run.json whose training finished (``done.json`` present)."""
    return [fold for fold in read_run(run_dir)["folds"] if (fold_folder(run_dir, fold) / "done.json").exists()]


def choose_folds(run_dir, fold="all"):
    """Fold entries to predict with: every finished fold ("all" / None), or one by index, name or folder."""
    folds = read_run(run_dir)["folds"]
    if fold in (None, "all"):
        chosen = finished_folds(run_dir)
        if not chosen:
            raise InputError(f"{run_dir}: no finished fold (no folds/*/done.json); train the run first")
        return chosen
    text = str(fold)
    matches = [f for f in folds if text in (str(f["index"]), f["name"], fold_folder(run_dir, f).name)]
    if not matches:
        shown = ", ".join(f["name"] for f in folds[:4]) + (" ..." if len(folds) > 4 else "")
        raise InputError(f"{run_dir}: no fold {text!r}; folds are 0..{len(folds) - 1} or names such as {shown}")
    if not (fold_folder(run_dir, matches[0]) / "done.json").exists():
        raise InputError(f"{fold_folder(run_dir, matches[0])}: fold {matches[0]['name']} is not finished "
                         f"(no done.json); train it first (`mer train ... --folds {matches[0]['index']}`)")
    return matches[:1]


def prep_config_of(run_dir, run=None):
    """How the run's training frames were prepared (:class:`data_prep.config.PrepConfig`).

    Read from run.json when it records it, else from the cache the run was
    trained on. The regions of a new clip must be cut the same way.
    """
    from data_prep.cache import RegionCache
    from data_prep.config import PrepConfig

    run = run or read_run(run_dir)
    if run.get("prep_config"):
        return PrepConfig.from_json(json.dumps(run["prep_config"]))
    cache = Path(run.get("cache", ""))
    if not cache.is_file():
        raise InputError(f"{run_dir}: cannot tell how the training frames were prepared: run.json names the "
                         f"cache {cache}, which is not there; pass prep='original' or 'paper' "
                         f"(`mer predict --prep-preset`) to say which `mer prepare` settings were used")
    with RegionCache(cache) as opened:
        return opened.config


# --- the trained models of a fold -----------------------------------------------------------

@dataclass
class FoldModels:
    """Everything one fold needs to predict: models, configuration, classes and standardiser."""

    name: str
    config: object            # micro_expr.config.STFFConfig of the checkpoints
    classes: list             # K class names, in the classifier's output order
    spatial: dict             # input name -> readout model (SF, spatial SE gate)
    temporal: object          # readout model (probabilities, temporal SE gate)
    standardizer: object      # training.Standardizer with the fold's statistics, or None

    @property
    def names(self):
        return list(self.config.region_names)


def standardizer_from_stats(stats, config):
    """A :class:`micro_expr.training.Standardizer` holding saved (mean, std) pairs, one per input."""
    return None if stats is None else training.Standardizer.from_stats(stats, config.temporal.standardize)


def load_fold(run_dir, fold):
    """Load the temporal and spatial checkpoints of a fold entry; InputError naming a missing file."""
    from micro_expr.checkpoints import load_checkpoint
    from micro_expr.config import STFFConfig

    folder = fold_folder(run_dir, fold)
    temporal, meta = load_checkpoint(folder / "temporal.keras")
    if "config" not in meta or "classes" not in meta:
        raise InputError(f"{folder / 'temporal.json'}: checkpoint metadata (config, classes) is missing")
    config = STFFConfig.from_dict(meta["config"])
    if list(meta.get("regions", config.region_names)) != list(config.region_names):
        raise InputError(f"{folder / 'temporal.json'}: regions {meta['regions']} do not match the configuration")
    # The spatial models live in the fold (strict) or once for the run (the code's 'frame50' split).
    spatial_folder = folder / "spatial" if config.spatial.split == "per_fold" else Path(run_dir) / "spatial_shared"
    spatial = {}
    for name in config.region_names:
        model, spatial_meta = load_checkpoint(spatial_folder / f"{name}.keras")
        if spatial_meta.get("config") != meta["config"]:
            raise InputError(f"{spatial_folder / name}.json: trained with another configuration than "
                             f"{folder / 'temporal.json'}")
        spatial[name] = attention.spatial_readout(model)
    return FoldModels(fold["name"], config, list(meta["classes"]), spatial, attention.temporal_readout(temporal),
                      standardizer_from_stats(meta.get("standardizer"), config))


def analyse(models, inputs):
    """Run one fold's models on one sequence; ``inputs``: per model input uint8 frames (T, H, W, 3).

    Returns plain arrays: probabilities (K,), per input the features (T, 256)
    and patch weights (T, m) (None without spatial SE), and region weights (R,)
    (None without temporal SE).
    """
    from data_prep.pipeline import split_patches

    config = models.config
    m = config.spatial.patches
    features, patch_weights = [], []
    for name, frames, size in zip(models.names, inputs, config.patch_sizes):
        patches = split_patches(frames, m, size).numpy()  # the same cut as training's tf.data pipeline
        sf, weights = attention.read_spatial(models.spatial[name], patches, m)
        features.append(sf)
        patch_weights.append(weights)
    # Standardise with the fold's training statistics and pad exactly as in training.
    sequences = training.sequences_for([[sf] for sf in features], [0], config, models.standardizer)
    probabilities, region_weights = attention.read_temporal(models.temporal, dict(zip(models.names, sequences)),
                                                            len(models.names))
    return {"probabilities": probabilities, "features": features, "patch_weights": patch_weights,
            "region_weights": region_weights}


# --- a new clip -> the model inputs ---------------------------------------------------------

def _numbered_frames(folder, frames=None):
    """Frame files of a folder in frame order, optionally only numbers ``frames`` = (first, last)."""
    from data_prep.datasets import frame_files

    numbered = frame_files(folder)
    if frames is not None:
        numbered = [(n, path) for n, path in numbered if frames[0] <= n <= frames[1]]
    return [path for _, path in numbered]


def _write_images(frames, folder):
    """Write RGB frames as lossless PNG files, so that :func:`prepare_sample` reads them unchanged."""
    import cv2

    paths = []
    for index, frame in enumerate(frames):
        path = Path(folder) / f"frame{index:05d}.png"
        cv2.imwrite(str(path), cv2.cvtColor(np.ascontiguousarray(frame), cv2.COLOR_RGB2BGR))
        paths.append(path)
    return paths


def _video_frames(path, frames=None):
    """Frames of a video (0-based indices ``frames`` = (first, last) if given), as RGB arrays."""
    from data_prep.pyfeat_media import iter_video_frames

    chosen = []
    for index, frame in enumerate(iter_video_frames(path)):
        if frames is None or frames[0] <= index <= frames[1]:
            chosen.append(frame)
        elif index > frames[1]:
            break
    return chosen


def parse_frame_range(text):
    """``"17-40"`` -> (17, 40); None stays None."""
    if text is None:
        return None
    match = re.fullmatch(r"\s*(\d+)\s*-\s*(\d+)\s*", str(text))
    if not match or int(match.group(1)) > int(match.group(2)):
        raise InputError(f"--frames {text!r}: expected FIRST-LAST frame numbers, e.g. 17-40")
    return int(match.group(1)), int(match.group(2))


def prepare_clip(source, prep_config, frames=None):
    """Regions (and face canvas) of a clip, prepared as ``mer prepare`` does.

    ``source``: a video file, a folder of numbered frames, a list of frame
    files, or an array (T, H, W, 3) of RGB frames. ``frames``: (first, last)
    frame numbers to keep (file numbers in a folder, 0-based indices in a video).
    Returns the dict of :func:`data_prep.prepare.prepare_sample` (face canvases included).
    """
    from data_prep.prepare import prepare_sample
    from data_prep.samples import Sample

    prep_config = replace(prep_config, store_face=True)  # the face canvas is drawn under the attention maps
    with tempfile.TemporaryDirectory(prefix="mer_predict_") as scratch:
        paths, label = _frame_paths(source, frames, scratch)
        if len(paths) < MIN_FRAMES:
            raise InputError(f"{label}: {len(paths)} frame(s); a clip needs at least {MIN_FRAMES} frames")
        sample = Sample(dataset="input", subject="input", sample=Path(label).name, folder=Path(label), frames=paths)
        try:
            return prepare_sample(sample, prep_config)
        except NoFaceError as error:
            raise NoFaceError(f"{label}: no face found on the first frame by dlib's HOG detector "
                              f"({error})") from error


def _frame_paths(source, frames, scratch):
    """Frame files of ``source`` (written to ``scratch`` when it is a video or an array) and its name."""
    if isinstance(source, np.ndarray):
        if source.ndim != 4 or source.shape[-1] != 3:
            raise InputError(f"frames array: expected shape (T, H, W, 3), got {source.shape}")
        chosen = source if frames is None else source[frames[0]:frames[1] + 1]
        return _write_images(chosen.astype(np.uint8), scratch), "frames array"
    if isinstance(source, (list, tuple)):
        return [Path(p) for p in source], str(Path(source[0]).parent) if source else "frame list"
    path = Path(source)
    if path.is_dir():
        return _numbered_frames(path, frames), str(path)
    if not path.exists():
        raise InputError(f"{path}: no such video file or frame folder")
    if path.suffix.lower() not in VIDEO_SUFFIXES:
        raise InputError(f"{path}: not a frame folder or a video ({', '.join(sorted(VIDEO_SUFFIXES))})")
    return _write_images(_video_frames(path, frames), scratch), str(path)


def model_inputs(prepared, config):
    """The spatial inputs of ``config``: the regions it uses in order, or the whole face canvas."""
    if config.region_mode == "whole_face":
        return [prepared["face"]]
    return [prepared["regions"][r] for r in config.regions]


# --- the whole prediction -------------------------------------------------------------------

def predict(run_dir, source, fold="all", frames=None, prep=None, loaded=None):
    """Class probabilities and attention of a clip, from one fold or the ensemble of every finished fold.

    ``prep``: None (read from the run), a :class:`PrepConfig` or a preset name
    ('original', 'paper'). ``loaded``: optional dict fold name -> FoldModels to
    reuse models between calls. Returns a plain dict (lists and numbers; the
    first frame's face canvas as a uint8 array under ``face_canvas``).
    """
    from data_prep.config import PRESETS as PREP_PRESETS

    run = read_run(run_dir)
    chosen = choose_folds(run_dir, fold)
    prep_config = PREP_PRESETS[prep] if isinstance(prep, str) else (prep or prep_config_of(run_dir, run))
    prepared = prepare_clip(source, prep_config, frames)
    loaded = {} if loaded is None else loaded
    per_fold = {}
    for entry in chosen:
        if entry["name"] not in loaded:
            loaded[entry["name"]] = load_fold(run_dir, entry)
        models = loaded[entry["name"]]
        per_fold[entry["name"]] = (models, analyse(models, model_inputs(prepared, models.config)))
    return summarise(run_dir, source, prepared, per_fold)


def summarise(run_dir, source, prepared, per_fold):
    """Average the folds' outputs into the plain result dict of :func:`predict`."""
    models = next(iter(per_fold.values()))[0]
    names, classes, config = models.names, models.classes, models.config
    for other, _ in per_fold.values():  # an ensemble only makes sense over folds of one run
        if other.classes != classes or other.names != names:
            raise InputError(f"{run_dir}: folds disagree on classes or regions; predict with one --fold")
    outputs = [result for _, result in per_fold.values()]
    probabilities = np.mean([r["probabilities"] for r in outputs], axis=0)
    n_frames = len(prepared["regions"][0])
    result = {
        "run": str(run_dir), "input": str(source) if not isinstance(source, np.ndarray) else "frames array",
        "n_frames": n_frames, "frames_used": min(n_frames, config.temporal.sequence_length),
        "folds": list(per_fold), "classes": classes, "regions": names,
        "probabilities": dict(zip(classes, map(float, probabilities))),
        "predicted": classes[int(np.argmax(probabilities))],
        "per_fold": {name: {"probabilities": dict(zip(classes, map(float, r["probabilities"]))),
                            "predicted": classes[int(np.argmax(r["probabilities"]))],
                            "temporal_attention": _by_region(names, r["region_weights"])}
                     for name, (_, r) in per_fold.items()},
        "spatial_attention": _spatial_summary(names, outputs),
        "temporal_attention": _by_region(names, _mean_or_none([r["region_weights"] for r in outputs])),
        "feature_change": {name: np.mean([attention.feature_change(r["features"][i]) for r in outputs],
                                         axis=0).tolist() for i, name in enumerate(names)},
        "config": {"preset": config.preset, "protocol": config.protocol, "patches": config.spatial.patches,
                   "fusion": config.fusion, "region_mode": config.region_mode,
                   "sequence_length": config.temporal.sequence_length},
        "face_box": np.asarray(prepared["face_box"]).tolist(),
        "face_canvas": prepared["face"][0],
    }
    if result["temporal_attention"]:
        result["top_region"] = attention.top_region(result["temporal_attention"])
    return result


def _mean_or_none(arrays):
    return None if any(a is None for a in arrays) else np.mean(arrays, axis=0)


def _by_region(names, weights):
    return None if weights is None else dict(zip(names, map(float, weights)))


def _spatial_summary(names, outputs):
    """Per input: patch weights per frame (T, m) and their mean over frames (m,), averaged over folds."""
    summary = {}
    for i, name in enumerate(names):
        per_frame = _mean_or_none([r["patch_weights"][i] for r in outputs])
        if per_frame is None:
            return None
        summary[name] = {"mean": per_frame.mean(axis=0).tolist(), "per_frame": per_frame.tolist()}
    return summary


# --- the report -----------------------------------------------------------------------------

def write_report(result, out):
    """prediction.json, prediction.md and the attention figures of a :func:`predict` result; returns paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    plain = {key: value for key, value in result.items() if key != "face_canvas"}
    paths = {"json": out / "prediction.json", "markdown": out / "prediction.md"}
    paths["json"].write_text(json.dumps(plain, indent=2))
    figures = attention_figures(result, out)
    paths.update(figures)
    paths["markdown"].write_text(report_markdown(result, {k: Path(v).name for k, v in figures.items()}))
    return paths


def attention_figures(result, out):
    """The figures of one prediction: patch heat map, patch weights per frame, region weights, feature change."""
    from micro_expr import plots

    out = Path(out)
    boxes = attention.input_boxes(result["regions"])
    title = f"{Path(result['input']).name}: predicted {result['predicted']}"
    figures = {}
    if result["spatial_attention"]:
        weights = [result["spatial_attention"][name]["mean"] for name in result["regions"]]
        figures["patch_attention"] = plots.plot_patch_attention(
            result["face_canvas"], boxes, weights, out / "patch_attention.png", title=f"{title}: spatial SE")
        per_frame = [result["spatial_attention"][name]["per_frame"] for name in result["regions"]]
        figures["patch_attention_frames"] = plots.plot_patch_attention_frames(
            result["regions"], per_frame, out / "patch_attention_frames.png")
    if result["temporal_attention"]:
        per_fold = [f["temporal_attention"] for f in result["per_fold"].values()]
        figures["region_attention"] = plots.plot_region_weights(
            result["regions"], [result["temporal_attention"][n] for n in result["regions"]],
            out / "region_attention.png", per_fold=[[w[n] for n in result["regions"]] for w in per_fold],
            title=f"{title}: temporal SE")
    figures["feature_change"] = plots.plot_feature_change(
        result["feature_change"], out / "feature_change.png", frames_used=result["frames_used"])
    return figures


def report_markdown(result, figures):
    """A short Markdown report of one prediction."""
    lines = [f"# Prediction: {result['predicted']}", "",
             f"- input: `{result['input']}` ({result['n_frames']} frames, {result['frames_used']} used by the "
             f"temporal model)",
             f"- run: `{result['run']}`; folds: {', '.join(result['folds'])}"
             + (" (probabilities averaged)" if len(result["folds"]) > 1 else ""),
             f"- model: preset {result['config']['preset']}, {result['config']['protocol']}, "
             f"m = {result['config']['patches']}, fusion {result['config']['fusion']}", "",
             "| class | probability |", "|---|---|"]
    lines += [f"| {name} | {p:.3f} |" for name, p in result["probabilities"].items()]
    if result["temporal_attention"]:
        lines += ["", "Temporal SE weight per region (STFF Eq. 7; mean over the region's 64 LSTM units):", "",
                  "| region | weight |", "|---|---|"]
        lines += [f"| {name} | {w:.3f} |" for name, w in result["temporal_attention"].items()]
        lines += ["", f"Top region: **{result['top_region']}**."]
    lines += [""] + [f"![{name}]({file})" for name, file in figures.items()]
    lines += ["", "SE weights show what the trained models rely on; they are not a proof of what moved."]
    return "\n".join(lines) + "\n"


def class_recall(run_dir):
    """Per-class recall over the finished folds' predictions: (classes, recall, support)."""
    from data_prep.labels import protocol_classes

    run = read_run(run_dir)
    classes = list(protocol_classes(run["config"]["protocol"]))
    predictions = []
    for fold in finished_folds(run_dir):
        predictions += json.loads((fold_folder(run_dir, fold) / "predictions.json").read_text())
    if not predictions:
        raise InputError(f"{run_dir}: no finished fold with predictions.json")
    support = np.bincount([p["label"] for p in predictions], minlength=len(classes))
    hits = np.bincount([p["label"] for p in predictions if p["label"] == p["predicted"]], minlength=len(classes))
    recall = np.divide(hits, support, out=np.zeros(len(classes)), where=support > 0)
    return classes, recall.tolist(), support.tolist()
