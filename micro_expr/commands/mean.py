"""`mer mean`: MEAN, spot-then-recognise (Liong, See, Chan), through the common runner.

    mer mean evaluate --weights DIR --cache CACHE.h5 [--dataset NAME] [--out DIR]
    mer mean train --cache CACHE.h5 --out DIR [--epochs-spot N --epochs-recog N]

Both are short forms of ``mer train --system mean``: the run folder, resume
and ``--folds`` are the common runner's. ``evaluate`` runs the published
per-fold ``spot_recog`` checkpoints (fold ``s<i>`` is the i-th subject of the
dataset in natural sort order); ``train`` trains MEAN leave-one-subject-out.
Besides the run folder's results.json / results.md they write the
``metrics.json`` and ``predictions.csv`` of earlier versions.
"""
import csv
import logging
from pathlib import Path

from data_prep.errors import InputError

log = logging.getLogger(__name__)


def register(subparsers):
    parser = subparsers.add_parser("mean", help="MEAN spot-then-recognise network (short for train --system mean)",
                                   description=__doc__.split("\n\n")[0])
    actions = parser.add_subparsers(dest="mean_action", required=True, metavar="ACTION")

    evaluate = actions.add_parser("evaluate", help="run the published per-fold checkpoints on a cache")
    evaluate.add_argument("--weights", required=True, type=Path,
                          help="published checkpoints: the root (with CASME2/, SMIC_HS/ ...), a dataset "
                               "folder (with spot_recog/), or a folder of s<fold>.hdf5 files")
    _common_arguments(evaluate, default_layout="code")

    train = actions.add_parser("train", help="train MEAN leave-one-subject-out from scratch")
    _common_arguments(train, default_layout="paper")
    train.add_argument("--classes", type=int, choices=(3, 5), default=None,
                       help="recognition classes: 3 (MEGC) or 5 (CASME II emotions); default 5 for casme2, else 3")
    train.add_argument("--epochs-spot", type=int, help="spotting epochs (paper 200, code 10; default: the preset's)")
    train.add_argument("--epochs-recog", type=int, help="recognition epochs (paper 800, code 100)")
    train.add_argument("--batch-size", type=int)
    train.add_argument("--learning-rate", type=float, help="Adam learning rate (paper: 5e-4)")
    train.add_argument("--ratio", type=int, help="non-ME windows kept per ME window (paper 8, code 5)")
    train.add_argument("--max-folds", type=int, default=None,
                       help="only the first N folds, results over those (quick runs; same as --folds 0-(N-1))")
    train.add_argument("--seed", type=int)
    parser.set_defaults(func=run)


def _common_arguments(parser, default_layout):
    parser.add_argument("--cache", required=True, type=Path, help="region cache prepared with --store-face")
    parser.add_argument("--dataset", help="dataset of the cache to use (casme2, samm, smic); "
                                          "needed when the cache holds several")
    parser.add_argument("--out", type=Path, default=Path("runs/mean"), help="run folder")
    parser.add_argument("--preset", choices=("paper", "original"), default="paper",
                        help="paper (default) or original (the authors' code)")
    parser.add_argument("--roi-layout", choices=("paper", "code"),
                        help="eye ROIs as two 21x21 pieces (paper) or one 21x42 piece (authors' code, "
                             f"which trained the published weights); default {default_layout} or the preset's")
    parser.add_argument("--flow", choices=("tvl1", "farneback"), help="optical flow method (default tvl1)")
    parser.add_argument("--peak-p", dest="p", type=float,
                        help="p of the peak threshold, MEAN Eq. 12 (default 0.55; used with --multiple-peaks)")
    parser.add_argument("--multiple-peaks", action="store_true",
                        help="long-video spotting: all peaks above the threshold (default: the highest only)")
    parser.add_argument("--folds", metavar="SEL", help='folds to run, e.g. "0-3,7"')


def overrides_from_args(args):
    """MEANConfig fields of the alias options that were given (the preset supplies the rest)."""
    given = {"dataset": args.dataset, "roi_layout": args.roi_layout, "flow": args.flow, "peak_p": args.p,
             "multiple_peaks": args.multiple_peaks or None}
    if args.mean_action == "evaluate":
        given["weights"] = str(args.weights)
        if args.roi_layout is None:
            given["roi_layout"] = "code"   # the published weights were trained on the code's ROI layout
    else:
        given.update(classes=args.classes, epochs_spot=args.epochs_spot, epochs_recog=args.epochs_recog,
                     batch_size=args.batch_size, learning_rate=args.learning_rate, ratio=args.ratio, seed=args.seed)
    return {key: value for key, value in given.items() if value is not None}


def run(args):
    from micro_expr.core.runner import run_protocol
    from micro_expr.mean.system import MEAN, format_summary

    system = MEAN.from_preset(args.preset, **overrides_from_args(args))
    folds, partial = args.folds, False
    if getattr(args, "max_folds", None) is not None:
        if args.max_folds < 1:
            raise InputError(f"--max-folds {args.max_folds}: give 1 or more folds")
        folds, partial = f"0-{args.max_folds - 1}", True
    summary = run_protocol(system, args.cache, args.out, fold_selection=folds, partial=partial,
                           datasets=[args.dataset] if args.dataset else None)
    if summary is None:
        print(f"selected folds done; run again without --folds to finish and merge ({args.out})")
        return 0
    write_legacy_outputs(args.out, summary)
    print(format_summary(summary))
    return 0


def write_legacy_outputs(out, summary):
    """metrics.json and predictions.csv (one row per spotted interval, or one empty row per clip) of a run."""
    from micro_expr.mean.pipeline import prediction_rows
    from micro_expr.core.run_folder import RunFolder, write_json

    run = RunFolder(out)
    write_json(run.path / "metrics.json", summary)
    columns = ["fold", "key", "truth_first", "truth_last", "true_class", "peak", "first", "last", "score",
               "true_positive", "predicted_class"]
    rows = [row for record in run.predictions() for row in prediction_rows([record], record["fold"])]
    with open(run.path / "predictions.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    log.info("wrote %s and %s", run.path / "metrics.json", run.path / "predictions.csv")
