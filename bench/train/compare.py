"""impasto's training step against PyTorch's on the same network, loss and
batch, interleaved (C, PyTorch, C, PyTorch...) so that a busy machine
slows both alike; prints each median step time (wall, and CPU seconds of
all threads, steadier on a shared machine) and the ratios.

  /usr/bin/python3 bench/train/compare.py build/bench/train/train_step_time VGG_DIR \
      [--rounds 3] [--steps 2] [-- extra options for both, e.g. --batch 4 --size 256]
"""
import re
import statistics
import subprocess
import sys
import os


def steps(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return [(float(m.group(1)), float(m.group(2)))
            for m in re.finditer(r"^step \d+: wall ([0-9.]+) s, cpu ([0-9.]+)", out, re.M)]


def main():
    args = sys.argv[1:]
    extra = []
    if "--" in args:
        extra = args[args.index("--") + 1:]
        args = args[:args.index("--")]
    exe, vgg = args[0], args[1]
    rounds = int(args[args.index("--rounds") + 1]) if "--rounds" in args else 3
    n = args[args.index("--steps") + 1] if "--steps" in args else "2"
    here = os.path.dirname(os.path.abspath(__file__))
    c_times, t_times = [], []
    for r in range(rounds):
        c_times += steps([exe, vgg, "--steps", n] + extra)
        t_times += steps(["/usr/bin/python3", os.path.join(here, "torch_step.py"), vgg,
                          "--steps", n] + extra)
        print(f"round {r + 1}: impasto wall {c_times[-1][0]:.3f} s cpu {c_times[-1][1]:.3f} s, "
              f"PyTorch wall {t_times[-1][0]:.3f} s cpu {t_times[-1][1]:.3f} s", flush=True)
    for k, what in ((0, "wall"), (1, "cpu")):
        c = statistics.median(x[k] for x in c_times)
        t = statistics.median(x[k] for x in t_times)
        print(f"median step {what}: impasto {c:.3f} s, PyTorch {t:.3f} s, ratio {c / t:.2f}x "
              f"({len(c_times)} and {len(t_times)} steps)")


if __name__ == "__main__":
    main()
