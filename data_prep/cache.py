"""The HDF5 region cache: six uint8 region arrays per sample, plus landmarks and labels.

Layout of ``cache.h5``::

    attrs: format, version, prep_config (JSON), failures (JSON list)
    samples/<dataset>/<subject>/<sample>/
        R0 .. R5       uint8 (frames, H, W, 3), one chunk per frame
        face           uint8 (frames, 280, 240, 3), only with store_face
        landmarks      int32 (68, 2) on the first frame, or (frames, 68, 2)
        face_box       int32 (4,) or (frames, 4): left, top, right, bottom
        frame_numbers  int32 (frames,)
        frame_stamps   int64 (frames, 2): size and modification time (ns) of each frame file
        attrs: dataset, subject, sample, onset, apex, offset, emotion, frame_selection, ...

Writing is crash-safe: each sample is first written to its own small file in
``cache.h5.parts/`` (temporary name, then an atomic rename), and the parts are
merged into a new ``cache.h5`` that replaces the old one atomically. A killed
run leaves complete parts and an untouched cache; running again resumes.
Temporary names carry the process id, and one prepare at a time holds
``cache.h5.lock`` (``data_prep.lock``). A rerun reuses a cached sample or a
part only when it can be read back and its frames have not changed
(:func:`entry_problem`); anything else is prepared again.
"""
import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np

from data_prep.config import PrepConfig
from data_prep.errors import CacheConfigError, InputError
from data_prep.labels import MEGC_CLASSES
from data_prep.regions import REGION_NAMES

FORMAT = "micro_expr region cache"
VERSION = 1
_META_FIELDS = ("dataset", "subject", "sample", "onset", "apex", "offset", "emotion", "action_units",
                "objective_class", "objective_source", "megc_class", "fps", "frame_selection")


@dataclass
class SampleInfo:
    """What the cache knows of one sample, without its pixels."""

    key: str
    dataset: str
    subject: str
    sample: str
    n_frames: int
    frame_numbers: list = field(default_factory=list)
    onset: Optional[int] = None
    apex: Optional[int] = None
    offset: Optional[int] = None
    emotion: str = ""
    action_units: str = ""
    objective_class: Optional[int] = None
    objective_source: str = ""
    megc_class: Optional[str] = None
    fps: float = 200.0
    frame_selection: str = ""   # "onset_offset" or "all" (SMIC: always all); "" in caches before it was kept

    @property
    def megc_label(self):
        """0 negative, 1 positive, 2 surprise (official list), or None outside MEGC."""
        return None if self.megc_class is None else MEGC_CLASSES.index(self.megc_class)


def sample_metadata(sample):
    """HDF5 attributes of a ``data_prep.samples.Sample`` (None stored as -1 or "")."""
    meta = {}
    for name in _META_FIELDS:
        value = getattr(sample, name)
        if value is None:
            value = -1 if name in ("onset", "apex", "offset", "objective_class") else ""
        meta[name] = value
    return meta


def _info_from_group(key, group):
    attrs = dict(group.attrs)

    def optional_int(name):
        value = int(attrs.get(name, -1))
        return None if value < 0 else value

    return SampleInfo(
        key=key, dataset=str(attrs["dataset"]), subject=str(attrs["subject"]), sample=str(attrs["sample"]),
        n_frames=int(group["R0"].shape[0]), frame_numbers=[int(n) for n in group["frame_numbers"][()]],
        onset=optional_int("onset"), apex=optional_int("apex"), offset=optional_int("offset"),
        emotion=str(attrs.get("emotion", "")), action_units=str(attrs.get("action_units", "")),
        objective_class=optional_int("objective_class"), objective_source=str(attrs.get("objective_source", "")),
        megc_class=str(attrs["megc_class"]) or None, fps=float(attrs.get("fps", 200.0)),
        frame_selection=str(attrs.get("frame_selection", "")))


