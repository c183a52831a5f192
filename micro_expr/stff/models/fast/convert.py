"""Copying weights between the two layouts of one model: the paper's (per patch, per region; what checkpoints
hold) and the training layout (grouped convolutions, batched LSTMs) that computes the same."""
import re

import numpy as np

from micro_expr.stff.models.fast.grouped_conv import GROUPED_PREFIX, GroupedConv2D
from micro_expr.stff.models.fast.region_lstms import RegionLSTMs
from micro_expr.stff.models.temporal import BATCHED_LSTMS


def copy_weights(source, target, convert):
    """Set ``target``'s weights from ``source``: layers of the same name are copied as they are, the others
    get ``convert(layer, source_layers_by_name)`` (a list of arrays in ``layer.get_weights()`` order).
    Returns ``target``."""
    by_name = {layer.name: layer for layer in source.layers}
    for layer in target.layers:
        if layer.weights:
            layer.set_weights(by_name[layer.name].get_weights() if layer.name in by_name else convert(layer, by_name))
    return target


_PER_PATCH_NAME = re.compile(r"p(\d+)_(.+)")


def copy_spatial_weights(source, target):
    """Set ``target``'s weights to ``source``'s; each model may be in either layout. Returns ``target``.

    Layers with the same name are copied as they are. A grouped convolution
    ``patches_<x>`` holds the kernels of ``p0_<x>``, ..., ``p<m-1>_<x>`` side by
    side along its output channels (bias likewise), so it is their concatenation
    one way and sliced the other way.
    """
    def convert(layer, by_name):
        if isinstance(layer, GroupedConv2D):                         # per-patch -> grouped
            suffix = layer.name[len(GROUPED_PREFIX) + 1:]
            parts = [by_name[f"p{i}_{suffix}"].get_weights() for i in range(layer.groups)]
            return [np.concatenate(column, axis=-1) for column in zip(*parts)]
        index, suffix = _PER_PATCH_NAME.fullmatch(layer.name).groups()   # grouped -> per-patch
        grouped = by_name[f"{GROUPED_PREFIX}_{suffix}"]
        chosen = slice(int(index) * grouped.filters, (int(index) + 1) * grouped.filters)
        return [value[..., chosen] for value in grouped.get_weights()]

    return copy_weights(source, target, convert)


def copy_temporal_weights(source, target):
    """Set ``target``'s weights to ``source``'s; each model may be in either layout. Returns ``target``.

    Layers with the same name are copied as they are; the batched layer's
    weights are the regions' ``<region>_lstm`` weights stacked on a first axis.
    """
    def convert(layer, by_name):
        if isinstance(layer, RegionLSTMs):                           # per-region -> batched
            parts = [by_name[f"{region}_lstm"].get_weights() for region in layer.regions]
            return [np.stack(column) for column in zip(*parts)]
        batched = by_name[BATCHED_LSTMS]                             # batched -> per-region
        index = batched.regions.index(layer.name[:-len("_lstm")])
        return [value[index] for value in batched.get_weights()]

    return copy_weights(source, target, convert)
