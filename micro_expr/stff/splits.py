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


def frame50_indices(owner, items, test_dataset=None, fraction=0.5, seed=42, allow_test_frames=False):
    """Sorted indices of the frames the shared spatial stage trains on.

    ``owner``: item index of every frame (``micro_expr.stff.data.load_frames``);
    ``items``: the run's :class:`micro_expr.core.system.Item` list; ``test_dataset``:
    the held-out dataset of a cross-dataset run, None for LOSO.

    With ``test_dataset`` None this is exactly the code's draw (a seeded
    permutation of all frames, the first ``fraction`` kept). Otherwise the
    draw runs over the frames of the training datasets only; with
    ``allow_test_frames`` it reproduces the code's draw over all frames and
    logs a warning that the test dataset's frames are in the CNNs' training set.
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
    rng = np.random.default_rng(seed)
    return np.sort(candidates[rng.permutation(len(candidates))[: int(len(candidates) * fraction)]])
