"""5 objective classes (I-V), CASME II + SAMM, leave-one-subject-out (STFF Table 3, Aouayeb et al. 2021 Tables 9, 11).

    python experiments/au5_loso.py --cache casme2_samm.h5 --out runs/au5 --preset original

Same as `mer train --protocol au5`; writes results.json, results.md and figures to --out.
"""
import sys

from micro_expr.commands.train import script_main

if __name__ == "__main__":
    sys.exit(script_main("au5", __doc__))
