"""Typed configuration of STFF and its three presets (spec: docs/original-code.md).

Every place where the authors' code differs from the paper (STFF) is one
named field, so an ablation flips one switch at a time:

- ``paper``: what STFF writes (sections 3.1-3.4, Eq. 1-9);
- ``original``: what the authors' Keras 2 scripts did (spec sections 1-4);
- ``strict`` (default): ``paper`` with the spatial models trained inside each
  LOSO fold on the training subjects only (spec section 2, "protocol flaw").

Configurations are frozen dataclasses. Change them with :func:`override`
(dotted keys such as ``"spatial.patches"``) and store them with
:meth:`STFFConfig.to_dict` / :meth:`STFFConfig.from_dict` (results.json and
checkpoints keep the dict).

Initialiser fields hold either a float, the standard deviation of a
zero-mean normal distribution, or the name of a Keras initialiser
("glorot_uniform" is the Keras default the code fell back to where it gave none).
Biases always start at zero (Keras default; the code said so explicitly).
STFF section 3.4 initialises "all the layers" with normal(0, 1); the paper
presets read that literally: every kernel, the LSTM recurrent kernels included.
"""
import numbers
from dataclasses import dataclass, field, replace
from typing import Tuple, Union

from data_prep.face import CANVAS_HEIGHT, CANVAS_WIDTH
from data_prep.labels import REGION_LABEL_MODES, emotion_region_classes, region_classes
from data_prep.regions import REGION_NAMES, patch_size, region_sizes
from micro_expr.core.config import (Config, at_least_0, at_least_1, check_choice, check_fields,
                                    check_flag, check_int, check_number, fraction, non_negative, positive, rate,
                                    ratio)
from micro_expr.core.config import flat as _flat
from micro_expr.core.config import override as _override

Init = Union[float, str]

PRESETS = ("paper", "original", "strict")
DEFAULT_PRESET = "strict"
# The predecessor CNN-LSTM (system ``cnn_lstm``, micro_expr/cnn_lstm/config.py) is an STFFConfig too; its
# presets are named with this prefix in STFFConfig.preset (e.g. "cnn_lstm_paper").
CNN_LSTM_PRESETS = ("paper", "mlsp2019", "strict")
CNN_LSTM_PREFIX = "cnn_lstm_"
ENCODERS = ("inception", "classic")  # Aouayeb et al. 2021 Table 6: proposed shallow inception vs classic CNN

FUSIONS = ("none", "spatial", "temporal", "both")
STANDARDIZE_MODES = ("sequence", "training", "none")
# Named region subsets of Aouayeb et al. 2021 Table 5 ("whole face, without cheeks, without nose").
REGION_SUBSETS = {
    "all": (0, 1, 2, 3, 4, 5),
    "no_cheeks": (0, 1, 2, 5),   # drop R3, R4
    "no_nose": (0, 1, 3, 4, 5),  # drop R2
}
WHOLE_FACE = "whole_face"
WHOLE_FACE_NAME = "face"
WHOLE_FACE_SIZE = (CANVAS_HEIGHT, CANVAS_WIDTH)  # (height, width) of the face canvas (spec section 1)


# Field checks live in the core, with one message shape for every system; the short names read well below.
_check, _int, _number, _flag = check_choice, check_int, check_number, check_flag
_at_least_1, _at_least_0, _dropout, _positive = at_least_1, at_least_0, rate, positive
_non_negative, _ratio, _fraction = non_negative, ratio, fraction


def _validate_numbers(config, prefix, rules):
    check_fields(config, rules, prefix)


def _init(name, value):
    """An ``Init`` field: a standard deviation > 0, or the name of a Keras initialiser."""
    if isinstance(value, str):
        if not value.strip():
            raise ValueError(f"{name} must be a standard deviation or a Keras initialiser name, got {value!r}")
        return
    _number(name, value, 0, low_open=True)


