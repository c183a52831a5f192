"""The Ray engine's retry policy for dead workers (issue 23 item 7), with a fake Ray in this process: memory kills
are bounded by --max-retries as crashes are, the last one is one line, other errors are not retried.

(The real Ray runs in tests/test_ray_engine.py, slow; these need only Ray's exception classes.)
"""
import sys
import types

import pytest

from data_prep.errors import InputError
from micro_expr.core import engines
from micro_expr.core.runner import run_protocol
from tests.helpers import install_fake_cache

rex = pytest.importorskip("ray.exceptions", reason="Ray is an optional extra: pip install -e '.[ray]'")


class Ref:
    def __init__(self, value=None, error=None):
        self.value, self.error = value, error


def fake_ray(monkeypatch, node_memory=2 * 1024**3):
    """A ray module that runs each task at once in this process and records the options tasks were made with."""
    ray = types.SimpleNamespace(exceptions=rex, options=[], started=[])

    def remote(**options):
        ray.options.append(options)

        def wrap(function):
            def submit(*args):
                try:
                    return Ref(function(*args))
                except Exception as error:
                    return Ref(error=error)
            return types.SimpleNamespace(remote=submit)
        return wrap

    def get(ref):
        if ref.error is not None:
            raise ref.error
        return ref.value

    ray.remote, ray.get = remote, get
    ray.wait = lambda refs, num_returns=1: (refs[:1], refs[1:])
    ray.is_initialized = lambda: bool(ray.started)
    ray.init = lambda **kwargs: ray.started.append(kwargs)
    ray.shutdown = lambda: ray.started.clear()
    ray.nodes = lambda: [{"Alive": True, "Resources": {"memory": node_memory}}]
    ray.cluster_resources = lambda: {"CPU": 2}
    monkeypatch.setitem(sys.modules, "ray", ray)
    return ray


def mean_system():
    from micro_expr.mean.system import MEAN

    return MEAN.from_preset("paper", epochs_spot=1, epochs_recog=1)


def failing_task(failures):
    """A fold task that raises the next error of ``failures[fold index]`` (then succeeds); records its calls."""
    calls = []

    def task(system_class, config, request):
        calls.append(request.fold_selection)
        queue = failures.get(request.fold_selection, [])
        if queue:
            raise queue.pop(0)
        return request.fold_selection
    return task, calls


def test_memory_kills_and_crashes_are_retried_at_most_max_retries_times(monkeypatch, tmp_path, capsys):
    ray = fake_ray(monkeypatch)
    install_fake_cache(monkeypatch, subjects=("s1", "s2"))
    task, calls = failing_task({"0": [rex.OutOfMemoryError("node low on memory"), rex.WorkerCrashedError()]})
    assert run_protocol(mean_system(), "fake.h5", tmp_path / "run", engine="ray", max_retries=2,
                        fold_task=task) is None   # the fake task trains nothing: nothing to merge
    assert sorted(calls) == ["0", "0", "0", "1"]        # fold 0: killed twice, third try succeeded
    # Ray's own retries are off (the policy is the only one) and each task reserves a fold's memory, capped at
    # what the node offers (else Ray would never place it).
    assert ray.options == [{"max_calls": 1, "max_retries": 0, "num_cpus": 1, "num_gpus": 0,
                            "memory": 2 * 1024**3}]
    assert "WARNING: --engine ray on one machine: the local engine is faster here" in capsys.readouterr().err


def test_a_fold_killed_more_often_than_allowed_ends_in_one_line_naming_it(monkeypatch, tmp_path):
    fake_ray(monkeypatch)
    install_fake_cache(monkeypatch, subjects=("s1", "s2"))
    kills = [rex.OutOfMemoryError("node low on memory") for _ in range(12)]   # the 12 kills
    task, calls = failing_task({"1": kills})
    with pytest.raises(InputError, match=r"ray: fold smic/s2: its worker was killed 3 time\(s\) \(out of memory, "
                                         r"out of memory, out of memory\), more than --max-retries 2; the finished "
                                         r"folds are kept .* a fold needs about 3 GB"):
        run_protocol(mean_system(), "fake.h5", tmp_path / "run", engine="ray", max_retries=2, fold_task=task)
    assert calls.count("1") == 3 and len(kills) == 9

    task, calls = failing_task({"0": [rex.WorkerCrashedError()]})
    with pytest.raises(InputError, match=r"killed 1 time\(s\) \(worker died\), more than --max-retries 0; .*logs"):
        run_protocol(mean_system(), "fake.h5", tmp_path / "run0", engine="ray", max_retries=0, fold_task=task)


def test_other_task_errors_are_not_retried(monkeypatch, tmp_path):
    fake_ray(monkeypatch)
    install_fake_cache(monkeypatch, subjects=("s1", "s2"))
    task, calls = failing_task({"0": [InputError("bad input in the fold")]})
    with pytest.raises(InputError, match="bad input in the fold"):
        run_protocol(mean_system(), "fake.h5", tmp_path / "run", engine="ray", max_retries=2, fold_task=task)
    assert calls.count("0") == 1   # not submitted again (fold 1 was already under way)
    with pytest.raises(InputError, match="--max-retries must be >= 0, got -1"):
        engines.RetryPolicy(-1)
