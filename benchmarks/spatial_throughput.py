"""Spatial-stage training throughput: the project's cache path against the original per-frame PNG path.

Both paths train the same spatial models (one per region, ``build_spatial_model``
of the chosen preset) on the same frames, labels, class weights, batch size,
m and number of epochs, in one Python process:

- **baseline** (the authors' code, spec sections 1-2): the regions of every
  frame are exported once as separate RGB PNG files plus a CSV listing the six
  paths of each frame (outside the timing). Then each region's model is trained
  on its own, one after the other, with ``keras.Model.fit``, reading and
  decoding that region's PNG files again in every epoch: either a ``tf.data``
  pipeline (``tf.io.read_file`` + ``tf.io.decode_png`` per file, parallel map,
  prefetch; reader ``tf``, the default and the fastest way to read the files)
  or a ``keras.utils.PyDataset`` that reads a batch of files with ``cv2.imread``
  (reader ``cv2``, closest to the Keras 2 generators of the code). Reader
  The same per-region ``fit``s fed from the frames in memory (path ``memory``,
  no PNG) run too, to tell how much of the ratio comes from the files and how
  much from the project's training step.
- **candidate** (this project): the frames are read once from the HDF5 region
  cache (``micro_expr.stff.data.load_frames``, timed apart as a one-time cost) and
  ``micro_expr.stff.training.SpatialStage(config).fit`` trains the six models side
  by side from memory (grouped convolutions, fused Adam, one traced step).

The achieved fraction of this CPU's peak is printed for every path: the peak
is measured in the same process (a big tf.matmul and a big convolution), the
training FLOPs per frame come from the layer shapes (3 x the forward pass).

One-time costs are timed apart from the throughput: the PNG export, the cache
read, and the warm-up of each path: building the models, then a ``fit`` on
one batch, which traces the training functions (six Keras ``fit`` functions
for each baseline, SpatialStage's one joint step for the candidate; none
is traced again for the timed fits, whose batches have the same signature).
Then ``--repeats`` rounds run the three paths, the order rotating from round
to round; each round times a whole
``fit`` of ``--epochs`` epochs on the warm models (all six regions for each
path). Throughput is frames x epochs / seconds to train all six region models
("frames/s, all six regions"); region-frames/s counts a frame once per region
model trained (6x that). The CPU time of the process (all its threads) is
taken too: on a shared machine the wall time depends on the share of the
cores the process got, frames per CPU-second much less. Both paths count the
frames their training steps actually took (a Keras metric summing batch sizes
in the baseline, a count of the batches SpatialStage's loop takes in the
candidate), and the run fails if the counts differ from frames x epochs.

Run ``python -m benchmarks.spatial_throughput`` (see ``--help`` and benchmarks/README.md).
"""
import argparse
import csv
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

PROTOCOL = "megc"
READERS = ("tf", "cv2", "memory")


# --- inputs ------------------------------------------------------------------------------------

def demo_cache(folder, progress=False):
    """Build the quick demo dataset and prepare its region cache under ``folder``; returns the cache path."""
    from data_prep.config import PRESETS as PREP_PRESETS
    from data_prep.datasets import read_casme2
    from data_prep.demo.build import build_demo_dataset
    from data_prep.errors import InputError
    from data_prep.prepare import prepare_samples

    folder = Path(folder)
    dataset = build_demo_dataset(folder / "demo", size="quick", progress=progress)
    samples, failures = read_casme2(dataset.root, dataset.coding_sheet)
    summary = prepare_samples(samples, folder / "cache.h5", PREP_PRESETS["clean"], failures, workers=1,
                              progress=progress)
    if summary.failures:
        raise InputError(f"{dataset.root}: {len(summary.failures)} demo samples could not be prepared")
    return folder / "cache.h5"


