"""Frames -> face -> six regions, for every sample of a dataset, into the HDF5 cache."""
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from data_prep.cache import PartStore, cache_problems, merge
from data_prep.errors import FrameError, InputError
from data_prep.face import crop_box, detect_landmarks, face_box, face_to_canvas
from data_prep.frames import check_face_stays, read_frame
from data_prep.lock import FileLock, flock
from data_prep.output import check_output_file, is_write_error, output_error
from data_prep.regions import cut_regions
from data_prep.samples import Failure

log = logging.getLogger(__name__)


def face_canvas(frame, box, config, source):
    """Crop the face box and put it on the canvas (``config.face_crop``, ``config.canvas``; spec section 1)."""
    face = crop_box(frame, box, source, mode=config.face_crop)
    return face_to_canvas(face, config.canvas, config.canvas_width, config.canvas_height)


def prepare_sample(sample, config):
    """Arrays of one sample: six region stacks, optional face stack, landmarks and face box.

    Landmarks come from the first frame (reused for every frame, as the
    original cropper did) or from every frame (``config.landmarks == "every"``).
    With first-frame landmarks the last frame is checked for a face that left
    the box; what is found is added to ``sample.warnings`` (and returned under
    "warnings").
    """
    if not sample.frames:
        raise FrameError(f"{sample.folder}: no frames selected")
    prepared = prepare_frames(((str(path), read_frame(path)) for path in sample.frames), config)
    sample.warnings.extend(prepared["warnings"])
    return {**prepared, "warnings": list(sample.warnings)}


def prepare_frames(named_frames, config):
    """:func:`prepare_sample` on decoded frames: ``named_frames`` yields (name for messages, RGB uint8 frame).

    ``mer predict`` prepares videos and arrays this way, with no image files in between. With
    first-frame landmarks the last frame is checked for a face that left the box (``"warnings"``).
    """
    regions = [[] for _ in range(6)]
    faces, all_landmarks, boxes, names = [], [], [], []
    sizes = config.sizes()
    landmarks = box = frame = None
    for index, (name, frame) in enumerate(named_frames):
        names.append(name)
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
    warnings = []
    if not every and len(names) > 1:
        problem = check_face_stays(frame, boxes[0], config.upsample)   # frame: the last one
        if problem:
            warnings.append(f"{names[-1]}: {problem}; the landmarks of {Path(names[0]).name} "
                            f"were used for every frame")
    return {
        "warnings": warnings,
        "regions": [np.stack(stack) for stack in regions],
        "face": np.stack(faces) if faces else None,
        "landmarks": np.stack(all_landmarks) if every else all_landmarks[0],
        "face_box": np.array(boxes if every else boxes[0], dtype=np.int32),
    }


def _work(job):
    """Prepare one sample into its part file (runs in a worker process when --workers > 1).

    Returns (key, frames, error or None, warnings); with ``strict`` a warning is an error.
    """
    sample, config, parts, strict = job
    try:
        arrays = prepare_sample(sample, config)
        if strict and arrays["warnings"]:
            raise InputError(arrays["warnings"][0] + " (--strict)")
        parts.write(sample, arrays)
        return sample.key, sample.n_frames, None, arrays["warnings"]
    except InputError as error:
        return sample.key, sample.n_frames, str(error), []


@dataclass
class PrepareSummary:
    samples_total: int = 0
    already_cached: int = 0
    prepared: int = 0
    frames: int = 0
    seconds: float = 0.0
    failures: list = field(default_factory=list)
    warnings: list = field(default_factory=list)   # (key, message)
    redone: list = field(default_factory=list)     # (key, why a cached sample or part was not reused)

    @property
    def frames_per_second(self):
        return self.frames / self.seconds if self.seconds > 0 else 0.0

    def report(self):
        lines = [f"samples: {self.samples_total} ({self.already_cached} already cached, "
                 f"{self.prepared} prepared now, {len(self.failures)} failed)",
                 f"frames: {self.frames} in {self.seconds:.1f} s ({self.frames_per_second:.1f} frames/s)"]
        lines += [f"re-prepared {key}: {why}" for key, why in self.redone]
        lines += [f"WARNING {key}: {message}" for key, message in self.warnings]
        lines += [f"FAILED {f.key}: {f.message}" for f in self.failures]
        return "\n".join(lines)


