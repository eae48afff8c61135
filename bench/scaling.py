"""Thread scaling of impasto: 1 thread against N threads on the same models,
interleaved round by round (1, N, N, 1, ...), so that slow phases of a shared
machine hit both alike. Prints the medians and speed-up per model.

    /usr/bin/python3 bench/scaling.py build/apps/impasto/impasto MODEL... [--threads 2]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys


def run_times(impasto, model, threads, runs, warmup):
    out = subprocess.run([impasto, "bench", model, "--threads", str(threads), "--runs",
                          str(runs), "--warmup", str(warmup), "--json"],
                         check=True, capture_output=True, text=True).stdout
    line = [l for l in out.splitlines() if l.startswith("{")][-1]
    return json.loads(line)["runs_ms"]


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("impasto")
    ap.add_argument("models", nargs="+")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--runs-per-round", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=2)
    args = ap.parse_args()
    print(f"| model | 1 thread ms | {args.threads} threads ms | speed-up |")
    print("|---|---|---|---|")
    for model in args.models:
        times = {1: [], args.threads: []}
        for r in range(args.rounds):
            order = [1, args.threads] if r % 2 == 0 else [args.threads, 1]
            for t in order:
                times[t] += run_times(args.impasto, model, t, args.runs_per_round,
                                      args.warmup)
        one, many = statistics.median(times[1]), statistics.median(times[args.threads])
        print(f"| {os.path.basename(model)} | {one:.1f} | {many:.1f} | {one / many:.2f} |",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
