"""Region-based micro-expression recognition (STFF and its literature) in Keras 3."""
import functools
import os

# Keras 3 is multi-backend; the project's models and tf.data pipelines use TensorFlow.
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# TensorFlow turns its oneDNN CPU kernels on by itself only on some Intel CPUs: on, on every CPU, so that the
# floats round alike there (every figure in the docs was measured with oneDNN on).
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")


def _version():
    """The installed distribution's version (setup.py), or 0+unknown when the source tree is used uninstalled."""
    from importlib import metadata

    try:
        return metadata.version("micro-expr")
    except metadata.PackageNotFoundError:
        return "0+unknown"


@functools.cache
def git_commit():
    """The git commit of the source tree this package runs from ('<sha>' or '<sha>-dirty'), None outside a checkout.

    Read once per process, when micro_expr is imported: a checkout moved to another commit while a long run
    goes on must not relabel results computed by the code the process loaded (seen: a seeds run recorded the
    commit main had moved to meanwhile).
    """
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    if not (root / ".git").exists():
        return None
    try:
        sha = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True,
                             timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return (sha + ("-dirty" if dirty else "")) if sha else None


__version__ = _version()
git_commit()   # now, while the loaded code is the checkout's
