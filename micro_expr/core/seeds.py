"""Several seeds of one run, their mean and spread, and a paired test between two runs on the same folds.

    seeds/                       what ``mer train ... --seeds 0-4 --out seeds`` writes
      seed-0/ ... seed-4/        each a normal run folder (resumable; run.json, folds/, results.json)
      seeds.json, seeds.md       mean and standard deviation of every metric over the finished seeds

A paired test compares two runs (or two seed folders) fold by fold: a fold (of one seed) is a pair when both
runs held out the same clips in it. The unit is the fold's accuracy, as in the per-fold accuracies the authors'
code averages. Two tests, both from scipy: the sign test (``scipy.stats.binomtest`` on the folds one run won,
ties dropped) and the paired permutation test (``scipy.stats.permutation_test`` swapping the two runs within
each pair: exact, all 2^n swaps, up to 2^16 pairs' worth, else 100,000 random swaps with a fixed seed).
Nothing here knows a system: it reads run folders only (:mod:`micro_expr.core.run_folder`).
"""
import math
import re
from pathlib import Path

import numpy as np

from data_prep.errors import InputError
from micro_expr.core.folds import index_range
from micro_expr.core.run_folder import RESULTS, RUN, RunFolder, read_json, write_json, write_text

SEEDS_JSON, SEEDS_MD = "seeds.json", "seeds.md"
EXACT_LIMIT = 16          # pairs up to which the permutation test enumerates every swap (2^16 = 65,536)
RANDOM_SWAPS = 100_000    # swaps drawn above that


def parse_seeds(text):
    """Seeds of ``--seeds``: "0-4" -> [0, 1, 2, 3, 4]; "0,3,7" and "0-2,9" too; in order, without repeats."""
    seeds = []
    for part in str(text).split(","):
        chosen = index_range(part.strip(), "--seeds", "seed")
        if chosen is None:
            raise InputError(f"--seeds: {part.strip()!r} is not a seed or a range (e.g. 0-4 or 0,3,7)")
        seeds += [seed for seed in chosen if seed not in seeds]
    return seeds


def seed_folder(out, seed):
    """The run folder of one seed inside a seeds folder."""
    return Path(out) / f"seed-{seed}"


