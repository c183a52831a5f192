"""`mer train --system mean --demo`: MEAN on the bundled demo through the common runner (clips longer than k)."""
import pytest

from micro_expr.cli import main


@pytest.mark.parametrize("argv, why", [(["--system", "stff", "--protocol", "megc"], "the other systems' demo is `mer demo`"),
                                       (["--system", "mean", "--cache", "x.h5"], "no --cache"),
                                       (["--system", "mean", "--protocol", "long-video"], "no --protocol")])
def test_demo_is_means_and_refused_otherwise_before_anything_is_built(argv, why, tmp_path, capsys):
    assert main(["train", "--demo", "--out", str(tmp_path / "run"), *argv]) == 2
    assert why in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


@pytest.mark.slow
def test_the_demo_cache_holds_every_frame_so_clips_are_longer_than_k(pyfeat_wheel, tmp_path, monkeypatch):
    from data_prep.cache import RegionCache
    from data_prep.demo import build
    from micro_expr.mean import demo
    from micro_expr.mean.config import get_preset
    from micro_expr.mean.pipeline import flow_k

    real_build = build.build_demo_dataset

    def small_build(out_dir, seed=0, size="quick", **kwargs):  # 2 people x 3 clips instead of the quick demo
        return real_build(tmp_path / "demo", seed=seed, size=size, subjects=2, samples_per_subject=3)

    monkeypatch.setattr(build, "build_demo_dataset", small_build)
    cache = demo.demo_cache(tmp_path / "run", progress=False)
    with RegionCache(cache) as opened:
        infos = [opened.info(key) for key in opened.keys]
        assert opened.face(opened.keys[0], frames=slice(0, 1)) is not None    # MEAN reads the face canvases
    k = flow_k(get_preset("paper"), infos[0].fps)
    assert k == 20 and min(info.n_frames for info in infos) > k
    assert all(info.frame_selection == "all" for info in infos)


def test_demo_trains_mean_on_its_cache_with_the_codes_schedule_unless_set(tmp_path, monkeypatch):
    import micro_expr.core.runner
    from micro_expr.mean import demo

    calls = []
    monkeypatch.setattr(demo, "demo_cache", lambda out, **kw: tmp_path / "run" / "cache.h5")
    monkeypatch.setattr(micro_expr.core.runner, "run_protocol",
                        lambda system, cache, out, **kw: calls.append((system.config, cache, kw)))
    assert main(["train", "--system", "mean", "--demo", "--out", str(tmp_path / "run"), "--folds", "0"]) == 0
    config, cache, options = calls[-1]
    assert (config.epochs_spot, config.epochs_recog) == (10, 100) and cache == str(tmp_path / "run" / "cache.h5")
    assert "bundled quick demo" in options["note"] and options["fold_selection"] == "0"
    assert main(["train", "--system", "mean", "--demo", "--out", str(tmp_path / "run"), "--set", "epochs_spot=3"]) == 0
    assert (calls[-1][0].epochs_spot, calls[-1][0].epochs_recog) == (3, 100)
