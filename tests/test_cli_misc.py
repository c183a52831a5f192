"""The newcomer's path through `mer`: version, quiet TensorFlow start-up, checkpoint errors, summary width."""
import os
import subprocess
import sys
import zipfile

import pytest

from micro_expr import __version__
from micro_expr.cli import main
from tests.helpers import REPO

ENV = {**os.environ, "PYTHONPATH": str(REPO)}
NOISE = ("oneDNN", "cuInit", "absl::InitializeLog", "cuda drivers", "cpu_feature_guard")


def test_version(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out.strip() == f"mer (micro_expr) {__version__}"


@pytest.mark.slow
def test_tensorflow_start_up_noise_is_filtered_and_real_messages_pass():
    script = ("from micro_expr.native_logs import quiet_native_logs; quiet_native_logs()\n"
              "import sys, warnings, tensorflow as tf\n"
              "tf.zeros(1)\n"
              "warnings.warn('a real warning')\n"
              "print('progress\\r50%\\r100%', file=sys.stderr)\n")
    done = subprocess.run([sys.executable, "-c", script], env=ENV, capture_output=True, timeout=300)
    err = done.stderr.decode()  # bytes as written: text mode would turn the progress bar's \r into \n
    assert done.returncode == 0, err
    assert not [word for word in NOISE if word in err], err
    assert "UserWarning: a real warning" in err and "progress\r50%\r100%" in err


def test_the_onednn_bool_line_is_dropped_even_inside_a_progress_bar():
    """Issue 25: the first masked LSTM step on a CPU without AVX-512 printed TensorFlow's `E ... util.cc:131] oneDNN
    supports DT_BOOL ...` into the bar (the line as TF 2.20 writes it here, in both log formats)."""
    import threading

    from micro_expr.native_logs import _copy

    tsl = (b"2026-12-01 23:17:50.786584: E tensorflow/core/util/util.cc:131] oneDNN supports DT_BOOL only on "
           b"platforms with AVX-512. Falling back to the default Eigen-based implementation if present.")
    absl = b"E0000 00:00:1764620270.786584   12345 util.cc:131] oneDNN supports DT_BOOL only on platforms with AVX-512."
    written = (b"epochs:  50%|##   | 1/2\r" + tsl + b"\n" + absl + b"\n"
               b"epochs:  60%|###" + tsl + b"\n\repochs: 100%\nE tensorflow/core/util/util.cc:1] a real error\n")
    source, sink = os.pipe()
    result, target = os.pipe()
    copier = threading.Thread(target=_copy, args=(source, target))
    copier.start()
    os.write(sink, written)
    os.close(sink)
    copier.join(10)
    os.close(target)
    assert os.read(result, 100_000) == (b"epochs:  50%|##   | 1/2\repochs:  60%|###\repochs: 100%\n"
                                        b"E tensorflow/core/util/util.cc:1] a real error\n")


@pytest.fixture(scope="module")
def keras_file(tmp_path_factory):
    keras = pytest.importorskip("keras")
    path = tmp_path_factory.mktemp("ckpt") / "model.keras"
    keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]).save(path)
    return path


def test_checkpoint_inspect_explains_damaged_archives_folders_and_wrong_files(keras_file, tiny_cache, tmp_path,
                                                                              capsys):
    data = keras_file.read_bytes()
    (tmp_path / "cut.keras").write_bytes(data[: len(data) // 2])
    flipped = bytearray(data)
    with zipfile.ZipFile(keras_file) as archive:  # damage the weights inside, past their zip header
        info = archive.getinfo("model.weights.h5")
    flipped[info.header_offset + 100] ^= 0xFF
    (tmp_path / "flip.keras").write_bytes(bytes(flipped))
    for name, expected in (("cut.keras", "damaged .keras archive (a zip file that is cut short or corrupt"),
                           ("flip.keras", "damaged .keras archive"),
                           (".", "is a folder; give a checkpoint file in it"),
                           ("cache", "a region cache written by `mer prepare`")):
        path = tiny_cache if name == "cache" else tmp_path / name
        assert main(["checkpoint", "inspect", str(path)]) == 2, name
        err = capsys.readouterr().err
        assert expected in err and "File not found" not in err and err.count("\n") == 1, err
    assert main(["checkpoint", "inspect", str(keras_file)]) == 0


@pytest.mark.slow
def test_summary_tables_are_not_cut_when_piped():
    done = subprocess.run([sys.executable, "-m", "micro_expr.cli", "summary", "--patches", "1"], env=ENV,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    table_lines = [line for line in done.stdout.splitlines() if line.startswith(("┃", "│"))]
    assert table_lines and max(map(len, table_lines)) > 80
    assert "…" not in done.stdout  # rich marks a cut cell with an ellipsis
    assert not [word for word in NOISE if word in done.stderr], done.stderr[-2000:]


@pytest.mark.parametrize("system, why", [("mean", "optical flow of whole videos"),
                                         ("gia_bia", "eye-aligned key-region clips")])
def test_predict_says_in_one_line_why_a_system_cannot_take_a_new_video(system, why, tmp_path, capsys):
    import json

    from micro_expr.registry import system_class

    run = tmp_path / "run"
    run.mkdir()
    config = system_class(system).from_preset(None).config.to_dict()
    (run / "run.json").write_text(json.dumps({"system": system, "config": config, "folds": []}))
    assert main(["predict", "--run", str(run), str(tmp_path / "clip.mp4"), "--out", str(tmp_path / "p")]) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and f"a {system} run; `mer predict` cannot run {system}" in error and why in error
    assert not (tmp_path / "p").exists()


def test_help_texts_name_every_option_and_each_systems_presets():
    """Issue 25: `mer demo --preset`, `--no-progress`, `mer prepare --out` had no help; `mer train --preset` now
    lists each system's presets, which must be the classes' own (registry.PRESETS spares importing them)."""
    import argparse

    from micro_expr.cli import build_parser
    from micro_expr.registry import PRESETS, SYSTEMS, system_class

    for name in SYSTEMS:
        cls = system_class(name)
        assert PRESETS[name][0] == cls.default_preset and set(PRESETS[name]) == set(cls.presets), name
    commands = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)).choices
    undocumented = [f"mer {command} {action.option_strings[-1]}" for command in ("demo", "prepare", "train", "predict")
                    for action in commands[command]._actions if action.option_strings and not action.help]
    assert undocumented == []
    helps = {command: {a.option_strings[-1]: a.help for a in commands[command]._actions if a.option_strings}
             for command in ("demo", "prepare", "train")}
    assert ("stff: strict (default), paper, original; mean: paper (default), original; gia_bia: paper (default), "
            "quick; cnn_lstm: paper (default), mlsp2019, strict") in helps["train"]["--preset"]
    assert "trained inside each fold" in helps["demo"]["--preset"]
    assert "an existing cache with the same settings is completed" in helps["prepare"]["--out"]
