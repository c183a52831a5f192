"""One micro-expression sample as the readers yield it."""
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

# A sequence model needs at least a start and a change: prepare and predict refuse shorter clips.
MIN_FRAMES = 2


@dataclass
class Sample:
    """A labelled sequence: where its frames are and what the coding sheet says of it.

    ``subject`` and ``sample`` are the names used on disk (``sub01``/``EP02_01f``,
    ``006``/``006_1_2``, ``s1``/``s1_ne_01``); frame numbers are the trailing digits
    of the file names.
    """

    dataset: str
    subject: str
    sample: str
    folder: Path
    frames: list = field(default_factory=list)          # ordered frame paths used
    frame_numbers: list = field(default_factory=list)   # their numbers
    onset: Optional[int] = None
    apex: Optional[int] = None
    offset: Optional[int] = None
    action_units: str = ""
    emotion: str = ""
    objective_class: Optional[int] = None     # 1..7 (Davison et al. 2017)
    objective_source: str = ""                # "column" or "au_rules"
    megc_class: Optional[str] = None          # negative / positive / surprise, None if outside MEGC
    fps: float = 200.0
    source: str = ""                          # coding sheet row or folder that defined the sample
    frame_selection: str = ""                 # "onset_offset" or "all": how ``frames`` were chosen
    warnings: list = field(default_factory=list)  # problems worth a look that do not stop the sample

    @property
    def key(self):
        """Unique name inside a cache: dataset/subject/sample."""
        return f"{self.dataset}/{self.subject}/{self.sample}"

    @property
    def n_frames(self):
        return len(self.frames)


@dataclass
class Failure:
    """A sample that could not be read or prepared, with the reason naming the file."""

    key: str
    message: str
