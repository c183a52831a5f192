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


def mer_train_args(*argv):
    """The options as `mer train` itself parses them (no --system default of its own)."""
    from micro_expr.cli import build_parser

    return build_parser().parse_args(["train", "--out", "unused", *argv])


def test_a_run_json_alone_gives_its_system_and_configuration_back(monkeypatch, tmp_path):
    """`mer train --config runs/old/run.json` without --system: the run.json the runner wrote (plan_run, claim)
    names MEAN, so the configuration comes back as MEAN's, field for field; --system stff is refused by name."""
    from micro_expr.core.plan import RunRequest, open_data, plan_run
    from micro_expr.core.run_folder import RunFolder
    from micro_expr.mean.system import MEAN
    from tests.helpers import install_fake_cache

    install_fake_cache(monkeypatch, subjects=("s1", "s2"))
    trained = MEAN.from_preset("paper", epochs_spot=3, epochs_recog=7, seed=5)
    request = RunRequest(trained, "fake.h5", tmp_path / "old")
    with open_data(request.source) as cache:
        description = plan_run(request, cache)[2]
    RunFolder(request.out).claim(description)
    run_json = tmp_path / "old" / "run.json"

    args = mer_train_args("--config", str(run_json))
    assert args.system is None and train.system_name_of(args) == "mean"
    again = train.system_from_args(args, None)
    assert type(again) is MEAN and again.config == trained.config
    assert again.config.to_dict() == json.loads(run_json.read_text())["config"]
    with pytest.raises(InputError, match=r"a mean configuration, but --system is stff \(add --system mean\)"):
        train.system_from_args(mer_train_args("--system", "stff", "--config", str(run_json)), "megc")
    # no --config: the default system, as before
    assert train.system_name_of(mer_train_args("--cache", "c.h5")) == "stff"
