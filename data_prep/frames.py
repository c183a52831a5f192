"""Reading frames with checks, so that a damaged file is named instead of cached half grey.

OpenCV decodes a cut JPEG without error (the missing part comes out grey and
libjpeg prints a warning without the file name), so the end of each file is
checked first. A uniform (e.g. all-black) frame is refused, and with
first-frame landmarks the last frame is looked at for a face that left its box.
"""
from pathlib import Path

import numpy as np

from data_prep.errors import FrameError, NoFaceError

BLANK_STD = 1.0        # a frame whose pixel values vary less than this holds no face
MIN_FACE_OVERLAP = 0.5  # IoU of the first and last frame's face boxes below this: the face moved away


def truncation_problem(data, suffix):
    """Why the bytes of an image file look cut short, or None. Checks JPEG, PNG and BMP ends."""
    suffix = suffix.lower()
    if suffix in (".jpg", ".jpeg"):
        # The end-of-image marker FFD9 closes every complete JPEG (some writers pad after it); inside
        # the compressed data an FF byte is always followed by 00 or a restart marker, never by D9.
        if data[:2] != b"\xff\xd8":
            return "not a JPEG file (no start marker)"
        if b"\xff\xd9" not in data[-4096:]:
            return "JPEG file is truncated (no end-of-image marker)"
    elif suffix == ".png":
        if b"IEND" not in data[-32:]:
            return "PNG file is truncated (no IEND chunk)"
    elif suffix == ".bmp" and len(data) >= 6 and data[:2] == b"BM":
        declared = int.from_bytes(data[2:6], "little")
        if len(data) < declared:
            return f"BMP file is truncated ({len(data)} of {declared} bytes)"
    return None


def read_frame(path):
    """An RGB uint8 frame; FrameError naming the file when it is missing, cut short, undecodable or blank."""
    import cv2

    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise FrameError(f"{path}: file does not exist") from None
    except OSError as error:
        raise FrameError(f"{path}: cannot be read ({error.strerror})") from None
    problem = truncation_problem(data, path.suffix)
    if problem:
        raise FrameError(f"{path}: {problem}")
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise FrameError(f"{path}: cannot be decoded as an image")
    if image.std() < BLANK_STD:
        raise FrameError(f"{path}: blank frame (every pixel about {int(image.mean())}); no face can be in it")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def box_overlap(a, b):
    """Intersection over union of two (left, top, right, bottom) boxes."""
    width = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    height = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = width * height
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def check_face_stays(frame, first_box, upsample=1):
    """None when the face of ``frame`` is still inside ``first_box``, else what went wrong."""
    from data_prep.face import detect_landmarks, face_box

    try:
        box = face_box(detect_landmarks(frame, upsample))
    except NoFaceError:
        return "no face found (the face may have left the frame)"
    overlap = box_overlap(first_box, box)
    if overlap < MIN_FACE_OVERLAP:
        return f"the face moved (its box overlaps the first frame's by {overlap:.0%})"
    return None
