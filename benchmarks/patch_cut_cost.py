"""What cutting (and resizing) the patches costs: one pass of data_prep.pipeline.frame_dataset, no model.

    python -m benchmarks.patch_cut_cost [--frames 766] [--repeats 3]

Random uint8 frames of the quick demo cache's region sizes (the ``canvas`` boxes: R0-R2 are resized to the
strict preset's 3 x 3 patch grid, R3-R5 are not), the strict preset (m = 9): the training pipeline (batch 16,
shuffle buffer 400, targets and weights) and the features pipeline (batch 256), iterated once each, medians
of wall and CPU seconds after a first, warming pass. Also prints the bytes a frame takes as uint8 regions
and as float32 patches (what a cache of cut patches would hold).
"""
import argparse
import os
import statistics
import time


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=766, help="frames (default: a quick-demo fold's training frames)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    import micro_expr  # noqa: F401  (TensorFlow defaults)
    import numpy as np

    from data_prep.pipeline import frame_dataset
    from data_prep.regions import region_sizes
    from micro_expr.stff.config import get_preset

    cfg = get_preset("strict")
    rng = np.random.default_rng(0)
    n = args.frames
    arrays = [rng.integers(0, 256, (n, h, w, 3), dtype=np.uint8) for h, w in region_sizes("canvas")]
    targets = [np.eye(3, dtype=np.float32)[rng.integers(0, 3, n)] for _ in cfg.region_names]
    weights = [np.ones(n, np.float32) for _ in cfg.region_names]
    ways = {"training (batch 16, shuffled)": dict(batch_size=16, targets=targets, weights=weights,
                                                  shuffle_buffer=cfg.spatial.shuffle_buffer, seed=0),
            "features (batch 256)": dict(batch_size=256)}
    print(f"load before {os.getloadavg()}, {os.cpu_count()} cores; {n} frames, m = {cfg.spatial.patches}")
    for label, options in ways.items():
        times = []
        for _ in range(args.repeats + 1):
            wall, cpu = time.perf_counter(), time.process_time()
            for _ in frame_dataset(arrays, cfg.region_names, cfg.spatial.patches, cfg.patch_sizes,
                                   antialias=cfg.spatial.resize_antialias, **options):
                pass
            times.append((time.perf_counter() - wall, time.process_time() - cpu))
        times = times[1:]
        print(f"  {label:<30} {statistics.median(t[0] for t in times):6.2f} s wall "
              f"{statistics.median(t[1] for t in times):6.2f} CPU-s")
    uint8 = sum(h * w * 3 for h, w in region_sizes("canvas"))
    side = int(round(cfg.spatial.patches ** 0.5))
    float32 = sum(side * h * side * w * 3 * 4 for h, w in cfg.patch_sizes)
    print(f"  a frame: {uint8 / 1e3:.0f} KB as uint8 regions, {float32 / 1e3:.0f} KB as float32 patches "
          f"({float32 / uint8:.1f}x)")
    print(f"load after {os.getloadavg()}")


if __name__ == "__main__":
    main()