@dataclass(frozen=True)
class SpatialConfig(Config):
    """The per-region spatial model and its training (STFF section 3.2, spec section 2)."""

    patches: int = 9                       # m; STFF Table 3 picks 9 (1, 4, 9, 16 tested)
    patch_mode: str = "paper"              # 'paper' splits the region; 'original': the code's one patch size, half
    #                                        the mean region size, rows and columns swapped (CNN_SE.py:621-631)
    resize_antialias: bool = True          # region -> patch grid resize antialiased; the code's tf.image.resize
    #                                        bilinear without antialias (CNN_SE.py:176)
    region_size_table: str = "normalized"  # region sizes: STFF Table 2 'normalized'; code: 'canvas' boxes (spec 1)
    input_scaling: str = "unit"            # 'unit' [0,1] (STFF 3.4) vs 'symmetric' x/127.5-1 (spec 2)
    se: str = "paper"                      # 'paper' SE with GAP squeeze (STFF Eq. 2-4); 'original' per-pixel
    #                                        gate + 1x1 conv 162 (spec 2); 'none' (no spatial fusion)
    se_ratio: float = 0.25                 # STFF Eq. 2 "se < 1", value not given: 0.25 = the code's C/4
    original_se_filters: int = 162         # the code's 1x1 conv after the gate, fixed 162 for every m (spec 2)
    head_units: Tuple[int, ...] = (2048, 256)  # STFF Eq. 5; the last is SF (Aouayeb et al. 2021: 1024, 250, 20)
    dropout: float = 0.5                   # STFF 3.2, after each FCL
    conv_init: Init = 1.0                  # STFF 3.4 normal(0, 1); code normal(0, 0.1) (spec 2)
    se_init: Init = 1.0                    # SE kernels; code: its 1x1 convs normal(0, 0.1)
    encoder: str = "inception"             # 'inception' (STFF Eq. 1) or 'classic' (Aouayeb et al. 2021, Fig. 10)
    dense_init: Init = 1.0                 # dense 2048/256; code normal(0, 0.01)
    classifier_init: Init = 1.0            # dense k(r) softmax; code gave none (Keras default glorot_uniform)
    focal: str = "paper"                   # 'paper' STFF Eq. 9 alpha from training labels; 'original_spatial' (spec 2);
    #                                        'constant': every class alpha = focal_alpha (Aouayeb et al. 2021, Table 7)
    focal_gamma: float = 2.0               # STFF Eq. 9 "often set to 2"; code 2
    focal_alpha: float = 0.5               # 'constant' focal only: Aouayeb et al. 2021 Table 7, alpha = 1/2
    learning_rate: float = 1e-4            # Adam; STFF 3.4 and code agree
    batch_size: int = 128                  # STFF 3.4: 128 (32 for m=16, Table 3); code 32
    epochs: int = 60                       # paper gives none: the code's 60 (spec 2)
    shuffle_buffer: int = 400              # the code's tf.data shuffle buffer (spec 2)
    split: str = "per_fold"                # 'per_fold': LOSO training subjects; 'frame50': code, leaky (spec 2)
    split_fraction: float = 0.5            # 'frame50': share of all frames used for training (spec 2)
    split_seed: int = 42                   # 'frame50': the code's random_state (spec 2)
    split_draw: str = "numpy"              # 'frame50' draw: numpy default_rng permutation, first part kept; the code's
    #                                        'sklearn' train_test_split(test_size=0.5, random_state=42), train part
    #                                        in its own order (CNN_SE.py:609)
    class_weights: str = "balanced"        # 'original_spatial' focal: 'balanced' (what the code asks for) or 'none'
    #                                        (what TF 1.14 did: an ndarray class_weight is ignored, CNN_SE.py:355)
    fold_frame_fraction: float = 1.0       # 'per_fold': share of the fold's training frames drawn (seed split_seed)

    def __post_init__(self):
        _check("spatial.patches", self.patches, (1, 4, 9, 16))
        _check("spatial.patch_mode", self.patch_mode, ("paper", "original"))
        _check("spatial.region_size_table", self.region_size_table,
               ("canvas", "normalized", "smic", "casme2", "samm"))
        _check("spatial.input_scaling", self.input_scaling, ("unit", "symmetric"))
        _check("spatial.se", self.se, ("paper", "original", "none"))
        _check("spatial.encoder", self.encoder, ENCODERS)
        _check("spatial.focal", self.focal, ("paper", "original_spatial", "constant"))
        _check("spatial.split", self.split, ("per_fold", "frame50"))
        _flag("spatial.resize_antialias", self.resize_antialias)
        _check("spatial.class_weights", self.class_weights, ("balanced", "none"))
        _check("spatial.split_draw", self.split_draw, ("numpy", "sklearn"))
        _validate_numbers(self, "spatial.", {
            "se_ratio": _ratio, "original_se_filters": _at_least_1, "dropout": _dropout,
            "conv_init": _init, "se_init": _init, "dense_init": _init, "classifier_init": _init,
            "focal_gamma": _non_negative, "focal_alpha": _ratio, "learning_rate": _positive,
            "batch_size": _at_least_1, "epochs": _at_least_1, "shuffle_buffer": _at_least_0,
            "split_fraction": _fraction, "fold_frame_fraction": _ratio,
            "split_seed": _at_least_0})
        units = self.head_units if isinstance(self.head_units, (tuple, list)) else ()
        if not units or any(isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1 for n in units):
            raise ValueError(f"spatial.head_units must be a non-empty list of layer sizes >= 1, "
                             f"got {self.head_units!r}")
        object.__setattr__(self, "head_units", tuple(int(n) for n in units))


