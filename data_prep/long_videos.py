"""Readers of the long-video datasets MEAN spots in (CAS(ME)^2, SAMM-LV) and of SMIC-E, several MEs per video.

A :class:`LongVideo` is a whole recording: its frame files, in order, and every
micro-expression coded in it (onset, apex, offset as frame numbers, the
emotion and its MEGC class). Spotting runs over all frames (MEAN section 3.4).

Layouts (as distributed, and as the MEAN authors' code read them):

- CAS(ME)^2: ``<root>/rawpic/s15/15_0101disgustingteeth/img1.jpg`` and
  ``code_final.xlsx``: sheet 1 the expressions without a header (subject number,
  video name such as ``disgustingteeth_1``, onset, apex, offset, AUs, emotion,
  type, self-report), sheet 2 subject number -> subject folder (``s15``), sheet 3
  video code (``0101``) -> video name (``disgustingteeth``). The video folder is
  the one whose name after the first ``_`` starts with the code.
- SAMM-LV: ``<root>/SAMM_longvideos/006_1/006_1_0001.jpg`` and
  ``SAMM_LongVideos_V2_Release.xlsx`` (10 rows before the data; Subject,
  Filename ``006_1_2``, Inducement Code, Onset, Apex, Offset, Duration, Type
  (``Micro - 1/2`` or ``Macro``), Action Units, Notes). It has no emotions: they
  come from the SAMM coding sheet (``Estimated Emotion`` by Filename), as the
  authors merged them.
- SMIC-E (HS, VIS, NIR): ``<root>/HS_long/SMIC-HS-E/HS/s01/s1_ne_01/image559700.jpg``
  and ``<root>/HS_long/SMIC-HS-E_annotation.xlsx`` (Subject, Filename, OnsetF,
  OffsetF, Emotion, FirstF; frame numbers of the recording), one ME per video.
- CASME II whole clips (``read_casme2_clips``): ``<root>/subNN/<Filename>/img46.jpg`` and the CASME II
  coding sheet, one ME per clip, every frame file: MEAN's own preparation of CASME II from the frames
  (the authors read CASME2-RAW whole clips, load_images.py:46-60).

Bad rows: an onset after its offset, or after the video's last frame, is refused naming the sheet
row; an ME reaching outside the frame files is cut to them with a warning, and missing frame numbers
inside a video are warned about.

Which MEs count (the authors' code, load_label): micro-expressions only
(CAS(ME)^2 type ``micro-expression``, SAMM-LV ``Micro - 1/2``); an offset of 0
means "use the apex"; SAMM-LV rows with onset 0 are left out. A video is kept
when it has at least one such ME with an emotion of the evaluated set (every
emotion of the sheet but MEGC-unknown words such as ``others`` still count for
spotting; recognition uses the MEGC classes only).

Subject-to-fold mapping of the published MEAN checkpoints (``fold_subjects``):
fold ``s<i>`` is the i-th subject, in natural sort order of the subject folder
names, among the subjects with at least one kept video. How we know: the
authors' code lists subject folders with ``natsort.natsorted``, drops
subjects without a kept video, and numbers the LOSO folds in that order
(``subject_count``); the counts agree with the published files: CAS(ME)^2 14
spot_recog files (9 recog, for the 9 subjects with negative/positive/surprise
MEs, paper MEAN Table 1), SAMM-LV 29 (28 recog), SMIC-E-HS 16, VIS 8, NIR 8.
"""
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from data_prep.datasets import frame_files
from data_prep.errors import InputError
from data_prep.labels import megc_class
from data_prep.samples import Failure

log = logging.getLogger(__name__)
FPS = {"casme_sq": 30.0, "sammlv": 200.0, "smic_hs": 100.0, "smic_vis": 25.0, "smic_nir": 25.0, "casme2": 200.0}
SMIC_MODALITIES = ("HS", "VIS", "NIR")
# Published weight folder -> (reader dataset name, how to call it)
WEIGHT_SETS = {"CASME_sq": "casme_sq", "SAMMLV": "sammlv", "SMIC_HS": "smic_hs", "SMIC_VIS": "smic_vis",
               "SMIC_NIR": "smic_nir", "CASME2": "casme2"}
