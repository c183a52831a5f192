"""Windows (issue 25): no `fcntl`. Importing mer still works; every lock refuses in one line naming the reason."""
import importlib
import re
import sys

import pytest

from data_prep.errors import InputError


@pytest.fixture
def no_fcntl(monkeypatch):
    """The modules that lock, re-imported as on a system without fcntl; restored afterwards."""
    import data_prep.lock

    monkeypatch.setitem(sys.modules, "fcntl", None)   # `import fcntl` now raises ImportError, as on Windows
    lock = importlib.reload(data_prep.lock)
    yield lock
    monkeypatch.undo()
    importlib.reload(data_prep.lock)


def test_without_fcntl_the_modules_import_and_every_lock_refuses_in_one_line(no_fcntl, tmp_path, capsys):
    from data_prep.demo import build
    from micro_expr.cli import main
    from micro_expr.core import run_folder

    for module in (run_folder, build):
        importlib.reload(module)   # no module-level `import fcntl` left
    assert no_fcntl.fcntl is None
    message = "which this system lacks (Windows?): run it on Linux or macOS, or on Windows inside WSL"
    with pytest.raises(InputError, match=re.escape("fcntl.flock locks, " + message)):
        no_fcntl.FileLock(tmp_path / "cache.h5").acquire()
    assert not (tmp_path / "cache.h5.lock").exists()
    with pytest.raises(InputError, match="WSL"):
        with run_folder.file_lock(tmp_path / "run.lock"):
            pass
    assert not (tmp_path / "run.lock").exists()
    with pytest.raises(InputError, match="WSL"):
        build.build_demo_dataset(tmp_path / "demo", size="quick")
    # Through the CLI: `mer demo` stops before it builds anything, in one line, exit code 2.
    capsys.readouterr()
    assert main(["demo", "--quick", "--no-progress", "--out", str(tmp_path / "demo_out")]) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 1 and errors[0].startswith("mer demo: error: mer writes caches") and "WSL" in errors[0]
    assert not (tmp_path / "demo_out").exists()   # refused before anything is written
    with pytest.raises(InputError, match="WSL"):
        run_folder.RunFolder(tmp_path / "run").claim({"system": "stff", "config": {}, "folds": []})
    assert not (tmp_path / "run").exists()