@dataclass(frozen=True)
class TemporalConfig(Config):
    """The LSTM temporal model and classifier (STFF section 3.3, spec section 4)."""

    units: int = 64                        # LSTM units per region (STFF Eq. 6, code)
    recurrent_activation: str = "sigmoid"  # LSTM gates: Keras 3 'sigmoid'; the code's TF 1.14 LSTM v1 default
    #                                        'hard_sigmoid_keras2' = clip(0.2 x + 0.5, 0, 1) (LSTM_SE.py:603)
    lstm_dropout: float = 0.2              # dropout after each LSTM (STFF 3.3, code)
    leaky_slope: float = 0.01              # LeakyReLU negative slope (code; paper says LeakyReLU only)
    se: bool = True                        # temporal SE fusion (STFF Eq. 7)
    se_ratio: float = 0.25                 # squeeze size se*F; the code's 96 = 384/4
    se_activation: str = "relu"            # squeeze activation: ReLU per STFF Eq. 2; code LeakyReLU 0.01
    head_units: int = 256                  # classifier FCL (STFF Eq. 8)
    dropout: float = 0.5                   # after the 256 FCL
    lstm_init: Init = 1.0                  # LSTM input kernel; STFF 3.4 normal(0, 1); code normal(0, 0.01)
    lstm_recurrent_init: Init = 1.0        # LSTM recurrent kernel; paper "all layers"; code Keras default 'orthogonal'
    se_squeeze_init: Init = 1.0            # SE dense se*F; code normal(0, 0.01)
    se_excite_init: Init = 1.0             # SE dense F sigmoid; code Keras default
    dense_init: Init = 1.0                 # dense 256; code normal(0, 0.1)
    dense_l1: float = 0.0                  # L1 penalty on the dense 256 kernel; code 1e-5, paper none
    classifier_init: Init = 1.0            # dense K softmax; code Keras default
    sequence_length: int = 250             # N; the paper gives none: the code's 250
    padding: str = "post"                  # zeros after the sequence (paper) or in front (code 'pre')
    truncating: str = "post"               # longer sequences are cut at the end (code); paper silent
    masking: bool = True                   # mask the zero padding (our choice for 'post'; the code had none)
    cast_int32: bool = False               # the code's padding helper truncated features to int32 (spec 4)
    standardize: str = "sequence"          # STFF 3.4 "the input sequence ... mean 0, std 1": 'sequence'
    #                                        (each sequence's own mean, training std), 'training' (training
    #                                        frames' mean and std) or 'none' (code); see Standardizer
    focal: str = "paper"                   # 'paper' STFF Eq. 9 vs 'original_temporal' per-class binary focal (spec 4);
    #                                        'constant': alpha = focal_alpha for every class (Aouayeb et al. 2021)
    focal_gamma: float = 2.0               # STFF Eq. 9; code 2
    focal_alpha: float = 0.5               # 'constant' focal only: Aouayeb et al. 2021 Table 7, alpha = 1/2
    learning_rate: float = 5e-5            # Adam; STFF 3.4: 5e-5; code 1e-4
    batch_size: int = 128                  # STFF 3.4 and code
    epochs: int = 250                      # paper gives none: the code's 250, no early stopping

    def __post_init__(self):
        _check("temporal.se_activation", self.se_activation, ("relu", "leaky_relu"))
        _check("temporal.recurrent_activation", self.recurrent_activation, ("sigmoid", "hard_sigmoid_keras2"))
        _check("temporal.padding", self.padding, ("pre", "post"))
        _check("temporal.truncating", self.truncating, ("pre", "post"))
        _check("temporal.focal", self.focal, ("paper", "original_temporal", "constant"))
        if isinstance(self.standardize, bool):  # runs saved before the modes existed: True meant 'training'
            object.__setattr__(self, "standardize", "training" if self.standardize else "none")
        _check("temporal.standardize", self.standardize, STANDARDIZE_MODES)
        _validate_numbers(self, "temporal.", {
            "units": _at_least_1, "lstm_dropout": _dropout, "leaky_slope": _non_negative, "se": _flag,
            "se_ratio": _ratio, "head_units": _at_least_1, "dropout": _dropout,
            "lstm_init": _init, "lstm_recurrent_init": _init, "se_squeeze_init": _init, "se_excite_init": _init,
            "dense_init": _init, "dense_l1": _non_negative, "classifier_init": _init,
            "sequence_length": _at_least_1, "masking": _flag, "cast_int32": _flag,
            "focal_gamma": _non_negative, "focal_alpha": _ratio, "learning_rate": _positive,
            "batch_size": _at_least_1, "epochs": _at_least_1})


