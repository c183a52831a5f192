"""5 objective classes (I-V), CASME II + SAMM, leave-one-subject-out (STFF Table 3, Aouayeb et al. 2021 Tables 9, 11).

    python experiments/au5_loso.py --cache casme2_samm.h5 --out runs/au5 --preset original

Same as `mer train --protocol au5`; writes results.json, results.md and figures to --out.
"""
import argparse
import sys

from micro_expr.cli import run_command
from micro_expr.commands.train import add_arguments, run

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser, protocol_fixed="au5")
    sys.exit(run_command(lambda args: run(args, "au5"), parser.parse_args()))
