"""Figures of a run: confusion matrix with per-class recall, training curves per fold, attention maps.

Every function returns a :class:`matplotlib.figure.Figure` built without pyplot
(no global state, no backend to choose: it works on machines without a screen
and inside notebooks alike); :func:`save_figure` writes one to a file.
"""
import numpy as np

from data_prep.regions import REGIONS

# Plain names of the regions for axis labels ("R0 left eye"): R0..R5 alone say little.
REGION_LABELS = {box.name: f"{box.name} {box.description.split(' +')[0]}" for box in REGIONS}


def _figure(figsize):
    from matplotlib.figure import Figure

    return Figure(figsize=figsize)


def save_figure(figure, path, dpi=110):
    """Write ``figure`` to ``path`` (format from the suffix) and return the path."""
    figure.savefig(path, dpi=dpi, bbox_inches="tight")
    return path


def region_label(name):
    return REGION_LABELS.get(name, name)


def plot_confusion(matrix, class_names, title="Confusion matrix"):
    """Counts and row-normalised recall in each cell; per-class recall on the right."""
    matrix = np.asarray(matrix, dtype=float)
    rows = matrix.sum(axis=1, keepdims=True)
    recall = np.divide(matrix, rows, out=np.zeros_like(matrix), where=rows > 0)
    n = len(class_names)
    fig = _figure((1.4 * n + 2.5, 1.2 * n + 1.5))
    ax = fig.subplots()
    image = ax.imshow(recall, cmap="Blues", vmin=0, vmax=1)
    for i in range(n):
        for j in range(n):
            ax.text(j, i, f"{int(matrix[i, j])}\n{recall[i, j]:.0%}", ha="center", va="center",
                    color="white" if recall[i, j] > 0.6 else "black", fontsize=9)
    ax.set_xticks(range(n), class_names, rotation=30, ha="right")
    ax.set_yticks(range(n), [f"{c}  (recall {recall[i, i]:.0%})" for i, c in enumerate(class_names)])
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    fig.colorbar(image, ax=ax, fraction=0.046, label="share of the true class")
    fig.tight_layout()
    return fig


def plot_training_curves(histories, stages=("spatial", "temporal"), metrics=("loss",)):
    """Per epoch, one line per fold: a column per training stage, a row per metric; loss axes start at zero.

    ``histories``: {fold name: {stage: {metric: [value per epoch]}}} (a fold's history.json).
    ``metrics``: history keys ("loss"), or {stage: key} where the stages call a metric differently
    (MEAN: {"spot": "mae", "recog": "categorical_accuracy"}). Accuracies are drawn on [0, 1].
    """
    from matplotlib.ticker import MaxNLocator

    fig = _figure((5.5 * len(stages), 4 * len(metrics)))
    axes = np.array(fig.subplots(len(metrics), len(stages), squeeze=False))
    for row, metric in enumerate(metrics):
        for stage, ax in zip(stages, axes[row]):
            key = metric.get(stage) if isinstance(metric, dict) else metric
            for fold, history in histories.items():
                values = history.get(stage, {}).get(key) if key else None
                if values:
                    ax.plot(range(1, len(values) + 1), values, alpha=0.7, label=fold)
            ax.set_title(f"{stage} stage: training {key} per fold" if key else f"{stage} stage: -")
            ax.set_xlabel("epoch")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # no epoch 1.25 on short runs
            ax.set_ylabel(key or "")
            if key and "acc" in key:
                ax.set_ylim(0, 1.02)
            else:
                ax.set_ylim(bottom=0)
            ax.grid(alpha=0.3)
    if len(histories) <= 12 and axes[0, -1].get_legend_handles_labels()[0]:
        axes[0, -1].legend(fontsize=7)
    fig.tight_layout()
    return fig


# --- where the model looks (micro_expr.attention) -------------------------------------------