def make_config(preset, patches, batch_size, epochs, regions=None):
    """The preset with the benchmark's m, batch size, epochs and (optionally) a subset of region indices."""
    from micro_expr.stff.config import get_preset

    overrides = {"protocol": PROTOCOL, "spatial.patches": patches, "spatial.batch_size": batch_size,
                 "spatial.epochs": epochs}
    if regions is not None:
        overrides["regions"] = tuple(regions)
    return get_preset(preset, **overrides)


def load_inputs(cache_path, config, max_frames=None, seed=0):
    """Frames of the protocol's samples read once from the cache, and their per-region labels.

    With ``max_frames``, a random subset of that many frames (fixed ``seed``,
    kept in cache order). Returns (arrays per region, labels per region, keys
    and frame numbers per frame, seconds spent reading the cache).
    """
    from data_prep.cache import RegionCache
    from micro_expr.core.items import protocol_items
    from micro_expr.stff.data import load_frames, region_targets

    start = time.perf_counter()
    with RegionCache(cache_path) as cache:
        items = protocol_items(cache, config.protocol)
        arrays, owner = load_frames(cache, items, config)
        frame_numbers = np.concatenate([cache.info(item.key).frame_numbers for item in items])
    seconds = time.perf_counter() - start
    labels = [targets[owner] for targets in region_targets([item.label for item in items], config)]
    chosen = np.arange(len(owner))
    if max_frames is not None and max_frames < len(owner):
        chosen = np.sort(np.random.default_rng(seed).permutation(len(owner))[:max_frames])
    frames = [(items[owner[i]].key, int(frame_numbers[i])) for i in chosen]
    return [a[chosen] for a in arrays], [y[chosen] for y in labels], frames, seconds


def export_pngs(arrays, labels, frames, names, folder):
    """Write every region of every frame as its own RGB PNG, plus a CSV of the six paths per frame.

    The layout of the authors' cropper (spec section 1):
    ``<folder>/<dataset>/<subject>/<sample>/<region>/img<frame>.png``; the CSV
    (``regions.csv``) has one row per frame: key, frame, the six paths, the six
    region labels. Returns the CSV path.
    """
    import cv2

    folder = Path(folder)
    rows = []
    for index, (key, number) in enumerate(frames):
        paths = []
        for name, array in zip(names, arrays):
            path = folder / key / name / f"img{number}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            if not cv2.imwrite(str(path), cv2.cvtColor(array[index], cv2.COLOR_RGB2BGR)):
                raise OSError(f"{path}: could not write the PNG file")
            paths.append(str(path))
        rows.append([key, number] + paths + [int(y[index]) for y in labels])
    table = folder / "regions.csv"
    with open(table, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["key", "frame"] + [f"{n}_path" for n in names] + [f"{n}_label" for n in names])
        writer.writerows(rows)
    return table


def read_table(table, names):
    """(paths per region, labels per region) from the CSV written by :func:`export_pngs`."""
    with open(table, newline="") as handle:
        rows = list(csv.DictReader(handle))
    return ([[row[f"{n}_path"] for row in rows] for n in names],
            [np.array([int(row[f"{n}_label"]) for row in rows]) for n in names])


# --- baseline: one region at a time, PNG files decoded in every epoch ---------------------------

class _TfReader:
    """tf.data over one region's PNG files: read + decode each file per epoch, batch, cut patches."""

    def __init__(self, paths, targets, shape, m, patch_hw, batch_size, shuffle_buffer, seed):
        import tensorflow as tf

        from data_prep.pipeline import split_patches

        self.decoded = tf.Variable(0, dtype=tf.int64, trainable=False)  # files decoded, all epochs
        counter = self.decoded

        def decode(path, target):
            image = tf.io.decode_png(tf.io.read_file(path), channels=3)
            image.set_shape(tuple(shape) + (3,))
            counter.assign_add(1)
            return image, target

        def patches(images, target):
            return split_patches(images, m, patch_hw), target

        data = tf.data.Dataset.from_tensor_slices((list(paths), targets))
        if shuffle_buffer:
            data = data.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
        self.data = (data.map(decode, num_parallel_calls=tf.data.AUTOTUNE).batch(batch_size)
                     .map(patches, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE))

    def count(self):
        return int(self.decoded.numpy())


