"""The GIA + BIA + Bi-LSTM network (Zhu et al. 2023, section 3, Fig. 1), Keras 3 functional.

Per frame: VGG16 conv1_1..conv4_1 (the transfer learning layer) -> a 512 x 28 x 28 map on 224 (section 3.3);
  BIA: the identification blocks cut from that map; per block an FC layer tau and a scalar attention
       network phi; alpha_i = phi(c_i) * tau(c_i) (Zhu et al. 2023, Eq. 1-3);
  GIA: "the conv4_2 to conv5_2 layers of the VGG16 network" (section 3.3): conv4_2, conv4_3, pool4, conv5_1,
       conv5_2 (512 x 14 x 14), then an FC layer and a scalar attention network.
  ``gia_start="conv4_3"`` moves conv4_2 into the transfer layer (this project's first split): the same layers
  and parameter count, 2,359,808 more frozen weights, and the blocks read from conv4_2 instead of conv4_1.
Fusion: the weighted block vectors and the weighted global vector, concatenated.
Per clip: the frame vectors -> Bi-LSTM (Zhu et al. 2023, Eq. 13-15) -> dropout -> three FC layers, the last a softmax.
"""

import numpy as np

VGG16_LAYERS = ("block1_conv1", "block1_conv2", "block1_pool", "block2_conv1", "block2_conv2", "block2_pool",
                "block3_conv1", "block3_conv2", "block3_conv3", "block3_pool", "block4_conv1", "block4_conv2",
                "block4_conv3", "block4_pool", "block5_conv1", "block5_conv2")


def split_layers(gia_start="conv4_2"):
    """(transfer learning layer names, GIA layer names): GIA starts at VGG16's ``gia_start``."""
    block, number = gia_start.removeprefix("conv").split("_")          # "conv4_2" -> block4_conv2
    index = VGG16_LAYERS.index(f"block{block}_conv{number}")
    return VGG16_LAYERS[:index], VGG16_LAYERS[index:]


TRANSFER_LAYERS, GIA_LAYERS = split_layers("conv4_2")  # the paper's split (section 3.3)
# keras.applications.vgg16.preprocess_input ("caffe"): BGR, ImageNet mean subtracted, no scaling.
_IMAGENET_MEAN_BGR = np.array([103.939, 116.779, 123.68], dtype=np.float32)


def vgg_input(clips):
    """uint8 RGB (..., 3) -> the float input VGG16's ImageNet weights expect."""
    return np.asarray(clips, dtype=np.float32)[..., ::-1] - _IMAGENET_MEAN_BGR


def read_vgg16_file(path, names):
    """{layer name: [kernel, bias]} of the named layers of a Keras 2 VGG16 weights file (the ImageNet
    ``vgg16_weights_tf_dim_ordering_tf_kernels[_notop].h5``: a group per layer, ``weight_names`` attribute)."""
    import h5py

    from data_prep.errors import InputError

    weights = {}
    with h5py.File(path, "r") as handle:
        for name in names:
            if name not in handle:
                raise InputError(f"{path}: no layer {name!r}; expected a Keras VGG16 ImageNet weights file")
            group = handle[name]
            weight_names = [n.decode("utf8") if hasattr(n, "decode") else str(n) for n in group.attrs["weight_names"]]
            weights[name] = [group[n][()] for n in weight_names]
    return weights


def vgg16_layers(config):
    """The VGG16 layers up to conv5_2 (keras.applications structure), new objects with the L2 penalty and
    narrowed by ``backbone_width``; the weights are random (set later from ``backbone_weights``)."""
    import keras

    source = keras.applications.VGG16(include_top=False, weights=None, input_shape=(config.size, config.size, 3))
    transfer_layers, _ = split_layers(config.gia_start)
    layers = {}
    for name in VGG16_LAYERS:
        original = source.get_layer(name)
        layer_config = original.get_config()
        if "filters" in layer_config:
            layer_config["filters"] = max(1, round(layer_config["filters"] * config.backbone_width))
            layer_config["kernel_regularizer"] = keras.regularizers.L2(config.l2) if config.l2 else None
        layer = type(original).from_config(layer_config)
        layer.trainable = not (config.freeze_transfer and name in transfer_layers)
        layers[name] = layer
    return layers


