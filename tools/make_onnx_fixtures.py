#!/usr/bin/python3
"""Write the small ONNX models that tests/test_onnx_reader.c reads.

Run with Debian's python3 and python3-onnx (no other packages):

    /usr/bin/python3 tools/make_onnx_fixtures.py tests/data/onnx

The models are tiny and hand-built; the tests know the values written here
(kept in sync by hand: the test states them independently). Some models are
deliberately invalid; those are never passed to onnx.checker.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

F32 = TensorProto.FLOAT


def model(nodes, inputs, outputs, inits=(), opset=13, ir=7, domains=()):
    graph = helper.make_graph(nodes, "fixture", inputs, outputs,
                              initializer=list(inits))
    opsets = [helper.make_opsetid("", opset)]
    opsets += [helper.make_opsetid(d, 1) for d in domains]
    m = helper.make_model(graph, opset_imports=opsets,
                          producer_name="impasto-fixtures")
    m.ir_version = ir
    return m


def basic():
    """x[batch,3,4,5] -> Clip(lo: fp16 initializer in int32_data, hi: Constant
    value_float) -> Tanh -> y. 'w' is an initializer also listed as a graph
    input (IR 3 style): a constant, not an input. 'unused' is a Constant
    nobody reads."""
    lo = helper.make_tensor("lo", TensorProto.FLOAT16, [], [-0.5])
    w = numpy_helper.from_array(np.array([2.0, 3.0], np.float32), "w")
    nodes = [
        helper.make_node("Constant", [], ["hi"], name="hi_const",
                         value_float=0.75),
        helper.make_node("Constant", [], ["unused"], name="unused_const",
                         value_ints=[1, 2, 3]),
        helper.make_node("Clip", ["x", "lo", "hi"], ["c"], name="clip"),
        helper.make_node("Tanh", ["c"], ["y"], name="tanh"),
    ]
    x = helper.make_tensor_value_info("x", F32, ["batch", 3, 4, 5])
    wi = helper.make_tensor_value_info("w", F32, [2])
    y = helper.make_tensor_value_info("y", F32, ["batch", 3, 4, 5])
    m = model(nodes, [x, wi], [y], [lo, w])
    onnx.checker.check_model(m)
    return m


def unsorted():
    """Nodes listed consumer-first: y = Sigmoid(Relu(x))."""
    nodes = [
        helper.make_node("Sigmoid", ["h"], ["y"], name="sig"),
        helper.make_node("Relu", ["x"], ["h"], name="relu"),
    ]
    x = helper.make_tensor_value_info("x", F32, [1, 2])
    y = helper.make_tensor_value_info("y", F32, [1, 2])
    return model(nodes, [x], [y])


def data_fields():
    """One initializer per element type and storage (raw vs typed)."""
    f32 = [1.5, -2.0, 3.25, 0.0, 1e-3, -7.5]
    inits = [
        numpy_helper.from_array(np.array(f32, np.float32).reshape(2, 3),
                                "f32_raw"),
        helper.make_tensor("f32_typed", F32, [2, 3], f32),
        helper.make_tensor("f16_typed", TensorProto.FLOAT16, [3],
                           [1.0, -2.5, 65504.0]),
        helper.make_tensor("f64_typed", TensorProto.DOUBLE, [2], [0.1, -1e300]),
        helper.make_tensor("i64_typed", TensorProto.INT64, [3],
                           [-1, 2**40, 7]),
        helper.make_tensor("i32_typed", TensorProto.INT32, [2], [-5, 2**31 - 1]),
        helper.make_tensor("i8_typed", TensorProto.INT8, [3], [-128, 0, 127]),
        helper.make_tensor("u8_typed", TensorProto.UINT8, [2], [0, 255]),
        helper.make_tensor("bool_typed", TensorProto.BOOL, [3],
                           [True, False, True]),
    ]
    inits.append(numpy_helper.from_array(
        np.array([1.0, -2.5, 65504.0], np.float16), "f16_raw"))
    inits.append(numpy_helper.from_array(np.array([0.1, -1e300]), "f64_raw"))
    inits.append(numpy_helper.from_array(
        np.array([-1, 2**40, 7], np.int64), "i64_raw"))
    inits.append(numpy_helper.from_array(np.array([0, 255], np.uint8), "u8_raw"))
    inits.append(numpy_helper.from_array(np.zeros((0, 4), np.float32), "empty"))
    inits.append(numpy_helper.from_array(np.array(4.5, np.float32), "scalar"))
    x = helper.make_tensor_value_info("x", F32, [1])
    y = helper.make_tensor_value_info("y", F32, [1])
    m = model([helper.make_node("Identity", ["x"], ["y"], name="id")], [x], [y],
              inits)
    onnx.checker.check_model(m)
    return m


def legacy10():
    """Opset 10: Resize (X, scales), Softmax, Dropout with a mask output,
    an Identity carrying a TENSOR attribute (not valid ONNX: never checked),
    a Constant with a tensor value and a Slice with attribute lists."""
    scales = numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32),
                                     "scales")
    nodes = [
        helper.make_node("Resize", ["x", "scales"], ["r"], name="resize",
                         mode="nearest"),
        helper.make_node("Dropout", ["r"], ["d", "mask"], name="drop",
                         ratio=0.5),
        helper.make_node("Softmax", ["d"], ["s"], name="softmax", axis=1),
        helper.make_node("Identity", ["s"], ["y"], name="ident",
                         extra=helper.make_tensor("t", TensorProto.INT64, [2],
                                                  [4, 5])),
        helper.make_node("Constant", [], ["k"], name="k_const",
                         value=helper.make_tensor("kt", F32, [2, 2],
                                                  [1, 2, 3, 4])),
        helper.make_node("Pad", ["x"], ["p"], name="pad", mode="reflect",
                         pads=[0, 0, 1, 1, 0, 0, 1, 1]),
    ]
    x = helper.make_tensor_value_info("x", F32, [1, 2, 3, 3])
    y = helper.make_tensor_value_info("y", F32, [1, 2, 6, 6])
    p = helper.make_tensor_value_info("p", F32, [1, 2, 5, 5])
    k = helper.make_tensor_value_info("k", F32, [2, 2])
    return model(nodes, [x], [y, p, k], [scales], opset=10, ir=5)


def legacy3():
    """Opset 3: Concat without an axis (it meant 1) and Cast to a type
    name (opsets 1-5 spelled `to` as a string)."""
    nodes = [
        helper.make_node("Concat", ["a", "b"], ["c"], name="concat"),
        helper.make_node("Cast", ["c"], ["y"], name="cast", to="INT32"),
    ]
    a = helper.make_tensor_value_info("a", F32, [1, 2])
    b = helper.make_tensor_value_info("b", F32, [1, 3])
    y = helper.make_tensor_value_info("y", TensorProto.INT32, [1, 5])
    return model(nodes, [a, b], [y], opset=3, ir=3)


def modern(opset, ir):
    """What today's exporters write (opsets 19-21), with shape operands as
    inputs: Pad-19 (pads input), Conv, Relu, AveragePool-19, ReduceMean-18
    (axes input), Reshape-19, Cast-21. Returns the model; modern_expected()
    computes its output with numpy."""
    rng = np.random.default_rng(7)
    w = rng.uniform(-1, 1, (3, 2, 3, 3)).astype(np.float32)
    inits = [numpy_helper.from_array(w, "w"),
             numpy_helper.from_array(np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64), "pads"),
             numpy_helper.from_array(np.array([1], np.int64), "axes"),
             numpy_helper.from_array(np.array([1, -1], np.int64), "shape")]
    nodes = [
        helper.make_node("Pad", ["x", "pads"], ["p"], name="pad", mode="edge"),
        helper.make_node("Conv", ["p", "w"], ["c"], name="conv"),
        helper.make_node("Relu", ["c"], ["r"], name="relu"),
        helper.make_node("AveragePool", ["r"], ["a"], name="pool",
                         kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("ReduceMean", ["a", "axes"], ["m"], name="mean", keepdims=1),
        helper.make_node("Reshape", ["m", "shape"], ["f"], name="flat"),
        helper.make_node("Cast", ["f"], ["y"], name="cast", to=TensorProto.FLOAT),
    ]
    x = helper.make_tensor_value_info("x", F32, [1, 2, 6, 6])
    y = helper.make_tensor_value_info("y", F32, [1, 9])
    return model(nodes, [x], [y], inits, opset=opset, ir=ir), w


def modern_expected(w):
    """modern()'s output for x = ramp / 36, by plain numpy."""
    x = (np.arange(72, dtype=np.float64) / 36.0 - 1.0).reshape(1, 2, 6, 6)
    p = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)), mode="edge")
    c = np.zeros((1, 3, 6, 6))
    for m in range(3):
        for i in range(6):
            for j in range(6):
                c[0, m, i, j] = np.sum(p[0, :, i:i + 3, j:j + 3] * w[m])
    r = np.maximum(c, 0)
    a = r.reshape(1, 3, 3, 2, 3, 2).mean(axis=(3, 5))
    m = a.mean(axis=1, keepdims=True)
    return x.astype(np.float32), m.reshape(1, -1).astype(np.float32)


