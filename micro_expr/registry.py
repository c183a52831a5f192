"""The recognition systems one runner serves (``mer train --system NAME``).

Each entry names the module and class implementing
:class:`micro_expr.core.system.RecognitionSystem`; modules are imported on
first use so that ``mer --help`` stays quick.
"""
import importlib

from data_prep.errors import InputError

SYSTEMS = {
    "stff": "micro_expr.stff.system:STFF",
    "mean": "micro_expr.mean.system:MEAN",
    "gia_bia": "micro_expr.gia_bia.system:GiaBia",
    "cnn_lstm": "micro_expr.cnn_lstm.system:CNNLSTM",  # STFF's predecessor (Aouayeb et al. 2021)
}
DEFAULT_SYSTEM = "stff"
# Each system's presets, default first, for help texts (`mer train --preset`) without importing every system
# (seconds); tests/test_cli_misc.py checks them against the classes' own ``presets`` and ``default_preset``.
PRESETS = {
    "stff": ("strict", "paper", "original"),
    "mean": ("paper", "original"),
    "gia_bia": ("paper", "quick"),
    "cnn_lstm": ("paper", "mlsp2019", "strict"),
}


def presets_help():
    """"stff: strict (default), paper, original; mean: ..." for ``--preset`` help texts."""
    return "; ".join(f"{name}: {names[0]} (default), {', '.join(names[1:])}" for name, names in PRESETS.items())


def system_class(name):
    """The class registered as ``name``."""
    if name not in SYSTEMS:
        raise InputError(f"unknown system {name!r}; choose one of {', '.join(SYSTEMS)}")
    module, _, attribute = SYSTEMS[name].partition(":")
    return getattr(importlib.import_module(module), attribute)


def build_system(name, preset=None, **overrides):
    """A system from its name, a preset name (None: the system's default) and overrides."""
    return system_class(name).from_preset(preset, **overrides)


def as_system(system_or_config):
    """A system; an STFF configuration (what older code passes) is wrapped in :class:`STFF`,
    or in the predecessor's class when it is one of its presets (``cnn_lstm_*``)."""
    from micro_expr.stff.config import CNN_LSTM_PREFIX
    from micro_expr.core.system import RecognitionSystem

    if isinstance(system_or_config, RecognitionSystem):
        return system_or_config
    if system_or_config.preset.startswith(CNN_LSTM_PREFIX):
        return system_class("cnn_lstm")(system_or_config)
    from micro_expr.stff.system import STFF

    return STFF(system_or_config)


def preset_config(name, **overrides):
    """An STFF-family configuration by its ``STFFConfig.preset`` name: an STFF preset ("strict") or a predecessor
    one ("cnn_lstm_paper"), as the ablation scripts name them."""
    from micro_expr.stff.config import CNN_LSTM_PREFIX

    if name.startswith(CNN_LSTM_PREFIX):
        from micro_expr.cnn_lstm.config import get_preset

        return get_preset(name[len(CNN_LSTM_PREFIX):], **overrides)
    from micro_expr.stff.config import get_preset

    return get_preset(name, **overrides)


def register_custom_objects():
    """Import the modules that register the systems' custom Keras layers and losses, so that any system's
    ``.keras`` checkpoint loads (the core's checkpoint code knows no system)."""
    from micro_expr.gia_bia import layers  # noqa: F401
    from micro_expr.stff import losses, models  # noqa: F401
