"""Typed configuration of MEAN (Liong, See, Chan, "Spot-then-Recognize: A Micro-Expression Analysis
Network for Seamless Evaluation of Long Videos") and its presets.

Presets are data (a dict of overrides per preset, as in :mod:`micro_expr.stff.config`):

- ``paper``: what the paper writes (section 3, MEAN Table 1 schedules);
- ``original``: what the authors' public code did, where it differs from the paper.

Every difference between the two is one field, so an ablation flips one at a time.
"""
from dataclasses import dataclass
from typing import Optional

from micro_expr.core.config import Config, check_choice, check_int, positive
from micro_expr.core.config import override as _override

PRESETS = ("paper", "original")
DEFAULT_PRESET = "paper"
SMOOTHINGS = ("centered", "same", "gaussian1", "gaussian3", "exponential1", "exponential3")  # MEAN Table 7

# k' of the paper (MEAN Table 1), per dataset: k' = (N + 1) / 2 rounded down, N the mean offset - onset.
K_PRIME_PAPER = {"casme2": 34, "smic_hs": 17, "smic_vis": 4, "smic_nir": 4, "casme_sq": 6, "sammlv": 37}


def _check(name, value, choices):
    check_choice(name, value, choices)


def _positive(name, value, kind=int):
    """A whole number >= 1 (``kind`` int) or any real number > 0 (``kind`` float: 5 is as good as 5.0)."""
    if kind is int:
        check_int(name, value, 1)
    else:
        positive(name, value)


