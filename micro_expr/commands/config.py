"""`mer config`: write a system's configuration to a JSON file to read, edit and pass back to `mer train --config`.

    mer config --system stff --preset original --out my_run.json      # every field of the preset
    mer config --system mean --set epochs_spot=20                      # printed when --out is not given
    mer train --config my_run.json --protocol megc --cache full.h5 --out runs/mine   # --system: the file's

The file is {"system": NAME, "config": {...}}, the same shape as a run's run.json, so
`mer train --config runs/old/run.json ...` reproduces an earlier run's configuration.
"""
import json

from micro_expr.registry import DEFAULT_SYSTEM, SYSTEMS


def register(subparsers):
    parser = subparsers.add_parser("config", help="write a system's configuration (a preset with changes) as JSON",
                                   description=__doc__.split("\n\n")[0])
    parser.add_argument("--system", choices=list(SYSTEMS), default=DEFAULT_SYSTEM,
                        help=f"recognition system (default {DEFAULT_SYSTEM})")
    parser.add_argument("--preset", default=None, help="the preset to start from (default: the system's)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="change a field, e.g. spatial.epochs=10 (repeatable)")
    parser.add_argument("--out", metavar="FILE.json", help="write here (default: print)")
    parser.set_defaults(func=run)


def run(args):
    from pathlib import Path

    from data_prep.output import check_output_file
    from micro_expr.core.run_folder import write_text
    from micro_expr.commands.train import overrides_from_set
    from micro_expr.registry import system_class

    system = system_class(args.system).from_preset(args.preset, **overrides_from_set(args.set))
    text = json.dumps({"system": system.name, "citation": system.citation, "config": system.config.to_dict()},
                      indent=2) + "\n"
    if args.out:
        check_output_file(Path(args.out))
        write_text(Path(args.out), text)
        print(f"wrote {args.out} ({system.name}, preset {system.config.preset}); edit it, then "
              f"`mer train --config {args.out} ...` (the file names its system)")
    else:
        print(text, end="")
    return 0
