"""The local engine and Ray on the same folds: wall time and the whole machine's CPU time, side by side.

    python -m benchmarks.engines --cache demo_out/cache.h5 [--folds 0-3] [--preset strict] [--out /tmp/engines]

Runs ``mer train --cache CACHE --folds F`` twice in fresh processes, once with ``--engine local`` and once with
``--engine ray`` (a local Ray cluster on this machine: one worker per fold task), into two run folders, and
prints per engine the wall seconds and the CPU seconds of the whole machine (``/proc/stat``: user + system of
every process, Ray's raylet, GCS and workers included, which ``/usr/bin/time`` would not count: they are not
children of the command). Run it on an idle machine; the load average before each run is printed. The two
runs train the same folds from the same seed, so their predictions are compared too.
"""
import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def machine_cpu_seconds():
    """User + nice + system + irq + softirq seconds of every CPU since boot (``/proc/stat``)."""
    with open("/proc/stat") as handle:
        fields = [int(v) for v in handle.readline().split()[1:8]]
    user, nice, system, _idle, _iowait, irq, softirq = fields
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def run(engine, args):
    out = Path(args.out) / engine
    command = [sys.executable, "-m", "micro_expr.cli", "train", "--system", "stff", "--protocol", "megc",
               "--preset", args.preset,
               "--cache", args.cache, "--out", str(out), "--folds", args.folds, "--no-progress", "--no-merge",
               "--engine", engine, *sum((["--set", s] for s in args.set), [])]
    load = os.getloadavg()[0]
    wall, cpu = time.perf_counter(), machine_cpu_seconds()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    wall, cpu = time.perf_counter() - wall, machine_cpu_seconds() - cpu
    if done.returncode:
        raise SystemExit(f"{engine}: exit {done.returncode}\n{done.stderr[-3000:]}")
    predictions = {}
    for path in sorted(out.glob("folds/*/predictions.json")):
        for p in json.loads(path.read_text()):
            predictions[p["key"]] = p.get("probabilities")
    return {"engine": engine, "wall_s": wall, "machine_cpu_s": cpu, "load_before": load,
            "folds": len(list(out.glob("folds/*/done.json"))), "predictions": predictions}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", required=True)
    parser.add_argument("--folds", default="0-3")
    parser.add_argument("--preset", default="strict")
    parser.add_argument("--set", action="append", default=[], help="KEY=VALUE override, as mer train --set")
    parser.add_argument("--out", default="/tmp/mer_engines")
    parser.add_argument("--json", help="write the figures here")
    args = parser.parse_args(argv)
    if not args.set:   # the quick demo's schedule
        sys.path.insert(0, str(ROOT))
        from micro_expr.demo import SCHEDULES

        args.set = [f"{k}={v}" for k, v in SCHEDULES["quick"].items()]
    results = [run(engine, args) for engine in ("local", "ray")]
    local, ray = results
    same = [k for k in local["predictions"] if local["predictions"][k] == ray["predictions"].get(k)]
    print(f"{'engine':<7} {'folds':>5} {'wall s':>8} {'machine CPU s':>14} {'load before':>12}")
    for r in results:
        print(f"{r['engine']:<7} {r['folds']:>5} {r['wall_s']:8.1f} {r['machine_cpu_s']:14.1f} "
              f"{r['load_before']:12.2f}")
    print(f"ray / local: wall {ray['wall_s'] / local['wall_s']:.2f}x, "
          f"CPU {ray['machine_cpu_s'] / local['machine_cpu_s']:.2f}x; "
          f"identical probabilities for {len(same)} of {len(local['predictions'])} clips")
    if args.json:
        Path(args.json).write_text(json.dumps({"results": [{k: v for k, v in r.items() if k != "predictions"}
                                                           for r in results], "identical": len(same),
                                               "clips": len(local["predictions"])}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
