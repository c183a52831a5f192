"""The HDF5 cache of aligned TIM clips (Zhu et al. 2023, section 4.2), built from a region cache.

A region cache holds, per sample, the frame numbers onset..offset and the 68 dlib landmarks of the first
frame (in the frame's own pixels). The pixels come from (``ClipSettings.source``):

- ``"frames"`` (default): the raw frames on disk, found under ``frames_roots`` (the dataset folders the
  cache was prepared from). The whole frame is warped, so the aligned face keeps its forehead and chin;
- ``"face_canvas"``: the region cache's face canvases (``mer prepare --store-face``). That canvas is the
  face box (eyebrow line to chin point) contain-resized onto 240 x 280: about 60 % of an aligned frame
  and most of the eyebrow and chin blocks are black padding. Kept to reproduce earlier runs.

For every sample this module

1. aligns every frame with the first frame's transform (:func:`~data_prep.key_regions.align.face_alignment`,
   or the fixed-eye-distance :func:`~data_prep.key_regions.align.eye_alignment`), bilinear, ``size`` x ``size``;
2. picks the apex: the annotated one, or the frame-difference apex (Zhu et al. 2023, Eq. 16-17) (``ClipSettings.apex``);
3. interpolates the frames onset..apex to ``frames`` frames with TIM;
4. stores the clip (uint8) and the landmarks moved onto the 224 x 224 reference frame.

The paper interpolates first and aligns after; the transform is the same for every frame, so the order
changes nothing but rounding.

Layout of the clip file::

    attrs: format, settings (JSON), source_prep_config (JSON of the region cache's PrepConfig)
    clips/<dataset>/<subject>/<sample>/  clip uint8 (frames, size, size, 3), landmarks float32 (68, 2)
        attrs: apex_index, apex_source, n_source_frames, complete

A file made with other settings (or from a region cache with other preprocessing) is refused.
"""
import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np

from data_prep.errors import CacheConfigError, InputError
from data_prep.key_regions.align import (align_clip, apply_transform, canvas_landmarks, eye_alignment,
                                         face_alignment)
from data_prep.key_regions.temporal import relabel_apex, tim_interpolate

FORMAT = "micro_expr key-region clips"
APEX_MODES = ("annotated", "annotated_or_difference", "frame_difference")
SOURCES = ("frames", "face_canvas")
ALIGNMENTS = ("eyes_chin", "eyes")


@dataclass(frozen=True)
class ClipSettings:
    """What a cached clip depends on; stored in the clip file."""

    size: int = 224                    # side of the aligned square frames (section 4.2: 224)
    frames: int = 10                   # TIM output length, onset -> apex (section 4.2: 10)
    # Zhu et al. 2023 Eq. 16-17 apex: always ("frame_difference"), only where none is annotated, or never
    apex: str = "frame_difference"
    source: str = "frames"             # raw frames (forehead and chin kept) or the region cache's face canvas
    alignment: str = "eyes_chin"       # align.face_alignment (our LWMT approximation) or align.eye_alignment
    eye_distance: float = 0.30         # "eyes" only: eye centres this fraction of the side apart (ours)
    eye_height: float = 0.33           # eye midpoint this fraction of the side from the top (ours)
    chin_height: float = 0.85          # "eyes_chin" only: chin (dlib 9) this fraction of the side from the top (ours)

    def __post_init__(self):
        if self.apex not in APEX_MODES:
            raise ValueError(f"apex must be one of {APEX_MODES}, got {self.apex!r}")
        if self.source not in SOURCES:
            raise ValueError(f"clip_source must be one of {SOURCES}, got {self.source!r}")
        if self.alignment not in ALIGNMENTS:
            raise ValueError(f"alignment must be one of {ALIGNMENTS}, got {self.alignment!r}")
        if self.size < 32 or self.frames < 1:
            raise ValueError(f"size must be >= 32 and frames >= 1, got {self.size}, {self.frames}")
        if not 0 < self.eye_height < self.chin_height <= 1:
            raise ValueError(f"need 0 < eye_height < chin_height <= 1, got {self.eye_height}, {self.chin_height}")
        if not 0 < self.eye_distance < 1:
            raise ValueError(f"eye_distance must be in (0, 1), got {self.eye_distance}")

    def transform(self, landmarks):
        """The 2 x 3 alignment of a face with these 68 landmarks onto the 224 reference."""
        if self.alignment == "eyes":
            return eye_alignment(landmarks, self.eye_distance, self.eye_height)
        return face_alignment(landmarks, self.eye_height, self.chin_height)

    def to_json(self):
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text):
        values = json.loads(text)
        if "source" not in values:  # clip files written before the source was a setting
            values.update(source="face_canvas", alignment="eyes")
        return cls(**values)

    def differences(self, other):
        return [f"{f.name}: {getattr(self, f.name)!r} vs {getattr(other, f.name)!r}"
                for f in fields(self) if getattr(self, f.name) != getattr(other, f.name)]


def default_path(cache_path, settings):
    """Clip file beside the region cache, named after the settings that change its arrays' shapes."""
    cache_path = Path(cache_path)
    return cache_path.with_name(f"{cache_path.stem}.key_regions_{settings.size}px_{settings.frames}f.h5")


def _first_frame(array, per_frame_ndim):
    """The first frame's entry of a cache array stored once (``per_frame_ndim`` dims) or per frame (one more)."""
    array = np.asarray(array)
    return array[0] if array.ndim > per_frame_ndim else array


