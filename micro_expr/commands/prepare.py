"""`mer prepare`: dataset folders + coding sheet -> HDF5 cache of the six regions."""


def register(subparsers):
    parser = subparsers.add_parser(
        "prepare", help="detect faces, cut the six regions and cache them in HDF5",
        description="Read a dataset as distributed, find the face and 68 landmarks with dlib, cut the six "
                    "regions and write them to one HDF5 cache. Resumable: run it again after an interruption.")
    parser.add_argument("--dataset", required=True, choices=["casme2", "samm", "smic"],
                        help="which dataset's layout --root has (CASME II, SAMM: with --coding; SMIC-HS: labels "
                             "from its folders)")
    parser.add_argument("--root", required=True, metavar="DIR", help="dataset folder (e.g. CASME2_RAW_selected)")
    parser.add_argument("--coding", metavar="FILE", help="coding sheet (CASME II, SAMM)")
    parser.add_argument("--out", required=True, metavar="CACHE.h5",
                        help="the region cache to write (an HDF5 file, e.g. cache.h5; its folder is created); "
                             "an existing cache with the same settings is completed, not redone")
    parser.add_argument("--preset", choices=["clean", "original", "paper"], default="clean",
                        help="clean: the canvas boxes on the project's canvas (onset..offset); original: what "
                             "the authors' cropper stored (white, never enlarged canvas, every frame in string "
                             "order; docs/original-code.md); paper: region sizes of STFF Table 2")
    parser.add_argument("--region-sizes", choices=["canvas", "normalized", "casme2", "samm", "smic"],
                        help="override the preset's region size table")
    parser.add_argument("--landmarks", choices=["first", "every"], help="landmarks on the first frame or every frame")
    parser.add_argument("--frames", choices=["onset_offset", "all"], help="frames used (default onset..offset)")
    parser.add_argument("--store-face", action="store_true", help="also cache the whole face canvas")
    parser.add_argument("--workers", type=int, default=1, help="processes (default 1)")
    parser.add_argument("--strict", action="store_true", help="stop at the first bad sample")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar (for logs and CI)")
    parser.set_defaults(func=run)


def run(args):
    import dataclasses

    from data_prep.config import PRESETS
    from data_prep.datasets import read_dataset
    from data_prep.errors import InputError
    from data_prep.prepare import prepare_samples

    overrides = {name: value for name, value in (("region_sizes", args.region_sizes),
                                                 ("landmarks", args.landmarks),
                                                 ("frames", args.frames)) if value is not None}
    if args.store_face:
        overrides["store_face"] = True
    config = dataclasses.replace(PRESETS[args.preset], **overrides)
    samples, failures = read_dataset(args.dataset, args.root, args.coding, config.frames, config.frame_order)
    if not samples and failures:
        raise InputError(f"{args.root}: no readable sample; first problem: {failures[0].message}")
    if not samples:
        source = args.coding if args.dataset != "smic" else args.root
        raise InputError(f"{source}: no samples listed (a sheet with only its header, or empty class folders); "
                         f"no cache is written")
    if args.dataset == "smic" and config.frames == "onset_offset":
        print("smic: no onset/offset in SMIC, every frame of each folder is used (recorded per sample)")
    summary = prepare_samples(samples, args.out, config, failures, workers=args.workers,
                              strict=args.strict, progress=not args.no_progress)
    print(summary.report())
    print(f"cache: {args.out}")
    if summary.failures:
        print(f"{len(summary.failures)} sample(s) failed; they are listed in the cache's failure log "
              f"and will be retried by the next run")
        return 1
    return 0
