"""MEAN input features (Liong et al. 2023, section 3.1): optical flow u, v and optical strain on three ROIs.

Steps, for two frames F_i and F_{i+k} of a sequence:

1. face crop: the face box of the first frame's dlib landmarks, the same box
   for every frame, resized to 128 x 128 (``crop_faces``; from the project's
   cache, ``canvas_faces`` cuts the face back out of the 240 x 280 canvas);
2. TV-L1 optical flow (u, v) between the two grey frames (Eq. 1);
3. optical strain magnitude from u and v (Eqs. 2-3);
4. each channel min-max normalised to [0, 1] (authors' code; the paper does not say);
5. three ROIs with a 12-pixel margin: left eye + eyebrow, right eye + eyebrow,
   mouth, resampled and assembled into 42 x 42 (``assemble_rois``).

Differences from the authors' code, on purpose: the face box comes from the
landmarks (``data_prep.face.face_box``, the project's cropper) instead of
dlib's detector rectangle, so the crop is tighter above the eyebrows; the
landmarks on the 128 x 128 crop are the first frame's landmarks mapped into
the crop instead of being detected again; the strain uses central
differences (``np.gradient``) instead of backward ones.

``k`` is 0.1 s of frames for spotting (section 4.3, ``flow_distance``) and
apex - onset for recognition. All functions take RGB uint8 frames (T, H, W, 3).
"""
import functools
import logging

import numpy as np

from data_prep.errors import InputError

FACE_SIZE = 128
ROI_MARGIN = 12
ROI_LAYOUTS = ("paper", "code")
FLOW_METHODS = ("tvl1", "farneback")
log = logging.getLogger(__name__)


def flow_distance(fps, seconds=0.1):
    """k = FPS x 0.1 frames, rounded half up (200 fps -> 20, 25 fps -> 3), at least 1 (section 4.3)."""
    return max(1, int(fps * seconds + 0.5))


def to_gray(frames_rgb):
    """uint8 grey frames (T, H, W) from RGB frames (T, H, W, 3)."""
    import cv2

    frames = np.asarray(frames_rgb)
    if frames.ndim == 3:
        return frames.astype(np.uint8)
    return np.stack([cv2.cvtColor(np.ascontiguousarray(f, dtype=np.uint8), cv2.COLOR_RGB2GRAY) for f in frames])


def _resize(image, size):
    import cv2

    height, width = image.shape[:2]
    shrink = width > size[0] or height > size[1]
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)


def landmarks_in_crop(landmarks, box, size=FACE_SIZE):
    """Landmarks mapped from the frame into the ``size`` x ``size`` face crop of ``box``."""
    left, top, right, bottom = box
    scale = np.array([size / max(1, right - left), size / max(1, bottom - top)])
    return (np.asarray(landmarks, dtype=np.float64) - [left, top]) * scale


def crop_faces(frames_rgb, landmarks=None, size=FACE_SIZE, source="frames"):
    """128 x 128 faces of every frame, cut with the first frame's landmark face box (section 3.1).

    Returns (faces uint8 (T, size, size, 3), landmarks on the crop (68, 2)).
    Landmarks are detected with dlib on the first frame unless given.
    """
    from data_prep.face import crop_box, detect_landmarks, face_box

    frames = np.asarray(frames_rgb)
    if frames.ndim != 4 or len(frames) < 2:
        raise InputError(f"{source}: expected at least two RGB frames (T, H, W, 3), got shape {frames.shape}")
    if landmarks is None:
        landmarks = detect_landmarks(frames[0], source=source)
    box = face_box(landmarks)
    faces = np.stack([_resize(crop_box(frame, box, source), (size, size)) for frame in frames])
    return faces, landmarks_in_crop(landmarks, box, size)


def canvas_content_box(box, width=240, height=280):
    """Where ``data_prep.face.contain_resize`` put the face of ``box`` on its canvas: (x0, y0, x1, y1)."""
    left, top, right, bottom = box
    src_w, src_h = right - left, bottom - top
    scale = min(width / src_w, height / src_h)
    new_w, new_h = max(1, round(src_w * scale)), max(1, round(src_h * scale))
    x0, y0 = (width - new_w) // 2, (height - new_h) // 2
    return x0, y0, x0 + new_w, y0 + new_h


