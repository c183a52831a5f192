"""Typed configuration of the GIA + BIA + Bi-LSTM system (Zhu, Li, Liu, Zeng, "Micro-Expression Recognition
Based on Spatio-Temporal Feature Extraction of Key Regions", 2023) and its presets.

Presets are data (a dict of overrides per preset):

- ``paper``: what the paper writes (sections 3 and 4.2-4.4); where it is silent, our choice is marked
  "(ours)" in the field comment and listed in docs/gia_bia.md;
- ``quick``: NOT the paper's: a narrow VGG16-shaped backbone on 64 x 64 frames and a few epochs, so
  that a LOSO run on the bundled demo finishes in minutes on two CPU cores.
"""
from dataclasses import dataclass
from typing import Optional

from data_prep.key_regions.clips import ALIGNMENTS, APEX_MODES, SOURCES, ClipSettings
from data_prep.key_regions.points import BLOCK_SETS, CONVENTIONS_24
from micro_expr.core.config import (Config, ConfigError, check_choice, check_fields, check_flag, check_int,
                                    check_number, fraction, non_negative, positive, rate, ratio)
from micro_expr.core.config import override as _override

PRESETS = ("paper", "quick")
DEFAULT_PRESET = "paper"
PROTOCOLS = ("megc", "au5")
# Where the global branch (GIA) starts. Zhu et al. 2023, section 3.3: "the conv4_2 to conv5_2 layers of the
# VGG16 network" on a 512 x 28 x 28 input, so the transfer learning layer is conv1_1..conv4_1 ("conv4_2", the
# paper). "conv4_3": the transfer layer runs to conv4_2 and GIA starts at conv4_3 (this project's first split).
GIA_STARTS = ("conv4_2", "conv4_3")


