"""experiments/ablations.py: the papers' ablation tables, one override per variant, runs that resume."""
import json
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from data_prep.errors import InputError
from experiments import ablations
from tests.helpers import seed_text

TINY = {"spatial.patches": 1, "spatial.epochs": 1, "spatial.batch_size": 16, "temporal.epochs": 2,
        "temporal.batch_size": 4, "temporal.sequence_length": 8}


def test_selection_and_aliases():
    assert [a.name for a in ablations.chosen_ablations("table3, loss")] == ["table3", "s001_table7"]
    assert [a.name for a in ablations.chosen_ablations("regions")] == ["s001_table5"]
    assert len(ablations.chosen_ablations(None)) == 5
    with pytest.raises(InputError, match="unknown ablation"):
        ablations.chosen_ablations("table4")


def test_each_variant_is_one_override_with_its_own_folder(tmp_path):
    from micro_expr.stff.config import override

    base = ablations.base_config("strict", "megc", TINY)
    for ablation in ablations.ABLATIONS.values():
        folders = set()
        for _, value in ablation.variants:
            changed = override(base, **{ablation.key: value})
            folder = ablations.variant_folder(tmp_path, base, ablation.key, value)
            folders.add(folder)
            assert folder.name == ("baseline" if changed == base else f"{ablation.key}={value}")
        assert len(folders) == len(ablation.variants)
    assert ablations.variant_folder(tmp_path, base, "fusion", "both").name == "baseline"
    assert ablations.variant_folder(tmp_path, base, "fusion", "none").name == "fusion=none"


def test_paper_figures_are_the_seeds_figures():
    """Every figure we print as 'paper' appears in the seed paper it is attributed to."""
    texts = {key: seed_text(key) for key in ("STFF", "Aouayeb et al. 2021")}
    for ablation in ablations.ABLATIONS.values():
        text = texts[ablation.source.split(" Table")[0]]
        for label, figures in ablation.paper.items():
            for value in figures:
                shown = f"{value:.4f}" if ablation.name == "table3" else f"{value:.2f}"
                assert shown in text, f"{ablation.source} {label}: {shown} not in the seed"
    table3 = re.search(r"\n9 ([\d. ]+)\n", texts["STFF"]).group(1).split()
    assert [float(v) for v in table3] == list(ablations.ABLATIONS["table3"].paper["m = 9"])


def fake_scores(accuracy):
    return {"accuracy": accuracy, "weighted_f1": accuracy, "uar": accuracy, "uf1": accuracy, "folds_done": 1,
            "folds_total": 3, "n_samples": 3}


