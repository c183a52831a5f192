"""benchmarks/spatial_throughput.py on a tiny synthetic region cache: structure of the result, equal work."""
import csv
import json
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

REPO = str(Path(__file__).resolve().parents[1])
if REPO not in sys.path:  # benchmarks/ sits beside the installed packages, not among them
    sys.path.insert(0, REPO)

from benchmarks import spatial_throughput as bench  # noqa: E402
from data_prep.cache import FORMAT, VERSION, write_sample_group  # noqa: E402
from data_prep.config import PrepConfig  # noqa: E402
from data_prep.regions import region_sizes  # noqa: E402
from data_prep.samples import Sample  # noqa: E402

# (subject, sample, MEGC class, frames): 7 frames, so batch 4 ends on a partial batch.
SAMPLES = (("sub01", "EP01_01", "negative", 3), ("sub01", "EP02_01", "positive", 2),
           ("sub02", "EP01_02", "surprise", 2))


@pytest.fixture(scope="module")
def tiny_cache(tmp_path_factory):
    """A region cache in the layout of data_prep.cache, random pixels, canvas-sized regions."""
    path = tmp_path_factory.mktemp("bench") / "cache.h5"
    rng = np.random.default_rng(0)
    sizes = region_sizes("canvas")
    with h5py.File(path, "w") as handle:
        handle.attrs["format"] = FORMAT
        handle.attrs["version"] = VERSION
        handle.attrs["prep_config"] = PrepConfig().to_json()
        handle.attrs["failures"] = "[]"
        for subject, name, megc, frames in SAMPLES:
            sample = Sample("casme2", subject, name, folder=path.parent, frame_numbers=list(range(10, 10 + frames)),
                            onset=10, apex=11, offset=9 + frames, emotion="x", megc_class=megc)
            regions = [rng.integers(0, 256, (frames, h, w, 3), dtype=np.uint8) for h, w in sizes]
            group = handle.create_group(f"samples/casme2/{subject}/{name}")
            write_sample_group(group, sample, {"regions": regions, "landmarks": np.zeros((68, 2)),
                                               "face_box": np.zeros(4)})
    return path