@dataclass(frozen=True)
class GiaBiaConfig(Config):
    """Every setting of the system; field comments say where each value comes from."""

    preset: str = DEFAULT_PRESET
    protocol: str = "megc"                 # 3 classes negative / positive / surprise (section 4.1)
    # --- key regions (sections 3.2.2-3.2.3, 4.2)
    n_blocks: int = 10                     # IBs: 0 (without), 10 or 24 (Zhu et al. 2023, Table 5); 10 is best
    ip24_convention: str = "paper"         # Zhu et al. 2023 Eq. 5 as printed, or PG-CNN's converter ("pg_cnn")
    block10_side: Optional[float] = None   # side of the 10 IBs in reference pixels; None: half the mouth width
    size: int = 224                        # aligned frame side (section 4.2)
    frames: int = 10                       # TIM length onset -> apex (section 4.2)
    apex: str = "frame_difference"         # apex of every clip re-labelled by Zhu et al. 2023 Eq. 16-17 (section 4.2)
    clip_source: str = "frames"            # raw frames (forehead, chin kept) or "face_canvas" (the STFF cache's crop)
    frames_roots: Optional[str] = None     # raw frame folders: "casme2=DIR,samm=DIR,smic=DIR" (or one DIR)
    alignment: str = "eyes_chin"           # LWMT approximated: eyes level, eyes and chin placed (ours; docs/gia_bia.md)
    eye_distance: float = 0.30             # alignment "eyes" only: eye centres 0.30 x side apart (ours)
    eye_height: float = 0.33               # alignment: eye midpoint 0.33 x side from the top (ours)
    chin_height: float = 0.85              # alignment "eyes_chin": chin (dlib 9) 0.85 x side from the top (ours)
    # --- model (section 3)
    backbone_width: float = 1.0            # VGG16 filters x this; 1.0 is VGG16 (needed for ImageNet weights)
    backbone_weights: Optional[str] = None # local Keras VGG16 ImageNet .h5 file; None: random backbone (said loudly)
    gia_start: str = "conv4_2"             # GIA = conv4_2..conv5_2 on the 512 x 28 x 28 map (section 3.3)
    freeze_transfer: bool = True           # the transfer learning layer (conv1_1..conv4_1) frozen (ours)
    block_cells: int = 6                   # each IB read as block_cells x block_cells cells of the 28 x 28 map
    block_units: int = 64                  # tau: FC units per block (ours; gACNN uses 64)
    global_units: int = 512                # tau of GIA: FC units on conv5_2 (ours; gACNN uses 512)
    attention_units: int = 32              # phi: hidden FC units of the scalar attention networks (ours)
    lstm_units: int = 128                  # Bi-LSTM hidden nodes (section 3.4)
    dropout: float = 0.5                   # between the Bi-LSTM and the FC layers (rate: ours)
    head_units: tuple = (256, 64)          # the first two of the three FC layers; the third is the softmax (ours)
    # --- training (section 4.4)
    epochs: int = 100
    batch_size: int = 16
    learning_rate: float = 1e-4            # Adam
    l2: float = 1e-5                       # lambda of the L2 norm of the weights
    rotation: float = 8.0                  # augmentation: random rotation in +-8 degrees
    crop: float = 0.1                      # augmentation: random crop of up to this fraction of the side (ours)
    seed: int = 0
    clip_cache: Optional[str] = None       # HDF5 file of the aligned clips; None: beside the region cache

    def __post_init__(self):
        for name, choices in (("preset", PRESETS), ("protocol", PROTOCOLS), ("n_blocks", BLOCK_SETS),
                              ("ip24_convention", CONVENTIONS_24), ("apex", APEX_MODES), ("clip_source", SOURCES),
                              ("alignment", ALIGNMENTS), ("gia_start", GIA_STARTS)):
            check_choice(name, getattr(self, name), choices)
        units = self.head_units
        if isinstance(units, (str, bytes)) or not isinstance(units, (list, tuple)):
            raise ConfigError(f"head_units must be a list of whole numbers >= 1 (the first FC layers), e.g. "
                              f"(256, 64); got {units!r}")
        for index, value in enumerate(units):
            check_int(f"head_units[{index}]", value, 1)
        object.__setattr__(self, "head_units", tuple(units))
        check_int("seed", self.seed, 0)                        # NumPy refuses negative seeds, mid-run
        check_fields(self, {"learning_rate": positive, "l2": non_negative, "rotation": non_negative,
                            "eye_distance": fraction, "eye_height": fraction, "chin_height": ratio,
                            "dropout": rate, "backbone_width": ratio, "freeze_transfer": check_flag})
        for name in ("size", "frames", "block_cells", "block_units", "global_units", "attention_units",
                     "lstm_units", "epochs", "batch_size"):
            check_int(name, getattr(self, name), 1)
        check_number("crop", self.crop, 0, 0.5)
        if self.frames_roots is not None and not isinstance(self.frames_roots, str):
            raise ConfigError(f"frames_roots must be text DATASET=DIR[,DATASET=DIR...], got {self.frames_roots!r}")
        if self.size % 16:
            raise ConfigError(f"size must be a multiple of 16 (four VGG16 poolings before conv5_2), got {self.size}")
        if self.backbone_weights and self.backbone_width != 1:
            raise ConfigError("backbone_weights need the full VGG16 (backbone_width = 1)")
        self.clip_settings()  # the preprocessing settings' own checks (alignment heights, ...)

    def clip_settings(self):
        """The preprocessing part, stored with the cached clips."""
        return ClipSettings(size=self.size, frames=self.frames, apex=self.apex, source=self.clip_source,
                            alignment=self.alignment, eye_distance=self.eye_distance, eye_height=self.eye_height,
                            chin_height=self.chin_height)



PRESET_OVERRIDES = {
    "paper": {},
    # Not the paper's: sized for the demo on 2 CPU cores (about a minute per fold).
    "quick": {"size": 64, "backbone_width": 0.25, "block_cells": 2, "block_units": 16, "global_units": 64,
              "attention_units": 8, "lstm_units": 32, "head_units": (64, 32), "epochs": 15, "batch_size": 8,
              "learning_rate": 1e-3, "freeze_transfer": False, "apex": "annotated_or_difference"},
}
assert set(PRESET_OVERRIDES) == set(PRESETS)

# Overrides that give back this project's first version (before issue 22), for comparisons only: clips cut
# from the region cache's face canvas (about 60 % of each aligned frame is padding), eyes 0.30 x side apart
# at 0.35 x side, GIA from conv4_3. Not a preset: nobody should train with it by default.
EARLIER_CLIPS = {"clip_source": "face_canvas", "alignment": "eyes", "eye_height": 0.35, "gia_start": "conv4_3"}


def get_preset(name=DEFAULT_PRESET, **overrides):
    """The named preset with optional overrides (field names)."""
    if name is None:
        name = DEFAULT_PRESET
    if name not in PRESET_OVERRIDES:
        raise ValueError(f"unknown gia_bia preset {name!r}; choose one of {PRESETS}")
    return override(GiaBiaConfig(preset=name), **{**PRESET_OVERRIDES[name], **overrides})


def override(config, **changes):
    """A copy of ``config`` with fields changed (the core's one rule, :func:`micro_expr.core.config.override`)."""
    return _override(config, changes)
