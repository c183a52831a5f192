"""The GIA + BIA + Bi-LSTM system through the common runner: one tiny LOSO on real faces."""
import json

import numpy as np
import pytest

from tests.helpers import GIA_BIA_TINY as TINY


@pytest.mark.slow
def test_tiny_loso_end_to_end_through_the_runner(tiny_cache, tmp_path):
    from micro_expr.core.runner import run_protocol
    from micro_expr.registry import build_system

    system = build_system("gia_bia", "quick", n_blocks=10, clip_cache=str(tmp_path / "clips.h5"),
                          frames_roots=f"casme2={tiny_cache.parent / 'casme2'}",
                          **{**TINY, "size": 32, "frames": 4})
    out = tmp_path / "run"
    results = run_protocol(system, tiny_cache, out)
    assert results["n_samples"] == 9 and results["n_folds"] == 3
    predictions = [p for fold in sorted((out / "folds").iterdir()) for p in
                   json.loads((fold / "predictions.json").read_text())]
    assert len(predictions) == 9 and {p["subject"] for p in predictions} == {"casme2/sub01", "casme2/sub02", "casme2/sub03"}
    assert all(np.isclose(sum(p["probabilities"]), 1, atol=1e-5) for p in predictions)
    assert "RANDOM BACKBONE" in (out / "results.md").read_text()
    fold = sorted((out / "folds").iterdir())[0]
    assert json.loads((fold / "model.json").read_text())["backbone"]["random"] is True
    # The clips were cached with their settings; the fitted fold reloads and explains.
    from micro_expr.gia_bia.system import GiaBia

    assert (tmp_path / "clips.h5").exists()
    loaded = GiaBia.load(fold)
    assert loaded.config.n_blocks == 10
