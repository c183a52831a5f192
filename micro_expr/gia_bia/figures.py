"""Attention read-out figure: where the blocks are and how much BIA / GIA weighted them (Zhu et al. 2023,
Eq. 1: the scalar p of every block and of the global vector, per frame)."""
import numpy as np


def attention_figure(explanation, frame=None, title=None):
    """A matplotlib Figure of one clip's :meth:`GiaBia.explain` entry.

    Left: ``frame`` (uint8, optional) with every block drawn, its colour the block's mean attention.
    Right: block attention per frame (a heat map) and the global attention per frame (a line).
    """
    from matplotlib import cm
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    blocks = explanation.get("block_attention")
    figure = Figure(figsize=(10, 4), layout="constrained")
    image_axis, heat_axis = figure.subplots(1, 2, width_ratios=(1, 1.6))
    side = frame.shape[0] if frame is not None else 1.0
    if frame is not None:
        image_axis.imshow(frame)
    else:
        image_axis.set_xlim(0, 1)
        image_axis.set_ylim(1, 0)
    colours = cm.viridis
    mean = blocks.mean(axis=0) if blocks is not None else []
    for number, ((cx, cy, size), weight) in enumerate(zip(explanation["blocks"], mean), 1):
        image_axis.add_patch(Rectangle(((cx - size / 2) * side, (cy - size / 2) * side), size * side, size * side,
                                       fill=False, lw=1.5, edgecolor=colours(float(weight))))
        image_axis.text(cx * side, cy * side, str(number), color="white", fontsize=7, ha="center", va="center")
    image_axis.set_title("identification blocks (colour: mean p)" if blocks is not None else "no blocks")
    image_axis.axis("off")
    frames = np.arange(1, len(explanation["global_attention"]) + 1)
    if blocks is not None:
        shown = heat_axis.imshow(blocks.T, aspect="auto", cmap=colours, vmin=0, vmax=1,
                                 extent=(0.5, frames[-1] + 0.5, blocks.shape[1] + 0.5, 0.5))
        figure.colorbar(shown, ax=heat_axis, label="block attention p (BIA)")
        heat_axis.set_ylabel("block")
    line_axis = heat_axis.twinx() if blocks is not None else heat_axis
    line_axis.plot(frames, explanation["global_attention"], color="crimson", marker="o", label="GIA p")
    line_axis.set_ylim(0, 1)
    line_axis.set_ylabel("global attention p (GIA)")
    heat_axis.set_xlabel("TIM frame")
    heat_axis.set_xticks(frames)
    figure.suptitle(title or "GIA / BIA attention (Zhu et al. 2023, Eq. 1)")
    return figure
