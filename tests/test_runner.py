"""The common runner and run folder: MEAN through it (resume, --folds), locks, refusals, broken run files."""
import json
import multiprocessing

import pytest

from data_prep.errors import InputError
from micro_expr.core import engines, runner
from micro_expr.core.run_folder import RunFolder, file_lock
from tests.helpers import install_fake_cache

QUICK_MEAN = {"epochs_spot": 1, "epochs_recog": 1, "flow": "farneback", "seed": 3}


def mean_system():
    from micro_expr.mean.system import MEAN

    return MEAN.from_preset("paper", **QUICK_MEAN)


def fold_outputs(out):
    """Everything a MEAN fold predicted, per fold (spots, scores, classes)."""
    folder = RunFolder(out)
    return {fold["name"]: folder.fold_predictions(fold) for fold in folder.finished_folds()}


@pytest.mark.slow
def test_mean_runs_through_the_runner_and_resumes_with_identical_metrics(monkeypatch, tmp_path):
    install_fake_cache(monkeypatch, subjects=("s1", "s2", "s10"))
    whole = runner.run_protocol(mean_system(), "fake.h5", tmp_path / "whole")
    assert [f["name"] for f in RunFolder(tmp_path / "whole").read()["folds"]] == ["smic/s1", "smic/s2", "smic/s10"]

    killed = tmp_path / "killed"
    real_run_fold, calls = engines.run_fold, []

    def killed_at_second(*args, **kwargs):
        calls.append(args[1].name)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_run_fold(*args, **kwargs)

    monkeypatch.setattr(engines, "run_fold", killed_at_second)
    with pytest.raises(KeyboardInterrupt):
        runner.run_protocol(mean_system(), "fake.h5", killed)
    monkeypatch.setattr(engines, "run_fold", real_run_fold)
    assert [f["name"] for f in RunFolder(killed).finished_folds()] == ["smic/s1"]
    resumed = runner.run_protocol(mean_system(), "fake.h5", killed)
    for key in ("spotting", "analysis", "strs", "k", "k_prime", "folds"):
        assert resumed[key] == whole[key]
    assert fold_outputs(killed) == fold_outputs(tmp_path / "whole")
    assert (killed / "folds" / "01_smic_s2" / "mean.keras").is_file()
    assert "mean: spot-then-recognise" in (killed / "results.md").read_text()


@pytest.mark.slow
def test_mean_folds_split_over_runs_give_the_same_predictions(monkeypatch, tmp_path):
    install_fake_cache(monkeypatch, subjects=("s1", "s2"))
    runner.run_protocol(mean_system(), "fake.h5", tmp_path / "whole")
    assert runner.run_protocol(mean_system(), "fake.h5", tmp_path / "split", fold_selection="1") is None
    merged = runner.run_protocol(mean_system(), "fake.h5", tmp_path / "split", fold_selection="0")
    assert merged is not None and merged["folds"] == 2
    assert fold_outputs(tmp_path / "split") == fold_outputs(tmp_path / "whole")


@pytest.mark.slow
def test_a_fold_held_by_another_process_is_skipped(monkeypatch, tmp_path):
    install_fake_cache(monkeypatch, subjects=("s1", "s2"))
    out = tmp_path / "run"
    assert runner.run_protocol(mean_system(), "fake.h5", out, fold_selection="0") is None  # claims the folder
    folder = RunFolder(out)
    second = folder.read()["folds"][1]
    folder.fold_folder(second).mkdir(parents=True, exist_ok=True)
    held, release = multiprocessing.Event(), multiprocessing.Event()
    holder = multiprocessing.get_context("fork").Process(target=_hold, args=(folder.fold_folder(second) / "lock",
                                                                             held, release))
    holder.start()
    try:
        assert held.wait(10)
        assert runner.run_protocol(mean_system(), "fake.h5", out) is None   # fold 1 is another process's
        assert not folder.is_done(second)
        assert "being trained by another process" in (out / "train.log").read_text()
    finally:
        release.set()
        holder.join(10)
    assert runner.run_protocol(mean_system(), "fake.h5", out) is not None  # released: it runs and merges


def _hold(path, held, release):
    with file_lock(path, wait=False) as mine:
        assert mine
        held.set()
        release.wait(20)


def test_a_refused_run_does_not_claim_its_folder(monkeypatch, tmp_path):
    install_fake_cache(monkeypatch, subjects=("s1",))
    with pytest.raises(InputError, match="two subjects or more"):
        runner.run_protocol(mean_system(), "fake.h5", tmp_path / "one")
    assert not (tmp_path / "one").exists()
    with pytest.raises(InputError, match="epochs_spot must be >= 1"):
        from micro_expr.mean.system import MEAN

        MEAN.from_preset("paper", epochs_spot=-1)
    (tmp_path / "file").write_text("x")
    install_fake_cache(monkeypatch, subjects=("s1", "s2"))
    with pytest.raises(InputError, match="is a file"):
        runner.run_protocol(mean_system(), "fake.h5", tmp_path / "file" / "run")


@pytest.mark.slow
def test_a_run_on_a_cache_prepared_otherwise_is_refused(monkeypatch, tmp_path):
    install_fake_cache(monkeypatch, subjects=("s1", "s2"))
    out = tmp_path / "run"
    runner.run_protocol(mean_system(), "fake.h5", out, fold_selection="0")
    description = json.loads((out / "run.json").read_text())
    (out / "run.json").write_text(json.dumps({**description, "prep_config": {"frames": "onset_offset"}}))
    import data_prep.cache

    fake = data_prep.cache.RegionCache("fake.h5")
    fake.config.to_json = lambda: json.dumps({"frames": "all"})
    monkeypatch.setattr(data_prep.cache, "RegionCache", lambda path: fake)
    with pytest.raises(InputError, match="prepared with other settings .*frames"):
        runner.run_protocol(mean_system(), "fake.h5", out)


def test_broken_run_files_are_named(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    with pytest.raises(InputError, match="not a run folder"):
        RunFolder(out).read()
    (out / "run.json").write_text("{garbage")
    with pytest.raises(InputError, match=r"run.json: run description is damaged"):
        RunFolder(out).read()
    (out / "run.json").write_text(json.dumps({"folds": []}))
    with pytest.raises(InputError, match="not a run description"):
        RunFolder(out).read()


def test_an_empty_fold_range_is_an_error():
    from micro_expr.core.system import Item

    items = [Item(f"casme2/sub0{i}/x", "casme2", f"casme2/sub0{i}", 0, 5) for i in range(1, 7)]
    with pytest.raises(InputError, match="range '5-2' is empty"):
        runner.select_folds(runner.loso_folds(items), "5-2")


def test_train_command_runs_mean(monkeypatch, tmp_path, capsys):
    from micro_expr.cli import main

    install_fake_cache(monkeypatch, subjects=("s1", "s2"))
    assert main(["train", "--system", "mean", "--cache", "fake.h5", "--out", str(tmp_path / "m"), "--no-progress",
                 "--set", "epochs_spot=1", "--set", "epochs_recog=1", "--set", "flow='farneback'"]) == 0
    assert "STRS" in capsys.readouterr().out
    assert RunFolder(tmp_path / "m").read()["system"] == "mean"
    assert main(["train", "--system", "mean", "--cache", "fake.h5", "--out", str(tmp_path / "x"),
                 "--patches", "4"]) == 2
    assert "STFF options" in capsys.readouterr().err
