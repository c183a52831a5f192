"""`mer predict`: class probabilities of a new clip from a trained run, and where the models looked.

    mer predict --run demo_out demo_out/dataset/sub01/EP01_01                 # ensemble of every fold
    mer predict --run demo_out clip.mp4 --fold casme2/sub01 --out pred_clip    # one fold

The run's system does the work (:meth:`micro_expr.core.system.RecognitionSystem.predict_video`); a system that
cannot take a new video (MEAN, GIA + BIA) says why in one line, before anything is read.
"""


def register(subparsers):
    parser = subparsers.add_parser(
        "predict", help="predict the class of a video or frame folder with a trained run",
        description="Detects the face on the first frame (dlib, as `mer prepare`), cuts the six regions, runs "
                    "the trained spatial and temporal models of one fold or of every finished fold (class "
                    "probabilities averaged), prints the probabilities and writes prediction.json, "
                    "prediction.md and the attention figures (spatial SE per patch, temporal SE per region, "
                    "feature change over time). Runs of STFF and its predecessor (cnn_lstm); MEAN and GIA + BIA "
                    "runs are refused with the reason. The first line says which frames and folds will be used and why; "
                    "progress bars follow the frames and the folds.")
    parser.add_argument("input", metavar="INPUT", help="a video file or a folder of numbered frames")
    parser.add_argument("--run", required=True, metavar="RUN_DIR", help="run folder of `mer train` / `mer demo`")
    parser.add_argument("--fold", default="all", metavar="NAME|all",
                        help="a fold (index, subject name such as casme2/sub01, or folder name) or 'all' "
                             "(default: every finished fold, probabilities averaged)")
    parser.add_argument("--frames", metavar="FIRST-LAST",
                        help="use only these frames: file numbers in a folder, 0-based indices in a video "
                             "(default: a clip of the run's own dataset uses the frames evaluation used, "
                             "onset..offset; other clips their first N frames, the N = temporal.sequence_length "
                             "frames the temporal model reads; the first line printed says which and why)")
    parser.add_argument("--no-progress", action="store_true",
                        help="no progress bars (over the frames prepared and the folds run)")
    parser.add_argument("--out", default="predict_out", metavar="DIR", help="report folder (default predict_out)")
    parser.add_argument("--prep-preset", choices=["clean", "original", "paper"],
                        help="how frames are prepared, when the run's cache is gone (default: read from the run); "
                             "the `mer prepare --preset` the cache was built with")
    parser.set_defaults(func=run)


def run(args):
    from data_prep.output import check_output_folder
    from micro_expr.core.run_folder import RunFolder, sweep_temporaries_of
    from micro_expr.registry import DEFAULT_SYSTEM, system_class
    from micro_expr.stff.clips import parse_frame_range

    cls = system_class(RunFolder(args.run).read().get("system", DEFAULT_SYSTEM))
    if not cls.can_predict_video:
        cls.predict_video(args.run, args.input, args.out)   # raises: says why, before any work
    frames = parse_frame_range(args.frames)
    check_output_folder(args.out)  # before the work, not after it
    sweep_temporaries_of(args.out)
    result = cls.predict_video(args.run, args.input, args.out, fold=args.fold, frames=frames, prep=args.prep_preset,
                               announce=lambda line: print(line, flush=True), progress=not args.no_progress)
    print(f"{result['input']}: frames {result['frame_range']} ({result['n_frames']} frames); "
          f"folds: {', '.join(result['folds'])}")
    for warning in result["warnings"]:
        print(f"WARNING: {warning}")
    width = max(len(name) for name in result["classes"])
    for name, probability in result["probabilities"].items():
        marker = "  <- predicted" if name == result["predicted"] else ""
        print(f"  {name:<{width}}  {probability:.3f}{marker}")
    if result.get("top_region"):
        print(f"top region (temporal SE): {result['top_region']}")
    print(f"report: {result['report']['markdown']}, {result['report']['json']}")
    return 0