@dataclass(frozen=True)
class MEANConfig(Config):
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
    # Paper vs the authors' code (genbing99/MEAN_Spot-then-recognize); docs/mean.md gives each measured effect.
    smoothing: str = "centered"        # MEAN Eq. 11: centred 2k'+1 window, borders dropped; 'same': the code's even
                                       # 2k' window over [i-k', i+k'-1], zero-padded, borders kept (peak anywhere)
    interval_end: int = -1             # spotted interval [F_p - k', F_p + k' + interval_end]: -1 paper, 0 code
    empty_spot: str = "none"           # no peak above T: no spot (paper) or a dummy spot (0, 0) (code: an FP)
    hit_rule: str = ">="               # TP when IoU >= k_IoU: MEAN Eq. 14 and the code's check_box (Utils/
                                       # mean_average_precision/mean_average_precision/utils.py:196); '>' only
                                       # as an ablation (an earlier misreading of that line)
    ap_order: str = "score"            # AP ranking: by smoothed score (MEAN Eq. 17) or dataset order (code, all conf 0)
    face_crop: str = "landmarks"       # 128x128 face: landmark box (project) or dlib detector rectangle (code)
    strain: str = "central"            # optical strain derivatives: central (np.gradient) or backward (code)
    analysis_classes: str = "truth"    # classes averaged in analysis F1/UF1/UAR: in truth, truth | predicted
                                       # ('union'), or 'code': the code's recognition_evaluation
                                       # (training_utils.py:166-216; NaN when no class has a 2 x 2 matrix)
    k_prime: Optional[int] = None      # k' (section 3.3); None: (N + 1) / 2 from the samples (MEAN Table 1 values
                                       # come out of that formula, see K_PRIME_PAPER)
    casme2_megc_excluded: bool = True  # CASME II: drop the 5 MEGC-excluded samples (244 of 249)
    casme2_code_excluded: bool = False  # CASME II: drop the 2 samples the code drops (load_label.py:52-53: apex
                                        # not a number, sub04 EP12_01f; (onset-1, apex-1, offset-1) == (65, 110,
                                        # 110), sub12 EP09_06): 247 of 249
    long_video_peaks: str = "dataset"  # long videos: 'dataset' = only the highest peak on SMIC-E HS/VIS/NIR,
                                       # every peak above T on CAS(ME)^2 and SAMM-LV (prepare_training.py:33-36,
                                       # training_utils.py:36-44; the paper too); 'all': every peak everywhere
    smic_e_index: str = "file"         # SMIC-E truth frames: 'file' = index of the frame file OnsetF (OnsetF -
                                       # FirstF); 'code' = one earlier, OnsetF - FirstF - 1 (load_excel.py:85-86,
                                       # load_label.py:56)
    short_clip: str = "clip"           # smoothing 'same' on a clip of fewer than 2k' scores: 'clip' = one
                                       # smoothed score per frame; 'numpy' = np.convolve(.., 'same') returns
                                       # 2k' values, the peak may lie after the clip (training_utils.py:11-15)
    analysis_pairs: str = "own"        # analysis pairs of long videos: each TP with its own truth's class, or
                                       # 'code': the code's two lists, out of step after an 'others' ME
                                       # (training_utils.py:129-155, train_evaluate.py:213-218)
    tvl1_opencv: str = "warn"          # OpenCV whose TV-L1 differs from the authors' (4.5.1 .. 4.11): 'warn'
                                       # (a warning) or 'require' (refuse to compute TV-L1 flow with it)
    # Ablations of the paper (same value in both presets).
    analysis_interval: str = "onset_apex"  # frames voted for the class: case 1 [F_p-k', F_p-1], case 2 'apex'
                                           # [F_p], case 3 'onset_offset' [F_p-k', F_p+k'-1] (MEAN Table 8)
    flow_seconds: float = 0.1          # k = FPS x flow_seconds (section 4.3; MEAN Table 6: 0.05, 0.10, 0.15)
    inductive_transfer: bool = True    # recognition on the spotting-trained frozen trunk (ITL), or a
                                       # separate network trained from scratch (MEAN Table 9 "without ITL")

    def __post_init__(self):
        _check("preset", self.preset, PRESETS)
        _check("classes", self.classes, (None, 3, 5))
        _check("roi_layout", self.roi_layout, ("paper", "code"))
        _check("flow", self.flow, ("tvl1", "farneback"))
        _check("smoothing", self.smoothing, SMOOTHINGS)
        _check("interval_end", self.interval_end, (-1, 0))
        _check("empty_spot", self.empty_spot, ("none", "dummy"))
        _check("hit_rule", self.hit_rule, (">=", ">"))
        _check("ap_order", self.ap_order, ("score", "dataset"))
        _check("face_crop", self.face_crop, ("landmarks", "detector"))
        _check("strain", self.strain, ("central", "backward"))
        _check("analysis_classes", self.analysis_classes, ("truth", "union", "code"))
        _check("long_video_peaks", self.long_video_peaks, ("dataset", "all"))
        _check("smic_e_index", self.smic_e_index, ("file", "code"))
        _check("short_clip", self.short_clip, ("clip", "numpy"))
        _check("tvl1_opencv", self.tvl1_opencv, ("warn", "require"))
        _check("analysis_pairs", self.analysis_pairs, ("own", "code"))
        if self.k_prime is not None:
            _positive("k_prime", self.k_prime)
        _check("analysis_interval", self.analysis_interval, ("onset_apex", "apex", "onset_offset"))
        _positive("flow_seconds", self.flow_seconds, float)
        for name in ("epochs_spot", "epochs_recog", "batch_size", "ratio"):
            _positive(name, getattr(self, name))
        _positive("learning_rate", self.learning_rate, float)
        if not 0 <= self.peak_p <= 1:
            raise ValueError(f"peak_p must be in [0, 1], got {self.peak_p!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"seed must be an integer >= 0, got {self.seed!r}")
        if self.weights and self.roi_layout != "code":
            raise ValueError("weights: the published checkpoints were trained on the authors' ROI layout; "
                             "add roi_layout=code (or use --preset original)")

    def num_classes(self, dataset):
        """The recognition head's class count for ``dataset``."""
        return self.classes or (5 if dataset == "casme2" else 3)



# The authors' code (genbing99/MEAN_Spot-then-recognize) differs from the paper in these fields.
# Schedule: its main.py calls train_test with epochs_spot=10, epochs_recog=100, ratio=5 (lr 5e-4, batch 32).
PRESET_OVERRIDES = {
    "paper": {},
    "original": {"roi_layout": "code", "smoothing": "same", "interval_end": 0, "empty_spot": "dummy",
                 "ap_order": "dataset", "face_crop": "detector", "strain": "backward",
                 "analysis_classes": "code", "casme2_megc_excluded": False, "casme2_code_excluded": True,
                 "smic_e_index": "code", "short_clip": "numpy", "tvl1_opencv": "require", "analysis_pairs": "code",
                 "epochs_spot": 10, "epochs_recog": 100, "ratio": 5},
}


def get_preset(name=DEFAULT_PRESET, **overrides):
    """The named preset with optional overrides (field names)."""
    if name not in PRESET_OVERRIDES:
        raise ValueError(f"unknown MEAN preset {name!r}; choose one of {PRESETS}")
    return override(MEANConfig(preset=name), **{**PRESET_OVERRIDES[name], **overrides})


def override(config, **changes):
    """A copy of ``config`` with fields changed (the core's one rule, :func:`micro_expr.core.config.override`)."""
    return _override(config, changes)
