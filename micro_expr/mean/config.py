"""Typed configuration of MEAN (Liong, See, Chan, "Spot-then-Recognize: A Micro-Expression Analysis
Network for Seamless Evaluation of Long Videos") and its presets.

Presets are data (a dict of overrides per preset, as in :mod:`micro_expr.config`):

- ``paper``: what the paper writes (section 3, Table 1 schedules);
- ``original``: what the authors' public code did, where it differs from the paper.

Every difference between the two is one field, so an ablation flips one at a time.
"""
from dataclasses import asdict, dataclass, fields, replace
from typing import Optional

PRESETS = ("paper", "original")
DEFAULT_PRESET = "paper"


def _check(name, value, choices):
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")


def _positive(name, value, kind=int):
    if isinstance(value, bool) or not isinstance(value, kind) or value <= 0:
        raise ValueError(f"{name} must be a positive {kind.__name__}, got {value!r}")


@dataclass(frozen=True)
class MEANConfig:
    """MEAN's settings; field comments say where each value comes from."""

    preset: str = DEFAULT_PRESET
    dataset: Optional[str] = None      # dataset of the cache to use; None: the only one it holds
    classes: Optional[int] = None      # recognition classes: 3 (MEGC) or 5 (CASME II); None: 5 for casme2, else 3
    roi_layout: str = "paper"          # eye ROIs as two 21x21 pieces (paper) or one 21x42 piece ('code')
    flow: str = "tvl1"                 # optical flow: TV-L1 (paper) or Farneback (quick tests)
    peak_p: float = 0.55               # p of the peak threshold (MEAN Eq. 12)
    multiple_peaks: bool = False       # long videos: every peak above the threshold, not only the highest
    epochs_spot: int = 200             # spotting epochs (paper)
    epochs_recog: int = 800            # recognition epochs (paper)
    batch_size: int = 32
    learning_rate: float = 5e-4        # Adam (paper)
    ratio: int = 8                     # non-ME windows kept per ME window (paper)
    seed: int = 1
    weights: Optional[str] = None      # a folder of published s<fold>.hdf5 spot_recog files: evaluate, not train

    def __post_init__(self):
        _check("preset", self.preset, PRESETS)
        _check("classes", self.classes, (None, 3, 5))
        _check("roi_layout", self.roi_layout, ("paper", "code"))
        _check("flow", self.flow, ("tvl1", "farneback"))
        for name in ("epochs_spot", "epochs_recog", "batch_size", "ratio"):
            _positive(name, getattr(self, name))
        _positive("learning_rate", self.learning_rate, float)
        if not 0 <= self.peak_p <= 1:
            raise ValueError(f"peak_p must be in [0, 1], got {self.peak_p!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"seed must be an integer >= 0, got {self.seed!r}")

    def num_classes(self, dataset):
        """The recognition head's class count for ``dataset``."""
        return self.classes or (5 if dataset == "casme2" else 3)

    def to_dict(self):
        return asdict(self)

    @classmethod
    def from_dict(cls, data):
        names = {f.name for f in fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise ValueError(f"unknown MEANConfig fields: {sorted(unknown)}")
        return cls(**data)


# The authors' code differs from the paper in these fields (filled in by the
# MEAN 'original' work; today the published checkpoints' ROI layout).
PRESET_OVERRIDES = {
    "paper": {},
    "original": {"roi_layout": "code"},
}


def get_preset(name=DEFAULT_PRESET, **overrides):
    """The named preset with optional overrides (field names)."""
    if name not in PRESET_OVERRIDES:
        raise ValueError(f"unknown MEAN preset {name!r}; choose one of {PRESETS}")
    return override(MEANConfig(preset=name), **{**PRESET_OVERRIDES[name], **overrides})


def override(config, **changes):
    names = {f.name for f in fields(MEANConfig)}
    unknown = set(changes) - names
    if unknown:
        raise ValueError(f"unknown MEANConfig fields: {sorted(unknown)}")
    return replace(config, **changes)
