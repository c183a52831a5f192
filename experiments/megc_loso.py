"""MEGC 2019 composite, 3 classes, leave-one-subject-out (STFF Tables 7-8, Aouayeb et al. 2021 Table 10).

    python experiments/megc_loso.py --cache full.h5 --out runs/megc --preset strict
    python experiments/megc_loso.py --cache full.h5 --out runs/megc_casme2 --datasets casme2

Same as `mer train --protocol megc`; writes results.json, results.md and figures to --out.
"""
import sys

from micro_expr.commands.train import script_main

if __name__ == "__main__":
    sys.exit(script_main("megc", __doc__))