@dataclass(frozen=True)
class STFFConfig(Config):
    """The whole method: protocol-level switches plus the two stages.

    Build one with :func:`get_preset`; the field defaults are the paper's values
    (with per-fold spatial training), not a preset of their own.
    """

    preset: str = DEFAULT_PRESET           # name of the preset this was built from (informational)
    protocol: str = "megc"                 # 'megc' 3 classes or 'au5' 5 objective classes (spec 5)
    region_mode: str = "regions"           # six regions, or one 'whole_face' region (Aouayeb et al. 2021 Table 5)
    regions: Tuple[int, ...] = REGION_SUBSETS["all"]  # region indices used (Aouayeb et al. 2021 Table 5 subsets)
    region_labels: bool = True             # region labels (Aouayeb et al. 2021 3.1, STFF Table 6) or whole-face label
    region_label_mode: str = "class"       # region labels per 3-class label ('class', spec 3) or per emotion
    #                                        ('emotion', Aouayeb et al. 2021 Table 1; data_prep.labels)
    loss: str = "focal"                    # 'focal' (STFF Eq. 9, code variants) or 'cross_entropy' (Aouayeb et al. 2021 Eq. 4)
    seed: int = 42                         # global seed (weights, shuffling); the code's split seed is also 42
    exclude_samples: Tuple[str, ...] = ()  # "dataset/subject/sample" keys left out of the protocol; the code left
    #                                        out two CASME II sequences, which ones is unknown (spec 4; docs/presets.md)
    spatial: SpatialConfig = field(default_factory=SpatialConfig)
    temporal: TemporalConfig = field(default_factory=TemporalConfig)

    def __post_init__(self):
        _check("preset", self.preset, PRESETS + tuple(CNN_LSTM_PREFIX + name for name in CNN_LSTM_PRESETS))
        _check("region_label_mode", self.region_label_mode, REGION_LABEL_MODES)
        object.__setattr__(self, "exclude_samples", tuple(str(key) for key in self.exclude_samples))
        _check("protocol", self.protocol, ("megc", "au5"))
        _check("region_mode", self.region_mode, ("regions", WHOLE_FACE))
        _check("loss", self.loss, ("focal", "cross_entropy"))
        _flag("region_labels", self.region_labels)
        _int("seed", self.seed, 0)
        regions = self.regions if isinstance(self.regions, (tuple, list)) else ()
        if (not regions or any(isinstance(r, bool) or not isinstance(r, numbers.Integral) for r in regions)
                or len(set(regions)) != len(regions) or not set(regions) <= set(range(6))):
            raise ValueError(f"regions must be distinct indices 0..5, got {self.regions!r}")
        object.__setattr__(self, "regions", tuple(sorted(int(r) for r in regions)))

    # --- derived values (one place for every caller) -------------------------------------

    @property
    def fusion(self):
        """'none', 'spatial', 'temporal' or 'both': which SE fusions are on (STFF Table 5)."""
        spatial, temporal = self.spatial.se != "none", self.temporal.se
        return {(False, False): "none", (True, False): "spatial",
                (False, True): "temporal", (True, True): "both"}[(spatial, temporal)]

    @property
    def region_names(self):
        """Names of the model inputs: R0..R5 (the subset used) or 'face'."""
        if self.region_mode == WHOLE_FACE:
            return (WHOLE_FACE_NAME,)
        return tuple(REGION_NAMES[r] for r in self.regions)

    @property
    def region_sizes(self):
        """(height, width) each region is normalised to before it is cut into patches."""
        if self.region_mode == WHOLE_FACE:
            return (WHOLE_FACE_SIZE,)
        sizes = region_sizes(self.spatial.region_size_table)
        return tuple(sizes[r] for r in self.regions)

    @property
    def patch_sizes(self):
        """(height, width) of one patch, per region (``data_prep.regions.patch_size``)."""
        # The code's patch size is one for all regions: from the mean size of all six (CNN_SE.py:621-631).
        every = self.region_sizes if self.region_mode == WHOLE_FACE else region_sizes(self.spatial.region_size_table)
        return tuple(patch_size(size, self.spatial.patches, self.spatial.patch_mode, all_sizes=every)
                     for size in self.region_sizes)

    @property
    def region_class_names(self):
        """Class names each spatial model predicts; the whole face always gets the sequence label."""
        if self.region_mode == WHOLE_FACE:
            return region_classes(self.protocol, region_labels=False, regions=[0])
        if self.region_labels and self.region_label_mode == "emotion":
            return emotion_region_classes(self.protocol, regions=self.regions)
        return region_classes(self.protocol, self.region_labels, regions=self.regions)

    @property
    def n_classes(self):
        """K, the classes of the temporal classifier."""
        return len(region_classes(self.protocol, region_labels=False, regions=[0])[0])


