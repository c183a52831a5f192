"""TensorFlow's op threads for STFF's training: wall and CPU time side by side, one subprocess per choice.

    python -m benchmarks.threads [--choices 0,0 1,1 2,1 1,2 2,2] [--rounds 2] [--steps 10]

Each choice INTER,INTRA (0 = TensorFlow's default, one per core) runs ``benchmarks.backend_steps --child
--fold`` in a fresh process: the spatial and temporal steps at the quick demo's sizes (medians of ``--steps``)
and a quick-demo-sized fold on random frames, twice (the second fold is traced already: a steady fold). The
choices take turns round after round, so a change of the machine's load hits them alike; the table gives the
median over rounds. Run it on an idle machine: the load average before and after is printed, and a warning when
it exceeds the cores. The choice the project makes from it: docs/performance.md, "Threads".
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIGURES = (("spatial", "wall_ms"), ("spatial", "cpu_ms"), ("temporal", "wall_ms"), ("temporal", "cpu_ms"),
           ("fold", "second_fold_s"), ("fold", "second_fold_cpu_s"), ("fold", "fold_s"), ("fold", "fold_cpu_s"))


def measure(choice, steps):
    env = {**os.environ, "KERAS_BACKEND": "tensorflow", "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, "-m", "benchmarks.backend_steps", "--child", "--backends", "tensorflow",
                           "--fold", "--steps", str(steps), "--threads", choice], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode or not lines:
        raise SystemExit(f"threads {choice}: failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
    return json.loads(lines[-1][len("RESULT "):])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--choices", nargs="+", default=["0,0", "1,1", "2,1", "1,2"])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--json", help="write the figures here")
    args = parser.parse_args(argv)
    load = os.getloadavg()
    results = {choice: [] for choice in args.choices}
    for round_ in range(args.rounds):
        order = args.choices[round_ % len(args.choices):] + args.choices[:round_ % len(args.choices)]
        for choice in order:
            results[choice].append(measure(choice, args.steps))
            print(f"round {round_ + 1}, threads {choice}: {json.dumps(results[choice][-1])}", flush=True)
    after = os.getloadavg()
    print(f"load average before {load[0]:.2f}, after {after[0]:.2f} ({os.cpu_count()} CPUs)")
    if max(load[0], after[0]) > os.cpu_count():
        print("warning: the load exceeded the cores; the wall times are not an idle machine's", file=sys.stderr)
    header = ["threads (inter,intra)", "spatial wall ms", "spatial CPU ms", "temporal wall ms", "temporal CPU ms",
              "steady fold wall s", "steady fold CPU s", "first fold wall s", "first fold CPU s"]
    print(" | ".join(header))
    table = {}
    for choice, runs in results.items():
        row = [statistics.median(run[stage][key] for run in runs) for stage, key in FIGURES]
        table[choice] = dict(zip(header[1:], row))
        print(" | ".join([choice] + [f"{v:.1f}" for v in row]))
    if args.json:
        Path(args.json).write_text(json.dumps({"load_before": load, "load_after": after, "table": table,
                                               "runs": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
