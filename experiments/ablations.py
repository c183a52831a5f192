"""The ablation tables of the STFF papers, rerun on a prepared cache, the paper's figures beside ours.

    python experiments/ablations.py --quick --out runs/ablations_quick            # demo cache, tiny schedule
    python experiments/ablations.py --cache full.h5 --out runs/ablations          # real data, the preset's schedule
    python experiments/ablations.py --cache full.h5 --out runs/ablations --only table3,table5 --folds 0-9

Ablations (each variant is one configuration override of the base run):

    table3        STFF Table 3: patches per region m = 1, 4, 9, 16 (5-AU protocol, as the paper)
    table5        STFF Table 5: SE fusion none / spatial / temporal / both (MEGC)
    table6        STFF Table 6: whole-face labels vs region labels for the spatial models (MEGC)
    s001_table5   Aouayeb et al. 2021 Table 5: whole face / no cheeks / no nose / all regions (MEGC; alias 'regions')
    s001_table7   Aouayeb et al. 2021 Table 7: cross-entropy vs focal loss (MEGC; alias 'loss')

Every variant is a :func:`micro_expr.core.runner.run_protocol` run in its own folder
(``runs/<protocol>/<override>``, ``baseline`` for the base configuration,
shared by the tables), so a killed run resumes and variants equal across
tables are trained once. ``--folds`` runs some LOSO folds only; the scores
then come from those folds' held-out samples, and the tables say so.

Writes ablations.md (one table per ablation, shaped like the paper's) and
ablations.json to --out. Ours are measured on the data actually used (the
demo in --quick mode): they are not comparable with the paper's numbers.
"""
import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from data_prep.errors import InputError
from micro_expr.demo import SCHEDULES as DEMO_SCHEDULES

# Schedule of --quick: the demo's (micro_expr.demo.SCHEDULES) with m = 1 where m is not ablated and
# one spatial epoch, so that every table runs in minutes on a laptop CPU.
QUICK_SCHEDULE = {"spatial.patches": 1, **DEMO_SCHEDULES["quick"], "spatial.epochs": 1, "spatial.batch_size": 32,
                  "temporal.epochs": 60}
QUICK_FOLDS = "0-3"  # 4 of the 8 LOSO folds of the quick demo: 24 held-out clips per variant
METRIC_NAMES = {"accuracy": "Accuracy", "weighted_f1": "F1-score", "uar": "UAR", "uf1": "UF1"}


@dataclass(frozen=True)
class Ablation:
    """One table of a paper: the configuration key it varies, its rows and the paper's figures."""

    name: str
    source: str          # where the paper's figures come from
    caption: str
    protocol: str        # the protocol of the paper's table
    key: str             # configuration override (micro_expr.stff.config.override)
    variants: tuple      # (row label, override value)
    metrics: tuple       # columns, in the paper's order
    paper: dict          # row label -> paper figures, in the order of ``metrics``
    extra: dict = None   # override value -> further overrides the paper's row also used (e.g. its batch size)

    def changes(self, value):
        """All overrides of the row whose ``key`` is ``value``."""
        return {self.key: value, **((self.extra or {}).get(value, {}))}