class _MemoryReader:
    """tf.data over one region's frames held in memory (reader ``memory``): no file is read."""

    def __init__(self, frames, targets, m, patch_hw, batch_size, shuffle_buffer, seed):
        import tensorflow as tf

        from data_prep.pipeline import split_patches

        self.consumed = tf.Variable(0, dtype=tf.int64, trainable=False)
        counter = self.consumed

        def patches(images, target):
            counter.assign_add(tf.cast(tf.shape(images)[0], tf.int64))
            return split_patches(images, m, patch_hw), target

        data = tf.data.Dataset.from_tensor_slices((frames, targets))
        if shuffle_buffer:
            data = data.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
        self.data = (data.batch(batch_size).map(patches, num_parallel_calls=tf.data.AUTOTUNE)
                     .prefetch(tf.data.AUTOTUNE))

    def count(self):
        return int(self.consumed.numpy())


def _cv2_reader(paths, targets, m, patch_hw, batch_size, seed):
    """A keras.utils.PyDataset reading one batch of PNG files with cv2 per step (Keras 2 generator style)."""
    import cv2
    import keras

    from data_prep.regions import grid_side

    side = grid_side(m)
    target_hw = (side * patch_hw[0], side * patch_hw[1])

    class Reader(keras.utils.PyDataset):
        def __init__(self):
            super().__init__()  # workers=1, no multiprocessing: the Keras default
            self.order = np.arange(len(paths))
            self.rng = np.random.default_rng(seed)
            self.rng.shuffle(self.order)
            self.decoded = 0

        def __len__(self):
            return int(np.ceil(len(paths) / batch_size))

        def __getitem__(self, index):
            chosen = self.order[index * batch_size:(index + 1) * batch_size]
            batch = []
            for i in chosen:
                image = cv2.imread(paths[i], cv2.IMREAD_COLOR)
                if image is None:
                    raise OSError(f"{paths[i]}: could not read the PNG file")
                image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
                if image.shape[:2] != target_hw:
                    image = cv2.resize(image, (target_hw[1], target_hw[0]), interpolation=cv2.INTER_LINEAR)
                batch.append(image)
            self.decoded += len(chosen)
            x = np.stack(batch).astype(np.float32).reshape(len(chosen), side, patch_hw[0], side, patch_hw[1], 3)
            x = x.transpose(0, 1, 3, 2, 4, 5).reshape(len(chosen), m, patch_hw[0], patch_hw[1], 3)
            return x, targets[chosen]

        def on_epoch_end(self):
            self.rng.shuffle(self.order)

    reader = Reader()
    reader.data = reader
    reader.count = lambda: reader.decoded
    return reader


def _frame_count_metric():
    """A Keras metric summing the frames of every batch a training step took (reset each epoch)."""
    import keras

    class FrameCount(keras.metrics.Metric):
        def __init__(self, name="frames", **kwargs):
            super().__init__(name=name, **kwargs)
            self.total = self.add_variable(shape=(), initializer="zeros", dtype="float32", name="total")

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.total.assign_add(keras.ops.cast(keras.ops.shape(y_true)[0], "float32"))

        def result(self):
            return self.total

        def reset_state(self):
            self.total.assign(0.0)

    return FrameCount()


