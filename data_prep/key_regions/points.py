"""Identification points (IPs) and identification blocks (IBs) of Zhu et al. 2023, sections 3.2.2-3.2.3.

The paper names points of a 72-point face_recognition layout, but its numbers (19, 22, 23, 26, 39, 37, ...)
are those of the 68 dlib points that PG-CNN (Li et al. 2018) selects from, 1-based; we use the 68 dlib
points of the region cache. Coordinates are pixels of the 224 x 224 aligned reference frame (see
:mod:`data_prep.key_regions.align`), where the paper's offsets (16 px) and block side (48 px) are given.
"""
import numpy as np

REFERENCE_SIZE = 224

# Zhu et al. 2023 Eq. 4-5 context: the 16 single points (IPs 1-16), 1-based dlib numbers as the paper lists them.
SINGLE_POINTS_24 = (19, 22, 23, 26, 39, 37, 44, 46, 28, 30, 49, 51, 53, 55, 59, 57)
# IPs 17-22: midpoints of point pairs (eyes, eyebrows, cheeks), in PG-CNN's order.
MIDPOINT_PAIRS_24 = ((20, 38), (25, 45), (41, 42), (47, 48), (18, 59), (27, 57))
MOUTH_OFFSET = 16          # Zhu et al. 2023 Eq. 4-5, pixels
BLOCK_SIDE_24 = 48         # section 3.2.2: 48 x 48 blocks
# Conventions for the parts where the paper and PG-CNN's code differ (a config field chooses):
# "paper": Zhu et al. 2023 Eq. 5 moves the right mouth corner by (+16, +16); "pg_cnn": by (+16, -16), and the four
# eyebrow points (IPs 1-4) are raised by 10 px (1 and 4 lowered back by 2), as PG-CNN's converter does.
CONVENTIONS_24 = ("paper", "pg_cnn")
BLOCK_SETS = (0, 10, 24)   # Zhu et al. 2023 Table 5: without IBs, 10 IBs, 24 IBs


def _point(landmarks, number):
    """The dlib point with 1-based ``number`` (the paper's numbering)."""
    return np.asarray(landmarks, dtype=np.float64)[number - 1]


def points_24(landmarks, convention="paper"):
    """The 24 IPs (24, 2) from 68 dlib landmarks (Zhu et al. 2023, section 3.2.2, Eq. 4-5)."""
    if convention not in CONVENTIONS_24:
        raise ValueError(f"convention must be one of {CONVENTIONS_24}, got {convention!r}")
    points = [_point(landmarks, n) for n in SINGLE_POINTS_24]
    if convention == "pg_cnn":
        for index, raise_by in enumerate((8, 10, 10, 8)):
            points[index] = points[index] - (0, raise_by)
    points += [(_point(landmarks, a) + _point(landmarks, b)) / 2 for a, b in MIDPOINT_PAIRS_24]
    right_dy = MOUTH_OFFSET if convention == "paper" else -MOUTH_OFFSET
    points.append(_point(landmarks, 49) - (MOUTH_OFFSET, MOUTH_OFFSET))   # Zhu et al. 2023 Eq. 4
    points.append(_point(landmarks, 55) + (MOUTH_OFFSET, right_dy))        # Zhu et al. 2023 Eq. 5
    return np.stack(points)


def block_width_10(landmarks):
    """Side of the 10 IBs: half the horizontal distance of the mouth corners 49 and 55 (section 3.2.3)."""
    return abs(_point(landmarks, 55)[0] - _point(landmarks, 49)[0]) / 2


def points_10(landmarks):
    """The 10 FACS-based IPs (10, 2) from 68 dlib landmarks (Zhu et al. 2023, Eq. 6-12), numbered as Fig. 2d."""
    width = block_width_10(landmarks)
    half = np.array([width / 2, 0.0])
    eight = (_point(landmarks, 20) + _point(landmarks, 25)) / 2               # eyebrows
    return np.stack([
        _point(landmarks, 49),                                                # 1: left mouth corner
        _point(landmarks, 55),                                                # 2: right mouth corner
        _point(landmarks, 9) - half,                                          # 3: chin (Zhu et al. 2023, Eq. 12)
        _point(landmarks, 32) - half,                                         # 4: nose, left (Zhu et al. 2023, Eq. 10)
        _point(landmarks, 36) + half,                                         # 5: nose, right (Zhu et al. 2023, Eq. 11)
        _point(landmarks, 37) - half,                                         # 6: left eye (Zhu et al. 2023, Eq. 8)
        _point(landmarks, 46) + half,                                         # 7: right eye (Zhu et al. 2023, Eq. 9)
        eight,                                                                # 8: between the eyebrows
        eight - (width, 0.0),                                                 # 9 (Zhu et al. 2023, Eq. 6)
        eight + (width, 0.0),                                                 # 10 (Zhu et al. 2023, Eq. 7)
    ])


def block_boxes(landmarks, n_blocks, convention="paper", side_10=None):
    """Square IBs centred on the IPs, as (N, 3) rows (centre x, centre y, side), in reference pixels.

    24 IBs have 48 px sides; 10 IBs have the mouth-derived side of :func:`block_width_10` unless
    ``side_10`` (pixels) fixes it. ``n_blocks == 0`` (no IBs) gives an empty (0, 3) array.
    """
    if n_blocks == 24:
        centres, side = points_24(landmarks, convention), BLOCK_SIDE_24
    elif n_blocks == 10:
        centres, side = points_10(landmarks), side_10 or block_width_10(landmarks)
    elif n_blocks == 0:
        return np.zeros((0, 3))
    else:
        raise ValueError(f"n_blocks must be one of {BLOCK_SETS}, got {n_blocks!r}")
    return np.hstack([centres, np.full((len(centres), 1), float(side))])


def map_cells(box, map_size, cells, input_size=REFERENCE_SIZE):
    """Row and column indices (cells,) of the ``cells`` x ``cells`` feature-map samples of one block.

    The block (centre x, centre y, side on an ``input_size`` image) is mapped onto a ``map_size`` map
    (stride input_size / map_size; 8 for VGG16 conv4_2 on 224) and sampled at ``cells`` evenly spaced
    cell centres, nearest cell, clipped at the border. A 48 px block on 224 covers exactly 6 x 6
    cells of the 28 x 28 conv4_2 map. The model does the same with tensor ops (BlockCrop); this is
    the reference the tests compare it with.
    """
    cx, cy, side = box
    stride = input_size / map_size
    offsets = (np.arange(cells) + 0.5) * side / cells - side / 2

    def indices(centre):
        return np.clip(np.floor((centre + offsets) / stride), 0, map_size - 1).astype(int)

    return indices(cy), indices(cx)
