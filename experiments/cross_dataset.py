"""Cross-dataset evaluation: train on some datasets, test on another.

    python experiments/cross_dataset.py --cache full.h5 --out runs/cross --train-datasets casme2 --test-dataset samm
    python experiments/cross_dataset.py --cache full.h5 --out runs/cross --table 12

A single pair is ``mer train --protocol cross`` of any system (``--system``,
STFF by default). ``--table 12`` / ``--table 13`` are Aouayeb et al. 2021
Tables 12 and 13, which are the predecessor's: they run
``experiments/predecessor_tables.py --only table12`` (system ``cnn_lstm``),
the one page of that paper's tables, written as ``predecessor_tables.md`` in --out.
"""
import argparse
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable, as ``python -m`` would
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from micro_expr.cli import run_command  # noqa: E402
from micro_expr.commands.train import add_arguments, run  # noqa: E402


def table_argv(args):
    """The predecessor_tables command line of ``--table N`` (cache, out, preset and --set carried over)."""
    from experiments.predecessor_tables import DEFAULT_PRESET
    from micro_expr.stff.config import CNN_LSTM_PREFIX

    preset = args.preset if args.preset and args.preset.startswith(CNN_LSTM_PREFIX) else DEFAULT_PRESET
    argv = ["--cache", args.cache, "--out", args.out, "--only", f"table{args.table}", "--preset", preset]
    return argv + [item for pair in args.set for item in ("--set", pair)]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser, protocol_fixed="cross")
    parser.add_argument("--table", type=int, choices=[12, 13],
                        help="Aouayeb et al. 2021 Table 12 or 13, run by the predecessor (experiments/"
                             "predecessor_tables.py); --preset: a cnn_lstm_* preset (default cnn_lstm_strict)")
    args = parser.parse_args(argv)
    if args.table:
        from experiments import predecessor_tables

        return predecessor_tables.main(table_argv(args))
    return run_command(lambda a: run(a, "cross"), args)


if __name__ == "__main__":
    sys.exit(main())
