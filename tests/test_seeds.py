"""Several seeds of a run (micro_expr/core/seeds.py): parsing, mean and spread, the paired tests against
hand-computed cases and scipy, run folders written by hand, and `mer train --seeds` on a real tiny cache."""
import json
from itertools import product
from math import comb

import numpy as np
import pytest

from data_prep.errors import InputError
from micro_expr.cli import main
from micro_expr.core import seeds
from micro_expr.core.run_folder import RunFolder, write_json
from tests.helpers import TINY_SCHEDULE


def test_parse_seeds():
    assert seeds.parse_seeds("0-4") == [0, 1, 2, 3, 4]
    assert seeds.parse_seeds("3, 0-1,3") == [3, 0, 1]
    for bad in ("4-0", "a", "1-"):
        with pytest.raises(InputError, match="--seeds"):
            seeds.parse_seeds(bad)


def test_sign_test_hand_computed():
    # 7 folds won, 1 lost, 2 ties (dropped): p = 2 * (C(8,0) + C(8,1)) / 2^8 = 18 / 256
    result = seeds.sign_test([0.5] * 7 + [-1 / 6] + [0, 0])
    assert (result["wins"], result["losses"], result["ties"]) == (7, 1, 2)
    assert result["p_value"] == pytest.approx(18 / 256)
    assert seeds.sign_test([0, 0])["p_value"] == 1.0
    assert seeds.sign_test([1, -1])["p_value"] == pytest.approx(1.0)


def test_permutation_test_hand_computed_and_by_enumeration():
    # differences 1, 2, 3: of the 8 sign patterns only +++ and --- reach |mean| >= 2, p = 2/8
    result = seeds.permutation_test([1, 2, 3], [0, 0, 0])
    assert result == {"mean_difference": 2.0, "p_value": 0.25, "exact": True, "resamples": 8}
    # every swap enumerated by hand on a case with ties of |mean|
    a = np.array([0.5, 0.333, 0.667, 0.5, 0.833, 0.333])
    b = np.array([0.333, 0.5, 0.5, 0.5, 0.5, 0.167])
    d = a - b
    means = [np.mean(d * signs) for signs in product((1, -1), repeat=len(d))]
    expected = np.mean(np.abs(means) >= abs(d.mean()) - 1e-12)
    assert seeds.permutation_test(a, b)["p_value"] == pytest.approx(expected)
    assert seeds.permutation_test(a, a)["p_value"] == 1.0
    many = seeds.permutation_test(np.arange(20.0), np.full(20, 0.5))
    assert not many["exact"] and many["resamples"] == seeds.RANDOM_SWAPS and many["p_value"] < 1e-3


def test_summary_is_mean_and_sample_std_of_every_metric():
    def results(accuracy, uf1):
        return {"accuracy": accuracy, "uf1": uf1, "uar": accuracy,
                "metrics": {"FULL": {"n_samples": 6, "accuracy_pooled": accuracy, "uf1": uf1, "classes": ["a", "b"],
                                     "per_class_f1": [uf1, None], "fold_accuracies": {"s1": 1.0}}}}

    summary = seeds.summarize({0: results(0.5, 0.4), 1: results(0.75, 0.6), 2: results(1.0, 0.8)})
    assert summary["accuracy"]["mean"] == pytest.approx(0.75)
    assert summary["accuracy"]["std"] == pytest.approx(0.25)        # sqrt(((-.25)^2 + 0 + .25^2) / 2)
    assert summary["FULL/uf1"]["values"] == {"0": 0.4, "1": 0.6, "2": 0.8}
    assert summary["FULL/f1/a"]["mean"] == pytest.approx(0.6) and "FULL/f1/b" not in summary
    assert "FULL/n_samples" not in summary
    assert seeds.summarize({0: results(0.5, 0.4)})["accuracy"]["std"] is None


def _fake_run(folder, correct_per_fold, seed=0, keys=None):
    """A run folder written by hand: run.json, per fold predictions.json and done.json, results.json."""
    folds = [{"index": i, "name": f"sub{i + 1:02d}", "test": keys[i] if keys else [f"sub{i + 1:02d}/c{j}" for j in range(6)]}
             for i in range(len(correct_per_fold))]
    folder.mkdir(parents=True)
    write_json(folder / "run.json", {"config": {"seed": seed}, "folds": folds})
    run = RunFolder(folder)
    for fold, correct in zip(folds, correct_per_fold):
        run.fold_folder(fold).mkdir(parents=True)
        records = [{"key": key, "label": 0, "predicted": 0 if j < correct else 1} for j, key in enumerate(fold["test"])]
        run.finish_fold(fold, records, {}, 1.0)
    accuracy = sum(correct_per_fold) / (6 * len(correct_per_fold))
    write_json(folder / "results.json", {"system": "stff", "preset": "strict", "protocol": "megc", "n_samples": 6 *
                                         len(correct_per_fold), "accuracy": accuracy, "uf1": accuracy, "uar": accuracy,
                                         "metrics": {}})


