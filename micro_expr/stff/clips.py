"""A new clip for prediction: frames of a video, a folder, a list of files or an array, prepared as ``mer prepare`` does.

Frames are decoded once and prepared in memory (:func:`data_prep.prepare.prepare_frames`:
dlib landmarks on the first frame, face box, 240 x 280 face canvas, six
regions); nothing is written to disk. Every prepared clip records which frame
numbers it used, so a prediction can say so.
"""
import re
from dataclasses import replace
from pathlib import Path

import numpy as np

from data_prep.errors import InputError, NoFaceError
from data_prep.samples import MIN_FRAMES  # the same minimum as `mer prepare`

VIDEO_SUFFIXES = {".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg"}
# Without --frames, a clip of at most this many frames is read whole (a micro-expression lasts under 0.5 s:
# 100 frames at 200 fps); a longer video is refused before it is decoded, with the memory it would need.
MAX_FRAMES_WITHOUT_RANGE = 1000


def _refuse_long(label, n_frames, height, width):
    if n_frames > MAX_FRAMES_WITHOUT_RANGE:
        gigabytes = n_frames * height * width * 3 * 2 / 1e9   # the decoded frames and their face canvases
        raise InputError(f"{label}: {n_frames} frames of {width} x {height}; reading them all would take about "
                         f"{gigabytes:.1f} GB of memory. Give the frames of the clip with --frames FIRST-LAST "
                         f"(at most {MAX_FRAMES_WITHOUT_RANGE} without it)")


def parse_frame_range(text):
    """``"17-40"`` -> (17, 40); None stays None."""
    if text is None:
        return None
    match = re.fullmatch(r"\s*(\d+)\s*-\s*(\d+)\s*", str(text))
    if not match or int(match.group(1)) > int(match.group(2)):
        raise InputError(f"--frames {text!r}: expected FIRST-LAST frame numbers, e.g. 17-40")
    return int(match.group(1)), int(match.group(2))


def _in_range(number, frames):
    return frames is None or frames[0] <= number <= frames[1]


def clip_frames(source, frames=None):
    """(label, frame numbers, [(name, RGB uint8 frame), ...]) of ``source``.

    ``source``: a video file, a folder of numbered frames, a list of frame
    files, or an array (T, H, W, 3) of RGB frames. ``frames``: (first, last)
    frame numbers to keep (file numbers in a folder, 0-based indices in a video or array).
    """
    from data_prep.frames import read_frame

    if isinstance(source, np.ndarray):
        if source.ndim != 4 or source.shape[-1] != 3:
            raise InputError(f"frames array: expected shape (T, H, W, 3), got {source.shape}")
        numbers = [i for i in range(len(source)) if _in_range(i, frames)]
        return "frames array", numbers, [(f"frame {i}", source[i].astype(np.uint8)) for i in numbers]
    if isinstance(source, (list, tuple)):
        paths = [Path(p) for p in source]
        return (str(paths[0].parent) if paths else "frame list"), list(range(len(paths))), \
            [(str(p), read_frame(p)) for p in paths]
    path = Path(source)
    if path.is_dir():
        from data_prep.datasets import frame_files

        numbered = [(n, p) for n, p in frame_files(path) if _in_range(n, frames)]
        if numbered and frames is None:
            height, width = read_frame(numbered[0][1]).shape[:2]
            _refuse_long(str(path), len(numbered), height, width)
        return str(path), [n for n, _ in numbered], [(str(p), read_frame(p)) for _, p in numbered]
    if not path.exists():
        raise InputError(f"{path}: no such video file or frame folder")
    if path.suffix.lower() not in VIDEO_SUFFIXES:
        raise InputError(f"{path}: not a frame folder or a video ({', '.join(sorted(VIDEO_SUFFIXES))})")
    from data_prep.pyfeat_media import iter_video_frames

    if frames is None:
        import cv2

        capture = cv2.VideoCapture(str(path))
        counted = [int(capture.get(p)) for p in (cv2.CAP_PROP_FRAME_COUNT, cv2.CAP_PROP_FRAME_HEIGHT,
                                                 cv2.CAP_PROP_FRAME_WIDTH)] if capture.isOpened() else [0, 0, 0]
        capture.release()
        _refuse_long(str(path), *counted)
    numbers, named = [], []   # decoded one by one: frames before the range are dropped, none after it is read
    for index, frame in enumerate(iter_video_frames(path)):
        if frames is not None and index > frames[1]:
            break
        if _in_range(index, frames):
            numbers.append(index)
            named.append((f"{path} frame {index}", frame))
    return str(path), numbers, named


def prepare_clip(source, prep_config, frames=None, progress=False):
    """Regions and face canvases of a clip, prepared as ``mer prepare`` does (``progress``: a bar over frames).

    Returns the dict of :func:`data_prep.prepare.prepare_frames` plus
    ``label`` (what the clip is) and ``frame_numbers`` (the frames used).
    """
    from tqdm import tqdm

    from data_prep.datasets import gap_warning
    from data_prep.prepare import prepare_frames

    label, numbers, named = clip_frames(source, frames)
    if len(named) < MIN_FRAMES:
        raise InputError(f"{label}: {len(named)} frame(s)"
                         + (f" in {frames[0]}-{frames[1]}" if frames else "")
                         + f"; a clip needs at least {MIN_FRAMES} frames")
    prep_config = replace(prep_config, store_face=True)  # the face canvas is drawn under the attention maps
    try:
        prepared = prepare_frames(tqdm(named, desc="frames", unit="frame", disable=not progress,
                                       dynamic_ncols=True), prep_config)
    except NoFaceError as error:
        raise NoFaceError(f"{label}: no face found on the first frame by dlib's HOG detector ({error})") from error
    warnings = list(prepared.get("warnings", []))
    gaps = gap_warning(label, numbers)   # the models would see the frames around a gap as consecutive
    if gaps:
        warnings.append(gaps)
    return {**prepared, "label": label, "frame_numbers": numbers, "warnings": warnings}


def model_inputs(prepared, config):
    """The spatial inputs of an STFF ``config``: the regions it uses in order, or the whole face canvas."""
    if config.region_mode == "whole_face":
        return [prepared["face"]]
    return [prepared["regions"][r] for r in config.regions]


def cached_frame_range(cache_path, folder, run=None):
    """(first, last) frame numbers the cache holds for the clip in ``folder``, or None when it is not cached.

    A clip of the training dataset is then predicted on the frames the folds were
    evaluated on (onset..offset), not on the whole folder. ``run`` (its run.json): the cache must still hold
    the data the run was trained on (its ``cache_fingerprint``), else an InputError names both.
    """
    from data_prep.cache import RegionCache

    folder = Path(folder)
    if not Path(cache_path).is_file() or not folder.is_dir():
        return None
    with RegionCache(cache_path) as cache:
        wanted = (run or {}).get("cache_fingerprint")
        found = cache.fingerprint(run["items"]) if wanted else None
        if found != wanted:
            raise InputError(f"{cache_path}: holds other data than the run was trained on (content {found[:12]}, "
                             f"the run's {wanted[:12]}); give --frames, or restore the run's cache")
        for info in cache.samples:
            if (info.subject, info.sample) == (folder.parent.name, folder.name) and info.frame_numbers:
                return info.frame_numbers[0], info.frame_numbers[-1]
    return None