ABLATIONS = {
    "table3": Ablation(
        "table3", "STFF Table 3", "Number of patches m per region (5-AU, SAMM + CASME II, LOSO; the paper's "
        "m = 16 used batch 32)", "au5", "spatial.patches",
        (("m = 1", 1), ("m = 4", 4), ("m = 9", 9), ("m = 16", 16)),
        ("accuracy", "weighted_f1", "uar", "uf1"),
        {"m = 1": (0.8493, 0.8389, 0.8190, 0.8110), "m = 4": (0.8503, 0.8400, 0.8193, 0.8126),
         "m = 9": (0.8954, 0.8916, 0.8317, 0.8399), "m = 16": (0.8646, 0.8621, 0.8276, 0.8210)},
        extra={16: {"spatial.batch_size": 32}}),  # STFF Table 3: "m = 16 ... batch size 32"
    "table5": Ablation(
        "table5", "STFF Table 5", "Spatial and temporal SE fusion blocks (MEGC, LOSO)", "megc", "fusion",
        (("Aouayeb et al. (2019) (no fusion)", "none"), ("Spatial fusion", "spatial"),
         ("Temporal fusion", "temporal"), ("Spatiotemporal fusion", "both")),
        ("uar", "uf1", "accuracy"),
        {"Aouayeb et al. (2019) (no fusion)": (0.90, 0.90, 0.92), "Spatial fusion": (0.90, 0.93, 0.96),
         "Temporal fusion": (0.90, 0.91, 0.92), "Spatiotemporal fusion": (0.93, 0.94, 0.96)}),
    "table6": Ablation(
        "table6", "STFF Table 6", "Labels the spatial models learn (MEGC, LOSO)", "megc", "region_labels",
        (("Label of the whole face", False), ("Label based on region", True)),
        ("uar", "uf1", "accuracy"),
        {"Label of the whole face": (0.82, 0.82, 0.83), "Label based on region": (0.93, 0.94, 0.96)}),
    "s001_table5": Ablation(
        "s001_table5", "Aouayeb et al. 2021 Table 5", "Regions used (MEGC FULL, LOSO)", "megc", "regions",
        (("whole face", "whole_face"), ("no cheeks", "no_cheeks"), ("no nose", "no_nose"), ("all regions", "all")),
        ("accuracy", "uar", "uf1"),
        {"whole face": (0.85, 0.84, 0.84), "no cheeks": (0.89, 0.84, 0.84), "no nose": (0.91, 0.84, 0.85),
         "all regions": (0.92, 0.89, 0.89)}),
    "s001_table7": Ablation(
        "s001_table7", "Aouayeb et al. 2021 Table 7", "Loss of both stages (MEGC FULL, LOSO)", "megc", "loss",
        (("CE", "cross_entropy"), ("Focal loss (gamma = 2)", "focal")),
        ("accuracy", "uar", "uf1"),
        {"CE": (0.91, 0.87, 0.87), "Focal loss (gamma = 2)": (0.92, 0.89, 0.89)}),
}
ALIASES = {"regions": "s001_table5", "loss": "s001_table7"}


def chosen_ablations(only):
    """Ablations named in ``only`` ("table3,table5", aliases allowed), or all."""
    if not only:
        return list(ABLATIONS.values())
    names = [ALIASES.get(n.strip(), n.strip()) for n in only.split(",") if n.strip()]
    unknown = [n for n in names if n not in ABLATIONS]
    if unknown:
        raise InputError(f"--only: unknown ablation(s) {unknown}; choose from {sorted(ABLATIONS)} "
                         f"or {sorted(ALIASES)}")
    return [ABLATIONS[n] for n in names]


# --- running the variants -------------------------------------------------------------------

def base_config(preset, protocol, overrides):
    """The base configuration of every table: the preset, the protocol and the schedule overrides."""
    from micro_expr.registry import preset_config

    try:
        return preset_config(preset, protocol=protocol, **overrides)
    except (ValueError, TypeError) as error:
        raise InputError(f"configuration: {error}") from error


def variant_folder(out, base, key, value, extra=None):
    """``runs/<protocol>/baseline`` when the overrides change nothing, else ``runs/<protocol>/<key>=<value>``.

    ``extra`` overrides that change the base are appended: ``spatial.patches=16,spatial.batch_size=32``.
    Non-STFF presets get their own subfolder (``runs/cnn_lstm_paper/megc/...``).
    """
    from micro_expr.stff.config import override

    changes = {key: value, **(extra or {})}
    changed = override(base, **changes) != base
    shown = [f"{k}={v}" for k, v in changes.items() if k == key or override(base, **{k: v}) != base]
    root = Path(out) / "runs" / (base.preset if base.preset.startswith("cnn_lstm_") else "")
    return root / base.protocol / (",".join(shown) if changed else "baseline")


def cache_has_faces(cache_path):
    """Whether the cache holds whole-face canvases (``mer prepare --store-face``)."""
    from data_prep.cache import RegionCache

    with RegionCache(cache_path) as cache:
        try:
            cache.face(cache.keys[0], frames=slice(0, 1))
            return True
        except InputError:
            return False


def has_protocol(cache_path, protocol, datasets=None):
    """Whether the cache has samples of ``protocol`` (the demo has both MEGC classes and objective classes)."""
    from data_prep.cache import RegionCache
    from micro_expr.core.items import protocol_items

    with RegionCache(cache_path) as cache:
        try:
            return bool(protocol_items(cache, protocol, datasets))
        except InputError:
            return False


def run_variant(cache, config, folder, folds=None, datasets=None):
    """Train and evaluate one variant (resumes a killed run); returns its scores on the finished folds."""
    from micro_expr.core.runner import run_protocol
    from micro_expr.registry import as_system

    run_protocol(as_system(config), cache, folder, datasets=datasets, fold_selection=folds, merge=False)
    return scores(folder)


