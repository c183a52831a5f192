"""STFF's predecessor as its own system: the CNN-LSTM of Aouayeb et al. 2021 (``--system cnn_lstm``).

Aouayeb et al. 2021 (first shown at IEEE MLSP 2019, Aouayeb et al. 2019) is
STFF's pipeline without STFF's additions, so this system *is* STFF with another
configuration: whole regions (m = 1), the head 1024 / 250 / 20 (the 20-d
spatial features), no SE block, region labels per emotion (its Table 1) and
focal loss with alpha = 1/2 (its Table 7). The presets are data:
``micro_expr.cnn_lstm.config.PRESET_OVERRIDES`` (docs/presets.md).

The one behaviour of its own: Table 1 labels a region by the clip's *emotion*,
which the sequence label does not carry, so :meth:`load_inputs` returns clips
that also carry their emotion, and the spatial stage's frame labels read it.
"""
from micro_expr.cnn_lstm.config import DEFAULT_PRESET, PRESETS, get_preset
from micro_expr.stff.data import region_targets
from micro_expr.papers import PAPERS
from micro_expr.stff.system import STFF


class EmotionClip(list):
    """A clip as STFF reads it (its frame stacks, one per model input), plus the coding sheet's emotion."""

    def __init__(self, stacks, emotion):
        super().__init__(stacks)
        self.emotion = emotion


class CNNLSTM(STFF):
    """The predecessor CNN-LSTM; training, prediction and checkpoints are STFF's."""

    name, label = "cnn_lstm", "CNN-LSTM"
    citation = PAPERS["Aouayeb et al. 2021"]
    # ``paper`` (the journal), ``mlsp2019`` (with the slides' schedules) or ``strict`` (CNNs per fold)
    presets, default_preset, get_preset = PRESETS, DEFAULT_PRESET, staticmethod(get_preset)


    def load_inputs(self, cache, items):
        return [EmotionClip(clip, item.emotion) for clip, item in zip(super().load_inputs(cache, items), items)]

    def _frame_labels(self, X, y, owner):
        """Per model input, every frame's region label: Aouayeb et al. 2021 Table 1, by the clip's emotion."""
        return [targets[owner] for targets in region_targets(y, self.config, _emotions(X))]


def _emotions(X):
    """The emotion of every clip, or None when a clip does not carry one (region_targets then says so)."""
    emotions = [getattr(clip, "emotion", None) for clip in X]
    return None if any(e is None for e in emotions) else emotions
