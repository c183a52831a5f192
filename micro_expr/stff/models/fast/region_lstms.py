"""The R region LSTMs of the temporal model (STFF Eq. 6, Aouayeb et al.) run as one batched LSTM.

The temporal model has one LSTM per region, each with its own weights. Run one
after the other they cost R recurrences of N small steps each. Here they run
side by side, with the same equations as ``keras.layers.LSTM`` (gates i, f, c, o;
sigmoid, or Keras 2's hard sigmoid with ``recurrent_activation``, and tanh; Keras'
unit forget bias):

    z_t = x_t W + b          (all N steps at once, before the recurrence)
    z_t += h_{t-1} U         (the only per-step matrix product, batched over regions)
    c_t = f * c_{t-1} + i * tanh(g),  h_t = o * tanh(c_t)

With ``masking`` a time step whose feature vector is all zeros keeps the state
(what ``Masking`` + ``LSTM`` do), and the loop stops after the last step that
any sequence of the batch still has: with post-padding the steps after it
would change nothing.
"""
import keras
from keras import layers

from micro_expr.stff.config import keras_initializer

RECURRENT_ACTIVATIONS = ("sigmoid", "hard_sigmoid_keras2")


@keras.saving.register_keras_serializable(package="micro_expr")
def hard_sigmoid_keras2(x):
    """Keras 2's ``hard_sigmoid``, clip(0.2 x + 0.5, 0, 1): the default ``recurrent_activation`` of the
    TF 1.14 ``tf.keras.layers.LSTM`` the authors' LSTM_SE.py:603 builds. (Keras 3's ``hard_sigmoid``
    is relu6(x + 3) / 6 = clip(x / 6 + 0.5, 0, 1), a different function.)"""
    return keras.ops.clip(0.2 * x + 0.5, 0.0, 1.0)


def recurrent_activation(name):
    """The LSTM gate activation of ``temporal.recurrent_activation``: a Keras name or function."""
    if name == "sigmoid":
        return "sigmoid"
    if name == "hard_sigmoid_keras2":
        return hard_sigmoid_keras2
    raise ValueError(f"unknown recurrent activation {name!r}; choose one of {RECURRENT_ACTIVATIONS}")


