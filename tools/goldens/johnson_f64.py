#!/usr/bin/python3
"""How far is ONNX Runtime itself from exact on the Johnson nets?

Evaluates a Johnson net (only the ops those files use) in float64 with
PyTorch and compares with the ORT golden of tests/data/goldens/johnson/:
the sampled pixels and the channel means. This says how much of the 1e-4
budget float32 rounding already spends, i.e. whether the tolerance of
tests/test_goldens_johnson.c is one a correct float32 runtime can meet.
Usage: johnson_f64.py MODELS_DIR NET [NET...]   (not part of make_all.sh)"""
import math
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def conv_transpose(x, w, b, a):
    s = a.get("strides", [1, 1])
    full = F.conv_transpose2d(x, w, b, stride=s)  # no padding: natural size
    if "output_shape" not in a:
        raise NotImplementedError("only the output_shape form")
    out = a["output_shape"][-2:]
    res = torch.zeros(x.shape[0], w.shape[1], out[0], out[1], dtype=x.dtype)
    if b is not None:
        res += b.view(1, -1, 1, 1)
    starts = []
    for i in range(2):
        total = full.shape[2 + i] - out[i]
        # ONNX Runtime's rule, which the Johnson nets (made for it) need: a
        # negative total is clamped to 0, so the extra row/column (bias
        # only) lands at the end; an odd total puts the larger half at the
        # start unless SAME_UPPER.
        total = max(total, 0)
        half = total // 2
        starts.append(half if a.get("auto_pad", b"NOTSET") == b"SAME_UPPER" else total - half)
    # out[j] = full[j + start], zero where that falls outside full.
    ys, xs = starts
    H, W = full.shape[2], full.shape[3]
    y0, y1 = max(0, -ys), min(out[0], H - ys)
    x0, x1 = max(0, -xs), min(out[1], W - xs)
    res[:, :, y0:y1, x0:x1] = full[:, :, y0 + ys:y1 + ys, x0 + xs:x1 + xs]
    return res


def run(model, x):
    g = model.graph
    v = {i.name: torch.from_numpy(numpy_helper.to_array(i).astype(np.float64)) for i in g.initializer}
    v[g.input[0].name] = x
    for n in g.node:
        a = attrs(n)
        i = [v[k] if k else None for k in n.input]
        op = n.op_type
        if op == "ImageScaler":
            y = i[0] * a.get("scale", 1.0) + torch.tensor(a["bias"], dtype=x.dtype).view(1, -1, 1, 1)
        elif op == "Pad":
            p = a["pads"]
            y = F.pad(i[0], (p[3], p[7], p[2], p[6]), mode=a["mode"].decode())
        elif op == "Conv":
            p = a.get("pads", [0, 0, 0, 0])
            xp = F.pad(i[0], (p[1], p[3], p[0], p[2]))
            y = F.conv2d(xp, i[1], i[2] if len(i) > 2 else None, stride=a.get("strides", [1, 1]))
        elif op == "InstanceNormalization":
            t = i[0]
            mean = t.mean(dim=(2, 3), keepdim=True)
            var = ((t - mean) ** 2).mean(dim=(2, 3), keepdim=True)
            y = (t - mean) / torch.sqrt(var + a.get("epsilon", 1e-5))
            y = y * i[1].view(1, -1, 1, 1) + i[2].view(1, -1, 1, 1)
        elif op == "Relu":
            y = torch.relu(i[0])
        elif op == "Crop":
            l, t, r, bo = a["border"]
            y = i[0][:, :, t:i[0].shape[2] - bo, l:i[0].shape[3] - r]
        elif op == "Add":
            y = i[0] + i[1]
        elif op == "Mul":
            y = i[0] * i[1]
        elif op == "ConvTranspose":
            y = conv_transpose(i[0], i[1], i[2] if len(i) > 2 else None, a)
        elif op == "Tanh":
            y = torch.tanh(i[0])
        elif op == "Affine":
            y = i[0] * a.get("alpha", 1.0) + a.get("beta", 0.0)
        else:
            raise NotImplementedError(op)
        v[n.output[0]] = y
    return v[g.output[0].name]


def synthetic(h, w):
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    planes = [127.5 * (1 + np.sin(0.05 * x + 0.09 * y + c)) for c in (2, 1, 0)]  # BGR
    # The runtimes are fed float32.
    return torch.from_numpy(np.stack(planes)[None].astype(np.float32).astype(np.float64))


def main():
    torch.set_num_threads(2)
    models = sys.argv[1]
    x = synthetic(720, 720)
    for net in sys.argv[2:]:
        golden = os.path.join(ROOT, "tests", "data", "goldens", "johnson", net + ".txt")
        lines = [ln.split() for ln in open(golden) if not ln.startswith("#")]
        rel = [ln[1] for ln in lines if ln[0] == "model"][0]
        with torch.no_grad():
            y = run(onnx.load(os.path.join(models, rel)), x)[0].numpy()
        scale = float(np.abs(y).max())
        worst_px = worst_rel = 0.0
        errs = []
        for ln in lines:
            if ln[0] == "px":
                c, py, px, want = int(ln[1]), int(ln[2]), int(ln[3]), float(ln[4])
                exact = y[c, py, px]
                worst_px = max(worst_px, abs(want - exact) / max(abs(exact), 1.0))
                worst_rel = max(worst_rel, abs(want - exact) / scale)
                errs.append((abs(want - exact), abs(exact)))
            elif ln[0] == "channel":
                c, mean, std = int(ln[1]), float(ln[2]), float(ln[3])
                print("  %s ch%d mean ORT %.6f exact %.6f (rel %.1e), std rel %.1e" % (
                    net, c, mean, y[c].mean(), abs(mean / y[c].mean() - 1),
                    abs(std / y[c].std() - 1)))
        print("%s: sampled px, ORT vs float64: max |d|/max(|v|,1) %.2e, max |d|/max|out| %.2e"
              % (net, worst_px, worst_rel))
        d = np.array(errs)
        q = np.percentile(d[:, 0], [50, 99, 99.9])
        print("  |d| median %.2e, 99%% %.2e, 99.9%% %.2e; over 1e-4*255: %d of %d; "
              "rms %.2e" % (q[0], q[1], q[2], int((d[:, 0] > 0.0255).sum()), len(d),
                            float(np.sqrt((d[:, 0] ** 2).mean()))))
        for lo in (0, 1, 10, 50):
            sel = d[d[:, 1] >= lo]
            print("  |v| >= %-3d: %4d px, max |d| %.2e, max |d|/|v| %.2e" % (
                lo, len(sel), sel[:, 0].max(), (sel[:, 0] / np.maximum(sel[:, 1], 1e-9)).max()))


if __name__ == "__main__":
    main()