def plot_patch_attention(canvas, boxes, weights, title="Spatial SE: weight of each patch"):
    """Mean spatial SE weight of each patch (STFF Eq. 2-4) drawn over the face canvas at the region boxes.

    ``boxes``: the region boxes (:func:`micro_expr.attention.input_boxes`);
    ``weights``: per region the m patch weights, patches row by row.
    """
    from matplotlib import cm, colors
    from matplotlib.patches import Rectangle

    from micro_expr.attention import patch_boxes

    from matplotlib import colormaps

    values = np.concatenate([np.ravel(w) for w in weights])
    # The gates are sigmoids in (0, 1) that often differ by little: stretch the colours to their range.
    norm = colors.Normalize(vmin=float(values.min()), vmax=float(max(values.max(), values.min() + 1e-6)))
    cmap = colormaps["inferno"]
    fig = _figure((5.2, 5.6))
    ax = fig.subplots()
    ax.imshow(np.asarray(canvas).mean(axis=-1), cmap="gray", vmin=0, vmax=255)
    for box, region_weights in zip(boxes, weights):
        m = len(region_weights)
        for patch, weight in zip(patch_boxes(box, m), region_weights):
            ax.add_patch(Rectangle((patch.x0, patch.y0), patch.x1 - patch.x0, patch.y1 - patch.y0,
                                   facecolor=cmap(norm(weight)), alpha=0.55, edgecolor="white", linewidth=0.6))
            if m <= 9:
                ax.text((patch.x0 + patch.x1) / 2, (patch.y0 + patch.y1) / 2, f"{weight:.3f}", ha="center",
                        va="center", fontsize=6 if m > 4 else 8, color="black" if norm(weight) > 0.6 else "white")
        ax.add_patch(Rectangle((box.x0, box.y0), box.x1 - box.x0, box.y1 - box.y0, fill=False, edgecolor="cyan",
                               linewidth=1.2))
        ax.text(box.x0 + 2, box.y0 + 2, box.name, color="cyan", fontsize=8, va="top", fontweight="bold")
    ax.set_axis_off()
    ax.set_title(title, fontsize=9)
    fig.colorbar(cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax, fraction=0.046,
                 label="mean SE gate of the patch's 72 channels")
    fig.tight_layout()
    return fig


def plot_patch_attention_frames(names, per_frame):
    """Spatial SE weight of every patch (rows) in every frame (columns), one panel per region, one colour scale."""
    arrays = [np.asarray(weights).T for weights in per_frame]  # each (m, T)
    low = float(min(a.min() for a in arrays))
    high = float(max(max(a.max() for a in arrays), low + 1e-6))
    fig = _figure((7, 1.0 + 0.6 * len(names)))
    axes = fig.subplots(len(names), 1, squeeze=False, sharex=True)
    for ax, name, weights in zip(axes[:, 0], names, arrays):
        image = ax.imshow(weights, aspect="auto", cmap="inferno", interpolation="nearest", vmin=low, vmax=high)
        ax.set_ylabel(region_label(name), rotation=0, ha="right", va="center")
        ax.set_yticks([])
    axes[-1, 0].set_xlabel("frame (rows inside a panel: the region's patches, row by row)")
    axes[0, 0].set_title("spatial SE weight of each patch in each frame", fontsize=9)
    fig.colorbar(image, ax=axes[:, 0].tolist(), fraction=0.03, pad=0.02, label="SE gate")
    return fig


def plot_region_weights(names, weights, per_fold=None, title="Temporal SE: weight of each region"):
    """Bar chart of the temporal SE weight of each region (STFF Eq. 7); dots: the single folds.

    The axis starts at zero, so bar heights compare truthfully.
    """
    fig = _figure((6.5, 3.4))
    ax = fig.subplots()
    positions = np.arange(len(names))
    ax.bar(positions, weights, color="tab:blue", alpha=0.8, label="mean over folds")
    if per_fold and len(per_fold) > 1:
        for fold_weights in per_fold:
            ax.plot(positions, fold_weights, "k.", alpha=0.5)
        ax.plot([], [], "k.", label="single folds")
    ax.set_xticks(positions, [region_label(n) for n in names], rotation=20, ha="right")
    ax.set_ylabel("mean SE gate of 64 LSTM units")
    ax.set_ylim(0, 1)
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


def plot_feature_change(changes, frames_used=None):
    """Distance of each frame's spatial feature SF to the first frame's, one line per region."""
    fig = _figure((6.5, 3.4))
    ax = fig.subplots()
    for name, values in changes.items():
        ax.plot(range(len(values)), values, label=region_label(name))
    if frames_used is not None and frames_used < max(len(v) for v in changes.values()):
        ax.axvline(frames_used - 0.5, color="gray", linestyle="--", label="temporal model stops")
    ax.set_xlabel("frame")
    ax.set_ylabel("|SF(t) - SF(0)|")
    ax.set_ylim(bottom=0)
    ax.set_title("How much each region's spatial feature changes over the clip", fontsize=9)
    ax.legend(fontsize=7, ncol=2)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def plot_class_recall(class_names, recall, support, title="Per-class recall"):
    """Recall of every class over a run's held-out predictions; the dashed line is chance (1 / K)."""
    fig = _figure((5.5, 3.2))
    ax = fig.subplots()
    positions = np.arange(len(class_names))
    ax.bar(positions, recall, color="tab:green", alpha=0.8)
    for x, r, n in zip(positions, recall, support):
        ax.text(x, r + 0.02, f"{r:.0%} of {n}", ha="center", fontsize=8)
    ax.axhline(1 / len(class_names), color="gray", linestyle="--", label="chance")
    ax.set_xticks(positions, class_names)
    ax.set_ylim(0, 1.1)
    ax.set_ylabel("recall")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig
