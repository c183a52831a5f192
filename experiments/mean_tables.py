"""MEAN's tables (Liong et al., "Spot-then-Recognize"), ours beside the paper's figures, one sub-command per table.

    python -m experiments.mean_tables presets [--quick]          both presets on identical synthetic scores
    python -m experiments.mean_tables long-demo [--quick]        the long-video demo through the published folds
    python -m experiments.mean_tables table2 PREDICTIONS.csv --dataset casme2   ASR, analysis of all spots (2-3)
    python -m experiments.mean_tables table4 --dataset casme_sq --root R --coding C --weights W   long videos
    python -m experiments.mean_tables table6 --out DIR [--cache C] [--quick]   k = FPS x 0.05 / 0.10 / 0.15 s (trains)
    python -m experiments.mean_tables table7 [--quick]           smoothing functions (synthetic scores)
    python -m experiments.mean_tables table8 [--quick]           voted interval cases 1-3 (synthetic scores)
    python -m experiments.mean_tables table9 --out DIR [--cache C] [--quick]   without / with inductive transfer
    python -m experiments.mean_tables curves RUN [RUN ...] [--png FILE]      learning curves of trained runs

``presets``, ``table7`` and ``table8`` run on CASME-like synthetic scores
(``micro_expr.mean.synthetic``): they show what the post-processing does, not
what MEAN scores on CASME II. ``table2`` reads a MEAN run folder
(``mer train --system mean``); ``table4`` and ``long-demo`` run the published checkpoints.
``table6`` and ``table9`` train MEAN through the common runner
(:func:`micro_expr.core.runner.run_protocol`), one run folder per row under ``--out``
(a killed table resumes where it stopped), on ``--cache`` or, without it, on
the quick demo's cache (``mer demo --quick`` writes ``demo_out/cache.h5``);
``--quick``: a tiny schedule and two folds. Demo figures are not comparable
with the paper's, measured on CASME II, SMIC-E, CAS(ME)^2 and SAMM-LV.
"""
import argparse
import csv
import json
import shutil
import tempfile
from pathlib import Path

import numpy as np

from data_prep.errors import InputError

# Paper figures (MEAN Tables 2, 3, 4, 6, 7, 8, 9).
PAPER_TABLE2 = {"casme2": (0.8443, 0.5723), "smic_hs": (0.4904, 0.4796), "smic_vis": (0.4789, 0.5957),
                "smic_nir": (0.3239, 0.449)}                      # (ASR, analysis F1 over all spotted intervals)
PAPER_TABLE3 = {"all_spotted": 0.5915, "tp_only": 0.7742}        # SMIC-E-VIS accuracy
PAPER_TABLE4 = {"casme_sq": 0.1214, "sammlv": 0.0949}           # spotting F1
PAPER_TABLE7 = {"centered": (0.6516, 0.5927, 0.3862), "gaussian1": (0.2869, 0.3874, 0.1111),
                "gaussian3": (0.2787, 0.3557, 0.0991), "exponential1": (0.2746, 0.3521, 0.0967),
                "exponential3": (0.2705, 0.3314, 0.0896)}        # CASME II (spotting F1, analysis F1, STRS)
PAPER_TABLE8_CASME2 = {"onset_apex": 0.5927, "apex": 0.2626, "onset_offset": 0.4483}   # analysis F1
PAPER_TABLE6 = {0.05: (0.6398, 0.5739, 0.3672), 0.10: (0.6516, 0.5927, 0.3862),
                0.15: (0.5000, 0.5169, 0.2585)}  # CASME II, k = FPS x seconds: (spotting F1, analysis F1, STRS)
PAPER_TABLE9 = {"casme2": (0.5423, 0.5723), "smic_hs": (0.4710, 0.4796), "smic_vis": (0.4251, 0.5958),
                "smic_nir": (0.4058, 0.4490), "casme_sq": (0.4938, 0.6667),
                "sammlv": (0.2917, 0.5263)}      # analysis F1 (without ITL, with ITL)
PAPER_COLUMNS = {"smic": "smic_hs"}             # a cache's dataset -> the paper's column, where the names differ

# Training tables (MEAN Tables 6 and 9) with --quick: a schedule of seconds per fold and two LOSO folds.
QUICK_TRAINING = {"epochs_spot": 2, "epochs_recog": 5, "flow": "farneback"}
QUICK_FOLDS = "0-1"
DEMO_CACHE = Path("demo_out") / "cache.h5"      # where `mer demo --quick` leaves its prepared cache