def scores(folder, dataset=None):
    """Metrics of the held-out predictions of a run folder's finished folds (all folds: the run's result).

    ``dataset``: only the predictions of that dataset's samples (a "part" of a composite LOSO run).
    """
    from data_prep.labels import protocol_classes
    from micro_expr.core.metrics import evaluate
    from micro_expr.core.run_folder import RunFolder

    run_folder = RunFolder(folder)
    run = run_folder.read()
    done = run_folder.finished_folds()
    predictions = run_folder.predictions(done)
    if dataset is not None:
        predictions = [p for p in predictions if p["dataset"] == dataset]
    classes = protocol_classes(run["config"]["protocol"])
    result = evaluate([p["label"] for p in predictions], [p["predicted"] for p in predictions], len(classes),
                      folds=[p["subject"] for p in predictions], class_names=classes)
    result["accuracy"] = result["accuracy_fold_mean"]  # the papers' accuracy: mean over folds, as the code
    result["folds_done"], result["folds_total"] = len(done), len(run["folds"])
    return result


def run_ablation(ablation, cache, out, preset, overrides, folds=None, datasets=None, has_faces=True):
    """Every variant of one table; returns {"protocol", "rows": [{label, value, folder, scores | skipped}]}."""
    from micro_expr.stff.config import override

    protocol = ablation.protocol
    note = None
    if not has_protocol(cache, protocol, datasets):
        note = f"the cache has no {protocol} samples; run with the MEGC protocol instead"
        protocol = "megc"
    base = base_config(preset, protocol, overrides)
    rows = []
    for label, value in ablation.variants:
        row = {"label": label, "value": value}
        if value == "whole_face" and not has_faces:
            row["skipped"] = ("the cache holds no whole-face canvases (prepare it with `mer prepare --store-face`; "
                              "the demo prepares regions only)")
        else:
            changes = ablation.changes(value)
            folder = variant_folder(out, base, ablation.key, value, changes)
            print(f"[{ablation.name}] {label}: {folder}", flush=True)
            started = time.perf_counter()
            row.update(folder=str(folder), scores=run_variant(cache, override(base, **changes), folder,
                                                             folds, datasets))
            row["seconds"] = round(time.perf_counter() - started, 1)
        rows.append(row)
    return {"name": ablation.name, "protocol": protocol, "note": note, "rows": rows}


# --- the tables -----------------------------------------------------------------------------

def _cell(value, digits=3):
    return "-" if value is None else f"{value:.{digits}f}"


def table_markdown(ablation, result, context):
    """One Markdown table shaped like the paper's: a row per variant, each metric 'ours (paper)'."""
    headers = [METRIC_NAMES[m] for m in ablation.metrics]
    lines = [f"## {ablation.source}: {ablation.caption}", "",
             f"Each cell: **ours** (paper). Ours: {context}, protocol {result['protocol']}; "
             f"each row sets `{ablation.key}` to its own value.", ""]
    if result["note"]:
        lines += [f"Note: {result['note']}.", ""]
    lines += ["| variant | " + " | ".join(headers) + " | folds | samples |",
              "|---|" + "---|" * (len(headers) + 2)]
    notes = []
    for row in result["rows"]:
        paper = ablation.paper.get(row["label"], (None,) * len(ablation.metrics))
        if "skipped" in row:
            ours = ["not run"] * len(headers)
            folds = samples = "-"
            notes.append(f"{row['label']}: not run: {row['skipped']}.")
        else:
            s = row["scores"]
            ours = [f"**{_cell(s[m])}**" for m in ablation.metrics]
            folds, samples = f"{s['folds_done']}/{s['folds_total']}", str(s["n_samples"])
        cells = [f"{o} ({_cell(p, 4 if ablation.name == 'table3' else 2)})" for o, p in zip(ours, paper)]
        lines.append(f"| {row['label']} | " + " | ".join(cells) + f" | {folds} | {samples} |")
    lines += [""] + [f"- {n}" for n in notes]
    return "\n".join(lines) + "\n"


def report_markdown(ablations, results, context, quick):
    lines = ["# Ablations of STFF: the papers' tables rerun", "",
             "**Our figures come from the data actually used here** "
             + ("(the bundled quick demo: 8 people, 48 clips of synthetic micro-movements on real faces, "
                "a tiny training schedule and only some LOSO folds) " if quick else "")
             + "and are not comparable with the papers' figures, measured on SMIC, CASME II and SAMM. "
             "Accuracy is the mean of per-fold accuracies (as the authors' code); UF1 and UAR come from the "
             "confusion matrix pooled over the folds run; F1-score is the class-weighted F1.", ""]
    for ablation, result in zip(ablations, results):
        lines.append(table_markdown(ablation, result, context))
    return "\n".join(lines)


