"""The once-for-all frame split of the authors' code ('frame50', spec section 2), as a pure function.

The STFF code (and, we assume, its predecessor's, Aouayeb et al. 2021) trains
the spatial models once, before any fold, on a random half of *all* frames.
Under LOSO this mixes every subject's frames (the leak the ``strict`` presets
remove). Under a cross-dataset protocol (Aouayeb et al. 2021, Tables 12-13)
it would also train the CNNs on frames of the *test dataset*, which turns a
cross-dataset result into a within-dataset one: :func:`frame50_indices` leaves
those frames out unless told otherwise, and then says so loudly.
"""
import logging

import numpy as np

log = logging.getLogger(__name__)


def frame50_indices(owner, items, test_dataset=None, fraction=0.5, seed=42, allow_test_frames=False, draw="numpy"):
    """Indices of the frames the shared spatial stage trains on.

    ``owner``: item index of every frame (``micro_expr.stff.data.load_frames``);
    ``items``: the run's :class:`micro_expr.core.system.Item` list; ``test_dataset``:
    the held-out dataset of a cross-dataset run, None for LOSO.

    ``draw`` ``numpy`` (the project): a ``numpy.random.default_rng(seed)``
    permutation, the first ``int(n * fraction)`` kept, sorted. ``sklearn`` (the
    authors' CNN_SE.py:609): ``train_test_split(frames, test_size=1 - fraction,
    random_state=seed)`` and the *train* part kept, in the order it returns
    (the second part of a ``RandomState(seed)`` permutation); it is the code's
    draw when the frames are in the code's order (CASME II then SAMM, every
    frame of each sequence in the order of Data_url_*.csv, see
    docs/original-code.md). With ``test_dataset`` set the draw runs over the
    frames of the training datasets only; with ``allow_test_frames`` it runs
    over all frames and logs a warning that the test dataset's frames are in
    the CNNs' training set.
    """
    owner = np.asarray(owner)
    candidates = np.arange(len(owner))
    if test_dataset is not None:
        in_test = np.array([items[i].dataset == test_dataset for i in owner], dtype=bool)
        if allow_test_frames:
            log.warning("frame50 split over ALL frames: %d frames of the test dataset %s are in the spatial "
                        "models' training pool (the authors' code; not a cross-dataset result)",
                        int(in_test.sum()), test_dataset)
        else:
            candidates = candidates[~in_test]
    if draw == "sklearn":
        from sklearn.model_selection import train_test_split

        train, _ = train_test_split(candidates, test_size=1 - fraction, random_state=seed)
        return np.asarray(train)
    if draw != "numpy":
        raise ValueError(f"unknown frame50 draw {draw!r}; choose 'numpy' or 'sklearn'")
    rng = np.random.default_rng(seed)
    return np.sort(candidates[rng.permutation(len(candidates))[: int(len(candidates) * fraction)]])