CLIP_LENGTHS = ((80, 160), (150, 400))   # score frames per synthetic video: short clips, longer ones


def _videos(quick, seed, length=(150, 400)):
    from micro_expr.mean import synthetic

    return synthetic.casme_like_videos(60 if quick else 244, seed=seed, length=length)


def presets(args):
    """Both presets, and the paper preset with one code field at a time, on identical synthetic scores."""
    for length in CLIP_LENGTHS:
        _presets(args.quick, length)


def _presets(quick, length):
    from micro_expr.mean import synthetic

    seeds = range(2 if quick else 5)
    videos = [_videos(quick, s, length) for s in seeds]
    runs = [(synthetic.compare_presets(v, 34), synthetic.field_effects(v, 34)) for v in videos]
    print(f"\nCASME-like synthetic scores, {length[0]}-{length[1]} frames per video, k' = 34, "
          f"{len(runs)} seeds of {len(videos[0])} videos; mean (min .. max)")
    print(f"{'configuration':<28}{'F1':>22}{'AP@[.5:.95]':>22}{'STRS':>22}")

    def line(name, results):
        cells = []
        for key in ("f1", "ap_50_95", "strs"):
            values = [r[key] for r in results]
            cells.append(f"{np.mean(values):.3f} ({min(values):.3f}..{max(values):.3f})")
        print(f"{name:<28}" + "".join(f"{c:>22}" for c in cells))

    for name in ("paper", "original"):
        line(name, [both[name] for both, _ in runs])
    for field in synthetic.SCORE_FIELDS:
        line(f"paper + {field}", [effects[field] for _, effects in runs])
    from micro_expr.mean.config import get_preset   # IoU > 0.5: an ablation, in neither preset

    line("paper + hit_rule '>'", [synthetic.score_config(v, 34, get_preset("paper", hit_rule=">")) for v in videos])


def long_demo(args):
    """Build the long-video demo (unless it exists) and run the published CAS(ME)^2 folds s1, s2 on it."""
    from data_prep.demo.long_video import build_long_video_demo
    from data_prep.long_videos import fold_subjects, read_casme_sq
    from micro_expr.mean import long_video
    from micro_expr.mean.config import get_preset

    folder = Path(args.dir)
    if not (folder / "truth.json").is_file():
        build_long_video_demo(folder, seconds=6 if args.quick else 10, n_mes=2 if args.quick else 3)
    videos, failures = read_casme_sq(folder, folder / "code_final.xlsx")
    weights = Path(tempfile.mkdtemp())
    for fold in range(1, len(fold_subjects(videos)) + 1):   # the demo's subjects take the first folds
        shutil.copy(Path(args.weights) / "CASME_sq" / "spot_recog" / f"s{fold}.hdf5", weights)
    results = {}
    for name in ("paper", "original"):
        config = get_preset(name, k_prime=args.k_prime, flow="farneback" if args.quick else "tvl1")
        rows, summary = long_video.evaluate_published(weights, videos, config)
        results[name] = summary
        spot = summary["spotting"]
        print(f"{name:<9} k={summary['k']} k'={summary['k_prime']}  TP {spot['tp']} FP {spot['fp']} FN {spot['fn']}  "
              f"F1 {spot['f1']:.4f}  AP@[.5:.95] {spot['ap_50_95']:.4f}  analysis F1 {summary['analysis']['f1']:.4f}"
              f"  STRS {summary['strs']:.4f}")
    (folder / "mean_results.json").write_text(json.dumps(results, indent=1, default=str))
    print("above: ours on the long-video demo (synthetic micro-movements on real faces, not CAS(ME)^2)")
    print(f"paper, CAS(ME)^2 (MEAN Table 5): F1 0.1214, AP 0.0152, analysis F1 0.6667, STRS 0.0809")


