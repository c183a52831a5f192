"""The arithmetic of benchmarks.full_run_estimate on a fake timing table, and its counts from the real lists."""
import pytest

from benchmarks import run_cost
from tests.helpers import SHARED_DATA

# Fake costs: 1 s per spatial step, 2 s fixed per spatial fit, 0.5 s per frame of features, ...
FAKE = {"spatial_step": {"wall": 1.0, "cpu": 2.0, "fixed_wall": 2.0, "fixed_cpu": 3.0},
        "features": {"wall": 0.5, "cpu": 1.0},
        "spatial_checkpoint": {"wall": 10.0, "cpu": 10.0},
        "temporal_step": {"wall": 3.0, "cpu": 3.0, "fixed_wall": 1.0, "fixed_cpu": 1.0},
        "temporal_compile": {"wall": 7.0, "cpu": 7.0},
        "temporal_predict": {"wall": 0.25, "cpu": 0.25},
        "temporal_checkpoint": {"wall": 4.0, "cpu": 4.0}}
# Three subjects: a has clips of 10 and 20 frames, b one of 30, c one of 40 (100 frames, 4 clips, 3 folds).
FOLDS = run_cost.Folds.loso([10, 20, 30, 40], ["a", "a", "b", "c"])
SPATIAL = {"epochs": 2, "batch_size": 16, "split_fraction": 0.5, "fold_frame_fraction": 1.0}
TEMPORAL = {"epochs": 5, "batch_size": 2}


def by_name(estimate):
    return {row["stage"].split(" (")[0]: row for row in estimate["stages"]}


def test_loso_folds_hold_every_clip_once_as_test():
    assert FOLDS.n_folds == 3 and FOLDS.all_frames == 100 and FOLDS.n_clips == 4
    assert FOLDS.test_frames == ((10, 20), (30,), (40,))
    assert FOLDS.train_frames == ((30, 40), (10, 20, 40), (10, 20, 30))


def test_frame50_pays_the_spatial_stage_once():
    rows = by_name(run_cost.estimate(run_cost.stff_stages({**SPATIAL, "split": "frame50"}, TEMPORAL, FOLDS), FAKE))
    # Once: 2 epochs x ceil(50 / 16) = 8 steps: 2 s fixed + 8 x 1 s = 10 s; features of 100 frames once: 50 s.
    assert rows["spatial training"]["runs"] == 1 and rows["spatial training"]["units"] == 8
    assert rows["spatial training"]["hours"] == pytest.approx(10 / 3600)
    assert rows["spatial training"]["cpu_hours"] == pytest.approx((3 + 16) / 3600)
    assert rows["spatial features"]["runs"] == 1 and rows["spatial features"]["hours"] == pytest.approx(50 / 3600)
    assert rows["spatial checkpoints"]["runs"] == 1
    # Temporal per fold: 5 epochs x ceil(2/2, 3/2, 3/2) = 5 + 10 + 10 = 25 steps, 3 fixed: 75 + 3 = 78 s.
    assert rows["temporal training"]["runs"] == 3 and rows["temporal training"]["units"] == 25
    assert rows["temporal training"]["hours"] == pytest.approx(78 / 3600)
    # Batch shapes met: 2 (full) and 1 (the last batch of 3 clips): two compilations in the whole run.
    assert rows["temporal compilation"]["units"] == 2 and rows["temporal compilation"]["runs"] == 1
    assert rows["predictions"]["units"] == 4 and rows["temporal checkpoints"]["runs"] == 3


def test_per_fold_pays_the_spatial_stage_every_fold():
    estimate = run_cost.estimate(run_cost.stff_stages({**SPATIAL, "split": "per_fold"}, TEMPORAL, FOLDS), FAKE)
    rows = by_name(estimate)
    # Training frames 70, 70, 60 -> 2 x (5 + 5 + 4) = 28 steps, 3 fits x 2 s fixed: 28 + 6 = 34 s.
    assert rows["spatial training"]["runs"] == 3 and rows["spatial training"]["units"] == 28
    assert rows["spatial training"]["hours"] == pytest.approx(34 / 3600)
    assert rows["spatial training"]["cost_each"] == pytest.approx(34 / 3)
    assert rows["spatial features"]["units"] == 300 and rows["spatial checkpoints"]["runs"] == 3
    wall = 34 + 150 + 30 + 78 + 14 + 1 + 12
    assert estimate["total_hours"] == pytest.approx(wall / 3600)


