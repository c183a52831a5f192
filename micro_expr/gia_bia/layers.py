"""The few layers Keras lacks for the GIA + BIA network (Zhu et al. 2023, section 3)."""
import keras
from keras import ops


@keras.saving.register_keras_serializable(package="gia_bia")
class FoldTime(keras.layers.Layer):
    """(batch, frames, ...) -> (batch * frames, ...): the frames go through the per-frame network together."""

    def call(self, x):
        return ops.reshape(x, (-1,) + tuple(x.shape[2:]))

    def compute_output_shape(self, shape):
        return (None,) + tuple(shape[2:])


@keras.saving.register_keras_serializable(package="gia_bia")
class UnfoldTime(keras.layers.Layer):
    """(batch * frames, features) -> (batch, frames, features), the sequence the Bi-LSTM reads."""

    def __init__(self, frames, **kwargs):
        super().__init__(**kwargs)
        self.frames = frames

    def call(self, x):
        return ops.reshape(x, (-1, self.frames) + tuple(x.shape[1:]))

    def compute_output_shape(self, shape):
        return (None, self.frames) + tuple(shape[1:])

    def get_config(self):
        return {**super().get_config(), "frames": self.frames}


@keras.saving.register_keras_serializable(package="gia_bia")
class BlockCrop(keras.layers.Layer):
    """The identification blocks cut from a feature map (Zhu et al. 2023, section 3.2: IBs are cropped
    after the transfer learning layer).

    Inputs: the per-frame map (batch * frames, h, w, c) and the blocks of each clip (batch, n, 3) as
    (centre x, centre y, side) in fractions of the frame side. Each block is read at cells x cells evenly
    spaced positions (nearest map cell, clipped at the border), as
    :func:`data_prep.key_regions.points.map_cells` does: a 48 px block on 224 is 6 x 6 conv4_2 cells.
    Output: (batch * frames, n, cells * cells * c).
    """

    def __init__(self, cells, frames, **kwargs):
        super().__init__(**kwargs)
        self.cells = cells
        self.frames = frames

    def call(self, inputs):
        feature_map, boxes = inputs
        height, width, channels = feature_map.shape[1:]
        boxes = ops.repeat(boxes, self.frames, axis=0)                      # one copy per frame
        steps = (ops.arange(self.cells, dtype="float32") + 0.5) / self.cells - 0.5

        def indices(centre, size):                                          # (B*T, n, cells)
            position = (centre[..., None] + boxes[..., 2:3] * steps) * size
            return ops.clip(ops.cast(ops.floor(position), "int32"), 0, size - 1)

        rows = indices(boxes[..., 1], height)
        cols = indices(boxes[..., 0], width)
        flat = rows[..., :, None] * width + cols[..., None, :]               # (B*T, n, cells, cells)
        n = boxes.shape[1]
        batch = ops.shape(feature_map)[0]
        offset = ops.reshape(ops.arange(batch, dtype="int32") * (height * width), (-1, 1, 1, 1))
        gathered = ops.take(ops.reshape(feature_map, (-1, channels)), ops.reshape(flat + offset, (-1,)), axis=0)
        return ops.reshape(gathered, (-1, n, self.cells * self.cells * channels))

    def compute_output_shape(self, shapes):
        map_shape, box_shape = shapes
        return (None, box_shape[1], self.cells * self.cells * map_shape[-1])

    def get_config(self):
        return {**super().get_config(), "cells": self.cells, "frames": self.frames}


@keras.saving.register_keras_serializable(package="gia_bia")
class PerBlockDense(keras.layers.Layer):
    """A fully connected layer of its own for every block: (batch, n, in) -> (batch, n, units)."""

    def __init__(self, units, activation=None, l2=0.0, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = keras.activations.get(activation)
        self.l2 = l2

    def build(self, shape):
        regularizer = keras.regularizers.L2(self.l2) if self.l2 else None
        self.kernel = self.add_weight(shape=(shape[1], shape[2], self.units), initializer="glorot_uniform",
                                      regularizer=regularizer, name="kernel")
        self.bias = self.add_weight(shape=(shape[1], self.units), initializer="zeros", name="bias")

    def call(self, x):
        return self.activation(ops.einsum("bnf,nfu->bnu", x, self.kernel) + self.bias)

    def compute_output_shape(self, shape):
        return tuple(shape[:2]) + (self.units,)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "l2": self.l2,
                "activation": keras.activations.serialize(self.activation)}


@keras.saving.register_keras_serializable(package="gia_bia")
class Weighted(keras.layers.Layer):
    """alpha = p * c~ (Zhu et al. 2023, Eq. 3): features scaled by their attention scalar."""

    def call(self, inputs):
        features, weights = inputs
        return features * weights

    def compute_output_shape(self, shapes):
        return shapes[0]
