"""Keras 3 models of STFF (Aouayeb et al. 2022): per-region spatial CNNs with SE, and the LSTM temporal model.

Typical use::

    from micro_expr.stff.config import get_preset
    from micro_expr.stff.models import build_spatial_models, build_temporal_from_config

    config = get_preset("strict")
    spatial = build_spatial_models(config)       # {"R0": keras.Model, ..., "R5": ...}
    temporal = build_temporal_from_config(config)

The training layouts (grouped convolutions, batched LSTMs) live in :mod:`micro_expr.stff.models.fast`.
Import this package (and ``micro_expr.stff.losses``) before ``keras.models.load_model``:
the custom layers ``SelectPatch``, ``GroupedConv2D``, ``RegionLSTMs`` and the losses are registered on import.
"""
from micro_expr.stff.models.fast.convert import copy_spatial_weights, copy_temporal_weights
from micro_expr.stff.models.fast.grouped_conv import GroupedConv2D, grouped_encoders
from micro_expr.stff.models.fast.region_lstms import RegionLSTMs
from micro_expr.stff.models.patch_cnn import ENCODER_CHANNELS, SelectPatch, patch_encoder
from micro_expr.stff.models.se import pixel_gate_se, spatial_se, squeeze_excite, temporal_se
from micro_expr.stff.models.spatial import (build_spatial_model, build_spatial_models,
                                       feature_extractor, per_patch_weights, spatial_attention_model)
from micro_expr.stff.models.temporal import (build_temporal_from_config, build_temporal_model,
                                        per_region_weights, temporal_attention_model)

__all__ = [
    "ENCODER_CHANNELS", "GroupedConv2D", "SelectPatch", "grouped_encoders", "patch_encoder",
    "pixel_gate_se", "spatial_se", "squeeze_excite", "temporal_se",
    "build_spatial_model", "build_spatial_models", "copy_spatial_weights", "feature_extractor", "per_patch_weights",
    "spatial_attention_model",
    "RegionLSTMs", "build_temporal_from_config", "build_temporal_model", "copy_temporal_weights",
    "per_region_weights", "temporal_attention_model",
]
