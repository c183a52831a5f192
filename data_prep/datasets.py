"""Readers of CASME II, SAMM and SMIC-HS as they are distributed: frames on disk plus labels.

Layouts:
- CASME II: ``<root>/sub01/EP02_01f/img46.jpg`` (RAW or RAW_selected), coding sheet.
- SAMM: ``<root>/006/006_1_2/006_05562.jpg``, coding sheet with its header on row 14.
- SMIC-HS: ``<root>/HS/s1/micro/negative/s1_ne_01/*.bmp``, labels from folder names.

Every reader returns ``(samples, failures)``: a bad row or folder becomes a
``Failure`` naming the file and the problem, so one bad sample does not stop a
dataset (the caller decides, e.g. ``mer prepare --strict``).
"""
import re
from pathlib import Path

from data_prep.coding_sheets import read_coding_sheet
from data_prep.errors import FrameError, InputError
from data_prep.labels import megc_class, unknown_emotion
from data_prep.objective_classes import objective_class
from data_prep.samples import MIN_FRAMES, Failure, Sample

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff"}
FRAME_SELECTIONS = ("onset_offset", "all")
# Frame order: by frame number, or the authors' cropper's: paths sorted as text (crop_6_ROIs.py:53, 213,
# 219), so img100 comes before img46 and a clip crossing a digit boundary is out of time order.
FRAME_ORDERS = ("numeric", "string")
DATASETS = ("casme2", "samm", "smic")
FPS = {"casme2": 200.0, "samm": 200.0, "smic": 100.0}


def frame_files(folder):
    """(number, path) of the image files of a folder, in frame order.

    The frame number is the trailing group of digits of the file name
    (``img46.jpg`` -> 46, ``006_05562.jpg`` -> 5562, ``reg_img46.jpg`` -> 46).
    """
    folder = Path(folder)
    numbered = {}
    for path in folder.iterdir():
        if path.suffix.lower() not in IMAGE_SUFFIXES:
            continue
        match = re.search(r"(\d+)$", path.stem)
        if match is None:
            raise FrameError(f"{path}: frame file name has no trailing frame number")
        number = int(match.group(1))
        if number in numbered:
            raise FrameError(f"{path}: frame number {number} also used by {numbered[number].name}")
        numbered[number] = path
    if not numbered:
        raise FrameError(f"{folder}: no image frames ({', '.join(sorted(IMAGE_SUFFIXES))}) in this folder")
    return sorted(numbered.items())


def select_frames(sample, selection="onset_offset", order="numeric"):
    """Fill ``sample.frames`` from its folder: onset..offset inclusive, or all frames.

    ``order``: ``numeric`` (frame number) or ``string`` (file names sorted as text, the authors' cropper).

    Gaps in the numbering of "all" frames become a warning of the sample; a
    clip with fewer than ``MIN_FRAMES`` frames is refused.
    """
    if selection not in FRAME_SELECTIONS:
        raise ValueError(f"unknown frame selection {selection!r}; choose one of {FRAME_SELECTIONS}")
    if not sample.folder.is_dir():
        raise InputError(f"{sample.source}: folder {sample.folder} does not exist")
    numbered = frame_files(sample.folder)
    if selection == "onset_offset" and sample.onset is not None and sample.offset is not None:
        if sample.offset < sample.onset:
            raise InputError(f"{sample.source}: offset {sample.offset} is before onset {sample.onset}")
        available = dict(numbered)
        wanted = range(sample.onset, sample.offset + 1)
        missing = [n for n in wanted if n not in available]
        if missing:
            shown = ", ".join(map(str, missing[:5])) + (" ..." if len(missing) > 5 else "")
            raise FrameError(f"{sample.folder}: {len(missing)} frame(s) between onset {sample.onset} and "
                             f"offset {sample.offset} are missing (numbers {shown})")
        numbered = [(n, available[n]) for n in wanted]
        sample.frame_selection = "onset_offset"
    else:
        sample.frame_selection = "all"
        gaps = gap_warning(sample.folder, [n for n, _ in numbered])
        if gaps:
            sample.warnings.append(gaps)
    if len(numbered) < MIN_FRAMES:
        raise FrameError(f"{sample.folder}: {len(numbered)} frame(s) selected; a clip needs at least {MIN_FRAMES}")
    if order == "string":
        numbered = sorted(numbered, key=lambda item: item[1].name)
    elif order != "numeric":
        raise ValueError(f"unknown frame order {order!r}; choose one of {FRAME_ORDERS}")
    sample.frame_numbers = [n for n, _ in numbered]
    sample.frames = [p for _, p in numbered]
    return sample


def numbering_gaps(numbers):
    """[(first, last)] of the missing numbers between sorted frame numbers."""
    return [(a + 1, b - 1) for a, b in zip(numbers, numbers[1:]) if b - a > 1]


def gap_warning(where, numbers):
    """The warning for gaps in the frame ``numbers`` of ``where`` (``mer prepare``, ``mer predict``), or None."""
    gaps = numbering_gaps(numbers)
    if not gaps:
        return None
    shown = ", ".join(f"{a}-{b}" if a != b else str(a) for a, b in gaps[:5]) + (" ..." if len(gaps) > 5 else "")
    return f"{where}: frame numbers have gaps (missing {shown}); the frames around them are used as if consecutive"


