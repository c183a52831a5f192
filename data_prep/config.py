"""Preprocessing settings. They are stored in every cache, so a cache built with
other settings is refused instead of silently mixed."""
import json
from dataclasses import asdict, dataclass, fields

from data_prep.datasets import FRAME_ORDERS, FRAME_SELECTIONS
from data_prep.face import CANVAS_HEIGHT, CANVAS_WIDTH, CANVAS_MODES, FACE_CROP_MODES

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
    # The authors' cropper (docs/original-code.md section 1), preset ``original``:
    canvas: str = "contain"           # "contain" (enlarge or shrink, black bars, floor centring) or the code's
    #                                   "resize_contain" (PIL thumbnail LANCZOS, never enlarges, white bars, ceil
    #                                   centring; crop_6_ROIs.py:133)
    face_crop: str = "clip"           # face box clipped to the frame, or "pad": PIL crop, black outside (:106-107)
    frame_order: str = "numeric"      # frames by number, or "string": file names sorted as text, img100 < img46
    #                                   (crop_6_ROIs.py:53, 213, 219)

    def __post_init__(self):
        from data_prep.regions import region_sizes

        if self.landmarks not in LANDMARK_MODES:
            raise ValueError(f"landmarks must be one of {LANDMARK_MODES}, got {self.landmarks!r}")
        if self.frames not in FRAME_SELECTIONS:
            raise ValueError(f"frames must be one of {FRAME_SELECTIONS}, got {self.frames!r}")
        if self.canvas not in CANVAS_MODES:
            raise ValueError(f"canvas must be one of {CANVAS_MODES}, got {self.canvas!r}")
        if self.face_crop not in FACE_CROP_MODES:
            raise ValueError(f"face_crop must be one of {FACE_CROP_MODES}, got {self.face_crop!r}")
        if self.frame_order not in FRAME_ORDERS:
            raise ValueError(f"frame_order must be one of {FRAME_ORDERS}, got {self.frame_order!r}")
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
    # The project's own cropper (the field defaults): the boxes of the authors' cropper on a canvas
    # that enlarges small faces, black bars, frames onset..offset in number order.
    "clean": PrepConfig(),
    # What the authors' crop_6_ROIs.py stored (docs/original-code.md section 1): the PIL canvas
    # (never enlarged, white bars, ceil centring), PIL's black-padded face crop, every frame of the
    # RAW folder in string order (the code read CASME2_RAW and never used onset/offset).
    "original": PrepConfig(canvas="resize_contain", face_crop="pad", frames="all", frame_order="string"),
    "paper": PrepConfig(region_sizes="normalized"),
}