def table2(args):
    """ASR (MEAN Eq. 13) and analysis of all spotted intervals (MEAN Tables 2-3) of a MEAN run folder
    (or a predictions.csv of its spotted intervals)."""
    from micro_expr.mean import metrics, pipeline

    if Path(args.predictions).is_dir():
        rows = [{key: str(value) for key, value in row.items()} for row in pipeline.run_rows(args.predictions)]
    else:
        with open(args.predictions) as handle:
            rows = list(csv.DictReader(handle))
    rows = [r for r in rows if r.get("peak") not in (None, "", "None")]
    first = {}
    for row in rows:
        first.setdefault(row["key"], row)
    apexes = [int(r["peak"]) for r in first.values()]
    truths = [(int(r["truth_first"]), int(r["truth_last"])) for r in first.values()]
    labelled = [r for r in rows if r["true_class"] not in ("", "None")]
    all_spots = metrics.analysis_scores([int(r["true_class"]) for r in labelled],
                                        [int(r["predicted_class"]) for r in labelled])
    tp = [r for r in labelled if r["true_positive"] == "True"]
    tp_scores = metrics.analysis_scores([int(r["true_class"]) for r in tp], [int(r["predicted_class"]) for r in tp])
    asr = metrics.apex_spotting_rate(apexes, truths)
    paper = PAPER_TABLE2.get(args.dataset, (float("nan"), float("nan")))
    print(f"MEAN Table 2 ({args.dataset}): ASR {asr:.4f} (paper {paper[0]}), analysis F1 over all spotted intervals "
          f"{all_spots['f1']:.4f} (paper {paper[1]})")
    print(f"MEAN Table 3: accuracy, all spotted {all_spots['accuracy']:.4f}, "
          f"spotted TP only {tp_scores['accuracy']:.4f}"
          f" (paper, SMIC-E-VIS: {PAPER_TABLE3['all_spotted']}, {PAPER_TABLE3['tp_only']})")


def table4(args):
    """Long-video spotting F1 with the published folds (MEAN Table 4)."""
    from data_prep.long_videos import read_long_videos
    from micro_expr.mean import long_video
    from micro_expr.mean.config import get_preset

    videos, failures = read_long_videos(args.dataset, args.root, args.coding, args.samm_coding)
    for failure in failures:
        print(f"skipped {failure.key}: {failure.message}")
    folder = Path(args.weights) / {"casme_sq": "CASME_sq", "sammlv": "SAMMLV"}[args.dataset] / "spot_recog"
    _, summary = long_video.evaluate_published(folder, videos, get_preset(args.preset))
    print(f"MEAN Table 4 ({args.dataset}, preset {args.preset}): F1 {summary['spotting']['f1']:.4f} "
          f"(paper {PAPER_TABLE4[args.dataset]})")


def training_cache(args):
    """--cache; else the quick demo's cache if there; else, with --quick, the quick demo prepared into --out."""
    from experiments.ablations import cache_has_faces, prepare_quick_cache

    if args.cache:
        return args.cache
    if DEMO_CACHE.is_file() and cache_has_faces(DEMO_CACHE):   # `mer demo` stores them only when they are read
        return DEMO_CACHE
    if args.quick:
        Path(args.out).mkdir(parents=True, exist_ok=True)
        return prepare_quick_cache(args.out)
    raise InputError(f"no --cache given and no quick demo cache with face canvases at {DEMO_CACHE}: give --cache, "
                     f"or add --quick to prepare the quick demo (with its face canvases) into --out")


def train_variants(args, field, values):
    """MEAN trained and evaluated once per value of the config ``field``, each in ``--out/<field>=<value>``.

    Every run goes through :func:`micro_expr.core.runner.run_protocol` (the ``mean`` system), so finished folds are
    kept and a rerun resumes. Returns (context line, [(value, run summary, or why the row could not run)]):
    a row the data cannot serve (e.g. clips of 16 frames and k = FPS x 0.10 = 20) is reported, not fatal,
    unless no row runs.
    """
    from micro_expr.commands.train import overrides_from_set
    from micro_expr.core.runner import run_protocol
    from micro_expr.mean.system import MEAN

    cache = training_cache(args)
    overrides = {**(QUICK_TRAINING if args.quick else {}), **overrides_from_set(args.set)}
    folds = args.folds or (QUICK_FOLDS if args.quick else None)
    systems = [MEAN.from_preset(args.preset, **{**overrides, field: value}) for value in values]  # checked first
    results = []
    for value, system in zip(values, systems):
        folder = Path(args.out) / f"{field}={value}"
        print(f"[{field} = {value}] {folder}", flush=True)
        try:
            summary = run_protocol(system, cache, folder, fold_selection=folds, partial=True)
        except InputError as error:
            summary = f"not run: {error}"
            print(summary, flush=True)
        if summary is None:
            raise InputError(f"{folder}: no fold finished (another process holds them?); run again to merge")
        results.append((value, summary))
    if all(isinstance(summary, str) for _, summary in results):
        raise InputError(results[0][1][len("not run: "):])
    schedule = ", ".join(f"{k}={v}" for k, v in overrides.items()) or "the preset's"
    data = "" if args.cache else " (the quick demo: synthetic micro-movements on real faces, not a real dataset)"
    return f"cache {cache}{data}, preset {args.preset}, {schedule}, folds {folds or 'all'}", results