@keras.saving.register_keras_serializable(package="micro_expr")
class RegionLSTMs(layers.Layer):
    """LSTMs over a list of R inputs (batch, N, F) -> (batch, R x units), region by region.

    Weights are stacked per region: kernel (R, F, 4 units), recurrent_kernel
    (R, units, 4 units), bias (R, 4 units); region r's slices are the weights
    of ``keras.layers.LSTM`` named ``<regions[r]>_lstm``.
    """

    def __init__(self, units, regions, kernel_initializer=1.0, recurrent_initializer=1.0, masking=False,
                 recurrent_activation="sigmoid", **kwargs):
        super().__init__(**kwargs)
        self.units, self.regions, self.masking = int(units), list(regions), bool(masking)
        if recurrent_activation not in RECURRENT_ACTIVATIONS:
            raise ValueError(f"unknown recurrent activation {recurrent_activation!r}; "
                             f"choose one of {RECURRENT_ACTIVATIONS}")
        self.recurrent_activation = recurrent_activation
        self.kernel_initializer, self.recurrent_initializer = kernel_initializer, recurrent_initializer

    def build(self, input_shape):
        import numpy as np

        n, features, units = len(self.regions), input_shape[0][-1], self.units

        def per_region(spec, shape):
            # One fresh initialiser per region drawing the per-region shape, so 'orthogonal' and
            # fan-based initialisers give what R separate LSTMs get (one Keras initialiser
            # instance returns the same values on every call).
            return lambda _shape, dtype=None: keras.ops.stack([keras_initializer(spec)(shape, dtype=dtype)
                                                               for _ in range(n)])

        def unit_forget_bias(_shape, dtype=None):
            bias = np.zeros((n, 4 * units), dtype="float32")
            bias[:, units:2 * units] = 1.0  # keras.layers.LSTM's unit_forget_bias with a zero bias initialiser
            return keras.ops.convert_to_tensor(bias, dtype=dtype)

        self.kernel = self.add_weight(name="kernel", shape=(n, features, 4 * units),
                                      initializer=per_region(self.kernel_initializer, (features, 4 * units)))
        self.recurrent_kernel = self.add_weight(
            name="recurrent_kernel", shape=(n, units, 4 * units),
            initializer=per_region(self.recurrent_initializer, (units, 4 * units)))
        self.bias = self.add_weight(name="bias", shape=(n, 4 * units), initializer=unit_forget_bias)

    def call(self, inputs):
        if keras.backend.backend() != "tensorflow":
            return self._call_keras_ops(inputs)
        import tensorflow as tf

        x = tf.stack(inputs)                                               # (R, batch, N, F)
        batch = tf.shape(x)[1]
        steps, keep = tf.shape(x)[2], None
        if self.masking:
            keep = tf.reduce_any(tf.not_equal(x, 0.0), axis=-1)           # (R, batch, N)
            # Nothing changes after the last step any sequence keeps: the loop stops there. (A bound
            # on the loop, not a slice of x: shapes stay static, so the step also compiles with XLA.)
            steps = tf.reduce_max(tf.where(tf.reduce_any(keep, axis=(0, 1)), tf.range(1, steps + 1), 0))
            keep = tf.transpose(keep, (2, 0, 1))[..., None]               # (N, R, batch, 1)
        recurrent = tf.convert_to_tensor(self.recurrent_kernel)            # read once, outside the loop
        z = tf.einsum("rbnf,rfg->nrbg", x, self.kernel) + self.bias[:, None]  # input projection, hoisted
        # Steps read through a TensorArray: the gradient of z[t] would be a zero tensor of z's full
        # size per step (quadratic in N); a TensorArray's gradient writes one step each.
        z = tf.TensorArray(z.dtype, size=tf.shape(z)[0], element_shape=z.shape[1:]).unstack(z)
        if keep is not None:
            keep = tf.TensorArray(keep.dtype, size=tf.shape(keep)[0], element_shape=keep.shape[1:]).unstack(keep)

        if self.recurrent_activation == "sigmoid":
            gate = tf.sigmoid
        else:  # Keras 2's hard_sigmoid (hard_sigmoid_keras2)
            def gate(v):
                return tf.clip_by_value(0.2 * v + 0.5, 0.0, 1.0)

        def step(t, h, c):
            gates = z.read(t) + tf.matmul(h, recurrent)       # (R, batch, 4 units)
            i, f, g, o = tf.split(gates, 4, axis=-1)
            c_new = gate(f) * c + gate(i) * tf.tanh(g)
            h_new = gate(o) * tf.tanh(c_new)
            if keep is not None:  # a masked step keeps the state
                kept = keep.read(t)
                h_new, c_new = tf.where(kept, h_new, h), tf.where(kept, c_new, c)
            return t + 1, h_new, c_new

        zeros = tf.zeros((len(self.regions), batch, self.units), dtype=z.dtype)
        # maximum_iterations: a static bound XLA needs to stack the loop's values for the gradient.
        _, h, _ = tf.while_loop(lambda t, h, c: t < steps, step, (tf.constant(0), zeros, zeros),
                                maximum_iterations=x.shape[2])
        return tf.reshape(tf.transpose(h, (1, 0, 2)), (batch, len(self.regions) * self.units))

    def _call_keras_ops(self, inputs):
        """The same recurrence with keras.ops (JAX, PyTorch): ``keras.ops.scan`` over all N steps (jax: one
        ``lax.scan``; torch: a Python loop). No early stop: masked steps keep the state, which is the same."""
        ops = keras.ops
        x = ops.stack(inputs)                                              # (R, batch, N, F)
        z = ops.einsum("rbnf,rfg->nrbg", x, self.kernel) + self.bias[:, None]   # (N, R, batch, 4 units)
        if self.masking:
            keep = ops.transpose(ops.any(ops.not_equal(x, 0.0), axis=-1), (2, 0, 1))[..., None]  # (N, R, batch, 1)
        else:
            keep = ops.ones(ops.shape(z)[:3] + (1,), dtype="bool")
        gate = ops.sigmoid if self.recurrent_activation == "sigmoid" else hard_sigmoid_keras2
        recurrent = self.recurrent_kernel

        def step(state, inputs_t):
            h, c = state
            z_t, kept = inputs_t
            gates = z_t + ops.matmul(h, recurrent)                         # (R, batch, 4 units)
            i, f, g, o = ops.split(gates, 4, axis=-1)
            c_new = gate(f) * c + gate(i) * ops.tanh(g)
            h_new = gate(o) * ops.tanh(c_new)
            h_new, c_new = ops.where(kept, h_new, h), ops.where(kept, c_new, c)
            return (h_new, c_new), None

        zeros = ops.zeros((len(self.regions), ops.shape(x)[1], self.units), dtype=z.dtype)
        (h, _), _ = ops.scan(step, (zeros, zeros), (z, keep))
        return ops.reshape(ops.transpose(h, (1, 0, 2)), (-1, len(self.regions) * self.units))

    def compute_output_shape(self, input_shape):
        return (input_shape[0][0], len(self.regions) * self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "regions": self.regions, "masking": self.masking,
                "kernel_initializer": self.kernel_initializer, "recurrent_initializer": self.recurrent_initializer,
                "recurrent_activation": self.recurrent_activation}
