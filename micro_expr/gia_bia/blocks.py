"""The identification blocks of one face, aligned as training aligns it (``mer blocks``).

Zhu et al. 2023, sections 3.2.2-3.2.3 (24 and 10 IBs) and 4.2 (alignment, 224 x 224). A photo, or the first
frame of a video, goes through what :mod:`data_prep.key_regions.clips` does to a clip's first frame: dlib's
68 landmarks, the alignment of :class:`~data_prep.key_regions.clips.ClipSettings`, the blocks of
:func:`~data_prep.key_regions.points.block_boxes`; then every block's padding share (the part of it that
is not face pixels: outside the source image, or outside the aligned frame).
"""
from pathlib import Path

import numpy as np

from data_prep.errors import InputError
from data_prep.key_regions.align import (REFERENCE_SIZE, align_clip, apply_transform, canvas_landmarks,
                                         padding_shares, valid_mask)
from data_prep.key_regions.clips import ClipSettings
from data_prep.key_regions.points import block_boxes

VIDEO_SUFFIXES = {".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v"}
PADDING_LIMIT = 0.05   # the share above which a block is drawn (and reported) as padded


def first_frame(path):
    """RGB uint8 of an image file, or of the first frame of a video file."""
    from data_prep.pyfeat_media import image_rgb, video_frames

    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file (give an image or a video of a face)")
    if path.suffix.lower() in VIDEO_SUFFIXES:
        return video_frames(path, count=1)[0]
    return image_rgb(path)


def face_blocks(image, n_blocks=10, settings=None, convention="paper", block10_side=None, source_name="image"):
    """The aligned face and its blocks: {"aligned" uint8 (224, 224, 3), "boxes" (n, 3) in 224 pixels,
    "padding" (n,), "frame_padding", "landmarks" (68, 2) on the 224 frame, "settings"}."""
    from data_prep.face import contain_geometry, contain_resize, crop_box, detect_landmarks, face_box

    settings = settings or ClipSettings()
    if n_blocks not in (10, 24):
        raise InputError(f"--blocks must be 10 or 24 (Zhu et al. 2023, Table 5), got {n_blocks}")
    landmarks = detect_landmarks(image, source=source_name).astype(np.float64)
    source, valid_box = image, None
    if settings.source == "face_canvas":  # what the region cache stores: the face box on a 240 x 280 canvas
        box = face_box(landmarks)
        source = contain_resize(crop_box(image, box, source_name))
        _, x0, y0, width, height = contain_geometry(box[2] - box[0], box[3] - box[1])
        valid_box = (x0, y0, x0 + width, y0 + height)
        landmarks = canvas_landmarks(landmarks, box)
    matrix = settings.transform(landmarks)
    aligned = align_clip([source], matrix, REFERENCE_SIZE)[0]
    mask = valid_mask(matrix, source.shape, REFERENCE_SIZE, valid_box)
    points = apply_transform(matrix, landmarks)
    boxes = block_boxes(points, n_blocks, convention, block10_side)
    return {"aligned": aligned, "boxes": boxes, "padding": padding_shares(mask, boxes),
            "frame_padding": float(1 - mask.mean()), "landmarks": points, "settings": settings}


def blocks_report(result):
    """JSON-ready summary: one entry per block, and the alignment's eye distances."""
    points = result["landmarks"]
    centres = np.linalg.norm(points[42:48].mean(axis=0) - points[36:42].mean(axis=0)) / REFERENCE_SIZE
    corners = np.linalg.norm(points[45] - points[36]) / REFERENCE_SIZE
    settings = result["settings"]
    return {"source": settings.source, "alignment": settings.alignment,
            "eye_centre_distance": round(float(centres), 4), "outer_eye_corner_distance": round(float(corners), 4),
            "frame_padding": round(result["frame_padding"], 4),
            "blocks": [{"block": number, "centre": [round(float(cx), 1), round(float(cy), 1)],
                        "side": round(float(side), 1), "padding": round(float(share), 4)}
                       for number, ((cx, cy, side), share) in enumerate(zip(result["boxes"], result["padding"]), 1)]}


