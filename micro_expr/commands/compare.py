"""`mer compare`: a paired test of two runs (or two seeds folders) on the folds they share.

    mer compare runs/strict runs/frame50                 # two run folders, fold by fold
    mer compare seeds/strict seeds/frame50 --json c.json # two `--seeds` folders, seed by seed and fold by fold
"""


def register(subparsers):
    parser = subparsers.add_parser(
        "compare", help="paired sign and permutation tests of two runs (or two --seeds folders) over their folds",
        description="Pairs the folds two runs share (the same held-out clips; for two --seeds folders, the same "
                    "seed too) and tests whether their fold accuracies differ: the sign test "
                    "(scipy.stats.binomtest) and the paired permutation test (scipy.stats.permutation_test, exact "
                    "up to 16 pairs). Writes nothing unless --json is given.")
    parser.add_argument("a", metavar="RUN_A", help="a run folder or a seeds folder (mer train/demo --seeds)")
    parser.add_argument("b", metavar="RUN_B", help="the run or seeds folder to compare it with")
    parser.add_argument("--json", metavar="FILE", help="also write the test and every pair to this JSON file")
    parser.set_defaults(func=run)


def run(args):
    from micro_expr.core.run_folder import write_json
    from micro_expr.core.seeds import compare, comparison_text

    result = compare(args.a, args.b)
    print(comparison_text(result))
    if args.json:
        write_json(args.json, result)
    return 0
