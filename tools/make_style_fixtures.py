#!/usr/bin/python3
"""Write the tiny style networks that tests/test_stylize.c and
tests/test_cli_stylize.c use, so stylize is tested without ../shared.

Run with Debian's python3 and python3-onnx:

    /usr/bin/python3 tools/make_style_fixtures.py tests/data/styles

cin/{identity,waves,embers}.onnx: one conditional-instance-norm network
(the same convolutions, different InstanceNormalization scale/shift per
style), RGB 0..1 NCHW, open height and width, two stride-2 levels (so the
photo must be padded to a multiple of 4). The output is the photo plus a
residual, y = x + up(...); every bias is zero, so the identity style (all
norm scales and shifts 0) returns the photo exactly: strength 0.

fixed32.onnx: a Johnson-like net fixed at 1x3x32x32, BGR 0..255 through an
ImageScaler (how stylize recognises that convention), a reflect Pad, one
instance norm and a residual: tiles, never a squashed picture.

no_image.onnx: input [1, 10]: not a picture at all.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

F32 = TensorProto.FLOAT


def t(name, array):
    return numpy_helper.from_array(np.asarray(array, np.float32), name)


def cin_network(style, seed_trunk=7):
    rng = np.random.default_rng(seed_trunk)  # the trunk: same in every style
    w1 = rng.normal(0, 0.5, (8, 3, 3, 3))
    w2 = rng.normal(0, 0.2, (8, 8, 3, 3))
    w3 = rng.normal(0, 0.2, (8, 8, 4, 4))  # ConvTranspose: [Cin, Cout, k, k]
    w4 = rng.normal(0, 0.15, (8, 3, 4, 4))
    inits = [t("w1", w1), t("w2", w2), t("w3", w3), t("w4", w4)]
    styles = {"identity": None, "waves": 11, "embers": 23}
    seed = styles[style]
    for k in (1, 2, 3):
        if seed is None:
            scale, shift = np.zeros(8), np.zeros(8)
        else:
            srng = np.random.default_rng(seed + k)
            scale = srng.uniform(0.5, 1.5, 8)
            shift = srng.normal(0.3, 0.4, 8)
        inits += [t(f"in{k}.scale", scale), t(f"in{k}.shift", shift)]
    nodes = [
        helper.make_node("Conv", ["x", "w1"], ["c1"], pads=[1, 1, 1, 1], strides=[2, 2]),
        helper.make_node("InstanceNormalization", ["c1", "in1.scale", "in1.shift"], ["n1"]),
        helper.make_node("Relu", ["n1"], ["r1"]),
        helper.make_node("Conv", ["r1", "w2"], ["c2"], pads=[1, 1, 1, 1], strides=[2, 2]),
        helper.make_node("InstanceNormalization", ["c2", "in2.scale", "in2.shift"], ["n2"]),
        helper.make_node("Relu", ["n2"], ["r2"]),
        helper.make_node("ConvTranspose", ["r2", "w3"], ["u1"], pads=[1, 1, 1, 1],
                         strides=[2, 2]),
        helper.make_node("InstanceNormalization", ["u1", "in3.scale", "in3.shift"], ["n3"]),
        helper.make_node("Relu", ["n3"], ["r3"]),
        helper.make_node("ConvTranspose", ["r3", "w4"], ["u2"], pads=[1, 1, 1, 1],
                         strides=[2, 2]),
        helper.make_node("Add", ["x", "u2"], ["y"]),
    ]
    x = helper.make_tensor_value_info("x", F32, [1, 3, "height", "width"])
    y = helper.make_tensor_value_info("y", F32, [1, 3, "height", "width"])
    graph = helper.make_graph(nodes, f"cin_{style}", [x], [y], initializer=inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                          producer_name="impasto-fixtures")
    m.ir_version = 7
    onnx.checker.check_model(m)
    return m


def fixed32():
    rng = np.random.default_rng(3)
    mean_bgr = np.array([103.9, 116.8, 123.7])
    inits = [
        t("w1", rng.normal(0, 0.02, (8, 3, 5, 5))),
        t("b1", np.zeros(8)),
        t("in.scale", rng.uniform(0.5, 1.5, 8)),
        t("in.shift", rng.normal(0, 0.3, 8)),
        t("w2", rng.normal(0, 10.0, (3, 8, 1, 1))),
        t("b2", np.zeros(3)),
        t("mean", mean_bgr.reshape(1, 3, 1, 1)),
        t("pads", np.zeros(1)),  # placeholder, replaced below
    ]
    inits = inits[:-1]
    pads = numpy_helper.from_array(np.array([0, 0, 4, 4, 0, 0, 4, 4], np.int64), "pads")
    nodes = [
        helper.make_node("ImageScaler", ["x"], ["s"], scale=1.0,
                         bias=[float(-v) for v in mean_bgr]),
        helper.make_node("Pad", ["s", "pads"], ["p"], mode="reflect"),
        helper.make_node("Conv", ["p", "w1", "b1"], ["c1"], pads=[0, 0, 0, 0]),
        helper.make_node("InstanceNormalization", ["c1", "in.scale", "in.shift"], ["n1"]),
        helper.make_node("Relu", ["n1"], ["r1"]),
        helper.make_node("Conv", ["r1", "w2", "b2"], ["c2"]),
        helper.make_node("Crop", ["c2"], ["k"], border=[2, 2, 2, 2]),
        helper.make_node("Add", ["k", "s"], ["d"]),
        helper.make_node("Add", ["d", "mean"], ["y"]),
    ]
    x = helper.make_tensor_value_info("x", F32, [1, 3, 32, 32])
    y = helper.make_tensor_value_info("y", F32, [1, 3, 32, 32])
    graph = helper.make_graph(nodes, "fixed32", [x], [y], initializer=inits + [pads])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 9)],
                          producer_name="impasto-fixtures")
    m.ir_version = 4
    return m


def no_image():
    w = t("w", np.ones((10, 2)))
    nodes = [helper.make_node("MatMul", ["x", "w"], ["y"])]
    x = helper.make_tensor_value_info("x", F32, [1, 10])
    y = helper.make_tensor_value_info("y", F32, [1, 2])
    graph = helper.make_graph(nodes, "no_image", [x], [y], initializer=[w])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 7
    return m


def main(out):
    os.makedirs(f"{out}/cin", exist_ok=True)
    for style in ("identity", "waves", "embers"):
        onnx.save(cin_network(style), f"{out}/cin/{style}.onnx")
    onnx.save(fixed32(), f"{out}/fixed32.onnx")
    onnx.save(no_image(), f"{out}/no_image.onnx")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/data/styles")
