"""A run folder never mixes data or files it did not write: cache fingerprints, fold manifests, repairs that work,
swept temporaries (issue: bad input and faults, round 3)."""
import json
import os
import shutil

import h5py
import pytest

from data_prep.cache import RegionCache
from data_prep.errors import InputError
from micro_expr.core import runner
from micro_expr.core.run_folder import RunFolder, sweep_temporaries
from tests.helpers import install_fake_cache

QUICK_MEAN = {"epochs_spot": 1, "epochs_recog": 1, "flow": "farneback", "seed": 3}


def mean_system():
    from micro_expr.mean.system import MEAN

    return MEAN.from_preset("paper", **QUICK_MEAN)


def test_a_cache_fingerprint_follows_the_pixels_not_the_paths(tiny_cache, tmp_path):
    copy = tmp_path / "copy.h5"
    shutil.copy(tiny_cache, copy)
    with RegionCache(tiny_cache) as a, RegionCache(copy) as b:
        assert a.fingerprint() == b.fingerprint() and len(a.fingerprint()) == 40
        key = a.keys[0]
        assert a.fingerprint(a.keys[1:]) != a.fingerprint()          # over the samples a run uses only
    with h5py.File(copy, "r+") as handle:                            # the same sample, other pixels
        region = handle["samples"][key]["R5"]
        region[0, 0, 0, 0] = (int(region[0, 0, 0, 0]) + 1) % 256
        del handle["samples"][key].attrs["content_sha1"]             # as an older cache without stored digests
    with RegionCache(tiny_cache) as a, RegionCache(copy) as b:
        assert b.fingerprint() != a.fingerprint()
        assert b.fingerprint(a.keys[1:]) == a.fingerprint(a.keys[1:])


def test_a_run_is_refused_on_a_cache_with_other_pixels(tmp_path):
    run = RunFolder(tmp_path / "run")
    old = {"system": "stff", "config": {"seed": 1}, "items": ["a"], "folds": [], "cache": "old.h5",
           "cache_fingerprint": "1" * 40}
    run.claim(old)
    run.claim({**old, "cache": "colleague.h5"})                      # same content elsewhere: the same run
    with pytest.raises(InputError, match=r"trained on old.h5 \(content 111111111111\), but new.h5 holds other "
                                         r"data for the same samples \(content 222222222222\)"):
        run.claim({**old, "cache": "new.h5", "cache_fingerprint": "2" * 40})


@pytest.mark.slow
def test_a_damaged_finished_fold_is_named_and_the_advice_works(monkeypatch, tmp_path):
    install_fake_cache(monkeypatch, subjects=("s1", "s2"))
    out = tmp_path / "run"
    first = runner.run_protocol(mean_system(), "fake.h5", out)
    folder = RunFolder(out)
    fold = folder.finished_folds()[1]
    checkpoint = folder.fold_folder(fold) / "mean.keras"
    done = json.loads((folder.fold_folder(fold) / "done.json").read_text())
    assert done["files"]["mean.keras"][0] == checkpoint.stat().st_size     # size and sha1 of every file
    checkpoint.write_bytes(checkpoint.read_bytes()[:1000])                # cut short after the fold finished
    with pytest.raises(InputError) as caught:
        runner.run_protocol(mean_system(), "fake.h5", out)
    message = str(caught.value)
    assert "mean.keras has 1000 bytes" in message and f"delete the folder {folder.fold_folder(fold)}" in message
    shutil.rmtree(folder.fold_folder(fold))                                # follow the advice ...
    again = runner.run_protocol(mean_system(), "fake.h5", out)             # ... and the fold is trained anew
    assert again["spotting"] == first["spotting"] and again["folds"] == 2

    other = folder.finished_folds()[0]
    shutil.copy(folder.fold_folder(other) / "mean.keras", checkpoint)      # another fold's model in its place
    with pytest.raises(InputError, match="mean.keras is not the file the fold wrote"):
        folder.choose_folds("all")                                       # what `mer predict` reads
    (folder.fold_folder(other) / "predictions.json").write_text("{garbage")
    shutil.rmtree(folder.fold_folder(fold))
    with pytest.raises(InputError, match=r"predictions.json has 8 bytes, \d+ when the fold finished .*delete the folder"):
        runner.run_protocol(mean_system(), "fake.h5", out)


def test_temporaries_of_dead_writers_are_swept(tmp_path):
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead.stdout)
    left = [tmp_path / f"temporal.{pid}.tmp.keras", tmp_path / "folds" / f"R0.{pid}.tmp.h5",
            tmp_path / f".done.json.{pid}.tmp"]
    mine = tmp_path / f"temporal.{os.getpid()}.tmp.keras"                  # this process's own write: kept
    (tmp_path / "folds").mkdir()
    for path in left + [mine, tmp_path / "temporal.keras"]:
        path.write_bytes(b"x")
    assert sorted(sweep_temporaries(tmp_path)) == sorted(left)
    assert mine.exists() and (tmp_path / "temporal.keras").exists()


def test_garbage_checkpoint_metadata_is_named(tmp_path):
    import keras

    from micro_expr.core.checkpoints import load_checkpoint, save_checkpoint

    inputs = keras.Input((3,))
    save_checkpoint(keras.Model(inputs, keras.layers.Dense(2)(inputs)), tmp_path / "m", {"stage": "x"})
    (tmp_path / "m.json").write_text("not json")
    with pytest.raises(InputError, match=r"m.json: checkpoint metadata is damaged"):
        load_checkpoint(tmp_path / "m.keras")
