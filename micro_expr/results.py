"""results.json and results.md of a run: every metric, labelled, with the configuration and versions."""
import json
import platform
import time
from pathlib import Path

import numpy as np

from data_prep.labels import protocol_classes
from micro_expr.metrics import per_dataset_breakdown

DEMO_NOTE = ("Scores on the bundled demo (synthetic micro-movements on real faces) show that the pipeline "
             "learns region-local temporal change; they say nothing about CASME II, SAMM or SMIC.")


def versions():
    import keras
    import tensorflow as tf

    import micro_expr

    return {"micro_expr": micro_expr.__version__, "python": platform.python_version(),
            "tensorflow": tf.__version__, "keras": keras.__version__, "numpy": np.__version__}


def write_results(out, run, predictions, histories, seconds, note=None):
    """Compute the metrics of the merged predictions and write results.json, results.md and figures."""
    from micro_expr.plots import plot_confusion, plot_training_curves

    out = Path(out)
    config = run["config"]
    classes = list(protocol_classes(config["protocol"]))
    y_true = [p["label"] for p in predictions]
    y_pred = [p["predicted"] for p in predictions]
    metrics = per_dataset_breakdown(y_true, y_pred, [p["dataset"] for p in predictions], len(classes),
                                    folds=[p["subject"] for p in predictions], class_names=classes)
    results = {
        "protocol": config["protocol"], "preset": config["preset"], "folds_kind": run["folds_kind"],
        "n_samples": len(predictions), "n_folds": len(run["folds"]), "classes": classes,
        "accuracy": metrics["FULL"]["accuracy_pooled"], "uf1": metrics["FULL"]["uf1"], "uar": metrics["FULL"]["uar"],
        "metrics": metrics, "config": config, "seed": config["seed"], "versions": versions(),
        "timings": {"fold_seconds_total": seconds}, "written": time.strftime("%Y-%m-%d %H:%M:%S"),
        "cache": run["cache"],
    }
    if note:
        results["note"] = note
    (out / "results.json").write_text(json.dumps(results, indent=2))
    (out / "results.md").write_text(results_markdown(results))
    plot_confusion(metrics["FULL"]["confusion_matrix"], classes, out / "confusion_matrix.png",
                   title=f"{config['protocol']} {run['folds_kind']}, preset {config['preset']}")
    plot_training_curves(histories, out / "training_curves.png")
    return results


def _fmt(value):
    return "-" if value is None else f"{value:.4f}"


def results_markdown(results):
    """A table shaped like STFF Table 7 / Aouayeb et al. 2021 Table 10 (per dataset part and FULL)."""
    lines = [f"# {results['protocol']} ({results['folds_kind']}), preset `{results['preset']}`", ""]
    if results.get("note"):
        lines += [f"> {results['note']}", ""]
    lines += ["| data | samples | UF1 | UAR | accuracy (pooled) | accuracy (mean of folds, as the code) "
              "| weighted F1 |", "|---|---|---|---|---|---|---|"]
    for part, m in results["metrics"].items():
        lines.append(f"| {part} | {sum(m['support'])} | {_fmt(m['uf1'])} | {_fmt(m['uar'])} | "
                     f"{_fmt(m['accuracy_pooled'])} | {_fmt(m['accuracy_fold_mean'])} | {_fmt(m['weighted_f1'])} |")
    full = results["metrics"]["FULL"]
    lines += ["", "Per-class F1 and recall (FULL):", "", "| class | F1 | recall | support |", "|---|---|---|---|"]
    for name, f1, recall, support in zip(results["classes"], full["per_class_f1"], full["per_class_recall"],
                                         full["support"]):
        lines.append(f"| {name} | {_fmt(f1)} | {_fmt(recall)} | {support} |")
    lines += ["", "UF1 and UAR come from the confusion matrix summed over all folds (STFF Eq. 10-11).",
              f"Folds: {results['n_folds']}; seed {results['seed']}; "
              f"TensorFlow {results['versions']['tensorflow']}, Keras {results['versions']['keras']}."]
    return "\n".join(lines) + "\n"