def blocks_figure(panels, title=None):
    """A matplotlib Figure, one column per (label, result) panel: the aligned face with every block drawn
    (red and its padding % written when more than 5 % of it is padding)."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    figure = Figure(figsize=(4.2 * len(panels), 4.6), layout="constrained")
    axes = np.atleast_1d(figure.subplots(1, len(panels)))
    for axis, (label, result) in zip(axes, panels):
        axis.imshow(result["aligned"])
        for number, ((cx, cy, side), share) in enumerate(zip(result["boxes"], result["padding"]), 1):
            bad = share > PADDING_LIMIT
            colour = "red" if bad else "lime"
            axis.add_patch(Rectangle((cx - side / 2, cy - side / 2), side, side, fill=False, lw=1.2, edgecolor=colour))
            axis.text(cx, cy, f"{number}" + (f"\n{share:.0%}" if bad else ""), color=colour, fontsize=6.5,
                      ha="center", va="center")
        worst = float(np.max(result["padding"]))
        padded = int(np.sum(result["padding"] > PADDING_LIMIT))
        axis.set_title(f"{label}\nframe padding {result['frame_padding']:.0%}; worst block {worst:.0%}; "
                       f"{padded}/{len(result['boxes'])} blocks > 5 %", fontsize=8)
        axis.set_xlim(0, REFERENCE_SIZE)
        axis.set_ylim(REFERENCE_SIZE, 0)
        axis.axis("off")
    figure.suptitle(title or "identification blocks (Zhu et al. 2023, sections 3.2.2-3.2.3) on the aligned face",
                    fontsize=9)
    return figure


def run_blocks(path, n_blocks=10, out=None, compare=False, preset="paper"):
    """``mer blocks``: (report dict, text lines) of one face, and the figure written to ``out`` if given.

    The alignment is the preset's (what training uses); ``compare`` adds the earlier clips (the region
    cache's face canvas, eyes 0.30 x 224 apart) as a "before" panel and report."""
    from micro_expr.gia_bia.config import EARLIER_CLIPS, get_preset

    image = first_frame(path)
    config = get_preset(preset)
    panels = [("as training aligns it (raw frame, eyes and chin)",
               face_blocks(image, n_blocks, config.clip_settings(), config.ip24_convention, config.block10_side,
                           str(path)))]
    if compare:
        earlier = get_preset(preset, **EARLIER_CLIPS).clip_settings()
        panels.insert(0, ("earlier clips (face canvas, eyes only)",
                          face_blocks(image, n_blocks, earlier, config.ip24_convention, config.block10_side,
                                      str(path))))
    report = {"file": str(path), "n_blocks": n_blocks, "preset": preset}
    lines = [f"{path}: {n_blocks} identification blocks, {preset} preset alignment"]
    for label, result in panels:
        entry = blocks_report(result)
        report["earlier" if label.startswith("earlier") else "aligned"] = entry
        lines.append(f"{label}: eye centres {entry['eye_centre_distance']:.3f} x 224 apart (outer corners "
                     f"{entry['outer_eye_corner_distance']:.3f}), frame padding {entry['frame_padding']:.1%}")
        lines += [f"  block {b['block']:2d}  centre ({b['centre'][0]:5.1f}, {b['centre'][1]:5.1f})  side "
                  f"{b['side']:4.1f}  padding {b['padding']:6.1%}" + ("  <- over 5 %" if b["padding"] > PADDING_LIMIT
                                                                     else "") for b in entry["blocks"]]
    if out:
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        blocks_figure(panels, f"{Path(path).name}: {n_blocks} identification blocks (Zhu et al. 2023)").savefig(
            out, dpi=130)
        report["figure"] = str(out)
        lines.append(f"figure: {out}")
    return report, lines


def padding_table(named_images, n_blocks, preset="paper"):
    """Per block, the padding share over many faces, earlier clips and current alignment:
    {"earlier"|"aligned": {"mean": (n,), "max": (n,), "faces_with_a_block_over_25": int}, "faces": int}.
    ``named_images``: (name, RGB frame) pairs; faces dlib does not find are skipped (counted in "skipped")."""
    from data_prep.errors import InputError as NoFace
    from micro_expr.gia_bia.config import EARLIER_CLIPS, get_preset

    settings = {"earlier": get_preset(preset, **EARLIER_CLIPS).clip_settings(),
                "aligned": get_preset(preset).clip_settings()}
    shares = {key: [] for key in settings}
    skipped = 0
    for name, image in named_images:
        try:
            for key, chosen in settings.items():
                shares[key].append(face_blocks(image, n_blocks, chosen, source_name=name)["padding"])
        except NoFace:
            skipped += 1
    table = {"faces": len(shares["aligned"]), "skipped": skipped}
    for key, values in shares.items():
        values = np.array(values[:table["faces"]])
        table[key] = {"mean": values.mean(axis=0), "max": values.max(axis=0),
                      "faces_with_5_blocks_over_25": int(np.sum(np.sum(values > 0.25, axis=1) >= 5)),
                      "blocks_over_5": int(np.sum(values > PADDING_LIMIT))}
    return table
