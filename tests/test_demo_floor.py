"""The counting and arithmetic of benchmarks.demo_floor: hand-computed layers, a real cache's folds, fake rates."""
import pytest

from benchmarks import demo_floor


def test_forward_flops_of_one_grouped_convolution_and_one_lstm_step():
    # The strict eye patch's first layer: 27 x 34 pixels, 5 x 5 x 3 -> 4, nine patches ('same': 918 positions).
    assert demo_floor.forward_flops(("conv", (27, 34, 3), (5, 5, 3, 4), 9)) == 2 * 300 * 918 * 9
    # A Dense layer on a (1, 1, C) map: one row.
    assert demo_floor.forward_flops(("dense", (1, 648), (648, 162), 1)) == 2 * 648 * 162
    # Six LSTMs of 64 units on 256 features: 4 gates x 64 x (256 + 64) multiply-adds each.
    lstm = {"regions": 6, "units": 64, "inputs": 256, "batch": 8, "steps": 30}
    assert demo_floor.lstm_step_flops(lstm) == 6 * 2 * 4 * 64 * 320 == 983_040


def test_strict_layers_are_the_grouped_models_with_nine_patches():
    regions, lstm = demo_floor.layer_shapes(demo_floor.demo_config())
    assert len(regions) == 6 and lstm == {"regions": 6, "units": 64, "inputs": 256, "batch": 8, "steps": 30}
    first = regions[0][0]   # the eye region (81 x 102) in 3 x 3 patches of 27 x 34
    assert first == ("conv", (27, 34, 3), (5, 5, 3, 4), 9)
    grouped = [shape for shape in regions[0] if shape[3] == 9]
    assert [shape[2][:2] for shape in grouped] == [(5, 5), (3, 3), (1, 1), (3, 3), (5, 5), (7, 7)]
    # conv 3x3 on the pooled 14 x 17 map, the branches on 7 x 9
    assert grouped[1][1] == (14, 17, 4) and grouped[2][1] == (7, 9, 8)
    # The same count as the throughput benchmark's, which reads the kernels of the models themselves.
    from benchmarks.spatial_throughput import training_flops_per_frame
    from micro_expr.stff.models.spatial import build_spatial_models

    models = build_spatial_models(demo_floor.demo_config(), layout="grouped").values()
    assert 3 * sum(demo_floor.forward_flops(s) for shapes in regions for s in shapes) == \
        training_flops_per_frame(list(models))


def test_fold_counts_of_a_real_cache(tiny_cache):
    # 3 subjects x 3 clips of 6 frames: each fold trains on 6 clips (36 frames), tests on 3 (18 frames).
    counts = demo_floor.fold_counts(tiny_cache, demo_floor.demo_config())
    assert len(counts) == 3
    for fold in counts:
        assert fold["spatial_trained"] == 18          # half of 36, one epoch
        assert fold["spatial_held_out"] == 18         # the test frames, once per spatial epoch
        assert fold["features"] == 54                 # training and test frames
        assert fold["temporal_trained"] == 6 * 6 * 30  # 6 clips x 6 steps x 30 epochs
        assert fold["temporal_forward"] == 3 * 6 * 31  # held-out loss every epoch, then the predictions


def test_floor_arithmetic_on_fake_rates():
    flops = {"spatial_training": 3e12, "spatial_forward": 1e12, "temporal_training": 0.5e12, "temporal_forward": 0.5e12,
             "totals": {"spatial_trained": 100, "spatial_held_out": 10, "features": 40, "temporal_trained": 1000,
                        "temporal_forward": 200}}
    seconds = {"train_per_frame": 0.01, "forward_per_frame": 0.002, "lstm_train_per_clip_step": 1e-4,
               "lstm_forward_per_clip_step": 5e-5}
    result = demo_floor.floor(10.0, flops, seconds, peak_gflops=100.0, cores=2)
    assert result["flops"] == 5e12
    assert result["arithmetic_cpu_s_at_peak"] == pytest.approx(5e12 / 100e9 * 2)   # 100 CPU-s
    # 2 cores x (100 x 0.01 + 50 x 0.002 + 1000 x 1e-4 + 200 x 5e-5) = 2 x 1.21
    assert result["arithmetic_cpu_s_at_shapes"] == pytest.approx(2.42)
    assert result["floor_cpu_s_at_peak"] == pytest.approx(110.0)
    assert result["floor_cpu_s_at_shapes"] == pytest.approx(12.42)
