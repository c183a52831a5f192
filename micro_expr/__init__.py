"""Region-based micro-expression recognition (STFF and its literature) in Keras 3."""
import os

# Keras 3 is multi-backend; the project's models and tf.data pipelines use TensorFlow.
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.1.0"