def test_fixed_costs_are_charged_per_fit_not_per_frame():
    """Doubling the frames doubles the per-step part only; the fixed part stays one per fit."""
    table = {**FAKE, "spatial_step": {"wall": 0.0, "cpu": 0.0, "fixed_wall": 100.0, "fixed_cpu": 100.0}}
    doubled = run_cost.Folds.loso([20, 40, 60, 80], ["a", "a", "b", "c"])
    for folds in (FOLDS, doubled):
        rows = by_name(run_cost.estimate(run_cost.stff_stages({**SPATIAL, "split": "per_fold"}, TEMPORAL, folds),
                                         table))
        assert rows["spatial training"]["hours"] == pytest.approx(300 / 3600)


def test_fold_frame_fraction_draws_a_share_of_each_fold():
    rows = by_name(run_cost.estimate(run_cost.stff_stages(
        {**SPATIAL, "split": "per_fold", "fold_frame_fraction": 0.5}, TEMPORAL, FOLDS), FAKE))
    assert rows["spatial training"]["units"] == 2 * (3 + 3 + 2)   # ceil(35/16), ceil(35/16), ceil(30/16)


def test_mean_and_gia_bia_stages():
    timings = {key: {"wall": 1.0, "cpu": 1.0} for key in ("flow_pair", "spot_step", "recog_step", "mean_checkpoint",
                                                          "mean_predict")}
    rows = by_name(run_cost.estimate(run_cost.mean_stages({"epochs_spot": 2, "epochs_recog": 3, "batch_size": 32},
                                                          FOLDS, k=5), timings))
    assert rows["optical flow"]["runs"] == 1 and rows["optical flow"]["units"] == 5 + 15 + 25 + 35 + 4
    assert rows["spotting training"]["units"] == 2 * (2 + 2 + 2)    # windows 60, 55, 45 at batch 32
    assert rows["recognition training"]["units"] == 3 * 3
    assert rows["predictions"]["units"] == 5 + 15 + 25 + 35
    evaluation = by_name(run_cost.estimate(run_cost.mean_stages({}, FOLDS, k=5, train=False), timings))
    assert set(evaluation) == {"optical flow", "predictions"} and evaluation["optical flow"]["units"] == 80
    timings = {key: {"wall": 1.0, "cpu": 1.0} for key in ("gia_step", "augment_clip", "gia_predict", "gia_checkpoint")}
    rows = by_name(run_cost.estimate(run_cost.gia_bia_stages({"epochs": 4, "batch_size": 2}, FOLDS), timings))
    assert rows["training"]["units"] == 4 * (1 + 2 + 2) and rows["augmentation"]["units"] == 4 * (2 + 3 + 3)


@pytest.mark.needs_shared_data
def test_megc_counts_come_from_the_official_list_and_sheets():
    from benchmarks.full_run_estimate import casme2_mean_clips, megc_clips

    labels = SHARED_DATA / "labels"
    if not (labels / "combined_3class_gt.csv").exists():
        pytest.skip(f"{labels}: the MEGC list and coding sheets are not here")
    lengths, subjects, _ = megc_clips(labels)
    assert len(lengths) == 442 and len(set(subjects)) == 68
    assert sum(s.startswith("casme2/") for s in subjects) == 145 and sum(s.startswith("samm/") for s in subjects) == 133
    # CASME II and SAMM onset..offset as docs/performance.md states them (10,254 and 9,688 frames)
    assert sum(n for n, s in zip(lengths, subjects) if s.startswith("casme2/")) == 10254
    assert sum(n for n, s in zip(lengths, subjects) if s.startswith("samm/")) == 9688
    lengths, subjects, _ = casme2_mean_clips(labels)
    assert len(lengths) == 244 and len(set(subjects)) == 26   # MEAN Table 1


