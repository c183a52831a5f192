"""The training layout of the m patch encoders (STFF Eq. 1): one grouped convolution per encoder layer.

It computes what the m per-patch encoders of :mod:`micro_expr.stff.models.patch_cnn` compute (the paper's
layout, in which checkpoints are saved); :func:`micro_expr.stff.models.fast.convert.copy_spatial_weights`
moves weights between the two, and tests/test_fast_layouts.py checks outputs and gradients are the same.
"""
import keras
from keras import layers

from micro_expr.stff.config import keras_initializer
from micro_expr.stff.models.patch_cnn import BRANCH_FILTERS, BRANCH_KERNELS, ENCODER_CHANNELS, _pool

# The m encoders share no weights, so their convolutions can run as one convolution
# per encoder layer with groups = m: the patches are stacked along the channels
# (patch-major, 3 channels per patch) and group g of every layer holds patch g's
# own kernels. One layer per encoder layer instead of m keeps the model small; how its
# group sums are computed depends on the backend (GroupedConv2D).

@keras.saving.register_keras_serializable(package="micro_expr")
class GroupedConv2D(layers.Layer):
    """``groups`` independent 'same' convolutions with ReLU, one per channel group.

    Kernel (k, k, in_channels / groups, groups x filters): output channels
    [g x filters, (g + 1) x filters) are patch g's convolution of input channels
    [g x c, (g + 1) x c). How each backend computes it (measured on CPU):

    - TensorFlow: one ``tf.nn.conv2d`` per group. keras.layers.Conv2D(groups=m)
      goes through an XLA function whose gradient measured about 30x slower; the
      native grouped ``tf.nn.conv2d`` took 8 % less CPU per step, but grappler
      fuses it with the bias and ReLU into a kernel that refuses groups ("Fused
      conv implementation does not support grouped convolutions") and has no
      gradient without oneDNN, so it is not used (docs/performance.md).
    - JAX: one ``keras.ops.conv`` per group: XLA's grouped convolution
      (feature_group_count) differentiates about 25x slower
      (benchmarks/grouped_conv_jax.py).
    - PyTorch: ``keras.ops.conv`` with the grouped kernel (torch's ``groups``).

    tests/test_fast_layouts.py and tests/test_backends.py check that the outputs
    and gradients agree.
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
        backend = keras.backend.backend()
        if backend != "tensorflow":
            if backend == "jax":
                pairs = zip(keras.ops.split(inputs, self.groups, axis=-1),
                            keras.ops.split(self.kernel, self.groups, axis=-1))
                out = keras.ops.concatenate([keras.ops.conv(x, k, strides=1, padding="same") for x, k in pairs],
                                            axis=-1)
            else:   # torch: groups from the kernel's shape
                out = keras.ops.conv(inputs, self.kernel, strides=1, padding="same")
            return keras.ops.relu(out + self.bias)
        import tensorflow as tf

        pairs = zip(tf.split(inputs, self.groups, axis=-1), tf.split(self.kernel, self.groups, axis=-1))
        out = tf.concat([tf.nn.conv2d(x, k, 1, "SAME") for x, k in pairs], axis=-1)
        return tf.nn.relu(tf.nn.bias_add(out, self.bias))

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