def test_png_export_is_the_cache_content(tiny_cache, tmp_path):
    import cv2

    config = bench.make_config("paper", 4, 4, 1)   # the paper cuts the region as it is (original resizes first)
    arrays, labels, frames, _ = bench.load_inputs(tiny_cache, config)
    assert len(frames) == 7 and all(len(a) == 7 for a in arrays + labels)
    table = bench.export_pngs(arrays, labels, frames, config.region_names, tmp_path)
    with open(table, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 7
    assert list(rows[0])[:8] == ["key", "frame", "R0_path", "R1_path", "R2_path", "R3_path", "R4_path", "R5_path"]
    assert rows[0]["R5_path"].endswith("casme2/sub01/EP01_01/R5/img10.png")
    assert len(list(tmp_path.rglob("*.png"))) == 7 * 6
    for r, name in enumerate(config.region_names):  # PNG is lossless: the files hold the cache's pixels
        image = cv2.cvtColor(cv2.imread(rows[6][f"{name}_path"]), cv2.COLOR_BGR2RGB)
        np.testing.assert_array_equal(image, arrays[r][6])
    paths, read_labels = bench.read_table(table, config.region_names)
    for y, z in zip(read_labels, labels):
        np.testing.assert_array_equal(y, z)

    # Both baseline readers give the patches the project's split_patches cuts (m = 4, no resize needed).
    from data_prep.pipeline import split_patches

    patch_hw = config.patch_sizes[5]
    targets = np.eye(3, dtype=np.float32)[labels[5]]
    expected = split_patches(arrays[5][:4], 4, patch_hw).numpy()
    tf_reader = bench._TfReader(paths[5], targets, arrays[5].shape[1:3], 4, patch_hw, 4, 0, 0)
    x, y = next(iter(tf_reader.data))
    np.testing.assert_array_equal(x.numpy(), expected)
    cv2_reader = bench._cv2_reader(paths[5], targets, 4, patch_hw, 4, 0)
    x, y = cv2_reader[0]
    order = cv2_reader.order[:4]
    np.testing.assert_array_equal(x, split_patches(arrays[5][order], 4, patch_hw).numpy())
    np.testing.assert_array_equal(y, targets[order])
    assert cv2_reader.count() == 4 and len(cv2_reader) == 2
    memory_reader = bench._MemoryReader(arrays[5], targets, 4, patch_hw, 4, 0, 0)
    batches = list(memory_reader.data)
    np.testing.assert_array_equal(batches[0][0].numpy(), expected)
    assert [len(y) for _, y in batches] == [4, 3] and memory_reader.count() == 7


@pytest.mark.slow
def test_benchmark_runs_both_paths_on_the_same_frames(tiny_cache, tmp_path, capsys):
    # Two regions (nose: 2 classes, mouth: 3) instead of six keep the test under a minute: building and
    # tracing the models is most of its time, and the code is the same for every region.
    out = tmp_path / "result.json"
    assert bench.main(["--cache", str(tiny_cache), "--patches", "1", "--epochs", "1", "--repeats", "1",
                       "--batch-size", "4", "--frames", "0", "--regions", "2,5", "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    assert set(result) == {"settings", "one_time", "baseline", "memory", "candidate", "ratio", "ratio_memory", "peak"}
    settings = result["settings"]
    assert (settings["frames"], settings["patches"], settings["epochs"], settings["batch_size"]) == (7, 1, 1, 4)
    assert settings["regions"] == ["R2", "R5"]
    assert result["one_time"]["png_files"] == 7 * 2
    for path in ("baseline", "memory", "candidate"):
        r = result[path]
        # every region model was trained on each of the 7 frames once per epoch, by both paths
        assert r["frames_per_region_per_run"] == [7, 7]
        assert r["warmup_frames_per_region"] == [4, 4]  # warm-up: one batch
        assert len(r["seconds"]) == 1 and r["seconds"][0] > 0
        assert r["frames_per_s_median"] == pytest.approx(7 / r["seconds"][0])
        assert r["region_frames_per_s_median"] == pytest.approx(2 * r["frames_per_s_median"])
        assert r["warmup_build_s"] > 0 and r["warmup_fit_s"] > 0
        assert r["frames_per_cpu_s_median"] == pytest.approx(7 / r["cpu_seconds"][0])
        assert 0 < r["fraction_of_peak"] == pytest.approx(
            r["frames_per_s_median"] * result["peak"]["training_gflop_per_frame"] / result["peak"]["peak_gflops"])
    assert result["baseline"]["files_read_per_region_per_run"] == [7, 7]  # tf.data reads each file once an epoch
    ratio = result["ratio"]
    assert ratio["median"] == pytest.approx(result["candidate"]["frames_per_s_median"]
                                            / result["baseline"]["frames_per_s_median"])
    assert ratio["cpu_median"] == pytest.approx(result["baseline"]["cpu_seconds"][0]
                                                / result["candidate"]["cpu_seconds"][0])
    assert result["ratio_memory"]["median"] == pytest.approx(result["candidate"]["frames_per_s_median"]
                                                             / result["memory"]["frames_per_s_median"])
    peak = result["peak"]
    assert peak["peak_gflops"] == max(peak["matmul_gflops"], peak["conv_gflops"]) > 0
    printed = capsys.readouterr().out
    assert "ratio candidate/baseline" in printed and "ratio candidate/memory" in printed and "of peak" in printed
    assert "ratio candidate/baseline" in printed and "baseline" in printed and "candidate" in printed


def test_frames_subset_is_fixed_and_sorted(tiny_cache):
    config = bench.make_config("strict", 1, 4, 1)
    _, labels, frames, _ = bench.load_inputs(tiny_cache, config, max_frames=4, seed=3)
    again = bench.load_inputs(tiny_cache, config, max_frames=4, seed=3)[2]
    assert frames == again and len(frames) == 4 and len(labels[0]) == 4
    everything = bench.load_inputs(tiny_cache, config)[2]
    assert [everything.index(f) for f in frames] == sorted(everything.index(f) for f in frames)


def test_training_flops_per_frame_from_the_layer_shapes():
    """m = 1, 'strict' (SE on the GAP): the convolutions at their output sizes, the dense layers once."""
    from micro_expr.stff.models import build_spatial_model

    config = bench.make_config("strict", 1, 4, 1)
    model = build_spatial_model(config.spatial, (16, 16), 3)
    # conv 5x5 3->4 at 16x16; pool; conv 3x3 4->8 at 8x8; pool; four branches 8->16 at 4x4 (1, 3, 5, 7);
    # SE dense 72->18->72 at 1x1; dense 72->2048->256->3.
    macs = (16 * 16 * 75 * 4 + 8 * 8 * 36 * 8 + 4 * 4 * 8 * 16 * (1 + 9 + 25 + 49)
            + 72 * 18 * 2 + 72 * 2048 + 2048 * 256 + 256 * 3)
    assert bench.training_flops_per_frame([model]) == 3 * 2 * macs
