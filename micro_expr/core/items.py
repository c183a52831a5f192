"""Which cached clips a classification protocol uses (MEGC 2019 3 classes, 5 objective classes), as Items.

Every system that reads the region cache picks its clips here (STFF, CNN-LSTM, GIA + BIA), so they all run on the
same samples of a protocol.
"""
from data_prep.errors import InputError
from data_prep.labels import AU5_CLASSES, protocol_classes
from data_prep.objective_classes import ROMAN
from data_prep.protocols import DATASET_ORDER, MEGC_CASME2_EXCLUDED
from micro_expr.core.system import Item


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
