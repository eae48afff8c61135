#!/usr/bin/python3
"""Writes the fuzz seed corpora under fuzz/corpus/<target>/.

Seeds are tiny valid models covering the operator forms the readers
translate (the real models' constructs, shrunk), plus a few deliberately
bad files for paths a fuzzer reaches slowly. Deterministic: running it
twice writes the same bytes.

Needs Debian's python3-onnx, python3-numpy and python3-pil (use
/usr/bin/python3). .imp seeds come from tools/fuzz/make_imp_seeds.sh once
a build with the .imp writer exists.

    /usr/bin/python3 tools/fuzz/make_corpus.py [REPO_ROOT]
"""

import io
import os
import struct
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from flatbuf import String, Table, Vector, finish  # noqa: E402

ROOT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                       os.path.join(os.path.dirname(__file__), "..", ".."))
CORPUS = os.path.join(ROOT, "fuzz", "corpus")
rng = np.random.default_rng(20240601)


def save(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def w(*shape, dtype=np.float32):
    return (rng.standard_normal(shape) * 0.3).astype(dtype)


# ---- ONNX -------------------------------------------------------------------

def init(name, arr):
    return numpy_helper.from_array(np.asarray(arr), name)


def model(nodes, inputs, outputs, inits=(), opset=13, ir=7, name="g"):
    inputs = list(inputs)
    if ir < 4:  # IR 3 lists every initializer as a graph input too
        inputs += [helper.make_tensor_value_info(t.name, t.data_type, list(t.dims))
                   for t in inits]
    g = helper.make_graph(nodes, name, inputs, outputs, list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)],
                          producer_name="impasto-fuzz-seed")
    m.ir_version = ir
    # Outputs declared without a shape get the one ONNX infers, as
    # exporters write them.
    if any(not o.type.tensor_type.HasField("shape") for o in g.output):
        try:
            inferred = onnx.shape_inference.infer_shapes(m, strict_mode=True)
            known = {v.name: v for v in list(inferred.graph.value_info) +
                     list(inferred.graph.output)
                     if v.type.tensor_type.HasField("shape")}
            for o in m.graph.output:
                if not o.type.tensor_type.HasField("shape") and o.name in known:
                    o.CopyFrom(known[o.name])
        except Exception as e:
            print("note: %s: no shape inference: %s" % (name, str(e)[:200]))
    return m.SerializeToString()


def vi(name, shape, t=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, t, shape)


