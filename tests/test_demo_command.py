"""`mer demo` end to end on the quick demo, with a tiny training schedule (the full one is minutes long)."""
import pytest
import json

from data_prep.datasets import read_casme2
from micro_expr.cli import main

pytestmark = pytest.mark.slow   # every test here trains folds or runs the CLI end to end

TINY = ["--set", "spatial.patches=1", "--set", "spatial.epochs=1", "--set", "temporal.epochs=2",
        "--set", "temporal.sequence_length=8", "--no-progress"]


def test_mer_demo_quick_runs_through_and_resumes(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--quick", "--out", str(out), "--folds", "0"] + TINY) == 0
    printed = capsys.readouterr().out
    assert "8 subjects, 48 samples, classes negative, positive, surprise" in printed
    assert "selected folds done" in printed and not (out / "results.json").exists()

    # The dataset is in the CASME II layout and the real reader reads it unchanged.
    samples, failures = read_casme2(out / "dataset", out / "dataset" / "CASME2-coding-demo.xlsx")
    assert len(samples) == 48 and not failures
    assert len({s.subject for s in samples}) == 8

    assert main(["demo", "--quick", "--out", str(out)] + TINY) == 0  # resumes: fold 0 is not redone
    printed = capsys.readouterr().out
    assert "samples: 48 (48 already cached, 0 prepared now, 0 failed)" in printed
    assert "NOTE: Scores on the bundled demo" in printed and "FULL" in printed
    results = json.loads((out / "results.json").read_text())
    assert results["n_samples"] == 48 and results["n_folds"] == 8
    assert results["note"].startswith("Scores on the bundled demo")
    assert "8 folds, 7 to run" in (out / "train.log").read_text()
    for name in ("results.md", "confusion_matrix.png", "training_curves.png", "cache.h5"):
        assert (out / name).exists()