def keras_initializer(spec):
    """A fresh Keras initialiser for an ``Init`` field: a float is normal(0, std), a string a Keras name."""
    import keras

    if isinstance(spec, str):
        return keras.initializers.get(spec)
    return keras.initializers.RandomNormal(mean=0.0, stddev=float(spec))


# --- presets ---------------------------------------------------------------------------------
# Presets are data, as the Keras applications keep their block arguments: each
# preset is a dict of overrides of the field defaults (which are the paper's
# values with per-fold spatial training). docs/presets.md is checked against
# this table by tests/test_config.py.

# The initialisers of the authors' code (spec sections 2 and 4).
CODE_INITIALISERS = {
    "spatial.conv_init": 0.1, "spatial.se_init": 0.1, "spatial.dense_init": 0.01,
    "spatial.classifier_init": "glorot_uniform",
    "temporal.lstm_init": 0.01, "temporal.lstm_recurrent_init": "orthogonal", "temporal.se_squeeze_init": 0.01,
    "temporal.se_excite_init": "glorot_uniform", "temporal.dense_init": 0.1, "temporal.classifier_init": "glorot_uniform",
}

PRESET_OVERRIDES = {
    # What the STFF paper writes. It does not say how the spatial models were
    # trained apart from the temporal folds; taken to be the code's 50 % frame split.
    "paper": {"spatial.split": "frame50"},
    # What the authors' Keras 2 scripts did (spec sections 1-4).
    "original": {
        "spatial.patch_mode": "original", "spatial.region_size_table": "canvas", "spatial.input_scaling": "symmetric",
        "spatial.se": "original", "spatial.focal": "original_spatial", "spatial.batch_size": 32,
        "spatial.split": "frame50", **CODE_INITIALISERS,
        "temporal.se_activation": "leaky_relu", "temporal.dense_l1": 1e-5, "temporal.padding": "pre",
        "temporal.masking": False, "temporal.cast_int32": True, "temporal.standardize": "none",
        "temporal.focal": "original_temporal", "temporal.learning_rate": 1e-4,
        # What the code computed where it differs from what it meant (issue 20, docs/original-code.md):
        "spatial.resize_antialias": False,                    # tf.image.resize default (CNN_SE.py:176)
        "spatial.class_weights": "none",                      # ndarray class_weight ignored (CNN_SE.py:355)
        "spatial.split_draw": "sklearn",                      # train_test_split, train part (CNN_SE.py:609)
        "temporal.recurrent_activation": "hard_sigmoid_keras2",  # TF 1.14 LSTM v1 default (LSTM_SE.py:603)
    },
    # The paper without subject leakage, and with initialisers that train: the
    # spatial models are trained inside every LOSO fold on the training subjects
    # only, and the initialisers are the code's, because the paper's normal(0, 1)
    # for every layer does not train (on the quick demo its losses stay flat and
    # LOSO scores chance: accuracy 0.375, UF1 0.351 over 48 samples).
    "strict": {"spatial.split": "per_fold", **CODE_INITIALISERS},
}
assert set(PRESET_OVERRIDES) == set(PRESETS)

