"""Peak memory of one STFF fold at full MEGC 2019 scale, on a synthetic cache of the real clip lengths.

    python -m benchmarks.full_size_memory --cache /tmp/full.h5 [--preset strict] [--out /tmp/full_run]

Writes (once; it is reused when it exists) a region cache with the 442 clips of the official MEGC 2019 list
(``combined_3class_gt.csv``), each as long as its onset..offset in the CASME II and SAMM coding sheets
(SMIC-HS: 34 frames, no sheet here; ``benchmarks.full_run_estimate.megc_clips``): 25,518 frames, random
pixels, the quick demo's region sizes (``canvas`` boxes), 3.2 GB of regions. Then runs fold 0 of ``mer train
--preset P`` on it in a child process, one epoch per stage (peak memory does not grow with the epochs: every
epoch walks the same arrays), and prints the child's peak resident memory (``getrusage`` of the child, what
``/usr/bin/time -v`` calls "Maximum resident set size") beside the bytes of the regions.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def write_cache(path, seed=0, limit=None):
    """The full-size synthetic cache at ``path`` (atomic: a temporary file renamed when complete); ``limit``:
    only the first clips of the list (tests)."""
    import h5py

    from benchmarks.full_run_estimate import LABELS, MEGC_LIST, megc_clips
    from data_prep.cache import FORMAT, VERSION, write_sample_group
    from data_prep.config import PrepConfig
    from data_prep.labels import MEGC_CLASSES
    from data_prep.regions import region_sizes
    from data_prep.samples import Sample

    lengths, _, source = megc_clips()
    with open(Path(LABELS) / MEGC_LIST) as handle:
        rows = [line.strip().split(",") for line in handle if line.strip()]
    assert len(rows) == len(lengths)
    rng = np.random.default_rng(seed)
    sizes = region_sizes("canvas")
    temporary = Path(f"{path}.{os.getpid()}.tmp")
    with h5py.File(temporary, "w") as handle:
        handle.attrs.update({"format": FORMAT, "version": VERSION, "prep_config": PrepConfig().to_json(),
                             "failures": "[]"})
        for (dataset, subject, sample, label), n in list(zip(rows, lengths))[:limit]:
            info = Sample(dataset, subject, sample, folder=Path(path).parent, frame_numbers=list(range(1, n + 1)),
                          onset=1, apex=1 + n // 2, offset=n, emotion="synthetic",
                          megc_class=MEGC_CLASSES[int(label)])
            regions = [rng.integers(0, 256, (n, h, w, 3), dtype=np.uint8) for h, w in sizes]
            group = handle.create_group(f"samples/{dataset}/{subject}/{sample}")
            write_sample_group(group, info, {"regions": regions, "landmarks": np.zeros((68, 2)),
                                             "face_box": np.zeros(4)})
    temporary.rename(path)
    return source


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", default="/tmp/mer_full_size.h5")
    parser.add_argument("--preset", default="strict")
    parser.add_argument("--out", default="/tmp/mer_full_size_run")
    parser.add_argument("--epochs", type=int, default=1, help="epochs per stage (default 1)")
    parser.add_argument("--json", help="write the figures here")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    cache = Path(args.cache)
    if not cache.exists():
        start = time.perf_counter()
        source = write_cache(cache)
        print(f"wrote {cache} ({cache.stat().st_size / 1e9:.2f} GB, {time.perf_counter() - start:.0f} s): {source}")
    from data_prep.cache import RegionCache

    with RegionCache(cache) as opened:
        frames = sum(info.n_frames for info in opened.samples)
        region_bytes = sum(info.n_frames * int(np.prod(shape)) * 3 for info in opened.samples
                           for shape in opened.region_shapes())
    command = [sys.executable, "-m", "micro_expr.cli", "train", "--system", "stff", "--protocol", "megc",
               "--preset", args.preset,
               "--cache", str(cache), "--out", args.out, "--folds", "0", "--no-progress", "--no-merge",
               "--set", f"spatial.epochs={args.epochs}", "--set", f"temporal.epochs={args.epochs}"]
    print(" ".join(command), flush=True)
    load = os.getloadavg()
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT)
    wall = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = {"preset": args.preset, "samples": len(rows_of(cache)), "frames": frames,
              "region_bytes": region_bytes, "peak_rss_bytes": usage.ru_maxrss * 1024, "wall_s": wall,
              "cpu_s": usage.ru_utime + usage.ru_stime, "exit": done.returncode, "load_before": load[0],
              "load_after": os.getloadavg()[0], "epochs_per_stage": args.epochs}
    print(f"fold 0 of {args.preset} on {frames:,} frames ({region_bytes / 1e9:.2f} GB of regions): peak resident "
          f"{result['peak_rss_bytes'] / 1e9:.2f} GB, {wall:.0f} s wall, {result['cpu_s']:.0f} CPU-s, exit "
          f"{done.returncode} (load {load[0]:.1f} -> {result['load_after']:.1f})")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))
    return done.returncode


def rows_of(cache):
    from data_prep.cache import RegionCache

    with RegionCache(cache) as opened:
        return list(opened.samples)


if __name__ == "__main__":
    sys.exit(main())
