"""A tiny end-to-end LOSO on a cache of real faces: outputs, resume after a killed fold, determinism."""
import json

import numpy as np
import pytest

from data_prep.errors import InputError
from micro_expr.core import engines, runner
from micro_expr.stff.config import get_preset
from micro_expr.stff.system import STFF
from micro_expr.core.system import Item
from micro_expr.core.runner import Fold, cross_dataset_folds, loso_folds, run_protocol, select_folds

pytestmark = pytest.mark.slow   # every test here trains folds or runs the CLI end to end

TINY = {"spatial.patches": 1, "spatial.epochs": 1, "spatial.batch_size": 8, "temporal.epochs": 2,
        "temporal.batch_size": 4, "temporal.sequence_length": 8}


def predictions(folder):
    return sorted((p["key"], p["predicted"], tuple(round(v, 5) for v in p["probabilities"]))
                  for f in sorted((folder / "folds").iterdir()) for p in json.loads((f / "predictions.json").read_text()))


@pytest.fixture(scope="module")
def resumed_run(tiny_cache, tmp_path_factory):
    """A strict LOSO run killed during its second fold, then run again to the end."""
    out = tmp_path_factory.mktemp("run")
    config = get_preset("strict", **TINY)
    real_run_fold = engines.run_fold
    calls = []

    def killed_at_second(*args, **kwargs):
        calls.append(args[1].name)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_run_fold(*args, **kwargs)

    engines.run_fold = killed_at_second
    try:
        with pytest.raises(KeyboardInterrupt):
            run_protocol(STFF(config), tiny_cache, out)
    finally:
        engines.run_fold = real_run_fold
    first_done = (out / "folds" / "00_casme2_sub01" / "done.json").stat().st_mtime_ns
    results = run_protocol(STFF(config), tiny_cache, out)
    return out, results, calls, first_done


def test_outputs_of_a_loso_run(resumed_run):
    out, results, _, _ = resumed_run
    assert results["n_samples"] == 9 and results["n_folds"] == 3
    assert results["classes"] == ["negative", "positive", "surprise"]
    full = results["metrics"]["FULL"]
    assert np.sum(full["confusion_matrix"]) == 9 and full["support"] == [3, 3, 3]
    assert set(full["fold_accuracies"]) == {"casme2/sub01", "casme2/sub02", "casme2/sub03"}
    assert results["config"]["preset"] == "strict" and results["versions"]["keras"].startswith("3.")
    for name in ("results.json", "results.md", "confusion_matrix.png", "training_curves.png", "train.log"):
        assert (out / name).stat().st_size > 0
    fold = out / "folds" / "01_casme2_sub02"
    for region in ("R0", "R5"):   # one format per checkpoint: .keras (the Keras 2 .h5: mer checkpoint export)
        assert (fold / "spatial" / f"{region}.keras").exists() and not (fold / "spatial" / f"{region}.h5").exists()
    assert (fold / "temporal.keras").exists() and not (fold / "temporal.h5").exists()
    meta = json.loads((fold / "temporal.json").read_text())
    assert meta["classes"] == ["negative", "positive", "surprise"] and meta["config"]["preset"] == "strict"
    held_out = json.loads((fold / "predictions.json").read_text())
    assert {p["subject"] for p in held_out} == {"casme2/sub02"}
    assert all(abs(sum(p["probabilities"]) - 1) < 1e-4 for p in held_out)
    assert "| FULL | 9 |" in (out / "results.md").read_text()


def test_a_killed_run_resumes_at_its_first_unfinished_fold(resumed_run):
    out, _, calls, first_done = resumed_run
    assert calls == ["casme2/sub01", "casme2/sub02"]  # killed during the second fold
    assert (out / "folds" / "00_casme2_sub01" / "done.json").stat().st_mtime_ns == first_done  # not redone
    log = (out / "train.log").read_text()
    assert "3 folds, 3 to run" in log and "3 folds, 2 to run" in log


