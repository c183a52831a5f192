"""Figures of a run: confusion matrix with per-class recall, training curves per fold, per-class recall.

A system's own figures (STFF's attention maps) live in its package (:mod:`micro_expr.stff.plots`).

Every function returns a :class:`matplotlib.figure.Figure` built without pyplot
(no global state, no backend to choose: it works on machines without a screen
and inside notebooks alike); :func:`save_figure` writes one to a file.
"""
import numpy as np

def _figure(figsize):
    from matplotlib.figure import Figure

    return Figure(figsize=figsize)


def save_figure(figure, path, dpi=110):
    """Write ``figure`` to ``path`` (format from the suffix) and return the path."""
    figure.savefig(path, dpi=dpi, bbox_inches="tight")
    return path



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


def plot_training_curves(histories, stages=("spatial", "temporal"), metrics=("loss",), title=None):
    """Per epoch, one colour per fold: a column per training stage, a row per metric; loss axes start at zero.

    ``histories``: {fold name: {stage: {metric: [value per epoch]}}} (a fold's history.json); where a stage
    recorded ``held_out_<metric>`` (the fold's test clips, never trained on) it is drawn dashed in the fold's
    colour. Every epoch is a marker, so a one-epoch stage shows its points; the epoch axis has integer ticks.
    ``metrics``: history keys ("loss"), or {stage: key} where the stages call a metric differently
    (MEAN: {"spot": "mae", "recog": "categorical_accuracy"}). Accuracies are drawn on [0, 1].
    """
    from matplotlib.lines import Line2D
    from matplotlib.ticker import MaxNLocator

    fig = _figure((5.5 * len(stages), 4 * len(metrics) + (0.4 if title else 0)))
    axes = np.array(fig.subplots(len(metrics), len(stages), squeeze=False))
    colours = {fold: f"C{i % 10}" for i, fold in enumerate(histories)}
    held_out_drawn = False
    for row, metric in enumerate(metrics):
        for stage, ax in zip(stages, axes[row]):
            key = metric.get(stage) if isinstance(metric, dict) else metric
            longest = max((len(h.get(stage, {}).get(key) or ()) for h in histories.values()), default=0) if key else 0
            dodge = {"-": -0.08, "--": 0.08} if longest == 1 else {"-": 0, "--": 0}   # one epoch: side by side
            highest = 0.0
            for fold, history in histories.items():
                curves = history.get(stage, {})
                for name, style in ((key, "-"), (f"held_out_{key}", "--")):
                    values = curves.get(name) if key else None
                    if values:
                        epochs = np.arange(1, len(values) + 1) + dodge[style]
                        ax.plot(epochs, values, style, marker="o" if style == "-" else "s", markersize=4,
                                markerfacecolor=colours[fold] if style == "-" else "none",
                                color=colours[fold], alpha=0.75, label=fold if style == "-" else None)
                        held_out_drawn |= style == "--"
                        highest = max(highest, float(np.nanmax(np.asarray(values, dtype=float))))
            which = "training (solid) and held-out fold (dashed)" if any(
                history.get(stage, {}).get(f"held_out_{key}") for history in histories.values()) else (
                "training" if longest else "nothing recorded")
            epochs_note = " (one epoch: training left, held-out right)" if longest == 1 and "held" in which else ""
            ax.set_title(f"{stage} stage: {key} per epoch{epochs_note}\n{which}" if key else f"{stage} stage: -",
                         fontsize=9)
            ax.set_xlabel("epoch")
            if longest:
                ax.set_xlim(0.5, longest + 0.5)
            if 0 < longest <= 10:
                ax.set_xticks(range(1, longest + 1))             # every epoch, none in between
            else:
                ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_ylabel(key or "")
            if key and "acc" in key:
                ax.set_ylim(0, 1.02)
            else:   # room above the highest point: flat curves (one epoch) otherwise sit half cut on the top edge
                ax.set_ylim(0, max(ax.get_ylim()[1], 1.05 * highest) if highest > 0 else None)
            ax.grid(alpha=0.3)
    handles, labels = axes[0, -1].get_legend_handles_labels()
    if len(histories) <= 12 and handles:
        if held_out_drawn:
            handles += [Line2D([], [], color="gray", marker="o", markersize=4),
                        Line2D([], [], color="gray", linestyle="--", marker="s", markersize=4, markerfacecolor="none")]
            labels += ["training", "held-out fold"]
        axes[0, -1].legend(handles, labels, fontsize=7, title="fold (held-out subject)", title_fontsize=7,
                           loc="upper left", bbox_to_anchor=(1.02, 1.0))
    if title:
        fig.suptitle(title, fontsize=10)
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