class Baseline:
    """The regional spatial models, each compiled and trained on its own with ``model.fit`` on PNG files."""

    def __init__(self, config, table, shapes, reader="tf", seed=0, arrays=None):
        import keras

        from micro_expr.stff.losses import class_weights, stage_loss
        from micro_expr.stff.models.spatial import build_spatial_model
        from micro_expr.stff.training import one_hot

        if reader not in READERS:
            raise ValueError(f"reader must be one of {READERS}, got {reader!r}")
        self.cfg, self.reader, self.seed, self.arrays, self.shapes = config.spatial, reader, seed, arrays, shapes
        self.names = list(config.region_names)
        self.paths, labels = read_table(table, self.names)
        self.patch_sizes = config.patch_sizes
        self.models, self.targets, self.class_weights = [], [], []
        for name, patch_hw, classes, y in zip(self.names, self.patch_sizes, config.region_class_names, labels):
            k = len(classes)
            model = build_spatial_model(self.cfg, patch_hw, k, name=f"spatial_{name}")
            model.compile(optimizer=keras.optimizers.Adam(self.cfg.learning_rate),
                          loss=stage_loss(config, "spatial"), metrics=["accuracy", _frame_count_metric()])
            weights = class_weights(config, "spatial", k, y)
            self.class_weights.append(None if weights is None else dict(enumerate(weights)))
            self.targets.append(one_hot(y, k))
            self.models.append(model)
        self.readers = [self._reader(r) for r in range(len(self.names))]

    def _reader(self, r, frames=None):
        """Region ``r``'s reader over all frames, or only the first ``frames``."""
        cfg, chosen = self.cfg, slice(None) if frames is None else slice(0, frames)
        paths, targets, patch_hw = self.paths[r][chosen], self.targets[r][chosen], self.patch_sizes[r]
        if self.reader == "tf":
            return _TfReader(paths, targets, self.shapes[r], cfg.patches, patch_hw, cfg.batch_size,
                             cfg.shuffle_buffer, self.seed)
        if self.reader == "memory":
            return _MemoryReader(self.arrays[r][chosen], targets, cfg.patches, patch_hw, cfg.batch_size,
                                 cfg.shuffle_buffer, self.seed)
        return _cv2_reader(paths, targets, cfg.patches, patch_hw, cfg.batch_size, self.seed)

    def _fit(self, readers, epochs):
        trained = []
        for model, reader, weights in zip(self.models, readers, self.class_weights):
            history = model.fit(reader.data, epochs=epochs, class_weight=weights, shuffle=False, verbose=0)
            trained.append(int(round(sum(history.history["frames"]))))
        return trained

    def warm_up(self):
        """One batch per region model: builds the optimizer and metrics, traces each model's train function."""
        return self._fit([self._reader(r, self.cfg.batch_size) for r in range(len(self.names))], 1)

    def fit(self, epochs):
        """Train the region models one after the other; returns the frames each was trained on (list).

        The files each reader decoded are in ``self.files_read`` (Keras reads a
        PyDataset's first batches once more per ``fit`` to learn its shapes).
        """
        before = [reader.count() for reader in self.readers]
        trained = self._fit(self.readers, epochs)
        self.files_read = [reader.count() - b for reader, b in zip(self.readers, before)]
        return trained


# --- candidate: the project's SpatialStage, all regions side by side from memory -----------------

class _Counted:
    """A dataset wrapper counting the frames of every batch the training loop takes."""

    def __init__(self, dataset, owner):
        self.dataset, self.owner = dataset, owner

    @property
    def element_spec(self):
        return self.dataset.element_spec

    def __iter__(self):
        for x, y, w in self.dataset:
            self.owner.frames_seen += int(next(iter(y.values())).shape[0])
            yield x, y, w


def candidate_stage(config):
    """``micro_expr.stff.training.SpatialStage`` that also counts the frames its training loop consumed."""
    from micro_expr.stff.training import SpatialStage

    class CountingSpatialStage(SpatialStage):
        frames_seen = 0

        def _train(self, dataset, epochs, stage, log_every=1, after_epoch=None):
            return super()._train(_Counted(dataset, self), epochs, stage, log_every, after_epoch)

    return CountingSpatialStage(config, progress=False)


class Candidate:
    """The project's path: frames in memory (read once from the cache), SpatialStage trains all regions at once."""

    def __init__(self, config, arrays, labels):
        self.stage = candidate_stage(config)
        self.arrays, self.labels = arrays, labels
        self.names = list(config.region_names)

    def warm_up(self, seed=0):
        """One batch: traces SpatialStage's step (its input signature has no fixed batch size)."""
        return self.fit(1, seed, frames=self.stage.config.spatial.batch_size)

    def fit(self, epochs, seed=0, frames=None):
        """One SpatialStage.fit of ``epochs`` epochs (on the first ``frames`` only, if given); returns the
        frames each region model was trained on (list)."""
        from dataclasses import replace

        stage = self.stage
        stage.config = replace(stage.config, spatial=replace(stage.config.spatial, epochs=epochs))
        before = stage.frames_seen
        chosen = slice(None) if frames is None else slice(0, frames)
        stage.fit([a[chosen] for a in self.arrays], [y[chosen] for y in self.labels], seed=seed)
        return [stage.frames_seen - before] * len(self.names)  # every frame trains every region's model at once


# --- how close to this CPU's peak ---------------------------------------------------------------

def repeat_seconds(function, repeats):
    """Wall seconds of ``repeats`` calls of ``function`` after one warm-up call (tracing, allocation)."""
    function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return times


def measure_peak(size=2048, repeats=7):
    """This CPU's measured float32 FLOP/s in this process: a big tf.matmul and a big 3x3 convolution.

    Returns {"matmul_gflops": .., "conv_gflops": .., "peak_gflops": the larger}. The fastest of
    ``repeats`` (a peak, not a typical time). Run before any training: the baseline's Keras fits
    leave tf.data threads behind that took 3-4x off this figure when it was measured after them.
    """
    import tensorflow as tf

    a = tf.random.normal((size, size))
    matmul = tf.function(lambda: tf.reduce_sum(tf.matmul(a, a)))
    matmul_s = min(repeat_seconds(lambda: matmul().numpy(), repeats))
    x, kernel = tf.random.normal((8, 64, 64, 64)), tf.random.normal((3, 3, 64, 64))
    conv = tf.function(lambda: tf.reduce_sum(tf.nn.conv2d(x, kernel, 1, "SAME")))
    conv_s = min(repeat_seconds(lambda: conv().numpy(), repeats))
    result = {"matmul_gflops": 2 * size ** 3 / matmul_s / 1e9, "conv_gflops": 2 * 8 * 64 * 64 * 9 * 64 * 64 / conv_s / 1e9}
    result["peak_gflops"] = max(result.values())
    return result


def training_flops_per_frame(models):
    """FLOPs to train one frame through ``models`` (all regions), from the layer shapes.

    Every layer with a kernel does kernel.size multiply-adds per output position
    (conv: k x k x c_in x c_out per pixel; dense: in x out); 2 FLOPs each. Training
    is counted as 3 x the forward pass (forward, gradient of the input, gradient
    of the weights), the usual estimate; pooling and activations are left out.
    """
    forward = 0
    for model in models:
        for layer in model.layers:
            kernel = getattr(layer, "kernel", None)
            if kernel is not None:
                positions = int(np.prod(layer.output.shape[1:-1])) if len(layer.output.shape) > 2 else 1
                forward += 2 * int(np.prod(kernel.shape)) * positions
    return 3 * forward


# --- the benchmark -----------------------------------------------------------------------------

def _timed(function, *args, **kwargs):
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start


def _timed_cpu(function, *args, **kwargs):
    """(result, wall seconds, CPU seconds of this process: all its threads, tf.data's included)."""
    start, cpu = time.perf_counter(), time.process_time()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start, time.process_time() - cpu