_SAMM_NEGATIVE = ("anger", "contempt", "disgust", "fear", "sadness")


@dataclass
class Expression:
    """One coded expression of a long video; frame numbers as in the file names."""

    onset: int
    apex: Optional[int]
    offset: int
    emotion: str = ""
    megc_class: Optional[str] = None    # negative / positive / surprise, None outside MEGC
    source: str = ""


@dataclass
class LongVideo:
    """A whole recording and the MEs coded in it."""

    dataset: str
    subject: str
    video: str
    folder: Path
    frame_numbers: list
    frames: list                         # frame paths, in order
    expressions: list = field(default_factory=list)
    fps: float = 30.0

    @property
    def key(self):
        return f"{self.dataset}/{self.subject}/{self.video}"

    @property
    def n_frames(self):
        return len(self.frames)

    def index(self, frame_number):
        """0-based index of a frame number (the nearest frame when it is missing)."""
        numbers = self.frame_numbers
        if frame_number in numbers:
            return numbers.index(frame_number)
        return min(range(len(numbers)), key=lambda i: abs(numbers[i] - frame_number))

    def intervals(self):
        """The MEs as (onset index, offset index) into ``frames``."""
        return [(self.index(e.onset), self.index(e.offset)) for e in self.expressions]


def natural_key(text):
    """Sort key that puts s2 before s10 (the authors' ``natsort``)."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", str(text))]


def fold_subjects(videos):
    """Subjects in the published folds' order: fold s<i> is the i-th (1-based). See the module docstring."""
    return sorted({video.subject for video in videos if video.expressions}, key=natural_key)


def _number(value, what, source):
    try:
        return int(float(value))
    except (TypeError, ValueError):
        raise InputError(f"{source}: {what} {value!r} is not a frame number") from None


def _expression(onset, apex, offset, emotion, dataset, source):
    onset, offset = _number(onset, "onset", source), _number(offset, "offset", source)
    apex = None if apex in (None, "", "/") or str(apex).strip() in ("/", "nan") else _number(apex, "apex", source)
    if offset == 0:   # the sheets write 0 when the offset is unknown: the apex ends the ME (authors' code)
        offset = apex if apex is not None else onset
    if offset < onset:
        raise InputError(f"{source}: onset {onset} is after offset {offset}; correct the row (or delete it) "
                         f"in the coding sheet")
    emotion = str(emotion or "").strip().lower()
    return Expression(onset, apex, offset, emotion, _megc(dataset, emotion), source)


def _megc(dataset, emotion):
    if dataset == "sammlv":
        return "negative" if emotion in _SAMM_NEGATIVE else megc_class("samm", emotion)
    if dataset == "casme_sq" or dataset.startswith("smic"):
        return megc_class("smic", emotion)   # already negative / positive / surprise
    return None


def _video(dataset, subject, name, folder, expressions, failures):
    try:
        numbered = frame_files(folder)
    except InputError as error:
        failures.append(Failure(f"{dataset}/{subject}/{name}", str(error)))
        return None
    numbers = [n for n, _ in numbered]
    _check_frames(folder, numbers, expressions)
    return LongVideo(dataset, subject, name, folder, numbers, [p for _, p in numbered], expressions, FPS[dataset])


def _check_frames(folder, numbers, expressions):
    """Warn (naming the folder and the sheet row) about missing frames and MEs outside the frame files."""
    missing = sorted(set(range(numbers[0], numbers[-1] + 1)) - set(numbers))
    if missing:
        shown = ", ".join(str(n) for n in missing[:5]) + (" ..." if len(missing) > 5 else "")
        log.warning("%s: %d frame%s missing between %d and %d (%s); the flow pairs (F_i, F_i+k) around them "
                    "span more time", folder, len(missing), "s" if len(missing) > 1 else "", numbers[0],
                    numbers[-1], shown)
    for expression in expressions:
        if expression.onset > numbers[-1]:
            raise InputError(f"{expression.source}: onset {expression.onset} is after the last frame "
                             f"{numbers[-1]} of {folder}; check the row or the frame files")
        if expression.offset > numbers[-1] or expression.onset < numbers[0]:
            log.warning("%s: ME %d..%d reaches outside the frames %d..%d of %s; it is cut to them",
                        expression.source, expression.onset, expression.offset, numbers[0], numbers[-1], folder)