def canvas_faces(canvas_frames, box, landmarks, size=FACE_SIZE):
    """MEAN's 128 x 128 faces from the cache's face canvases (T, 280, 240, 3).

    The cache keeps the landmark face box contain-resized onto a black canvas;
    we cut the face back out (dropping the black bars) and resize it to 128 x 128,
    so the result matches ``crop_faces`` up to one extra resampling.
    Returns (faces, landmarks on the crop).
    """
    frames = np.asarray(canvas_frames)
    x0, y0, x1, y1 = canvas_content_box(box, width=frames.shape[2], height=frames.shape[1])
    faces = np.stack([_resize(frame[y0:y1, x0:x1], (size, size)) for frame in frames])
    return faces, landmarks_in_crop(landmarks, box, size)


@functools.lru_cache(maxsize=1)
def _tvl1():
    import cv2

    create = getattr(getattr(cv2, "optflow", None), "DualTVL1OpticalFlow_create", None)
    if create is None:
        log.warning("cv2.optflow.DualTVL1OpticalFlow_create is missing (needs opencv-contrib); "
                    "using Farneback optical flow instead of TV-L1")
        return None
    return create()


def optical_flow(frame_a, frame_b, method="tvl1"):
    """Dense flow (H, W, 2) from grey frame a to grey frame b: TV-L1 (paper) or Farneback.

    TV-L1 is ``cv2.optflow.DualTVL1OpticalFlow_create`` of opencv-contrib with
    its default settings, as in the authors' code; without contrib it falls back
    to Farneback and logs a warning.
    """
    import cv2

    if method not in FLOW_METHODS:
        raise ValueError(f"unknown optical flow method {method!r}; choose one of {FLOW_METHODS}")
    tvl1 = _tvl1() if method == "tvl1" else None
    if tvl1 is not None:
        return tvl1.calc(frame_a, frame_b, None)
    return cv2.calcOpticalFlowFarneback(frame_a, frame_b, None, 0.5, 3, 15, 3, 5, 1.2, 0)


def optical_strain(u, v):
    """Optical strain magnitude |eps| = sqrt(u_x^2 + v_y^2 + 1/2 (u_y + v_x)^2) (MEAN Eqs. 2-3).

    x is the column axis and y the row axis; derivatives are central
    differences (one-sided at the border), exact for a linear flow field.
    """
    u_y, u_x = np.gradient(np.asarray(u, dtype=np.float64))
    v_y, v_x = np.gradient(np.asarray(v, dtype=np.float64))
    return np.sqrt(u_x ** 2 + v_y ** 2 + 0.5 * (u_y + v_x) ** 2)


def normalise_channels(features):
    """Each channel min-max scaled to [0, 1]; a constant channel becomes 0 (authors' code)."""
    features = np.asarray(features, dtype=np.float32)
    low = features.min(axis=(0, 1), keepdims=True)
    span = features.max(axis=(0, 1), keepdims=True) - low
    return np.where(span > 0, (features - low) / np.where(span > 0, span, 1), 0).astype(np.float32)


def roi_boxes(landmarks, size=FACE_SIZE, margin=ROI_MARGIN):
    """The three ROIs (x0, y0, x1, y1) on the face crop, each with a 12-pixel margin (section 3.1).

    Dlib points (0-based): left eyebrow 17-21 down to the eye's lower point 41,
    right eyebrow 22-26 down to 46, mouth corners 60/64 from the upper lip (50)
    to the lower lip (57), as in the authors' code.
    """
    p = np.asarray(landmarks, dtype=np.float64)

    def box(left, top, right, bottom):
        x0, y0 = int(max(0, p[left, 0] - margin)), int(max(0, p[top, 1] - margin))
        x1, y1 = int(min(size, p[right, 0] + margin)), int(min(size, p[bottom, 1] + margin))
        return x0, y0, max(x1, x0 + 1), max(y1, y0 + 1)

    return {"left_eye": box(17, 19, 21, 41), "right_eye": box(22, 24, 26, 46), "mouth": box(60, 50, 64, 57)}


