"""dlib face detection, 68 landmarks, face box and the contain-resize (spec section 1)."""
import functools

import numpy as np

from data_prep.errors import NoFaceError

N_LANDMARKS = 68


LANDMARK_MODEL = "shape_predictor_68_face_landmarks.dat"


def landmark_model_path():
    """The 68-landmark model file that the ``face-recognition-models`` package ships.

    Found through the package's folder, without importing it: its ``__init__`` imports ``pkg_resources``, which
    Python 3.12+ virtual environments and current setuptools no longer have.
    """
    import importlib.util
    from pathlib import Path

    from data_prep.errors import InputError

    spec = importlib.util.find_spec("face_recognition_models")
    folders = list(spec.submodule_search_locations or []) if spec else []
    for folder in folders:
        path = Path(folder) / "models" / LANDMARK_MODEL
        if path.is_file():
            return path
    raise InputError(f"the dlib landmark model {LANDMARK_MODEL} is not installed: pip install face-recognition-models "
                     f"(looked in {', '.join(folders) or 'no installed face_recognition_models package'})")


@functools.lru_cache(maxsize=1)
def _dlib_models():
    # Imported here so that `mer --help` and label-only commands do not load dlib.
    import dlib

    detector = dlib.get_frontal_face_detector()
    predictor = dlib.shape_predictor(str(landmark_model_path()))
    return detector, predictor


def detect_landmarks(image_rgb, upsample=1, source="image"):
    """68 (x, y) landmarks of the largest face found by dlib's HOG detector.

    ``source`` names the file in the error raised when no face is found.
    Returns an int array of shape (68, 2), 0-based dlib point order.
    """
    detector, predictor = _dlib_models()
    image = np.ascontiguousarray(image_rgb, dtype=np.uint8)
    faces = detector(image, upsample)
    if len(faces) == 0:
        raise NoFaceError(f"{source}: no face found by dlib's HOG detector")
    face = max(faces, key=lambda rect: rect.width() * rect.height())
    shape = predictor(image, face)
    return np.array([[shape.part(i).x, shape.part(i).y] for i in range(N_LANDMARKS)], dtype=np.int32)


def face_box(landmarks):
    """Face box (left, top, right, bottom) from 0-based landmarks, as the original cropper did.

    left = x of point 17, right = x of point 26, top = min(y of 18, y of 25),
    bottom = y of point 8 (chin).
    """
    points = np.asarray(landmarks)
    left, right = int(points[17, 0]), int(points[26, 0])
    top = int(min(points[18, 1], points[25, 1]))
    bottom = int(points[8, 1])
    return left, top, right, bottom


def crop_box(image, box, source="image"):
    """The part of ``image`` inside ``box``, clipped to the image."""
    left, top, right, bottom = box
    height, width = image.shape[:2]
    left, right = max(0, left), min(width, right)
    top, bottom = max(0, top), min(height, bottom)
    if right - left < 2 or bottom - top < 2:
        raise NoFaceError(f"{source}: face box {box} is empty inside a {width}x{height} frame")
    return image[top:bottom, left:right]


# The face canvas of the authors' cropper (spec section 1): every region box lives on it.
CANVAS_WIDTH, CANVAS_HEIGHT = 240, 280


def contain_geometry(src_w, src_h, width=CANVAS_WIDTH, height=CANVAS_HEIGHT):
    """Where :func:`contain_resize` puts a ``src_w`` x ``src_h`` image: (scale, x0, y0, new_w, new_h).

    The one place of this geometry: the demo builder and MEAN's face cut use it too.
    """
    scale = min(width / src_w, height / src_h)
    new_w, new_h = max(1, round(src_w * scale)), max(1, round(src_h * scale))
    return scale, (width - new_w) // 2, (height - new_h) // 2, new_w, new_h


def contain_resize(image, width=CANVAS_WIDTH, height=CANVAS_HEIGHT):
    """Resize keeping the aspect ratio, centred on a black ``width`` x ``height`` canvas."""
    import cv2

    src_h, src_w = image.shape[:2]
    scale, x0, y0, new_w, new_h = contain_geometry(src_w, src_h, width, height)
    resized = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    canvas = np.zeros((height, width) + image.shape[2:], dtype=image.dtype)
    canvas[y0:y0 + new_h, x0:x0 + new_w] = resized
    return canvas
