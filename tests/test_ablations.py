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


def test_selection_and_the_predecessors_tables_named_on_their_own_page():
    assert [a.name for a in ablations.chosen_ablations("table3, table7")] == ["table3", "table7"]
    assert [a.name for a in ablations.chosen_ablations(None)] == ["table3", "table5", "table6", "table7"]
    with pytest.raises(InputError, match="unknown table"):
        ablations.chosen_ablations("table4")
    for old in ("loss", "s001_table7"):   # the 2021 paper's tables run the predecessor, elsewhere
        with pytest.raises(InputError, match="predecessor_tables.py --only table7"):
            ablations.chosen_ablations(old)


def test_each_variant_is_one_override_with_its_own_folder(tmp_path):
    from micro_expr.stff.config import override

    base = ablations.base_config("strict", "megc", TINY)
    for ablation in ablations.ABLATIONS.values():
        folders = set()
        for _, value in ablation.variants:
            if value == ablations.PREDECESSOR:
                continue
            changed = override(base, **{ablation.key: value})
            folder = ablations.variant_folder(tmp_path, base, ablation.key, value)
            folders.add(folder)
            assert folder.name == ("baseline" if changed == base else f"{ablation.key}={value}")
        assert len(folders) == len([v for _, v in ablation.variants if v != ablations.PREDECESSOR])
    assert ablations.variant_folder(tmp_path, base, "fusion", "both").name == "baseline"
    assert ablations.variant_folder(tmp_path, base, "fusion", "none").name == "fusion=none"


def test_paper_figures_are_the_seeds_figures():
    """Every figure we print as 'paper' appears in the seed paper it is attributed to."""
    texts = {key: seed_text(key) for key in ("STFF",)}
    for ablation in ablations.TABLES.values():
        text = texts[ablation.source.split(" Table")[0]]
        for label, figures in ablation.paper.items():
            for value in figures:
                shown = f"{value:.4f}" if ablation.name == "table3" else f"{value:.2f}"
                assert shown in text, f"{ablation.source} {label}: {shown} not in the seed"
    table3 = re.search(r"\n9 ([\d. ]+)\n", texts["STFF"]).group(1).split()
    assert [float(v) for v in table3] == list(ablations.ABLATIONS["table3"].paper["m = 9"])
    table7 = ablations.PART_TABLES["table7"]
    for label, figures in table7.paper.items():   # the seed prints each part's row as one line
        assert f"{label} " + " ".join(f"{v:.2f}" for v in figures) in texts["STFF"]
    assert "Aouayeb et al. (2019) 0.90 0.90 0.92" in texts["STFF"]   # STFF Table 5's predecessor row


def fake_scores(accuracy):
    return {"accuracy": accuracy, "weighted_f1": accuracy, "uar": accuracy, "uf1": accuracy, "folds_done": 1,
            "folds_total": 3, "n_samples": 3}


