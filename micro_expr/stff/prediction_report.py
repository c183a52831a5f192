"""The report of one prediction: prediction.json, prediction.md and the attention figures."""
from pathlib import Path

from micro_expr.stff import attention


def write_report(result, out):
    """prediction.json, prediction.md and the attention figures of a :func:`predict` result; returns paths."""
    from micro_expr.core.plots import save_figure
    from micro_expr.core.run_folder import write_json, write_text

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    plain = {key: value for key, value in result.items() if key != "face_canvas"}
    paths = {"json": out / "prediction.json", "markdown": out / "prediction.md"}
    write_json(paths["json"], plain)
    for name, figure in attention_figures(result).items():
        paths[name] = save_figure(figure, out / f"{name}.png", dpi=100)
    figures = {k: Path(v).name for k, v in paths.items() if k not in ("json", "markdown")}
    write_text(paths["markdown"], report_markdown(result, figures))
    return paths


def attention_figures(result):
    """The figures of one prediction: patch heat map, patch weights per frame, region weights, feature change."""
    from micro_expr.stff import plots

    boxes = attention.input_boxes(result["regions"])
    title = f"{Path(result['input']).name}: predicted {result['predicted']}"
    figures = {}
    if result["spatial_attention"]:
        weights = [result["spatial_attention"][name]["mean"] for name in result["regions"]]
        figures["patch_attention"] = plots.plot_patch_attention(
            result["face_canvas"], boxes, weights, title=f"{title}: spatial SE")
        per_frame = [result["spatial_attention"][name]["per_frame"] for name in result["regions"]]
        figures["patch_attention_frames"] = plots.plot_patch_attention_frames(
            result["regions"], per_frame)
    if result["temporal_attention"]:
        per_fold = [f["temporal_attention"] for f in result["per_fold"].values()]
        figures["region_attention"] = plots.plot_region_weights(
            result["regions"], [result["temporal_attention"][n] for n in result["regions"]],
            per_fold=[[w[n] for n in result["regions"]] for w in per_fold],
            title=f"{title}: temporal SE")
    figures["feature_change"] = plots.plot_feature_change(
        result["feature_change"], frames_used=result["frames_used"])
    return figures


def report_markdown(result, figures):
    """A short Markdown report of one prediction."""
    lines = [f"# Prediction: {result['predicted']}", "",
             f"- input: `{result['input']}`: frames {result['frame_range']} ({result['n_frames']} frames, "
             f"{result['frames_used']} used by the temporal model; {result['frames_note']})",
             f"- run: `{result['run']}`; folds: {', '.join(result['folds'])}"
             + (" (probabilities averaged)" if len(result["folds"]) > 1 else ""),
             f"- model: preset {result['config']['preset']}, {result['config']['protocol']}, "
             f"m = {result['config']['patches']}, fusion {result['config']['fusion']}", "",
             "| class | probability |", "|---|---|"]
    lines += [f"| {name} | {p:.3f} |" for name, p in result["probabilities"].items()]
    lines += [""] + [f"**Warning:** {warning}" for warning in result.get("warnings", [])]
    if result["temporal_attention"]:
        lines += ["", "Temporal SE weight per region (STFF Eq. 7; mean over the region's 64 LSTM units):", "",
                  "| region | weight |", "|---|---|"]
        lines += [f"| {name} | {w:.3f} |" for name, w in result["temporal_attention"].items()]
        lines += ["", f"Top region: **{result['top_region']}**."]
    lines += [""] + [f"![{name}]({file})" for name, file in figures.items()]
    lines += ["", "SE weights show what the trained models rely on; they are not a proof of what moved."]
    return "\n".join(lines) + "\n"