# The predecessor CNN-LSTM as Aouayeb et al. 2021 (sections 3-4) writes it;
# every field the paper leaves open keeps the STFF default (learning rates,
# input scaling, LSTM 64 units, sequence length, padding, standardisation).


def get_preset(name=DEFAULT_PRESET, **overrides):
    """The named preset, with optional overrides (see :func:`override`)."""
    if name not in PRESET_OVERRIDES:
        raise ValueError(f"unknown preset {name!r}; choose one of {PRESETS}")
    return override(STFFConfig(preset=name), **{**PRESET_OVERRIDES[name], **overrides})


# --- overrides ------------------------------------------------------------------------------

def override(config, **changes):
    """A copy of ``config`` with fields changed: the core's one rule (:func:`micro_expr.core.config.override`).

    Keys are field names of :class:`STFFConfig`, dotted section fields
    (``override(c, **{"spatial.patches": 4})``), or two shortcuts:
    ``fusion`` ('none', 'spatial', 'temporal', 'both') sets both SE switches,
    and ``regions`` also accepts a subset name ('all', 'no_cheeks', 'no_nose', 'whole_face').
    """
    return _override(config, changes, SHORTCUTS)


def set_fusion(config, fusion):
    """Switch the SE blocks as STFF Table 5: 'none' is the CNN-LSTM without any SE.

    Turning the spatial SE on keeps the config's variant, or 'paper' if it was off.
    """
    _check("fusion", fusion, FUSIONS)
    spatial_on, temporal_on = fusion in ("spatial", "both"), fusion in ("temporal", "both")
    variant = config.spatial.se if config.spatial.se != "none" else "paper"
    return replace(config,
                   spatial=replace(config.spatial, se=variant if spatial_on else "none"),
                   temporal=replace(config.temporal, se=temporal_on))


def set_regions(config, name):
    """Use a named region subset, or the single whole-face region ('whole_face'); a tuple sets the field."""
    if not isinstance(name, str):
        return replace(config, regions=name)
    if name == WHOLE_FACE:
        return replace(config, region_mode=WHOLE_FACE, regions=REGION_SUBSETS["all"])
    _check("region subset", name, tuple(REGION_SUBSETS) + (WHOLE_FACE,))
    return replace(config, region_mode="regions", regions=REGION_SUBSETS[name])


SHORTCUTS = {"fusion": set_fusion, "regions": set_regions}   # keys of override() that are not fields


# --- the preset table of the docs (generated, so it cannot drift) -------------------------------------

def preset_table_markdown():
    """Every field on which a preset differs from the field defaults, one row each, as a Markdown table.

    docs/presets.md holds this table between ``<!-- preset-table -->`` markers; a test checks it is current.
    """
    defaults = _flat(replace(STFFConfig(), preset=DEFAULT_PRESET))
    presets = {name: _flat(get_preset(name)) for name in PRESETS}
    keys = [key for key in defaults if key != "preset" and any(p[key] != defaults[key] for p in presets.values())]
    lines = ["| field | default | " + " | ".join(f"`{name}`" for name in PRESETS) + " |",
             "|---|---|" + "---|" * len(PRESETS)]
    for key in keys:
        cells = [f"`{defaults[key]}`"] + [("**" if presets[n][key] != defaults[key] else "") + f"`{presets[n][key]}`"
                                          + ("**" if presets[n][key] != defaults[key] else "") for n in PRESETS]
        lines.append(f"| `{key}` | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
