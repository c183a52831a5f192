"""Zhu et al. 2023 Table 5 rerun: the GIA + BIA + Bi-LSTM system without IBs, with 24 IBs and with 10 IBs,
the paper's figures beside ours.

    python -m experiments.gia_bia_table5 --quick --out runs/gia_bia_table5_quick     # demo, quick preset
    python -m experiments.gia_bia_table5 --cache full.h5 --out runs/gia_bia_table5 \\
        --set backbone_weights=vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5      # real data, paper preset

The cache must hold face canvases (``mer prepare --store-face``). Every variant is one
:func:`micro_expr.core.runner.run_protocol` run in ``<out>/runs/blocks=<n>`` (resumable). ``--quick`` prepares
the quick demo (real faces, synthetic micro-movements), uses the ``quick`` preset (NOT the paper's network
size or schedule) and runs some LOSO folds only: its scores say whether the pipeline learns, nothing about
CASME II, SAMM, SMIC or MEGC. Without ``backbone_weights`` the VGG16 backbone is random, and the tables
say so.
"""
import argparse
import json
import time
from pathlib import Path

from data_prep.errors import InputError

VARIANTS = ((0, "Without IBs"), (24, "24 IBs"), (10, "10 IBs"))
# Zhu et al. 2023, Table 5: (Acc, UF1, UAR) per dataset.
PAPER_TABLE5 = {
    0: {"CASME II": (0.7364, 0.6899, 0.7122), "SAMM": (0.7235, 0.5624, 0.5907),
        "SMIC": (0.6025, 0.5931, 0.5995), "MEGC": (0.6674, 0.6126, 0.6070)},
    24: {"CASME II": (0.8175, 0.7779, 0.7842), "SAMM": (0.7580, 0.6066, 0.6258),
         "SMIC": (0.6602, 0.6430, 0.6423), "MEGC": (0.7197, 0.6627, 0.6421)},
    10: {"CASME II": (0.8513, 0.8256, 0.8570), "SAMM": (0.7642, 0.6850, 0.7207),
         "SMIC": (0.6858, 0.6749, 0.6735), "MEGC": (0.7658, 0.7364, 0.7337)},
}
QUICK_FOLDS = "0-1"  # 2 of the 8 LOSO folds of the quick demo (about 3 min each on 2 busy CPU cores)


def run_variant(cache, out, n_blocks, preset, overrides, folds=None, datasets=None):
    """One row: train and evaluate (resuming), then the scores of the finished folds."""
    from experiments.ablations import scores
    from micro_expr.core.results import DEMO_NOTE
    from micro_expr.core.runner import run_protocol
    from micro_expr.registry import build_system

    folder = Path(out) / "runs" / f"blocks={n_blocks}"
    system = build_system("gia_bia", preset, **{**overrides, "n_blocks": n_blocks})
    started = time.perf_counter()
    run_protocol(system, cache, folder, datasets=datasets, fold_selection=folds, merge=False, note=DEMO_NOTE)
    result = scores(folder)
    result["seconds"] = round(time.perf_counter() - started, 1)
    result["random_backbone"] = not system.config.backbone_weights
    result["parameters"] = system.build().count_params()
    return folder, result


def _cell(value):
    return "-" if value is None else f"{value:.4f}"


def table_markdown(rows, context, quick):
    """Zhu et al. 2023 Table 5 shaped as the paper's: ours (this run's data) then the paper's four datasets."""
    lines = ["# Zhu et al. 2023, Table 5: identification blocks (GIA + BIA + Bi-LSTM)", "",
             f"Ours: {context}.", ""]
    if any(r["random_backbone"] for _, r in rows):
        lines += ["> **RANDOM BACKBONE**: no VGG16 ImageNet weights were given, so the transfer learning layer "
                  "started from random weights. Our scores are not comparable with the paper's.", ""]
    if quick:
        lines += ["> **DEMO**: quick demo data (real faces, synthetic micro-movements) and the `quick` preset "
                  "(a narrow VGG16-shaped backbone on 64 x 64 frames, a few epochs): NOT the paper's setting.", ""]
    datasets = list(PAPER_TABLE5[0])
    lines += ["| IBs | parameters | ours Acc | ours UF1 | ours UAR | folds | seconds | "
              + " | ".join(f"paper {d} Acc / UF1 / UAR" for d in datasets) + " |",
              "|---" * (7 + len(datasets)) + "|"]
    for (n_blocks, label), (_, r) in zip(VARIANTS, rows):
        paper = " | ".join(" / ".join(f"{v:.4f}" for v in PAPER_TABLE5[n_blocks][d]) for d in datasets)
        lines.append(f"| {label} | {r['parameters']:,} | {_cell(r['accuracy'])} | {_cell(r['uf1'])} | "
                     f"{_cell(r['uar'])} | {r['folds_done']}/{r['folds_total']} | {r['seconds']} | {paper} |")
    lines += ["", "Acc is the mean of the per-fold accuracies; UF1 and UAR come from the confusion matrix summed "
              "over the finished folds' held-out clips."]
    return "\n".join(lines) + "\n"


def run_table5(out, cache=None, preset="paper", overrides=None, folds=None, datasets=None, quick=False):
    from experiments.ablations import cache_has_faces, prepare_quick_cache

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if quick:
        cache = cache or prepare_quick_cache(out)
        preset, folds = "quick", folds or QUICK_FOLDS
    if cache is None:
        raise InputError("--cache is required without --quick")
    if not cache_has_faces(cache):
        raise InputError(f"{cache}: prepared without face canvases; run `mer prepare --store-face`")
    overrides = overrides or {}
    rows = [run_variant(cache, out, n, preset, overrides, folds, datasets) for n, _ in VARIANTS]
    schedule = ", ".join(f"{k}={v}" for k, v in overrides.items()) or "none"
    context = f"cache `{cache}`, preset `{preset}`, overrides {schedule}, folds {folds or 'all'}"
    (out / "table5.md").write_text(table_markdown(rows, context, quick))
    (out / "table5.json").write_text(json.dumps(
        {"cache": str(cache), "preset": preset, "overrides": overrides, "folds": folds, "quick": quick,
         "paper": {str(k): v for k, v in PAPER_TABLE5.items()},
         "ours": {str(n): {"folder": str(folder), **result} for (n, _), (folder, result) in zip(VARIANTS, rows)}},
        indent=2, default=float))
    return rows


def main(argv=None):
    from micro_expr.cli import run_command
    from micro_expr.commands.train import overrides_from_set

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache", help="prepared cache with face canvases; --quick prepares the quick demo if omitted")
    parser.add_argument("--out", required=True)
    parser.add_argument("--quick", action="store_true", help=f"quick demo, quick preset, folds {QUICK_FOLDS}")
    parser.add_argument("--preset", default="paper", choices=("paper", "quick"))
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="config override for every variant, e.g. backbone_weights=FILE (repeatable)")
    parser.add_argument("--folds", help='LOSO folds to run, e.g. "0-9" (default: all)')
    parser.add_argument("--datasets", help="LOSO over these datasets only, e.g. casme2")

    def command(args):
        datasets = [d.strip() for d in args.datasets.split(",")] if args.datasets else None
        run_table5(args.out, args.cache, args.preset, overrides_from_set(args.set), args.folds, datasets, args.quick)
        print(f"table: {Path(args.out) / 'table5.md'}")
        return 0

    return run_command(command, parser.parse_args(argv), "gia_bia_table5")


if __name__ == "__main__":
    raise SystemExit(main())
