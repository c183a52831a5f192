"""MEAN, the spot-then-recognize Micro-Expression Analysis Network (Liong et al. 2023), in Keras 3.

Modules:
- ``model``: the three-stream trunk, the spotting and recognition heads, inductive transfer;
- ``published``: loading the authors' Keras 2 checkpoints (``load_published``);
- ``reference``: a NumPy forward pass used to check the loaded models;
- ``features``: face crop, TV-L1 optical flow, optical strain and the 42 x 42 ROI input;
- ``spotting``: pseudo-labels, score smoothing and peak detection;
- ``metrics``: spotting F1 and AP@[.5:.95], analysis F1 / UF1 / UAR, STRS;
- ``pipeline``: running a model on the samples of a region cache, and LOSO training;
- ``verify``: ``python -m micro_expr.mean.verify DIR`` compares every published file with the NumPy pass.
"""


def load_published(path):
    """A ready Keras 3 model from a published MEAN ``spot``, ``recog`` or ``spot_recog`` file.

    See ``micro_expr.mean.published.load_published``; Keras is imported only when called.
    """
    from micro_expr.mean.published import load_published as load

    return load(path)
