"""The tables of the predecessor CNN-LSTM (Aouayeb et al. 2021) rerun on a prepared cache, the paper's figures beside ours.

This is the one page of that paper's Tables 5-7 and 10-13; every row runs the
predecessor (system ``cnn_lstm``). (``experiments/ablations.py`` is STFF's
tables; ``experiments/cross_dataset.py --table 12`` runs this script's table12.)

    python experiments/predecessor_tables.py --quick --out runs/predecessor_quick     # demo cache, tiny schedule
    python experiments/predecessor_tables.py --cache full.h5 --out runs/predecessor   # real data, the preset's schedule
    python experiments/predecessor_tables.py --cache full.h5 --out runs/predecessor --only table10,table12

Tables (Aouayeb et al. 2021):

    table5        regions: whole face / no cheeks / no nose / all regions (MEGC FULL, LOSO)
    table6        CNN: the classic CNN of Figure 10 vs the proposed shallow inception CNN (MEGC FULL, LOSO)
    table7        loss: cross-entropy vs focal with alpha = 1/2, gamma = 2 (MEGC FULL, LOSO)
    table10       LOSO, MEGC: FULL and its SMIC, CASME II, SAMM parts (UF1, UAR; Table 8's "our" row is the same)
    table11       LOSO, 5 objective classes: CASME II + SAMM and its parts (UF1 / F1-score, accuracy; = Table 9's row)
    table12       cross-dataset, MEGC: train on one or two datasets, test on another (accuracy, F1-score)
    table13       cross-dataset, 5 objective classes: CASME II <-> SAMM

Tables 5-7 are ablations (experiments/ablations.py: one override per row, run
folders shared); their focal row and the LOSO runs of Tables 10-11 are the
same baseline run of the preset. The parts of Tables 10-11 are the predictions
of the composite LOSO run restricted to one dataset's samples, as MEGC 2019
scores its parts. Cross-dataset runs with the preset's 'frame50' spatial split
train the CNNs on training-dataset frames only (micro_expr/stff/splits.py).

Rows whose datasets the cache lacks are listed as not run, with the reason
(the quick demo is one CASME II-like dataset: it has no SMIC or SAMM part and
no cross-dataset pair). Our figures come from the data actually used and are
not comparable with the paper's.
"""
import argparse
import json
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable, as ``python -m`` would
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from data_prep.errors import InputError  # noqa: E402
from experiments import ablations  # noqa: E402
from experiments.ablations import Ablation  # noqa: E402

DEFAULT_PRESET = "cnn_lstm_strict"
DATASET_NAMES = {"smic": "SMIC", "casme2": "CASME II", "samm": "SAMM"}

# Aouayeb et al. 2021 Tables 5-7: ablations of the predecessor, with the paper's figures.
ABLATION_TABLES = {
    "table5": Ablation(
        "table5", "Aouayeb et al. 2021 Table 5", "Regions used (MEGC FULL, LOSO)", "megc", "regions",
        (("whole face", "whole_face"), ("no cheeks", "no_cheeks"), ("no nose", "no_nose"), ("all regions", "all")),
        ("accuracy", "uar", "uf1"),
        {"whole face": (0.85, 0.84, 0.84), "no cheeks": (0.89, 0.84, 0.84), "no nose": (0.91, 0.84, 0.85),
         "all regions": (0.92, 0.89, 0.89)}),
    "table6": Ablation(
        "table6", "Aouayeb et al. 2021 Table 6", "CNN of the spatial models (MEGC FULL, LOSO)", "megc", "spatial.encoder",
        (("Simple CNN (Figure 10)", "classic"), ("proposed model", "inception")),
        ("accuracy", "uar", "uf1"),
        {"Simple CNN (Figure 10)": (0.85, 0.79, 0.79), "proposed model": (0.92, 0.89, 0.89)}),
    "table7": Ablation(
        "table7", "Aouayeb et al. 2021 Table 7", "Loss of both stages (MEGC FULL, LOSO)", "megc", "loss",
        (("CE", "cross_entropy"), ("Focal loss (alpha = 1/2, gamma = 2)", "focal")),
        ("accuracy", "uar", "uf1"),
        {"CE": (0.91, 0.87, 0.87), "Focal loss (alpha = 1/2, gamma = 2)": (0.92, 0.89, 0.89)}),
}

