"""Which Keras backend runs, on which device, and which training path each system takes there.

Keras 3 picks its backend from ``KERAS_BACKEND`` when keras is first imported
(micro_expr sets ``tensorflow`` unless told otherwise). The training code asks
this module, in one place, whether to take TensorFlow's fast path (a traced
``tf.function`` step, fused Adam, ``tf.data``; STFF's training layouts calling
``tf.nn.conv2d`` and a ``tf.while_loop``) or the Keras path every backend runs
(``keras.ops`` layers, ``keras.optimizers.Adam``, ``train_on_batch`` on NumPy
batches). docs/backends.md lists the paths.
"""
import os

from data_prep.errors import InputError   # the CLI prints an InputError as one line

BACKENDS = ("tensorflow", "jax", "torch")

# system -> backends it cannot train or predict on, with the reason (none today: every system runs on all three).
UNSUPPORTED = {}


def backend():
    """The running Keras backend's name ('tensorflow', 'jax', 'torch', ...)."""
    import keras

    return keras.backend.backend()


def tensorflow_fast_path():
    """True when STFF's (and the CNN-LSTM's) stages take TensorFlow's fast path; False: the Keras path.

    ``MICRO_EXPR_KERAS_PATH=1`` (for tests only) sends TensorFlow down the Keras path too, so the two paths
    can be compared step by step in one process (tests/test_backends.py).
    """
    return backend() == "tensorflow" and os.environ.get("MICRO_EXPR_KERAS_PATH", "") != "1"


def training_path():
    """A short name of the path the STFF stages take on this backend (recorded in run.json)."""
    return "tensorflow-fast" if tensorflow_fast_path() else "keras"


def device():
    """The device this backend computes on, as a short string ('cpu', 'gpu:0 NVIDIA H200', ...)."""
    name = backend()
    try:
        if name == "jax":
            import jax

            first = jax.devices()[0]
            return f"{first.platform}:{first.id} {getattr(first, 'device_kind', '')}".strip()
        if name == "torch":
            import torch

            if torch.cuda.is_available():
                return f"cuda:0 {torch.cuda.get_device_name(0)}"
            return "cpu"
        if name == "tensorflow":
            import tensorflow as tf

            gpus = tf.config.list_logical_devices("GPU")
            return f"gpu:0 {gpus[0].name}" if gpus else "cpu"
    except Exception as error:  # a broken device query must not stop a run; say what it was
        return f"unknown ({type(error).__name__}: {error})"
    return "unknown"


class BackendError(InputError):
    """A system cannot run on the Keras backend in use (the CLI prints it as one line and exits 2)."""


def check_supported(system):
    """Raise :class:`BackendError` naming the backend and the system when ``system`` cannot run on it."""
    name = backend()
    if name not in BACKENDS:
        raise BackendError(f"Keras backend {name!r} is not supported by {system}: use one of {BACKENDS} "
                           f"(set KERAS_BACKEND before starting)")
    reason = UNSUPPORTED.get(system, {}).get(name)
    if reason:
        raise BackendError(f"{system} cannot run on the Keras backend {name!r}: {reason} "
                           f"(set KERAS_BACKEND to one of {tuple(b for b in BACKENDS if b != name)})")
