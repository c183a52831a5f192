"""Batches of augmented clips for ``Model.fit`` (Zhu et al. 2023, section 4.4)."""
import math

import numpy as np
from keras.utils import PyDataset

from micro_expr.gia_bia.inputs import augment, network_inputs


class AugmentedClips(PyDataset):
    """Shuffled batches; every clip gets a fresh random rotation and crop each epoch."""

    def __init__(self, X, y, config):
        super().__init__()
        self.X, self.y, self.config = X, y, config
        self.rng = np.random.default_rng(config.seed)
        self.order = self.rng.permutation(len(X))

    def __len__(self):
        return math.ceil(len(self.X) / self.config.batch_size)

    def __getitem__(self, index):
        chosen = self.order[index * self.config.batch_size:(index + 1) * self.config.batch_size]
        pairs = [augment(self.X[i]["clip"], self.X[i]["landmarks"], self.rng, self.config) for i in chosen]
        inputs = network_inputs([clip for clip, _ in pairs], [points for _, points in pairs], self.config)
        return tuple(inputs), self.y[chosen]

    def on_epoch_end(self):
        self.order = self.rng.permutation(len(self.X))
