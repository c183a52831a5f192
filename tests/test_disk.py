"""Disk use of a run (issue 23 item 6): an estimate from the configuration instead of a fixed floor, a full disk
named with the file being written, temporaries swept."""
import errno
import os
import shutil
from collections import namedtuple

import numpy as np
import pytest

from data_prep import output
from data_prep.errors import OutputError
from micro_expr.core import disk, engines
from micro_expr.core.run_folder import RunFolder
from tests.helpers import install_fake_cache

Usage = namedtuple("Usage", "total used free")


def free_space(monkeypatch, free):
    monkeypatch.setattr(output.shutil, "disk_usage", lambda path: Usage(10**12, 10**12 - free, free))


def checkpoint_size(stem):
    return sum(os.path.getsize(f"{stem}{suffix}") for suffix in disk.CHECKPOINT_FILES)


def test_checkpoint_bytes_follow_the_parameters_and_the_files_written(tmp_path):
    """Hand-computed, then against what save_checkpoint really writes for a small and a 0.3 M-parameter model."""
    import keras

    from micro_expr.core.checkpoints import save_checkpoint
    from micro_expr.mean.model import build_mean

    files = {".keras": (4, 100), ".h5": (4, 10)}
    assert disk.checkpoint_bytes(1000, files) == 4 * 1000 + 100 + 4 * 1000 + 10
    wide = keras.Sequential([keras.Input((512,)), keras.layers.Dense(600), keras.layers.Dense(3)])
    for name, model in (("mean", build_mean(5)), ("wide", wide)):
        save_checkpoint(model, tmp_path / name, {"config": {"preset": "x"}, "classes": ["a", "b", "c"]})
        written, estimated = checkpoint_size(tmp_path / name), disk.checkpoint_bytes(model.count_params())
        assert written <= estimated * disk.MARGIN and estimated < 1.5 * written, (name, written, estimated)


def mean_plan(monkeypatch, tmp_path, subjects=("s1", "s2")):
    from micro_expr.core.plan import RunRequest, disk_estimate, open_data, plan_run
    from micro_expr.mean.system import MEAN

    install_fake_cache(monkeypatch, subjects=subjects)
    request = RunRequest(MEAN.from_preset("paper", epochs_spot=1, epochs_recog=1), "fake.h5", tmp_path / "run")
    run = RunFolder(request.out)
    with open_data(request.source) as cache:
        items, folds, description = plan_run(request, cache)
    return run, description, disk_estimate(request, run, items, folds, folds)


def test_a_small_mean_run_passes_on_21_mb_and_is_refused_below_its_estimate(monkeypatch, tmp_path):
    """The fixed 52 MB floor refused a 0.8 MB MEAN run on 21 MB free; the estimate is what its folds write."""
    run, description, estimate = mean_plan(monkeypatch, tmp_path)
    assert estimate.folds == 2 and estimate.shared == 0
    assert 2 * disk.checkpoint_bytes(7_608) < estimate.per_fold * 2 < estimate.total < 3e6
    free_space(monkeypatch, estimate.total - 1)
    with pytest.raises(OutputError, match=r"run: only \d\.\d MB free on this disk, and this needs about "
                                          r"\d\.\d MB \(2 fold\(s\) x 0\.\d MB \+ run files"):
        run.claim(description, estimate)
    assert not run.path.exists()   # refused before anything is created
    free_space(monkeypatch, 21_000_000)
    run.claim(description, estimate)
    assert run.exists()


