"""`mer checkpoint inspect FILE`: what a Keras checkpoint (HDF5 or .keras) holds;
`mer checkpoint export RUN`: the Keras 2-layout .h5 weights beside every .keras checkpoint of a run."""
import json


def register(subparsers):
    parser = subparsers.add_parser("checkpoint", help="look inside Keras checkpoint files")
    actions = parser.add_subparsers(dest="checkpoint_action", required=True, metavar="ACTION")
    inspect = actions.add_parser(
        "inspect", help="layers, weight shapes, parameter count, Keras version, architecture or not")
    inspect.add_argument("file", help="Keras 2 or 3 HDF5 file (weights only or whole model) or .keras archive")
    inspect.add_argument("--json", action="store_true", help="print the report as JSON")
    export = actions.add_parser(
        "export", help="write Keras 2-layout .h5 weights beside every .keras checkpoint (runs write .keras only)")
    export.add_argument("path", help="a run folder, a fold folder or one .keras file")
    parser.set_defaults(func=run)


def run(args):
    from micro_expr.core.checkpoint_inspect import format_report, inspect_checkpoint

    if args.checkpoint_action == "export":
        from micro_expr.core.checkpoints import export_keras2
        from micro_expr.registry import register_custom_objects

        register_custom_objects()
        written = export_keras2(args.path)
        for path in written:
            print(path)
        print(f"{len(written)} Keras 2-layout .h5 file(s) written", flush=True)
        return 0

    report = inspect_checkpoint(args.file)
    print(json.dumps(report, indent=2) if args.json else format_report(report))
    return 0
