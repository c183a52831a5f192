"""Memory and time of a strict feature pass per batch size (why ``micro_expr.stff.training.FEATURE_BATCH`` is 64).

    python -m benchmarks.feature_pass [--frames 4000] [--batches 256 64 16] [--preset strict]

Each batch size runs in its own child process (so one size's buffers do not count for the next): random
uint8 frames of the preset's region sizes in 60-frame clips, ``SpatialStage.features`` over all of them once
to trace, then once timed. Printed per batch size: the growth of the resident memory over the process before
the pass (a 50 ms sampler of ``/proc/self/statm``), wall and CPU milliseconds per frame, and the load.
"""
import argparse
import json
import os
import subprocess
import sys
import threading
import time


def child(preset, frames, batch):
    import numpy as np

    from data_prep.pipeline import FrameTable
    from micro_expr.stff.config import get_preset
    from micro_expr.stff.training import SpatialStage

    config = get_preset(preset)
    rng = np.random.default_rng(0)
    lengths = [60] * (frames // 60) + ([frames % 60] if frames % 60 else [])
    table = FrameTable([[rng.integers(0, 256, (n, h, w, 3), dtype=np.uint8) for h, w in config.region_sizes]
                        for n in lengths])
    stage = SpatialStage(config, progress=False, feature_batch_size=batch)
    stage.patch_cache.max_bytes = 0   # cut per batch, as a full run does (its patches exceed the cache)

    def resident():
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    stage.features(table.subset(np.arange(min(frames, 2 * batch))))   # trace
    peak, done = [resident()], []

    def sample():
        while not done:
            peak[0] = max(peak[0], resident())
            time.sleep(0.05)

    base, sampler = resident(), threading.Thread(target=sample, daemon=True)
    sampler.start()
    wall, cpu = time.perf_counter(), time.process_time()
    stage.features(table)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    done.append(True)
    sampler.join()
    return {"batch": batch, "frames": frames, "growth_bytes": peak[0] - base, "wall_ms_per_frame": wall / frames * 1e3,
            "cpu_ms_per_frame": cpu / frames * 1e3, "load": os.getloadavg()[0]}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="strict")
    parser.add_argument("--frames", type=int, default=4000)
    parser.add_argument("--batches", type=int, nargs="+", default=[256, 64, 16])
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.preset, args.frames, args.child)))
        return 0
    print(f"feature pass, preset {args.preset}, {args.frames:,} frames, {os.cpu_count()} cores")
    for batch in args.batches:
        done = subprocess.run([sys.executable, "-m", "benchmarks.feature_pass", "--preset", args.preset,
                               "--frames", str(args.frames), "--child", str(batch)],
                              capture_output=True, text=True, check=True)
        row = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"batch {batch:4d}: memory +{row['growth_bytes'] / 1e9:.2f} GB, {row['wall_ms_per_frame']:.2f} ms wall, "
              f"{row['cpu_ms_per_frame']:.2f} CPU-ms per frame (load {row['load']:.1f})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