def run_seeds(seeds, out, run_seed, title=None):
    """Run ``run_seed(seed, folder)`` for every seed, each in its own run folder under ``out`` (a seed whose
    folder is finished is skipped by the run itself: run folders resume), then write seeds.json and seeds.md.
    Returns the seeds.json dict, or None when no seed finished (e.g. ``--folds`` left folds undone)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for seed in seeds:
        folder = seed_folder(out, seed)
        print(f"=== seed {seed} ({seeds.index(seed) + 1} of {len(seeds)}) -> {folder}", flush=True)
        run_seed(seed, folder)
    if not any((seed_folder(out, seed) / RESULTS).exists() for seed in seeds):
        return None
    return write_summary(out, title)


def seed_runs(folder):
    """{seed: run folder path} of a seeds folder (every ``seed-N`` holding a run.json), by seed."""
    found = {}
    for path in Path(folder).glob("seed-*"):
        match = re.fullmatch(r"seed-(\d+)", path.name)
        if match and (path / RUN).exists():
            found[int(match.group(1))] = path
    return dict(sorted(found.items()))


def metric_values(results):
    """Every scalar metric of a results.json, flattened: {"accuracy": .., "FULL/uf1": .., "casme2/uar": ..}."""
    values = {key: results[key] for key in ("accuracy", "uf1", "uar") if isinstance(results.get(key), (int, float))}
    for part, metrics in results.get("metrics", {}).items():
        for key, value in metrics.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool) and key != "n_samples":
                values[f"{part}/{key}"] = float(value)
            elif key in ("per_class_f1", "per_class_recall") and isinstance(value, list):
                for name, item in zip(metrics.get("classes") or range(len(value)), value):
                    if item is not None:
                        values[f"{part}/{key.replace('per_class_', '')}/{name}"] = float(item)
    return values


def summarize(results_by_seed):
    """{metric: {"mean", "std", "min", "max", "n", "values"}} over seeds; std is the sample standard
    deviation (ddof = 1; None for one seed). A metric missing in a seed (a class absent) is left out there."""
    names = []
    for results in results_by_seed.values():
        names += [name for name in metric_values(results) if name not in names]
    summary = {}
    for name in names:
        values = {seed: metric_values(results)[name] for seed, results in results_by_seed.items()
                  if name in metric_values(results)}
        array = np.array(list(values.values()), dtype=float)
        summary[name] = {"mean": float(array.mean()), "std": float(array.std(ddof=1)) if len(array) > 1 else None,
                         "min": float(array.min()), "max": float(array.max()), "n": len(array),
                         "values": {str(seed): value for seed, value in values.items()}}
    return summary


def write_summary(folder, title=None):
    """seeds.json and seeds.md of a seeds folder over its finished seeds; returns the seeds.json dict."""
    folder = Path(folder)
    runs = seed_runs(folder)
    finished = {seed: read_json(path / RESULTS, "results") for seed, path in runs.items() if (path / RESULTS).exists()}
    if not finished:
        raise InputError(f"{folder}: no finished seed (no seed-N/{RESULTS}); run the seeds first")
    unfinished = sorted(set(runs) - set(finished))
    first = next(iter(finished.values()))
    data = {"folder": str(folder), "seeds": sorted(finished), "unfinished_seeds": unfinished,
            "system": first.get("system"), "preset": first.get("preset"), "protocol": first.get("protocol"),
            "n_samples": first.get("n_samples"), "note": first.get("note"), "metrics": summarize(finished)}
    write_json(folder / SEEDS_JSON, data)
    write_text(folder / SEEDS_MD, summary_markdown(data, title))
    return data


def _cell(stats):
    spread = "" if stats["std"] is None else f" ± {stats['std']:.3f}"
    return f"{stats['mean']:.3f}{spread}"


def summary_markdown(data, title=None):
    """Headline metrics as mean ± std with one column per seed, then every other metric."""
    metrics, seeds = data["metrics"], data["seeds"]
    lines = [f"# {title or data['folder']}: {len(seeds)} seeds", ""]
    if data.get("note"):
        lines += [f"> {data['note']}", ""]
    lines += [f"System {data['system']}, preset `{data['preset']}`, protocol {data['protocol']}, "
              f"{data['n_samples']} held-out samples per seed; seeds {', '.join(map(str, seeds))}"
              + (f" (unfinished: {', '.join(map(str, data['unfinished_seeds']))})" if data["unfinished_seeds"] else "")
              + ". Mean ± sample standard deviation (ddof 1) over the seeds.", "",
              "| metric | mean ± std | min | max | " + " | ".join(f"seed {s}" for s in seeds) + " |",
              "|---|---|---|---|" + "---|" * len(seeds)]
    for name, stats in metrics.items():
        per_seed = " | ".join(f"{stats['values'][str(s)]:.3f}" if str(s) in stats["values"] else "-" for s in seeds)
        lines.append(f"| {name} | {_cell(stats)} | {stats['min']:.3f} | {stats['max']:.3f} | {per_seed} |")
    return "\n".join(lines) + "\n"


# --- paired test ------------------------------------------------------------------------------------------

def fold_accuracies(run_path):
    """{fold name: (sorted held-out keys, accuracy)} of a run folder's finished folds."""
    run = RunFolder(run_path)
    scores = {}
    for fold in run.finished_folds():
        records = run.fold_predictions(fold)
        if records:
            correct = [int(r["label"]) == int(r["predicted"]) for r in records]
            scores[fold["name"]] = (tuple(sorted(str(r["key"]) for r in records)), float(np.mean(correct)))
    return scores


def _runs_of(path):
    """{seed or None: run folder} of a run folder (one run) or a seeds folder."""
    path = Path(path)
    if (path / RUN).exists():
        return {None: path}
    runs = seed_runs(path)
    if not runs:
        raise InputError(f"{path}: neither a run folder (no {RUN}) nor a seeds folder (no seed-N/{RUN})")
    return runs


