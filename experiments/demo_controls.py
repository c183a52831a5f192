"""Sanity check of the demo: the real run must beat chance, the two controls must not.

    python experiments/demo_controls.py --out runs/controls [--quick] [--set spatial.patches=4]

Runs `mer demo` three times, each in its own sub-folder of --out (resumable):
``main`` (the demo), ``shuffled`` (labels permuted across clips) and ``still``
(every expression has amplitude 0; blinks, head shifts and camera noise stay).
A score counts as "near chance" when its accuracy lies within two binomial
standard deviations of 1/K; the main run must lie above that band. Writes
``controls.json`` and ``controls.md`` and exits 1 when the check fails.
"""
import argparse
import json
import math
import sys
from pathlib import Path

from micro_expr.cli import run_command


def chance_band(n_samples, n_classes, width=2.0):
    """(low, high) accuracy band around chance 1/K: +- ``width`` binomial standard deviations."""
    p = 1.0 / n_classes
    spread = width * math.sqrt(p * (1 - p) / n_samples)
    return p - spread, p + spread


def verdict(scores, n_classes):
    """{run: 'above chance' | 'near chance' | 'below chance'} and whether the check passed."""
    judged = {}
    for name, result in scores.items():
        low, high = chance_band(result["n_samples"], n_classes)
        accuracy = result["accuracy"]
        judged[name] = "above chance" if accuracy > high else ("below chance" if accuracy < low else "near chance")
    passed = (judged.get("main") == "above chance"
              and all(judged[name] != "above chance" for name in judged if name != "main"))
    return judged, passed


def main(args):
    from micro_expr.commands.train import overrides_from_set
    from micro_expr.demo import run_demo

    out = Path(args.out)
    scores = {}
    for control in (None, "shuffled", "still"):
        name = control or "main"
        print(f"=== {name} ===", flush=True)
        results = run_demo(out / name, size="quick" if args.quick else "default", seed=args.seed, control=control,
                           overrides=overrides_from_set(args.set), progress=False)
        scores[name] = {key: results[key] for key in ("accuracy", "uf1", "uar", "n_samples")}
    n_classes = len(results["classes"])
    judged, passed = verdict(scores, n_classes)
    low, high = chance_band(scores["main"]["n_samples"], n_classes)
    lines = ["# Demo sanity check: real run against two controls", "",
             f"Chance accuracy 1/{n_classes} = {1 / n_classes:.3f}; band of two binomial standard deviations "
             f"for {scores['main']['n_samples']} clips: {low:.3f} .. {high:.3f}.", "",
             "| run | accuracy | UF1 | UAR | verdict |", "|---|---|---|---|---|"]
    lines += [f"| {name} | {s['accuracy']:.3f} | {s['uf1']:.3f} | {s['uar']:.3f} | {judged[name]} |"
              for name, s in scores.items()]
    lines += ["", f"**Check {'passed' if passed else 'FAILED'}**: the main run must be above chance and "
              "neither control may be."]
    (out / "controls.md").write_text("\n".join(lines) + "\n")
    (out / "controls.json").write_text(json.dumps({"scores": scores, "verdict": judged, "passed": passed}, indent=2))
    print("\n".join(lines))
    return 0 if passed else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    sys.exit(run_command(main, parser.parse_args()))
