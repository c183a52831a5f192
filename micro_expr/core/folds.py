"""The folds of a run: leave-one-subject-out, cross-dataset, and ``--folds`` selections."""
import re
from dataclasses import dataclass

import numpy as np

from data_prep.errors import InputError
from micro_expr.core.run_folder import fold_folder_name


@dataclass(frozen=True)
class Fold:
    """One train/test split: ``name`` is the held-out subject (LOSO) or the test dataset."""

    index: int
    name: str
    train: tuple   # item indices
    test: tuple

    @property
    def folder(self):
        return fold_folder_name(self.index, self.name)

    def entry(self, items):
        """The fold as run.json records it."""
        return {"index": self.index, "name": self.name, "test": [items[i].key for i in self.test]}


def loso_folds(items, order=sorted):
    """Leave-one-subject-out folds, one per subject group, in ``order`` of the groups.

    With the default order this is sklearn's LeaveOneGroupOut (groups sorted; tests/test_splits.py checks it).
    """
    groups = np.array([item.subject for item in items])
    folds = []
    for index, group in enumerate(order(set(groups.tolist()))):
        test = np.flatnonzero(groups == group)
        train = np.flatnonzero(groups != group)
        folds.append(Fold(index, str(group), tuple(int(i) for i in train), tuple(int(i) for i in test)))
    return folds


def cross_dataset_folds(items, train_datasets, test_dataset):
    """One fold: train on ``train_datasets``, test on ``test_dataset`` (Aouayeb et al. 2021, Tables 12-13)."""
    train = tuple(i for i, item in enumerate(items) if item.dataset in train_datasets)
    test = tuple(i for i, item in enumerate(items) if item.dataset == test_dataset)
    if not train or not test:
        raise InputError(f"cross-dataset: no samples to train on ({sorted(train_datasets)}) "
                         f"or to test on ({test_dataset})")
    return [Fold(0, f"{'+'.join(sorted(train_datasets))}_to_{test_dataset}", train, test)]


def index_range(part, option, noun):
    """One part of a comma-separated selection: "3" -> [3], "0-4" -> [0, ..., 4]; None when it is neither
    (a fold name, say). ``option`` and ``noun`` name it in the error for an empty range."""
    if re.fullmatch(r"\d+-\d+", part):
        low, high = map(int, part.split("-"))
        if low > high:
            raise InputError(f"{option}: range {part!r} is empty (write the smaller {noun} first, e.g. {high}-{low})")
        return list(range(low, high + 1))
    return [int(part)] if part.isdigit() else None


def select_folds(folds, selection):
    """Folds picked by ``selection``: None (all), or indices / ranges / names like "0-3,7,casme2/sub05"."""
    if not selection:
        return folds
    chosen = set()
    for part in str(selection).split(","):
        part = part.strip()
        indices = index_range(part, "--folds", "index")
        if indices is None:
            indices = [f.index for f in folds if f.name == part]
            if not indices:
                raise InputError(f"--folds: unknown fold {part!r}; folds are 0..{len(folds) - 1} "
                                 f"or subjects such as {folds[0].name}")
        chosen.update(indices)
    unknown = sorted(chosen - {f.index for f in folds})
    if unknown:
        raise InputError(f"--folds: no fold {unknown}; this run has folds 0..{len(folds) - 1}")
    return [f for f in folds if f.index in chosen]