# Aouayeb et al. 2021 Tables 10-11: one LOSO run, scored on the composite and on each dataset part (None = all samples).
PART_TABLES = {
    "table10": {"source": "Aouayeb et al. 2021 Table 10 (and Table 8's row)", "protocol": "megc",
                "caption": "LOSO under the MEGC 2019 conditions", "metrics": ("uf1", "uar"),
                "rows": (("FULL", None, (0.90, 0.90)), ("SMIC part", "smic", (0.88, 0.88)),
                         ("CASME II part", "casme2", (0.98, 0.98)), ("SAMM part", "samm", (0.78, 0.81)))},
    "table11": {"source": "Aouayeb et al. 2021 Table 11 (and Table 9's row)", "protocol": "au5",
                "caption": "LOSO, 5 classes based on AUs", "metrics": ("uf1", "accuracy"),
                "rows": (("CASME II + SAMM", None, (0.83, 0.86)), ("CASME II part", "casme2", (0.84, 0.88)),
                         ("SAMM part", "samm", (0.82, 0.79)))},
}

# Aouayeb et al. 2021 Tables 12-13: cross-dataset runs, (train datasets, test dataset, paper accuracy, paper F1-score).
CROSS_TABLES = {
    "table12": {"source": "Aouayeb et al. 2021 Table 12", "protocol": "megc",
                "caption": "Cross-dataset under the MEGC 2019 conditions",
                "rows": ((("casme2", "smic"), "samm", (0.89, 0.83)), (("casme2", "samm"), "smic", (0.75, 0.75)),
                         (("smic", "samm"), "casme2", (0.92, 0.91)), (("casme2",), "smic", (0.70, 0.71)),
                         (("casme2",), "samm", (0.87, 0.79)), (("smic",), "casme2", (0.75, 0.79)),
                         (("smic",), "samm", (0.79, 0.75)), (("samm",), "casme2", (0.90, 0.88)),
                         (("samm",), "smic", (0.75, 0.76)))},
    "table13": {"source": "Aouayeb et al. 2021 Table 13", "protocol": "au5",
                "caption": "Cross-dataset, 5 classes based on AUs",
                "rows": ((("casme2",), "samm", (0.75, 0.59)), (("samm",), "casme2", (0.82, 0.69)))},
}
CROSS_METRICS = ("accuracy", "weighted_f1")  # the paper's "F1-score": the authors' code's class-weighted F1
TABLES = (*ABLATION_TABLES, *PART_TABLES, *CROSS_TABLES)


def chosen_tables(only):
    if not only:
        return list(TABLES)
    names = [n.strip() for n in only.split(",") if n.strip()]
    unknown = [n for n in names if n not in TABLES]
    if unknown:
        raise InputError(f"--only: unknown table(s) {unknown}; choose from {', '.join(TABLES)}")
    return names


def cache_datasets(cache_path, protocol):
    """The datasets that have samples of ``protocol`` in the cache."""
    return {d for d in DATASET_NAMES if ablations.has_protocol(cache_path, protocol, [d])}


def _cell(value, digits=3):
    return "-" if value is None else f"{value:.{digits}f}"


def _table(title, context, headers, lines, notes):
    out = [f"## {title}", "", f"Each cell: **ours** (paper). Ours: {context}.", "",
           "| " + " | ".join(headers) + " |", "|---" * len(headers) + "|", *lines, ""]
    return "\n".join(out + [f"- {n}" for n in notes]) + "\n"


