"""STFF's predecessor, the CNN-LSTM of Aouayeb et al. 2021 (first shown at IEEE MLSP 2019).

It is STFF's pipeline with another configuration (:mod:`~micro_expr.cnn_lstm.config`: whole regions, the classic
head, no SE, region labels per emotion), so :class:`~micro_expr.cnn_lstm.system.CNNLSTM` reuses STFF's training,
prediction and checkpoints.
"""
