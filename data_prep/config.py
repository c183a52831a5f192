"""Preprocessing settings. They are stored in every cache, so a cache built with
other settings is refused instead of silently mixed."""
import json
from dataclasses import asdict, dataclass, fields

from data_prep.datasets import FRAME_SELECTIONS
from data_prep.face import CANVAS_HEIGHT, CANVAS_WIDTH

LANDMARK_MODES = ("first", "every")


@dataclass(frozen=True)
class PrepConfig:
    """How frames become six region arrays (spec section 1)."""

    landmarks: str = "first"          # dlib on the first frame only (original) or on every frame
    upsample: int = 1                 # dlib HOG detector upsampling, as in the original cropper
    canvas_width: int = CANVAS_WIDTH   # contain-resize canvas of the face crop (data_prep.face)
    canvas_height: int = CANVAS_HEIGHT
    region_sizes: str = "canvas"      # "canvas" boxes, or a row of STFF Table 2 (paper preset)
    frames: str = "onset_offset"      # onset..offset inclusive, or "all" frames of the folder
    store_face: bool = False          # also keep the whole face canvas (for MEAN and figures)

    def __post_init__(self):
        from data_prep.regions import region_sizes

        if self.landmarks not in LANDMARK_MODES:
            raise ValueError(f"landmarks must be one of {LANDMARK_MODES}, got {self.landmarks!r}")
        if self.frames not in FRAME_SELECTIONS:
            raise ValueError(f"frames must be one of {FRAME_SELECTIONS}, got {self.frames!r}")
        region_sizes(self.region_sizes)  # validates the table name

    def sizes(self):
        """(height, width) of the six regions, or None to keep the canvas boxes."""
        from data_prep.regions import region_sizes

        return None if self.region_sizes == "canvas" else region_sizes(self.region_sizes)

    def to_json(self):
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text):
        values = json.loads(text)
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})

    def differences(self, other):
        """Human-readable list of the settings that differ from ``other``."""
        return [f"{f.name}: {getattr(self, f.name)!r} vs {getattr(other, f.name)!r}"
                for f in fields(self) if getattr(self, f.name) != getattr(other, f.name)]


PRESETS = {
    "original": PrepConfig(),
    "paper": PrepConfig(region_sizes="normalized"),
}
