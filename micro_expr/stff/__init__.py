"""STFF (Aouayeb et al. 2022): patches of six facial regions -> shallow inception CNNs fused by SE -> per-region
LSTMs fused by a second SE block -> classifier, trained with focal loss.

- :mod:`~micro_expr.stff.config`: :class:`STFFConfig` and the presets ``paper``, ``original``, ``strict``;
- :mod:`~micro_expr.stff.models`: the Keras models in the paper's layout (per patch, per region) and, in
  :mod:`micro_expr.stff.models.fast`, the training layouts that compute the same (grouped convolutions, batched
  LSTMs) with the converters between the two;
- :mod:`~micro_expr.stff.training`: the spatial and temporal training stages; :mod:`~micro_expr.stff.losses`;
- :mod:`~micro_expr.stff.data`: which cached clips a protocol uses and the model inputs;
  :mod:`~micro_expr.stff.splits`: the code's 'frame50' split;
- :mod:`~micro_expr.stff.attention`, :mod:`~micro_expr.stff.plots`: what the SE gates attend to;
- :mod:`~micro_expr.stff.predict`, :mod:`~micro_expr.stff.clips`: a new video through a finished run;
- :mod:`~micro_expr.stff.system`: :class:`STFF`, the recognition system.
"""
