"""Zhu et al. 2023 Table 5 page: the paper's four columns beside ours, sample counts, the warnings our runs need."""
from experiments.gia_bia_table5 import PAPER_TABLE5, VARIANTS, columns_for, run_seconds, table_markdown


def _row(accuracy, random_backbone=True, samples=20):
    return {"accuracy": accuracy, "accuracy_fold_mean": accuracy - 0.05, "uf1": 0.5, "uar": 0.25, "folds_done": 2,
            "folds_total": 8, "seconds": 12.5, "random_backbone": random_backbone, "parameters": 1234567,
            "n_samples": samples, "samples_total": 48}


def test_table5_page_puts_the_papers_four_columns_beside_ours_and_warns():
    results = {"CASME II": {n: _row(value) for (n, _), value in zip(VARIANTS, (0.1, 0.2, 0.3))}}
    text = table_markdown(results, "cache `demo.h5`", quick=True)
    table = [line for line in text.splitlines() if line.startswith("| ") and "IBs" in line and "---" not in line]
    assert table[0] == "| IBs | CASME II | SAMM | SMIC | MEGC |"
    assert [line.split(" | ")[0] for line in table[1:4]] == [f"| {label}" for _, label in VARIANTS]
    ten = table[3]
    assert "0.3000 / 0.5000 / 0.2500 (0.8513 / 0.8256 / 0.8570)" in ten
    assert "not run (0.7658 / 0.7364 / 0.7337)" in ten               # MEGC: the paper's figures, ours absent
    assert "| CASME II | 10 IBs | 1,234,567 | 20 / 48 (149) | 2/8 | 0.2500 | 12.5 |" in text
    assert "442" in text and "438" in text and "Zhu et al. 2023 Eq. 20" in text
    assert "RANDOM BACKBONE" in text and "DEMO" in text and "Not run: SAMM, SMIC, MEGC" in text
    with_weights = table_markdown({"SAMM": {n: _row(0.1, False) for n, _ in VARIANTS}}, "cache `x.h5`", quick=False)
    assert "RANDOM BACKBONE" not in with_weights and "DEMO" not in with_weights
    assert PAPER_TABLE5[24]["SAMM"] == (0.7580, 0.6066, 0.6258)


def test_every_cached_dataset_gets_its_column_and_the_composite_needs_two():
    assert columns_for(["casme2"]) == [("CASME II", ["casme2"])]
    assert columns_for(["casme2", "samm", "smic"]) == [("CASME II", ["casme2"]), ("SAMM", ["samm"]),
                                                       ("SMIC", ["smic"]), ("MEGC", None)]


def test_a_resumed_run_reports_its_folds_own_seconds(tmp_path):
    """A run resumed for its last fold shows both folds' training time, not the resume's."""
    import json

    from micro_expr.core.run_folder import DONE, RunFolder

    folds = [{"index": 0, "name": "casme2/sub01", "test": []}, {"index": 1, "name": "casme2/sub02", "test": []}]
    (tmp_path / "run.json").write_text(json.dumps({"config": {}, "folds": folds, "items": []}))
    run = RunFolder(tmp_path)
    for fold, seconds in zip(folds, (100.0, 50.5)):
        run.fold_folder(fold).mkdir(parents=True)
        (run.fold_folder(fold) / DONE).write_text(json.dumps({"seconds": seconds}))
    assert run_seconds(tmp_path) == 150.5