def write_sample_group(group, sample, arrays):
    """Write one prepared sample into an (empty) HDF5 group."""
    for name, region in zip(REGION_NAMES, arrays["regions"]):
        group.create_dataset(name, data=region, chunks=(1,) + region.shape[1:], compression="lzf")
    if arrays.get("face") is not None:
        face = arrays["face"]
        group.create_dataset("face", data=face, chunks=(1,) + face.shape[1:], compression="lzf")
    group.create_dataset("landmarks", data=np.asarray(arrays["landmarks"], dtype=np.int32))
    group.create_dataset("face_box", data=np.asarray(arrays["face_box"], dtype=np.int32))
    group.create_dataset("frame_numbers", data=np.asarray(sample.frame_numbers, dtype=np.int32))
    group.create_dataset("frame_stamps", data=frame_stamps(sample.frames))
    group.attrs.update(sample_metadata(sample))
    group.attrs[CONTENT_DIGEST] = content_digest(group)


# What a run records of its cache (run.json "cache_fingerprint"): a digest of every stored array of every sample
# it uses (not the frame files' times), so a re-prepared cache with other pixels is told apart from the old one.
CONTENT_DIGEST = "content_sha1"


def content_digest(group):
    """sha1 of a sample group's stored arrays (regions, face, landmarks, box, frame numbers), with their shapes."""
    digest = hashlib.sha1()
    for name in sorted(group):
        if name == "frame_stamps":
            continue
        data = np.ascontiguousarray(group[name][()])
        digest.update(f"{name}{data.shape}{data.dtype}".encode())
        digest.update(data.tobytes())
    return digest.hexdigest()


def frame_stamps(paths):
    """int64 (frames, 2): size and modification time of each frame file, to notice changed frames."""
    stats = [os.stat(path) for path in paths]
    return np.array([[s.st_size, s.st_mtime_ns] for s in stats], dtype=np.int64).reshape(len(stats), 2)


def entry_problem(group, sample=None):
    """Why a prepared sample (cache group or part) cannot be reused; None when it can.

    Reads the first and last frame of every region (a cut or half-written file
    fails there) and, given the ``sample`` as the readers see it now, compares
    its frame numbers and the files' sizes and times with the stored ones.
    """
    try:
        numbers = [int(n) for n in group["frame_numbers"][()]]
        for name in REGION_NAMES:
            region = group[name]
            if region.shape[0] != len(numbers) or not numbers:
                return f"{name} holds {region.shape[0]} frames for {len(numbers)} frame numbers"
            region[0], region[len(numbers) - 1]
        group["landmarks"][()]
        stamps = group["frame_stamps"][()] if "frame_stamps" in group else None
    except (OSError, KeyError, ValueError, RuntimeError) as error:
        return f"cannot be read back ({error})"
    if sample is None:
        return None
    if numbers != list(sample.frame_numbers):
        return "its frame selection changed"
    if stamps is not None and not np.array_equal(stamps, frame_stamps(sample.frames)):
        return "its frame files changed on disk"
    return None