def _from_sheet(dataset, root, coding, subject_folder, selection, order="numeric"):
    root = Path(root)
    if not root.is_dir():
        raise InputError(f"{root}: dataset root folder does not exist")
    rows, has_objective = read_coding_sheet(coding, dataset)
    samples, failures = [], []
    first_row = {}  # key -> sheet row that defined it, to report duplicates
    for row in rows:
        where = f"{coding} row {row['row']}"
        try:
            subject = subject_folder(row["subject"])
        except InputError as error:
            failures.append(Failure(f"{dataset}/?/{row['sample']}", f"{where}: {error}"))
            continue
        key = f"{dataset}/{subject}/{row['sample']}"
        if key in first_row:
            failures.append(Failure(key, f"{where}: duplicate of row {first_row[key]} (same subject and "
                                         f"Filename); only row {first_row[key]} is used"))
            continue
        first_row[key] = row["row"]
        sample = Sample(
            dataset=dataset, subject=subject, sample=row["sample"],
            folder=root / subject / row["sample"],
            onset=row["onset"], apex=row["apex"], offset=row["offset"],
            action_units=row["action_units"], emotion=row["emotion"],
            objective_class=row["objective_class"] if has_objective else objective_class(row["action_units"]),
            objective_source="column" if has_objective else "au_rules",
            megc_class=megc_class(dataset, row["emotion"]), fps=FPS[dataset],
            source=where)
        suspicious = unknown_emotion(dataset, row["emotion"])
        if suspicious:
            sample.warnings.append(f"{where}, {suspicious}")
        _try_select(sample, selection, samples, failures, order)
    return samples, failures


def _try_select(sample, selection, samples, failures, order="numeric"):
    try:
        samples.append(select_frames(sample, selection, order))
    except InputError as error:
        failures.append(Failure(sample.key, str(error)))


def _subject_number(value):
    try:
        return int(str(value).strip().lower().removeprefix("sub"))
    except ValueError:
        raise InputError(f"Subject {value!r} is not a subject number (e.g. 1 or sub01)") from None


def read_casme2(root, coding, frames="onset_offset", order="numeric"):
    """CASME II samples: ``<root>/subNN/<Filename>/`` with the coding sheet's labels."""
    return _from_sheet("casme2", root, coding, lambda s: f"sub{_subject_number(s):02d}", frames, order)


def read_samm(root, coding, frames="onset_offset", order="numeric"):
    """SAMM samples: ``<root>/<NNN>/<Filename>/`` with the coding sheet's labels."""
    return _from_sheet("samm", root, coding, lambda s: f"{_subject_number(s):03d}", frames, order)


def read_smic(root, frames="all", order="numeric"):
    """SMIC-HS samples from ``<root>/HS/sN/micro/<class>/<sample>/`` (or ``<root>`` = the HS folder).

    SMIC has no coding sheet and no onset/offset: the class is the folder name
    and every frame of the folder is used.
    """
    root = Path(root)
    hs = root / "HS" if (root / "HS").is_dir() else root
    if not hs.is_dir():
        raise InputError(f"{root}: SMIC root folder does not exist")
    subjects = sorted((p for p in hs.iterdir() if p.is_dir() and re.fullmatch(r"s\d+", p.name)),
                      key=lambda p: int(p.name[1:]))
    if not subjects:
        raise InputError(f"{hs}: no subject folders s1, s2, ... (expected <root>/HS/s1/micro/negative/...)")
    samples, failures = [], []
    for subject in subjects:
        micro = subject / "micro"
        if not micro.is_dir():
            failures.append(Failure(f"smic/{subject.name}", f"{micro}: folder does not exist"))
            continue
        for class_dir in sorted(p for p in micro.iterdir() if p.is_dir()):
            label = megc_class("smic", class_dir.name)
            if label is None:
                failures.append(Failure(f"smic/{subject.name}/{class_dir.name}",
                                        f"{class_dir}: unknown SMIC class folder (negative, positive, surprise)"))
                continue
            for folder in sorted(p for p in class_dir.iterdir() if p.is_dir()):
                sample = Sample(dataset="smic", subject=subject.name, sample=folder.name, folder=folder,
                                emotion=class_dir.name, megc_class=label, fps=FPS["smic"], source=str(folder))
                _try_select(sample, "all" if frames == "onset_offset" else frames, samples, failures, order)
    return samples, failures


def read_dataset(dataset, root, coding=None, frames="onset_offset", order="numeric"):
    """Samples and failures of one dataset (``casme2``, ``samm`` or ``smic``); ``order``: see :func:`select_frames`."""
    if dataset == "smic":
        return read_smic(root, frames, order)
    if dataset not in DATASETS:
        raise InputError(f"unknown dataset {dataset!r}; choose one of {DATASETS}")
    if coding is None:
        raise InputError(f"{dataset} needs its coding sheet (--coding FILE)")
    reader = read_casme2 if dataset == "casme2" else read_samm
    return reader(root, coding, frames, order)
