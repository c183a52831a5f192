"""Readers for training: patches cut at load time, tf.data from the cache without decoding images."""
import numpy as np
import pytest

from data_prep.cache import RegionCache
from data_prep.pipeline import (FrameTable, PatchCache, array_batches, frame_dataset, sequence_dataset,
                               split_patches)
from data_prep.regions import REGION_NAMES, patch_size

CASME2_SIZES = [(80, 100), (80, 100), (80, 120), (60, 60), (60, 60), (60, 160)]


def test_split_patches_cuts_row_by_row_without_resampling_when_sizes_fit():
    region = np.arange(2 * 80 * 100 * 3, dtype=np.float32).reshape(2, 80, 100, 3)
    patches = split_patches(region, 4, patch_size((80, 100), 4)).numpy()
    assert patches.shape == (2, 4, 40, 50, 3)
    for index, (row, col) in enumerate([(0, 0), (0, 1), (1, 0), (1, 1)]):
        np.testing.assert_array_equal(patches[:, index], region[:, 40 * row:40 * (row + 1), 50 * col:50 * (col + 1)])


@pytest.mark.parametrize("m", [1, 4, 9, 16])
@pytest.mark.parametrize("mode", ["paper", "original"])
def test_patch_shapes_for_every_m(m, mode):
    side = int(m ** 0.5)
    for size in CASME2_SIZES:
        # original, for one region alone: half its width as rows, half its height as columns (CNN_SE.py:627-631)
        expected = (size[0] // side, size[1] // side) if mode == "paper" else (size[1] // 2, size[0] // 2)
        assert patch_size(size, m, mode) == expected
        frames = np.full((3,) + size + (3,), 7, dtype=np.uint8)
        patches = split_patches(frames, m, expected).numpy()
        assert patches.shape == (3, m) + expected + (3,)
        np.testing.assert_allclose(patches, 7.0, atol=1e-3)  # a flat image stays flat through the resize


def test_bad_m_is_refused():
    with pytest.raises(ValueError, match="must be a square"):
        patch_size((80, 100), 6)


@pytest.mark.slow
def test_frame_dataset_reads_all_regions_once_with_labels_and_weights(tiny_cache):
    with RegionCache(tiny_cache) as cache:
        keys = cache.keys[:2]
        arrays = [np.concatenate([cache.region(k, r) for k in keys]) for r in range(6)]
    n = len(arrays[0])
    sizes = [patch_size(s, 9) for s in CASME2_SIZES]
    targets = [np.eye(3, dtype=np.float32)[np.arange(n) % 3] for _ in range(6)]
    weights = [np.linspace(0, 1, n, dtype=np.float32) for _ in range(6)]
    dataset = frame_dataset(arrays, REGION_NAMES, 9, sizes, batch_size=5, targets=targets, weights=weights)
    batches = list(dataset)
    assert sum(int(b[0]["R0"].shape[0]) for b in batches) == n == 12
    x, y, w = batches[0]
    assert [tuple(x[name].shape) for name in REGION_NAMES] == [(5, 9) + s + (3,) for s in sizes]
    np.testing.assert_array_equal(y["R5"].numpy(), targets[5][:5])
    np.testing.assert_allclose(w["R2"].numpy(), weights[2][:5])
    # Inputs only, for feature extraction: same patches, no labels.
    only = next(iter(frame_dataset(arrays, REGION_NAMES, 9, sizes, batch_size=5)))
    np.testing.assert_array_equal(only["R3"].numpy(), x["R3"].numpy())


def _old_frame_dataset(arrays, m, sizes, batch_size, targets, weights, shuffle_buffer, seed):
    """The pipeline before FrameTable (main at 99b3645): the frames themselves shuffled and batched."""
    import tensorflow as tf

    elements = (dict(zip(REGION_NAMES, arrays)), dict(zip(REGION_NAMES, targets)), dict(zip(REGION_NAMES, weights)))
    dataset = tf.data.Dataset.from_tensor_slices(elements).shuffle(shuffle_buffer, seed=seed,
                                                                   reshuffle_each_iteration=True)
    return dataset.batch(batch_size).map(
        lambda x, y, w: ({n: split_patches(x[n], m, size) for n, size in zip(REGION_NAMES, sizes)}, y, w))


def _clips_and_labels(tiny_cache):
    with RegionCache(tiny_cache) as cache:
        clips = [[cache.region(k, r) for r in range(6)] for k in cache.keys[:4]]
    n = sum(len(clip[0]) for clip in clips)
    targets = [np.eye(3, dtype=np.float32)[np.arange(n) % 3] for _ in range(6)]
    weights = [np.linspace(0, 1, n, dtype=np.float32) for _ in range(6)]
    return clips, targets, weights


def _assert_same_batches(a, b, epochs=2):
    a, b = [e for _ in range(epochs) for e in a], [e for _ in range(epochs) for e in b]
    assert len(a) == len(b) > 2
    for (xa, ya, wa), (xb, yb, wb) in zip(a, b):
        for name in REGION_NAMES:   # bit for bit, not within a tolerance
            np.testing.assert_array_equal(xa[name].numpy(), xb[name].numpy())
            np.testing.assert_array_equal(ya[name].numpy(), yb[name].numpy())
            np.testing.assert_array_equal(wa[name].numpy(), wb[name].numpy())


@pytest.mark.slow
def test_frames_read_in_place_and_cut_once_give_the_old_batches(tiny_cache):
    """The clips' frames gathered per batch (FrameTable) and their patches cut once (PatchCache) give the
    batches of the old pipeline, which shuffled copies of the frames: same frames, order, labels, floats."""
    clips, targets, weights = _clips_and_labels(tiny_cache)
    stacked = [np.concatenate([clip[r] for clip in clips]) for r in range(6)]
    sizes = [patch_size(s, 9) for s in CASME2_SIZES]   # R0-R2 are resized, R3-R5 are not
    options = dict(batch_size=5, targets=targets, weights=weights, shuffle_buffer=8, seed=3)
    old = lambda: _old_frame_dataset(stacked, 9, sizes, 5, targets, weights, 8, 3)   # noqa: E731 (each pass reshuffles)
    table = FrameTable(clips)
    assert len(table) == len(stacked[0]) and list(table.owner[:3]) == [0, 0, 0]
    np.testing.assert_array_equal(table.take(np.array([7, 0, 3]), 2), stacked[2][[7, 0, 3]])
    _assert_same_batches(old(), frame_dataset(table, REGION_NAMES, 9, sizes, **options))
    cache = PatchCache(9, sizes)
    _assert_same_batches(old(), frame_dataset(table, REGION_NAMES, 9, sizes, patch_cache=cache, **options))
    assert cache.nbytes == sum(len(s) * 9 * h * w * 3 * 4 for s, (h, w) in zip(stacked, sizes))
    # A subset (the fold's 50 % draw) reads the same cached patches: nothing is cut again.
    chosen = np.array([1, 4, 5, 9, 2])
    subset = table.subset(chosen)
    np.testing.assert_array_equal(subset.take(np.arange(5), 0), stacked[0][chosen])
    before = cache.nbytes
    batch = next(iter(frame_dataset(subset, REGION_NAMES, 9, sizes, batch_size=5, patch_cache=cache)))
    assert cache.nbytes == before
    np.testing.assert_array_equal(batch["R1"].numpy(), split_patches(stacked[1][chosen], 9, sizes[1]).numpy())


@pytest.mark.slow
def test_a_patch_cache_too_small_cuts_per_batch(tiny_cache, caplog):
    clips, targets, weights = _clips_and_labels(tiny_cache)
    sizes = [patch_size(s, 9) for s in CASME2_SIZES]
    small = PatchCache(9, sizes, max_bytes=1e6)
    with caplog.at_level("INFO", logger="data_prep.pipeline"):
        assert small.patches(FrameTable(clips)) is None
    assert small.nbytes == 0 and "patches cut per batch" in caplog.text and "MER_PATCH_CACHE_GB" in caplog.text
    options = dict(batch_size=4, targets=targets, weights=weights)
    _assert_same_batches(frame_dataset(FrameTable(clips), REGION_NAMES, 9, sizes, **options),
                         frame_dataset(FrameTable(clips), REGION_NAMES, 9, sizes, patch_cache=small, **options),
                         epochs=1)


def test_array_batches_read_in_place_give_the_old_batches():
    """The temporal stage's batches (padded sequences, one-hot labels, weights) gathered by index are the
    batches of from_tensor_slices + a full shuffle, bit for bit, two passes, shuffled and in order."""
    import tensorflow as tf

    from micro_expr.stff.training import one_hot, sample_weights

    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 13)
    elements = ({name: rng.standard_normal((13, 20, 8)).astype(np.float32) for name in REGION_NAMES},
                {"classes": one_hot(labels, 3)}, {"classes": sample_weights([0.2, 0.5, 0.3], labels)})
    for seed in (5, None):
        old = tf.data.Dataset.from_tensor_slices(elements)
        old = (old.shuffle(13, seed=seed, reshuffle_each_iteration=True) if seed is not None else old).batch(4)
        new = array_batches(elements, 4, seed)
        assert new.element_spec == old.element_spec
        passes = [(a, b) for _ in range(2) for a, b in zip(old, new)]
        assert len(passes) == 8
        for a, b in passes:
            for x, y in zip(tf.nest.flatten(a), tf.nest.flatten(b)):
                np.testing.assert_array_equal(x.numpy(), y.numpy())
    orders = [next(iter(array_batches(elements, 13, 5)))[1]["classes"].numpy() for _ in range(2)]
    assert sorted(map(tuple, orders[0])) == sorted(map(tuple, one_hot(labels, 3)))   # every row once


def test_sequence_dataset_streams_whole_sequences(tiny_cache):
    with RegionCache(tiny_cache) as cache:
        keys, expected = cache.keys, cache.region(cache.keys[4], 5)
    sequences = list(sequence_dataset(tiny_cache, keys, regions=[0, 5]))
    assert len(sequences) == 9
    key, regions = sequences[4]
    assert key.numpy().decode() == keys[4]
    assert sorted(regions) == ["R0", "R5"]
    np.testing.assert_array_equal(regions["R5"].numpy(), expected)
    assert regions["R0"].shape == (6, 80, 100, 3)
