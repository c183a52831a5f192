"""`mer mean`: the MEAN spot-then-recognize network (Liong et al. 2023) on a prepared region cache.

    mer mean evaluate --weights DIR --cache CACHE.h5 [--dataset NAME] [--out DIR]
    mer mean train --cache CACHE.h5 --out DIR [--epochs-spot N --epochs-recog N]

``evaluate`` runs the published per-fold ``spot_recog`` checkpoints: fold
``s<i>`` is the i-th subject of the dataset in natural sort order (see
``micro_expr.mean.pipeline``). ``train`` trains MEAN leave-one-subject-out
from scratch. Both write ``metrics.json`` and ``predictions.csv``.
"""
import csv
import json
import logging
from pathlib import Path

from data_prep.errors import InputError

log = logging.getLogger(__name__)


def register(subparsers):
    parser = subparsers.add_parser("mean", help="MEAN spot-then-recognize network (Liong et al. 2023)",
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
    train.add_argument("--epochs-spot", type=int, default=200, help="spotting epochs (paper: 200)")
    train.add_argument("--epochs-recog", type=int, default=800, help="recognition epochs (paper: 800)")
    train.add_argument("--batch-size", type=int, default=32)
    train.add_argument("--learning-rate", type=float, default=5e-4, help="Adam learning rate (paper: 5e-4)")
    train.add_argument("--ratio", type=int, default=8, help="non-ME windows kept per ME window (paper: 8)")
    train.add_argument("--max-folds", type=int, default=None, help="stop after this many folds (quick runs)")
    train.add_argument("--seed", type=int, default=1)
    parser.set_defaults(func=run)


def _common_arguments(parser, default_layout):
    parser.add_argument("--cache", required=True, type=Path, help="region cache prepared with --store-face")
    parser.add_argument("--dataset", help="dataset of the cache to use (casme2, samm, smic); "
                                          "needed when the cache holds several")
    parser.add_argument("--out", type=Path, default=Path("runs/mean"), help="output folder")
    parser.add_argument("--roi-layout", choices=("paper", "code"), default=default_layout,
                        help="eye ROIs as two 21x21 pieces (paper) or one 21x42 piece (authors' code, "
                             f"which trained the published weights); default {default_layout}")
    parser.add_argument("--flow", choices=("tvl1", "farneback"), default="tvl1", help="optical flow method")
    parser.add_argument("--peak-p", dest="p", type=float, default=0.55,
                        help="p of the peak threshold, MEAN Eq. 12 (used with --multiple-peaks)")
    parser.add_argument("--multiple-peaks", action="store_true",
                        help="long-video spotting: all peaks above the threshold (default: the highest only)")


def run(args):
    from data_prep.cache import RegionCache

    with RegionCache(args.cache) as cache:
        dataset, samples = _dataset_samples(cache, args.dataset)
        _warn_short_clips(cache)
        if args.mean_action == "evaluate":
            summary = _evaluate(args, cache, dataset, samples)
        else:
            summary = _train(args, cache, dataset, samples)
    print(_format_summary(summary))
    return 0


def _dataset_samples(cache, dataset):
    datasets = sorted({info.dataset for info in cache.samples})
    if dataset is None:
        if len(datasets) != 1:
            raise InputError(f"{cache.path}: holds datasets {', '.join(datasets) or 'none'}; choose one with --dataset")
        dataset = datasets[0]
    samples = [info for info in cache.samples if info.dataset == dataset]
    if not samples:
        raise InputError(f"{cache.path}: no samples of dataset {dataset!r} (it has {', '.join(datasets) or 'none'})")
    return dataset, samples


def _warn_short_clips(cache):
    frames = getattr(getattr(cache, "config", None), "frames", "all")
    if frames != "all":
        log.warning("%s holds only onset..offset frames; spotting needs whole videos "
                    "(mer prepare --frames all --store-face)", cache.path)


def _weights_folder(root, dataset):
    """The folder with the s<fold>.hdf5 spot_recog files, from what --weights points at."""
    from micro_expr.mean.pipeline import WEIGHT_FOLDERS

    folder = Path(root)
    if not folder.is_dir():
        raise InputError(f"{folder}: weights folder does not exist")
    if (folder / WEIGHT_FOLDERS.get(dataset, dataset)).is_dir():
        folder = folder / WEIGHT_FOLDERS.get(dataset, dataset)
    if (folder / "spot_recog").is_dir():
        folder = folder / "spot_recog"
    return folder


def _check_folds(folds, subjects, folder, cache_path):
    """Fold files must be s1 .. sN for the N subjects, or the fold -> subject assignment is wrong."""
    wanted = list(range(1, len(subjects) + 1))
    if list(folds) != wanted:
        missing = [f"s{i}.hdf5" for i in wanted if i not in folds]
        extra = [folds[i].name for i in folds if i not in wanted]
        raise InputError(
            f"{folder}: {len(folds)} fold files for the {len(subjects)} subjects of {cache_path} "
            f"(fold s<i> = i-th subject in natural order: {', '.join(subjects[:6])}"
            f"{' ...' if len(subjects) > 6 else ''})"
            + (f"; missing {', '.join(missing[:5])}" if missing else "")
            + (f"; no subject for {', '.join(extra[:5])}" if extra else ""))


def _labelled(samples, num_classes):
    from micro_expr.mean.pipeline import class_index

    kept = [info for info in samples if class_index(info, num_classes) is not None]
    if len(kept) < len(samples):
        log.info("%d samples have none of the %d classes and are left out (as the authors did)",
                 len(samples) - len(kept), num_classes)
    return kept


def _evaluate(args, cache, dataset, samples):
    from micro_expr.mean import pipeline, spotting
    from micro_expr.mean.features import flow_distance
    from micro_expr.mean.published import build_model_for, fold_files, read_checkpoint, set_published_weights

    folder = _weights_folder(args.weights, dataset)
    folds = fold_files(folder)
    if not folds:
        raise InputError(f"{folder}: no s<fold>.hdf5 checkpoint files")
    first = read_checkpoint(next(iter(folds.values())))
    if first.kind != "spot_recog":
        raise InputError(f"{first.path}: evaluation needs 'spot_recog' checkpoints (both heads), "
                         f"this is '{first.kind}'")
    samples = _labelled(samples, first.num_classes)
    subjects = pipeline.fold_subjects(samples)
    _check_folds(folds, subjects, folder, cache.path)
    k = flow_distance(samples[0].fps)
    k_prime = spotting.half_expression_length([pipeline.truth_interval(info) for info in samples])
    log.info("%s: %d samples, %d folds, k = %d, k' = %d", dataset, len(samples), len(folds), k, k_prime)

    model = build_model_for("spot_recog", first.num_classes)  # one model, refilled for every fold
    rows, table = [], []
    for fold, subject in enumerate(subjects, start=1):
        checkpoint = read_checkpoint(folds[fold])
        if (checkpoint.kind, checkpoint.num_classes) != (first.kind, first.num_classes):
            raise InputError(f"{checkpoint.path}: a '{checkpoint.kind}' checkpoint with {checkpoint.num_classes} "
                             f"classes among '{first.kind}' ones with {first.num_classes} ({first.path.name})")
        set_published_weights(model, checkpoint)
        held_out = [pipeline.prepare_sample(cache, info, k, first.num_classes, args.roi_layout, args.flow)
                    for info in samples if info.subject == subject]
        fold_rows = pipeline.evaluate_fold(model, held_out, k_prime, args.p, args.multiple_peaks)
        rows += fold_rows
        table += pipeline.prediction_rows(fold_rows, fold)
        log.info("fold s%d (subject %s): %d samples", fold, subject, len(held_out))
    summary = {"dataset": dataset, "weights": str(folder), "k": k, "k_prime": k_prime,
               **pipeline.summarise(rows, first.num_classes)}
    _write_outputs(args.out, summary, table)
    return summary


def _train(args, cache, dataset, samples):
    from micro_expr.mean import pipeline, spotting
    from micro_expr.mean.features import flow_distance

    num_classes = args.classes or (5 if dataset == "casme2" else 3)
    samples = _labelled(samples, num_classes)
    subjects = pipeline.fold_subjects(samples)
    if len(subjects) < 2:
        raise InputError(f"{args.cache}: leave-one-subject-out needs two subjects or more, found {len(subjects)}")
    k = flow_distance(samples[0].fps)
    k_prime = spotting.half_expression_length([pipeline.truth_interval(info) for info in samples])
    prepared = [pipeline.prepare_sample(cache, info, k, num_classes, args.roi_layout, args.flow,
                                        with_recognition=True) for info in samples]
    folds_dir = args.out / "folds"
    folds_dir.mkdir(parents=True, exist_ok=True)
    rows, table = [], []
    for fold, subject in enumerate(subjects[:args.max_folds], start=1):
        train_set = [s for s in prepared if s.info.subject != subject]
        model = pipeline.train_fold(train_set, num_classes, k_prime, args.epochs_spot, args.epochs_recog,
                                    args.batch_size, args.learning_rate, args.ratio, args.seed)
        model.save(folds_dir / f"s{fold}.keras")
        fold_rows = pipeline.evaluate_fold(model, [s for s in prepared if s.info.subject == subject],
                                           k_prime, args.p, args.multiple_peaks)
        rows += fold_rows
        table += pipeline.prediction_rows(fold_rows, fold)
        log.info("fold s%d (subject %s) trained on %d samples", fold, subject, len(train_set))
    summary = {"dataset": dataset, "k": k, "k_prime": k_prime, "folds": len(subjects[:args.max_folds]),
               **pipeline.summarise(rows, num_classes)}
    _write_outputs(args.out, summary, table)
    return summary


def _write_outputs(out, summary, table):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(json.dumps(summary, indent=2))
    columns = ["fold", "key", "truth_first", "truth_last", "true_class", "peak", "first", "last", "score",
               "true_positive", "predicted_class"]
    with open(out / "predictions.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(table)
    log.info("wrote %s and %s", out / "metrics.json", out / "predictions.csv")


def _format_summary(summary):
    spot, analysis = summary["spotting"], summary["analysis"]
    return "\n".join([
        f"MEAN on {summary['dataset']} (k = {summary['k']}, k' = {summary['k_prime']})",
        f"spotting  TP {spot['tp']}  FP {spot['fp']}  FN {spot['fn']}  precision {spot['precision']:.4f}  "
        f"recall {spot['recall']:.4f}  F1 {spot['f1']:.4f}  AP@[.5:.95] {spot['ap_50_95']:.4f}",
        f"analysis  n {analysis['n']}  F1 {analysis['f1']:.4f}  UF1 {analysis['uf1']:.4f}  "
        f"UAR {analysis['uar']:.4f}  accuracy {analysis['accuracy']:.4f}",
        f"STRS {summary['strs']:.4f}",
    ])
