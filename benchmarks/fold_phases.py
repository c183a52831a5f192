"""Where a quick-demo fold's time goes: wall and CPU seconds of every phase of every fold, in one process.

    python -m benchmarks.fold_phases [--folds 0-2] [--preset strict] [--json OUT.json] [--compare BEFORE.json]

Runs ``mer demo --quick --folds SEL`` in this process with timers around the phases of a fold
(``SpatialStage.fit``, ``SpatialStage.features``, ``TemporalStage.fit``, ``STFF.fold_predictions``,
``STFF.save`` and the whole ``run_fold``; the held-out loss evaluations inside the fits are timed apart).
The first fold pays the one-off costs (building the models, tracing the steps), so the figures of a
*steady* fold are the medians over the folds after the first. CPU time is this process's (all threads):
beside wall time it tells the single-threaded phases (CPU ~ wall) from the multi-threaded ones.
The load average is printed before and after: on a shared machine wall times grow with it, CPU times much less.

``--json`` writes the figures; ``--compare BEFORE.json`` prints them beside an earlier run's (e.g. one
made on another branch), phase by phase. docs/performance.md ("A quick-demo fold's phases") has today's.
"""
import argparse
import functools
import json
import os
import resource
import statistics
import sys
import tempfile
import time

PHASES = ["spatial.fit", "held_out.SpatialStage", "spatial.features", "temporal.fit", "held_out.TemporalStage",
          "fold_predictions", "save", "run_fold"]


class PhaseTimer:
    """Wall and CPU seconds of every call of the wrapped functions, per label, in call order."""

    def __init__(self):
        self.times = {}

    def record(self, label, wall, cpu):
        self.times.setdefault(label, []).append((wall, cpu))

    def wrap(self, owner, name, label):
        original = getattr(owner, name)

        @functools.wraps(original)
        def timed(*args, **kwargs):
            wall, cpu = time.perf_counter(), time.process_time()
            try:
                return original(*args, **kwargs)
            finally:
                self.record(label, time.perf_counter() - wall, time.process_time() - cpu)

        setattr(owner, name, timed)

    def wrap_held_out(self, stage_class):
        """Time every evaluation of the held-out loss (the ``after_epoch`` that ``held_out_loss`` returns)."""
        original = stage_class.held_out_loss
        timer = self

        def held_out_loss(self, dataset):
            evaluate = original(self, dataset)

            def timed():
                wall, cpu = time.perf_counter(), time.process_time()
                try:
                    return evaluate()
                finally:
                    timer.record(f"held_out.{type(self).__name__}", time.perf_counter() - wall,
                                 time.process_time() - cpu)
            return timed

        stage_class.held_out_loss = held_out_loss


def install(timer):
    from micro_expr.core import engines
    from micro_expr.stff import system, training

    timer.wrap(training.SpatialStage, "fit", "spatial.fit")
    timer.wrap(training.SpatialStage, "features", "spatial.features")
    timer.wrap(training.TemporalStage, "fit", "temporal.fit")
    timer.wrap(system.STFF, "fold_predictions", "fold_predictions")
    timer.wrap(system.STFF, "save", "save")
    timer.wrap(engines, "run_fold", "run_fold")
    timer.wrap_held_out(training._Stage)


def per_fold(times, n_folds):
    """label -> per fold [wall, cpu] (calls of one fold summed: held-out evaluations run once per epoch;
    the features run for training and held-out frames)."""
    folds = {}
    for label, calls in times.items():
        per = len(calls) // n_folds if n_folds and len(calls) % n_folds == 0 else None
        if per is None:
            folds[label] = [[round(w, 3), round(c, 3)] for w, c in calls]
            continue
        folds[label] = [[round(sum(w for w, _ in calls[i * per:(i + 1) * per]), 3),
                         round(sum(c for _, c in calls[i * per:(i + 1) * per]), 3)] for i in range(n_folds)]
    return folds


def steady(folds):
    """label -> (median wall, median CPU) over the folds after the first (the first one when there is one)."""
    out = {}
    for label, rows in folds.items():
        rows = rows[1:] if len(rows) > 1 else rows
        out[label] = (statistics.median(r[0] for r in rows), statistics.median(r[1] for r in rows))
    return out


def report(result, before=None):
    lines = [f"{'phase (steady fold)':<24} {'wall s':>8} {'CPU s':>8}" +
             (f" {'before wall':>12} {'before CPU':>11} {'CPU ratio':>10}" if before else "")]
    labels = [p for p in PHASES if p in result["steady"]] + sorted(set(result["steady"]) - set(PHASES))
    for label in labels:
        wall, cpu = result["steady"][label]
        line = f"{label:<24} {wall:8.2f} {cpu:8.2f}"
        if before and label in before["steady"]:
            b_wall, b_cpu = before["steady"][label]
            line += f" {b_wall:12.2f} {b_cpu:11.2f} {cpu / b_cpu if b_cpu else float('nan'):10.2f}"
        lines.append(line)
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", default="0-2", help="folds of the quick demo (default 0-2: two steady folds)")
    parser.add_argument("--preset", default="strict")
    parser.add_argument("--out", help="demo output folder (default: a temporary one)")
    parser.add_argument("--json", help="write the figures here")
    parser.add_argument("--compare", help="an earlier --json file: print its figures beside")
    parser.add_argument("--label", default="", help="a name for this run in the JSON (e.g. the branch)")
    args = parser.parse_args(argv)
    before = json.loads(open(args.compare).read()) if args.compare else None

    load_before = os.getloadavg()
    timer = PhaseTimer()
    install(timer)
    from micro_expr.cli import main as mer

    with tempfile.TemporaryDirectory() as scratch:
        out = args.out or os.path.join(scratch, "demo")
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            mer(["demo", "--quick", "--no-progress", "--preset", args.preset, "--out", out, "--folds", args.folds])
        except SystemExit as stop:
            if stop.code not in (0, None):
                raise
        total = (time.perf_counter() - wall, time.process_time() - cpu)
    folds = per_fold(timer.times, len(timer.times.get("run_fold", [])))
    result = {"label": args.label, "preset": args.preset, "folds": args.folds, "cores": os.cpu_count(),
              "load_before": load_before, "load_after": os.getloadavg(), "total": total,
              "max_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6,
              "per_fold": folds, "steady": steady(folds)}
    print(f"load before {tuple(round(x, 2) for x in load_before)}, after "
          f"{tuple(round(x, 2) for x in result['load_after'])}, {os.cpu_count()} cores; "
          f"whole command {total[0]:.1f} s wall, {total[1]:.1f} CPU-s; max RSS {result['max_rss_gb']:.2f} GB")
    for label, rows in folds.items():
        print(f"  {label:<24} per fold (wall, CPU): " + ", ".join(f"({w:.2f}, {c:.2f})" for w, c in rows))
    print(report(result, before))
    if max(load_before[0], result["load_after"][0]) > os.cpu_count():
        print(f"warning: load average above the {os.cpu_count()} cores: wall times are inflated", file=sys.stderr)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(result, handle, indent=1)


if __name__ == "__main__":
    main()
