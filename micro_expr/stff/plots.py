"""STFF's attention figures: patch weights of the spatial SE gate, region weights of the temporal SE gate.

Built like the run figures (:mod:`micro_expr.core.plots`): a Figure without pyplot.
"""
import numpy as np

from data_prep.regions import REGIONS
from micro_expr.core.plots import _figure, save_figure  # noqa: F401  (save_figure: one import for callers)

# Plain names of the regions for axis labels ("R0 left eye"): R0..R5 alone say little.
REGION_LABELS = {box.name: f"{box.name} {box.description.split(' +')[0]}" for box in REGIONS}


def region_label(name):
    return REGION_LABELS.get(name, name)


def plot_patch_attention(canvas, boxes, weights, title="Spatial SE: weight of each patch"):
    """Mean spatial SE weight of each patch (STFF Eq. 2-4) drawn over the face canvas at the region boxes.

    ``boxes``: the region boxes (:func:`micro_expr.stff.attention.input_boxes`);
    ``weights``: per region the m patch weights, patches row by row.
    """
    from matplotlib import cm, colors
    from matplotlib.patches import Rectangle

    from micro_expr.stff.attention import patch_boxes

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


