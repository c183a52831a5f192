"""The HDF5 cache of aligned TIM clips (Zhu et al. 2023, section 4.2), built from a region cache.

A region cache prepared with ``mer prepare --store-face`` holds, per sample, the face canvases of the
frames onset..offset and the 68 dlib landmarks of the first frame. For every sample this module

1. picks the apex: the annotated one, or the frame-difference apex (Zhu et al. 2023, Eq. 16-17) (``ClipSettings.apex``);
2. interpolates the frames onset..apex to ``frames`` frames with TIM;
3. aligns them on the first frame's eyes and samples them at ``size`` x ``size`` (bilinear);
4. stores the clip (uint8) and the landmarks moved onto the 224 x 224 reference frame.

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
from data_prep.key_regions.align import align_clip, apply_transform, canvas_landmarks, eye_alignment
from data_prep.key_regions.temporal import relabel_apex, tim_interpolate

FORMAT = "micro_expr key-region clips"
APEX_MODES = ("annotated", "annotated_or_difference", "frame_difference")


@dataclass(frozen=True)
class ClipSettings:
    """What a cached clip depends on; stored in the clip file."""

    size: int = 224                    # side of the aligned square frames (section 4.2: 224)
    frames: int = 10                   # TIM output length, onset -> apex (section 4.2: 10)
    # Zhu et al. 2023 Eq. 16-17 apex: always ("frame_difference"), only where none is annotated, or never
    apex: str = "frame_difference"
    eye_distance: float = 0.30         # eye centres this fraction of the side apart (our choice: face fits the crop)
    eye_height: float = 0.35           # eye midpoint this fraction of the side from the top (our choice)

    def __post_init__(self):
        if self.apex not in APEX_MODES:
            raise ValueError(f"apex must be one of {APEX_MODES}, got {self.apex!r}")
        if self.size < 32 or self.frames < 1:
            raise ValueError(f"size must be >= 32 and frames >= 1, got {self.size}, {self.frames}")

    def to_json(self):
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text):
        return cls(**json.loads(text))

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


def build_clip(cache, key, settings):
    """(clip uint8 (frames, size, size, 3), landmarks (68, 2) on the 224 reference, apex index, apex source)."""
    info = cache.info(key)
    faces = cache.face(key)
    onset = info.frame_numbers.index(info.onset) if info.onset in info.frame_numbers else 0
    apex, source = apex_index(info, faces, settings.apex)
    # TIM needs a movement: an apex on the onset (or before it) takes the next frame as the end.
    end = max(apex, min(onset + 1, len(faces) - 1))
    interpolated = tim_interpolate(faces[onset:end + 1], settings.frames)
    landmarks = canvas_landmarks(_first_frame(cache.landmarks(key), 2), _first_frame(cache.face_box(key), 1),
                                 cache.config.canvas_width, cache.config.canvas_height)
    matrix = eye_alignment(landmarks, settings.eye_distance, settings.eye_height)
    clip = align_clip(np.clip(interpolated, 0, 255), matrix, settings.size)
    return clip, apply_transform(matrix, landmarks).astype(np.float32), apex, source


class ClipCache:
    """Aligned TIM clips of a region cache, built on first use and kept in an HDF5 file."""

    def __init__(self, path, settings):
        self.path = Path(path)
        self.settings = settings

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
                    clip, landmarks, apex, source = build_clip(cache, key, self.settings)
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
