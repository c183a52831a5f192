"""Readers for training: patches and tf.data pipelines straight from the HDF5 cache.

No image file is decoded here: frames come as uint8 arrays from the cache, and
patches are cut at load time (the cache holds regions, so one cache serves
every m): once per run when they fit in memory (:class:`PatchCache`), else per
batch. A fold's frames are read in place from its clips (:class:`FrameTable`).
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


class FrameTable:
    """The frames of many clips for several model inputs, read in place: nothing is concatenated.

    ``clips``: per clip, one uint8 (T, H, W, 3) array per model input (what ``load_inputs`` returns). A
    batch gathers its frames from the clips' own arrays (:meth:`take`), so a fold holds no second copy of its
    frames (a full MEGC fold: 25,518 frames, 3.2 GB as regions); :meth:`subset` takes some of them.
    """

    def __init__(self, clips):
        self.clips = list(clips)
        self.n_inputs = len(self.clips[0]) if self.clips else 0
        self.inputs = [[clip[i] for clip in self.clips] for i in range(self.n_inputs)]   # per input, per clip
        lengths = np.array([len(clip[0]) for clip in self.clips], dtype=np.int64)
        self.owner = np.repeat(np.arange(len(self.clips), dtype=np.int32), lengths)
        self.position = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)

    @classmethod
    def of(cls, frames):
        """``frames`` as a FrameTable: one already, or per input a uint8 (N, H, W, 3) array (one 'clip')."""
        return frames if isinstance(frames, cls) else cls([list(frames)])

    def subset(self, chosen):
        """The frames ``chosen`` (indices into this table's frames), a table on the same arrays."""
        table = FrameTable.__new__(FrameTable)
        table.clips, table.n_inputs, table.inputs = self.clips, self.n_inputs, self.inputs
        table.owner, table.position = self.owner[chosen], self.position[chosen]
        return table

    def __len__(self):
        return len(self.owner)

    def shape(self, i):
        """(H, W, C) of input ``i``."""
        return self.clips[0][i].shape[1:]

    def take(self, indices, i, source=None):
        """Input ``i`` of frames ``indices`` (of this table) as one array; ``source``: per clip, the array
        to read instead of the clip's own (its cut patches, :class:`PatchCache`)."""
        clips = self.inputs[i] if source is None else source
        if len(self.clips) == 1:   # one stack of frames: a plain NumPy gather
            return clips[0][self.position[indices]]
        return np.stack([clips[c][t] for c, t in zip(self.owner[indices], self.position[indices])])


class PatchCache:
    """The cut patches of every clip, kept for the whole run, so that a frame is cut (and resized) once and not
    in every epoch, fold and feature pass (issue 27: at least 12 % of the spatial stage's CPU).

    A clip's patches are :func:`split_patches` of its frames, computed the first time a dataset needs them.
    They are float32, 4.1x the uint8 regions (a strict frame: 516 KB against 127 KB), so the cache holds them
    only while all the clips a dataset reads fit in ``max_bytes`` (default ``MER_PATCH_CACHE_GB``, 1 GB:
    the quick demo's 882 frames take 455 MB); a dataset that does not fit is cut per batch as before, and
    says so once in the log. The values are the same either way (tests/test_pipeline.py).
    """

    def __init__(self, m, patch_sizes, antialias=True, max_bytes=None):
        import os

        self.m, self.patch_sizes, self.antialias = m, list(patch_sizes), antialias
        if max_bytes is None:
            max_bytes = float(os.environ.get("MER_PATCH_CACHE_GB", "1")) * 1e9
        self.max_bytes = max_bytes
        self._patches = {}    # (input, id(frames)) -> (frames, patches): the frames kept so the id stays theirs
        self.nbytes = 0
        self._refused = False

    def _bytes(self, frames, i):
        ph, pw = self.patch_sizes[i]
        return len(frames) * self.m * ph * pw * frames.shape[-1] * 4

    def patches(self, table):
        """Per input, per clip of ``table``, the float32 patches (T, m, ph, pw, C); None when they do not fit."""
        missing = list({(i, id(clip[i])): (i, clip[i]) for clip in table.clips for i in range(table.n_inputs)
                        if (i, id(clip[i])) not in self._patches}.values())
        need = sum(self._bytes(frames, i) for i, frames in missing)
        if self.nbytes + need > self.max_bytes:
            if not self._refused:
                import logging

                logging.getLogger(__name__).info(
                    "patches cut per batch: the run's patches would take %.1f GB, over the patch cache's %.1f GB "
                    "(MER_PATCH_CACHE_GB)", (self.nbytes + need) / 1e9, self.max_bytes / 1e9)
                self._refused = True
            return None
        for i in range(table.n_inputs):   # one cut per input for all its new clips: 6 ops, not 6 per clip
            clips = [frames for j, frames in missing if j == i]
            if not clips:
                continue
            patches = np.asarray(split_patches(np.concatenate(clips), self.m, self.patch_sizes[i], self.antialias))
            for frames, part in zip(clips, np.split(patches, np.cumsum([len(f) for f in clips])[:-1])):
                self._patches[(i, id(frames))] = (frames, part)
                self.nbytes += part.nbytes
        return [[self._patches[(i, id(clip[i]))][1] for clip in table.clips] for i in range(table.n_inputs)]


def frame_dataset(arrays, names, m, patch_sizes, batch_size, targets=None, weights=None, shuffle_buffer=None,
                  seed=None, antialias=True, patch_cache=None):
    """tf.data of frame batches for the spatial models of several regions at once.

    ``arrays``: a :class:`FrameTable`, or per input uint8 (N, H, W, 3); ``names``: the input names (R0..R5
    or face); ``targets``: per input (N, k) one-hot labels, or None to yield inputs only; ``weights``: per
    input (N,) sample weights; ``patch_cache``: a :class:`PatchCache` to take the patches from (cut once per
    run) instead of cutting every batch. Yields
    ``({"R0": patches, ...}, {"R0": target, ...}[, {"R0": weight, ...}])`` with
    patches (batch, m, ph, pw, 3) float32 in the 0..255 range (the models
    rescale). Every frame is read once for all regions. The dataset shuffles and batches frame indices
    and gathers each batch's frames from the clips (``tf.numpy_function``): the same batches, in the same
    order, as shuffling the frames themselves (tests/test_pipeline.py).
    """
    import tensorflow as tf

    table = FrameTable.of(arrays)
    elements = (np.arange(len(table), dtype=np.int64),)
    if targets is not None:
        elements += (dict(zip(names, targets)),)
        if weights is not None:
            elements += (dict(zip(names, weights)),)
    dataset = tf.data.Dataset.from_tensor_slices(elements if len(elements) > 1 else elements[0])
    if shuffle_buffer:
        dataset = dataset.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size)
    sources = patch_cache.patches(table) if patch_cache is not None else None
    channels = [table.shape(i)[-1] for i in range(len(names))]

    def gather(indices):
        if sources is None:
            return [table.take(indices, i) for i in range(len(names))]
        return [table.take(indices, i, sources[i]) for i in range(len(names))]

    def to_patches(indices, *rest):
        parts = tf.numpy_function(gather, [indices], [tf.uint8 if sources is None else tf.float32] * len(names),
                                  stateful=False)
        x = {}
        for i, (name, size, part) in enumerate(zip(names, patch_sizes, parts)):
            if sources is None:
                part.set_shape((None,) + tuple(table.shape(i)))
                x[name] = split_patches(part, m, size, antialias)
            else:
                x[name] = tf.ensure_shape(part, (None, m, size[0], size[1], channels[i]))
        return (x,) + rest if rest else x

    return dataset.map(to_patches, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


def array_batches(elements, batch_size, seed=None):
    """tf.data of batches of ``elements`` (a nest of dicts and tuples of NumPy arrays, one row per item), read
    in place; with ``seed`` a new full shuffle per pass.

    The same batches, in the same order, as ``from_tensor_slices(elements).shuffle(n, seed).batch(b)``
    (tests/test_pipeline.py): the dataset shuffles and batches row *indices* and gathers each batch from the
    arrays (``tf.numpy_function``). That copies nothing whole: ``from_tensor_slices`` copies the arrays into a
    tensor, and a full shuffle buffer holds a second copy of every row; for a full strict fold's padded
    sequences (439 clips x 250 frames x 6 regions x 256 features, 674 MB) that was 1.3 GB more at the peak.
    """
    import tensorflow as tf

    flat = [np.asarray(array) for array in tf.nest.flatten(elements)]
    n = len(flat[0])
    data = tf.data.Dataset.from_tensor_slices(np.arange(n, dtype=np.int64))
    if seed is not None:
        data = data.shuffle(n, seed=seed, reshuffle_each_iteration=True)

    def gather(indices):
        return [array[indices] for array in flat]

    def rows(indices):
        parts = tf.numpy_function(gather, [indices], [tf.as_dtype(array.dtype) for array in flat], stateful=False)
        for part, array in zip(parts, flat):
            part.set_shape((None,) + array.shape[1:])
        return tf.nest.pack_sequence_as(elements, parts)

    return data.batch(batch_size).map(rows)


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

    Same elements as :func:`frame_dataset` (``arrays`` a :class:`FrameTable` or per input arrays); with
    ``seed`` the frames are shuffled, a new full permutation per pass (``iter`` again), else in order.
    Patches are cut per batch, so all frames' patches are never in memory at once.
    """
    return _FrameBatches(FrameTable.of(arrays), names, m, patch_sizes, batch_size, targets, weights, seed,
                         antialias)


class _FrameBatches:
    def __init__(self, table, names, m, patch_sizes, batch_size, targets, weights, seed, antialias):
        self.table, self.names, self.m, self.patch_sizes = table, list(names), m, patch_sizes
        self.batch_size, self.targets, self.weights, self.antialias = batch_size, targets, weights, antialias
        self.rng = None if seed is None else np.random.default_rng(seed)
        self.n = len(table)

    def __len__(self):
        return -(-self.n // self.batch_size)

    def __iter__(self):
        order = np.arange(self.n) if self.rng is None else self.rng.permutation(self.n)
        for start in range(0, self.n, self.batch_size):
            chosen = order[start:start + self.batch_size]
            x = {name: cut_patches(self.table.take(chosen, i), self.m, size, self.antialias)
                 for i, (name, size) in enumerate(zip(self.names, self.patch_sizes))}
            if self.targets is None:
                yield x
                continue
            element = (x, {name: np.asarray(t)[chosen] for name, t in zip(self.names, self.targets)})
            if self.weights is not None:
                element += ({name: np.asarray(w)[chosen] for name, w in zip(self.names, self.weights)},)
            yield element
