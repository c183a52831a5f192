"""Which cached samples a protocol uses, their labels, and the model inputs read from the cache."""
import numpy as np

from data_prep.errors import InputError
from micro_expr.core.system import Item  # noqa: F401  (the record every system's protocol_items returns)
from data_prep.labels import AU5_CLASSES, emotion_region_label, protocol_classes, region_label
from data_prep.protocols import DATASET_ORDER, MEGC_CASME2_EXCLUDED
from data_prep.objective_classes import ROMAN


def protocol_class(info, protocol):
    """Class name of a cached sample under ``protocol``, or None when the protocol leaves it out."""
    if protocol == "megc":
        if info.dataset == "casme2" and (info.subject, info.sample) in MEGC_CASME2_EXCLUDED:
            return None
        return info.megc_class
    if info.objective_class is None or info.objective_class > len(AU5_CLASSES):
        return None  # classes VI and VII are dropped (Aouayeb et al. 2021 section 4.2)
    return ROMAN[info.objective_class]


def protocol_items(cache, protocol, datasets=None, exclude=()):
    """The cache's samples used by ``protocol`` (optionally only some datasets), in LOSO order.

    ``exclude``: "dataset/subject/sample" keys left out (``STFFConfig.exclude_samples``).
    """
    classes = protocol_classes(protocol)
    exclude = set(exclude)
    items = []
    for info in cache.samples:
        if datasets and info.dataset not in datasets:
            continue
        if f"{info.dataset}/{info.subject}/{info.sample}" in exclude:
            continue
        name = protocol_class(info, protocol)
        if name is not None:
            items.append(Item(info.key, info.dataset, f"{info.dataset}/{info.subject}", classes.index(name),
                              info.n_frames, info.emotion))
    if not items:
        raise InputError(f"{cache.path}: no sample of the {protocol} protocol"
                         + (f" in datasets {sorted(datasets)}" if datasets else ""))
    order = {name: i for i, name in enumerate(DATASET_ORDER)}
    return sorted(items, key=lambda item: (order.get(item.dataset, 9), item.subject, item.key))


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