def test_a_step_at_the_presets_batch_from_two_smaller_ones():
    from benchmarks.full_run_estimate import per_batch

    # 1 s at batch 4, 2 s at batch 8: 0.25 s per sample, no fixed part -> 32 s at batch 128
    assert per_batch((1.0, 2.0), (2.0, 4.0), 4, 8, 128) == pytest.approx((32.0, 64.0))
    # noise that tilts the line below zero gives 0, not a negative cost
    assert per_batch((2.0, 2.0), (1.0, 1.0), 4, 8, 128) == (0.0, 0.0)
    # one batch size only: proportional
    assert per_batch((3.0, 3.0), (3.0, 3.0), 16, 16, 128) == pytest.approx((24.0, 24.0))


def test_the_full_size_cache_has_the_real_clip_lengths_and_labels(tmp_path):
    """benchmarks.full_size_memory's synthetic cache (first 12 clips here): the MEGC list's clips, each as long as
    its onset..offset in the CASME II sheet, labelled with the list's class, seen by the MEGC protocol."""
    from benchmarks.full_run_estimate import megc_clips
    from benchmarks.full_size_memory import write_cache
    from data_prep.cache import RegionCache
    from micro_expr.core.items import protocol_items

    lengths, subjects, _ = megc_clips(SHARED_DATA / "labels")
    path = tmp_path / "full.h5"
    write_cache(path, limit=12)
    assert not list(tmp_path.glob("*.tmp"))
    with RegionCache(path) as cache:
        items = protocol_items(cache, "megc")
        assert [info.n_frames for info in cache.samples] == lengths[:12]
        # casme2,sub01,EP02_01f,1 is the list's first row: positive; the sheet's onset..offset is 46..86
        first = cache.info("casme2/sub01/EP02_01f")
        assert first.megc_class == "positive" and first.n_frames == 86 - 46 + 1
        assert cache.regions("casme2/sub01/EP02_01f")[0].shape == (41, 80, 100, 3)
    assert len(items) == 12 and {item.subject for item in items} == {f"casme2/{s.split('/')[1]}"
                                                                      for s in subjects[:12]}


def test_a_step_measured_at_a_smaller_batch_and_impossible_cpu_times():
    from benchmarks.full_run_estimate import check_consistent, scaled_row

    row = {"wall": 0.5, "cpu": 0.8, "fixed_wall": 2.0, "fixed_cpu": 1.0, "measured_batches": [32], "batch": 32}
    assert scaled_row(row, 128) == {**row, "wall": 2.0, "cpu": 3.2, "batch": 128}   # 4x the batch, 4x the step
    # 3 CPU-s in 1 s of wall time cannot happen on 2 cores: a measuring error, said by name; 1.9 can
    table = {"spatial_step": {"wall": 1.0, "cpu": 3.0}, "temporal_step": {"wall": 1.0, "cpu": 1.9},
             "temporal_compile": {"wall": 0.0, "cpu": 0.0}}
    assert check_consistent(table, 2) == ["spatial_step: 3.000 CPU-s per unit in 1.000 s wall, more than 2 cores "
                                          "give"]



def test_the_frame_fraction_is_floored_like_the_draw_the_runs_make():
    import numpy as np

    from micro_expr.stff.splits import frame50_indices

    # 35 frames at 50 %: the runs draw int(17.5) = 17 frames, one batch of 17; round() would give 18, two batches.
    assert len(frame50_indices(np.zeros(35, dtype=int), None, fraction=0.5)) == 17
    spatial = {"epochs": 1, "batch_size": 17, "split_fraction": 0.5, "fold_frame_fraction": 0.5}
    folds = run_cost.Folds.loso([35, 10], ["a", "b"])   # fold a trains on b's 10 frames, fold b on a's 35
    rows = by_name(run_cost.estimate(run_cost.stff_stages({**spatial, "split": "per_fold"}, TEMPORAL, folds), FAKE))
    assert rows["spatial training"]["units"] == 1 + 1   # 5 of 10 frames, 17 of 35
    folds = run_cost.Folds.loso([25, 10], ["a", "b"])   # 35 frames in all, drawn once
    rows = by_name(run_cost.estimate(run_cost.stff_stages({**spatial, "split": "frame50"}, TEMPORAL, folds), FAKE))
    assert rows["spatial training"]["units"] == 1       # 17 of 35