def test_whole_face_is_skipped_with_a_note_when_the_cache_has_no_faces(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(ablations, "has_protocol", lambda *args: True)
    monkeypatch.setattr(ablations, "run_variant",
                        lambda cache, config, folder, *rest: calls.append(folder.name) or fake_scores(0.5))
    from experiments.predecessor_tables import ABLATION_TABLES

    regions = ABLATION_TABLES["table5"]
    result = ablations.run_ablation(regions, "cache.h5", tmp_path, "cnn_lstm_strict", TINY, has_faces=False)
    assert calls == ["regions=no_cheeks", "regions=no_nose", "baseline"]
    assert "store-face" in result["rows"][0]["skipped"]
    table = ablations.table_markdown(regions, result, "test")
    assert "| whole face | not run (0.85) | not run (0.84) | not run (0.84) | - | - |" in table
    assert "| all regions | **0.500** (0.92) | **0.500** (0.89) | **0.500** (0.89) | 1/3 | 3 |" in table
    assert "mer prepare --store-face" in table

    calls.clear()
    ablations.run_ablation(regions, "cache.h5", tmp_path, "cnn_lstm_strict", TINY, has_faces=True)
    assert calls[0] == "regions=whole_face"


def test_the_datas_note_reaches_every_run_even_when_the_protocol_falls_back(tmp_path, monkeypatch):
    """--quick passes the demo's note to each run.json (comparison pages read it to say "synthetic demo");
    the table's own note (a protocol the cache lacks) stays the table's. It was overwritten before."""
    from micro_expr.core.results import DEMO_NOTE

    notes = []
    monkeypatch.setattr(ablations, "run_variant", lambda cache, config, folder, folds, datasets, note:
                        notes.append(note) or fake_scores(0.5))
    monkeypatch.setattr(ablations, "has_protocol", lambda *args: True)
    result = ablations.run_ablation(ablations.ABLATIONS["table6"], "cache.h5", tmp_path, "strict", TINY,
                                    note=DEMO_NOTE)
    assert notes == [DEMO_NOTE, DEMO_NOTE] and result["note"] is None
    notes.clear()
    monkeypatch.setattr(ablations, "has_protocol", lambda cache, protocol, datasets: protocol == "megc")
    result = ablations.run_ablation(ablations.ABLATIONS["table3"], "cache.h5", tmp_path, "strict", TINY,
                                    note=DEMO_NOTE)
    assert notes == [DEMO_NOTE] * 4
    assert result["protocol"] == "megc" and "no au5 samples" in result["note"]


@pytest.mark.slow
def test_a_real_ablation_on_a_prepared_cache_resumes(tiny_cache, tmp_path, monkeypatch):
    # STFF Table 6 with its whole-face-label row only: one real run (training is what costs time here).
    labels = ablations.ABLATIONS["table6"]
    monkeypatch.setitem(ablations.TABLES, "table6", replace(labels, variants=labels.variants[:1]))
    out = tmp_path / "abl"
    results = ablations.run_ablations(out, cache=tiny_cache, only="table6", overrides=TINY, folds="0")
    row = results[0]["rows"][0]
    assert row["label"] == "Label of the whole face" and Path(row["folder"]).name == "region_labels=False"
    run = json.loads((Path(row["folder"]) / "run.json").read_text())
    assert run["config"]["region_labels"] is False and run["config"]["spatial"]["patches"] == 1
    predictions = json.loads((Path(row["folder"]) / "folds" / "00_casme2_sub01" / "predictions.json").read_text())
    assert row["scores"]["folds_done"] == 1 and row["scores"]["folds_total"] == 3
    assert row["scores"]["n_samples"] == len(predictions) == 3  # one subject's three clips held out
    assert row["scores"]["accuracy"] == np.mean([p["label"] == p["predicted"] for p in predictions])
    table = (out / "ablations.md").read_text()
    assert "STFF Table 6" in table and "data actually used" in table
    assert f"| Label of the whole face | **{row['scores']['uar']:.3f}** (0.82) |" in table
    assert json.loads((out / "ablations.json").read_text())["results"][0]["name"] == "table6"

    done = Path(row["folder"]) / "folds" / "00_casme2_sub01" / "done.json"
    stamp = done.stat().st_mtime_ns
    again = ablations.run_ablations(out, cache=tiny_cache, only="table6", overrides=TINY, folds="0")
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


def test_stff_table5_and_table7_take_the_predecessor_from_its_own_runs(tmp_path, monkeypatch):
    """STFF Table 5's "Aouayeb et al. (2019)" row and Table 7's left column are cnn_lstm runs, not STFF without SE."""
    configs = {}
    monkeypatch.setattr(ablations, "has_protocol", lambda cache, protocol, datasets=None: datasets in (None, ["casme2"]))
    monkeypatch.setattr(ablations, "run_variant", lambda cache, config, folder, *rest: configs.update(
        {str(folder.relative_to(tmp_path)): config}) or fake_scores(0.5))
    monkeypatch.setattr(ablations, "scores", lambda folder, dataset=None: fake_scores(0.25 if dataset else 0.5))
    result = ablations.run_ablation(ablations.ABLATIONS["table5"], "cache.h5", tmp_path, "strict", TINY)
    predecessor = configs["runs/cnn_lstm_strict/megc/baseline"]
    assert predecessor.preset == "cnn_lstm_strict" and predecessor.spatial.head_units == (1024, 250, 20)
    assert predecessor.spatial.se == "none" and predecessor.region_label_mode == "emotion"
    assert result["rows"][0]["system"] == "cnn_lstm" and "fusion=none" not in configs
    table = ablations.table_markdown(ablations.ABLATIONS["table5"], result, "test")
    assert "| Aouayeb et al. (2019): the predecessor CNN-LSTM | **0.500** (0.90) |" in table
    assert "system `cnn_lstm`" in table

    configs.clear()
    table7 = ablations.PART_TABLES["table7"]
    result = ablations.run_ablation(table7, "cache.h5", tmp_path, "paper", TINY)
    assert sorted(configs) == ["runs/cnn_lstm_paper/megc/baseline", "runs/megc/baseline"]
    text = ablations.table_markdown(table7, result, "test")
    assert "| CASMEII | **0.250** (0.98) | **0.250** (0.98) | **0.250** (0.98) | **0.250** (0.99) | 3 |" in text
    assert "| FULL | **0.500** (0.90) |" in text and "SMIC: not run: the cache has no SMIC samples." in text
