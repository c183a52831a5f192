"""experiments/predecessor_tables.py: Aouayeb et al. 2021 Tables 5-7 and 10-13 as commands."""
import json
from pathlib import Path

import pytest

from data_prep.errors import InputError
from experiments import ablations
from experiments import predecessor_tables as tables
from tests.helpers import seed_text

TINY = {"spatial.epochs": 1, "spatial.batch_size": 16, "temporal.epochs": 2, "temporal.batch_size": 4,
        "temporal.sequence_length": 8}


def test_paper_figures_are_the_papers():
    text = seed_text("Aouayeb et al. 2021")
    figures = [v for a in tables.ABLATION_TABLES.values() for row in a.paper.values() for v in row]
    figures += [v for t in tables.PART_TABLES.values() for *_, row in t["rows"] for v in row]
    figures += [v for t in tables.CROSS_TABLES.values() for *_, row in t["rows"] for v in row]
    assert len(figures) == 12 + 6 + 6 + 8 + 6 + 18 + 4
    for value in figures:
        assert f"{value:.2f}" in text
    assert "SMIC & SAMM\tCASME II\t0.92\t0.91" in text  # a cross-dataset row, read as the table prints it


def test_selection():
    assert tables.chosen_tables("table6, table12") == ["table6", "table12"]
    assert len(tables.chosen_tables(None)) == 7
    with pytest.raises(InputError, match="unknown table"):
        tables.chosen_tables("table8")


def test_rows_without_their_datasets_are_not_run_and_say_why(tmp_path, monkeypatch):
    runs = []
    monkeypatch.setattr(ablations, "run_variant", lambda cache, config, folder, *rest: runs.append(folder))
    monkeypatch.setattr(ablations, "scores", lambda folder, dataset=None: {
        "uf1": 0.5, "uar": 0.25, "accuracy": 0.75, "weighted_f1": 0.5, "n_samples": 7 if dataset else 9})
    result = tables.run_part_table("table10", "c.h5", tmp_path, "cnn_lstm_paper", TINY, None, {"casme2"})
    assert runs == [tmp_path / "runs" / "cnn_lstm_paper" / "megc" / "baseline"]
    assert [("skipped" in row) for row in result["rows"]] == [False, True, False, True]
    text = tables.result_markdown("table10", result, "test")
    assert "| FULL | **0.500** (0.90) | **0.250** (0.90) | 9 |" in text
    assert "| CASME II part | **0.500** (0.98) | **0.250** (0.98) | 7 |" in text
    assert "SMIC part: not run: the cache has no SMIC samples." in text

    cross = tables.run_cross_table("table12", "c.h5", tmp_path, "cnn_lstm_paper", TINY, {"casme2"})
    assert all("skipped" in row for row in cross["rows"]) and len(cross["rows"]) == 9
    text = tables.result_markdown("table12", cross, "test")
    assert "| SMIC & SAMM -> CASME II | not run (0.92) | not run (0.91) | - |" in text


def test_cross_dataset_rows_run_on_the_named_datasets(tmp_path, monkeypatch):
    import micro_expr.core.runner

    calls = []
    monkeypatch.setattr(micro_expr.core.runner, "run_protocol", lambda config, cache, folder, **kw: calls.append(kw))
    monkeypatch.setattr(ablations, "scores", lambda folder, dataset=None: {"accuracy": 1.0, "weighted_f1": 1.0,
                                                                           "n_samples": 3})
    result = tables.run_cross_table("table13", "c.h5", tmp_path, "cnn_lstm_paper", TINY, {"casme2", "samm"})
    assert [(c["train_datasets"], c["test_dataset"], c["folds_kind"]) for c in calls] == \
        [(["casme2"], "samm", "cross"), (["samm"], "casme2", "cross")]
    assert Path(result["rows"][0]["folder"]).parts[-3:] == ("au5", "cross", "casme2_to_samm")


@pytest.mark.slow
def test_table6_on_a_prepared_cache(tiny_cache, tmp_path):
    """One real run of Aouayeb et al. 2021 Table 6's classic-CNN row (one fold); the tables file says what was measured."""
    classic = tables.ABLATION_TABLES["table6"]
    from dataclasses import replace

    tables.ABLATION_TABLES["table6"] = replace(classic, variants=classic.variants[:1])
    try:
        results = tables.run_tables(tmp_path, tiny_cache, "table6", "cnn_lstm_strict", TINY, folds="0")
    finally:
        tables.ABLATION_TABLES["table6"] = classic
    row = results["table6"]["rows"][0]
    run = json.loads((Path(row["folder"]) / "run.json").read_text())
    assert run["config"]["spatial"]["encoder"] == "classic" and run["config"]["preset"] == "cnn_lstm_strict"
    assert row["scores"]["n_samples"] == 3
    text = (tmp_path / "predecessor_tables.md").read_text()
    assert "Aouayeb et al. 2021 Table 6" in text and "(0.85)" in text
