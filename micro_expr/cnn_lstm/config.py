"""The predecessor CNN-LSTM's presets (Aouayeb et al. 2021; the IEEE MLSP 2019 slides) as STFF configurations.

The predecessor is STFF's pipeline without STFF's additions, so its configuration is an
:class:`~micro_expr.stff.config.STFFConfig`; each preset is data, a dict of overrides (docs/presets.md):

- ``paper`` (default): the journal paper (whole regions m = 1, head 1024 / 250 / 20, no SE, region labels per
  emotion of its Table 1, focal loss alpha = 1/2 of its Table 7, the 50 % frame split);
- ``mlsp2019``: ``paper`` with the slides' schedules;
- ``strict``: ``mlsp2019`` with the CNNs trained inside every LOSO fold (leak-free).
"""
from micro_expr.stff.config import CNN_LSTM_PREFIX, CNN_LSTM_PRESETS, STFFConfig, override

PRESETS = CNN_LSTM_PRESETS
DEFAULT_PRESET = "paper"

CNN_LSTM_PAPER = {
    "spatial.patches": 1,                    # whole regions, no patch split (section 3.2)
    "spatial.region_size_table": "casme2",   # section 3.1: eyes 80x100, nose 80x120, cheeks 60x60, mouth 60x160
    "spatial.se": "none", "temporal.se": False,  # no SE block in either stage (Aouayeb et al. 2021 Eq. 2, 7)
    "spatial.head_units": (1024, 250, 20),   # Aouayeb et al. 2021 Eq. 2: SF = FCL_20(FCL_250(FCL_1024(B)))
    "region_label_mode": "emotion",          # Aouayeb et al. 2021 Table 1, per emotion
    "spatial.focal": "constant", "temporal.focal": "constant",  # Aouayeb et al. 2021 Table 7: focal, alpha = 1/2, gamma = 2
    # The paper names no initialiser: Keras' defaults (what its Keras 2.2.4 used when none was given).
    "spatial.conv_init": "glorot_uniform", "spatial.dense_init": "glorot_uniform",
    "spatial.classifier_init": "glorot_uniform", "temporal.lstm_init": "glorot_uniform",
    "temporal.lstm_recurrent_init": "orthogonal", "temporal.dense_init": "glorot_uniform",
    "temporal.classifier_init": "glorot_uniform",
    # It does not say how the CNNs were trained apart from the LOSO folds; taken,
    # as for STFF's paper preset, to be its successor code's 50 % frame split.
    "spatial.split": "frame50",
}
# The MLSP 2019 slides ("Network Settings"): CNNs batch 64, 100 epochs; LSTM + FCL batch 244, 60 epochs.
MLSP2019_SCHEDULES = {"spatial.batch_size": 64, "spatial.epochs": 100,
                      "temporal.batch_size": 244, "temporal.epochs": 60}
PRESET_OVERRIDES = {
    "paper": CNN_LSTM_PAPER,
    "mlsp2019": {**CNN_LSTM_PAPER, **MLSP2019_SCHEDULES},
    # Leak-free: the CNNs trained inside every LOSO fold on its training subjects.
    "strict": {**CNN_LSTM_PAPER, **MLSP2019_SCHEDULES, "spatial.split": "per_fold"},
}
assert set(PRESET_OVERRIDES) == set(PRESETS)


def get_preset(name=DEFAULT_PRESET, **overrides):
    """A preset of the predecessor CNN-LSTM (system ``cnn_lstm``) as an :class:`STFFConfig`."""
    if name not in PRESET_OVERRIDES:
        raise ValueError(f"unknown cnn_lstm preset {name!r}; choose one of {PRESETS}")
    return override(STFFConfig(preset=CNN_LSTM_PREFIX + name), **{**PRESET_OVERRIDES[name], **overrides})