class PartStore:
    """Folder of finished per-sample files, next to the cache, while a prepare runs."""

    def __init__(self, cache_path, config):
        self.cache_path = Path(cache_path)
        self.folder = Path(str(cache_path) + ".parts")
        self.config = config

    def open(self):
        """Create the folder, or check that an existing one was made with the same settings."""
        stamp = self.folder / "prep_config.json"
        if stamp.exists():
            found = PrepConfig.from_json(stamp.read_text())
            if found != self.config:
                raise CacheConfigError(
                    f"{self.folder}: an unfinished prepare with other settings is here "
                    f"({'; '.join(found.differences(self.config))}); delete the folder or choose another --out")
        else:
            self.folder.mkdir(parents=True, exist_ok=True)
            _atomic_write_text(stamp, self.config.to_json())
        for leftover in self.folder.glob("*.tmp"):  # from a killed run; we hold the lock, so not in use
            leftover.unlink(missing_ok=True)
        return self

    def path(self, key):
        return self.folder / (hashlib.sha1(key.encode()).hexdigest()[:16] + ".h5")

    def problem(self, sample):
        """None when a reusable part of ``sample`` is here, else why not ("no part" when absent)."""
        import h5py

        path = self.path(sample.key)
        if not path.exists():
            return "no part"
        try:
            with h5py.File(path, "r") as handle:
                if str(handle.attrs.get("key", "")) != sample.key:
                    return f"part {path.name} belongs to another sample"
                return entry_problem(handle["sample"], sample)
        except (OSError, KeyError) as error:
            return f"part {path.name} cannot be read back ({error})"

    def write(self, sample, arrays):
        """Write a sample to its part file; only a complete file gets the final name."""
        import h5py

        final = self.path(sample.key)
        temporary = final.with_name(f"{final.name}.{os.getpid()}.tmp")
        try:
            with h5py.File(temporary, "w") as handle:
                handle.attrs["key"] = sample.key
                write_sample_group(handle.create_group("sample"), sample, arrays)
            os.replace(temporary, final)
        finally:
            temporary.unlink(missing_ok=True)

    def keys(self):
        """{key: path} of the readable parts (an unreadable one is skipped: its sample was re-prepared)."""
        import h5py

        result = {}
        for path in sorted(self.folder.glob("*.h5")):
            try:
                with h5py.File(path, "r") as handle:
                    if entry_problem(handle["sample"]) is None:
                        result[str(handle.attrs["key"])] = path
            except (OSError, KeyError):
                continue
        return result

    def remove(self):
        shutil.rmtree(self.folder, ignore_errors=True)


def _temporary(path):
    """A temporary name beside ``path``, unique to this process."""
    return Path(f"{path}.{os.getpid()}.tmp")


def _atomic_write_text(path, text):
    temporary = _temporary(path)
    temporary.write_text(text)
    os.replace(temporary, path)


def cache_problems(cache_path, config, samples=None):
    """({key: problem} of the cached samples, keys of samples listed in the failure log).

    ``problem`` is None for a sample that can be reused (:func:`entry_problem`,
    compared with ``samples`` when given). Refuses a cache built with other settings.
    """
    cache_path = Path(cache_path)
    if not cache_path.exists():
        return {}, set()
    with RegionCache(cache_path) as cache:
        if cache.config != config:
            raise CacheConfigError(
                f"{cache_path}: this cache was built with other preprocessing settings "
                f"({'; '.join(cache.config.differences(config))}); use another --out or delete it")
        by_key = {sample.key: sample for sample in samples or ()}
        problems = {key: entry_problem(cache._file["samples"][key], by_key.get(key)) for key in cache.keys}
        return problems, {f["key"] for f in cache.failures}


def cached_keys(cache_path, config):
    """Keys of the readable samples of a complete cache; refuses a cache built with other settings."""
    problems, _ = cache_problems(cache_path, config)
    return {key for key, problem in problems.items() if problem is None}


def merge(cache_path, parts, failures, drop=()):
    """Write a new cache from the old one plus the finished parts, and swap it in atomically.

    ``drop``: keys of the old cache not to copy (unreadable or out of date).
    """
    cache_path = Path(cache_path)
    temporary = _temporary(cache_path)
    try:
        _write_merged(temporary, cache_path, parts, failures, set(drop))
        os.replace(temporary, cache_path)
    finally:
        temporary.unlink(missing_ok=True)
    parts.remove()


