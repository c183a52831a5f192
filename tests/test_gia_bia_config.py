"""gia_bia configuration: bad values refused before any work, naming the field; the start-of-run warning
and cost line (Zhu et al. 2023 system, docs/gia_bia.md)."""
import logging

import pytest

from micro_expr.gia_bia.config import get_preset
from tests.helpers import GIA_BIA_TINY as TINY


@pytest.mark.parametrize("field, value", [("seed", -1), ("seed", 1.5), ("learning_rate", -1), ("learning_rate", 0),
                                          ("head_units", "abc"), ("head_units", (64, "x")), ("head_units", 64), ("seed", "7"),
                                          ("frames", 0), ("chin_height", 0.2), ("clip_source", "video"),
                                          ("gia_start", "conv3_1"), ("l2", -1e-5)])
def test_a_bad_value_is_refused_naming_its_field(field, value):
    with pytest.raises(ValueError, match=field if field != "chin_height" else "chin_height"):
        get_preset("quick", **{field: value})


def test_head_units_from_a_saved_list_are_kept():
    assert get_preset("quick", head_units=[32, 16]).head_units == (32, 16)


@pytest.mark.parametrize("option, field", [(["--seed", "-1"], "seed"), (["--set", "seed=-1"], "seed"),
                                           (["--set", "learning_rate=-1"], "learning_rate"),
                                           (["--set", "head_units=abc"], "head_units"),
                                           (["--set", "frames=50"], "frames")])
def test_mer_train_refuses_before_claiming_the_folder(tiny_cache, tmp_path, capsys, option, field):
    from micro_expr.cli import main

    out = tmp_path / "run"
    code = main(["train", "--system", "gia_bia", "--preset", "quick", "--cache", str(tiny_cache), "--out", str(out)]
                + option)
    assert code == 2
    error = capsys.readouterr().err
    assert f"{field}" in error and "Traceback" not in error, error
    if field == "frames":
        assert "6 cached frames" in error      # the tiny cache's clips have 6 frames
    assert not (out / "run.json").exists()


def test_a_run_without_weights_warns_and_prints_its_cost_before_training(tiny_cache, capsys, caplog):
    from data_prep.cache import RegionCache
    from micro_expr.gia_bia.system import VGG16_FILES, GiaBia

    system = GiaBia(get_preset("quick", **{**TINY, "frames": 4},
                               frames_roots=f"casme2={tiny_cache.parent / 'casme2'}"))
    with caplog.at_level(logging.INFO, logger="micro_expr"), RegionCache(tiny_cache) as cache:
        items = system.protocol_items(cache)
    printed = capsys.readouterr().out
    assert len(items) == 9
    assert "RANDOM BACKBONE" in printed and "backbone_weights=FILE" in printed
    assert VGG16_FILES["vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"] in printed
    assert "cost: one training step" in printed and "hours" in printed and "2 of 3 LOSO folds" in printed
    assert any(r.levelno == logging.WARNING and "RANDOM BACKBONE" in r.getMessage() for r in caplog.records)


def test_without_frames_roots_the_run_is_refused_naming_the_field(tiny_cache, tmp_path):
    from data_prep.cache import RegionCache
    from data_prep.errors import InputError
    from micro_expr.gia_bia.system import GiaBia

    system = GiaBia(get_preset("quick", **{**TINY, "frames": 4}, clip_cache=str(tmp_path / "clips.h5")))
    with RegionCache(tiny_cache) as cache, pytest.raises(InputError, match="frames_roots.*casme2=DIR"):
        system.protocol_items(cache)


def test_cost_hours_from_a_step():
    from micro_expr.gia_bia.cost import run_hours

    # 2 s per clip-step, 100 epochs, 442 clips, 68 LOSO folds: 100 x 442 x 67 x 2 s = 1645 h
    assert run_hours(2.0, 100, 442, 68) == pytest.approx(100 * 442 * 67 * 2 / 3600)