def onnx_seeds():
    n = helper.make_node
    # Conv + bias + Relu, the most common block.
    save("onnx", "conv_relu.onnx", model(
        [n("Conv", ["x", "W", "B"], ["c"], pads=[1, 1, 1, 1], strides=[1, 1]),
         n("Relu", ["c"], ["y"])],
        [vi("x", [1, 3, 8, 8])], [vi("y", [1, 4, 8, 8])],
        [init("W", w(4, 3, 3, 3)), init("B", w(4))]))

    # The Johnson style nets at opset 7: ImageScaler, Pad (attrs, reflect),
    # InstanceNormalization, Crop, ConvTranspose with output_shape, Affine.
    save("onnx", "johnson_opset7.onnx", model(
        [n("ImageScaler", ["x"], ["s"], scale=1.0, bias=[-1.0, 0.0, 1.0]),
         n("Pad", ["s"], ["p"], mode="reflect", pads=[0, 0, 2, 2, 0, 0, 2, 2]),
         n("Conv", ["p", "W1", "B1"], ["c1"], kernel_shape=[3, 3],
           strides=[2, 2]),
         n("InstanceNormalization", ["c1", "g1", "b1"], ["i1"], epsilon=1e-5),
         n("Relu", ["i1"], ["r1"]),
         n("Crop", ["r1"], ["cr"], border=[1, 1, 1, 1]),
         n("ConvTranspose", ["cr", "Wt", "Bt"], ["ct"], kernel_shape=[3, 3],
           strides=[2, 2], output_shape=[9, 9]),
         n("Tanh", ["ct"], ["t"]),
         n("Affine", ["t"], ["a"], alpha=150.0, beta=0.0),
         n("Mul", ["a", "k"], ["m"]),
         n("Add", ["m", "mean"], ["y"])],
        [vi("x", [1, 3, 8, 8])], [vi("y", [1, 3, 9, 9])],
        [init("W1", w(4, 3, 3, 3)), init("B1", w(4)),
         init("g1", np.ones(4, np.float32)), init("b1", np.zeros(4, np.float32)),
         init("Wt", w(4, 3, 3, 3)), init("Bt", w(3)),
         init("k", np.array([1.0], np.float32)),
         init("mean", np.array([[[103.9]], [[116.8]], [[123.7]]], np.float32))],
        opset=7, ir=3))

    # SqueezeNet-style fp16 net at opset 7: f16 input, fire module,
    # MaxPool, Concat, Dropout, GlobalAveragePool, legacy Softmax.
    h = np.float16
    save("onnx", "squeeze_fp16_opset7.onnx", model(
        [n("Conv", ["x", "W0", "B0"], ["c0"], kernel_shape=[3, 3], strides=[2, 2]),
         n("Relu", ["c0"], ["r0"]),
         n("MaxPool", ["r0"], ["p0"], kernel_shape=[3, 3], strides=[2, 2]),
         n("Conv", ["p0", "Wa", "Ba"], ["ca"], kernel_shape=[1, 1]),
         n("Relu", ["ca"], ["ra"]),
         n("Conv", ["p0", "Wb", "Bb"], ["cb"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
         n("Relu", ["cb"], ["rb"]),
         n("Concat", ["ra", "rb"], ["cat"], axis=1),
         n("Dropout", ["cat"], ["d"], ratio=0.5),
         n("GlobalAveragePool", ["d"], ["gap"]),
         n("Softmax", ["gap"], ["y"])],
        [vi("x", [1, 3, 16, 16], TensorProto.FLOAT16)],
        [vi("y", [1, 6, 1, 1], TensorProto.FLOAT16)],
        [init("W0", w(4, 3, 3, 3, dtype=h)), init("B0", w(4, dtype=h)),
         init("Wa", w(3, 4, 1, 1, dtype=h)), init("Ba", w(3, dtype=h)),
         init("Wb", w(3, 4, 3, 3, dtype=h)), init("Bb", w(3, dtype=h))],
        opset=7, ir=3))

    # Shape arithmetic that must fold at load: Shape->Gather->Concat->Reshape,
    # Unsqueeze/Slice/Squeeze with inputs, Resize with scales, Constant.
    save("onnx", "shape_chain_opset13.onnx", model(
        [n("Shape", ["x"], ["shp"]),
         n("Gather", ["shp", "i0"], ["n0"], axis=0),
         n("Unsqueeze", ["n0", "ax0"], ["n1"]),
         n("Constant", [], ["rest"], value=helper.make_tensor(
             "rest", TensorProto.INT64, [1], [-1])),
         n("Concat", ["n1", "rest"], ["newshape"], axis=0),
         n("Reshape", ["x", "newshape"], ["flat"]),
         n("Slice", ["flat", "st", "en", "ax1"], ["sl"]),
         n("Unsqueeze", ["sl", "ax23"], ["u"]),
         n("Squeeze", ["u", "ax3"], ["sq"]),
         n("Transpose", ["sq"], ["tr"], perm=[0, 2, 1]),
         n("MatMul", ["tr", "M"], ["mm"]),
         n("Resize", ["x", "", "scales"], ["rs"], mode="nearest"),
         n("ReduceMean", ["rs"], ["rm"], axes=[2, 3], keepdims=1),
         n("Softmax", ["mm"], ["y"], axis=-1),
         n("Flatten", ["rm"], ["y2"], axis=1)],
        [vi("x", ["N", 2, 4, 4])], [vi("y", ["N", "L", 3]), vi("y2", ["N", 2])],
        [init("i0", np.array(0, np.int64)), init("ax0", np.array([0], np.int64)),
         init("st", np.array([0], np.int64)), init("en", np.array([16], np.int64)),
         init("ax1", np.array([1], np.int64)),
         init("ax23", np.array([1, 3], np.int64)), init("ax3", np.array([3], np.int64)),
         init("M", w(1, 3)),
         init("scales", np.array([1, 1, 2, 2], np.float32))],
        opset=13, ir=7))

    # Resize-10 (X, scales), Upsample 9 (scales input) and 7 (attribute).
    save("onnx", "resize10.onnx", model(
        [n("Resize", ["x", "sc"], ["y"], mode="linear")],
        [vi("x", [1, 1, 2, 2])], [vi("y", [1, 1, 4, 4])],
        [init("sc", np.array([1, 1, 2, 2], np.float32))], opset=10, ir=5))
    save("onnx", "upsample_opset9.onnx", model(
        [n("Upsample", ["x", "sc"], ["y"], mode="nearest")],
        [vi("x", [1, 1, 2, 2])], [vi("y", [1, 1, 4, 4])],
        [init("sc", np.array([1, 1, 2, 2], np.float32))], opset=9, ir=4))
    save("onnx", "upsample_opset7.onnx", model(
        [n("Upsample", ["x"], ["y"], mode="nearest", scales=[1.0, 1.0, 2.0, 2.0])],
        [vi("x", [1, 2, 3, 3])], [vi("y", [1, 2, 6, 6])], opset=7, ir=3))

    # Legacy attribute forms: Slice (opset 9), Split/Clip attrs, Pad-2.
    save("onnx", "legacy_attrs_opset9.onnx", model(
        [n("Slice", ["x"], ["s"], starts=[0, 1], ends=[1, 3], axes=[0, 2]),
         n("Split", ["s"], ["a", "b"], axis=1, split=[1, 2]),
         n("Clip", ["a"], ["ca"], min=-0.5, max=0.5),
         n("Pad", ["b"], ["pb"], pads=[0, 0, 1, 0, 0, 0, 1, 0], value=0.0),
         n("LeakyRelu", ["ca"], ["y1"], alpha=0.1),
         n("HardSigmoid", ["pb"], ["y2"])],
        [vi("x", [1, 3, 4, 4])], [vi("y1", None), vi("y2", None)], opset=9, ir=4))

    # Opset 13 input forms of the same: Split/Clip/Pad by input.
    save("onnx", "input_forms_opset13.onnx", model(
        [n("Split", ["x", "spl"], ["a", "b"], axis=1),
         n("Clip", ["a", "lo", "hi"], ["ca"]),
         n("Pad", ["b", "pads", "pv"], ["pb"], mode="edge"),
         n("Sub", ["ca", "one"], ["s"]), n("Div", ["s", "two"], ["d"]),
         n("Pow", ["d", "two"], ["p"]), n("Sqrt", ["p"], ["q"]),
         n("Sigmoid", ["q"], ["sg"]), n("HardSwish", ["sg"], ["y1"]),
         n("PRelu", ["pb", "slope"], ["y2"])],
        [vi("x", [1, 3, 4, 4])], [vi("y1", None), vi("y2", None)],
        [init("spl", np.array([1, 2], np.int64)),
         init("lo", np.array(-1, np.float32)), init("hi", np.array(1, np.float32)),
         init("pads", np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64)),
         init("pv", np.array(0, np.float32)),
         init("one", np.array(1, np.float32)), init("two", np.array(2, np.float32)),
         init("slope", w(2, 1, 1))], opset=14, ir=7))

    # Gemm/BatchNorm/AveragePool/Cast and the typed-array encodings of
    # initializers (float_data, int64_data, int32_data, double_data).
    save("onnx", "typed_fields.onnx", model(
        [n("BatchNormalization", ["x", "sc", "bi", "mu", "var"], ["bn"]),
         n("AveragePool", ["bn"], ["ap"], kernel_shape=[2, 2], strides=[2, 2],
           pads=[0, 0, 1, 1], count_include_pad=0),
         n("Flatten", ["ap"], ["f"]),
         n("Gemm", ["f", "Wg", "Bg"], ["g"], transB=1, alpha=0.5, beta=1.0),
         n("Cast", ["g"], ["gi"], to=TensorProto.INT32),
         n("Cast", ["gi"], ["gd"], to=TensorProto.DOUBLE),
         n("Cast", ["gd"], ["y"], to=TensorProto.FLOAT),
         n("Identity", ["ids"], ["y2"]),
         n("Cast", ["dd"], ["y3"], to=TensorProto.FLOAT)],
        [vi("x", [1, 2, 3, 3])],
        [vi("y", None), vi("y2", None, TensorProto.INT64), vi("y3", None)],
        [helper.make_tensor("sc", TensorProto.FLOAT, [2], [1.0, 2.0]),
         helper.make_tensor("bi", TensorProto.FLOAT, [2], [0.0, 1.0]),
         helper.make_tensor("mu", TensorProto.FLOAT, [2], [0.0, 0.5]),
         helper.make_tensor("dd", TensorProto.DOUBLE, [2], [0.25, -8.5]),
         helper.make_tensor("var", TensorProto.FLOAT, [2], [1.0, 1.0]),
         helper.make_tensor("Wg", TensorProto.FLOAT, [3, 8], list(w(24).astype(float))),
         helper.make_tensor("Bg", TensorProto.FLOAT, [3], [0.1, 0.2, 0.3]),
         helper.make_tensor("ids", TensorProto.INT64, [3], [1, -2, 3])],
        opset=13, ir=7))

    # No nodes: an input passed straight through.
    save("onnx", "passthrough.onnx", model(
        [], [vi("x", [1, 1, 2, 2])], [vi("x", [1, 1, 2, 2])]))

    # Bad on purpose: what the readers must reject with a message.
    save("onnx", "bad_unknown_op.onnx", model(
        [n("NoSuchOp", ["x"], ["y"])], [vi("x", [1])], [vi("y", [1])]))
    ext = onnx.TensorProto()
    ext.name, ext.data_type = "W", TensorProto.FLOAT
    ext.dims.extend([4, 3, 3, 3])
    ext.data_location = TensorProto.EXTERNAL
    kv = ext.external_data.add()
    kv.key, kv.value = "location", "../../etc/passwd"
    save("onnx", "bad_external_data.onnx", model(
        [n("Conv", ["x", "W"], ["y"])], [vi("x", [1, 3, 4, 4])], [vi("y", None)],
        [ext]))
    short = init("W", w(4, 3, 3, 3))
    short.raw_data = short.raw_data[:100]
    save("onnx", "bad_short_raw_data.onnx", model(
        [n("Conv", ["x", "W"], ["y"])], [vi("x", [1, 3, 4, 4])], [vi("y", None)],
        [short]))
    sub = helper.make_graph([n("Relu", ["x"], ["z"])], "then", [], [vi("z", None)])
    save("onnx", "bad_subgraph_if.onnx", model(
        [n("If", ["c"], ["y"], then_branch=sub, else_branch=sub)],
        [vi("c", [], TensorProto.BOOL), vi("x", [1])], [vi("y", None)]))
    save("onnx", "bad_cycle.onnx", model(
        [n("Relu", ["b"], ["a"]), n("Relu", ["a"], ["b"])],
        [vi("x", [1])], [vi("a", [1])]))
    huge = onnx.TensorProto()  # declares 2^62 floats, holds none
    huge.name, huge.data_type = "C", TensorProto.FLOAT
    huge.dims.extend([1 << 31, 1 << 31])
    save("onnx", "bad_huge_dims.onnx", model(
        [n("Add", ["x", "C"], ["y"])], [vi("x", [1 << 40, 1 << 40])], [vi("y", None)],
        [huge]))


# ---- TFLite -------------------------------------------------------------------

T_F32, T_F16, T_I32, T_U8, T_I64, T_I8 = 0, 1, 2, 3, 4, 9
ADD, AVG_POOL, CONCAT, CONV, DWCONV, DEQUANT = 0, 1, 2, 3, 4, 6
LOGISTIC, MAX_POOL, MUL, RELU, RELU6, RESHAPE, RESIZE_BILINEAR = 14, 17, 18, 19, 21, 22, 23
TANH, CUSTOM, PAD, MEAN, SUB, STRIDED_SLICE = 28, 32, 34, 40, 41, 45
TRANSPOSE_CONV, RSQRT, SHAPE, PACK, RESIZE_NEAREST = 67, 76, 77, 83, 97
SQDIFF, MIRROR_PAD, QUANTIZE, HARD_SWISH = 99, 100, 114, 117
# BuiltinOptions union member ids.
O_CONV, O_DW, O_POOL, O_CONCAT, O_ADD, O_RESIZE_BI, O_RESHAPE = 1, 2, 5, 10, 11, 15, 17
O_MUL, O_PAD, O_REDUCER, O_SUB, O_SLICE, O_TCONV, O_SHAPE = 21, 22, 27, 28, 32, 49, 55
O_PACK, O_RESIZE_NN, O_SQDIFF, O_MIRROR_PAD = 59, 74, 76, 77


def ivec(v):
    return Vector("i", v)


class TFLite:
    def __init__(self):
        self.buffers = [Table({})]  # buffer 0: the empty one, by convention
        self.tensors, self.ops, self.codes = [], [], []

    def tensor(self, name, shape, ttype=T_F32, data=None, quant=None):
        f = {0: ivec(shape), 1: ("b", ttype), 3: String(name)}
        if data is not None:
            raw = np.ascontiguousarray(data).tobytes()
            self.buffers.append(Table({0: Vector("B", raw, align=16)}))
            f[2] = ("I", len(self.buffers) - 1)
        if quant:
            scale, zero = quant[0], quant[1]
            q = {2: Vector("f", scale), 3: Vector("q", zero)}
            if len(quant) > 2:
                q[6] = ("i", quant[2])
            f[4] = Table(q)
        self.tensors.append(Table(f))
        return len(self.tensors) - 1

    def const(self, name, arr, ttype=T_F32, quant=None):
        return self.tensor(name, list(arr.shape), ttype, arr, quant)

    def op(self, code, ins, outs, opt_type=0, opts=None, custom=None,
           custom_code=None):
        key = (code, custom_code)
        if key not in self.codes:
            self.codes.append(key)
        f = {0: ("I", self.codes.index(key)), 1: ivec(ins), 2: ivec(outs)}
        if opt_type:
            f[3] = ("B", opt_type)
            f[4] = Table(opts or {})
        if custom is not None:
            f[5] = Vector("B", custom)
        self.ops.append(Table(f))

    def build(self, inputs, outputs):
        codes = []
        for code, custom in self.codes:
            f = {0: ("b", min(code, 127)), 2: ("i", 1), 3: ("i", code)}
            if custom:
                f[1] = String(custom)
            codes.append(Table(f))
        sg = Table({0: Vector("off", self.tensors), 1: ivec(inputs),
                    2: ivec(outputs), 3: Vector("off", self.ops),
                    4: String("main")})
        return finish(Table({0: ("I", 3), 1: Vector("off", codes),
                             2: Vector("off", [sg]), 3: String("fuzz seed"),
                             4: Vector("off", self.buffers)}))


def tflite_seeds():
    # Conv with fused ReLU, float weights.
    m = TFLite()
    x = m.tensor("input", [1, 8, 8, 3])
    k = m.const("conv/kernel", w(4, 3, 3, 3))
    b = m.const("conv/bias", w(4))
    y = m.tensor("output", [1, 8, 8, 4])
    m.op(CONV, [x, k, b], [y], O_CONV, {0: ("b", 0), 1: ("i", 1), 2: ("i", 1),
                                       3: ("b", 1)})
    save("tflite", "conv_relu.tflite", m.build([x], [y]))

    # The selfie segmenter's constructs: fp16 weights through DEQUANTIZE,
    # HARD_SWISH, depthwise, squeeze-excite (global AVERAGE_POOL, LOGISTIC,
    # MUL), ADD, RESIZE_BILINEAR (half-pixel) and the custom transposed conv.
    m = TFLite()
    x = m.tensor("input_1", [1, 8, 8, 3])
    kh = m.const("k16", w(4, 3, 3, 3, dtype=np.float16), T_F16)
    bh = m.const("b16", w(4, dtype=np.float16), T_F16)
    kf, bf = m.tensor("k", [4, 3, 3, 3]), m.tensor("b", [4])
    m.op(DEQUANT, [kh], [kf])
    m.op(DEQUANT, [bh], [bf])
    c = m.tensor("conv", [1, 4, 4, 4])
    m.op(CONV, [x, kf, bf], [c], O_CONV, {1: ("i", 2), 2: ("i", 2)})
    hs = m.tensor("hswish", [1, 4, 4, 4])
    m.op(HARD_SWISH, [c], [hs])
    dk, db = m.const("dw/k", w(1, 3, 3, 4)), m.const("dw/b", w(4))
    dw = m.tensor("dw", [1, 4, 4, 4])
    m.op(DWCONV, [hs, dk, db], [dw], O_DW, {1: ("i", 1), 2: ("i", 1), 3: ("i", 1),
                                           4: ("b", 1)})
    gp = m.tensor("gap", [1, 1, 1, 4])
    m.op(AVG_POOL, [dw], [gp], O_POOL, {0: ("b", 1), 1: ("i", 4), 2: ("i", 4),
                                       3: ("i", 4), 4: ("i", 4)})
    sg = m.tensor("se", [1, 1, 1, 4])
    m.op(LOGISTIC, [gp], [sg])
    mu = m.tensor("mul", [1, 4, 4, 4])
    m.op(MUL, [dw, sg], [mu], O_MUL, {})
    ad = m.tensor("add", [1, 4, 4, 4])
    m.op(ADD, [mu, hs], [ad], O_ADD, {})
    size = m.const("size", np.array([8, 8], np.int32), T_I32)
    rz = m.tensor("resize", [1, 8, 8, 4])
    m.op(RESIZE_BILINEAR, [ad, size], [rz], O_RESIZE_BI, {3: ("?", True)})
    tk, tb = m.const("tconv/k", w(1, 2, 2, 4)), m.const("tconv/b", w(1))
    tc = m.tensor("tconv", [1, 16, 16, 1])
    m.op(CUSTOM, [rz, tk, tb], [tc], custom=struct.pack("<3i", 1, 2, 2),
         custom_code="Convolution2DTransposeBias")
    y = m.tensor("activation_10", [1, 16, 16, 1])
    m.op(LOGISTIC, [tc], [y])
    save("tflite", "selfie_like.tflite", m.build([x], [y]))

    # Magenta transfer constructs: int8 weights with per-channel scales,
    # QUANTIZE/DEQUANTIZE, MIRROR_PAD, instance norm spelled out (MEAN,
    # SQUARED_DIFFERENCE, RSQRT, SUB, MUL, ADD), RESIZE_NEAREST_NEIGHBOR
    # with a size computed by SHAPE/STRIDED_SLICE/MUL/PACK, and RESHAPE.
    m = TFLite()
    x = m.tensor("content_image", [1, 6, 6, 3])
    pads = m.const("pads", np.array([[0, 0], [1, 1], [1, 1], [0, 0]], np.int32), T_I32)
    px = m.tensor("pad", [1, 8, 8, 3])
    m.op(MIRROR_PAD, [x, pads], [px], O_MIRROR_PAD, {0: ("b", 0)})
    k8 = m.const("k8", rng.integers(-127, 127, (4, 3, 3, 3), dtype=np.int8), T_I8,
                 quant=([0.01, 0.02, 0.03, 0.04], [0, 0, 0, 0], 0))
    kf = m.tensor("kf", [4, 3, 3, 3])
    m.op(DEQUANT, [k8], [kf])
    c = m.tensor("conv", [1, 6, 6, 4])
    m.op(CONV, [px, kf, m.const("cb", w(4))], [c], O_CONV,
         {0: ("b", 1), 1: ("i", 1), 2: ("i", 1)})
    axes = m.const("axes", np.array([1, 2], np.int32), T_I32)
    mean = m.tensor("mean", [1, 1, 1, 4])
    m.op(MEAN, [c, axes], [mean], O_REDUCER, {0: ("?", True)})
    sq = m.tensor("sqdiff", [1, 6, 6, 4])
    m.op(SQDIFF, [c, mean], [sq], O_SQDIFF, {})
    var = m.tensor("var", [1, 1, 1, 4])
    m.op(MEAN, [sq, axes], [var], O_REDUCER, {0: ("?", True)})
    eps = m.const("eps", np.array([1e-3], np.float32))
    ve = m.tensor("var_eps", [1, 1, 1, 4])
    m.op(ADD, [var, eps], [ve], O_ADD, {})
    rs = m.tensor("rsqrt", [1, 1, 1, 4])
    m.op(RSQRT, [ve], [rs])
    ce = m.tensor("centered", [1, 6, 6, 4])
    m.op(SUB, [c, mean], [ce], O_SUB, {})
    nm = m.tensor("normed", [1, 6, 6, 4])
    m.op(MUL, [ce, rs], [nm], O_MUL, {0: ("b", 1)})
    q = m.tensor("q", [1, 6, 6, 4], T_I8, quant=([0.05], [3]))
    m.op(QUANTIZE, [nm], [q])
    dq = m.tensor("dq", [1, 6, 6, 4])
    m.op(DEQUANT, [q], [dq])
    shp = m.tensor("shape", [4], T_I32)
    m.op(SHAPE, [dq], [shp], O_SHAPE, {0: ("b", T_I32)})
    hw = m.tensor("hw", [2], T_I32)
    m.op(STRIDED_SLICE, [shp, m.const("b1", np.array([1], np.int32), T_I32),
                         m.const("e3", np.array([3], np.int32), T_I32),
                         m.const("s1", np.array([1], np.int32), T_I32)], [hw],
         O_SLICE, {})
    hw2 = m.tensor("hw2", [2], T_I32)
    m.op(MUL, [hw, m.const("two", np.array([2], np.int32), T_I32)], [hw2], O_MUL, {})
    up = m.tensor("up", [1, 12, 12, 4])
    m.op(RESIZE_NEAREST, [dq, hw2], [up], O_RESIZE_NN, {})
    h1 = m.tensor("h1", [], T_I32)
    m.op(STRIDED_SLICE, [shp, m.const("b0", np.array([0], np.int32), T_I32),
                         m.const("e1", np.array([1], np.int32), T_I32),
                         m.const("s1b", np.array([1], np.int32), T_I32)], [h1],
         O_SLICE, {4: ("i", 1)})
    m1 = m.const("minus1", np.array(-1, np.int32), T_I32)
    newshape = m.tensor("newshape", [2], T_I32)
    m.op(PACK, [h1, m1], [newshape], O_PACK, {0: ("i", 2), 1: ("i", 0)})
    y = m.tensor("flat", [1, 576])
    m.op(RESHAPE, [up, newshape], [y], O_RESHAPE, {0: ivec([1, 576])})
    lg = m.tensor("sig", [1, 576])
    m.op(LOGISTIC, [y], [lg])
    save("tflite", "magenta_like.tflite", m.build([x], [lg]))

    # TRANSPOSE_CONV, PAD, CONCATENATION, MAX_POOL, TANH, RELU6.
    m = TFLite()
    x = m.tensor("x", [1, 4, 4, 2])
    ish = m.const("out_shape", np.array([1, 8, 8, 2], np.int32), T_I32)
    t = m.tensor("tconv", [1, 8, 8, 2])
    m.op(TRANSPOSE_CONV, [ish, m.const("tw", w(2, 3, 3, 2)), x], [t], O_TCONV,
         {0: ("b", 0), 1: ("i", 2), 2: ("i", 2)})
    p = m.tensor("padded", [1, 10, 10, 2])
    m.op(PAD, [t, m.const("pp", np.array([[0, 0], [1, 1], [1, 1], [0, 0]], np.int32),
                         T_I32)], [p], O_PAD, {})
    mp = m.tensor("mp", [1, 5, 5, 2])
    m.op(MAX_POOL, [p], [mp], O_POOL, {0: ("b", 1), 1: ("i", 2), 2: ("i", 2),
                                      3: ("i", 2), 4: ("i", 2)})
    th, r6 = m.tensor("tanh", [1, 5, 5, 2]), m.tensor("relu6", [1, 5, 5, 2])
    m.op(TANH, [mp], [th])
    m.op(RELU6, [mp], [r6])
    y = m.tensor("y", [1, 5, 5, 4])
    m.op(CONCAT, [th, r6], [y], O_CONCAT, {0: ("i", 3)})
    save("tflite", "tconv_pad_concat.tflite", m.build([x], [y]))

    # Bad on purpose.
    m = TFLite()
    x = m.tensor("x", [1, 2, 2, 1])
    y = m.tensor("y", [1, 2, 2, 1])
    m.op(RELU, [x, 99], [y])  # input tensor index out of range
    save("tflite", "bad_tensor_index.tflite", m.build([x], [y]))
    m = TFLite()
    x = m.tensor("x", [1, 2, 2, 1])
    y = m.tensor("y", [1, 2, 2, 1])
    m.op(200, [x], [y])  # no such builtin
    save("tflite", "bad_opcode.tflite", m.build([x], [y]))
    m = TFLite()
    x = m.tensor("x", [1, 2, 2, 1])
    k = m.tensor("k", [1, 64, 64, 1])
    k_tab = m.tensors[k]
    k_tab.fields[2] = ("I", 0)  # a weight with no data
    y = m.tensor("y", [1, 2, 2, 1])
    m.op(CONV, [x, k], [y], O_CONV, {1: ("i", 1), 2: ("i", 1)})
    save("tflite", "bad_empty_weight.tflite", m.build([x], [y]))
    good = bytearray(open(os.path.join(CORPUS, "tflite", "conv_relu.tflite"),
                          "rb").read())
    struct.pack_into("<I", good, 0, len(good) + 1000)  # root past the end
    save("tflite", "bad_root_offset.tflite", bytes(good))


# ---- images -------------------------------------------------------------------

def image_seeds():
    yy, xx = np.mgrid[0:6, 0:7]
    rgb = np.stack([xx * 30, yy * 40, (xx + yy) * 15], -1).astype(np.uint8)

    def png(img, **kw):
        b = io.BytesIO()
        img.save(b, "PNG", **kw)
        return b.getvalue()

    def jpg(img, **kw):
        b = io.BytesIO()
        img.save(b, "JPEG", **kw)
        return b.getvalue()

    im = Image.fromarray(rgb)
    save("image", "rgb.png", png(im))
    save("image", "gray.png", png(im.convert("L")))
    save("image", "rgba.png", png(im.convert("RGBA")))
    save("image", "palette.png", png(im.convert("P")))
    save("image", "gray16.png", png(Image.fromarray((rgb[..., 0].astype(np.uint16) * 257))))
    save("image", "rgb.jpg", jpg(im, quality=90))
    save("image", "gray.jpg", jpg(im.convert("L")))
    save("image", "progressive.jpg", jpg(im, progressive=True))
    save("image", "subsampled.jpg", jpg(im, subsampling=2))
    save("image", "cmyk.jpg", jpg(im.convert("CMYK")))
    save("image", "truncated.png", png(im)[:40])
    save("image", "truncated.jpg", jpg(im)[:200])


# ---- .npy ---------------------------------------------------------------------

def npy_seeds():
    def npy(arr, version=None):
        b = io.BytesIO()
        np.lib.format.write_array(b, arr, version=version, allow_pickle=False)
        return b.getvalue()

    save("npy", "f32_nchw.npy", npy(w(1, 3, 2, 2)))
    save("npy", "f16.npy", npy(w(2, 3, dtype=np.float16)))
    save("npy", "f64.npy", npy(w(3).astype(np.float64)))
    save("npy", "i64.npy", npy(np.array([[1, -2], [3, 1 << 40]], np.int64)))
    save("npy", "i32.npy", npy(np.arange(5, dtype=np.int32)))
    save("npy", "i8.npy", npy(np.array([-128, 0, 127], np.int8)))
    save("npy", "u8.npy", npy(np.arange(6, dtype=np.uint8).reshape(2, 3)))
    save("npy", "bool.npy", npy(np.array([True, False, True])))
    save("npy", "scalar.npy", npy(np.array(2.5, np.float32)))
    save("npy", "empty.npy", npy(np.zeros((0, 3), np.float32)))
    save("npy", "v2.npy", npy(w(2, 2), version=(2, 0)))
    save("npy", "v3.npy", npy(w(2), version=(3, 0)))
    save("npy", "bad_fortran.npy", npy(np.asfortranarray(w(2, 3))))
    save("npy", "bad_big_endian.npy", npy(w(4).astype(">f4")))
    save("npy", "bad_short_data.npy", npy(w(4, 4))[:-10])


# ---- libFuzzer dictionaries -----------------------------------------------------

def write_dicts():
    d = os.path.join(ROOT, "fuzz", "dict")
    os.makedirs(d, exist_ok=True)

    def put(name, header, entries):
        with open(os.path.join(d, name), "w") as f:
            f.write("# %s\n" % header)
            for e in entries:
                if isinstance(e, bytes):
                    e = "".join("\\x%02x" % c for c in e)
                f.write('"%s"\n' % e.replace('"', '\\"'))

    with open(os.path.join(ROOT, "src", "ops", "ops.def")) as f:
        ops = [line.split('"')[1] for line in f if line.startswith("IMP_OP(")]
    attrs = ("kernel_shape pads strides dilations group auto_pad SAME_UPPER "
             "SAME_LOWER VALID NOTSET output_shape output_padding epsilon "
             "momentum axis axes keepdims perm mode constant reflect edge "
             "nearest linear cubic asymmetric half_pixel align_corners floor "
             "round_prefer_floor coordinate_transformation_mode nearest_mode "
             "scales sizes starts ends split num_outputs min max alpha beta "
             "gamma transA transB to value value_float value_ints border scale "
             "bias count_include_pad ceil_mode storage_order ai.onnx").split()
    put("onnx.dict", "ONNX op types and attribute names: the strings a "
        "mutator rarely invents.", ops + attrs +
        [b"\x08\x03", b"\x08\x07", b"\x3a", b"\x42\x02\x10\x07",
         b"\x42\x02\x10\x0d", b"\x12\x00"])
    put("npy.dict", ".npy header pieces.",
        [b"\x93NUMPY", b"\x01\x00", b"\x02\x00", b"\x03\x00", "'descr': ",
         "'fortran_order': ", "'shape': ", "False", "True", "'<f4'", "'<f2'",
         "'<f8'", "'<i8'", "'<i4'", "'|i1'", "'|u1'", "'|b1'", "'>f4'",
         "(1, 3, 256, 256)", "(0,)", "()", ", }", b"\x0a"])
    put("tflite.dict", "TFLite identifiers and custom op names.",
        ["TFL3", "Convolution2DTransposeBias", b"\xff\xff\xff\xff",
         b"\x00\x00\x00\x80", b"\x10\x00\x00\x00"])
    put("image.dict", "PNG chunk names and JPEG markers.",
        [b"\x89PNG\x0d\x0a\x1a\x0a", "IHDR", "IDAT", "IEND", "PLTE", "tRNS",
         "gAMA", "iCCP", b"\xff\xd8\xff", b"\xff\xc0", b"\xff\xc2",
         b"\xff\xc4", b"\xff\xdb", b"\xff\xda", b"\xff\xdd", b"\xff\xd9",
         b"\xff\xe0JFIF\x00", b"\xff\xeeAdobe"])


def mobile_seed():
    """A MobileNet-style block for the fusion passes: Conv + BatchNorm +
    Clip (ReLU6), a depthwise Conv with x * HardSigmoid(x), a squeeze-and-
    excitation gate (GlobalAveragePool, 1x1 Convs, Relu, HardSigmoid, Mul),
    a Conv + Sigmoid pair (SiLU), and a Gemm head. Its own generator, so
    the other seeds stay byte for byte what they were."""
    r = np.random.default_rng(11)
    f = lambda *s: (r.standard_normal(s) * 0.3).astype(np.float32)
    n = helper.make_node
    save("onnx", "mobile_block.onnx", model(
        [n("Conv", ["x", "W0", "B0"], ["c0"], pads=[1, 1, 1, 1], strides=[2, 2]),
         n("BatchNormalization", ["c0", "s0", "b0", "m0", "v0"], ["n0"], epsilon=1e-3),
         n("Clip", ["n0", "lo", "hi"], ["r0"]),
         n("Conv", ["r0", "Wd", "Bd"], ["d"], pads=[1, 1, 1, 1], group=8),
         n("HardSigmoid", ["d"], ["dh"], alpha=1.0 / 6, beta=0.5),
         n("Mul", ["d", "dh"], ["dm"]),
         n("GlobalAveragePool", ["dm"], ["g"]),
         n("Conv", ["g", "We1", "Be1"], ["e1"]),
         n("Relu", ["e1"], ["e1r"]),
         n("Conv", ["e1r", "We2", "Be2"], ["e2"]),
         n("HardSigmoid", ["e2"], ["e2h"], alpha=1.0 / 6, beta=0.5),
         n("Mul", ["dm", "e2h"], ["se"]),
         n("Conv", ["se", "Wp", "Bp"], ["p"]),
         n("Sigmoid", ["p"], ["ps"]),
         n("Mul", ["ps", "p"], ["silu"]),
         n("GlobalAveragePool", ["silu"], ["gp"]),
         n("Flatten", ["gp"], ["fl"]),
         n("Gemm", ["fl", "Wf", "Bf"], ["y"], transB=1)],
        [vi("x", [1, 3, 16, 16])], [vi("y", [1, 5])],
        [init("W0", f(8, 3, 3, 3)), init("B0", f(8)), init("s0", 1 + f(8)),
         init("b0", f(8)), init("m0", f(8)), init("v0", 1 + np.abs(f(8))),
         init("lo", np.array(0.0, np.float32)), init("hi", np.array(6.0, np.float32)),
         init("Wd", f(8, 1, 3, 3)), init("Bd", f(8)),
         init("We1", f(4, 8, 1, 1)), init("Be1", f(4)),
         init("We2", f(8, 4, 1, 1)), init("Be2", f(8)),
         init("Wp", f(12, 8, 1, 1)), init("Bp", f(12)),
         init("Wf", f(5, 12)), init("Bf", f(5))]))


def main():
    write_dicts()
    onnx_seeds()
    tflite_seeds()
    image_seeds()
    npy_seeds()
    mobile_seed()
    total = 0
    for d, _, files in os.walk(CORPUS):
        total += sum(os.path.getsize(os.path.join(d, f)) for f in files)
    print("corpus: %d bytes under %s" % (total, CORPUS))


if __name__ == "__main__":
    main()
