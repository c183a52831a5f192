"""The ablation tables of the STFF papers, rerun on a prepared cache, the paper's figures beside ours.

    python experiments/ablations.py --quick --out runs/ablations_quick            # demo cache, tiny schedule
    python experiments/ablations.py --cache full.h5 --out runs/ablations          # real data, the preset's schedule
    python experiments/ablations.py --cache full.h5 --out runs/ablations --only table3,table5 --folds 0-9

Ablations (each variant is one configuration override of the base run):

    table3        STFF Table 3: patches per region m = 1, 4, 9, 16 (5-AU protocol, as the paper)
    table5        STFF Table 5: SE fusion none / spatial / temporal / both (MEGC)
    table6        STFF Table 6: whole-face labels vs region labels for the spatial models (MEGC)
    table7        STFF Table 7: UAR, UF1 per dataset part, the predecessor against STFF (MEGC)

STFF Table 5's row "Aouayeb et al. (2019)" and Table 7's left column are the
predecessor CNN-LSTM (system ``cnn_lstm``, its preset matching ``--preset``:
strict -> cnn_lstm_strict, paper and original -> cnn_lstm_paper), not STFF
without SE. The predecessor's own tables (Aouayeb et al. 2021 Tables 5-7,
10-13) are experiments/predecessor_tables.py.

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
from micro_expr.core.results import DEMO_NOTE
from micro_expr.demo import SCHEDULES as DEMO_SCHEDULES

# Schedule of --quick: the demo's (micro_expr.demo.SCHEDULES) with m = 1 where m is not ablated and
# one spatial epoch, so that every table runs in minutes on a laptop CPU.
QUICK_SCHEDULE = {"spatial.patches": 1, **DEMO_SCHEDULES["quick"], "spatial.epochs": 1, "spatial.batch_size": 32,
                  "temporal.epochs": 60}
QUICK_FOLDS = "0-3"  # 4 of the 8 LOSO folds of the quick demo: 24 held-out clips per variant
METRIC_NAMES = {"accuracy": "Accuracy", "weighted_f1": "F1-score", "uar": "UAR", "uf1": "UF1"}


PREDECESSOR = "predecessor"   # a row value: the row is a run of the predecessor CNN-LSTM (system cnn_lstm)


def predecessor_preset(preset):
    """The predecessor's preset that matches an STFF preset (the predecessor has no 'original' of its own)."""
    from micro_expr.stff.config import CNN_LSTM_PREFIX

    return preset if preset.startswith(CNN_LSTM_PREFIX) else CNN_LSTM_PREFIX + (
        "strict" if preset == "strict" else "paper")


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
    systems: dict = None  # override value -> "predecessor": the row runs the predecessor CNN-LSTM, not STFF

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
        (("Aouayeb et al. (2019): the predecessor CNN-LSTM", PREDECESSOR), ("Spatial fusion", "spatial"),
         ("Temporal fusion", "temporal"), ("Spatiotemporal fusion", "both")),
        ("uar", "uf1", "accuracy"),
        {"Aouayeb et al. (2019): the predecessor CNN-LSTM": (0.90, 0.90, 0.92), "Spatial fusion": (0.90, 0.93, 0.96),
         "Temporal fusion": (0.90, 0.91, 0.92), "Spatiotemporal fusion": (0.93, 0.94, 0.96)},
        systems={PREDECESSOR: "predecessor"}),
    "table6": Ablation(
        "table6", "STFF Table 6", "Labels the spatial models learn (MEGC, LOSO)", "megc", "region_labels",
        (("Label of the whole face", False), ("Label based on region", True)),
        ("uar", "uf1", "accuracy"),
        {"Label of the whole face": (0.82, 0.82, 0.83), "Label based on region": (0.93, 0.94, 0.96)}),
}


@dataclass(frozen=True)
class PartTable:
    """STFF Table 7: whole LOSO runs scored on each dataset part and on FULL, one column group per run.

    ``columns``: (label, run), a run being :data:`PREDECESSOR` or an STFF ``fusion`` value; ``paper``: part
    label -> figures, column group after column group, each in the order of ``metrics``.
    """

    name: str
    source: str
    caption: str
    protocol: str
    columns: tuple
    metrics: tuple
    parts: tuple          # (row label, dataset, or None for all samples)
    paper: dict


