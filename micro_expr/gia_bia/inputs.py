"""From cached clips to network inputs: block boxes from the landmarks and the section 4.4 augmentation."""
import numpy as np

from data_prep.key_regions.align import REFERENCE_SIZE, apply_transform
from data_prep.key_regions.points import block_boxes


def clip_blocks(landmarks, config):
    """(n_blocks, 3) float32 boxes (centre x, centre y, side) as fractions of the frame side."""
    boxes = block_boxes(landmarks, config.n_blocks, config.ip24_convention, config.block10_side)
    return (boxes / REFERENCE_SIZE).astype(np.float32)


def random_affine(rng, rotation, crop):
    """2 x 3 transform on the 224 reference: rotation in +-``rotation`` degrees about the centre and a
    random crop of side (1 - c) x 224, c in [0, ``crop``], scaled back to the full frame (section 4.4)."""
    import cv2

    angle = rng.uniform(-rotation, rotation)
    keep = 1.0 - rng.uniform(0.0, crop)
    side = keep * REFERENCE_SIZE
    x0, y0 = rng.uniform(0, REFERENCE_SIZE - side, size=2)
    centre = (REFERENCE_SIZE / 2, REFERENCE_SIZE / 2)
    rotate = np.vstack([cv2.getRotationMatrix2D(centre, angle, 1.0), [0, 0, 1]])
    zoom = np.array([[1 / keep, 0, -x0 / keep], [0, 1 / keep, -y0 / keep], [0, 0, 1]])
    return (zoom @ rotate)[:2]


def augment(clip, landmarks, rng, config):
    """One augmented copy: every frame and the landmarks moved by the same random transform."""
    import cv2

    matrix = random_affine(rng, config.rotation, config.crop)
    size = clip.shape[1]
    on_frame = np.hstack([matrix[:, :2], matrix[:, 2:] * (size / REFERENCE_SIZE)])  # same move at ``size`` px
    frames = [cv2.warpAffine(np.ascontiguousarray(frame), on_frame, (size, size), flags=cv2.INTER_LINEAR)
              for frame in clip]
    return np.stack(frames), apply_transform(matrix, landmarks)


def network_inputs(clips, landmarks, config):
    """The model's input list for a batch of clips (uint8) and their reference landmarks."""
    from micro_expr.gia_bia.model import vgg_input

    inputs = [vgg_input(np.stack(clips))]
    if config.n_blocks:
        inputs.append(np.stack([clip_blocks(points, config) for points in landmarks]))
    return inputs
