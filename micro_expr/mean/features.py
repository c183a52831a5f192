"""MEAN input features (MEAN, section 3.1): optical flow u, v and optical strain on three ROIs.

Steps, for two frames F_i and F_{i+k} of a sequence:

1. face crop: the face box of the first frame's dlib landmarks, the same box
   for every frame, resized to 128 x 128 (``crop_faces``; from the project's
   cache, ``canvas_faces`` cuts the face back out of the 240 x 280 canvas);
2. TV-L1 optical flow (u, v) between the two grey frames (MEAN Eq. 1);
3. optical strain magnitude from u and v (MEAN Eqs. 2-3);
4. each channel min-max normalised to [0, 1] (authors' code; the paper does not say);
5. three ROIs with a 12-pixel margin: left eye + eyebrow, right eye + eyebrow,
   mouth, resampled and assembled into 42 x 42 (``assemble_rois``).

Two choices differ from the authors' code and are switches (``MEANConfig``):
``face_crop="landmarks"`` builds the face box from the landmarks
(``data_prep.face.face_box``, the project's cropper) and maps the first
frame's landmarks into the crop; ``face_crop="detector"`` does what the code
did: dlib's detector rectangle, 128 x 128, a JPEG round trip (the code wrote
the crops as .jpg and read them back grey) and the 68 landmarks detected
again on the first crop, with the whole crop as the face rectangle.
``strain="central"`` uses central differences (``np.gradient``),
``strain="backward"`` the code's backward differences.

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


def crop_faces(frames_rgb, landmarks=None, size=FACE_SIZE, source="frames", mode="landmarks"):
    """128 x 128 faces of every frame, cut with the first frame's face box (section 3.1).

    Returns (faces uint8 (T, size, size, 3), landmarks on the crop (68, 2)).
    ``mode="landmarks"``: the landmark face box; landmarks are detected with
    dlib on the first frame unless given. ``mode="detector"``: the authors'
    code (``detector_crop``); ``landmarks`` is then unused.
    """
    from data_prep.face import crop_box, detect_landmarks, face_box

    frames = np.asarray(frames_rgb)
    if frames.ndim != 4 or len(frames) < 2:
        raise InputError(f"{source}: expected at least two RGB frames (T, H, W, 3), got shape {frames.shape}")
    if mode == "detector":
        return detector_crop(frames, detector_box(frames[0], source), size, source)
    if landmarks is None:
        landmarks = detect_landmarks(frames[0], source=source)
    box = face_box(landmarks)
    faces = np.stack([_resize(crop_box(frame, box, source), (size, size)) for frame in frames])
    return faces, landmarks_in_crop(landmarks, box, size)


def detector_box(image_rgb, source="image", upsample=1):
    """dlib's frontal face detector rectangle (left, top, right, bottom) of the largest face in ``image_rgb``.

    The authors' code kept the last rectangle dlib returned; with one face that is the same.
    """
    from data_prep.errors import NoFaceError
    from data_prep.face import _dlib_models

    detector, _ = _dlib_models()
    faces = detector(np.ascontiguousarray(image_rgb, dtype=np.uint8), upsample)
    if len(faces) == 0:
        raise NoFaceError(f"{source}: no face found by dlib's HOG detector")
    face = max(faces, key=lambda rect: rect.width() * rect.height())
    return face.left(), face.top(), face.right(), face.bottom()


def jpeg_gray(image_rgb, quality=95):
    """An RGB image written as JPEG (OpenCV's default quality 95) and read back grey.

    The authors' code wrote its face crops with ``cv2.imwrite`` and read them with
    ``cv2.imread(path, 0)``: the grey image is the JPEG's decoded luma.
    """
    import cv2

    bgr = cv2.cvtColor(np.ascontiguousarray(image_rgb, dtype=np.uint8), cv2.COLOR_RGB2BGR)
    ok, encoded = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise InputError("could not encode a face crop as JPEG")
    return cv2.imdecode(encoded, cv2.IMREAD_GRAYSCALE)


def detector_crop(frames_rgb, box, size=FACE_SIZE, source="frames"):
    """The authors' face crop: ``box`` of every frame -> ``size`` x ``size`` -> JPEG round trip -> grey.

    Landmarks are then detected again on the first crop with the whole crop as
    the face rectangle, as the code did before cutting the ROIs. The resize is
    OpenCV's default (bilinear), as in the code. Returns (faces uint8
    (T, size, size) grey, landmarks on the crop (68, 2)).
    """
    import cv2
    import dlib

    from data_prep.face import _dlib_models, crop_box

    faces = np.stack([jpeg_gray(cv2.resize(np.ascontiguousarray(crop_box(frame, box, source)), (size, size)))
                      for frame in np.asarray(frames_rgb)])
    _, predictor = _dlib_models()
    shape = predictor(np.ascontiguousarray(faces[0]), dlib.rectangle(0, 0, size, size))
    landmarks = np.array([[shape.part(i).x, shape.part(i).y] for i in range(68)], dtype=np.float64)
    return faces, landmarks


def canvas_content_box(box, width=240, height=280):
    """Where ``data_prep.face.contain_resize`` put the face of ``box`` on its canvas: (x0, y0, x1, y1)."""
    left, top, right, bottom = box
    src_w, src_h = right - left, bottom - top
    scale = min(width / src_w, height / src_h)
    new_w, new_h = max(1, round(src_w * scale)), max(1, round(src_h * scale))
    x0, y0 = (width - new_w) // 2, (height - new_h) // 2
    return x0, y0, x0 + new_w, y0 + new_h


def canvas_faces(canvas_frames, box, landmarks, size=FACE_SIZE, mode="landmarks"):
    """MEAN's 128 x 128 faces from the cache's face canvases (T, 280, 240, 3).

    The cache keeps the landmark face box contain-resized onto a black canvas;
    we cut the face back out (dropping the black bars) and resize it to 128 x 128,
    so the result matches ``crop_faces`` up to one extra resampling.
    Returns (faces, landmarks on the crop).

    ``mode="detector"`` (the authors' crop, as far as the cache allows): dlib's
    detector runs on the first canvas (padded with black so that a tight face
    is still found), and its rectangle, clipped to the stored face, is cut out
    as in ``detector_crop``. The cache holds only the landmark box, so the part
    of the detector rectangle outside it (usually a strip above the eyebrows
    and at the sides) cannot be restored: those crops are the code's crop
    clipped to the landmark box. When dlib finds no face on the canvas, the
    landmark box is used and a warning says so.
    """
    frames = np.asarray(canvas_frames)
    x0, y0, x1, y1 = canvas_content_box(box, width=frames.shape[2], height=frames.shape[1])
    if mode == "detector":
        return _canvas_detector_faces(frames, (x0, y0, x1, y1), size)
    faces = np.stack([_resize(frame[y0:y1, x0:x1], (size, size)) for frame in frames])
    return faces, landmarks_in_crop(landmarks, box, size)


def _canvas_detector_faces(frames, content, size, pad=60):
    from data_prep.errors import NoFaceError

    x0, y0, x1, y1 = content
    padded = np.pad(frames[0], ((pad, pad), (pad, pad), (0, 0)))
    try:
        left, top, right, bottom = detector_box(padded, source="face canvas")
    except NoFaceError:
        log.warning("dlib finds no face on a stored face canvas; using the landmark box for the detector crop")
        left, top, right, bottom = x0 + pad, y0 + pad, x1 + pad, y1 + pad
    box = (max(x0, left - pad), max(y0, top - pad), min(x1, right - pad), min(y1, bottom - pad))
    return detector_crop(frames, box, size, source="face canvas")


# OpenCV releases whose TV-L1 reproduces the flow of the authors' environment (their requirements.txt pins
# opencv-contrib-python-headless==4.5.1.48; feature_extraction.py:40 calls DualTVL1OpticalFlow_create() with
# its defaults): 4.5.1 .. 4.11; 4.12 changed it. requirements.txt pins >=4.8,<4.12; see docs/mean.md.
AUTHORS_TVL1_OPENCV = ((4, 5, 1), (4, 12, 0))   # [first, stop)
OPENCV_PIN = "opencv-contrib-python-headless>=4.8,<4.12"


def opencv_version(text=None):
    """(major, minor, patch) of ``text`` or of the installed cv2 (``"4.11.0"`` -> (4, 11, 0))."""
    if text is None:
        import cv2

        text = cv2.__version__
    parts = [int(part) for part in text.split("-")[0].split(".")[:3] if part.isdigit()]
    return tuple(parts + [0] * (3 - len(parts)))


def tvl1_matches_authors(version=None):
    """Whether OpenCV ``version`` (default: the installed one) gives the authors' TV-L1 flow bit for bit."""
    first, stop = AUTHORS_TVL1_OPENCV
    return first <= opencv_version(version) < stop


@functools.lru_cache(maxsize=1)
def _tvl1():
    import cv2

    create = getattr(getattr(cv2, "optflow", None), "DualTVL1OpticalFlow_create", None)
    if create is None:
        log.warning("cv2.optflow.DualTVL1OpticalFlow_create is missing (needs opencv-contrib); "
                    "using Farneback optical flow instead of TV-L1")
        return None
    if not tvl1_matches_authors():
        log.warning("OpenCV %s: its TV-L1 flow differs from the authors' (OpenCV 4.5.1 .. 4.11); "
                    "pip install '%s' (requirements.txt) to reproduce their inputs", cv2.__version__, OPENCV_PIN)
    return create()


def opencv_report():
    """What a MEAN run records about its OpenCV: {"opencv": version, "tvl1_matches_authors": bool}."""
    import cv2

    return {"opencv": cv2.__version__, "tvl1_matches_authors": tvl1_matches_authors()}


def check_opencv(config):
    """Refuse (``config.tvl1_opencv="require"``, the ``original`` preset) to compute TV-L1 features with an
    OpenCV whose TV-L1 is not the authors'; ``"warn"`` only warns (when the flow is first computed)."""
    import cv2

    if config.flow != "tvl1" or config.tvl1_opencv != "require" or tvl1_matches_authors():
        return
    raise InputError(f"MEAN preset {config.preset!r} reproduces the authors' TV-L1 flow, but the installed "
                     f"OpenCV {cv2.__version__} computes another one (the authors' is that of OpenCV 4.5.1 .. "
                     f"4.11); pip install '{OPENCV_PIN}' (as requirements.txt pins it), or --set "
                     f"tvl1_opencv=warn to run with this OpenCV anyway")


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


def _backward(field, axis):
    """field[i] - field[i - 1] along ``axis``, 0 on the first row / column (the authors' code)."""
    difference = np.zeros_like(field)
    if axis == 0:
        difference[1:] = field[1:] - field[:-1]
    else:
        difference[:, 1:] = field[:, 1:] - field[:, :-1]
    return difference


def optical_strain(u, v, differences="central"):
    """Optical strain magnitude |eps| = sqrt(u_x^2 + v_y^2 + 1/2 (u_y + v_x)^2) (MEAN Eqs. 2-3).

    x is the column axis and y the row axis. ``differences="central"``:
    central differences (one-sided at the border), exact for a linear flow
    field. ``"backward"``: f[i] - f[i - 1], 0 on the first row or column, as
    the authors' code did; for a linear field it is exact except there.
    """
    u, v = np.asarray(u, dtype=np.float64), np.asarray(v, dtype=np.float64)
    if differences == "backward":
        u_x, u_y, v_x, v_y = _backward(u, 1), _backward(u, 0), _backward(v, 1), _backward(v, 0)
    else:
        u_y, u_x = np.gradient(u)
        v_y, v_x = np.gradient(v)
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


def flow_features(gray_a, gray_b, landmarks, layout="paper", method="tvl1", strain="central"):
    """(u, v, strain) of two grey 128 x 128 faces, normalised and assembled into 42 x 42 x 3."""
    flow = optical_flow(gray_a, gray_b, method)
    u, v = flow[..., 0], flow[..., 1]
    channels = np.stack([u, v, optical_strain(u, v, strain)], axis=-1)
    return assemble_rois(normalise_channels(channels), roi_boxes(landmarks, size=gray_a.shape[0]), layout)


def spotting_features(faces, k, landmarks, layout="paper", method="tvl1", strain="central"):
    """Features of every pair (F_i, F_{i+k}), i = 0 .. T-k-1: array (T-k, 42, 42, 3)."""
    gray = to_gray(faces)
    if k < 1 or len(gray) <= k:
        raise ValueError(f"need more than k = {k} frames for spotting features, got {len(gray)}")
    return np.stack([flow_features(gray[i], gray[i + k], landmarks, layout, method, strain)
                     for i in range(len(gray) - k)])


def recognition_features(faces, onset_index, apex_index, landmarks, layout="paper", method="tvl1",
                         strain="central"):
    """Features of (F_onset, F_apex), k = apex - onset (section 4.3): array (42, 42, 3)."""
    gray = to_gray(faces)
    return flow_features(gray[onset_index], gray[apex_index], landmarks, layout, method, strain)


def estimate_apex(faces, onset_index, offset_index, landmarks, layout="paper", method="tvl1", strain="central"):
    """Apex of a sample without one (SMIC): the frame whose features from onset are largest (section 4.3)."""
    gray = to_gray(faces)
    candidates = range(onset_index + 1, offset_index + 1)
    if not candidates:
        return onset_index
    totals = [flow_features(gray[onset_index], gray[i], landmarks, layout, method, strain).sum() for i in candidates]
    return candidates[int(np.argmax(totals))]


def video_spotting_features(frames_rgb, fps, landmarks=None, layout="paper", method="tvl1", source="frames",
                            face_crop="landmarks", strain="central"):
    """Spotting features of a whole RGB sequence (T, H, W, 3): face crop, then every (F_i, F_{i+k}).

    k = ``flow_distance(fps)``; landmarks are detected on the first frame unless given.
    Returns an array (T - k, 42, 42, 3).
    """
    faces, face_landmarks = crop_faces(frames_rgb, landmarks, source=source, mode=face_crop)
    return spotting_features(faces, flow_distance(fps), face_landmarks, layout, method, strain)


def split_streams(features):
    """[u, v, strain], each (N, 42, 42, 1), from features (N, 42, 42, 3): the three model inputs."""
    features = np.asarray(features, dtype=np.float32)
    return [features[..., c:c + 1] for c in range(3)]
