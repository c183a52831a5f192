"""The LOSO folds (micro_expr.core.folds, checked against scikit-learn's LeaveOneGroupOut) and the once-for-all
'frame50' split (micro_expr.stff.splits.frame50_indices)."""
import logging

import numpy as np

from micro_expr.core.system import Item
from micro_expr.stff.splits import frame50_indices

ITEMS = [Item("a", "casme2", "casme2/sub01", 0, 4), Item("b", "samm", "samm/006", 1, 6),
         Item("c", "smic", "smic/s01", 2, 10)]
OWNER = np.repeat([0, 1, 2], [4, 6, 10])


def test_loso_is_the_codes_draw_over_all_frames():
    chosen = frame50_indices(OWNER, ITEMS, None, 0.5, 42)
    expected = np.sort(np.random.default_rng(42).permutation(20)[:10])
    assert chosen.tolist() == expected.tolist()


def test_cross_dataset_never_draws_test_frames():
    for seed in range(20):
        chosen = frame50_indices(OWNER, ITEMS, "smic", 0.5, seed)
        assert len(chosen) == 5 and set(OWNER[chosen]) <= {0, 1}
        assert np.all(np.diff(chosen) > 0)


def test_test_frames_only_when_asked_and_loudly(caplog):
    with caplog.at_level(logging.WARNING, logger="micro_expr.stff.splits"):
        chosen = frame50_indices(OWNER, ITEMS, "smic", 0.5, 42, allow_test_frames=True)
    assert chosen.tolist() == frame50_indices(OWNER, ITEMS, None, 0.5, 42).tolist()
    assert 2 in set(OWNER[chosen])
    assert "10 frames of the test dataset smic" in caplog.text


def test_loso_folds_are_sklearns_leave_one_group_out_on_the_real_megc_sheets(casme2_coding, samm_coding):
    from sklearn.model_selection import LeaveOneGroupOut

    from data_prep.protocols import megc_samples
    from micro_expr.core.folds import loso_folds

    samples = list(megc_samples(casme2_coding, samm_coding))
    items = [Item(f"{s.dataset}/{s.subject}/{s.sample}", s.dataset, f"{s.dataset}/{s.subject}", 0, 1) for s in samples]
    groups = [item.subject for item in items]
    ours = [(list(f.train), list(f.test)) for f in loso_folds(items)]
    theirs = [(train.tolist(), test.tolist()) for train, test in LeaveOneGroupOut().split(items, groups=groups)]
    assert len(ours) == len(set(groups)) == 52 and ours == theirs   # the CASME II and SAMM subjects of MEGC 2019
