"""The `mer` command line: one sub-command per module in `micro_expr.commands`.

Each command module defines ``register(subparsers)``, which adds its parser and
sets ``func`` (called with the parsed arguments, returns an exit code). Heavy
imports (TensorFlow, dlib) happen inside ``func`` so that ``mer --help`` is quick.
"""
import argparse
import importlib
import logging
import sys

from data_prep.errors import InputError
from micro_expr import __version__
from micro_expr.native_logs import quiet_native_logs

# Order here is the order in `mer --help`.
COMMANDS = ["prepare", "protocol", "demo", "train", "compare", "config", "summary", "predict", "checkpoint", "blocks"]


def build_parser():
    parser = argparse.ArgumentParser(
        prog="mer", description="Region-based micro-expression recognition (STFF) in Keras 3.")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    parser.add_argument("--version", action="version", version=f"mer (micro_expr) {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        module = importlib.import_module(f"micro_expr.commands.{name}")
        module.register(subparsers)
    return parser


def main(argv=None):
    if argv is None:  # the real command line (tests pass argv and keep their own stderr)
        quiet_native_logs()
    args = build_parser().parse_args(argv)
    return run_command(args.func, args, f"mer {args.command}")


def run_command(func, args, name=None):
    """Run a command function with logging set up; bad input becomes one clear line and exit code 2.

    An output that cannot be written (read-only folder, full disk, a file where
    a folder should be) is bad input too.
    """
    from data_prep.output import is_write_error, output_error

    logging.basicConfig(level=logging.DEBUG if getattr(args, "verbose", False) else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return int(func(args) or 0)
    except InputError as error:
        # Bad input is the user's to fix: one clear line, no traceback.
        print(f"{name or sys.argv[0]}: error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        if not is_write_error(error):
            raise
        print(f"{name or sys.argv[0]}: error: {output_error(error)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
