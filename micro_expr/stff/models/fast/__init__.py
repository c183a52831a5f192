"""STFF's training layouts: the same models as :mod:`micro_expr.stff.models` computes them, arranged to train fast.

- :mod:`~micro_expr.stff.models.fast.grouped_conv`: the m patch encoders as grouped convolutions;
- :mod:`~micro_expr.stff.models.fast.region_lstms`: the six region LSTMs as one batched recurrence;
- :mod:`~micro_expr.stff.models.fast.convert`: weights from one layout to the other.

Checkpoints are always saved in the paper's layout; tests/test_fast_layouts.py checks that both layouts give the
same outputs and gradients for the same weights.
"""
