#!/usr/bin/python3
"""Where a network's time goes on a busy machine: `impasto bench --profile`
run many times, each node's time the minimum over the invocations (a node
preempted in one run is fast in another), then summed by operator/engine.
The sum of the minima stays close to a quiet machine's latency where the
median run does not (2-3x it while other jobs hold the cores).

    /usr/bin/python3 bench/profile_minima.py IMPASTO MODEL [--threads 1]
        [--invocations 10] [--top 25] [-- extra bench args]

Each invocation times 3 runs after 1 warm-up; a node's time in one
invocation is its average over those 4.
"""
import argparse
import collections
import json
import subprocess


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("impasto")
    ap.add_argument("model")
    ap.add_argument("--threads", default="1")
    ap.add_argument("--invocations", type=int, default=10)
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("extra", nargs="*", help="more `impasto bench` arguments, after --")
    args = ap.parse_args()
    best, info, runs = {}, {}, []
    for _ in range(args.invocations):
        out = subprocess.run([args.impasto, "bench", args.model, "--threads", args.threads,
                              "--runs", "3", "--warmup", "1", "--profile", "--json"] + args.extra,
                             capture_output=True, text=True, check=True).stdout
        d = json.loads([l for l in out.splitlines() if l.startswith("{")][-1])
        runs.append(d["min_ms"])
        for p in d["profile"]:
            best[p["name"]] = min(best.get(p["name"], float("inf")), p["ms"])
            info[p["name"]] = (p["op"], p["engine"], p["macs"])
    total = sum(best.values())
    print(f"fastest run {min(runs):.3f} ms; sum of per-node minima {total:.3f} ms")
    by_engine = collections.defaultdict(float)
    for name, ms in best.items():
        by_engine[info[name][0] + "/" + info[name][1]] += ms
    for engine, ms in sorted(by_engine.items(), key=lambda e: -e[1]):
        print(f"  {ms:7.3f} ms {100 * ms / total:5.1f}%  {engine}")
    print("slowest nodes (GFLOP/s = 2 x multiply-adds / time):")
    for name, ms in sorted(best.items(), key=lambda e: -e[1])[:args.top]:
        op, engine, macs = info[name]
        rate = 2 * macs / ms / 1e6 if ms > 0 else 0.0
        print(f"  {ms:7.3f} ms {rate:6.1f} GFLOP/s  {op:12s} {engine:18s} {name}")


if __name__ == "__main__":
    main()
