"""The held-out curve of the training curves: a fold's test loss per epoch, recorded without changing training."""
import numpy as np
import pytest

from micro_expr.core.items import protocol_items
from micro_expr.stff.config import get_preset
from micro_expr.stff.losses import class_weights
from micro_expr.stff.system import STFF
from micro_expr.stff.training import one_hot, sample_weights
from tests.helpers import TINY_SCHEDULE


@pytest.mark.slow
def test_held_out_loss_is_recorded_and_changes_nothing(tiny_cache):
    from data_prep.cache import RegionCache

    config = get_preset("strict", **TINY_SCHEDULE)
    with RegionCache(tiny_cache) as cache:
        items = protocol_items(cache, "megc")
        X = STFF(config).load_inputs(cache, items)
    y = np.array([item.label for item in items])
    train = [i for i, item in enumerate(items) if item.subject != items[-1].subject]
    test = [i for i, item in enumerate(items) if item.subject == items[-1].subject]
    plain = STFF(config).fit([X[i] for i in train], y[train])
    watched = STFF(config).fit([X[i] for i in train], y[train], eval_set=([X[i] for i in test], y[test]))
    # the same training: identical losses per epoch and identical held-out probabilities
    for stage in ("spatial", "temporal"):
        assert watched.history_[stage]["loss"] == plain.history_[stage]["loss"]
        assert "held_out_loss" not in plain.history_[stage]
    epochs = {"spatial": config.spatial.epochs, "temporal": config.temporal.epochs}
    assert {s: len(watched.history_[s]["held_out_loss"]) for s in epochs} == epochs
    probabilities = watched.predict_proba([X[i] for i in test])
    np.testing.assert_array_equal(probabilities, plain.predict_proba([X[i] for i in test]))
    # the last temporal value is the training loss of the final model on the held-out clips
    stage = watched._temporal
    loss = stage._losses[stage.OUTPUT]
    # strict's temporal focal loss: alpha from the training labels, as in training
    weights = sample_weights(class_weights(config, "temporal", config.n_classes, y[train]), y[test])
    expected = float(loss(one_hot(y[test], config.n_classes), probabilities, sample_weight=weights)) + \
        sum(float(v) for v in stage._model.losses)
    assert watched.history_["temporal"]["held_out_loss"][-1] == pytest.approx(expected, rel=1e-4, abs=1e-6)
    # a second fold on the same estimator (as the runner does) re-traces nothing: one held-out function per
    # stage, traced once, and the same curves (each fold restarts from the same weights)
    first = {s: list(watched.history_[s]["held_out_loss"]) for s in epochs}
    watched.fit([X[i] for i in train], y[train], eval_set=([X[i] for i in test], y[test]))
    for stage in (watched._spatial, watched._temporal):
        (traced,) = stage._held_out_steps.values()
        assert traced.experimental_get_tracing_count() == 1
    assert {s: watched.history_[s]["held_out_loss"] for s in epochs} == first


def test_training_curves_draw_every_epoch_and_the_held_out_curve_dashed():
    from micro_expr.core.plots import plot_training_curves

    histories = {f"casme2/sub0{i}": {"spatial": {"loss": [0.7 + i / 100], "held_out_loss": [0.8]},
                                     "temporal": {"loss": [1.0, 0.5, 0.2], "held_out_loss": [1.1, 0.9, 0.95]}}
                 for i in (1, 2)}
    figure = plot_training_curves(histories, title="STFF (Aouayeb et al. 2022), synthetic demo data")
    spatial, temporal = figure.axes[:2]
    assert [line.get_linestyle() for line in temporal.lines] == ["-", "--"] * 2
    assert all(line.get_marker() in ("o", "s") for line in spatial.lines + temporal.lines)
    assert list(spatial.get_xticks()) == [1] and list(temporal.get_xticks()) == [1, 2, 3]   # no epoch 1.5
    assert spatial.lines[0].get_xdata()[0] < 1 < spatial.lines[1].get_xdata()[0]   # one epoch: side by side
    assert spatial.get_ylim() == (0, pytest.approx(1.05 * 0.8))   # the highest point whole, not on the top edge
    assert list(temporal.lines[1].get_ydata()) == [1.1, 0.9, 0.95]
    assert "held-out fold (dashed)" in temporal.get_title()
    assert [t.get_text() for t in temporal.get_legend().get_texts()][-2:] == ["training", "held-out fold"]
    assert figure._suptitle.get_text().endswith("synthetic demo data")


def test_figure_titles_are_words():
    from micro_expr.core.results import DEMO_NOTE, run_title, short_citation
    from micro_expr.papers import PAPERS

    assert short_citation(PAPERS["STFF"]) == "Aouayeb et al. 2022"
    assert short_citation(PAPERS["MEAN"]) == "Liong et al. 2023"
    run = {"config": {"preset": "strict", "protocol": "megc"}, "folds_kind": "loso", "cache": "/r/cache.h5"}
    assert run_title("STFF", PAPERS["STFF"], run, DEMO_NOTE) == (
        "STFF (Aouayeb et al. 2022), preset strict, MEGC 2019 3 classes, leave-one-subject-out, synthetic demo data")
    assert run_title("STFF", PAPERS["STFF"], run).endswith("leave-one-subject-out, data r/cache.h5")
    # a partial merge says so in every figure's title, and a cache with its own name is named alone
    partial = {**run, "cache": "/r/megc_casme2.h5", "partial": "4 of 8 folds"}
    assert run_title("STFF", PAPERS["STFF"], partial).endswith(
        "leave-one-subject-out, data megc_casme2.h5, partial: 4 of 8 folds")
