"""Folds as Ray tasks: same predictions as the local engine, a killed worker's fold retried, a two-node cluster."""
import json
import os
import sys
from pathlib import Path

import pytest

from micro_expr.core import engines
from micro_expr.core.runner import run_protocol
from micro_expr.stff.config import get_preset
from micro_expr.stff.system import STFF

pytestmark = pytest.mark.slow   # every test here trains folds or runs the CLI end to end

ray = pytest.importorskip("ray", reason="Ray is an optional extra: pip install -e '.[ray]'")

TINY = {"spatial.patches": 1, "spatial.epochs": 1, "spatial.batch_size": 8, "temporal.epochs": 2,
        "temporal.batch_size": 4, "temporal.sequence_length": 8}


def predictions(folder):
    return sorted((p["key"], p["predicted"], tuple(round(v, 5) for v in p["probabilities"]))
                  for f in sorted((folder / "folds").iterdir()) for p in json.loads((f / "predictions.json").read_text()))


def dies_once(system_class, config, request):
    """A fold task whose first call kills its worker (the marker file, from the task's environment, says so)."""
    marker = Path(os.environ["MER_TEST_FAIL_ONCE"])
    if request.fold_selection is not None and not marker.exists():
        marker.write_text(str(os.getpid()))
        os._exit(1)   # a worker that dies: Ray retries the task
    return engines._fold_task(system_class, config, request)


@pytest.fixture
def ray_env():
    yield
    if ray.is_initialized():
        ray.shutdown()


def test_a_two_node_cluster_trains_the_shared_stage_first_and_retries_a_killed_worker(tiny_cache, tmp_path, ray_env):
    """One test for the two Ray behaviours (a Ray run on this 2-core CI costs about 4 minutes): the `original`
    preset's shared spatial stage is trained once, before the folds, on a two-node cluster; the first fold task's
    worker dies and Ray runs that fold again; the predictions equal the local engine's."""
    import cloudpickle
    from ray.cluster_utils import Cluster

    config = get_preset("original", **TINY)
    local = run_protocol(STFF(config), tiny_cache, tmp_path / "local")
    marker = tmp_path / "worker_killed_once"
    cloudpickle.register_pickle_by_value(sys.modules[__name__])   # the workers need not import this test module
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    cluster.add_node(num_cpus=1)
    try:
        ray.init(address=cluster.address, log_to_driver=False,
                 runtime_env={"env_vars": {"MER_TEST_FAIL_ONCE": str(marker), "TF_CPP_MIN_LOG_LEVEL": "2"}})
        remote = run_protocol(STFF(config), tiny_cache, tmp_path / "ray", engine="ray", max_retries=2,
                              fold_task=dies_once)
    finally:
        ray.shutdown()
        cluster.shutdown()
    assert marker.exists()  # one fold task's worker died, and its fold was run again
    assert (tmp_path / "ray" / "spatial_shared" / "done.json").exists()
    assert predictions(tmp_path / "ray") == predictions(tmp_path / "local")
    assert remote["uf1"] == local["uf1"] and remote["n_samples"] == 9