def test_folds_run_separately_give_the_same_predictions(resumed_run, tiny_cache, tmp_path):
    """--folds splits a run (e.g. over cluster jobs); every fold restarts from the same state."""
    out, _, _, _ = resumed_run
    config = get_preset("strict", **TINY)
    assert run_protocol(STFF(config), tiny_cache, tmp_path, fold_selection="casme2/sub03") is None  # not all done
    results = run_protocol(STFF(config), tiny_cache, tmp_path, fold_selection="0-1")
    assert results is not None
    assert predictions(tmp_path) == predictions(out)


def test_a_run_folder_with_other_settings_is_refused(resumed_run, tiny_cache):
    out, _, _, _ = resumed_run
    with pytest.raises(InputError, match=r"run.json: this folder holds a run with other settings .*spatial"):
        run_protocol(STFF(get_preset("strict", **{**TINY, "spatial.patches": 4})), tiny_cache, out)


def test_leaky_frame50_split_trains_the_spatial_models_once(tiny_cache, tmp_path):
    config = get_preset("original", **{**TINY, "temporal.sequence_length": 8})
    results = run_protocol(STFF(config), tiny_cache, tmp_path)
    assert results["n_samples"] == 9
    assert (tmp_path / "spatial_shared" / "R0.keras").exists()
    assert not (tmp_path / "folds" / "00_casme2_sub01" / "spatial").exists()
    assert "spatial (frame50, all subjects mixed): 27 of 54 frames" in (tmp_path / "train.log").read_text()
    assert not (tmp_path / "spatial_shared" / "R0.h5").exists()   # one format: .keras
    # Resumed after the shared stage: its models come back from the .keras files, the fold scores the same.
    last = sorted((tmp_path / "folds").iterdir())[-1]
    before = json.loads((last / "predictions.json").read_text())
    (last / "done.json").unlink()
    again = run_protocol(STFF(config), tiny_cache, tmp_path)
    after = json.loads((last / "predictions.json").read_text())
    assert [p["predicted"] for p in after] == [p["predicted"] for p in before]
    np.testing.assert_allclose([p["probabilities"] for p in after], [p["probabilities"] for p in before], atol=1e-5)
    assert again["metrics"]["FULL"]["confusion_matrix"] == results["metrics"]["FULL"]["confusion_matrix"]


def items(datasets_subjects):
    return [Item(f"{d}/{s}/x{i}", d, f"{d}/{s}", i % 3, 5) for i, (d, s) in enumerate(datasets_subjects)]


def test_loso_and_cross_dataset_folds():
    pool = items([("casme2", "sub01"), ("casme2", "sub01"), ("casme2", "sub02"), ("samm", "006"), ("smic", "s1")])
    folds = loso_folds(pool)
    assert [(f.name, f.test) for f in folds] == [("casme2/sub01", (0, 1)), ("casme2/sub02", (2,)),
                                                ("samm/006", (3,)), ("smic/s1", (4,))]
    assert folds[0].train == (2, 3, 4)
    cross = cross_dataset_folds(pool, {"casme2", "smic"}, "samm")
    assert cross == [Fold(0, "casme2+smic_to_samm", (0, 1, 2, 4), (3,))]
    with pytest.raises(InputError, match="cross-dataset: no samples"):
        cross_dataset_folds(pool, {"casme2"}, "mmew")


def test_fold_selection():
    folds = loso_folds(items([("casme2", f"sub{i:02d}") for i in range(1, 9)]))
    assert [f.index for f in select_folds(folds, "0-2,5")] == [0, 1, 2, 5]
    assert [f.index for f in select_folds(folds, "casme2/sub08")] == [7]
    with pytest.raises(InputError, match="no fold \\[9\\]"):
        select_folds(folds, "9")
    with pytest.raises(InputError, match="unknown fold 'sub99'"):
        select_folds(folds, "sub99")
