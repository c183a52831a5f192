"""Squeeze-and-excitation fusion blocks (STFF Eq. 2-4 and 7; spec sections 2 and 4).

Every block names its layers ``<name>_squeeze``, ``<name>_act``, ``<name>_gate``
(the sigmoid weights) and ``<name>_scale`` (input x gate), so the gate values can
be read out later (``spatial_attention_model``, ``temporal_attention_model``).
"""
from keras import layers

from micro_expr.stff.config import keras_initializer

SPATIAL_SE = "spatial_se"
TEMPORAL_SE = "temporal_se"


def _activation(kind, leaky_slope, name):
    if kind == "relu":
        return layers.ReLU(name=name)
    return layers.LeakyReLU(negative_slope=leaky_slope, name=name)


def squeeze_excite(x, ratio, name, squeeze_init, excite_init, activation="relu", leaky_slope=0.01):
    """The paper's SE (STFF Eq. 2-4): GAP -> FCL se*F + activation -> FCL F sigmoid -> scale.

    On a feature map (batch, h, w, F) the squeeze starts with global average
    pooling, so the gate is one weight per channel; on a vector (batch, F), the
    temporal SE of Eq. 7, there is nothing to pool.
    """
    channels = x.shape[-1]
    squeezed = x
    if len(x.shape) == 4:
        squeezed = layers.GlobalAveragePooling2D(keepdims=True, name=f"{name}_pool")(x)
    squeezed = layers.Dense(int(channels * ratio), kernel_initializer=keras_initializer(squeeze_init),
                            name=f"{name}_squeeze")(squeezed)
    squeezed = _activation(activation, leaky_slope, f"{name}_act")(squeezed)
    gate = layers.Dense(channels, activation="sigmoid", kernel_initializer=keras_initializer(excite_init),
                        name=f"{name}_gate")(squeezed)
    return layers.Multiply(name=f"{name}_scale")([x, gate])


def pixel_gate_se(x, ratio, name, init, fuse_filters):
    """The code's spatial "SE" (spec section 2): no GAP, so the gate varies per pixel.

    1x1 conv C*ratio ReLU -> 1x1 conv C sigmoid -> multiply, then one more
    1x1 conv of ``fuse_filters`` (162 in the code, for every m) with ReLU.
    """
    channels = x.shape[-1]
    squeezed = layers.Conv2D(int(channels * ratio), 1, padding="same",
                             kernel_initializer=keras_initializer(init), name=f"{name}_squeeze")(x)
    squeezed = layers.ReLU(name=f"{name}_act")(squeezed)
    gate = layers.Conv2D(channels, 1, padding="same", activation="sigmoid",
                         kernel_initializer=keras_initializer(init), name=f"{name}_gate")(squeezed)
    scaled = layers.Multiply(name=f"{name}_scale")([x, gate])
    return layers.Conv2D(fuse_filters, 1, padding="same", activation="relu",
                         kernel_initializer=keras_initializer(init), name=f"{name}_fuse")(scaled)


def spatial_se(x, spatial_config, name=SPATIAL_SE):
    """The spatial fusion of the m patch maps, in the variant ``spatial_config.se`` asks for."""
    if spatial_config.se == "none":
        return x
    if spatial_config.se == "paper":
        return squeeze_excite(x, spatial_config.se_ratio, name, spatial_config.se_init, spatial_config.se_init)
    # The code's fuse conv used the same normal(0, 0.1) as all its convolutions.
    return pixel_gate_se(x, spatial_config.se_ratio, name, spatial_config.se_init,
                         spatial_config.original_se_filters)


def temporal_se(x, temporal_config, name=TEMPORAL_SE):
    """The temporal fusion of the regions' LSTM outputs (STFF Eq. 7), if switched on."""
    if not temporal_config.se:
        return x
    return squeeze_excite(x, temporal_config.se_ratio, name, temporal_config.se_squeeze_init,
                          temporal_config.se_excite_init, temporal_config.se_activation,
                          temporal_config.leaky_slope)


def gate_model(model, se_name, off_because):
    """A model from ``model``'s input to the output of its SE block's gate (layer ``<se_name>_gate``)."""
    import keras

    try:
        gate = model.get_layer(f"{se_name}_gate")
    except ValueError:
        raise ValueError(f"{model.name} has no {se_name.replace('_', ' ').replace('se', 'SE')} block "
                         f"({off_because})") from None
    return keras.Model(model.input, gate.output, name=f"{model.name}_attention")
