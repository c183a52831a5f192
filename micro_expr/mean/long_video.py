"""MEAN over whole long videos (section 3.4, "ME spotting" on CAS(ME)^2 and SAMM-LV): a sliding window of
frame pairs (F_i, F_{i+k}) over every frame, all peaks above the threshold T (MEAN Eq. 12), several MEs per video.

Videos come from ``data_prep.long_videos`` (frame files on disk). Frames are
read one at a time and cut to the 128 x 128 face at once, so a SAMM-LV video
of thousands of 2040 x 1088 frames needs only its small faces in memory.
``evaluate_published`` runs the authors' per-fold checkpoints: fold s<i> on
the i-th subject of ``data_prep.long_videos.fold_subjects``.

Through the common runner (run folder, resume, ``--folds``, results.json):
a :class:`LongVideoSet` stands where a region cache path would, e.g.
``run_protocol(MEAN.from_preset("original", weights=W), LongVideoSet("casme_sq", R, C), out)``
or ``mer train --system mean --protocol long-video --datasets casme_sq --root R --coding C``.
"""
import logging
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from micro_expr.mean import features as feat
from micro_expr.mean import metrics, pipeline, spotting

log = logging.getLogger(__name__)


def _read_rgb(path):
    import cv2

    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        from data_prep.errors import FrameError

        raise FrameError(f"{path}: cannot read this frame")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def video_faces(video, config):
    """The 128 x 128 faces of every frame of ``video`` and the landmarks on them (``config.face_crop``).

    The face box is found on the first frame and kept for the whole video, as the authors' code did.
    """
    from data_prep.face import crop_box, detect_landmarks, face_box

    first = _read_rgb(video.frames[0])
    if config.face_crop == "detector":
        box = feat.detector_box(first, source=str(video.frames[0]))
        faces = [feat.detector_crop(_read_rgb(path)[None], box)[0][0] for path in video.frames]
        return np.stack(faces), feat.detector_crop(first[None], box)[1]
    landmarks = detect_landmarks(first, source=str(video.frames[0]))
    box = face_box(landmarks)
    faces = [feat.to_gray(feat._resize(crop_box(_read_rgb(path), box), (feat.FACE_SIZE,) * 2)[None])[0]
             for path in video.frames]
    return np.stack(faces), feat.landmarks_in_crop(landmarks, box)


def video_features(video, k, config, faces=None):
    """Spotting features (T - k, 42, 42, 3) of every pair (F_i, F_{i+k}) of the video."""
    feat.check_opencv(config)
    faces, landmarks = faces if faces is not None else video_faces(video, config)
    return feat.spotting_features(faces, k, landmarks, config.roi_layout, config.flow, config.strain)


SINGLE_PEAK_DATASETS = ("smic_hs", "smic_vis", "smic_nir", "casme2")   # the authors' spot_multiple = False


def spots_every_peak(dataset, config):
    """Whether a long video of ``dataset`` gets every peak above T (MEAN Eq. 12) or only its highest.

    The authors' ``recognition_label`` sets ``spot_multiple`` for CAS(ME)^2 and SAMM-LV only
    (prepare_training.py:33-36); ``spotting`` then takes ``find_peaks`` above the threshold, else the one
    highest frame (training_utils.py:36-44). SMIC-E has one ME per video. ``config.long_video_peaks="all"``:
    every peak on every long video.
    """
    return config.long_video_peaks == "all" or dataset not in SINGLE_PEAK_DATASETS


def truths_and_labels(video, num_classes=3, config=None):
    """ME intervals as indices of the spotting features, and their class indices (None outside the classes).

    SMIC-E with ``config.smic_e_index="code"``: one frame earlier than the frame files say, as the authors'
    code indexed them (onset - FirstF in load_excel.py:85-86, then onset - 1 in load_label.py:56).
    """
    classes = pipeline.class_names(num_classes)
    names = [e.emotion if num_classes == 5 else e.megc_class for e in video.expressions]   # 5: CASME II emotions
    labels = [classes.index(name) if name in classes else None for name in names]
    intervals = video.intervals()
    if config is not None and config.smic_e_index == "code" and video.dataset.startswith("smic_"):
        intervals = [(first - 1, last - 1) for first, last in intervals]
    return intervals, labels


def select_videos(videos, config):
    """The videos MEAN uses. CASME II clips (``data_prep.long_videos.read_casme2_clips``): those of the 5
    emotions (load_label.py:17, 36) and without the excluded samples of ``pipeline.select_samples``
    (``casme2_megc_excluded``, ``casme2_code_excluded``); SMIC-E with ``smic_e_index="code"``: without the
    videos whose ME starts on the first frame, which the code drops (load_label.py:55); others: all."""
    from types import SimpleNamespace

    kept = []
    for video in videos:
        if video.dataset == "casme2":
            expression = video.expressions[0]
            info = SimpleNamespace(dataset="casme2", subject=video.subject, sample=video.video,
                                   onset=expression.onset, apex=expression.apex, offset=expression.offset)
            if expression.emotion not in pipeline.CASME2_CLASSES or not pipeline.select_samples([info], config):
                continue
        if (video.dataset in SINGLE_PEAK_DATASETS and video.dataset != "casme2" and config.smic_e_index == "code"
                and any(first == 0 for first, _ in video.intervals())):
            continue   # SMIC-E, the code: onset - FirstF == 0 fails `elif(int(row['onset'])!=0)` (load_label.py:55)
        kept.append(video)
    return kept


