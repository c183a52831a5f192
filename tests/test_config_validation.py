"""Every configuration field is checked when the config is built: one ValueError naming field and value."""
import pytest

from micro_expr.stff.config import PRESETS, STFFConfig, get_preset
from micro_expr.cli import main

BAD = [
    ("spatial.epochs", -1), ("spatial.epochs", 0), ("temporal.epochs", 2.5), ("spatial.epochs", "ten"),
    ("spatial.epochs", True), ("spatial.batch_size", 0), ("temporal.batch_size", -4),
    ("temporal.sequence_length", -1), ("temporal.sequence_length", 0), ("spatial.dropout", 1.5),
    ("spatial.dropout", 1), ("temporal.lstm_dropout", -0.1), ("temporal.dropout", "half"),
    ("spatial.learning_rate", 0), ("temporal.learning_rate", -1e-4), ("seed", -1), ("seed", 1.5),
    ("temporal.units", 0), ("temporal.head_units", -256), ("spatial.head_units", ()),
    ("spatial.head_units", (2048, 0)), ("spatial.shuffle_buffer", -1), ("spatial.split_fraction", 1.0),
    ("spatial.split_seed", -3), ("spatial.focal_gamma", -2), ("temporal.dense_l1", -1e-5),
    ("spatial.conv_init", 0.0), ("temporal.lstm_init", ""), ("temporal.masking", "yes"),
    ("region_labels", 1), ("spatial.original_se_filters", 0), ("temporal.se_ratio", 0),
]


@pytest.mark.parametrize("key, value", BAD)
def test_a_bad_value_is_refused_naming_field_and_value(key, value):
    with pytest.raises(ValueError) as caught:
        get_preset("strict", **{key: value})
    message = str(caught.value)
    assert key in message and repr(value) in message, message


@pytest.mark.parametrize("preset", PRESETS)
def test_presets_and_their_dicts_are_valid(preset):
    config = get_preset(preset)
    assert STFFConfig.from_dict(config.to_dict()) == config


def test_good_edge_values_pass():
    config = get_preset("strict", **{"spatial.epochs": 1, "spatial.dropout": 0.0, "seed": 0,
                                     "temporal.sequence_length": 1, "spatial.learning_rate": 1})
    assert (config.spatial.epochs, config.seed, config.spatial.learning_rate) == (1, 0, 1)


@pytest.mark.parametrize("options, field", [(["--set", "unknown=1"], "unknown"),
                                            (["--set", "spatial.epochs=-1"], "spatial.epochs"),
                                            (["--seed", "-1"], "seed")])
def test_demo_refuses_a_bad_setting_at_once_without_claiming_its_folder(tmp_path, capsys, options, field):
    out = tmp_path / "demo"
    assert main(["demo", "--quick", "--out", str(out), "--no-progress", *options]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mer demo: error: configuration:") and field in err and err.count("\n") == 1
    assert not out.exists()


def test_demo_out_below_a_file(tmp_path, capsys):
    (tmp_path / "a_file").write_text("x")
    assert main(["demo", "--quick", "--out", str(tmp_path / "a_file" / "demo"), "--no-progress"]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err