def prepare_quick_cache(out):
    """The quick demo dataset (built once, cached) prepared into ``out/cache.h5``."""
    from data_prep.datasets import read_casme2
    from data_prep.demo.build import build_demo_dataset
    from data_prep.prepare import prepare_samples
    from micro_expr.demo import demo_data_folder, demo_prep_config

    dataset = build_demo_dataset(demo_data_folder(), seed=0, size="quick")
    samples, failures = read_casme2(dataset.root, dataset.coding_sheet)
    cache = Path(out) / "cache.h5"
    # The demo's settings: whole-face canvases too, for the "whole face" row of Aouayeb et al. 2021 Table 5.
    summary = prepare_samples(samples, cache, demo_prep_config(), failures, workers=2, progress=False)
    if summary.failures:
        raise InputError(f"{dataset.root}: {len(summary.failures)} demo samples could not be prepared")
    return cache


def run_ablations(out, cache=None, only=None, preset="strict", overrides=None, folds=None, datasets=None,
                  quick=False):
    """Run the chosen ablations and write ablations.md / ablations.json; returns the results."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    ablations = chosen_ablations(only)
    if quick:
        cache = cache or prepare_quick_cache(out)
        overrides = {**QUICK_SCHEDULE, **(overrides or {})}
        folds = folds or QUICK_FOLDS
    if cache is None:
        raise InputError("--cache is required without --quick")
    overrides = overrides or {}
    has_faces = cache_has_faces(cache)
    started = time.perf_counter()
    results = [run_ablation(a, cache, out, preset, overrides, folds, datasets, has_faces) for a in ablations]
    schedule = ", ".join(f"{k}={v}" for k, v in overrides.items()) or "the preset's"
    context = (f"cache `{cache}`, preset {preset}, schedule {schedule}, folds {folds or 'all'}")
    (out / "ablations.md").write_text(report_markdown(ablations, results, context, quick))
    (out / "ablations.json").write_text(json.dumps({
        "cache": str(cache), "preset": preset, "overrides": overrides, "folds": folds, "quick": quick,
        "seconds": round(time.perf_counter() - started, 1),
        "results": [{**r, "paper": {k: list(v) for k, v in a.paper.items()}, "source": a.source,
                     "metrics": list(a.metrics)} for a, r in zip(ablations, results)]}, indent=2, default=_plain))
    return results


def _plain(value):
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    raise TypeError(f"not JSON-able: {type(value)}")


def main(argv=None):
    from micro_expr.cli import run_command
    from micro_expr.commands.train import overrides_from_set
    from micro_expr.stff.config import CNN_LSTM_PREFIX, CNN_LSTM_PRESETS, DEFAULT_PRESET, PRESETS

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache", help="prepared cache (mer prepare); --quick prepares the quick demo if omitted")
    parser.add_argument("--out", required=True, help="folder for the runs and the tables")
    parser.add_argument("--quick", action="store_true",
                        help=f"quick demo, tiny schedule {QUICK_SCHEDULE}, folds {QUICK_FOLDS}")
    parser.add_argument("--only", help=f"comma-separated: {', '.join(ABLATIONS)} (aliases: regions, loss)")
    parser.add_argument("--preset", choices=PRESETS + tuple(CNN_LSTM_PREFIX + p for p in CNN_LSTM_PRESETS),
                        default=DEFAULT_PRESET, help="STFF preset, or the predecessor's (cnn_lstm_paper, ...)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="schedule or other base override for every variant (repeatable)")
    parser.add_argument("--folds", help='LOSO folds to run, e.g. "0-9" (default: all; --quick: ' + QUICK_FOLDS + ')')
    parser.add_argument("--datasets", help="LOSO over these datasets only, e.g. casme2,samm")

    def command(args):
        datasets = [d.strip() for d in args.datasets.split(",")] if args.datasets else None
        started = time.perf_counter()
        run_ablations(args.out, args.cache, args.only, args.preset, overrides_from_set(args.set), args.folds,
                      datasets, args.quick)
        print(f"tables: {Path(args.out) / 'ablations.md'} ({time.perf_counter() - started:.0f} s)")
        return 0

    return run_command(command, parser.parse_args(argv), "ablations")


if __name__ == "__main__":
    sys.exit(main())
