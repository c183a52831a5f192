"""A hand-written NumPy forward pass of MEAN, used to check our Keras model on the published weights.

It uses only NumPy and the arrays read from the file (``PublishedCheckpoint``),
so a mistake in how we build or fill the Keras model shows up as a difference.
Inference mode: dropout is the identity, batch norm uses the moving statistics.
"""
import numpy as np

from micro_expr.mean.model import STREAMS

BN_EPSILON = 1e-3  # Keras' default, also in the published model configs


def conv2d_same(x, kernel, bias):
    """Stride-1 convolution with 'same' zero padding; x (N, H, W, Cin), kernel (kh, kw, Cin, Cout)."""
    kh, kw = kernel.shape[:2]
    top, left = (kh - 1) // 2, (kw - 1) // 2
    padded = np.pad(x, ((0, 0), (top, kh - 1 - top), (left, kw - 1 - left), (0, 0)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, (kh, kw), axis=(1, 2))  # N, H, W, Cin, kh, kw
    return np.einsum("nhwcij,ijco->nhwo", windows, kernel, optimize=True) + bias


def relu(x):
    return np.maximum(x, 0.0)


def batch_norm(x, gamma, beta, moving_mean, moving_variance, epsilon=BN_EPSILON):
    """Inference batch norm: gamma * (x - mean) / sqrt(variance + epsilon) + beta."""
    return gamma * (x - moving_mean) / np.sqrt(moving_variance + epsilon) + beta


def max_pool_same(x, size, stride):
    """Max pooling with TensorFlow's 'same' padding (pad with -inf, extra padding after)."""
    n, height, width, channels = x.shape
    out_h, out_w = -(-height // stride), -(-width // stride)
    pad_h = max((out_h - 1) * stride + size - height, 0)
    pad_w = max((out_w - 1) * stride + size - width, 0)
    padded = np.pad(x, ((0, 0), (pad_h // 2, pad_h - pad_h // 2), (pad_w // 2, pad_w - pad_w // 2), (0, 0)),
                    constant_values=-np.inf)
    windows = np.lib.stride_tricks.sliding_window_view(padded, (size, size), axis=(1, 2))
    return windows[:, ::stride, ::stride].max(axis=(-2, -1))[:, :out_h, :out_w]


def softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _head(features, arrays, task):
    conv, dense = arrays[f"{task}_conv"], arrays[task]
    x = relu(conv2d_same(features, conv["kernel"], conv["bias"]))
    x = max_pool_same(x, 2, 2)
    x = x.reshape(len(x), -1)  # flatten, channels last (row, column, channel)
    z = x @ dense["kernel"] + dense["bias"]
    return z if task == "spot" else softmax(z)  # MEAN Eq. 7 linear, Eq. 9 softmax


def reference_outputs(checkpoint, inputs):
    """{task: output} of MEAN for ``inputs`` = [u, v, strain], each (N, 42, 42, 1), in float64."""
    arrays = {ours: values for ours, (_, values) in checkpoint.weights_by_layer().items()}
    branches = []
    for (stream, _), x in zip(STREAMS, inputs):
        conv, bn = arrays[f"{stream}_conv"], arrays[f"{stream}_bn"]
        x = relu(conv2d_same(np.asarray(x, np.float64), conv["kernel"], conv["bias"]))
        x = batch_norm(x, bn["gamma"], bn["beta"], bn["moving_mean"], bn["moving_variance"])
        branches.append(max_pool_same(x, 3, 3))
    features = np.concatenate(branches, axis=-1)
    return {task: _head(features, arrays, task) for task in checkpoint.tasks}
