"""Reading the SE gates (micro_expr.stff.attention), their figures, and the attention check on a trained demo run."""
import json

import numpy as np
import pytest

from data_prep.errors import InputError
from data_prep.regions import REGIONS


def built_spatial(m, se="paper"):
    from micro_expr.stff.config import get_preset
    from micro_expr.stff.models import build_spatial_models

    config = get_preset("strict", **{"spatial.patches": m, "spatial.se": se})
    return config, build_spatial_models(config)["R5"]


def random_patches(config, n_frames=3, seed=0):
    from data_prep.pipeline import split_patches

    height, width = REGIONS[5].size
    frames = np.random.default_rng(seed).integers(0, 256, (n_frames, height, width, 3), dtype=np.uint8)
    return split_patches(frames, config.spatial.patches, config.patch_sizes[5]).numpy()


@pytest.mark.parametrize("m, se", [(4, "paper"), (9, "paper"), (4, "original")])
@pytest.mark.slow
def test_patch_weights_are_the_mean_gate_of_each_patch_s_72_channels(m, se):
    from micro_expr.stff.attention import read_spatial, spatial_readout
    from micro_expr.stff.models import spatial_attention_model

    config, model = built_spatial(m, se)
    patches = random_patches(config)
    features, weights = read_spatial(spatial_readout(model), patches, m)
    assert features.shape == (3, 256) and weights.shape == (3, m)

    gates = np.asarray(spatial_attention_model(model)(patches, training=False))
    assert gates.shape[-1] == 72 * m  # 'paper': (T, 1, 1, 72m); 'original': per pixel (T, h, w, 72m)
    expected = np.stack([gates[..., 72 * i:72 * (i + 1)].mean(axis=(1, 2, 3)) for i in range(m)], axis=1)
    np.testing.assert_allclose(weights, expected, rtol=1e-5)
    assert np.all((weights > 0) & (weights < 1)) and np.ptp(weights[0]) > 0


@pytest.mark.slow
def test_a_model_without_spatial_se_has_no_patch_weights():
    from micro_expr.stff.attention import read_spatial, spatial_readout

    config, model = built_spatial(4, "none")
    features, weights = read_spatial(spatial_readout(model), random_patches(config), 4)
    assert features.shape == (3, 256) and weights is None


@pytest.mark.parametrize("temporal_se", [True, False])
def test_region_weights_are_the_mean_gate_of_each_region_s_lstm_units(temporal_se):
    from micro_expr.stff.attention import read_temporal, temporal_readout
    from micro_expr.stff.config import get_preset
    from micro_expr.stff.models import build_temporal_from_config, temporal_attention_model

    config = get_preset("strict", **{"temporal.sequence_length": 12, "temporal.se": temporal_se})
    model = build_temporal_from_config(config)
    rng = np.random.default_rng(1)
    sequences = {name: rng.normal(size=(1, 12, 256)).astype(np.float32) for name in config.region_names}
    probabilities, weights = read_temporal(temporal_readout(model), sequences, 6)
    assert probabilities.shape == (3,) and probabilities.sum() == pytest.approx(1.0, abs=1e-5)
    if not temporal_se:
        assert weights is None
        return
    gate = np.asarray(temporal_attention_model(model)(sequences, training=False))[0]
    np.testing.assert_allclose(weights, gate.reshape(6, 64).mean(axis=1), rtol=1e-5)


def test_patch_boxes_tile_the_region_row_by_row():
    from micro_expr.stff.attention import input_boxes, patch_boxes

    mouth = input_boxes(["R5"])[0]
    boxes = patch_boxes(mouth, 9)
    assert (mouth.x0, mouth.x1, mouth.y0, mouth.y1) == (40, 200, 180, 240)
    assert sum((b.x1 - b.x0) * (b.y1 - b.y0) for b in boxes) == pytest.approx(160 * 60)
    assert boxes[1].x0 == pytest.approx(boxes[0].x1) and boxes[1].y0 == boxes[0].y0   # row by row
    assert boxes[3].y0 == pytest.approx(boxes[0].y1) and boxes[3].x0 == boxes[0].x0
    face = input_boxes(["face"])[0]
    assert (face.x1, face.y1) == (240, 280)


def test_feature_change_is_the_distance_to_the_first_frame():
    from micro_expr.stff.attention import feature_change

    features = np.array([[0.0, 0.0], [3.0, 4.0], [1.0, 0.0]])
    np.testing.assert_allclose(feature_change(features), [0.0, 5.0, 1.0])