PART_TABLES = {
    "table7": PartTable(
        "table7", "STFF Table 7", "Performance on three classes based MEGC with LOSO-CV", "megc",
        (("Aouayeb et al. (2019): the predecessor CNN-LSTM", PREDECESSOR), ("Spatiotemporal fusion", "both")),
        ("uar", "uf1"),
        (("SMIC", "smic"), ("CASMEII", "casme2"), ("SAMM", "samm"), ("FULL", None)),
        {"SMIC": (0.88, 0.88, 0.91, 0.91), "CASMEII": (0.98, 0.98, 0.98, 0.99), "SAMM": (0.81, 0.78, 0.89, 0.92),
         "FULL": (0.90, 0.90, 0.93, 0.94)}),
}
TABLES = {**ABLATIONS, **PART_TABLES}
# Names of earlier versions: the 2021 journal paper's tables, now run by the predecessor on their own page.
MOVED = {"s001_table5": "table5", "regions": "table5", "s001_table7": "table7", "loss": "table7"}


def chosen_ablations(only):
    """Tables named in ``only`` ("table3,table5"), or all."""
    if not only:
        return list(TABLES.values())
    names = [n.strip() for n in only.split(",") if n.strip()]
    moved = [n for n in names if n in MOVED]
    if moved:
        raise InputError(f"--only {moved[0]}: Aouayeb et al. 2021 Table {MOVED[moved[0]][5:]} is the predecessor's: "
                         f"python experiments/predecessor_tables.py --only {MOVED[moved[0]]}")
    unknown = [n for n in names if n not in TABLES]
    if unknown:
        raise InputError(f"--only: unknown table(s) {unknown}; choose from {sorted(TABLES)}")
    return [TABLES[n] for n in names]


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


def run_variant(cache, config, folder, folds=None, datasets=None, note=None):
    """Train and evaluate one variant (resumes a killed run); returns its scores on the finished folds.

    ``note``: what run.json says about the data (the demo's note with --quick, so pages built on the run,
    e.g. experiments/comparisons.py, say it is the demo)."""
    from micro_expr.core.runner import run_protocol
    from micro_expr.registry import as_system

    run_protocol(as_system(config), cache, folder, datasets=datasets, fold_selection=folds, merge=False, note=note)
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


def row_run(key, value, base, out, preset, overrides, extra=None):
    """(configuration, run folder) of one row: an STFF override of ``base``, or the predecessor's own run.

    The predecessor's run is ``runs/cnn_lstm_<preset>/<protocol>/baseline``, the folder
    experiments/predecessor_tables.py trains for its baseline, so one --out shares it.
    """
    from micro_expr.stff.config import override

    if value == PREDECESSOR:
        config = base_config(predecessor_preset(preset), base.protocol, overrides)
        return config, variant_folder(out, config, "loss", config.loss)
    changes = {key: value, **(extra or {})}
    return override(base, **changes), variant_folder(out, base, key, value, changes)


def run_ablation(ablation, cache, out, preset, overrides, folds=None, datasets=None, has_faces=True, note=None):
    """Every variant of one table; returns {"protocol", "rows": [{label, value, folder, scores | skipped}]}."""
    if isinstance(ablation, PartTable):
        return run_part_table(ablation, cache, out, preset, overrides, folds, datasets, note)
    protocol = ablation.protocol
    protocol_note = None   # the table's note; ``note`` (the data's, e.g. the demo's) goes to every run.json
    if not has_protocol(cache, protocol, datasets):
        protocol_note = f"the cache has no {protocol} samples; run with the MEGC protocol instead"
        protocol = "megc"
    base = base_config(preset, protocol, overrides)
    rows = []
    for label, value in ablation.variants:
        row = {"label": label, "value": value}
        if value == "whole_face" and not has_faces:
            row["skipped"] = ("the cache holds no whole-face canvases (prepare it with `mer prepare --store-face`; "
                              "the demo prepares regions only)")
        else:
            config, folder = row_run(ablation.key, value, base, out, preset, overrides,
                                     (ablation.extra or {}).get(value))
            row["system"] = "cnn_lstm" if value == PREDECESSOR else "stff"
            print(f"[{ablation.name}] {label}: {folder}", flush=True)
            started = time.perf_counter()
            row.update(folder=str(folder), scores=run_variant(cache, config, folder, folds, datasets, note))
            row["seconds"] = round(time.perf_counter() - started, 1)
        rows.append(row)
    return {"name": ablation.name, "protocol": protocol, "note": protocol_note, "rows": rows}


def run_part_table(table, cache, out, preset, overrides, folds=None, datasets=None, note=None):
    """STFF Table 7: each column's LOSO run (shared with Table 5's rows), scored on every dataset part present."""
    base = base_config(preset, table.protocol, overrides)
    columns = []
    for label, value in table.columns:
        config, folder = row_run("fusion", value, base, out, preset, overrides)
        print(f"[{table.name}] {label}: {folder}", flush=True)
        run_variant(cache, config, folder, folds, datasets, note)
        columns.append({"label": label, "system": "cnn_lstm" if value == PREDECESSOR else "stff",
                        "folder": str(folder)})
    rows = []
    for label, dataset in table.parts:
        if dataset is not None and not has_protocol(cache, table.protocol, [dataset]):
            rows.append({"label": label, "skipped": f"the cache has no {label} samples"})
        else:
            rows.append({"label": label, "scores": [scores(c["folder"], dataset) for c in columns]})
    return {"name": table.name, "protocol": table.protocol, "note": None, "columns": columns, "rows": rows}