def run_benchmark(cache_path, preset="original", patches=4, epochs=2, batch_size=32, repeats=3, max_frames=None,
                  reader="tf", regions=None, work_dir=None, seed=0, log=print):
    """Time both paths in this process; returns the result dict (see :func:`format_table`)."""
    import keras
    import tensorflow as tf

    from data_prep.cache import RegionCache
    from data_prep.regions import REGION_NAMES

    if epochs < 1 or repeats < 1:
        raise ValueError("epochs and repeats must be at least 1")
    config = make_config(preset, patches, batch_size, epochs, regions)
    n_regions = len(config.region_names)
    keras.utils.set_random_seed(seed)
    arrays, labels, frames, read_seconds = load_inputs(cache_path, config, max_frames, seed)
    n_frames = len(frames)
    with RegionCache(cache_path) as cache:
        all_shapes = cache.region_shapes()
    shapes = [all_shapes[REGION_NAMES.index(name)] for name in config.region_names]
    log(f"{n_frames} frames x {len(config.region_names)} regions, preset {preset}, m = {patches}, "
        f"batch {batch_size}, {epochs} epochs x {repeats} repeats, baseline reader {reader}")

    own_folder = work_dir is None
    folder = Path(tempfile.mkdtemp(prefix="spatial_bench_")) if own_folder else Path(work_dir)
    try:
        table, export_seconds = _timed(export_pngs, arrays, labels, frames, config.region_names, folder / "png")
        png_bytes = sum(p.stat().st_size for p in (folder / "png").rglob("*.png"))
        log(f"one-time: cache read {read_seconds:.2f} s, PNG export {export_seconds:.2f} s "
            f"({n_frames * len(shapes)} files, {png_bytes / 1e6:.1f} MB)")

        peak = measure_peak()  # before any training (see measure_peak)
        # Warm-up: build the models and trace the training functions (a one-batch fit each), timed apart.
        # "memory" is the baseline's per-region fits fed from memory: same models, no PNG.
        paths, warm = {}, {}
        for path, path_reader in (("baseline", reader), ("memory", "memory")):
            paths[path], build = _timed(Baseline, config, table, shapes, path_reader, seed, arrays)
            frames_warm, fit_s = _timed(paths[path].warm_up)
            warm[path] = (build, fit_s, frames_warm)
        paths["candidate"], build = _timed(Candidate, config, arrays, labels)
        frames_warm, fit_s = _timed(paths["candidate"].warm_up, seed)
        warm["candidate"] = (build, fit_s, frames_warm)
        log("warm-up (build + a one-batch fit that traces): " +
            ", ".join(f"{path} {w[0]:.1f} + {w[1]:.1f} s" for path, w in warm.items()))

        runs = {path: [] for path in paths}
        names = list(paths)
        for round_index in range(repeats):
            shift = round_index % len(names)  # rotate the order from round to round
            for path in names[shift:] + names[:shift]:
                consumed, seconds, cpu = _timed_cpu(paths[path].fit, epochs)
                runs[path].append({"seconds": seconds, "cpu_seconds": cpu, "frames_per_region": consumed})
                if path != "candidate":
                    runs[path][-1]["files_read_per_region"] = paths[path].files_read
                log(f"round {round_index + 1}/{repeats} {path:9s}: {seconds:7.2f} s, "
                    f"{n_frames * epochs / seconds:7.1f} frames/s (all {n_regions} regions); CPU {cpu:7.2f} s, "
                    f"{n_frames * epochs / cpu:7.1f} frames per CPU-second")
        flops = training_flops_per_frame(list(paths["candidate"].stage.models.values()))
    finally:
        if own_folder:
            shutil.rmtree(folder, ignore_errors=True)

    expected = n_frames * epochs
    for path, entries in runs.items():
        for entry in entries:
            if entry["frames_per_region"] != [expected] * len(shapes):
                raise RuntimeError(f"{path} trained on {entry['frames_per_region']} frames per region, "
                                   f"expected {expected} each")

    def summary(entries, warm_build, warm_fit, warm_frames):
        seconds = [e["seconds"] for e in entries]
        cpu = [e["cpu_seconds"] for e in entries]
        rates = [expected / s for s in seconds]
        return {"seconds": seconds, "seconds_min": min(seconds), "seconds_median": statistics.median(seconds),
                "cpu_seconds": cpu, "frames_per_cpu_s_median": statistics.median(expected / c for c in cpu),
                "frames_per_s": rates, "frames_per_s_median": statistics.median(rates),
                "frames_per_s_max": max(rates), "frames_per_s_min": min(rates),
                "region_frames_per_s_median": statistics.median(rates) * len(shapes),
                "frames_per_region_per_run": entries[0]["frames_per_region"],
                "files_read_per_region_per_run": entries[0].get("files_read_per_region"),
                "warmup_build_s": warm_build, "warmup_fit_s": warm_fit, "warmup_frames_per_region": warm_frames}

    def ratio(reference):
        ratios = [b["seconds"] / c["seconds"] for b, c in zip(runs[reference], runs["candidate"])]
        cpu_ratios = [b["cpu_seconds"] / c["cpu_seconds"] for b, c in zip(runs[reference], runs["candidate"])]
        return {"per_round": ratios, "median": statistics.median(ratios), "min": min(ratios), "max": max(ratios),
                "cpu_per_round": cpu_ratios, "cpu_median": statistics.median(cpu_ratios)}

    result = {
        "settings": {"cache": str(cache_path), "preset": preset, "patches": patches, "epochs": epochs,
                     "batch_size": batch_size, "repeats": repeats, "frames": n_frames,
                     "regions": list(config.region_names), "reader": reader, "seed": seed,
                     "tensorflow": tf.__version__, "keras": keras.__version__, "cpus": os.cpu_count()},
        "one_time": {"cache_read_s": read_seconds, "png_export_s": export_seconds, "png_files": n_frames * len(shapes),
                     "png_bytes": png_bytes},
        "ratio": ratio("baseline"), "ratio_memory": ratio("memory"),
    }
    for path, entries in runs.items():
        result[path] = summary(entries, *warm[path])
        result[path]["fraction_of_peak"] = (result[path]["frames_per_s_median"] * flops
                                            / (peak["peak_gflops"] * 1e9))
    result["peak"] = {**peak, "training_gflop_per_frame": flops / 1e9}
    return result