def run_part_table(name, cache, out, preset, overrides, folds, present, note=None):
    """Aouayeb et al. 2021 Table 10 or 11: the preset's baseline LOSO run, scored on the composite and on each part."""
    spec = PART_TABLES[name]
    base = ablations.base_config(preset, spec["protocol"], overrides)
    wanted = [d for d in DATASET_NAMES if d in present]
    rows = []
    if not wanted:
        return {"name": name, "rows": [{"label": label, "skipped": f"the cache has no {spec['protocol']} samples"}
                                       for label, _, _ in spec["rows"]]}
    folder = ablations.variant_folder(out, base, "loss", base.loss)  # the baseline run, shared with Aouayeb et al. 2021 Tables 5-7
    print(f"[{name}] LOSO {spec['protocol']} on {', '.join(wanted)}: {folder}", flush=True)
    ablations.run_variant(cache, base, folder, folds, None, note)
    for label, dataset, _ in spec["rows"]:
        if dataset is not None and dataset not in present:
            rows.append({"label": label, "skipped": f"the cache has no {DATASET_NAMES[dataset]} samples"})
        else:
            rows.append({"label": label, "folder": str(folder), "scores": ablations.scores(folder, dataset)})
    return {"name": name, "rows": rows}


def run_cross_table(name, cache, out, preset, overrides, present, note=None):
    """Aouayeb et al. 2021 Table 12 or 13: one cross-dataset run per row (train datasets -> test dataset)."""
    from micro_expr.core.runner import run_protocol
    from micro_expr.registry import as_system

    spec = CROSS_TABLES[name]
    base = ablations.base_config(preset, spec["protocol"], overrides)
    rows = []
    for train, test, _ in spec["rows"]:
        label = f"{' & '.join(DATASET_NAMES[d] for d in train)} -> {DATASET_NAMES[test]}"
        missing = [DATASET_NAMES[d] for d in (*train, test) if d not in present]
        if missing:
            rows.append({"label": label, "skipped": f"the cache has no {' or '.join(missing)} samples"})
            continue
        folder = Path(out) / "runs" / base.preset / base.protocol / "cross" / f"{'+'.join(train)}_to_{test}"
        print(f"[{name}] {label}: {folder}", flush=True)
        run_protocol(as_system(base), cache, folder, folds_kind="cross", train_datasets=list(train), test_dataset=test,
                     merge=False, note=note)
        rows.append({"label": label, "folder": str(folder), "scores": ablations.scores(folder)})
    return {"name": name, "rows": rows}


def result_markdown(name, result, context):
    """The Markdown table of one result, shaped like the paper's."""
    if name in ABLATION_TABLES:
        return ablations.table_markdown(ABLATION_TABLES[name], result, context)
    if name in PART_TABLES:
        spec, metrics = PART_TABLES[name], PART_TABLES[name]["metrics"]
        paper = {label: figures for label, _, figures in spec["rows"]}
        headers = ["dataset", *(ablations.METRIC_NAMES[m] for m in metrics), "samples"]
    else:
        spec, metrics = CROSS_TABLES[name], CROSS_METRICS
        paper = {f"{' & '.join(DATASET_NAMES[d] for d in train)} -> {DATASET_NAMES[test]}": figures
                 for train, test, figures in spec["rows"]}
        headers = ["train -> test", "Accuracy", "F1-score", "samples"]
    lines, notes = [], []
    for row in result["rows"]:
        figures = paper[row["label"]]
        if "skipped" in row:
            ours, samples = ["not run"] * len(metrics), "-"
            notes.append(f"{row['label']}: not run: {row['skipped']}.")
        else:
            ours, samples = [f"**{_cell(row['scores'][m])}**" for m in metrics], str(row["scores"]["n_samples"])
        cells = [f"{o} ({_cell(p, 2)})" for o, p in zip(ours, figures)]
        lines.append(f"| {row['label']} | " + " | ".join(cells) + f" | {samples} |")
    return _table(f"{spec['source']}: {spec['caption']}", f"{context}, protocol {spec['protocol']}",
                  headers, lines, notes)