def _sheets(path, what="coding sheet", option="--coding"):
    import pandas as pd

    if path is None:
        raise InputError(f"the {what} is needed ({option} FILE)")
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: {what} not found")
    try:
        return pd.ExcelFile(path)
    except Exception as error:   # pandas / openpyxl / zipfile raise several kinds for a non-Excel file
        raise InputError(f"{path}: cannot read it as an Excel workbook ({type(error).__name__}: {error})") from None


def read_casme_sq(root, coding):
    """CAS(ME)^2 long videos with their micro-expressions: (videos, failures)."""
    root = Path(root)
    rawpic = root / "rawpic" if (root / "rawpic").is_dir() else root
    if not rawpic.is_dir():
        raise InputError(f"{root}: CAS(ME)^2 folder does not exist")
    book = _sheets(coding, "CAS(ME)^2 coding sheet code_final.xlsx")
    if len(book.sheet_names) < 3:
        raise InputError(f"{coding}: CAS(ME)^2's code_final.xlsx has 3 sheets (the expressions, subject number "
                         f"-> folder, video code -> name); this file has {len(book.sheet_names)} "
                         f"({', '.join(map(str, book.sheet_names))})")
    codes = book.parse(book.sheet_names[0], header=None)
    subjects = book.parse(book.sheet_names[1], header=None)
    names = book.parse(book.sheet_names[2], header=None, converters={0: str})
    subject_folder = {_number(n, "subject", coding): str(s).strip() for s, n in zip(subjects[1], subjects[2])}
    video_code = {str(name).strip(): str(code).strip().zfill(4) for code, name in zip(names[0], names[1])}
    by_video = {}
    for index, row in codes.iterrows():
        source = f"{coding} row {index + 1}"
        if str(row[7]).strip().lower() != "micro-expression":
            continue
        subject = subject_folder.get(_number(row[0], "subject", source))
        code = video_code.get(str(row[1]).split("_")[0].strip())
        if subject is None or code is None:
            continue
        by_video.setdefault((_folder_name(subject), code), []).append(
            _expression(row[2], row[3], row[4], row[6], "casme_sq", source))
    videos, failures = [], []
    for (subject, code), expressions in sorted(by_video.items(), key=lambda item: natural_key(item[0])):
        matches = [p for p in (rawpic / subject).glob("*_*") if p.is_dir() and p.name.split("_", 1)[1][:4] == code]
        if not matches:
            failures.append(Failure(f"casme_sq/{subject}/{code}", f"{rawpic / subject}: no video folder *_{code}*"))
            continue
        video = _video("casme_sq", subject, matches[0].name, matches[0], expressions, failures)
        if video:
            videos.append(video)
    return videos, failures


def _folder_name(subject):
    """'s15', '15' or 15 -> 's15' (CAS(ME)^2 subject folders)."""
    digits = re.sub(r"\D", "", str(subject))
    return f"s{int(digits)}" if digits else str(subject)


def read_sammlv(root, coding, samm_coding):
    """SAMM long videos with their micro-expressions; emotions from the SAMM coding sheet: (videos, failures)."""
    from data_prep.coding_sheets import read_coding_sheet

    root = Path(root)
    folder = root / "SAMM_longvideos" if (root / "SAMM_longvideos").is_dir() else root
    if not folder.is_dir():
        raise InputError(f"{root}: SAMM-LV folder does not exist")
    emotions = {str(row["sample"]).strip(): row["emotion"] for row in read_coding_sheet(samm_coding, "samm")[0]}
    book = _sheets(coding, "SAMM-LV coding sheet SAMM_LongVideos_V2_Release.xlsx")
    table = book.parse(book.sheet_names[0], header=None, skiprows=list(range(10)))
    by_video = {}
    for index, row in table.iterrows():
        source = f"{coding} row {index + 11}"
        filename = str(row[1]).strip()
        if not str(row[7]).strip().lower().startswith("micro") or filename not in emotions:
            continue
        if _number(row[3], "onset", source) == 0 and _number(row[5], "offset", source) != 0:
            continue   # onset 0: the extremely long samples the authors left out
        video = "_".join(filename.split("_")[:2])
        by_video.setdefault(video, []).append(_expression(row[3], row[4], row[5], emotions[filename], "sammlv",
                                                          source))
    videos, failures = [], []
    for name in sorted(by_video, key=natural_key):
        video = _video("sammlv", name.split("_")[0], name, folder / name, by_video[name], failures)
        if video:
            videos.append(video)
    return videos, failures


