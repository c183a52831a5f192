"""Install the reference implementation of region-based micro-expression recognition."""
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent


def read_requirements():
    lines = (HERE / "requirements.txt").read_text().splitlines()
    return [line.split("#")[0].strip() for line in lines if line.split("#")[0].strip()]


setup(
    name="micro-expr",
    version="0.1.0",
    description="STFF and related region-based micro-expression recognition in Keras 3",
    long_description=(HERE / "README.md").read_text(),
    long_description_content_type="text/markdown",
    python_requires=">=3.10",
    packages=find_packages(include=["micro_expr", "micro_expr.*", "data_prep", "data_prep.*"]),
    install_requires=read_requirements(),
    # ray: folds on a Ray cluster (mer train --engine ray); the tests run a local Ray cluster, so they need it too.
    # pytest-xdist: the suite runs its test files on up to 4 worker processes (most tests keep one core busy).
    # nbclient, nbformat, ipykernel: tests/test_lab_notebooks.py runs the lab course (docs/lab/*.ipynb) top to
    # bottom in a Jupyter kernel, as a student would, and checks that the committed notebooks hold no outputs.
    # jax / torch: train and predict on Keras' JAX or PyTorch backend (KERAS_BACKEND=jax|torch; docs/backends.md).
    # For torch, pick the build for your machine (CPU or CUDA) from pytorch.org; 2.13.0 is the version
    # tests/test_backends.py was checked against.
    # The tests run JAX's backend checks (tests/test_backends.py); torch's run where torch is installed (the PyPI
    # wheel pulls in CUDA libraries of several GB, too much for every test run).
    extras_require={"test": ["pytest>=7", "pytest-xdist>=3", "ray>=2.9", "nbclient>=0.8", "nbformat>=5.7",
                             "ipykernel>=6.20", "jax>=0.4.34"],
                    "ray": ["ray>=2.9"], "jax": ["jax>=0.4.34"], "torch": ["torch>=2.2"]},
    entry_points={"console_scripts": ["mer=micro_expr.cli:main"]},
)