def run_tables(out, cache=None, only=None, preset=DEFAULT_PRESET, overrides=None, folds=None, quick=False):
    """Run the chosen tables; write predecessor_tables.md / .json to ``out``; returns {table: result}."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    names = chosen_tables(only)
    if quick:
        cache = cache or ablations.prepare_quick_cache(out)
        overrides = {**ablations.QUICK_SCHEDULE, **(overrides or {})}
        folds = folds or ablations.QUICK_FOLDS
    if cache is None:
        raise InputError("--cache is required without --quick")
    overrides = overrides or {}
    has_faces = ablations.cache_has_faces(cache)
    present = {protocol: cache_datasets(cache, protocol) for protocol in ("megc", "au5")}
    started = time.perf_counter()
    results = {}
    note = ablations.DEMO_NOTE if quick else None
    for name in names:
        if name in ABLATION_TABLES:
            results[name] = ablations.run_ablation(ABLATION_TABLES[name], cache, out, preset, overrides, folds,
                                                   None, has_faces, note)
        elif name in PART_TABLES:
            results[name] = run_part_table(name, cache, out, preset, overrides, folds,
                                           present[PART_TABLES[name]["protocol"]], note)
        else:
            results[name] = run_cross_table(name, cache, out, preset, overrides,
                                            present[CROSS_TABLES[name]["protocol"]], note)
    schedule = ", ".join(f"{k}={v}" for k, v in overrides.items()) or "the preset's"
    seed = ablations.base_config(preset, "megc", overrides).seed
    context = f"cache `{cache}`, preset {preset}, schedule {schedule}, LOSO folds {folds or 'all'}, one seed ({seed})"
    header = ["# The predecessor CNN-LSTM (Aouayeb et al. 2021): the paper's tables rerun", "",
              "**Our figures come from the data actually used here** "
              + ("(the bundled quick demo: 8 people, 48 clips of synthetic micro-movements on real faces, one "
                 "CASME II-like dataset, a tiny training schedule and only some LOSO folds) " if quick else "")
              + "and are not comparable with the paper's figures, measured on SMIC, CASME II and SAMM. "
              "Accuracy is the mean of per-fold accuracies; UF1 and UAR come from the confusion matrix pooled "
              "over the folds run; F1-score is the class-weighted F1.", ""]
    text = "\n".join(header + [result_markdown(n, results[n], context) for n in names])
    (out / "predecessor_tables.md").write_text(text)
    (out / "predecessor_tables.json").write_text(json.dumps({
        "cache": str(cache), "preset": preset, "system": "cnn_lstm", "overrides": overrides, "folds": folds,
        "quick": quick, "data": "synthetic demo" if quick else str(cache), "seeds": [seed],
        "seconds": round(time.perf_counter() - started, 1), "results": results}, indent=2, default=ablations._plain))
    return results


def main(argv=None):
    from micro_expr.cli import run_command
    from micro_expr.commands.train import overrides_from_set
    from micro_expr.stff.config import CNN_LSTM_PREFIX, CNN_LSTM_PRESETS

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache", help="prepared cache (mer prepare); --quick prepares the quick demo if omitted")
    parser.add_argument("--out", required=True, help="folder for the runs and the tables")
    parser.add_argument("--quick", action="store_true",
                        help=f"quick demo, tiny schedule {ablations.QUICK_SCHEDULE}, folds {ablations.QUICK_FOLDS}")
    parser.add_argument("--only", help=f"comma-separated: {', '.join(TABLES)}")
    parser.add_argument("--preset", choices=tuple(CNN_LSTM_PREFIX + p for p in CNN_LSTM_PRESETS),
                        default=DEFAULT_PRESET, help=f"the predecessor's preset (default {DEFAULT_PRESET})")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="schedule or other override for every run (repeatable)")
    parser.add_argument("--folds", help='LOSO folds to run, e.g. "0-9" (default: all; --quick: '
                        + ablations.QUICK_FOLDS + ")")

    def command(args):
        started = time.perf_counter()
        run_tables(args.out, args.cache, args.only, args.preset, overrides_from_set(args.set), args.folds,
                   args.quick)
        print(f"tables: {Path(args.out) / 'predecessor_tables.md'} ({time.perf_counter() - started:.0f} s)")
        return 0

    return run_command(command, parser.parse_args(argv), "predecessor_tables")


if __name__ == "__main__":
    sys.exit(main())
