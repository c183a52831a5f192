"""`mer summary`: print every model of a preset (Keras summaries) and its parameter counts.

    mer summary --preset original --patches 9 --protocol au5
    mer summary --preset strict --json   # {"spatial": {"R0": n, ..., "R5": n}, "temporal": n}
    mer summary --system cnn_lstm --encoder classic   # the predecessor (Aouayeb et al. 2021), Table 6's CNN
"""
import json

from micro_expr.config import (CNN_LSTM_DEFAULT_PRESET, CNN_LSTM_PRESETS, DEFAULT_PRESET, ENCODERS, PRESETS)


def register(subparsers):
    parser = subparsers.add_parser(
        "summary", help="print the models of a preset and their parameter counts",
        description="Build the spatial models (one per region) and the temporal model of a preset "
                    "and print their Keras summaries and parameter counts.")
    parser.add_argument("--system", choices=("stff", "cnn_lstm"), default="stff",
                        help="STFF, or its predecessor CNN-LSTM (Aouayeb et al. 2021) (default stff)")
    parser.add_argument("--preset", choices=sorted(set(PRESETS + CNN_LSTM_PRESETS)), default=None,
                        help=f"configuration preset (default: stff {DEFAULT_PRESET}, cnn_lstm {CNN_LSTM_DEFAULT_PRESET})")
    parser.add_argument("--encoder", choices=ENCODERS, default=None,
                        help="spatial CNN: the shallow inception CNN or the classic CNN (Aouayeb et al. 2021, Table 6)")
    parser.add_argument("--patches", type=int, choices=(1, 4, 9, 16), default=None,
                        help="patches per region m (default: the preset's, 9)")
    parser.add_argument("--protocol", choices=("megc", "au5"), default=None,
                        help="class protocol: MEGC 3 classes or 5 objective classes (default megc; au5 for "
                             "--preset original, the protocol the authors' code ships)")
    labels = parser.add_mutually_exclusive_group()
    labels.add_argument("--region-labels", dest="region_labels", action="store_true", default=None,
                        help="per-region labels with 'no reaction' (Aouayeb et al. 2021; the presets' default)")
    labels.add_argument("--whole-face-labels", dest="region_labels", action="store_false",
                        help="every region predicts the sequence's class (STFF Table 6)")
    parser.add_argument("--json", action="store_true",
                        help='print only {"spatial": {region: n}, "temporal": n}')
    parser.set_defaults(func=run)


def run(args):
    import os
    import sys

    from data_prep.errors import InputError
    from micro_expr.config import get_cnn_lstm_preset, get_preset
    from micro_expr.models import build_spatial_models, build_temporal_from_config

    protocol = args.protocol
    if protocol is None:  # the authors' code ships the 5-AU protocol (its README, LSTM_SE.py:681 Dense(5))
        protocol = "au5" if args.preset == "original" and args.system != "cnn_lstm" else "megc"
    overrides = {"protocol": protocol}
    if args.patches is not None:
        overrides["spatial.patches"] = args.patches
    if args.region_labels is not None:
        overrides["region_labels"] = args.region_labels
    if args.encoder is not None:
        overrides["spatial.encoder"] = args.encoder
    try:
        if args.system == "cnn_lstm":
            config = get_cnn_lstm_preset(args.preset or CNN_LSTM_DEFAULT_PRESET, **overrides)
        else:
            config = get_preset(args.preset or DEFAULT_PRESET, **overrides)
    except ValueError as error:
        raise InputError(f"{args.system}: {error}") from None

    if not sys.stdout.isatty():
        # Keras prints with rich, which assumes 80 columns when piped (or takes an inherited COLUMNS,
        # e.g. 80 under pytest-xdist) and would cut the 160-wide tables.
        columns = os.environ.get("COLUMNS", "")
        if not columns.isdigit() or int(columns) < 170:
            os.environ["COLUMNS"] = "170"
    spatial = build_spatial_models(config)
    temporal = build_temporal_from_config(config)
    counts = {"spatial": {region: model.count_params() for region, model in spatial.items()},
              "temporal": temporal.count_params()}
    if args.json:
        print(json.dumps(counts))
        return 0

    for region, classes in zip(spatial, config.region_class_names):
        spatial[region].summary(line_length=160)
        print(f"{region}: {counts['spatial'][region]:,} parameters, k = {len(classes)} classes {list(classes)}\n")
    temporal.summary(line_length=160)
    print(f"temporal: {counts['temporal']:,} parameters, K = {config.n_classes}\n")
    print(f"preset {config.preset}, protocol {config.protocol}, m = {config.spatial.patches}, "
          f"fusion {config.fusion}, spatial SE {config.spatial.se!r}, encoder {config.spatial.encoder}")
    total = sum(counts["spatial"].values()) + counts["temporal"]
    print(f"total: {total:,} parameters (spatial {sum(counts['spatial'].values()):,}, "
          f"temporal {counts['temporal']:,})")
    return 0
