"""results.json and results.md of a classification run: every metric, labelled, with configuration and versions."""
import platform
import re
import time
from pathlib import Path

from micro_expr.core.metrics import per_dataset_breakdown

DEMO_NOTE = ("Scores on the bundled demo (synthetic micro-movements on real faces) show that the pipeline "
             "learns region-local temporal change; they say nothing about CASME II, SAMM or SMIC.")


# Every installed distribution whose version can change a result (TV-L1 of OpenCV 5 differs from 4.x, say).
RESULT_PACKAGES = ("tensorflow", "keras", "numpy", "opencv-contrib-python-headless", "dlib-bin", "h5py",
                   "scikit-learn", "scipy", "pandas", "face-recognition-models", "jax", "torch")


def versions():
    """Python, the Keras backend and every result-changing package's version (None: not installed), and the
    project's own version and git commit (run.json and results.json record it, so two runs can be told apart)."""
    from importlib import metadata

    import keras

    import micro_expr

    from micro_expr.core import backends

    found = {"micro_expr": micro_expr.__version__, "git_commit": micro_expr.git_commit(),
             "python": platform.python_version(), "keras_backend": keras.backend.backend(),
             "device": backends.device(), "stff_training_path": backends.training_path()}
    for name in RESULT_PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


FOLDS_IN_WORDS = {"loso": "leave-one-subject-out", "cross": "cross-dataset"}
PROTOCOLS_IN_WORDS = {"megc": "MEGC 2019 3 classes", "au5": "5 objective classes (AUs)"}


def short_citation(citation):
    """'Aouayeb, Soladie, ..., "Title", Journal, 2022' -> 'Aouayeb et al. 2022' (first author, last year)."""
    if not citation:
        return None
    authors = [name.strip() for name in citation.split('"')[0].split(",") if name.strip()]
    years = re.findall(r"\b(?:19|20)\d\d\b", citation)
    return authors[0] + (" et al." if len(authors) > 1 else "") + (f" {years[-1]}" if years else "")


def run_title(label, citation, run, note=None):
    """A figure title in words: 'STFF (Aouayeb et al. 2022), preset strict, MEGC 2019 3 classes,
    leave-one-subject-out, synthetic demo data' (the demo's runs carry :data:`DEMO_NOTE`)."""
    config = run.get("config", {})
    cited = short_citation(citation)
    parts = [f"{label} ({cited})" if cited else label, f"preset {config.get('preset')}"]
    if config.get("protocol") in PROTOCOLS_IN_WORDS:
        parts.append(PROTOCOLS_IN_WORDS[config["protocol"]])
    parts.append(FOLDS_IN_WORDS.get(run.get("folds_kind"), run.get("folds_kind") or ""))
    parts.append("synthetic demo data" if note and DEMO_NOTE in note else f"data {data_name(run.get('cache'))}")
    if run.get("partial"):
        parts.append(f"partial: {run['partial']}")
    return ", ".join(part for part in parts if part)


def data_name(cache):
    """The data of a run in a title: the cache's file name, with its folder when the name alone says nothing
    ('casme2_demo-quick-seed0/cache.h5', not 'cache.h5')."""
    path = Path(str(cache))
    return f"{path.parent.name}/{path.name}" if path.stem == "cache" and path.parent.name else path.name


def classification_results(run, predictions, histories, seconds, note, classes, stages=("spatial", "temporal"),
                           label=None):
    """(results dict, Markdown, figures) of merged classification predictions (UF1, UAR, accuracy per part);
    ``label``: the system's name in the figures' titles (default: its registry name)."""
    from micro_expr.core.plots import plot_confusion, plot_training_curves

    config = run["config"]
    y_true = [p["label"] for p in predictions]
    y_pred = [p["predicted"] for p in predictions]
    metrics = per_dataset_breakdown(y_true, y_pred, [p["dataset"] for p in predictions], len(classes),
                                    folds=[p["subject"] for p in predictions], class_names=list(classes))
    results = {
        "system": run.get("system", "stff"), "citation": run.get("citation"),
        "protocol": config.get("protocol"), "preset": config.get("preset"), "folds_kind": run["folds_kind"],
        "n_samples": len(predictions), "n_folds": len(run["folds"]), "classes": list(classes),
        "chance_uar": 1 / len(classes),
        "accuracy": metrics["FULL"]["accuracy_pooled"], "uf1": metrics["FULL"]["uf1"], "uar": metrics["FULL"]["uar"],
        "metrics": metrics, "config": config, "seed": config.get("seed"), "versions": versions(),
        "timings": {"fold_seconds_total": seconds}, "written": time.strftime("%Y-%m-%d %H:%M:%S"),
        "cache": run["cache"],
    }
    if note:
        results["note"] = note
    title = run_title(label or results["system"], results["citation"], run, note)
    wrapped = title.replace("), ", "),\n", 1).replace(", leave", ",\nleave", 1).replace(", cross", ",\ncross", 1)
    figures = {"confusion_matrix": plot_confusion(metrics["FULL"]["confusion_matrix"], list(classes), title=wrapped),
               "training_curves": plot_training_curves(histories, stages, title=title)}
    return results, results_markdown(results), figures


def _fmt(value):
    return "-" if value is None else f"{value:.4f}"


def results_markdown(results):
    """A table shaped like STFF Table 7 / Aouayeb et al. 2021 Table 10 (per dataset part and FULL)."""
    k = len(results["classes"])
    lines = [f"# {results.get('system', 'stff')}: {results['protocol']} ({results['folds_kind']}), "
             f"preset `{results['preset']}`", ""]
    if results.get("citation"):
        lines += [f"System: {results['citation']}.", ""]
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
    lines += ["",
              "UF1 (unweighted F1) is the mean of the per-class F1 scores; UAR (unweighted average recall) is the "
              "mean of the per-class recalls; both come from the confusion matrix summed over all folds "
              "(STFF Eq. 10-11), so every class counts the same however rare it is.",
              f"Chance level: UAR {1 / k:.4f} (1 / {k} classes) for any classifier that ignores the input; "
              "accuracy by always answering the largest class: "
              f"{max(full['support']) / max(1, sum(full['support'])):.4f}.",
              f"Folds: {results['n_folds']}; seed {results['seed']}; "
              f"TensorFlow {results['versions']['tensorflow']}, Keras {results['versions']['keras']} "
              f"(backend {results['versions'].get('keras_backend')}, device {results['versions'].get('device')})."]
    return "\n".join(lines) + "\n"


def classification_text(results):
    """The headline metrics, per dataset part, and the confusion matrix, as lines of text."""
    lines = [f"{results['protocol']} ({results['folds_kind']}), preset {results['preset']}, "
             f"{results['n_samples']} samples, {results['n_folds']} folds"]
    if results.get("note"):
        lines.append(f"NOTE: {results['note']}")
    for part, m in results["metrics"].items():
        lines.append(f"  {part:8s} UF1 {m['uf1']:.4f}  UAR {m['uar']:.4f}  accuracy {m['accuracy_pooled']:.4f} "
                     f"(mean of folds {m['accuracy_fold_mean']:.4f})")
    classes = results["classes"]
    width = max(len(c) for c in classes) + 2
    lines.append("confusion matrix (rows: true, columns: predicted)")
    lines.append(" " * width + "".join(f"{c:>{width}}" for c in classes))
    for name, row in zip(classes, results["metrics"]["FULL"]["confusion_matrix"]):
        lines.append(f"{name:>{width}}" + "".join(f"{v:>{width}}" for v in row))
    return "\n".join(lines)