def _write_merged(temporary, cache_path, parts, failures, drop):
    import h5py

    with h5py.File(temporary, "w") as out:
        out.attrs["format"] = FORMAT
        out.attrs["version"] = VERSION
        out.attrs["prep_config"] = parts.config.to_json()
        samples = out.create_group("samples")
        kept_failures = []
        if cache_path.exists():
            with h5py.File(cache_path, "r") as old:
                for key in _group_keys(old["samples"]):
                    if key not in drop:
                        old.copy(old["samples"][key], samples, name=key)
                kept_failures = json.loads(old.attrs.get("failures", "[]"))
        for key, path in parts.keys().items():
            if key in samples:
                del samples[key]
            with h5py.File(path, "r") as part:
                part.copy(part["sample"], samples, name=key)
        done = set(_group_keys(samples))
        # A failure is forgotten once its sample is in the cache (the input was fixed).
        by_key = {f["key"]: f for f in kept_failures if f["key"] not in done}
        by_key.update({f.key: {"key": f.key, "message": f.message} for f in failures})
        out.attrs["failures"] = json.dumps(list(by_key.values()))


def _group_keys(samples_group):
    return [f"{d}/{s}/{n}" for d in samples_group for s in samples_group[d] for n in samples_group[d][s]]


class RegionCache:
    """Read-only access to a region cache.

    >>> with RegionCache("cache.h5") as cache:
    ...     info = cache.samples[0]
    ...     mouth = cache.region(info.key, 5)   # uint8 (frames, 60, 160, 3)
    """

    def __init__(self, path):
        import h5py

        self.path = Path(path)
        if not self.path.exists():
            raise InputError(f"{self.path}: cache file does not exist (run `mer prepare` first)")
        try:
            self._file = h5py.File(self.path, "r")
        except OSError as error:
            raise InputError(f"{self.path}: not a readable HDF5 cache ({error})") from error
        if self._file.attrs.get("format") != FORMAT:
            self._file.close()
            raise InputError(f"{self.path}: not a micro_expr region cache (no '{FORMAT}' format mark)")
        self.config = PrepConfig.from_json(self._file.attrs["prep_config"])
        self.keys = _group_keys(self._file["samples"])
        self.samples = [_info_from_group(key, self._file["samples"][key]) for key in self.keys]
        self._by_key = {info.key: info for info in self.samples}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self._file.close()

    def __len__(self):
        return len(self.samples)

    def fingerprint(self, keys=None):
        """sha1 over the content digests of ``keys`` (default: every sample), in key order: equal for two caches
        whose samples hold the same arrays, whatever their paths or file times."""
        digest = hashlib.sha1()
        for key in sorted(self.keys if keys is None else keys):
            group = self._group(key)
            stored = group.attrs.get(CONTENT_DIGEST)
            digest.update(f"{key}={stored if stored is not None else content_digest(group)};".encode())
        return digest.hexdigest()

    def info(self, key):
        try:
            return self._by_key[key]
        except KeyError:
            raise InputError(f"{self.path}: no sample {key!r} in this cache") from None

    def _group(self, key):
        self.info(key)
        return self._file["samples"][key]

    def region(self, key, r, frames=slice(None)):
        """uint8 array (frames, H, W, 3) of region ``r`` (0..5) of a sample."""
        return self._group(key)[REGION_NAMES[r]][frames]

    def regions(self, key, frames=slice(None)):
        """The six region arrays of a sample."""
        group = self._group(key)
        return [group[name][frames] for name in REGION_NAMES]

    def region_shapes(self):
        """(height, width) of the six regions (the same for every sample of a cache)."""
        group = self._group(self.keys[0])
        return [tuple(group[name].shape[1:3]) for name in REGION_NAMES]

    def face(self, key, frames=slice(None)):
        group = self._group(key)
        if "face" not in group:
            raise InputError(f"{self.path}: prepared without face canvases (use `mer prepare --store-face`)")
        return group["face"][frames]

    def landmarks(self, key):
        return self._group(key)["landmarks"][()]

    def face_box(self, key):
        return self._group(key)["face_box"][()]

    @property
    def failures(self):
        """[{key, message}] of the samples that could not be prepared."""
        return json.loads(self._file.attrs.get("failures", "[]"))
