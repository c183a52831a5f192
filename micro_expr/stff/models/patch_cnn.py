"""The shallow inception-style patch encoder (STFF Eq. 1, Figure 4; spec section 2).

    H   = maxP(Conv_8^3(maxP(Conv_4^5(P))))
    Out = Concat(maxP(Conv_16^i(H)), i in {0, 1, 3, 5, 7})      (Conv^0 = identity)

All convolutions 'same' with ReLU, every max-pool 2x2 'same'. Output channels:
8 (pooled H) + 4 x 16 = 72. Parameters per patch (3 input channels):
conv 4@5x5 304 + conv 8@3x3 296 + 16@1x1 144 + 16@3x3 1168 + 16@5x5 3216
+ 16@7x7 6288 = 11416.

Like ``keras.applications``, the encoder is a function that applies named
layers to a tensor; each patch gets its own layers (its own weights), prefixed ``p<i>``.
"""
import keras
from keras import layers

from micro_expr.stff.config import keras_initializer

BRANCH_KERNELS = (1, 3, 5, 7)  # the four parallel convolutions of STFF Eq. 1 (i = 0 is the pool branch)
BRANCH_FILTERS = 16
ENCODER_CHANNELS = 8 + BRANCH_FILTERS * len(BRANCH_KERNELS)  # 72


@keras.saving.register_keras_serializable(package="micro_expr")
class SelectPatch(layers.Layer):
    """Patch ``index`` of a batch of patch stacks (batch, m, height, width, channels).

    The spatial model takes the m patches of a region as one tensor, which is
    easier to feed from tf.data than m separate inputs (the code's way).
    """

    def __init__(self, index, **kwargs):
        super().__init__(**kwargs)
        self.index = int(index)

    def call(self, inputs):
        return inputs[:, self.index]

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(input_shape[2:])

    def get_config(self):
        return {**super().get_config(), "index": self.index}


def _conv(filters, size, name, init):
    return layers.Conv2D(filters, size, padding="same", activation="relu",
                         kernel_initializer=keras_initializer(init), bias_initializer="zeros", name=name)


def _pool(name):
    return layers.MaxPooling2D(pool_size=2, padding="same", name=name)


def patch_encoder(patch, prefix, conv_init):
    """Apply STFF Eq. 1 to ``patch`` (batch, h, w, 3); returns the 72-channel map at 1/8 resolution."""
    x = _conv(4, 5, f"{prefix}_conv5x5", conv_init)(patch)
    x = _pool(f"{prefix}_pool1")(x)
    x = _conv(8, 3, f"{prefix}_conv3x3", conv_init)(x)
    h = _pool(f"{prefix}_H")(x)
    branches = [_pool(f"{prefix}_b0_pool")(h)]
    for size in BRANCH_KERNELS:
        branch = _conv(BRANCH_FILTERS, size, f"{prefix}_b{size}_conv", conv_init)(h)
        branches.append(_pool(f"{prefix}_b{size}_pool")(branch))
    return layers.Concatenate(name=f"{prefix}_concat")(branches)


# --- The same m encoders as grouped convolutions (the fast layout used for training) -------------
#
# The m encoders share no weights, so their convolutions can run as one convolution
# per encoder layer with groups = m: the patches are stacked along the channels
# (patch-major, 3 channels per patch) and group g of every layer holds patch g's
# own kernels. One op per layer instead of m keeps the traced graph small.

@keras.saving.register_keras_serializable(package="micro_expr")
class GroupedConv2D(layers.Layer):
    """``groups`` independent 'same' convolutions with ReLU, one per channel group.

    Kernel (k, k, in_channels / groups, groups x filters): output channels
    [g x filters, (g + 1) x filters) are patch g's convolution of input channels
    [g x c, (g + 1) x c). keras.layers.Conv2D(groups=m) computes the same but, on
    the TF backend on CPU, through an XLA function whose gradient measured about
    30x slower; tf.nn.conv2d runs TensorFlow's native grouped kernels.
    """

    def __init__(self, filters, kernel_size, groups, kernel_initializer=1.0, **kwargs):
        super().__init__(**kwargs)
        self.filters, self.kernel_size, self.groups = int(filters), int(kernel_size), int(groups)
        self.kernel_initializer = kernel_initializer

    def build(self, input_shape):
        size, groups = self.kernel_size, self.groups
        per_group = (size, size, input_shape[-1] // groups, self.filters)

        def grouped_init(shape, dtype=None):
            # One fresh initialiser per patch, drawing a per-patch kernel's shape: what m separate
            # Conv2D layers get (fan-based initialisers would otherwise see m x fan_out, and one
            # Keras initialiser instance returns the same values on every call).
            return keras.ops.concatenate([keras_initializer(self.kernel_initializer)(per_group, dtype=dtype)
                                          for _ in range(groups)], axis=-1)

        self.kernel = self.add_weight(name="kernel", shape=per_group[:3] + (groups * self.filters,),
                                      initializer=grouped_init)
        self.bias = self.add_weight(name="bias", shape=(groups * self.filters,), initializer="zeros")

    def call(self, inputs):
        import tensorflow as tf

        return tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(inputs, self.kernel, 1, "SAME"), self.bias))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.groups * self.filters,)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "groups": self.groups, "kernel_initializer": self.kernel_initializer}


GROUPED_PREFIX = "patches"  # grouped layer "patches_conv5x5" holds the kernels of every "p<i>_conv5x5"


def grouped_encoders(patches, m, conv_init, prefix=GROUPED_PREFIX):
    """STFF Eq. 1 for all m patches at once: (batch, m, h, w, 3) -> (batch, h/8, w/8, 72 m), patch-major channels.

    The output equals the concatenation of the m per-patch encoders' outputs
    (:func:`patch_encoder`) when the grouped kernels are theirs side by side.
    """
    _, _, height, width, channels = patches.shape
    x = layers.Permute((2, 3, 1, 4), name=f"{prefix}_to_channels")(patches)       # (batch, h, w, m, 3)
    x = layers.Reshape((height, width, m * channels), name=f"{prefix}_stack")(x)  # patch-major channels

    def conv(filters, size, name):
        return GroupedConv2D(filters, size, m, kernel_initializer=conv_init, name=f"{prefix}_{name}")

    x = conv(4, 5, "conv5x5")(x)
    x = _pool(f"{prefix}_pool1")(x)
    x = conv(8, 3, "conv3x3")(x)
    h = _pool(f"{prefix}_H")(x)
    branches = [_pool(f"{prefix}_b0_pool")(h)]
    for size in BRANCH_KERNELS:
        branch = conv(BRANCH_FILTERS, size, f"b{size}_conv")(h)
        branches.append(_pool(f"{prefix}_b{size}_pool")(branch))
    # Concatenate per patch, not per branch: (h, w, m, c_branch) each, joined on c, then flattened again.
    rows, cols = branches[0].shape[1], branches[0].shape[2]
    split = [layers.Reshape((rows, cols, m, b.shape[-1] // m), name=f"{prefix}_split{i}")(b)
             for i, b in enumerate(branches)]
    x = layers.Concatenate(name=f"{prefix}_concat_per_patch")(split)
    return layers.Reshape((rows, cols, m * ENCODER_CHANNELS), name=f"{prefix}_concat")(x)
