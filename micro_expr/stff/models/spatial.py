"""The per-region spatial model (STFF section 3.2, Figure 3, Eq. 1-5; spec section 2).

Input: one tensor (m, patch height, patch width, 3) holding the m patches of a
region in row-major order (``data_prep.regions.split_patches``), pixel values in
[0, 255]; the model rescales them itself.

    patches -> scaling -> m patch encoders (own weights) -> concat (72m channels)
    -> SE -> GAP -> FCL 2048 ReLU -> dropout -> FCL 256 ReLU = SF -> dropout -> FCL k(r) softmax

Two layouts of the same model (same parameters, same outputs for the same weights):
``per_patch`` (m encoders with layers ``p<i>_...``, the architecture the authors'
Keras 2 code loads) and ``grouped`` (one grouped convolution per encoder layer,
``patches_...``; 2-3x faster to train on CPU). :func:`copy_spatial_weights`
converts between them.
"""

import keras
import numpy as np
from keras import layers

from micro_expr.stff.config import keras_initializer
from micro_expr.stff.models.classic_cnn import classic_encoder
from micro_expr.stff.models.fast.grouped_conv import grouped_encoders
from micro_expr.stff.models.patch_cnn import ENCODER_CHANNELS, SelectPatch, patch_encoder
from micro_expr.stff.models.se import SPATIAL_SE, gate_model, spatial_se

FEATURES = "spatial_features"  # the layer whose output is SF (STFF Eq. 5)
PREDICTIONS = "predictions"

# Rescaling(scale, offset): STFF 3.4 says [0, 1]; the code used x / 127.5 - 1.
_SCALING = {"unit": (1 / 255.0, 0.0), "symmetric": (1 / 127.5, -1.0)}
LAYOUTS = ("per_patch", "grouped")


def build_spatial_model(spatial_config, patch_hw, n_classes, name="spatial", layout="per_patch"):
    """The spatial model of one region with ``n_classes`` = k(r) outputs, in ``layout`` (see module doc)."""
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
    m = spatial_config.patches
    inputs = keras.Input((m, patch_hw[0], patch_hw[1], 3), name="patches")
    scale, offset = _SCALING[spatial_config.input_scaling]
    x = layers.Rescaling(scale, offset, name="scaling")(inputs)

    if layout == "grouped" and spatial_config.encoder == "inception":
        x = grouped_encoders(x, m, spatial_config.conv_init)  # FM of STFF Eq. 4, 72m channels
    else:  # per patch; the classic CNN (Aouayeb et al. 2021 Table 6, its Figure 10) has no grouped twin
        encoder = classic_encoder if spatial_config.encoder == "classic" else patch_encoder
        maps = [encoder(SelectPatch(i, name=f"p{i}")(x), f"p{i}", spatial_config.conv_init) for i in range(m)]
        x = layers.Concatenate(name="patches_concat")(maps)  # FM of STFF Eq. 4, 72m channels
    x = spatial_se(x, spatial_config)
    x = layers.GlobalAveragePooling2D(name="gap")(x)

    for i, units in enumerate(spatial_config.head_units):
        last = i == len(spatial_config.head_units) - 1
        layer_name = FEATURES if last else f"fc{i + 1}"
        x = layers.Dense(units, activation="relu", kernel_initializer=keras_initializer(spatial_config.dense_init),
                         name=layer_name)(x)
        x = layers.Dropout(spatial_config.dropout, name=f"{layer_name}_dropout")(x)
    outputs = layers.Dense(n_classes, activation="softmax",
                           kernel_initializer=keras_initializer(spatial_config.classifier_init), name=PREDICTIONS)(x)
    return keras.Model(inputs, outputs, name=name)


def build_spatial_models(config, layout="per_patch"):
    """One spatial model per region of ``config`` (or one for the whole face), keyed by region name."""
    models = {}
    for region, patch_hw, classes in zip(config.region_names, config.patch_sizes, config.region_class_names):
        models[region] = build_spatial_model(config.spatial, patch_hw, len(classes), name=f"spatial_{region}",
                                             layout=layout)
    return models


def feature_extractor(spatial_model):
    """The model up to SF, the 256-d ReLU output (STFF Eq. 5) the temporal stage reads."""
    return keras.Model(spatial_model.input, spatial_model.get_layer(FEATURES).output,
                       name=f"{spatial_model.name}_features")


def spatial_attention_model(spatial_model):
    """A model giving the spatial SE gate: (batch, 1, 1, 72m) for 'paper', (batch, h, w, 72m) for 'original'."""
    return gate_model(spatial_model, SPATIAL_SE, "se='none'")


def per_patch_weights(gates, m):
    """Mean gate value of each patch's 72 channels (and pixels): array (batch, m).

    Channels are ordered patch by patch (the concatenation of the m encoders).
    """
    gates = np.asarray(gates)
    batch = gates.shape[0]
    return gates.reshape(batch, -1, m, ENCODER_CHANNELS).mean(axis=(1, 3))
