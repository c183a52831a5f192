"""experiments/comparisons.py: STFF Table 8, Zhu et al. 2023 Table 6 and the Aouayeb et al. 2019 slides' comparison,
quoted rows as the seed texts print them, our row from a run folder, labelled with its data."""
import json

import pytest

from data_prep.errors import InputError
from experiments import ablations, comparisons
from tests.helpers import seed_text

SEEDS = {"stff_table8": "STFF", "slides_comparison": "Aouayeb et al. 2019", "zhu_table6": "Zhu et al. 2023"}


def _printed(name, figures):
    """A quoted row's figures as its seed text prints them (OCR text, Markdown table or tab-separated)."""
    if name == "stff_table8":
        return " ".join(f"{v:.2f}" for v in figures)
    if name == "zhu_table6":
        return "\t".join("—" if v is None else f"{v:.4f}" for v in figures)
    return "\t".join(f"{v:.4f}" for v in figures)


@pytest.mark.parametrize("name", list(comparisons.COMPARISONS))
def test_quoted_rows_are_the_seed_texts_rows(name):
    text = seed_text(SEEDS[name])
    comparison = comparisons.COMPARISONS[name]
    width = len(comparison.parts) * len(comparison.metrics)
    for method, _, figures in comparison.rows:
        assert len(figures) == width, method
        if name == "slides_comparison" and "proposed" in method:   # printed in bold: <b>0.9022</b>
            assert "\t".join(f"<b>{v:.4f}</b>" for v in figures) in text
        else:
            assert _printed(name, figures) in text, f"{comparison.source} {method}"
    assert len(comparison.rows) == {"stff_table8": 12, "slides_comparison": 10, "zhu_table6": 9}[name]


def test_our_row_comes_from_the_run_and_says_it_is_the_demo(tmp_path, monkeypatch):
    from micro_expr.core.run_folder import RunFolder

    (tmp_path / "run.json").write_text(json.dumps({"system": "cnn_lstm", "cache": "demo_out/cache.h5",
                                                   "note": "Scores on the bundled demo ..."}))
    monkeypatch.setattr(RunFolder, "finished_folds", lambda self: ["f0"])
    monkeypatch.setattr(RunFolder, "predictions", lambda self, folds: [{"dataset": "casme2"}] * 6)
    monkeypatch.setattr(ablations, "scores", lambda folder, dataset=None: {
        "uf1": 0.5, "uar": 0.625, "accuracy_pooled": 0.75, "n_samples": 6, "folds_done": 2, "folds_total": 8})
    text = comparisons.run_comparison("slides_comparison", tmp_path)
    assert "| **this project's run, synthetic demo (real faces, synthetic movements)** | `cnn_lstm` | **0.500** | " \
           "**0.625** | - | - | **0.500** | **0.625** | - | - |" in text
    assert "not comparable with the quoted rows" in text and "folds 2/8" in text
    assert "| LBP-TOP [22] | handcrafted | 0.5882 | 0.5785 |" in text
    saved = json.loads((tmp_path / "slides_comparison.json").read_text())
    assert saved["data"].startswith("synthetic demo") and saved["ours"][:2] == [0.5, 0.625]
    zhu = comparisons.run_comparison("zhu_table6", tmp_path)   # Acc is the pooled accuracy, Zhu et al. 2023 Eq. 20
    assert "| **this project's run, synthetic demo (real faces, synthetic movements)** | `cnn_lstm` | **0.750** |" in zhu


def test_a_folder_without_run_json_is_refused(tmp_path):
    with pytest.raises(InputError, match="not a run folder"):
        comparisons.run_comparison("stff_table8", tmp_path)