def apex_index(info, frames, mode):
    """(index into the cached frames, source) of the apex of one sample."""
    annotated = info.apex is not None and info.apex in info.frame_numbers
    if mode == "annotated" and not annotated:
        raise InputError(f"{info.key}: no annotated apex inside the cached frames (use apex=annotated_or_difference)")
    if annotated and mode != "frame_difference":
        return info.frame_numbers.index(info.apex), "annotated"
    return relabel_apex(frames), "frame_difference"


def parse_roots(text):
    """{dataset: folder} of ``frames_roots``: "casme2=DIR,samm=DIR,smic=DIR", or one DIR for every dataset
    (key ``None``)."""
    roots = {}
    for part in (p.strip() for p in (text or "").split(",")):
        if not part:
            continue
        dataset, _, folder = part.rpartition("=") if "=" in part else (None, "", part)
        roots[dataset.strip() if dataset else None] = Path(folder.strip())
    return roots


def sample_folder(info, roots):
    """The folder of a sample's raw frames under its dataset's root, in the layouts of data_prep.datasets."""
    root = roots.get(info.dataset, roots.get(None))
    if root is None:
        raise InputError(f"{info.key}: frames_roots names no folder for dataset {info.dataset!r} "
                         f"(clip_source=frames reads the raw frames; e.g. --set frames_roots={info.dataset}=DIR)")
    if info.dataset == "smic":
        hs = root / "HS" if (root / "HS").is_dir() else root
        return hs / info.subject / "micro" / info.emotion / info.sample
    return root / info.subject / info.sample


def raw_frames(info, roots):
    """The cached frames of a sample (onset..offset, the region cache's frame numbers) read from disk."""
    from data_prep.datasets import frame_files
    from data_prep.frames import read_frame

    folder = sample_folder(info, roots)
    if not folder.is_dir():
        raise InputError(f"{info.key}: raw frame folder {folder} does not exist (check frames_roots)")
    files = dict(frame_files(folder))
    missing = [n for n in info.frame_numbers if n not in files]
    if missing:
        raise InputError(f"{folder}: frames {missing[:5]} of the region cache are not in this folder "
                         "(was the cache prepared from another copy? check frames_roots)")
    return [read_frame(files[n]) for n in info.frame_numbers]


def build_clip(cache, key, settings, roots=None):
    """(clip uint8 (frames, size, size, 3), landmarks (68, 2) on the 224 reference, apex index, apex source).

    ``roots``: {dataset: folder} of the raw frames (:func:`parse_roots`), needed with ``source="frames"``."""
    info = cache.info(key)
    landmarks = _first_frame(cache.landmarks(key), 2).astype(np.float64)
    if settings.source == "frames":
        frames = raw_frames(info, roots or {})
    else:
        frames = cache.face(key)
        landmarks = canvas_landmarks(landmarks, _first_frame(cache.face_box(key), 1),
                                     cache.config.canvas_width, cache.config.canvas_height)
    matrix = settings.transform(landmarks)
    aligned = align_clip(frames, matrix, settings.size)
    onset = info.frame_numbers.index(info.onset) if info.onset in info.frame_numbers else 0
    apex, source = apex_index(info, aligned, settings.apex)
    # TIM needs a movement: an apex on the onset (or before it) takes the next frame as the end.
    end = max(apex, min(onset + 1, len(aligned) - 1))
    clip = np.clip(np.rint(tim_interpolate(aligned[onset:end + 1], settings.frames)), 0, 255).astype(np.uint8)
    return clip, apply_transform(matrix, landmarks).astype(np.float32), apex, source


class ClipCache:
    """Aligned TIM clips of a region cache, built on first use and kept in an HDF5 file."""

    def __init__(self, path, settings, roots=None):
        self.path = Path(path)
        self.settings = settings
        self.roots = parse_roots(roots) if isinstance(roots, (str, type(None))) else dict(roots)

    def _check(self, handle, cache):
        found = ClipSettings.from_json(handle.attrs["settings"])
        if found != self.settings:
            raise CacheConfigError(f"{self.path}: clips made with other settings "
                                   f"({'; '.join(found.differences(self.settings))}); delete it or choose another file")
        if handle.attrs["source_prep_config"] != cache.config.to_json():
            raise CacheConfigError(f"{self.path}: clips made from a region cache with other preprocessing settings; "
                                   "delete it or choose another file")

    def load(self, cache, keys, progress=False):
        """{key: (clip, landmarks)} of ``keys``, building the missing clips from ``cache`` first."""
        import h5py

        self.path.parent.mkdir(parents=True, exist_ok=True)
        with h5py.File(self.path, "a") as handle:
            if "settings" in handle.attrs:
                self._check(handle, cache)
            else:
                handle.attrs.update({"format": FORMAT, "settings": self.settings.to_json(),
                                     "source_prep_config": cache.config.to_json()})
            clips = handle.require_group("clips")
            result = {}
            for key in keys:
                if key in clips and not clips[key].attrs.get("complete", False):
                    del clips[key]  # a run killed while writing it
                if key not in clips:
                    clip, landmarks, apex, source = build_clip(cache, key, self.settings, self.roots)
                    group = clips.create_group(key)
                    group.create_dataset("clip", data=clip, compression="lzf")
                    group.create_dataset("landmarks", data=landmarks)
                    group.attrs.update({"apex_index": apex, "apex_source": source,
                                        "n_source_frames": cache.info(key).n_frames})
                    group.attrs["complete"] = True
                    handle.flush()
                    if progress:
                        print(f"  key-region clip {key}: apex {apex} ({source})", flush=True)
                result[key] = (clips[key]["clip"][()], clips[key]["landmarks"][()])
        return result