def test_whole_face_is_skipped_with_a_note_when_the_cache_has_no_faces(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(ablations, "has_protocol", lambda *args: True)
    monkeypatch.setattr(ablations, "run_variant",
                        lambda cache, config, folder, *rest: calls.append(folder.name) or fake_scores(0.5))
    regions = ablations.ABLATIONS["s001_table5"]
    result = ablations.run_ablation(regions, "cache.h5", tmp_path, "strict", TINY, has_faces=False)
    assert calls == ["regions=no_cheeks", "regions=no_nose", "baseline"]
    assert "store-face" in result["rows"][0]["skipped"]
    table = ablations.table_markdown(regions, result, "test")
    assert "| whole face | not run (0.85) | not run (0.84) | not run (0.84) | - | - |" in table
    assert "| all regions | **0.500** (0.92) | **0.500** (0.89) | **0.500** (0.89) | 1/3 | 3 |" in table
    assert "mer prepare --store-face" in table

    calls.clear()
    ablations.run_ablation(regions, "cache.h5", tmp_path, "strict", TINY, has_faces=True)
    assert calls[0] == "regions=whole_face"


@pytest.mark.slow
def test_a_real_ablation_on_a_prepared_cache_resumes(tiny_cache, tmp_path, monkeypatch):
    # Aouayeb et al. 2021 Table 7 with its cross-entropy row only: one real run (training is what costs time here).
    loss = ablations.ABLATIONS["s001_table7"]
    monkeypatch.setitem(ablations.ABLATIONS, "s001_table7", replace(loss, variants=loss.variants[:1]))
    out = tmp_path / "abl"
    results = ablations.run_ablations(out, cache=tiny_cache, only="loss", overrides=TINY, folds="0")
    row = results[0]["rows"][0]
    assert row["label"] == "CE" and Path(row["folder"]).name == "loss=cross_entropy"
    run = json.loads((Path(row["folder"]) / "run.json").read_text())
    assert run["config"]["loss"] == "cross_entropy" and run["config"]["spatial"]["patches"] == 1
    predictions = json.loads((Path(row["folder"]) / "folds" / "00_casme2_sub01" / "predictions.json").read_text())
    assert row["scores"]["folds_done"] == 1 and row["scores"]["folds_total"] == 3
    assert row["scores"]["n_samples"] == len(predictions) == 3  # one subject's three clips held out
    assert row["scores"]["accuracy"] == np.mean([p["label"] == p["predicted"] for p in predictions])
    table = (out / "ablations.md").read_text()
    assert "Aouayeb et al. 2021 Table 7" in table and "data actually used" in table
    assert f"| CE | **{row['scores']['accuracy']:.3f}** (0.91) |" in table
    assert json.loads((out / "ablations.json").read_text())["results"][0]["name"] == "s001_table7"

    done = Path(row["folder"]) / "folds" / "00_casme2_sub01" / "done.json"
    stamp = done.stat().st_mtime_ns
    again = ablations.run_ablations(out, cache=tiny_cache, only="loss", overrides=TINY, folds="0")
    assert done.stat().st_mtime_ns == stamp  # resumed: nothing retrained
    assert again[0]["rows"][0]["scores"] == row["scores"]
    assert ablations.cache_has_faces(tiny_cache)


def test_cache_is_required_without_quick(tmp_path):
    with pytest.raises(InputError, match="--cache is required"):
        ablations.run_ablations(tmp_path)


@pytest.mark.slow
def test_quick_cache_keeps_face_canvases_for_the_whole_face_row(tmp_path, monkeypatch):
    from data_prep.demo import build

    real_build = build.build_demo_dataset

    def small_build(out_dir, seed=0, size="quick", **kwargs):  # 2 people x 3 clips instead of the quick demo
        return real_build(tmp_path / "demo", seed=seed, size=size, subjects=2, samples_per_subject=3)

    monkeypatch.setattr(build, "build_demo_dataset", small_build)
    cache = ablations.prepare_quick_cache(tmp_path / "out")
    assert ablations.cache_has_faces(cache)


def test_table3_m16_row_trains_with_batch_32_as_the_paper(tmp_path, monkeypatch):
    configs = {}
    monkeypatch.setattr(ablations, "has_protocol", lambda *args: True)
    monkeypatch.setattr(ablations, "run_variant",
                        lambda cache, config, folder, *rest: configs.update({folder.name: config})
                        or fake_scores(0.5))
    ablations.run_ablation(ablations.ABLATIONS["table3"], "cache.h5", tmp_path, "paper", {})
    assert {name: config.spatial.batch_size for name, config in configs.items()} == {
        "spatial.patches=1": 128, "spatial.patches=4": 128, "baseline": 128,
        "spatial.patches=16,spatial.batch_size=32": 32}
    assert configs["spatial.patches=16,spatial.batch_size=32"].spatial.patches == 16


def test_predecessor_presets_run_in_their_own_folders(tmp_path):
    base = ablations.base_config("cnn_lstm_paper", "megc", TINY)
    assert base.preset == "cnn_lstm_paper" and base.spatial.head_units == (1024, 250, 20)
    assert ablations.variant_folder(tmp_path, base, "loss", "focal") == \
        tmp_path / "runs" / "cnn_lstm_paper" / "megc" / "baseline"
