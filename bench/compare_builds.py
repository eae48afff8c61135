"""Two or more impasto builds on the same models, interleaved round by round
(the order reversed every other round), so that slow phases of a shared
machine hit every build alike: the before/after table of a change. Prints
the median (and the fastest) run in ms per build and thread count.

    /usr/bin/python3 bench/compare_builds.py OLD/impasto,NEW/impasto MODEL... \\
        [--threads 1,2] [--rounds 4]

Build the old one from a worktree of the commit before, e.g.
  git worktree add /tmp/before HEAD~3 && cmake -S /tmp/before -B /tmp/before/build \\
      -G Ninja -DCMAKE_BUILD_TYPE=Release && ninja -C /tmp/before/build impasto
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
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("builds", help="impasto binaries, comma-separated")
    ap.add_argument("models", nargs="+")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--runs-per-round", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2)
    args = ap.parse_args()
    builds = args.builds.split(",")
    threads = [int(t) for t in args.threads.split(",")]
    cols = [(b, t) for t in threads for b in builds]
    print("builds: " + ", ".join(f"{i + 1} = {b}" for i, b in enumerate(builds)))
    print("| model | " + " | ".join(f"build {builds.index(b) + 1}, {t}T ms" for b, t in cols)
          + " |")
    print("|---|" + "---|" * len(cols))
    for model in args.models:
        times = {c: [] for c in cols}
        for r in range(args.rounds):
            for c in (cols if r % 2 == 0 else cols[::-1]):
                times[c] += run_times(c[0], model, c[1], args.runs_per_round, args.warmup)
        cells = [f"{statistics.median(times[c]):.2f} ({min(times[c]):.2f})" for c in cols]
        print(f"| {os.path.basename(model)} | " + " | ".join(cells) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