@pytest.mark.slow
def test_figures_are_written_and_show_the_weights(tmp_path):
    from micro_expr.core import plots as core_plots
    from micro_expr.stff import plots
    from micro_expr.stff.attention import input_boxes

    canvas = np.full((280, 240, 3), 128, np.uint8)
    boxes = input_boxes([box.name for box in REGIONS])
    low = [[0.4, 0.5, 0.6, 0.45]] * 6
    high = [[0.6, 0.5, 0.4, 0.45]] * 6
    save = plots.save_figure
    first = save(plots.plot_patch_attention(canvas, boxes, low), tmp_path / "a.png")
    second = save(plots.plot_patch_attention(canvas, boxes, high), tmp_path / "b.png")
    assert first.read_bytes() != second.read_bytes()  # the weights are drawn, not just the boxes
    names = [box.name for box in REGIONS]
    paths = [first, save(plots.plot_patch_attention_frames(names, [np.random.rand(10, 4)] * 6), tmp_path / "c.png"),
             save(plots.plot_region_weights(names, np.linspace(0.4, 0.6, 6), per_fold=[np.linspace(0.4, 0.6, 6)] * 2),
                  tmp_path / "d.png"),
             save(plots.plot_feature_change({n: np.arange(10.0) for n in names}, frames_used=8), tmp_path / "e.png"),
             save(core_plots.plot_class_recall(["negative", "positive", "surprise"], [0.5, 1.0, 0.0], [4, 2, 3]),
                  tmp_path / "f.png")]
    for path in paths:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and 5_000 < path.stat().st_size < 200_000


# --- the attention check --------------------------------------------------------------------

def test_poisson_binomial_tail_equals_the_binomial_for_equal_chances():
    from scipy.stats import binom

    from experiments.attention_check import poisson_binomial_tail

    for observed in (0, 3, 7, 10):
        assert poisson_binomial_tail([0.3] * 10, observed) == pytest.approx(binom.sf(observed - 1, 10, 0.3))
    assert poisson_binomial_tail([0.0, 1.0, 0.5], 2) == pytest.approx(0.5)


def records_of(tops, moved_sets):
    names = ["R0", "R1", "R2", "R3", "R4", "R5"]
    return [{"key": f"s{i}", "class": "negative", "predicted": "negative", "top": top, "moved": moved,
             "hit": top in moved, "chance": len(moved) / 6, "weights": {n: float(n == top) for n in names}}
            for i, (top, moved) in enumerate(zip(tops, moved_sets))]


def test_the_check_can_fail_and_can_pass():
    from experiments.attention_check import score

    moved = [["R0", "R1"], ["R5"], ["R3", "R4"], ["R2"]] * 6
    following = score(records_of([m[0] for m in moved], moved), permutations=2000)
    assert following["hit_rate"] == 1 and following["better_than_chance"] and following["follows_the_sample"]

    # Always the mouth: it moved in a quarter of these samples, which is about the chance rate.
    constant = score(records_of(["R5"] * len(moved), moved), permutations=2000)
    assert constant["hits"] == 6 and not constant["follows_the_sample"]
    assert constant["permutation_p_value"] == pytest.approx(1.0)
    assert constant["best_constant_rate"] == pytest.approx(0.25)


@pytest.mark.slow
def test_attention_check_on_a_trained_demo_run(demo_run, tmp_path):
    from experiments.attention_check import run_check

    run, truth = demo_run
    summary = run_check(run, tmp_path / "check", permutations=500)
    saved = json.loads((tmp_path / "check" / "attention_check.json").read_text())
    records = saved["samples"]
    assert summary["samples"] == len(truth) == len(records)  # every clip is held out once in LOSO
    assert summary["hits"] == sum(r["top"] in r["moved"] for r in records)
    assert summary["chance_rate"] == pytest.approx(np.mean([len(r["moved"]) / 6 for r in records]))
    by_key = {f"casme2/{t['subject']}/{t['filename']}": t for t in truth}
    assert all(r["moved"] == by_key[r["key"]]["moved_regions"] for r in records)
    assert all(r["top"] == max(r["weights"], key=r["weights"].get) for r in records)
    assert 0 < summary["p_value_vs_chance"] <= 1 and 0 < summary["permutation_p_value"] <= 1
    text = (tmp_path / "check" / "attention_check.md").read_text()
    assert f"{summary['hits']} of {summary['samples']}" in text
    assert (tmp_path / "check" / "class_recall.png").stat().st_size > 5_000

    with pytest.raises(InputError, match="not in the demo ground truth"):
        other = tmp_path / "other.json"
        other.write_text(json.dumps({"samples": []}))
        run_check(run, tmp_path / "check2", ground_truth_path=other)


def test_class_recall_of_a_run(demo_run):
    from micro_expr.stff.predict import class_recall
    from micro_expr.core.run_folder import RunFolder

    run, _ = demo_run
    classes, recall, support = class_recall(run)
    predictions = RunFolder(run).predictions()
    assert classes == ["negative", "positive", "surprise"] and sum(support) == len(predictions)
    for k in range(3):
        mine = [p for p in predictions if p["label"] == k]
        assert recall[k] == pytest.approx(np.mean([p["predicted"] == k for p in mine]))
