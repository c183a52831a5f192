"""Eye-based face alignment and the square crop (Zhu et al. 2023, section 4.2: "The faces are aligned and
cropped at the positions of the eyes in the first frame in the same video, and the video frames are
normalized to 224 x 224 pixels by bilinear interpolation").

Every frame of a clip gets the first frame's transform, so the movement between frames is kept.
Points are expressed on a 224 x 224 reference frame (where the paper's pixel offsets, e.g. the
16 px of Eq. 4-5 and the 48 px blocks, are defined), whatever the size the model reads.
"""
import numpy as np

from data_prep.face import CANVAS_HEIGHT, CANVAS_WIDTH, contain_geometry

REFERENCE_SIZE = 224
# dlib 68-point indices (0-based) of the two eyes.
LEFT_EYE = range(36, 42)
RIGHT_EYE = range(42, 48)


def canvas_landmarks(landmarks, box, canvas_width=CANVAS_WIDTH, canvas_height=CANVAS_HEIGHT):
    """Landmarks of the original frame mapped onto the contain-resized face canvas of ``data_prep.face``.

    ``box`` is the face box (left, top, right, bottom) the canvas was cut from; the box is assumed
    to lie inside the frame (dlib's landmark box does, except for faces touching the border).
    """
    left, top, right, bottom = (int(v) for v in box)
    width, height = right - left, bottom - top
    _, x0, y0, new_w, new_h = contain_geometry(width, height, canvas_width, canvas_height)
    points = np.asarray(landmarks, dtype=np.float64)
    return np.stack([(points[:, 0] - left) * new_w / width + x0,
                     (points[:, 1] - top) * new_h / height + y0], axis=1)


def eye_alignment(landmarks, eye_distance=0.30, eye_height=0.35, size=REFERENCE_SIZE):
    """2 x 3 similarity transform putting the eye centres level, ``eye_distance * size`` apart, their
    midpoint at (size / 2, ``eye_height * size``). ``landmarks``: 68 dlib points (x, y)."""
    points = np.asarray(landmarks, dtype=np.float64)
    left = points[list(LEFT_EYE)].mean(axis=0)
    right = points[list(RIGHT_EYE)].mean(axis=0)
    dx, dy = right - left
    scale = eye_distance * size / np.hypot(dx, dy)
    angle = np.arctan2(dy, dx)
    cos, sin = scale * np.cos(-angle), scale * np.sin(-angle)
    rotation = np.array([[cos, -sin], [sin, cos]])
    centre = (left + right) / 2
    shift = np.array([size / 2, eye_height * size]) - rotation @ centre
    return np.hstack([rotation, shift[:, None]])


def apply_transform(matrix, points):
    """Points (N, 2) moved by a 2 x 3 affine matrix."""
    points = np.asarray(points, dtype=np.float64)
    return points @ matrix[:, :2].T + matrix[:, 2]


def align_clip(frames, matrix, size):
    """Every frame warped by ``matrix`` (defined on the 224 reference) and sampled at ``size`` x ``size``
    with bilinear interpolation; uint8 (T, size, size, 3)."""
    import cv2

    scaled = np.asarray(matrix, dtype=np.float64) * (size / REFERENCE_SIZE)
    out = [cv2.warpAffine(np.ascontiguousarray(frame), scaled, (size, size), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=0) for frame in frames]
    return np.clip(np.rint(np.stack(out)), 0, 255).astype(np.uint8)