def paired_folds(path_a, path_b):
    """The pairs of two runs or seeds folders: [(seed, fold name, accuracy a, accuracy b)] where both hold out
    the same clips. Two single runs pair whatever their seeds; two seeds folders pair seed with seed."""
    runs_a, runs_b = _runs_of(path_a), _runs_of(path_b)
    if (None in runs_a) != (None in runs_b):
        raise InputError(f"{path_a} and {path_b}: compare a run with a run, or a seeds folder with a seeds folder")
    pairs, mismatched = [], []
    for seed in [s for s in runs_a if s in runs_b]:
        a, b = fold_accuracies(runs_a[seed]), fold_accuracies(runs_b[seed])
        for name in [n for n in a if n in b]:
            if a[name][0] != b[name][0]:
                mismatched.append(name if seed is None else f"seed {seed} {name}")
                continue
            pairs.append((seed, name, a[name][1], b[name][1]))
    if mismatched:
        raise InputError(f"{path_a} and {path_b}: not the same folds: {', '.join(mismatched[:3])} hold out "
                         "other clips (another cache or protocol?)")
    if not pairs:
        raise InputError(f"{path_a} and {path_b}: no finished fold in common (same seeds, same fold names)")
    return pairs


def sign_test(differences):
    """Two-sided exact sign test (``scipy.stats.binomtest``): wins of a, losses, ties (dropped) and the p-value."""
    from scipy.stats import binomtest

    differences = np.asarray(differences, dtype=float)
    wins, losses = int((differences > 0).sum()), int((differences < 0).sum())
    p_value = binomtest(wins, wins + losses, 0.5).pvalue if wins + losses else 1.0
    return {"wins": wins, "losses": losses, "ties": int(len(differences) - wins - losses), "p_value": float(p_value)}


def permutation_test(a, b, seed=0):
    """Two-sided paired permutation test of the mean difference a - b (``scipy.stats.permutation_test``,
    ``permutation_type="samples"``: each pair's two values swapped or not). Exact up to EXACT_LIMIT pairs."""
    from scipy.stats import permutation_test as scipy_permutation_test

    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if not np.any(a != b):
        return {"mean_difference": 0.0, "p_value": 1.0, "exact": True, "resamples": 1}
    exact = len(a) <= EXACT_LIMIT
    resamples = 2 ** len(a) if exact else RANDOM_SWAPS
    result = scipy_permutation_test((a, b), lambda x, y, axis: np.mean(x - y, axis=axis), vectorized=True,
                                    permutation_type="samples", alternative="two-sided",
                                    n_resamples=math.inf if exact else RANDOM_SWAPS, rng=np.random.default_rng(seed))
    return {"mean_difference": float(np.mean(a - b)), "p_value": float(min(1.0, result.pvalue)), "exact": exact,
            "resamples": resamples}


def compare(path_a, path_b):
    """The paired test of two runs or seeds folders on the folds they share (see the module's docstring)."""
    pairs = paired_folds(path_a, path_b)
    a = np.array([p[2] for p in pairs])
    b = np.array([p[3] for p in pairs])
    return {"a": str(path_a), "b": str(path_b), "pairs": len(pairs),
            "seeds": sorted({p[0] for p in pairs if p[0] is not None}),
            "mean_accuracy_a": float(a.mean()), "mean_accuracy_b": float(b.mean()),
            "sign_test": sign_test(a - b), "permutation_test": permutation_test(a, b),
            "folds": [{"seed": s, "fold": name, "accuracy_a": x, "accuracy_b": y} for s, name, x, y in pairs]}


def _p(value):
    """A p-value as printed: four decimals, or two significant digits below 0.001 (never "0.0000")."""
    return f"{value:.4f}" if value >= 1e-3 else f"{value:.1e}"


def comparison_text(result):
    """The paired test as lines of text."""
    sign, perm = result["sign_test"], result["permutation_test"]
    unit = f"{result['pairs']} folds" + (f" ({len(result['seeds'])} seeds x folds)" if result["seeds"] else "")
    how = "exact, every swap" if perm["exact"] else f"{perm['resamples']:,} random swaps"
    return "\n".join([
        f"A: {result['a']}", f"B: {result['b']}",
        f"paired over {unit}: mean fold accuracy A {result['mean_accuracy_a']:.3f}, B {result['mean_accuracy_b']:.3f}, "
        f"difference {perm['mean_difference']:+.3f}",
        f"sign test (scipy.stats.binomtest): A better in {sign['wins']}, B better in {sign['losses']}, "
        f"ties {sign['ties']}; two-sided p = {_p(sign['p_value'])}",
        f"permutation test (scipy.stats.permutation_test, {how}): two-sided p = {_p(perm['p_value'])}"])
