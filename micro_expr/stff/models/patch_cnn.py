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
