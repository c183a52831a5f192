"""Where the model looks: the two SE gates of STFF read out per patch, per region and over time.

- Spatial SE (STFF Eq. 2-4): the m patch maps of a region are concatenated
  (72 channels per patch) and the SE block gives every channel a weight in
  (0, 1). The mean weight of a patch's 72 channels says how much the region's
  model relied on that patch; it is read for every frame of a sequence.
- Temporal SE (STFF Eq. 7): the per-region LSTM outputs STF(r) (64 units
  each) are concatenated and re-weighted; the mean weight of a region's 64
  units says how much the classifier relied on that region for the sequence.
- Feature change: the distance of each frame's spatial feature SF (Eq. 5) to
  the first frame's, per region; a micro-expression is a short rise and fall.

The gates are read from the trained models themselves (the layers named
``<block>_gate`` in :mod:`micro_expr.stff.models.se`); nothing is re-trained.
"""
from dataclasses import dataclass

import numpy as np

from data_prep.regions import REGIONS, grid_side
from micro_expr.stff.config import WHOLE_FACE_NAME, WHOLE_FACE_SIZE


# --- reading the gates ---------------------------------------------------------------------

def spatial_readout(spatial_model):
    """A model giving, for a batch of patch stacks, the feature SF and (if the model has one) the SE gate."""
    import keras

    from micro_expr.stff.models.spatial import FEATURES, spatial_attention_model

    outputs = [spatial_model.get_layer(FEATURES).output]
    try:
        outputs.append(spatial_attention_model(spatial_model).output)
    except ValueError:  # se='none': the STFF Table 5 variants without spatial fusion have no gate
        pass
    return keras.Model(spatial_model.input, outputs, name=f"{spatial_model.name}_readout")


def temporal_readout(temporal_model):
    """A model giving the class probabilities and (if the model has one) the temporal SE gate."""
    import keras

    from micro_expr.stff.models.temporal import temporal_attention_model

    outputs = [temporal_model.output]
    try:
        outputs.append(temporal_attention_model(temporal_model).output)
    except ValueError:  # temporal.se off
        pass
    return keras.Model(temporal_model.input, outputs, name=f"{temporal_model.name}_readout")


def read_spatial(readout, patches, m, batch_size=64):
    """SF of every frame (T, 256) and the weight of every patch per frame (T, m), or None without SE.

    ``patches``: (T, m, patch height, patch width, 3) as ``data_prep.pipeline.split_patches`` cuts them.
    """
    from micro_expr.stff.models.spatial import per_patch_weights

    # Called directly (inference mode, no dropout) rather than with predict(): no per-call tracing.
    batches = [_as_list(readout(patches[start:start + batch_size], training=False))
               for start in range(0, len(patches), batch_size)]
    features = np.concatenate([np.asarray(b[0]) for b in batches]).astype(np.float32)
    gates = [np.asarray(b[1]) for b in batches if len(b) > 1]
    weights = per_patch_weights(np.concatenate(gates), m) if gates else None
    return features, weights


def read_temporal(readout, sequences, n_regions):
    """Class probabilities (K,) and the weight of every region (R,), or None without temporal SE.

    ``sequences``: dict input name -> padded sequence (1, N, 256), as the temporal model was trained on.
    """
    from micro_expr.stff.models.temporal import per_region_weights

    outputs = _as_list(readout(sequences, training=False))
    probabilities = np.asarray(outputs[0], dtype=np.float64)[0]
    weights = per_region_weights(outputs[1], n_regions)[0] if len(outputs) > 1 else None
    return probabilities, weights


def _as_list(outputs):
    return [np.asarray(o) for o in outputs] if isinstance(outputs, (list, tuple)) else [np.asarray(outputs)]


def feature_change(features):
    """Euclidean distance of every frame's SF to the first frame's: (T,), 0 at frame 0."""
    features = np.asarray(features, dtype=np.float64)
    return np.linalg.norm(features - features[:1], axis=1)


# --- where the patches lie on the face canvas -----------------------------------------------

@dataclass(frozen=True)
class Box:
    """A rectangle on the 240 x 280 face canvas: x0 <= x < x1, y0 <= y < y1."""

    name: str
    x0: float
    x1: float
    y0: float
    y1: float


def input_boxes(names):
    """Canvas box of each model input, by name: a region box (R0..R5) or the whole canvas ('face')."""
    regions = {box.name: box for box in REGIONS}
    height, width = WHOLE_FACE_SIZE
    return [Box(name, 0, width, 0, height) if name == WHOLE_FACE_NAME else
            Box(name, regions[name].x0, regions[name].x1, regions[name].y0, regions[name].y1) for name in names]


def patch_boxes(box, m):
    """The m patches of a region box, row by row like ``split_patches`` cuts them.

    In both patch modes the region is divided into a sqrt(m) x sqrt(m) grid
    (the 'original' mode resizes it first), so each patch covers one grid cell.
    """
    side = grid_side(m)
    width, height = (box.x1 - box.x0) / side, (box.y1 - box.y0) / side
    return [Box(f"{box.name}.p{row * side + col}", box.x0 + col * width, box.x0 + (col + 1) * width,
                box.y0 + row * height, box.y0 + (row + 1) * height)
            for row in range(side) for col in range(side)]


# --- summaries ----------------------------------------------------------------------------

def top_region(region_weights):
    """Name of the region with the largest weight in a {region: weight} dict."""
    return max(region_weights, key=region_weights.get)

