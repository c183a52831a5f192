"""Predict the class of a new clip with a trained run, and read out where the models looked.

A clip (video file, folder of frames, list of frame files or an array of
frames) is prepared exactly as ``mer prepare`` prepares training clips
(:mod:`micro_expr.stff.clips`), then goes through the fitted STFF of one fold or
of every finished fold of the run (:meth:`micro_expr.stff.system.STFF.load`,
``explain``):

    regions -> m patches -> spatial model (SF per frame, STFF Eq. 5; spatial SE gate, Eq. 2-4)
            -> standardise, pad to N (as in training) -> temporal model (Eq. 6-8; temporal SE gate, Eq. 7)

With several folds the class probabilities are averaged (an ensemble of the
LOSO models). Everything the models need is read from the checkpoints'
metadata and from the run folder (:class:`micro_expr.core.run_folder.RunFolder`);
nothing is guessed. The report (JSON, Markdown, figures) is written by
:mod:`micro_expr.stff.prediction_report`.

Notebook use::

    from micro_expr.stff.predict import predict
    result = predict("demo_out", "demo_out/dataset/sub01/EP01_01", fold="all")
    result["predicted"], result["probabilities"], result["temporal_attention"]
"""
from pathlib import Path

import numpy as np

from data_prep.errors import InputError
from micro_expr.stff import attention
from micro_expr.stff.clips import cached_frame_range, model_inputs, parse_frame_range, prepare_clip  # noqa: F401
from micro_expr.core.run_folder import RunFolder


def prep_config_of(run_dir, run=None):
    """How the run's training frames were prepared (:class:`data_prep.config.PrepConfig`).

    Read from run.json when it records it, else from the cache the run was
    trained on. The regions of a new clip must be cut the same way.
    """
    import json

    from data_prep.cache import RegionCache
    from data_prep.config import PrepConfig

    run = run or RunFolder(run_dir).read()
    if run.get("prep_config"):
        return PrepConfig.from_json(json.dumps(run["prep_config"]))
    cache = Path(run.get("cache", ""))
    if not cache.is_file():
        raise InputError(f"{run_dir}: cannot tell how the training frames were prepared: run.json names the "
                         f"cache {cache}, which is not there; pass prep='clean', 'original' or 'paper' "
                         f"(`mer predict --prep-preset`) to say which `mer prepare` settings were used")
    with RegionCache(cache) as opened:
        return opened.config


def _stff_class(run_dir, run):
    """The run's system class: STFF or a system built on it (the predecessor CNN-LSTM)."""
    from micro_expr.registry import system_class
    from micro_expr.stff.system import STFF

    cls = system_class(run.get("system", "stff"))
    if not issubclass(cls, STFF):
        raise InputError(f"{run_dir}: `mer predict` reads runs of STFF and its predecessor; this is a "
                         f"{run['system']} run")
    return cls


def load_fold(run_dir, fold):
    """The fitted system (STFF or its predecessor) of a run.json fold entry."""
    run = RunFolder(run_dir)
    return _stff_class(run_dir, run.read()).load(run.fold_folder(fold), shared_folder=run.shared_folder)


def _frames_to_use(run, source, frames):
    """(frames, note): the asked range, else the cached onset..offset of a clip of the training data, else all."""
    if frames is not None:
        return frames, "frames given"
    if not isinstance(source, (str, Path)):
        return None, "all frames"
    cached = cached_frame_range(run.get("cache", ""), source, run)
    if cached:
        return cached, "the frames the run was evaluated on (onset..offset in its cache)"
    return None, "all frames"


def clip_length(source):
    """(frame numbers or None, count) of a clip, read without decoding it (a video's count from its header)."""
    if isinstance(source, np.ndarray):
        return list(range(len(source))), len(source)
    if isinstance(source, (list, tuple)):
        return list(range(len(source))), len(source)
    path = Path(source)
    if path.is_dir():
        from data_prep.datasets import frame_files

        numbers = [n for n, _ in frame_files(path)]
        return numbers, len(numbers)
    if path.is_file():
        import cv2

        capture = cv2.VideoCapture(str(path))
        count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) if capture.isOpened() else 0
        capture.release()
        return (list(range(count)) if count > 0 else None), count
    return None, 0   # clip_frames names what is wrong with it