def test_a_full_disk_while_a_fold_saves_names_the_file_and_leaves_no_temporary(monkeypatch, tmp_path):
    run, description, estimate = mean_plan(monkeypatch, tmp_path)
    run.claim(description)
    from micro_expr.core.folds import Fold

    fold = Fold(0, "smic/s1", np.array([1]), np.array([0]))

    class FullDisk:
        history_ = {}
        records_held_out = False

        def for_fold(self, fold):
            return self

        def fit(self, X, y):
            return self

        def fold_predictions(self, X, items):
            return [{"key": "k", "label": 0, "predicted": 0}]

        def save(self, folder):
            folder.mkdir(parents=True, exist_ok=True)
            temporary = folder / f"mean.{os.getpid()}.tmp.keras"
            temporary.write_bytes(b"half a checkpoint")
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with pytest.raises(OutputError, match=r"00_smic_s1/mean\.\d+\.tmp\.keras: cannot write: no space left on device "
                                          r"\(fold 00_smic_s1\); its training is lost, the finished folds are kept"):
        engines.run_fold(FullDisk(), fold, [None, None], [None, None], np.array([0, 1]), run)
    folder = run.fold_folder(fold)
    assert sorted(p.name for p in folder.iterdir()) == [] and not run.is_done(fold)

    def other_error(self, folder):
        raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(FullDisk, "save", other_error)
    with pytest.raises(OSError, match="I/O error"):   # not a full disk: passed on as it is
        engines.run_fold(FullDisk(), fold, [None, None], [None, None], np.array([0, 1]), run)


def test_each_fold_checks_its_space_before_it_trains(monkeypatch, tmp_path):
    run, description, estimate = mean_plan(monkeypatch, tmp_path)
    from micro_expr.core.folds import Fold

    fold = Fold(1, "smic/s2", np.array([0]), np.array([1]))
    free_space(monkeypatch, int(estimate.per_fold))
    with pytest.raises(OutputError, match=r"01_smic_s2: only .* this needs about 0\.\d MB for fold smic/s2"):
        engines.check_fold_space(run, fold, estimate)
    free_space(monkeypatch, int(2 * estimate.per_fold))
    engines.check_fold_space(run, fold, estimate)


def test_a_resumed_run_measures_its_finished_folds(tmp_path):
    """No model is built on resume: the largest finished fold's files (done.json) stand for each fold to run."""
    from micro_expr.core.run_folder import write_json

    run = RunFolder(tmp_path / "run")
    folds = [{"index": 0, "name": "a"}, {"index": 1, "name": "b"}]
    run.fold_folder(folds[0]).mkdir(parents=True)
    write_json(run.fold_folder(folds[0]) / "done.json", {"files": {"m.keras": [3_000_000, "x"], "p.json": [500, "y"]}})
    estimate = disk.run_estimate(object(), 10, [4], run_folder=run, done_folds=folds[:1])
    assert estimate.per_fold == 3_000_500 + 4 * disk.PER_TEST_ITEM and estimate.folds == 1
    assert estimate.total == int(disk.MARGIN * (estimate.per_fold + disk.RESULTS + 10 * disk.PER_ITEM))


def test_the_estimate_of_a_trained_stff_run_is_what_its_folds_wrote(demo_run):
    """The tiny trained demo run (STFF): the estimate from its configuration against the files it wrote."""
    from micro_expr.registry import system_class

    run_dir, _ = demo_run
    run = RunFolder(run_dir)
    description = run.read()
    system = system_class(description["system"]).from_config_dict(description["config"])
    tests = [len(fold["test"]) for fold in description["folds"]]
    estimate = disk.run_estimate(system, len(description["items"]), tests, shared=system.has_shared_stage)
    written = [disk.finished_fold_bytes(run, [fold]) for fold in description["folds"]]
    assert all(w <= estimate.per_fold * disk.MARGIN and estimate.per_fold < 1.5 * w for w in written), \
        (written, estimate)
    shared = sum(p.stat().st_size for p in run.shared_folder.rglob("*") if p.is_file())
    assert (shared <= estimate.shared * disk.MARGIN and estimate.shared < 1.5 * shared) if system.has_shared_stage \
        else estimate.shared == 0


def test_mer_predict_sweeps_the_temporaries_of_its_report_folder_first(tmp_path, capsys):
    import json
    import subprocess
    import sys

    from micro_expr.cli import main

    pid = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                             text=True).stdout)
    run = tmp_path / "run"
    run.mkdir()
    (run / "run.json").write_text(json.dumps({"system": "stff", "config": {}, "folds": []}))
    out = tmp_path / "report"
    out.mkdir()
    left = out / f".prediction.json.{pid}.tmp"
    left.write_text("{half")
    assert main(["predict", "--run", str(run), str(tmp_path), "--out", str(out)]) == 2
    assert "no finished fold" in capsys.readouterr().err
    assert not left.exists()