def _cut(feature_map, box, size):
    import cv2

    x0, y0, x1, y1 = box
    patch = np.ascontiguousarray(feature_map[y0:y1, x0:x1], dtype=np.float32)
    return cv2.resize(patch, size, interpolation=cv2.INTER_LINEAR).reshape(size[1], size[0], -1)


def assemble_rois(feature_map, boxes, layout="paper"):
    """The 42 x 42 input: eyes on the top half, mouth (21 x 42) on the bottom half (section 3.1).

    ``paper``: each eye region resized to 21 x 21, side by side.
    ``code``: the box around both eye regions resized to 21 x 42 in one go, as
    the authors' code did (the published checkpoints were trained this way).
    """
    if layout not in ROI_LAYOUTS:
        raise ValueError(f"unknown ROI layout {layout!r}; choose one of {ROI_LAYOUTS}")
    top = np.zeros((21, 42, feature_map.shape[-1]), dtype=np.float32)
    if layout == "paper":
        top[:, :21] = _cut(feature_map, boxes["left_eye"], (21, 21))
        top[:, 21:] = _cut(feature_map, boxes["right_eye"], (21, 21))
    else:
        left, right = boxes["left_eye"], boxes["right_eye"]
        both = (left[0], min(left[1], right[1]), right[2], max(left[3], right[3]))
        top[:] = _cut(feature_map, both, (42, 21))
    return np.concatenate([top, _cut(feature_map, boxes["mouth"], (42, 21))], axis=0)


def flow_features(gray_a, gray_b, landmarks, layout="paper", method="tvl1"):
    """(u, v, strain) of two grey 128 x 128 faces, normalised and assembled into 42 x 42 x 3."""
    flow = optical_flow(gray_a, gray_b, method)
    u, v = flow[..., 0], flow[..., 1]
    channels = np.stack([u, v, optical_strain(u, v)], axis=-1)
    return assemble_rois(normalise_channels(channels), roi_boxes(landmarks, size=gray_a.shape[0]), layout)


def spotting_features(faces, k, landmarks, layout="paper", method="tvl1"):
    """Features of every pair (F_i, F_{i+k}), i = 0 .. T-k-1: array (T-k, 42, 42, 3)."""
    gray = to_gray(faces)
    if k < 1 or len(gray) <= k:
        raise ValueError(f"need more than k = {k} frames for spotting features, got {len(gray)}")
    return np.stack([flow_features(gray[i], gray[i + k], landmarks, layout, method)
                     for i in range(len(gray) - k)])


def recognition_features(faces, onset_index, apex_index, landmarks, layout="paper", method="tvl1"):
    """Features of (F_onset, F_apex), k = apex - onset (section 4.3): array (42, 42, 3)."""
    gray = to_gray(faces)
    return flow_features(gray[onset_index], gray[apex_index], landmarks, layout, method)


def estimate_apex(faces, onset_index, offset_index, landmarks, layout="paper", method="tvl1"):
    """Apex of a sample without one (SMIC): the frame whose features from onset are largest (section 4.3)."""
    gray = to_gray(faces)
    candidates = range(onset_index + 1, offset_index + 1)
    if not candidates:
        return onset_index
    totals = [flow_features(gray[onset_index], gray[i], landmarks, layout, method).sum() for i in candidates]
    return candidates[int(np.argmax(totals))]


def video_spotting_features(frames_rgb, fps, landmarks=None, layout="paper", method="tvl1", source="frames"):
    """Spotting features of a whole RGB sequence (T, H, W, 3): face crop, then every (F_i, F_{i+k}).

    k = ``flow_distance(fps)``; landmarks are detected on the first frame unless given.
    Returns an array (T - k, 42, 42, 3).
    """
    faces, face_landmarks = crop_faces(frames_rgb, landmarks, source=source)
    return spotting_features(faces, flow_distance(fps), face_landmarks, layout, method)


def split_streams(features):
    """[u, v, strain], each (N, 42, 42, 1), from features (N, 42, 42, 3): the three model inputs."""
    features = np.asarray(features, dtype=np.float32)
    return [features[..., c:c + 1] for c in range(3)]