def frames_the_model_reads(source, frames, note, temporal):
    """(frames, note): a clip longer than the N frames the temporal model reads (``temporal.sequence_length``)
    is cut to those N before anything is decoded (the first N, or the last with ``temporal.truncating`` 'pre',
    as :func:`micro_expr.stff.training.pad` cuts them), so no time goes to frames the model would drop.
    A range that was given or that the run was evaluated on is kept as it is."""
    if frames is not None:
        return frames, note
    numbers, count = clip_length(source)
    n = int(temporal.get("sequence_length", 0) or 0)
    if not numbers or not n or count <= n:
        return None, f"all {count} frames" if count else note
    kept = numbers[:n] if temporal.get("truncating", "post") == "post" else numbers[-n:]
    where = "first" if temporal.get("truncating", "post") == "post" else "last"
    return (kept[0], kept[-1]), (f"the {where} {n} of {count} frames: the temporal model reads N = {n} "
                                 f"(temporal.sequence_length, temporal.truncating {temporal.get('truncating', 'post')!r});"
                                 f" --frames FIRST-LAST chooses others")


def predict(run_dir, source, fold="all", frames=None, prep=None, loaded=None, announce=None, progress=False):
    """Class probabilities and attention of a clip, from one fold or the ensemble of every finished fold.

    ``frames``: (first, last) frame numbers, or None: a clip of the run's own
    dataset is then cut to the frames evaluation used (onset..offset), any
    other clip uses every frame; the result says which (``frame_range``,
    ``frames_note``). ``prep``: None (read from the run), a :class:`PrepConfig`
    or a preset name ('original', 'paper'). ``loaded``: optional dict fold
    name -> fitted STFF to reuse models between calls. ``announce``: called
    with one line saying which frames and folds will be used, and why, before
    any frame is decoded; ``progress``: bars over frames and folds. Returns a plain dict
    (lists and numbers; the first frame's face canvas as a uint8 array under ``face_canvas``).
    """
    from tqdm import tqdm

    from data_prep.config import PRESETS as PREP_PRESETS

    run_folder = RunFolder(run_dir)
    run = run_folder.read()
    _stff_class(run_dir, run)
    chosen = run_folder.choose_folds(fold)
    prep_config = PREP_PRESETS[prep] if isinstance(prep, str) else (prep or prep_config_of(run_dir, run))
    frames, note = _frames_to_use(run, source, frames)
    frames, note = frames_the_model_reads(source, frames, note, run["config"].get("temporal", {}))
    if announce is not None:
        shown = f"frames {frames[0]}-{frames[1]}" if frames else "frames"
        announce(f"{_label(source)}: {shown} ({note}); {len(chosen)} fold(s): "
                 + ", ".join(entry["name"] for entry in chosen[:4]) + (" ..." if len(chosen) > 4 else ""))
    prepared = prepare_clip(source, prep_config, frames, progress=progress)
    prepared["frames_note"] = note
    loaded = {} if loaded is None else loaded
    per_fold = {}
    for entry in tqdm(chosen, desc="folds", unit="fold", disable=not progress, dynamic_ncols=True):
        if entry["name"] not in loaded:
            loaded[entry["name"]] = load_fold(run_dir, entry)
        system = loaded[entry["name"]]
        per_fold[entry["name"]] = (system, system.explain([model_inputs(prepared, system.config)])[0])
    return summarise(run_dir, source, prepared, per_fold)


def _label(source):
    return "frames array" if isinstance(source, np.ndarray) else str(source)


def summarise(run_dir, source, prepared, per_fold):
    """Average the folds' outputs into the plain result dict of :func:`predict`."""
    system = next(iter(per_fold.values()))[0]
    names, classes, config = system.names, system.classes_, system.config
    for other, _ in per_fold.values():  # an ensemble only makes sense over folds of one run
        if other.classes_ != classes or other.names != names:
            raise InputError(f"{run_dir}: folds disagree on classes or regions; predict with one --fold")
    outputs = [result for _, result in per_fold.values()]
    probabilities = np.mean([r["probabilities"] for r in outputs], axis=0)
    n_frames = len(prepared["regions"][0])
    result = {
        "run": str(run_dir), "input": str(source) if not isinstance(source, np.ndarray) else "frames array",
        "n_frames": n_frames, "frames_used": min(n_frames, config.temporal.sequence_length),
        "frame_range": f"{prepared['frame_numbers'][0]}-{prepared['frame_numbers'][-1]}",
        "frames_note": prepared.get("frames_note", ""),
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
        "warnings": list(prepared.get("warnings", [])),
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


def class_recall(run_dir):
    """Per-class recall over the finished folds' predictions: (classes, recall, support)."""
    from data_prep.labels import protocol_classes

    run_folder = RunFolder(run_dir)
    classes = list(protocol_classes(run_folder.read()["config"]["protocol"]))
    predictions = run_folder.predictions()
    if not predictions:
        raise InputError(f"{run_dir}: no finished fold with predictions.json")
    support = np.bincount([p["label"] for p in predictions], minlength=len(classes))
    hits = np.bincount([p["label"] for p in predictions if p["label"] == p["predicted"]], minlength=len(classes))
    recall = np.divide(hits, support, out=np.zeros(len(classes)), where=support > 0)
    return classes, recall.tolist(), support.tolist()