def analyse_long_video(key, scores, probabilities, truths, labels, k_prime, config, threshold=0.5, multiple=True):
    """Spots of one long video (all peaks above T, or with ``multiple=False`` the highest: see
    ``spots_every_peak``), their matches among the truths, and the voted classes."""
    spots = spotting.spot_video(scores, k_prime, config.peak_p, multiple, config.smoothing, config.interval_end,
                                config.empty_spot, config.short_clip)
    matches = metrics.match_intervals([s["interval"] for s in spots], truths, threshold, config.hit_rule)
    for spot, match in zip(spots, matches):
        spot["true_positive"], spot["match"] = match is not None, match
        spot["predicted_class"] = pipeline.voted_class(probabilities, spot["peak"], k_prime, config)
    return {"key": key, "truths": truths, "labels": labels, "truth": truths[0] if truths else (0, 0),
            "label": labels[0] if labels else None, "spots": spots}


def evaluate_video(model, video, k, k_prime, config, num_classes=3):
    """Analysed row of one long video with a combined MEAN model."""
    scores, probabilities = pipeline.predict(model, video_features(video, k, config))
    truths, labels = truths_and_labels(video, num_classes, config)
    return analyse_long_video(video.key, scores, probabilities, truths, labels, k_prime, config,
                              multiple=spots_every_peak(video.dataset, config))


def k_prime_of(videos, config):
    """k' of the config, else (N + 1) / 2 over every ME of the videos (section 3.3)."""
    if config.k_prime is not None:
        return config.k_prime
    return spotting.half_expression_length([i for video in videos for i in video.intervals()])


def evaluate_published(folder, videos, config):
    """Run the published per-fold ``spot_recog`` files of ``folder`` on long videos: (rows, summary).

    Fold s<i> is the i-th subject of ``data_prep.long_videos.fold_subjects`` (the authors' order).
    """
    from data_prep.errors import InputError
    from data_prep.long_videos import fold_subjects
    from micro_expr.mean.published import build_model_for, fold_files, read_checkpoint, set_published_weights

    folds = fold_files(folder)
    videos = select_videos(videos, config)
    subjects = fold_subjects(videos)
    if sorted(folds) != list(range(1, len(subjects) + 1)):
        raise InputError(f"{folder}: {len(folds)} fold files for the {len(subjects)} subjects with MEs "
                         f"({', '.join(subjects[:6])}{' ...' if len(subjects) > 6 else ''})")
    k = pipeline.flow_k(config, videos[0].fps)
    k_prime = k_prime_of(videos, config)
    first = read_checkpoint(folds[1])
    model = build_model_for("spot_recog", first.num_classes)
    rows = []
    for fold, subject in enumerate(subjects, start=1):
        set_published_weights(model, read_checkpoint(folds[fold]))
        for video in (v for v in videos if v.subject == subject):
            rows.append(evaluate_video(model, video, k, k_prime, config, first.num_classes))
        log.info("fold s%d (subject %s) done", fold, subject)
    summary = {"k": k, "k_prime": k_prime, **pipeline.summarise(rows, first.num_classes, config=config)}
    return rows, summary


# --- long videos as the data of a runner run ---------------------------------------------------------


@dataclass(frozen=True)
class LongVideoSet:
    """Where a long-video dataset lies: what ``micro_expr.core.runner.run_protocol`` opens instead of a region cache.

    ``dataset``: casme_sq, sammlv, smic_hs, smic_vis or smic_nir; ``root``, ``coding``, ``samm_coding``:
    as ``data_prep.long_videos.read_long_videos`` takes them.
    """

    dataset: str
    root: str
    coding: Optional[str] = None
    samm_coding: Optional[str] = None

    def __str__(self):   # what run.json records as the run's data
        return f"{self.dataset} long videos in {self.root}"

    def open(self):
        """Read the coding sheets and list the frame files (no frame is read yet): a :class:`LongVideos`."""
        from data_prep.long_videos import read_long_videos

        videos, failures = read_long_videos(self.dataset, self.root, self.coding, self.samm_coding)
        return LongVideos(self, videos, failures)


@dataclass
class LongVideos:
    """An opened :class:`LongVideoSet`; a context manager, as the region cache the runner opens otherwise."""

    source: LongVideoSet
    videos: list
    failures: list = field(default_factory=list)
    config = None            # no preparation settings (run.json's prep_config stays empty)

    @property
    def path(self):
        return self.source.root

    def __enter__(self):
        return self

    def __exit__(self, *error):
        return False