def test_compare_two_seeds_folders_pairs_seed_and_fold(tmp_path, capsys):
    # seed 0: A wins folds 0 and 1, ties fold 2; seed 1: A wins fold 0, loses fold 1, ties fold 2
    for name, per_seed in {"a": [[4, 5, 3], [4, 2, 3]], "b": [[3, 4, 3], [2, 3, 3]]}.items():
        for seed, correct in enumerate(per_seed):
            _fake_run(seeds.seed_folder(tmp_path / name, seed), correct, seed)
    result = seeds.compare(tmp_path / "a", tmp_path / "b")
    assert result["pairs"] == 6 and result["seeds"] == [0, 1]
    assert result["sign_test"] == {"wins": 3, "losses": 1, "ties": 2,
                                   "p_value": pytest.approx(2 * (comb(4, 0) + comb(4, 1)) / 16)}
    assert result["permutation_test"]["exact"] and result["permutation_test"]["resamples"] == 64
    assert result["mean_accuracy_a"] == pytest.approx(21 / 36)
    assert main(["compare", str(tmp_path / "a"), str(tmp_path / "b"), "--json", str(tmp_path / "c.json")]) == 0
    assert "A better in 3, B better in 1, ties 2; two-sided p = 0.6250" in capsys.readouterr().out
    assert json.loads((tmp_path / "c.json").read_text())["pairs"] == 6

    summary = seeds.write_summary(tmp_path / "a")
    assert summary["seeds"] == [0, 1] and summary["metrics"]["accuracy"]["mean"] == pytest.approx(21 / 36)
    assert "| accuracy | 0.583 ± 0.118 |" in (tmp_path / "a" / "seeds.md").read_text()


def test_small_p_values_are_printed_with_their_digits():
    # 32 wins, 4 losses: 2 * sum_{k<=4} C(36, k) / 2^36 = 1.9e-06, which four decimals would print as 0.0000
    p = 2 * sum(comb(36, k) for k in range(5)) / 2 ** 36
    assert seeds._p(p) == "1.9e-06" and seeds._p(0.625) == "0.6250" and seeds._p(0.001) == "0.0010"


def test_compare_refuses_other_folds_and_mixed_folders(tmp_path):
    _fake_run(tmp_path / "a", [3, 4])
    _fake_run(tmp_path / "b", [3, 4], keys=[[f"other/c{j}" for j in range(6)]] * 2)
    with pytest.raises(InputError, match="not the same folds: sub01"):
        seeds.compare(tmp_path / "a", tmp_path / "b")
    _fake_run(seeds.seed_folder(tmp_path / "s", 0), [3, 4])
    with pytest.raises(InputError, match="compare a run with a run"):
        seeds.compare(tmp_path / "a", tmp_path / "s")
    with pytest.raises(InputError, match="neither a run folder"):
        seeds.compare(tmp_path / "a", tmp_path / "missing")
    assert main(["compare", str(tmp_path / "a"), str(tmp_path / "b")]) == 2


def test_seed_and_seeds_together_are_refused(tmp_path):
    assert main(["train", "--protocol", "megc", "--cache", "x.h5", "--out", str(tmp_path), "--seed", "1",
                 "--seeds", "0-1"]) == 2
    assert main(["demo", "--quick", "--out", str(tmp_path), "--seed", "1", "--seeds", "0-1"]) == 2
    assert main(["demo", "--quick", "--out", str(tmp_path), "--seeds", "1-0"]) == 2
    assert not (tmp_path / "seed-0").exists()


@pytest.mark.slow
def test_train_with_seeds_on_a_real_tiny_cache(tiny_cache, tmp_path, capsys):
    # 2 seeds x fold 0 only (partial merge): each seed is a normal, resumable run folder (about 20 s)
    out = tmp_path / "seeds"
    schedule = [arg for key, value in TINY_SCHEDULE.items() for arg in ("--set", f"{key}={value}")]
    argv = ["train", "--protocol", "megc", "--cache", str(tiny_cache), "--out", str(out), "--seeds", "0-1",
            "--folds", "0", "--partial", "--no-progress", *schedule]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "=== seed 0 (1 of 2)" in printed and "2 seeds (0, 1): accuracy" in printed
    for seed in (0, 1):
        run = json.loads((out / f"seed-{seed}" / "run.json").read_text())
        assert run["config"]["seed"] == seed
        assert (out / f"seed-{seed}" / "results.json").exists()
    data = json.loads((out / "seeds.json").read_text())
    assert data["seeds"] == [0, 1] and data["metrics"]["accuracy"]["n"] == 2
    done = out / "seed-1" / "folds" / "00_casme2_sub01" / "done.json"
    stamp = done.stat().st_mtime_ns
    assert main(argv) == 0                          # resumed: nothing retrained
    assert done.stat().st_mtime_ns == stamp
    assert seeds.compare(out, out)["sign_test"]["ties"] == 2
    # the partial merge's figures say so in their titles (the run seen by the system's results)
    from micro_expr.core.plan import merge_results
    from micro_expr.core.results import run_title

    class Titles:
        def results(self, run, *rest):
            self.title = run_title("STFF", None, run)
            return {}, "", {}

    titles = Titles()
    merge_results(out / "seed-0", titles)
    total = len(json.loads((out / "seed-0" / "run.json").read_text())["folds"])
    assert titles.title.endswith(f", partial: 1 of {total} folds")
    assert json.loads((out / "seed-0" / "results.json").read_text())["partial"] == f"1 of {total} folds"
