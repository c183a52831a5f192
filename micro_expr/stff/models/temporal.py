"""The temporal model and classifier (STFF section 3.3, Figure 6, Eq. 6-8; spec section 4).

One input per region, named after it ("R0".."R5", or "face"), each a padded
sequence (N, 256) of spatial features; feed a dict keyed by those names or a
list in region order. Per region: LSTM 64 -> LeakyReLU -> dropout 0.2 = STF(r).

    concat (64 R) -> temporal SE (Eq. 7) -> FCL 256 LeakyReLU -> dropout 0.5 -> FCL K softmax

Masking (``temporal.masking``): the paper pads with zeros after the sequence;
without a mask the LSTM's last state would come after up to N - length zero
steps, so the paper presets put a ``Masking`` layer (zero vectors = padding) in
front of every LSTM. The code pre-padded and had no mask (preset ``original``).

Two layouts of the same model (same parameters, same outputs for the same
weights): ``per_region`` (R Keras LSTMs ``<region>_lstm``, the architecture the
authors' Keras 2 code loads) and ``batched`` (one :class:`RegionLSTMs` layer,
faster to train); :func:`copy_temporal_weights` converts between them.
"""
import keras
import numpy as np
from keras import layers

from micro_expr.stff.config import keras_initializer
from micro_expr.stff.models.fast.region_lstms import RegionLSTMs, recurrent_activation
from micro_expr.stff.models.se import TEMPORAL_SE, gate_model, temporal_se

PREDICTIONS = "predictions"
LAYOUTS = ("per_region", "batched")
BATCHED_LSTMS = "region_lstms"


def build_temporal_model(temporal_config, region_names, n_classes, feature_dim=256, name="temporal",
                         layout="per_region"):
    """The temporal model over ``region_names`` with ``n_classes`` = K outputs, in ``layout`` (see module doc)."""
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
    cfg = temporal_config
    inputs = [keras.Input((cfg.sequence_length, feature_dim), name=region) for region in region_names]
    if layout == "batched":
        x = RegionLSTMs(cfg.units, region_names, cfg.lstm_init, cfg.lstm_recurrent_init, cfg.masking,
                        recurrent_activation=cfg.recurrent_activation, name=BATCHED_LSTMS)(inputs)
        # LeakyReLU is element-wise; one dropout over all regions has the same distribution as R dropouts.
        x = layers.LeakyReLU(negative_slope=cfg.leaky_slope, name="stf_act")(x)
        return _classifier(layers.Dropout(cfg.lstm_dropout, name="stf_dropout")(x), inputs, cfg, n_classes, name)
    stf = []
    for region, x in zip(region_names, inputs):
        if cfg.masking:
            x = layers.Masking(mask_value=0.0, name=f"{region}_mask")(x)
        x = layers.LSTM(cfg.units, kernel_initializer=keras_initializer(cfg.lstm_init),
                        recurrent_initializer=keras_initializer(cfg.lstm_recurrent_init),
                        recurrent_activation=recurrent_activation(cfg.recurrent_activation),
                        bias_initializer="zeros", name=f"{region}_lstm")(x)
        x = layers.LeakyReLU(negative_slope=cfg.leaky_slope, name=f"{region}_act")(x)
        stf.append(layers.Dropout(cfg.lstm_dropout, name=f"{region}_dropout")(x))  # STF(r), STFF Eq. 6

    return _classifier(layers.Concatenate(name="stf_concat")(stf), inputs, cfg, n_classes, name)


def _classifier(stf, inputs, cfg, n_classes, name):
    """Temporal SE (STFF Eq. 7) and the classifier (STFF Eq. 8) on the concatenated STF(r)."""
    x = temporal_se(stf, cfg)
    regularizer = keras.regularizers.L1(cfg.dense_l1) if cfg.dense_l1 else None
    x = layers.Dense(cfg.head_units, kernel_initializer=keras_initializer(cfg.dense_init),
                     kernel_regularizer=regularizer, name="classifier_dense")(x)
    x = layers.LeakyReLU(negative_slope=cfg.leaky_slope, name="classifier_act")(x)
    x = layers.Dropout(cfg.dropout, name="classifier_dropout")(x)
    outputs = layers.Dense(n_classes, activation="softmax", kernel_initializer=keras_initializer(cfg.classifier_init),
                           name=PREDICTIONS)(x)
    return keras.Model(inputs, outputs, name=name)


def build_temporal_from_config(config, layout="per_region"):
    """The temporal model for a whole :class:`~micro_expr.stff.config.STFFConfig`."""
    return build_temporal_model(config.temporal, config.region_names, config.n_classes,
                                feature_dim=config.spatial.head_units[-1], layout=layout)


def temporal_attention_model(temporal_model):
    """A model giving the temporal SE gate (batch, 64 R)."""
    return gate_model(temporal_model, TEMPORAL_SE, "temporal.se is off")


def per_region_weights(gates, n_regions):
    """Mean gate value of each region's LSTM units: array (batch, R); units are concatenated region by region."""
    gates = np.asarray(gates)
    return gates.reshape(gates.shape[0], n_regions, -1).mean(axis=2)