def reshape_input():
    """Reshape whose target shape is a graph input (a plan-time input)."""
    node = helper.make_node("Reshape", ["data", "shape"], ["y"], name="reshape")
    data = helper.make_tensor_value_info("data", F32, [2, 3, 4])
    shape = helper.make_tensor_value_info("shape", TensorProto.INT64, [2])
    y = helper.make_tensor_value_info("y", F32, None)
    return model([node], [data, shape], [y])


def no_inputs():
    """A model without inputs: a Constant, doubled."""
    nodes = [
        helper.make_node("Constant", [], ["k"], name="k",
                         value=helper.make_tensor("kt", F32, [2, 2], [1, 2, 3, 4])),
        helper.make_node("Add", ["k", "k"], ["y"], name="twice"),
    ]
    y = helper.make_tensor_value_info("y", F32, [2, 2])
    return model(nodes, [], [y])


def relu_model(opset=13, ir=7, op="Relu", domain=None, name="n0"):
    node = helper.make_node(op, ["x"], ["y"], name=name, domain=domain)
    x = helper.make_tensor_value_info("x", F32, [1, 4])
    y = helper.make_tensor_value_info("y", F32, [1, 4])
    return model([node], [x], [y], opset=opset, ir=ir,
                 domains=[domain] if domain else ())


