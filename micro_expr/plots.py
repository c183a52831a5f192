"""Figures of a run: confusion matrix with per-class recall, and training curves per fold."""
import numpy as np


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only, no screen needed
    import matplotlib.pyplot as plt

    return plt


def plot_confusion(matrix, class_names, path, title="Confusion matrix"):
    """Counts and row-normalised recall in each cell; per-class recall on the right."""
    plt = _pyplot()
    matrix = np.asarray(matrix, dtype=float)
    rows = matrix.sum(axis=1, keepdims=True)
    recall = np.divide(matrix, rows, out=np.zeros_like(matrix), where=rows > 0)
    n = len(class_names)
    fig, ax = plt.subplots(figsize=(1.4 * n + 2.5, 1.2 * n + 1.5))
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
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_training_curves(histories, path):
    """Loss per epoch of the spatial and temporal stages, one line per fold."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for stage, ax in zip(("spatial", "temporal"), axes):
        for fold, history in histories.items():
            loss = history.get(stage, {}).get("loss")
            if loss:
                ax.plot(range(1, len(loss) + 1), loss, alpha=0.7, label=fold)
        ax.set_title(f"{stage} stage: training loss per fold")
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        ax.grid(alpha=0.3)
    if len(histories) <= 12:
        axes[1].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