def format_table(result):
    """The result as a plain-text table plus the ratio line."""
    s = result["settings"]
    lines = [f"spatial-stage training throughput: {s['frames']} frames, {len(s['regions'])} regions, "
             f"preset {s['preset']}, m = {s['patches']}, batch {s['batch_size']}, {s['epochs']} epochs, "
             f"{s['repeats']} repeats, {s['cpus']} CPUs, TF {s['tensorflow']}",
             "",
             f"{'path':<10} {'warm-up s':>10} {'run s min':>10} {'run s med':>10} "
             f"{'frames/s med (min-max), all ' + str(len(s['regions'])) + ' regions':>42} "
             f"{'region-frames/s med':>20} {'frames/CPU-s med':>17}"]
    for path in ("baseline", "memory", "candidate"):
        r = result[path]
        warm = r["warmup_build_s"] + r["warmup_fit_s"]
        rate = f"{r['frames_per_s_median']:.1f} ({r['frames_per_s_min']:.1f}-{r['frames_per_s_max']:.1f})"
        lines.append(f"{path:<10} {warm:>10.1f} {r['seconds_min']:>10.2f} {r['seconds_median']:>10.2f} "
                     f"{rate:>42} {r['region_frames_per_s_median']:>20.1f} {r['frames_per_cpu_s_median']:>17.1f} "
                     f"{100 * r['fraction_of_peak']:>7.1f} %")
    lines[-4] += f" {'of peak':>9}"
    lines.append("")
    reader = {"tf": "tf.data PNG reader", "cv2": "cv2 PNG reader", "memory": "frames from memory, no PNG"}[s["reader"]]
    for path, label in (("baseline", f"{reader}, one keras fit per region (the authors' code)"),
                        ("memory", "frames from memory, the same keras fits per region (no PNG)"),
                        ("candidate", "HDF5 cache, SpatialStage (grouped convolutions, fused Adam, one step)")):
        r = result[path]
        lines.append(f"  {path}: {label}; warm-up (not counted) = build {r['warmup_build_s']:.1f} s "
                     f"+ one-batch fit that traces {r['warmup_fit_s']:.1f} s")
    one, peak = result["one_time"], result["peak"]
    lines.append(f"  one-time, not counted: cache read {one['cache_read_s']:.2f} s, "
                 f"PNG export {one['png_export_s']:.2f} s")
    lines.append(f"  peak of this CPU, measured in this process: matmul {peak['matmul_gflops']:.1f} GFLOP/s, "
                 f"3x3 conv {peak['conv_gflops']:.1f} GFLOP/s; training costs "
                 f"{peak['training_gflop_per_frame']:.3f} GFLOP per frame (3 x forward, from the layer shapes)")
    for key, reference in (("ratio", "baseline (PNG)"), ("ratio_memory", "memory (same per-region fits, no PNG)")):
        ratio = result[key]
        lines.append(f"ratio candidate/{reference} (frames/s, per round): median {ratio['median']:.2f}x "
                     f"(min {ratio['min']:.2f}x, max {ratio['max']:.2f}x); "
                     f"per CPU-second of the process: median {ratio['cpu_median']:.2f}x")
    return "\n".join(lines)


def _region_list(text):
    try:
        return tuple(int(r) for r in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"regions must be comma-separated indices 0..5, got {text!r}") from None


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.spatial_throughput",
        description="Spatial-stage training throughput (frames/s): per-frame PNG files read per epoch and six "
                    "separate keras fits (the authors' code) against the HDF5 cache and SpatialStage.")
    parser.add_argument("--cache", help="prepared region cache (default: build the quick demo and prepare it "
                                        "in a temporary folder, about 30-60 s)")
    parser.add_argument("--preset", default="original", choices=("paper", "original", "strict"),
                        help="model preset of both paths (default: original, the authors' code)")
    parser.add_argument("--patches", type=int, default=4, choices=(1, 4, 9, 16), help="m (default 4)")
    parser.add_argument("--epochs", type=int, default=2, help="epochs per timed fit (default 2)")
    parser.add_argument("--batch-size", type=int, default=32, help="default 32 (the authors' code)")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved timed rounds (default 3)")
    parser.add_argument("--frames", type=int, default=240,
                        help="random subset of this many frames (default 240; 0 = every frame of the cache)")
    parser.add_argument("--reader", default="tf", choices=READERS[:2],
                        help="baseline PNG reader: tf.data read_file + decode_png (default) or cv2 in a "
                             "keras.utils.PyDataset; the same per-region fits fed from memory always run too")
    parser.add_argument("--regions", type=_region_list, default=None,
                        help="comma-separated region indices, e.g. 0,5 (default: all six)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", metavar="OUT", help="also write the full result as JSON")
    args = parser.parse_args(argv)

    temporary = None
    try:
        cache = args.cache
        if cache is None:
            temporary = tempfile.mkdtemp(prefix="spatial_bench_demo_")
            print(f"building and preparing the quick demo in {temporary} ...", flush=True)
            cache, seconds = _timed(demo_cache, temporary)
            print(f"  done in {seconds:.1f} s", flush=True)
        result = run_benchmark(cache, preset=args.preset, patches=args.patches, epochs=args.epochs,
                               batch_size=args.batch_size, repeats=args.repeats, max_frames=args.frames or None,
                               reader=args.reader, regions=args.regions, seed=args.seed,
                               log=lambda text: print(text, flush=True))
    finally:
        if temporary:
            shutil.rmtree(temporary, ignore_errors=True)
    print()
    print(format_table(result))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
