#!/usr/bin/python3
"""Sanity checks on the goldens after run_ort.js:
  * every output is finite and not constant (a constant output tests little);
  * for the PyTorch-exported models, ONNX Runtime agrees with PyTorch under
    the same error measure tests/test_goldens.c applies to impasto:
        max_i |a_i - b_i| / max(|b_i|, FLOOR * max_j |b_j|, 1e-6)
    (element-wise relative error; values below FLOOR of the tensor's largest
    magnitude are judged against that instead, since float32 sums of O(1)
    terms cannot be relatively exact near zero).
Usage: compare.py TORCH_DIR"""
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GOLDENS = os.path.join(ROOT, "tests", "data", "goldens")
FLOOR = 1e-2
TOL = 1e-4
# Exports whose ONNX semantics differ from PyTorch's on purpose: bilinear
# Upsample-9/Resize-10 have only the asymmetric mapping, while PyTorch's
# align_corners=False is half-pixel (PyTorch warns when exporting).
SEMANTICS_DIFFER = {"interp_op9", "interp_op10"}


def rel_error(a, b):
    a = a.astype(np.float64).ravel()
    b = b.astype(np.float64).ravel()
    if b.size == 0:
        return 0.0
    denom = np.maximum(np.abs(b), max(FLOOR * np.abs(b).max(), 1e-6))
    return float(np.max(np.abs(a - b) / denom))


def main():
    torch_dir = sys.argv[1] if len(sys.argv) > 1 else None
    bad = 0
    for line in open(os.path.join(GOLDENS, "manifest.txt")):
        if not line.startswith("model="):
            continue
        tokens = line.split()
        name = tokens[0][len("model="):-len(".onnx")]
        outs = [t[4:].split("=", 1) for t in tokens if t.startswith("out:")]
        worst = None
        for k, (oname, f) in enumerate(outs):
            y = np.load(os.path.join(GOLDENS, f))
            if not np.all(np.isfinite(y)):
                print("%s: output %s has non-finite values" % (name, oname))
                bad += 1
            if y.size > 1 and np.ptp(y) == 0:
                print("%s: output %s is constant (%s)" % (name, oname, y.ravel()[0]))
            tf = torch_dir and os.path.join(torch_dir, "%s.out%d.npy" % (name, k))
            if tf and os.path.exists(tf) and name not in SEMANTICS_DIFFER:
                t = np.load(tf)
                if t.shape != y.shape:
                    print("%s: %s shape torch %s vs ORT %s" % (name, oname, t.shape, y.shape))
                    continue
                e = rel_error(y, t)
                worst = e if worst is None else max(worst, e)
                if e > TOL:
                    bad += 1
        sizes = " ".join("x".join(map(str, np.load(os.path.join(GOLDENS, f)).shape))
                         for _, f in outs)
        print("%-36s %s%s" % (name, sizes,
                              "" if worst is None else "  ORT vs torch %.2e" % worst))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