def _ours(summary):
    """Cells of our run: spotting F1, analysis F1, STRS, 'folds done/all' (the reason, for a row not run)."""
    if isinstance(summary, str):
        return ["-", "-", "-", summary]
    return [f"{summary['spotting']['f1']:.4f}", f"{summary['analysis']['f1']:.4f}", f"{summary['strs']:.4f}",
            f"{summary['folds']}/{summary['n_folds']}"]


def write_table(args, name, title, header, rows, results):
    """Print a table (ours beside the paper's) and write it to --out as <name>.md and <name>.json."""
    lines = [title, "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    text = "\n".join(lines) + "\n"
    print(text)
    out = Path(args.out)
    (out / f"{name}.md").write_text(text)
    (out / f"{name}.json").write_text(json.dumps(
        {"title": title, "header": header, "rows": rows,
         "runs": {str(value): summary if isinstance(summary, str) else
                  {key: summary[key] for key in ("dataset", "k", "k_prime", "spotting", "analysis", "strs", "folds",
                                                 "n_folds")} for value, summary in results}}, indent=1, default=str))


def table6(args):
    """MEAN Table 6: k = FPS x 0.05 / 0.10 / 0.15 s, each a MEAN run through the runner (field flow_seconds)."""
    context, results = train_variants(args, "flow_seconds", list(PAPER_TABLE6))
    rows = []
    for seconds, summary in results:
        k = "" if isinstance(summary, str) else f" (k = {summary['k']})"
        rows.append([f"FPS x {seconds:.2f}{k}", *_ours(summary), *(f"{v:.4f}" for v in PAPER_TABLE6[seconds])])
    write_table(args, "table6", f"MEAN Table 6, optical flow distance k. Ours: {context}; paper: CASME II.",
                ["k", "spotting F1", "analysis F1", "STRS", "folds", "paper spotting", "paper analysis",
                 "paper STRS"], rows, results)


def table9(args):
    """MEAN Table 9: analysis F1 without and with inductive transfer (field inductive_transfer), through the runner."""
    context, results = train_variants(args, "inductive_transfer", [False, True])
    dataset = next(summary["dataset"] for _, summary in results if not isinstance(summary, str))
    column = PAPER_COLUMNS.get(dataset, dataset)
    paper = PAPER_TABLE9.get(column)
    rows = []
    for transfer, summary in results:
        spot, analysis, strs, folds = _ours(summary)
        rows.append(["With ITL" if transfer else "Without ITL", analysis, spot, strs, folds,
                     f"{paper[int(transfer)]:.4f}" if paper else "-"])
    write_table(args, "table9", f"MEAN Table 9, inductive transfer learning (ITL). Ours: {context}, dataset "
                f"{dataset}; paper: {column if paper else 'no such column'} (analysis F1).",
                ["strategy", "analysis F1", "spotting F1", "STRS", "folds", "paper analysis F1"], rows, results)


def curves(args):
    """Learning curves (MEAN Fig. 6): spotting and recognition loss, MAE and accuracy per epoch of each fold."""
    from micro_expr.core.plots import save_figure
    from micro_expr.core.run_folder import RunFolder
    from micro_expr.mean.system import CURVE_METRICS, learning_curves

    histories = {}
    for path in args.runs:
        folder = RunFolder(path)
        system = folder.read().get("system", "stff")
        if system != "mean":
            raise InputError(f"{folder.path / 'run.json'}: a {system} run, not MEAN's")
        for fold in folder.finished_folds():
            history = folder.fold_history(fold)
            if history:   # published weights train nothing
                histories[fold["name"] if len(args.runs) == 1 else f"{folder.path.name} {fold['name']}"] = history
    if not histories:
        raise InputError(f"{', '.join(map(str, args.runs))}: no finished fold with a training history "
                         f"(runs of published weights have none)")
    png = Path(args.png) if args.png else Path(args.runs[0]) / "learning_curves.png"
    save_figure(learning_curves(histories), png)
    print(f"{png}: {len(histories)} folds; last epoch, mean over folds:")
    for stage in ("spot", "recog"):
        for metric in CURVE_METRICS:
            key = metric.get(stage) if isinstance(metric, dict) else metric
            last = [h[stage][key][-1] for h in histories.values() if h.get(stage, {}).get(key)]
            if last:
                print(f"  {stage:<6}{key:<22}{np.mean(last):.4f}")


def table7(args):
    """Smoothing functions on synthetic scores (MEAN Table 7)."""
    from micro_expr.mean import synthetic
    from micro_expr.mean.config import get_preset

    videos = _videos(args.quick, 0)
    print(f"Ours: {len(videos)} synthetic CASME-like videos (made-up spotting scores, not CASME II); "
          "paper: MEAN Table 7 on CASME II. Not comparable.")
    print(f"{'smoothing':<14}{'ours (synthetic): spot F1':>26}{'analysis':>10}{'STRS':>8}   paper (CASME II)")
    for name, paper in PAPER_TABLE7.items():
        result = synthetic.score_config(videos, 34, get_preset("paper", smoothing=name))
        print(f"{name:<14}{result['f1']:>26.4f}{result['analysis_f1']:>10.4f}{result['strs']:>8.4f}   "
              f"{paper[0]:.4f} {paper[1]:.4f} {paper[2]:.4f}")


def table8(args):
    """Voted interval cases on synthetic scores (MEAN Table 8)."""
    from micro_expr.mean import synthetic
    from micro_expr.mean.config import get_preset

    videos = _videos(args.quick, 0)
    print(f"Ours: {len(videos)} synthetic CASME-like videos (made-up spotting scores, not CASME II); "
          "paper: MEAN Table 8 on CASME II. Not comparable.")
    print(f"{'interval':<14}{'ours (synthetic): analysis F1':>30}   paper (CASME II)")
    for case, paper in PAPER_TABLE8_CASME2.items():
        result = synthetic.score_config(videos, 34, get_preset("paper", analysis_interval=case))
        print(f"{case:<14}{result['analysis_f1']:>30.4f}   {paper:.4f}")


def main(argv=None):
    from micro_expr.cli import run_command

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name, function in (("presets", presets), ("table7", table7), ("table8", table8)):
        sub = commands.add_parser(name, help=function.__doc__)
        sub.add_argument("--quick", action="store_true", help="fewer synthetic videos and seeds")
        sub.set_defaults(func=function)
    sub = commands.add_parser("long-demo", help=long_demo.__doc__)
    sub.add_argument("--dir", default="runs/mean_long_demo")
    sub.add_argument("--weights", default="../shared/data/mean_weights", help="root of the published weights")
    sub.add_argument("--k-prime", type=int, default=6, help="k' (paper: 6 for CAS(ME)^2)")
    sub.add_argument("--quick", action="store_true", help="6 s videos, 2 MEs each, Farneback flow")
    sub.set_defaults(func=long_demo)
    sub = commands.add_parser("table2", help=table2.__doc__)
    sub.add_argument("predictions", type=Path)
    sub.add_argument("--dataset", default="casme2", choices=sorted(PAPER_TABLE2))
    sub.set_defaults(func=table2)
    sub = commands.add_parser("table4", help=table4.__doc__)
    sub.add_argument("--dataset", required=True, choices=sorted(PAPER_TABLE4))
    sub.add_argument("--root", required=True, type=Path)
    sub.add_argument("--coding", type=Path)
    sub.add_argument("--samm-coding", type=Path)
    sub.add_argument("--weights", required=True, type=Path)
    sub.add_argument("--preset", default="original")
    sub.set_defaults(func=table4)
    for name, function in (("table6", table6), ("table9", table9)):
        sub = commands.add_parser(name, help=function.__doc__)
        sub.add_argument("--out", required=True, type=Path, help="one run folder per row, and the table")
        sub.add_argument("--cache", help=f"prepared cache (mer prepare --frames all --store-face); default: "
                                         f"{DEMO_CACHE} if there")
        sub.add_argument("--preset", default="paper", choices=("paper", "original"))
        sub.add_argument("--quick", action="store_true",
                         help=f"schedule {QUICK_TRAINING}, folds {QUICK_FOLDS}; prepares the quick demo into "
                              f"--out when there is no cache")
        sub.add_argument("--folds", help='LOSO folds to run, e.g. "0-3" (default: all; --quick: ' + QUICK_FOLDS + ")")
        sub.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                         help="any other MEANConfig field for every row, e.g. epochs_spot=10 (repeatable)")
        sub.set_defaults(func=function)
    sub = commands.add_parser("curves", help=curves.__doc__)
    sub.add_argument("runs", nargs="+", type=Path, help="MEAN run folders (e.g. the two of table9)")
    sub.add_argument("--png", type=Path, help="figure file (default: RUN/learning_curves.png)")
    sub.set_defaults(func=curves)
    return run_command(lambda args: args.func(args), parser.parse_args(argv), "mean_tables")


if __name__ == "__main__":
    raise SystemExit(main())
