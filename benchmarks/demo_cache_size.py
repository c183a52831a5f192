"""Bytes of the quick demo's cache with and without the whole face canvases, and the canvases' share.

    python -m benchmarks.demo_cache_size [--out DIR] [--size quick]

Prepares the demo dataset (built once, cached) twice into DIR (default: a temporary folder), as ``mer demo``
does for a run that reads the face canvases (``region_mode=whole_face``) and for one that does not (the six
regions: STFF), and prints the file sizes and the stored bytes of the ``face`` datasets.
"""
import argparse
import os
import tempfile
import time
from pathlib import Path


def stored_bytes(path):
    """(bytes of the 'face' datasets, bytes of every other dataset) as stored (compressed) in the HDF5 file."""
    import h5py

    sizes = {"face": 0, "other": 0}
    with h5py.File(path, "r") as handle:
        def visit(name, node):
            if isinstance(node, h5py.Dataset):
                sizes["face" if name.endswith("/face") else "other"] += node.id.get_storage_size()
        handle.visititems(visit)
    return sizes["face"], sizes["other"]


def main(argv=None):
    from data_prep.datasets import read_casme2
    from data_prep.demo.build import build_demo_dataset
    from data_prep.prepare import prepare_samples
    from micro_expr.demo import demo_data_folder, demo_prep_config

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="where to prepare the two caches (default: a temporary folder)")
    parser.add_argument("--size", default="quick", choices=["quick", "default"])
    args = parser.parse_args(argv)
    dataset = build_demo_dataset(demo_data_folder(), seed=0, size=args.size, progress=False)
    print(f"load before {os.getloadavg()}, {os.cpu_count()} cores; demo {args.size}: {dataset.n_samples} samples")
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(args.out or scratch)
        out.mkdir(parents=True, exist_ok=True)
        for store_face in (True, False):
            prep = demo_prep_config("strict", store_face=store_face)
            samples, failures = read_casme2(dataset.root, dataset.coding_sheet, prep.frames, prep.frame_order)
            path = out / f"cache_{'with' if store_face else 'without'}_faces.h5"
            wall, cpu = time.perf_counter(), time.process_time()
            prepare_samples(samples, path, prep, failures, workers=1, progress=False)
            face, other = stored_bytes(path)
            print(f"  store_face={store_face!s:<5} file {path.stat().st_size / 1e6:7.1f} MB; face canvases "
                  f"{face / 1e6:6.1f} MB, the rest {other / 1e6:6.1f} MB; prepared in "
                  f"{time.perf_counter() - wall:.1f} s wall, {time.process_time() - cpu:.1f} CPU-s (this process)")
    print(f"load after {os.getloadavg()}")


if __name__ == "__main__":
    main()
