"""Does the temporal SE look where the face moved? A check on a trained demo run.

On the demo every clip's ground truth lists the regions that moved
(``demo_samples.json``: ``moved_regions``). For each held-out sample of each
finished fold we read the temporal SE weights (STFF Eq. 7) of the fold's
model and ask whether the region with the largest weight is one that moved.

    python experiments/attention_check.py --run demo_out
    python experiments/attention_check.py --run demo_out --out demo_out/attention_check --permutations 20000

Two questions, two tests (both reported; the check can fail):

1. Better than chance? Under "the top region is a random region", sample i
   is a hit with probability p_i = (regions that moved) / (regions used). The
   number of hits is then Poisson-binomial; p-value = P(hits >= observed).
2. Does the top region follow *this* sample? The mouth moves in most demo
   clips, so a model that always picks the mouth beats chance without looking
   at the clip. The permutation test shuffles the moved-region sets across
   samples (the model's choices stay) and counts how often the shuffled hits
   reach the observed ones. The best constant region is reported too.

Writes attention_check.json, attention_check.md and class_recall.png to --out.
"""
import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from data_prep.errors import InputError


def ground_truth(path):
    """{cache key: demo record} of a demo_samples.json (keys as the demo's cache names them)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: demo ground truth not found; pass --ground-truth .../demo_samples.json")
    samples = json.loads(path.read_text())["samples"]
    return {f"casme2/{s['subject']}/{s['filename']}": s for s in samples}


def collect(run_dir, truth):
    """Per held-out sample: its class, the regions that moved, the temporal SE weights and the top region."""
    from data_prep.cache import RegionCache
    from micro_expr.stff.attention import top_region
    from micro_expr.stff.data import read_inputs
    from micro_expr.stff.predict import load_fold
    from micro_expr.core.run_folder import RunFolder

    run = RunFolder(run_dir).read()
    folds = RunFolder(run_dir).finished_folds()
    if not folds:
        raise InputError(f"{run_dir}: no finished fold to check")
    records = []
    with RegionCache(run["cache"]) as cache:
        for fold in folds:
            models = load_fold(run_dir, fold)
            if models.config.region_mode != "regions" or not models.config.temporal.se:
                raise InputError(f"{run_dir}: the check needs region inputs and the temporal SE (fusion "
                                 f"'temporal' or 'both'); this run has {models.config.region_mode}, "
                                 f"fusion {models.config.fusion}")
            for key in fold["test"]:
                if key not in truth:
                    raise InputError(f"{key}: not in the demo ground truth; is this a run on the demo?")
                result = models.explain([read_inputs(cache, key, models.config)])[0]
                weights = dict(zip(models.names, map(float, result["region_weights"])))
                moved = [r for r in truth[key]["moved_regions"] if r in weights]
                records.append({"key": key, "fold": fold["name"], "class": truth[key]["class"],
                                "predicted": models.classes_[int(np.argmax(result["probabilities"]))],
                                "moved": moved, "weights": weights, "top": top_region(weights),
                                "hit": top_region(weights) in moved, "chance": len(moved) / len(weights)})
    return records


def poisson_binomial_tail(probabilities, observed):
    """P(sum of independent Bernoulli(p_i) >= observed), exactly (dynamic programme over the samples)."""
    distribution = np.array([1.0])
    for p in probabilities:
        distribution = np.concatenate([distribution * (1 - p), [0.0]]) + np.concatenate([[0.0], distribution * p])
    return float(distribution[observed:].sum())


def permutation_p(records, permutations, seed):
    """P-value of the hits when the moved-region sets are shuffled across samples (model choices kept)."""
    tops = [r["top"] for r in records]
    hit_table = np.array([[top in other["moved"] for other in records] for top in tops])  # [model i, truth j]
    observed = int(np.trace(hit_table))
    rng = np.random.default_rng(seed)
    rows = np.arange(len(records))
    reached = sum(int(hit_table[rows, rng.permutation(len(records))].sum() >= observed)
                  for _ in range(permutations))
    return (1 + reached) / (1 + permutations)


def score(records, permutations=10000, seed=0):
    """The summary numbers of the check."""
    hits = sum(r["hit"] for r in records)
    chance = [r["chance"] for r in records]
    names = list(records[0]["weights"])
    constant = {name: float(np.mean([name in r["moved"] for r in records])) for name in names}
    best = max(constant, key=constant.get)
    tops = {name: sum(r["top"] == name for r in records) for name in names}
    p_chance = poisson_binomial_tail(chance, hits)
    p_perm = permutation_p(records, permutations, seed)
    return {
        "samples": len(records), "hits": int(hits), "hit_rate": hits / len(records),
        "chance_rate": float(np.mean(chance)), "p_value_vs_chance": p_chance,
        "permutation_p_value": p_perm, "permutations": permutations,
        "best_constant_region": best, "best_constant_rate": constant[best],
        "constant_region_rates": constant, "top_region_counts": tops,
        "better_than_chance": p_chance < 0.05, "follows_the_sample": p_perm < 0.05,
        "classification_accuracy": float(np.mean([r["class"] == r["predicted"] for r in records])),
    }


def markdown(summary, records, run_dir):
    verdict = ("passes" if summary["better_than_chance"] and summary["follows_the_sample"] else "fails")
    lines = [
        "# Attention check: is the region with the largest temporal SE weight one that moved?", "",
        f"Run `{run_dir}`, {summary['samples']} held-out samples of the finished folds "
        f"(held-out accuracy of these models: {summary['classification_accuracy']:.2f}).", "",
        "| measure | value |", "|---|---|",
        f"| top region moved (hits) | {summary['hits']} of {summary['samples']} = {summary['hit_rate']:.3f} |",
        f"| chance (share of regions that moved, mean) | {summary['chance_rate']:.3f} |",
        f"| p-value vs chance (Poisson-binomial, one-sided) | {summary['p_value_vs_chance']:.4g} |",
        f"| always choosing {summary['best_constant_region']} (best constant region) | "
        f"{summary['best_constant_rate']:.3f} |",
        f"| permutation p-value ({summary['permutations']} shuffles of the moved sets) | "
        f"{summary['permutation_p_value']:.4g} |", "",
        f"Top region counts: {', '.join(f'{k} {v}' for k, v in summary['top_region_counts'].items())}.", "",
        f"**The check {verdict}.** Better than chance (p < 0.05)? "
        f"{'yes' if summary['better_than_chance'] else 'no'}. Does the top region follow the sample's own "
        f"movement (permutation p < 0.05)? {'yes' if summary['follows_the_sample'] else 'no'}.", "",
        "Demo clips are synthetic movements on real faces; this says what the trained models rely on, "
        "on the demo, not what they would do on CASME II, SAMM or SMIC.", "",
        "| sample | class | predicted | moved | top region | hit |", "|---|---|---|---|---|---|"]
    lines += [f"| {r['key']} | {r['class']} | {r['predicted']} | {' '.join(r['moved'])} | {r['top']} | "
              f"{'yes' if r['hit'] else 'no'} |" for r in records]
    return "\n".join(lines) + "\n"


def run_check(run_dir, out=None, ground_truth_path=None, permutations=10000, seed=0):
    """Collect, score and write the check; returns the summary dict."""
    from micro_expr.core.plots import plot_class_recall, save_figure
    from micro_expr.stff.predict import class_recall

    run_dir = Path(run_dir)
    out = Path(out or run_dir / "attention_check")
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    records = collect(run_dir, ground_truth(ground_truth_path or run_dir / "dataset" / "demo_samples.json"))
    summary = score(records, permutations, seed)
    summary["seconds"] = round(time.perf_counter() - started, 1)
    (out / "attention_check.json").write_text(json.dumps({"summary": summary, "samples": records}, indent=2))
    (out / "attention_check.md").write_text(markdown(summary, records, run_dir))
    save_figure(plot_class_recall(*class_recall(run_dir), title=f"per-class recall: {run_dir.name}"),
                out / "class_recall.png")
    return summary


def main(argv=None):
    from micro_expr.cli import run_command

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", required=True, help="a trained demo run (mer demo --out ...)")
    parser.add_argument("--ground-truth", help="demo_samples.json (default RUN/dataset/demo_samples.json)")
    parser.add_argument("--out", help="output folder (default RUN/attention_check)")
    parser.add_argument("--permutations", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=0)

    def check(args):
        summary = run_check(args.run, args.out, args.ground_truth, args.permutations, args.seed)
        print(f"top region moved in {summary['hits']} of {summary['samples']} samples "
              f"({summary['hit_rate']:.2f}; chance {summary['chance_rate']:.2f}, "
              f"p = {summary['p_value_vs_chance']:.3g}; "
              f"always {summary['best_constant_region']}: {summary['best_constant_rate']:.2f}; "
              f"permutation p = {summary['permutation_p_value']:.3g})")
        return 0

    return run_command(check, parser.parse_args(argv), "attention_check")


if __name__ == "__main__":
    sys.exit(main())
