"""experiments/mean_demo_tables.py: MEAN Tables 5, 7, 8 and Fig. 7 through the real post-processing and the
published checkpoints, the paper's figures beside ours, labelled as the long-video demo."""
import json
from types import SimpleNamespace

import numpy as np
import pytest

from data_prep.long_videos import Expression, LongVideo
from experiments import mean_demo_tables as tables
from tests.helpers import seed_text


def test_paper_figures_are_the_seed_texts():
    text = seed_text("MEAN")
    columns = [column for _, column in tables.WEIGHT_SETS]

    def printed(v):
        return str(v) if isinstance(v, int) else f"{v:.4f}"

    for index, name in enumerate(("Total", "TP", "FP", "FN", "Precision", "Recall", "F1-score")):
        cells = [printed(tables.PAPER_TABLE5[c][task][index]) for c in columns for task in ("S", "A")]
        assert f"{name}\t" + "\t".join(cells) in text, f"MEAN Table 5 row {name}"
    assert "STRS\t" + "\t\t".join(f"{tables.PAPER_TABLE5[c]['strs']:.4f}" for c in columns) in text
    for smoothing, figures in tables.PAPER_TABLE7.items():
        assert "\t".join(f"{v:.4f}" for v in figures) in text.replace("<b>", "").replace("</b>", ""), smoothing
    plain = text.replace("<b>", "").replace("</b>", "")
    for case, number in zip(tables.PAPER_TABLE8, (1, 2, 3)):
        line = next(line for line in plain.split("\n") if line.startswith(f"Case {number}\t"))
        assert [float(v) for v in line.split("\t")[1:]] == list(tables.PAPER_TABLE8[case])


class TinyDemo(tables.DemoOutputs):
    """Two 60-frame 'videos' with one ME each and random features: the published networks and the real
    post-processing run on them, without building the long-video demo (that is the slow test)."""

    def __init__(self, args):
        from micro_expr.mean.config import get_preset

        self.args, self.config = args, get_preset("original", k_prime=6, analysis_classes="truth")
        rng = np.random.default_rng(0)
        self.videos = [LongVideo("casme_sq", f"s{i}", f"{i}_0101demo", None, list(range(1, 61)),
                                 [f"img{n}.jpg" for n in range(1, 61)],
                                 [Expression(20, 25, 32, "", cls)]) for i, cls in ((1, "negative"), (2, "surprise"))]
        self.subjects, self.k, self.k_prime = ["s1", "s2"], 3, 6
        self.features = {v.key: rng.random((57, 42, 42, 3), dtype=np.float32) for v in self.videos}
        self._outputs = {}


def test_tables_run_the_published_weights_and_say_the_data(mean_weights, tmp_path):
    args = SimpleNamespace(dir=tmp_path, weights=mean_weights, preset="original", quick=True, k_prime=6,
                           analysis_classes="truth")
    demo = TinyDemo(args)
    text = tables.table8(args, demo)
    assert "NOT the paper's datasets" in text and "published folds s1..s2" in text
    assert "| Case 1: onset to apex [F_p - k', F_p - 1] | **" in text and "(0.5927; TP " in text
    saved = json.loads((tmp_path / "table8.json").read_text())
    assert saved["data"].startswith("long-video demo") and len(saved["rows"]) == 3 and len(saved["rows"][0]) == 7
    assert set(demo._outputs) == {name for name, _ in tables.WEIGHT_SETS}      # all six published weight sets ran
    scores, probabilities = demo._outputs["CASME_sq"][0]["casme_sq/s1/1_0101demo"]
    assert scores.shape == (57,) and probabilities.shape == (57, 3)
    summary, rows = demo.summary("CASME_sq", smoothing="gaussian3")
    assert summary["spotting"]["tp"] + summary["spotting"]["fn"] == 2
    total, correct = tables.analysis_counts(rows)
    assert total == summary["spotting"]["tp"] and 0 <= correct <= total
    text = tables.table5(args, demo)
    assert "| CASME_sq (CAS(ME)^2) | spotting | **2** (57) |" in text


@pytest.mark.slow
def test_gradcam_figure_on_the_quick_long_video_demo(mean_weights, pyfeat_wheel, tmp_path):
    from data_prep.demo.long_video import build_long_video_demo

    build_long_video_demo(tmp_path, seconds=4, n_mes=1, seed=1)
    args = SimpleNamespace(dir=tmp_path, weights=mean_weights, preset="original", quick=True, k_prime=6,
                           analysis_classes="truth")
    png = tables.gradcam(args)
    assert png.stat().st_size > 10_000
    spots = json.loads((tmp_path / "fig7_gradcam.json").read_text())["spots"]
    assert spots and all(s["video"].startswith("casme_sq/") for s in spots)