def read_smic_e(root, modality="HS"):
    """SMIC-E (``HS``, ``VIS`` or ``NIR``) videos with their one ME each: (videos, failures)."""
    modality = modality.upper()
    if modality not in SMIC_MODALITIES:
        raise InputError(f"unknown SMIC-E modality {modality!r}; choose one of {SMIC_MODALITIES}")
    root = Path(root)
    base = root / f"{modality}_long"
    sheet = base / f"SMIC-{modality}-E_annotation.xlsx"
    folder = base / f"SMIC-{modality}-E" / modality
    if not folder.is_dir():
        raise InputError(f"{root}: SMIC-E {modality} folder {folder} does not exist")
    if not sheet.is_file():
        raise InputError(f"{sheet}: SMIC-E annotation not found")
    book = _sheets(sheet, f"SMIC-E {modality} annotation")
    table = book.parse(book.sheet_names[0])
    dataset = f"smic_{modality.lower()}"
    videos, failures = [], []
    for index, row in table.iterrows():
        filename = str(row.get("Filename", "")).strip()
        if not re.fullmatch(r"s\d+_\w+_\d+", filename):
            continue   # the notes below the table
        source = f"{sheet} row {index + 2}"
        subject = f"s{int(filename.split('_')[0][1:]):02d}"
        expression = _expression(row["OnsetF"], None, row["OffsetF"], row["Emotion"], dataset, source)
        video = _video(dataset, subject, filename, folder / subject / filename, [expression], failures)
        if video:
            videos.append(video)
    videos.sort(key=lambda v: (natural_key(v.subject), natural_key(v.video)))
    return videos, failures


def read_casme2_clips(root, coding):
    """CASME II whole clips (``<root>/subNN/<Filename>/``, every frame file), one ME each: (videos, failures).

    The MEAN authors read the CASME2-RAW clips whole (load_images.py:46-60) and spotted in each; read
    this way, MEAN cuts the faces from the frame files itself (``micro_expr.mean.long_video.video_faces``),
    so the ``original`` preset gets the authors' detector crop exactly, which the region cache, holding
    only the landmark box, cannot give back. Every sheet row is kept; MEAN's sample selection (5 emotions,
    exclusions) is applied by ``micro_expr.mean.long_video.select_videos``.
    """
    from data_prep.datasets import read_casme2

    samples, failures = read_casme2(root, coding, frames="all")
    videos = []
    for sample in samples:
        expression = Expression(sample.onset, sample.apex, sample.offset, (sample.emotion or "").strip().lower(),
                                sample.megc_class, sample.source)
        _check_frames(sample.folder, sample.frame_numbers, [expression])
        videos.append(LongVideo("casme2", sample.subject, sample.sample, sample.folder, sample.frame_numbers,
                                sample.frames, [expression], FPS["casme2"]))
    return videos, failures


def read_long_videos(dataset, root, coding=None, samm_coding=None):
    """Videos and failures of ``casme_sq``, ``sammlv``, ``smic_hs`` / ``smic_vis`` / ``smic_nir``, or
    ``casme2`` (whole short clips, ``read_casme2_clips``)."""
    if dataset == "casme2":
        if coding is None:
            raise InputError("CASME II needs its coding sheet (--coding FILE)")
        return read_casme2_clips(root, coding)
    if dataset == "casme_sq":
        return read_casme_sq(root, coding)
    if dataset == "sammlv":
        if samm_coding is None:
            raise InputError("SAMM-LV needs the SAMM coding sheet for the emotions (--samm-coding FILE)")
        return read_sammlv(root, coding, samm_coding)
    if dataset.startswith("smic_"):
        return read_smic_e(root, dataset.split("_", 1)[1])
    raise InputError(f"unknown long-video dataset {dataset!r}; choose one of {sorted(FPS)}")
