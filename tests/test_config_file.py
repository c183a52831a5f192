"""`mer config` writes a configuration that `mer train --config` reads back; one --set rule for every system."""
import argparse
import json

import pytest

from data_prep.errors import InputError
from micro_expr.cli import main
from micro_expr.commands import train
from micro_expr.registry import SYSTEMS, system_class


def train_args(*argv):
    parser = argparse.ArgumentParser()
    train.add_arguments(parser, long_videos=True)
    parser.add_argument("--system", default="stff")
    return parser.parse_args(["--out", "unused", *argv])


@pytest.mark.parametrize("name", sorted(SYSTEMS))
def test_a_written_configuration_comes_back_with_its_changes(name, tmp_path, capsys):
    cls = system_class(name)
    preset = cls.presets[-1]
    changed = {"stff": "spatial.epochs=3", "cnn_lstm": "temporal.epochs=5", "mean": "epochs_spot=2",
               "gia_bia": "epochs=4"}[name]
    path = tmp_path / "config.json"
    assert main(["config", "--system", name, "--preset", preset, "--set", changed, "--out", str(path)]) == 0
    written = json.loads(path.read_text())
    assert written["system"] == name and written["config"]["preset"] == cls.make_config(preset).preset
    protocol = "megc" if name != "mean" else None
    system = train.system_from_args(train_args("--system", name, "--config", str(path)), protocol)
    expected = cls.from_preset(preset, **train.overrides_from_set([changed]),
                               **(cls.protocol_overrides(protocol) if protocol else {}))
    assert system.config == expected.config
    # --set on top of the file, and a run.json read the same way
    again = train.system_from_args(train_args("--system", name, "--config", str(path), "--set", "seed=11"), protocol)
    assert again.config.seed == 11 and again.config.preset == expected.config.preset


@pytest.mark.parametrize("name", sorted(SYSTEMS))
def test_every_system_refuses_an_unknown_key_with_one_message(name):
    with pytest.raises(InputError) as caught:
        system_class(name).from_preset(None, **{"nonsense.seed": 7})
    message = str(caught.value)
    assert message.startswith("configuration: unknown configuration key 'nonsense.seed': ")
    assert f"{system_class(name).config_class.__name__} has no field 'nonsense' (fields: preset" in message


def test_a_config_file_of_another_system_or_damaged_is_named(tmp_path):
    path = tmp_path / "c.json"
    main(["config", "--system", "mean", "--out", str(path)])
    with pytest.raises(InputError, match=r"a mean configuration, but --system is stff \(add --system mean\)"):
        train.system_from_args(train_args("--config", str(path)), "megc")
    path.write_text("{broken")
    with pytest.raises(InputError, match="not a JSON configuration file"):
        train.system_from_args(train_args("--config", str(path)), "megc")
    path.write_text(json.dumps({"system": "stff", "config": {"spatial": {"patchez": 4}}}))
    with pytest.raises(InputError, match=r"unknown SpatialConfig fields: \['patchez'\]"):
        train.system_from_args(train_args("--config", str(path)), "megc")