def with_init(tensor, opset=13):
    """x + nothing: Relu(x) -> y, plus a (broken) initializer."""
    m = relu_model(opset)
    m.graph.initializer.append(tensor)
    return m


def bad_models():
    out = {}
    out["bad_opset"] = relu_model(opset=0, ir=3)
    out["bad_opset_new"] = relu_model(opset=24, ir=10)
    out["unknown_op"] = relu_model(op="FooBar", name="mystery")
    legacy_axis = relu_model(op="Add", opset=6, ir=3)
    legacy_axis.graph.node[0].input.append("x")
    legacy_axis.graph.node[0].attribute.extend(
        [helper.make_attribute("broadcast", 1), helper.make_attribute("axis", 1)])
    out["legacy_broadcast_axis"] = legacy_axis
    out["custom_domain"] = relu_model(op="Relu", domain="com.example",
                                      name="custom")

    ext = helper.make_tensor("big_w", F32, [4], [0, 0, 0, 0])
    del ext.float_data[:]
    ext.data_location = TensorProto.EXTERNAL
    entry = ext.external_data.add()
    entry.key = "location"
    entry.value = "weights.bin"
    out["external_data"] = with_init(ext)

    raw = numpy_helper.from_array(np.zeros((2, 3), np.float32), "short_w")
    raw.raw_data = raw.raw_data[:-4]
    out["bad_raw_size"] = with_init(raw)

    count = helper.make_tensor("few_w", F32, [2, 3], [1, 2, 3, 4, 5, 6])
    del count.float_data[5:]
    out["bad_value_count"] = with_init(count)

    huge = TensorProto()
    huge.name = "huge_w"
    huge.data_type = F32
    huge.dims.extend([2**31, 2**31, 2**31])
    out["dims_overflow"] = with_init(huge)

    neg = TensorProto()
    neg.name = "neg_w"
    neg.data_type = F32
    neg.dims.extend([2, -3])
    out["negative_dim"] = with_init(neg)

    s = helper.make_tensor("str_w", TensorProto.STRING, [1], [b"hi"])
    out["string_tensor"] = with_init(s)

    m = relu_model()
    m.graph.node[0].input[0] = "nowhere"
    out["undefined_input"] = m

    m = relu_model()
    m.graph.node.append(helper.make_node("Tanh", ["x"], ["y"], name="again"))
    out["duplicate_output"] = m

    m = relu_model()
    m.graph.output[0].name = "missing"
    out["missing_output"] = m

    m = relu_model()
    m.graph.input[0].type.tensor_type.elem_type = 0
    out["input_no_type"] = m

    m = relu_model()
    m.graph.node[0].attribute.append(helper.make_attribute(
        "body", helper.make_graph([], "sub", [], [])))
    out["graph_attribute"] = m

    m = relu_model()
    mask = helper.make_node("Dropout", ["x"], ["d", "mask"], name="drop")
    m.graph.node[0].input[0] = "mask"
    m.graph.node.insert(0, mask)
    out["dropout_mask_used"] = m
    return out


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "tests/data/onnx"
    os.makedirs(out_dir, exist_ok=True)
    models = {"basic": basic(), "unsorted": unsorted(),
              "data_fields": data_fields(), "legacy10": legacy10()}
    models["legacy3"] = legacy3()
    models["reshape_input"] = reshape_input()
    models["no_inputs"] = no_inputs()
    for opset, ir in ((19, 9), (20, 9), (21, 10)):
        models[f"modern_op{opset}"], w = modern(opset, ir)
    x, y = modern_expected(w)
    np.save(os.path.join(out_dir, "modern.x.npy"), x)
    np.save(os.path.join(out_dir, "modern.y.npy"), y)
    models.update(bad_models())
    for name, m in sorted(models.items()):
        path = os.path.join(out_dir, name + ".onnx")
        with open(path, "wb") as f:
            f.write(m.SerializeToString())
        print(f"{path}: {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
