"""From dataset folders and coding sheets to a cache of six facial regions per frame."""
import os

# Quiet TensorFlow's start-up logging when the pipelines import it.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
