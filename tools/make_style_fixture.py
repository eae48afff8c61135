#!/usr/bin/python3
"""Write small style-transfer-shaped ONNX networks with random weights.

    /usr/bin/python3 tools/make_style_fixture.py tiny tests/data/style/tiny_style.onnx
    /usr/bin/python3 tools/make_style_fixture.py narrow /tmp/narrow_style.onnx

Both take "input" [1, 3, height, width] RGB in 0..1 and give "output" of the
same shape, with open height and width (any multiple of 4). They are made
of what real style networks are made of (reflection pad, conv, instance
norm, relu, nearest upsample, conv), so the video pipeline, its norm
statistics and its timing can be tested without a trained style:

- tiny: pad-conv(3->8, stride 2)-norm-relu-upsample-pad-conv(8->3), plus
  the input (a residual), so its output still looks like the picture. A few
  kilobytes: committed as tests/data/style/tiny_style.onnx.
- narrow: a quarter-width Johnson et al. (2016) network (8/16/32 channels,
  3 residual blocks, upsample+conv), as bench/peers exports it but with open
  spatial dims: the size of the video benchmark. Not committed.

Run with Debian's python3, python3-onnx and python3-numpy. Seeded: the same
bytes every run.
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


class Net:
    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)
        self.nodes, self.inits, self.n = [], [], 0

    def name(self, kind):
        self.n += 1
        return f"{kind}{self.n}"

    def const(self, kind, array):
        name = self.name(kind)
        if array.dtype != np.int64:
            array = array.astype(np.float32)
        self.inits.append(numpy_helper.from_array(array, name))
        return name

    def node(self, op, inputs, **attrs):
        out = self.name(op.lower())
        self.nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    def conv(self, x, cin, cout, k, stride=1, gain=1.0):
        p = k // 2
        pads = self.const("pads", np.array([0, 0, p, p, 0, 0, p, p], np.int64))
        x = self.node("Pad", [x, pads], mode="reflect")
        std = gain * np.sqrt(2.0 / (cin * k * k))
        w = self.const("w", self.rng.normal(0, std, (cout, cin, k, k)))
        b = self.const("b", self.rng.normal(0, 0.05, cout))
        return self.node("Conv", [x, w, b], kernel_shape=[k, k], strides=[stride, stride])

    def norm(self, x, c, relu=True):
        scale = self.const("gamma", 1 + self.rng.normal(0, 0.1, c))
        shift = self.const("beta", self.rng.normal(0, 0.1, c))
        x = self.node("InstanceNormalization", [x, scale, shift], epsilon=1e-5)
        return self.node("Relu", [x]) if relu else x

    def upsample(self, x):
        scales = self.const("scales", np.array([1, 1, 2, 2], np.float32))
        return self.node("Resize", [x, "", scales], mode="nearest")

    def model(self, out):
        self.nodes[-1].output[0] = "output"
        x = helper.make_tensor_value_info("input", TensorProto.FLOAT,
                                          [1, 3, "height", "width"])
        y = helper.make_tensor_value_info("output", TensorProto.FLOAT,
                                          [1, 3, "height", "width"])
        graph = helper.make_graph(self.nodes, "style", [x], [y], initializer=self.inits)
        m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                              producer_name="impasto-fixtures")
        m.ir_version = 7
        onnx.checker.check_model(m)
        return m


def tiny():
    n = Net(7)
    h = n.norm(n.conv("input", 3, 8, 3, stride=2), 8)
    h = n.conv(n.upsample(h), 8, 3, 3, gain=0.3)
    half = n.const("half", np.array(0.5, np.float32))
    base = n.node("Mul", ["input", half])
    n.node("Add", [base, h])
    return n.model("output")


def narrow():
    n = Net(11)
    w = 8
    h = n.norm(n.conv("input", 3, w, 9), w)
    h = n.norm(n.conv(h, w, 2 * w, 3, stride=2), 2 * w)
    h = n.norm(n.conv(h, 2 * w, 4 * w, 3, stride=2), 4 * w)
    for _ in range(3):
        r = n.norm(n.conv(h, 4 * w, 4 * w, 3), 4 * w)
        r = n.norm(n.conv(r, 4 * w, 4 * w, 3), 4 * w, relu=False)
        h = n.node("Add", [h, r])
    h = n.norm(n.conv(n.upsample(h), 4 * w, 2 * w, 3), 2 * w)
    h = n.norm(n.conv(n.upsample(h), 2 * w, w, 3), w)
    h = n.conv(h, w, 3, 9, gain=0.3)
    half = n.const("half", np.array(0.5, np.float32))
    n.node("Add", [h, half])
    return n.model("output")


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("tiny", "narrow"):
        sys.exit(__doc__)
    m = tiny() if sys.argv[1] == "tiny" else narrow()
    onnx.save(m, sys.argv[2])
    print("wrote", sys.argv[2])


if __name__ == "__main__":
    main()
