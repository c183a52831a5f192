"""The once-for-all 'frame50' split (micro_expr.stff.splits.frame50_indices)."""
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
