"""Copying weights between two layouts of one model (the saved per-patch / per-region layout and the fast one)."""


def copy_weights(source, target, convert):
    """Set ``target``'s weights from ``source``: layers of the same name are copied as they are, the others
    get ``convert(layer, source_layers_by_name)`` (a list of arrays in ``layer.get_weights()`` order).
    Returns ``target``."""
    by_name = {layer.name: layer for layer in source.layers}
    for layer in target.layers:
        if layer.weights:
            layer.set_weights(by_name[layer.name].get_weights() if layer.name in by_name else convert(layer, by_name))
    return target