# --- the tables -----------------------------------------------------------------------------

def _cell(value, digits=3):
    return "-" if value is None else f"{value:.{digits}f}"


def part_table_markdown(table, result, context):
    """STFF Table 7 shaped like the paper's: a row per dataset part, each column group a run, 'ours (paper)'."""
    headers = [f"{label}: {METRIC_NAMES[m]}" for label, _ in table.columns for m in table.metrics]
    lines = [f"## {table.source}: {table.caption}", "",
             f"Each cell: **ours** (paper). Ours: {context}, protocol {result['protocol']}. Columns: "
             + "; ".join(f"{c['label']} = system `{c['system']}`, run `{c['folder']}`" for c in result["columns"])
             + ".", "", "| data | " + " | ".join(headers) + " | samples |", "|---|" + "---|" * (len(headers) + 1)]
    notes = []
    for row in result["rows"]:
        paper = table.paper[row["label"]]
        if "skipped" in row:
            ours, samples = ["not run"] * len(headers), "-"
            notes.append(f"{row['label']}: not run: {row['skipped']}.")
        else:
            ours = [f"**{_cell(s[m])}**" for s in row["scores"] for m in table.metrics]
            samples = str(row["scores"][0]["n_samples"])
        cells = [f"{o} ({_cell(p, 2)})" for o, p in zip(ours, paper)]
        lines.append(f"| {row['label']} | " + " | ".join(cells) + f" | {samples} |")
    return "\n".join(lines + [""] + [f"- {n}" for n in notes]) + "\n"


def table_markdown(ablation, result, context):
    """One Markdown table shaped like the paper's: a row per variant, each metric 'ours (paper)'."""
    if isinstance(ablation, PartTable):
        return part_table_markdown(ablation, result, context)
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
            if row.get("system") == "cnn_lstm":
                notes.append(f"{row['label']}: system `cnn_lstm` (the predecessor's own run, `{row['folder']}`), "
                             f"not STFF without SE.")
            folds, samples = f"{s['folds_done']}/{s['folds_total']}", str(s["n_samples"])
        cells = [f"{o} ({_cell(p, 4 if ablation.name == 'table3' else 2)})" for o, p in zip(ours, paper)]
        lines.append(f"| {row['label']} | " + " | ".join(cells) + f" | {folds} | {samples} |")
    lines += [""] + [f"- {n}" for n in notes]
    return "\n".join(lines) + "\n"


def report_markdown(ablations, results, context, quick):
    lines = ["# STFF (Aouayeb et al. 2022): Tables 3, 5, 6 and 7 rerun", "",
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
    summary = prepare_samples(samples, cache, demo_prep_config(store_face=True), failures, workers=2, progress=False)
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
    note = DEMO_NOTE if quick else None
    results = [run_ablation(a, cache, out, preset, overrides, folds, datasets, has_faces, note) for a in ablations]
    schedule = ", ".join(f"{k}={v}" for k, v in overrides.items()) or "the preset's"
    seed = base_config(preset, "megc", overrides).seed
    context = (f"cache `{cache}`, preset {preset}, schedule {schedule}, folds {folds or 'all'}, one seed ({seed})")
    (out / "ablations.md").write_text(report_markdown(ablations, results, context, quick))
    (out / "ablations.json").write_text(json.dumps({
        "cache": str(cache), "preset": preset, "overrides": overrides, "folds": folds, "quick": quick,
        "seconds": round(time.perf_counter() - started, 1),
        "data": "synthetic demo" if quick else str(cache), "seeds": [seed],
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
    from micro_expr.stff.config import DEFAULT_PRESET, PRESETS

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache", help="prepared cache (mer prepare); --quick prepares the quick demo if omitted")
    parser.add_argument("--out", required=True, help="folder for the runs and the tables")
    parser.add_argument("--quick", action="store_true",
                        help=f"quick demo, tiny schedule {QUICK_SCHEDULE}, folds {QUICK_FOLDS}")
    parser.add_argument("--only", help=f"comma-separated: {', '.join(TABLES)}")
    parser.add_argument("--preset", choices=PRESETS, default=DEFAULT_PRESET,
                        help="STFF preset (the predecessor's rows use its matching preset)")
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
