"""`mer summary`: every model of a system's preset (Keras summaries) and its parameter counts.

    mer summary --preset original --patches 9 --protocol au5
    mer summary --preset strict --json   # {"spatial": {"R0": n, ..., "R5": n}, "temporal": n}
    mer summary --system cnn_lstm --encoder classic   # the predecessor (Aouayeb et al. 2021), Table 6's CNN
    mer summary --system mean --json                  # {"mean": n}
    mer summary --system gia_bia --preset quick --set n_blocks=24
"""
import json

from micro_expr.registry import DEFAULT_SYSTEM, SYSTEMS
from micro_expr.stff.config import ENCODERS

STFF_FAMILY = ("stff", "cnn_lstm")


def register(subparsers):
    parser = subparsers.add_parser(
        "summary", help="print the models of a system's preset and their parameter counts",
        description="Build the models of a system's preset (STFF: one spatial model per region and the "
                    "temporal model) and print their Keras summaries and parameter counts.")
    parser.add_argument("--system", choices=list(SYSTEMS), default=DEFAULT_SYSTEM,
                        help=f"recognition system (default {DEFAULT_SYSTEM})")
    parser.add_argument("--preset", default=None,
                        help="configuration preset (default: the system's; stff: paper, original, strict; "
                             "cnn_lstm: paper, mlsp2019, strict; mean: paper, original; gia_bia: paper, quick)")
    parser.add_argument("--encoder", choices=ENCODERS, default=None,
                        help="stff/cnn_lstm: the shallow inception CNN or the classic CNN (Aouayeb et al. 2021, "
                             "Table 6)")
    parser.add_argument("--patches", type=int, choices=(1, 4, 9, 16), default=None,
                        help="stff/cnn_lstm: patches per region m (default: the preset's)")
    parser.add_argument("--protocol", choices=("megc", "au5"), default=None,
                        help="class protocol: MEGC 3 classes or 5 objective classes (default megc; au5 for "
                             "stff --preset original, the protocol the authors' code ships)")
    labels = parser.add_mutually_exclusive_group()
    labels.add_argument("--region-labels", dest="region_labels", action="store_true", default=None,
                        help="stff/cnn_lstm: per-region labels with 'no reaction' (the presets' default)")
    labels.add_argument("--whole-face-labels", dest="region_labels", action="store_false",
                        help="stff/cnn_lstm: every region predicts the sequence's class (STFF Table 6)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="any configuration field of the system, e.g. spatial.patches=4 or n_blocks=24")
    parser.add_argument("--json", action="store_true",
                        help='print only the parameter counts as JSON (stff: {"spatial": {region: n}, '
                             '"temporal": n}; other systems: {model: n})')
    parser.set_defaults(func=run)


def run(args):
    import os
    import sys

    from data_prep.errors import InputError
    from micro_expr.commands.train import overrides_from_set
    from micro_expr.registry import system_class

    cls = system_class(args.system)
    overrides = {}
    stff_options = {"spatial.patches": args.patches, "region_labels": args.region_labels,
                    "spatial.encoder": args.encoder}
    given = {key: value for key, value in stff_options.items() if value is not None}
    if given and args.system not in STFF_FAMILY:
        raise InputError(f"--patches, --encoder, --region-labels, --whole-face-labels are STFF options; "
                         f"use --set with --system {args.system}")
    protocol = args.protocol
    if protocol is None and args.system == "stff" and args.preset == "original":
        protocol = "au5"   # the authors' code ships the 5-AU protocol (its README, LSTM_SE.py:681 Dense(5))
    if args.system in STFF_FAMILY or protocol is not None:
        overrides.update(cls.protocol_overrides(protocol or "megc"))
    overrides.update(given)
    overrides.update(overrides_from_set(args.set))
    system = cls.from_preset(args.preset, **overrides)

    if args.json:
        print(json.dumps(system.parameter_counts()))
        return 0
    if not sys.stdout.isatty():
        # Keras prints with rich, which assumes 80 columns when piped (or takes an inherited COLUMNS,
        # e.g. 80 under pytest-xdist) and would cut the 160-wide tables.
        columns = os.environ.get("COLUMNS", "")
        if not columns.isdigit() or int(columns) < 170:
            os.environ["COLUMNS"] = "170"
    print("\n".join(system.describe(line_length=160)))
    return 0