def prepare_samples(samples, out, config, read_failures=(), workers=1, strict=False, progress=True):
    """Prepare every sample not yet in ``out`` and merge them into the cache.

    ``read_failures`` are the readers' failures (missing folders, frames); they
    are listed with the others. With ``strict`` the first failure or warning
    raises. Only one process at a time writes a cache (``cache.h5.lock``); a
    cache that already holds every sample is only read, so it may be read-only.
    Returns a ``PrepareSummary``.
    """
    out = Path(out)
    if not samples:
        where = read_failures[0].message if read_failures else "the dataset lists no sample"
        raise InputError(f"{out}: nothing to prepare ({where}); no cache is written")
    warned = [(s.key, w) for s in samples for w in s.warnings]
    if strict and (read_failures or warned):
        raise InputError(read_failures[0].message if read_failures else f"{warned[0][1]} (--strict)")
    summary = PrepareSummary(samples_total=len(samples) + len(read_failures), failures=list(read_failures),
                             warnings=warned)
    if out.is_dir():
        raise InputError(f"{out}: is a folder; give the cache a file name (e.g. {out / 'cache.h5'})")
    problems, logged = cache_problems(out, config, samples)
    parts = PartStore(out, config)
    if (not parts.folder.exists() and all(problems.get(s.key, "absent") is None for s in samples)
            and {f.key for f in read_failures} <= logged):
        summary.already_cached = len(samples)  # complete: nothing is written (a read-only folder is fine)
        return summary
    check_output_file(out)
    flock()   # POSIX only: refused before the folder is created
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(out):
            _prepare_locked(samples, out, config, parts, summary, workers, strict, progress)
    except OSError as error:
        if is_write_error(error):
            raise output_error(error, out) from None
        raise
    return summary


def _prepare_locked(samples, out, config, parts, summary, workers, strict, progress):
    """The writing part of ``prepare_samples``, run while holding the cache's lock."""
    from tqdm import tqdm

    problems, _ = cache_problems(out, config, samples)  # again: another run may have finished meanwhile
    for leftover in out.parent.glob(f"{out.name}.*.tmp"):  # a merge killed half-way; we hold the lock
        leftover.unlink(missing_ok=True)
    parts.open()
    todo, drop = [], set()
    for sample in samples:
        cached = problems.get(sample.key, "absent")
        if cached is None:
            continue
        part = parts.problem(sample)
        if part is None:
            continue
        todo.append(sample)
        if cached != "absent":
            drop.add(sample.key)
            summary.redone.append((sample.key, f"cached copy not reused: {cached}"))
        elif part != "no part":
            summary.redone.append((sample.key, part))
    summary.already_cached = len(samples) - len(todo)
    workers = usable_workers(workers)
    start = time.perf_counter()
    jobs = [(sample, config, parts, strict) for sample in todo]
    bar = tqdm(total=sum(s.n_frames for s in todo), unit="frame", desc="prepare", disable=not progress)
    try:
        for key, n_frames, error, warnings in _run(jobs, workers):
            bar.update(n_frames)
            for warning in warnings:
                summary.warnings.append((key, warning))
                bar.write(f"WARNING {key}: {warning}")
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
    merge(out, parts, summary.failures, drop=drop)


def usable_workers(workers):
    """``workers`` capped to the CPU cores this process may use (more processes only compete)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if workers > cores:
        print(f"--workers {workers}: this machine has {cores} CPU core(s); using {cores} worker(s)", flush=True)
        return cores
    return max(1, workers)


def _run(jobs, workers):
    if workers <= 1 or len(jobs) <= 1:
        yield from map(_work, jobs)
        return
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        yield from pool.imap_unordered(_work, jobs)
