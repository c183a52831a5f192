"""Zhu et al. 2023 Table 5 page: the paper's figures beside ours, with the warnings our runs need."""
from experiments.gia_bia_table5 import PAPER_TABLE5, VARIANTS, table_markdown


def _row(accuracy, random_backbone=True):
    return {"accuracy": accuracy, "uf1": 0.5, "uar": 0.25, "folds_done": 2, "folds_total": 8, "seconds": 12.5,
            "random_backbone": random_backbone, "parameters": 1234567}


def test_table5_page_puts_the_papers_figures_beside_ours_and_warns():
    rows = [("folder", _row(value)) for value in (0.1, 0.2, 0.3)]
    text = table_markdown(rows, "cache `demo.h5`", quick=True)
    lines = [line for line in text.splitlines() if line.startswith("| ") and "IBs" in line and "---" not in line]
    assert [line.split(" | ")[0] for line in lines[1:]] == [f"| {label}" for _, label in VARIANTS]
    ten = lines[3]
    assert "0.3000" in ten and "0.8513 / 0.8256 / 0.8570" in ten and "0.7658 / 0.7364 / 0.7337" in ten
    assert "1,234,567" in ten and "2/8" in ten
    assert "RANDOM BACKBONE" in text and "DEMO" in text
    with_weights = table_markdown([("f", _row(0.1, False))] * 3, "cache `x.h5`", quick=False)
    assert "RANDOM BACKBONE" not in with_weights and "DEMO" not in with_weights
    assert PAPER_TABLE5[24]["SAMM"] == (0.7580, 0.6066, 0.6258)
