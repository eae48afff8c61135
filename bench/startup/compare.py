#!/usr/bin/env python3
"""Start-up and whole-command time of impasto builds, interleaved.

    python3 bench/startup/compare.py ROUNDS BINARY... [-- ARGS...]

Without ARGS, times `--version`, `styles` and `focus` on assets/astronaut.png
(needs IMP_SELFIE_DIR); with ARGS, times that one command line. Each round
runs every binary once, the order alternating between rounds. Prints the
median wall time, the median CPU time (user+sys of the child, from
getrusage, microsecond resolution) and the shared libraries the dynamic
loader initialised (LD_DEBUG=libs). Run from the repository's root.
"""
import os
import resource
import statistics
import subprocess
import sys
import time


def run_once(cmd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    rc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if rc != 0:
        sys.exit(f"compare.py: {' '.join(cmd)}: exit {rc}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def libraries(cmd):
    env = dict(os.environ, LD_DEBUG="libs")
    err = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         env=env).stderr.decode(errors="replace")
    return err.count("calling init:")


def main():
    argv = sys.argv[1:]
    if len(argv) < 2:
        sys.exit(__doc__)
    rounds = int(argv[0])
    rest = argv[1:]
    binaries, args = (rest[:rest.index("--")], [rest[rest.index("--") + 1:]]) \
        if "--" in rest else (rest, None)
    if args is None:
        args = [["--version"], ["styles"],
                ["focus", "assets/astronaut.png", "-o", "/tmp/impasto-startup-focus.png",
                 "--quiet"]]
    for a in args:
        times = {b: [] for b in binaries}
        for b in binaries:  # warm-up: page cache, not timed
            run_once([b] + a)
        for r in range(rounds):
            order = binaries if r % 2 == 0 else list(reversed(binaries))
            for b in order:
                times[b].append(run_once([b] + a))
        print(f"impasto {' '.join(a)}")
        for b in binaries:
            wall = statistics.median(t[0] for t in times[b]) * 1000
            cpu = statistics.median(t[1] for t in times[b]) * 1000
            print(f"  {b:40s} wall {wall:8.1f} ms  user+sys {cpu:8.1f} ms  "
                  f"libraries {libraries([b] + a)}")


main()
