"""STFF's labels and inputs of the cached clips: region labels (spec section 3) and the frame stacks per model input.

Which clips a protocol uses is the core's (:func:`micro_expr.core.items.protocol_items`)."""
import numpy as np

from data_prep.labels import emotion_region_label, protocol_classes, region_label


def region_targets(labels, config, emotions=None):
    """Per region input, the label index of every clip of sequence class ``labels`` (spec section 3,
    or whole-face labels).

    ``config.region_label_mode == 'emotion'`` labels a region by the clip's
    emotion (``emotions``, one per clip; Aouayeb et al. 2021, Table 1) instead of its class.
    """
    classes = protocol_classes(config.protocol)
    labels = np.asarray(labels, dtype=int)
    if config.region_mode == "whole_face":
        return [labels]
    if config.region_labels and config.region_label_mode == "emotion":
        if emotions is None or len(emotions) != len(labels):
            raise ValueError("region labels per emotion need the emotion of every clip")
        return [np.array([emotion_region_label(config.protocol, r, classes[label], emotion)
                          for label, emotion in zip(labels, emotions)], dtype=int) for r in config.regions]
    return [np.array([region_label(config.protocol, r, classes[label], config.region_labels)
                      for label in labels], dtype=int) for r in config.regions]


def read_inputs(cache, key, config):
    """The spatial inputs of one sample: one uint8 (T, H, W, 3) array per model input."""
    if config.region_mode == "whole_face":
        return [cache.face(key)]
    frames = cache.regions(key)
    return [frames[r] for r in config.regions]


def load_frames(cache, items, config):
    """All frames of ``items`` for every model input, read once: (arrays, owner index per frame)."""
    stacks = None
    owner = []
    for index, item in enumerate(items):
        inputs = read_inputs(cache, item.key, config)
        stacks = [[] for _ in inputs] if stacks is None else stacks
        for stack, array in zip(stacks, inputs):
            stack.append(array)
        owner.extend([index] * len(inputs[0]))
    return [np.concatenate(stack) for stack in stacks], np.asarray(owner, dtype=np.int32)
