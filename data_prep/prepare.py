"""Frames -> face -> six regions, for every sample of a dataset, into the HDF5 cache."""
import logging
import time
from dataclasses import dataclass, field

import numpy as np

from data_prep.cache import PartStore, cached_keys, merge
from data_prep.errors import FrameError, InputError
from data_prep.face import contain_resize, crop_box, detect_landmarks, face_box
from data_prep.regions import cut_regions
from data_prep.samples import Failure

log = logging.getLogger(__name__)


def read_frame(path):
    """An RGB uint8 frame; FrameError naming the file when it is missing or cannot be decoded."""
    import cv2

    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        reason = "file does not exist" if not path.exists() else "cannot be decoded as an image"
        raise FrameError(f"{path}: {reason}")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def face_canvas(frame, box, config, source):
    """Crop the face box and contain-resize it onto the canvas (spec section 1)."""
    return contain_resize(crop_box(frame, box, source), config.canvas_width, config.canvas_height)


def prepare_sample(sample, config):
    """Arrays of one sample: six region stacks, optional face stack, landmarks and face box.

    Landmarks come from the first frame (reused for every frame, as the
    original cropper did) or from every frame (``config.landmarks == "every"``).
    """
    if not sample.frames:
        raise FrameError(f"{sample.folder}: no frames selected")
    return prepare_frames(((str(path), read_frame(path)) for path in sample.frames), config)


def prepare_frames(named_frames, config):
    """:func:`prepare_sample` on decoded frames: ``named_frames`` yields (name for messages, RGB uint8 frame).

    ``mer predict`` prepares videos and arrays this way, with no image files in between.
    """
    regions = [[] for _ in range(6)]
    faces, all_landmarks, boxes = [], [], []
    sizes = config.sizes()
    landmarks = box = None
    for index, (name, frame) in enumerate(named_frames):
        if index == 0 or config.landmarks == "every":
            landmarks = detect_landmarks(frame, config.upsample, source=name)
            box = face_box(landmarks)
            all_landmarks.append(landmarks)
            boxes.append(box)
        canvas = face_canvas(frame, box, config, name)
        for stack, region in zip(regions, cut_regions(canvas, sizes)):
            stack.append(region)
        if config.store_face:
            faces.append(canvas)
    if not boxes:
        raise FrameError("no frames to prepare")
    every = config.landmarks == "every"
    return {
        "regions": [np.stack(stack) for stack in regions],
        "face": np.stack(faces) if faces else None,
        "landmarks": np.stack(all_landmarks) if every else all_landmarks[0],
        "face_box": np.array(boxes if every else boxes[0], dtype=np.int32),
    }


def _work(job):
    """Prepare one sample into its part file (runs in a worker process when --workers > 1)."""
    sample, config, parts = job
    try:
        parts.write(sample, prepare_sample(sample, config))
        return sample.key, sample.n_frames, None
    except InputError as error:
        return sample.key, sample.n_frames, str(error)


@dataclass
class PrepareSummary:
    samples_total: int = 0
    already_cached: int = 0
    prepared: int = 0
    frames: int = 0
    seconds: float = 0.0
    failures: list = field(default_factory=list)

    @property
    def frames_per_second(self):
        return self.frames / self.seconds if self.seconds > 0 else 0.0

    def report(self):
        lines = [f"samples: {self.samples_total} ({self.already_cached} already cached, "
                 f"{self.prepared} prepared now, {len(self.failures)} failed)",
                 f"frames: {self.frames} in {self.seconds:.1f} s ({self.frames_per_second:.1f} frames/s)"]
        lines += [f"FAILED {f.key}: {f.message}" for f in self.failures]
        return "\n".join(lines)


def prepare_samples(samples, out, config, read_failures=(), workers=1, strict=False, progress=True):
    """Prepare every sample not yet in ``out`` and merge them into the cache.

    ``read_failures`` are the readers' failures (missing folders, frames); they
    are listed with the others. With ``strict`` the first failure raises.
    Returns a ``PrepareSummary``.
    """
    from tqdm import tqdm

    if strict and read_failures:
        raise InputError(read_failures[0].message)
    summary = PrepareSummary(samples_total=len(samples) + len(read_failures), failures=list(read_failures))
    done = cached_keys(out, config)
    parts = PartStore(out, config).open()
    todo = [s for s in samples if s.key not in done and not parts.has(s.key)]
    summary.already_cached = len(samples) - len(todo)
    start = time.perf_counter()
    jobs = [(sample, config, parts) for sample in todo]
    bar = tqdm(total=sum(s.n_frames for s in todo), unit="frame", desc="prepare", disable=not progress)
    try:
        for key, n_frames, error in _run(jobs, workers):
            bar.update(n_frames)
            if error is None:
                summary.prepared += 1
                summary.frames += n_frames
                continue
            summary.failures.append(Failure(key, error))
            bar.write(f"FAILED {key}: {error}")
            if strict:
                raise InputError(error)
    finally:
        bar.close()
        summary.seconds = time.perf_counter() - start
    if todo or read_failures or not done or parts.keys():
        merge(out, parts, summary.failures)
    else:
        parts.remove()
    return summary


def _run(jobs, workers):
    if workers <= 1 or len(jobs) <= 1:
        yield from map(_work, jobs)
        return
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        yield from pool.imap_unordered(_work, jobs)
