#!/usr/bin/python3
"""Run impasto and ONNX Runtime on the same ONNX files, interleaved, and print
latencies and ratios (impasto / ORT; below 1 means impasto is faster).

Each (model, threads) pair runs ROUNDS rounds; a round times ORT then impasto
(or the reverse on odd rounds) for RUNS_PER_ROUND runs each after warm-up, so
slow drifts of the machine hit both alike. Reported: median over all runs.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def run_json(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    for line in reversed(out.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError(f"no JSON line from {' '.join(cmd)}:\n{out}")


def runs_of(result):
    """The individual run times a bench printed, else just its median."""
    for key in ("runs_ms", "runs"):
        if isinstance(result.get(key), list):
            return result[key]
    return [result["median_ms"]]


def measure(impasto, model, threads, rounds, per_round, warmup):
    ort_times, imp_times, macs = [], [], None
    ort_cmd = ["node", os.path.join(HERE, "ort_bench.js"), model, "--threads",
               str(threads), "--runs", str(per_round), "--warmup", str(warmup)]
    imp_cmd = [impasto, "bench", model, "--threads", str(threads), "--runs",
               str(per_round), "--warmup", str(warmup), "--json"]
    for r in range(rounds):
        order = [("ort", ort_cmd), ("imp", imp_cmd)]
        if r % 2:
            order.reverse()
        for who, cmd in order:
            res = run_json(cmd)
            if who == "ort":
                ort_times += runs_of(res)
            else:
                imp_times += runs_of(res)
                macs = res.get("macs", macs)
    imp_median = statistics.median(imp_times)
    # The rate at the reported median, not at one round's median.
    gflops = 2e-6 * macs / imp_median if macs else None
    return imp_median, statistics.median(ort_times), gflops


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--impasto", required=True, help="path to the impasto binary")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--runs-per-round", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--markdown", help="also write the table here")
    ap.add_argument("models", nargs="+")
    args = ap.parse_args()

    rows = []
    header = "| model | threads | impasto ms | ORT ms | ratio | impasto GFLOP/s |"
    print(header)
    print("|---|---|---|---|---|---|")
    for model in args.models:
        for t in [int(x) for x in args.threads.split(",")]:
            try:
                imp, ort, gf = measure(args.impasto, model, t, args.rounds,
                                       args.runs_per_round, args.warmup)
                row = (f"| {os.path.basename(model)} | {t} | {imp:.1f} | {ort:.1f} | "
                       f"{imp / ort:.2f} | {gf:.1f} |" if gf is not None else
                       f"| {os.path.basename(model)} | {t} | {imp:.1f} | {ort:.1f} | "
                       f"{imp / ort:.2f} | - |")
            except (subprocess.CalledProcessError, RuntimeError) as e:
                err = getattr(e, "stderr", "") or str(e)
                row = f"| {os.path.basename(model)} | {t} | failed: {err.strip()[:80]} | | | |"
            print(row, flush=True)
            rows.append(row)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(header + "\n|---|---|---|---|---|---|\n" + "\n".join(rows) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
