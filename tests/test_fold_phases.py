"""benchmarks/fold_phases.py: the arithmetic of per-fold and steady-fold figures on a hand-made timing table."""
import sys
from pathlib import Path

REPO = str(Path(__file__).resolve().parents[1])
if REPO not in sys.path:  # benchmarks/ sits beside the installed packages, not among them
    sys.path.insert(0, REPO)

from benchmarks import fold_phases  # noqa: E402


def test_calls_are_summed_per_fold_and_the_first_fold_is_left_out_of_the_steady_figures():
    times = {"run_fold": [(30.0, 40.0), (10.0, 12.0), (14.0, 16.0)],
             # two calls per fold (training and held-out frames)
             "spatial.features": [(5.0, 6.0), (1.0, 1.0), (2.0, 2.5), (0.5, 0.5), (3.0, 3.5), (1.0, 1.0)]}
    folds = fold_phases.per_fold(times, 3)
    assert folds["spatial.features"] == [[6.0, 7.0], [2.5, 3.0], [4.0, 4.5]]
    steady = fold_phases.steady(folds)
    assert steady["run_fold"] == (12.0, 14.0)            # median of folds 1 and 2
    assert steady["spatial.features"] == (3.25, 3.75)
    assert "CPU ratio" in fold_phases.report({"steady": steady}, before={"steady": {"run_fold": (24.0, 28.0)}})
    assert "0.50" in fold_phases.report({"steady": steady}, before={"steady": {"run_fold": (24.0, 28.0)}})


def test_the_timer_records_wall_and_cpu_of_every_call_and_keeps_the_result():
    class Owner:
        def work(self, n):
            return sum(i * i for i in range(n))

    timer = fold_phases.PhaseTimer()
    timer.wrap(Owner, "work", "work")
    assert Owner().work(200_000) == sum(i * i for i in range(200_000))
    Owner().work(10)
    (wall, cpu), _ = timer.times["work"]
    assert wall > 0 and cpu > 0 and len(timer.times["work"]) == 2
