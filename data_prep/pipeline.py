"""Readers for training: patches and tf.data pipelines straight from the HDF5 cache.

No image file is decoded here: frames come as uint8 arrays from the cache, and
patches are cut at load time (the cache holds regions, so one cache serves
every m).
"""
import numpy as np

from data_prep.regions import REGION_NAMES, grid_side


def split_patches(regions, m, size, antialias=True):
    """Cut frames of one region into m patches, row by row (STFF section 3.1).

    ``regions``: uint8 or float array/tensor (..., H, W, C). The region is first
    resized (bilinear, antialiased unless ``antialias`` is False: the authors'
    ``tf.image.resize`` default, CNN_SE.py:176) to (sqrt(m) * size[0],
    sqrt(m) * size[1]) when it is not that size already. Returns a float32 tensor
    (..., m, size[0], size[1], C). Works eagerly on NumPy arrays and inside
    ``tf.data`` maps.
    """
    import tensorflow as tf

    side = grid_side(m)
    regions = tf.convert_to_tensor(regions)
    lead = tf.shape(regions)[:-3]
    height, width, channels = regions.shape[-3], regions.shape[-2], regions.shape[-1]
    target = (side * size[0], side * size[1])
    flat = tf.cast(tf.reshape(regions, tf.concat([[-1], [height, width, channels]], 0)), tf.float32)
    if (height, width) != target:
        flat = tf.image.resize(flat, target, method="bilinear", antialias=antialias)
    grid = tf.reshape(flat, (-1, side, size[0], side, size[1], channels))
    grid = tf.transpose(grid, (0, 1, 3, 2, 4, 5))
    return tf.reshape(grid, tf.concat([lead, [m, size[0], size[1], channels]], 0))


def frame_dataset(arrays, names, m, patch_sizes, batch_size, targets=None, weights=None, shuffle_buffer=None,
                  seed=None, antialias=True):
    """tf.data of frame batches for the spatial models of several regions at once.

    ``arrays``: per input uint8 (N, H, W, 3); ``names``: the input names (R0..R5
    or face); ``targets``: per input (N, k) one-hot labels, or None to yield
    inputs only; ``weights``: per input (N,) sample weights. Yields
    ``({"R0": patches, ...}, {"R0": target, ...}[, {"R0": weight, ...}])`` with
    patches (batch, m, ph, pw, 3) float32 in the 0..255 range (the models
    rescale). Every frame is read once for all regions.
    """
    import tensorflow as tf

    elements = (dict(zip(names, arrays)),)
    if targets is not None:
        elements += (dict(zip(names, targets)),)
        if weights is not None:
            elements += (dict(zip(names, weights)),)
    dataset = tf.data.Dataset.from_tensor_slices(elements if len(elements) > 1 else elements[0])
    if shuffle_buffer:
        dataset = dataset.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size)

    def to_patches(x, *rest):
        x = {name: split_patches(x[name], m, size, antialias) for name, size in zip(names, patch_sizes)}
        return (x,) + rest if rest else x

    return dataset.map(to_patches, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


def sequence_dataset(cache_path, keys, regions=range(6)):
    """tf.data streaming whole sequences from the cache, one sample at a time.

    Yields ``(key, {"R0": (T, H, W, 3) uint8, ...})``; reads lazily with h5py, so
    a cache larger than memory can be walked (feature extraction, prediction).
    """
    import tensorflow as tf

    from data_prep.cache import RegionCache

    regions = list(regions)
    with RegionCache(cache_path) as cache:
        shapes = cache.region_shapes()
    names = [REGION_NAMES[r] for r in regions]

    def generate():
        with RegionCache(cache_path) as cache:
            for key in keys:
                frames = cache.regions(key)
                yield key, {name: frames[r] for name, r in zip(names, regions)}

    signature = (tf.TensorSpec((), tf.string),
                 {name: tf.TensorSpec((None,) + tuple(shapes[r]) + (3,), tf.uint8)
                  for name, r in zip(names, regions)})
    return tf.data.Dataset.from_generator(generate, output_signature=signature)


def cut_patches(regions, m, size, antialias=True):
    """:func:`split_patches` on any Keras backend, as a NumPy float32 array (..., m, size[0], size[1], C).

    TensorFlow runs :func:`split_patches` itself; the other backends resize with
    ``keras.ops.image.resize`` (bilinear, same antialias flag) and cut in NumPy.
    tests/test_backends.py measures how far the backends' resizes are apart.
    """
    import keras

    if keras.backend.backend() == "tensorflow":
        return split_patches(regions, m, size, antialias).numpy()
    side = grid_side(m)
    regions = np.asarray(regions)
    lead, (height, width, channels) = regions.shape[:-3], regions.shape[-3:]
    target = (side * size[0], side * size[1])
    flat = regions.reshape((-1, height, width, channels)).astype(np.float32)
    if (height, width) != target and len(flat):
        flat = keras.ops.convert_to_numpy(keras.ops.image.resize(flat, target, interpolation="bilinear",
                                                                 antialias=antialias))
    grid = flat.reshape((-1, side, size[0], side, size[1], channels)).transpose(0, 1, 3, 2, 4, 5)
    return np.ascontiguousarray(grid.reshape(lead + (m, size[0], size[1], channels)), dtype=np.float32)


def frame_batches(arrays, names, m, patch_sizes, batch_size, targets=None, weights=None, seed=None,
                  antialias=True):
    """NumPy twin of :func:`frame_dataset` for backends without tf.data: a list-like of batches.

    Same elements as :func:`frame_dataset`; with ``seed`` the frames are
    shuffled, a new full permutation per pass (``iter`` again), else in order.
    Patches are cut per batch, so all frames' patches are never in memory at once.
    """
    return _FrameBatches(arrays, names, m, patch_sizes, batch_size, targets, weights, seed, antialias)


class _FrameBatches:
    def __init__(self, arrays, names, m, patch_sizes, batch_size, targets, weights, seed, antialias):
        self.arrays, self.names, self.m, self.patch_sizes = arrays, list(names), m, patch_sizes
        self.batch_size, self.targets, self.weights, self.antialias = batch_size, targets, weights, antialias
        self.rng = None if seed is None else np.random.default_rng(seed)
        self.n = len(arrays[0])

    def __len__(self):
        return -(-self.n // self.batch_size)

    def __iter__(self):
        order = np.arange(self.n) if self.rng is None else self.rng.permutation(self.n)
        for start in range(0, self.n, self.batch_size):
            chosen = order[start:start + self.batch_size]
            x = {name: cut_patches(array[chosen], self.m, size, self.antialias)
                 for name, array, size in zip(self.names, self.arrays, self.patch_sizes)}
            if self.targets is None:
                yield x
                continue
            element = (x, {name: np.asarray(t)[chosen] for name, t in zip(self.names, self.targets)})
            if self.weights is not None:
                element += ({name: np.asarray(w)[chosen] for name, w in zip(self.names, self.weights)},)
            yield element
