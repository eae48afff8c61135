#!/usr/bin/python3
"""Print which ops (with opset) each golden fixture uses, and fail when an
op that impasto promises to read from ONNX is covered by none of them."""
import collections
import os
import sys

import onnx

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GOLDENS = os.path.join(ROOT, "tests", "data", "goldens")

REQUIRED = """Conv ConvTranspose InstanceNormalization BatchNormalization Relu LeakyRelu
PRelu Sigmoid Tanh HardSigmoid HardSwish Clip Add Sub Mul Div Pow Sqrt Pad Resize
Upsample Concat Slice Split MaxPool AveragePool GlobalAveragePool ReduceMean Gemm
MatMul Reshape Flatten Transpose Squeeze Unsqueeze Softmax Constant Identity Cast
Shape Gather ImageScaler Crop Affine""".split()


def main():
    where = collections.defaultdict(list)
    for line in open(os.path.join(GOLDENS, "manifest.txt")):
        if not line.startswith("model="):
            continue
        fname = line.split()[0][len("model="):]
        m = onnx.load(os.path.join(GOLDENS, fname))
        opset = next(o.version for o in m.opset_import if o.domain in ("", "ai.onnx"))
        ops = sorted({n.op_type for n in m.graph.node})
        print("%-36s opset %-2d %s" % (fname, opset, " ".join(ops)))
        for op in ops:
            where[op].append(fname[:-5])
    missing = [op for op in REQUIRED if op not in where]
    print()
    for op in REQUIRED:
        print("%-22s %s" % (op, ", ".join(where.get(op, ["MISSING"]))))
    if missing:
        print("not covered: " + " ".join(missing), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
