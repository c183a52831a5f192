"""The "classic CNN" that Aouayeb et al. 2021 (section 4.3.2, Table 6, Figure 10) compare with their
shallow inception CNN.

Figure 10's drawing is not in our copy of the paper, only its caption ("a
classic CNN for the left eye region") and Table 6's verdict. Our reading keeps
everything of the proposed CNN but its inception part: the same six
convolutions (4@5x5, 8@3x3, then 16 filters of 1x1, 3x3, 5x5 and 7x7) are
chained one after the other instead of running the last four in parallel,
each followed by a 2x2 max-pool, as a plain VGG-style stack would be. So
Table 6 compares structure (parallel multi-scale branches vs a chain), not
the number of layers or filter sizes.

    Out = MP(Conv_16^7(MP(Conv_16^5(MP(Conv_16^3(MP(Conv_16^1(MP(Conv_8^3(MP(Conv_4^5(P))))))))))))

All convolutions 'same' with ReLU, max-pools 2x2 'same'; 16 output channels at
1/64 resolution. Parameters (3 input channels): 304 + 296 + 144 + 2320 + 6416
+ 12560 = 22040. The function has :func:`micro_expr.stff.models.patch_cnn.patch_encoder`'s
signature, so ``spatial.encoder = 'classic'`` swaps it in.
"""
from keras import layers

from micro_expr.stff.config import keras_initializer

# (filters, kernel size) of the chain, in order.
CLASSIC_LAYERS = ((4, 5), (8, 3), (16, 1), (16, 3), (16, 5), (16, 7))
CLASSIC_CHANNELS = CLASSIC_LAYERS[-1][0]


def classic_encoder(patch, prefix, conv_init):
    """Apply the chain to ``patch`` (batch, h, w, channels); returns the 16-channel map."""
    x = patch
    for i, (filters, size) in enumerate(CLASSIC_LAYERS, 1):
        x = layers.Conv2D(filters, size, padding="same", activation="relu",
                          kernel_initializer=keras_initializer(conv_init), bias_initializer="zeros",
                          name=f"{prefix}_classic{i}_conv{size}x{size}")(x)
        x = layers.MaxPooling2D(pool_size=2, padding="same", name=f"{prefix}_classic{i}_pool")(x)
    return x