def build_model(config, n_classes):
    """The network of ``config``; inputs ``clip`` (batch, frames, size, size, 3) float (see :func:`vgg_input`)
    and, with blocks, ``blocks`` (batch, n, 3): centre x, centre y, side as fractions of the frame side."""
    import keras
    from keras import layers as L

    from micro_expr.gia_bia.layers import BlockCrop, FoldTime, PerBlockDense, UnfoldTime, Weighted

    regularizer = (lambda: keras.regularizers.L2(config.l2)) if config.l2 else (lambda: None)
    clip = keras.Input((config.frames, config.size, config.size, 3), name="clip")
    inputs = [clip]
    vgg = vgg16_layers(config)
    transfer_layers, gia_layers = split_layers(config.gia_start)
    x = FoldTime(name="fold_time")(clip)
    for name in transfer_layers:
        x = vgg[name](x)
    transfer = x

    def scalar_attention(features, prefix, dense):
        """phi (Zhu et al. 2023, Eq. 1): FC + ReLU, then one sigmoid unit: the attention weight p."""
        hidden = dense(config.attention_units, "relu", f"{prefix}_phi_hidden")(features)
        return dense(1, "sigmoid", f"{prefix}_attention")(hidden)

    parts = []
    if config.n_blocks:
        blocks = keras.Input((config.n_blocks, 3), name="blocks")
        inputs.append(blocks)
        c = BlockCrop(config.block_cells, config.frames, name="bia_blocks")([transfer, blocks])

        def block_dense(units, activation, name):
            return PerBlockDense(units, activation, config.l2, name=name)

        c_tilde = block_dense(config.block_units, "relu", "bia_tau")(c)                   # Zhu et al. 2023 Eq. 2
        p = scalar_attention(c, "bia", block_dense)                                        # Zhu et al. 2023 Eq. 1
        alpha = Weighted(name="bia_weighted")([c_tilde, p])                                # Zhu et al. 2023 Eq. 3
        parts.append(L.Flatten(name="bia_vector")(alpha))

    def dense(units, activation, name):
        return L.Dense(units, activation, kernel_regularizer=regularizer(), name=name)

    g = transfer
    for name in gia_layers:
        g = vgg[name](g)
    g = L.Flatten(name="gia_flatten")(g)
    g_tilde = dense(config.global_units, "relu", "gia_tau")(g)
    parts.append(Weighted(name="gia_weighted")([g_tilde, scalar_attention(g, "gia", dense)]))

    fused = parts[0] if len(parts) == 1 else L.Concatenate(name="fusion")(parts)
    sequence = UnfoldTime(config.frames, name="unfold_time")(fused)
    h = L.Bidirectional(L.LSTM(config.lstm_units, kernel_regularizer=regularizer(),
                               recurrent_regularizer=regularizer()), name="bilstm")(sequence)
    h = L.Dropout(config.dropout, name="dropout")(h)
    for index, units in enumerate(config.head_units, 1):
        h = dense(units, "relu", f"fc{index}")(h)
    output = dense(n_classes, "softmax", f"fc{len(config.head_units) + 1}")(h)
    model = keras.Model(inputs, output, name=f"gia_bia_{config.n_blocks}_blocks")
    if config.backbone_weights:  # a local file, never downloaded
        convolutions = [name for name, layer in vgg.items() if layer.weights]
        for name, values in read_vgg16_file(config.backbone_weights, convolutions).items():
            vgg[name].set_weights(values)
    return model


def attention_model(model):
    """A model sharing ``model``'s layers that outputs the attention weights p: {"global": (batch * frames, 1),
    "blocks": (batch * frames, n, 1) when the model has blocks}."""
    import keras

    outputs = {"global": model.get_layer("gia_attention").output}
    if any(layer.name == "bia_attention" for layer in model.layers):
        outputs["blocks"] = model.get_layer("bia_attention").output
    return keras.Model(model.inputs, outputs)
