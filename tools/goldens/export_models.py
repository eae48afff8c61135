#!/usr/bin/python3
"""Export the small golden-test models and their inputs.

Run with Debian's interpreter (/usr/bin/python3: python3-torch, python3-onnx,
python3-numpy). Writes into tests/data/goldens/:
  <model>.onnx        the model
  <model>.in<k>.npy   its k-th input (seeded random)
  manifest.txt        one line per model: model=, in:NAME=FILE tokens
                      (tools/goldens/ort/run_ort.js adds out:NAME=FILE)
and, when --torch-dir is given, PyTorch's own outputs there (never
committed), so compare.py can measure ORT against a second implementation.

Two sources of models:
  * nn.Modules exported with torch.onnx.export (TorchScript exporter) at
    several opsets, so the graphs look like what users actually bring;
  * graphs built with onnx.helper for what PyTorch never emits: the legacy
    ImageScaler/Crop/Affine, Upsample-7/9, Resize-10, every Resize
    coordinate_transformation_mode, ConvTranspose output_shape/auto_pad,
    Pad-2/Slice-1/Softmax-11 and other attribute-vs-input opset variants.
Shapes are tiny and odd on purpose (17x23, 5x7...) so edge handling shows.
"""
import argparse
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "tests", "data", "goldens")

MODELS = []  # (name, [(input_name, file)], [output_names])
TORCH_OUT = {}  # name -> list of numpy outputs


def write_inputs(name, feeds):
    entries = []
    for k, (iname, arr) in enumerate(feeds):
        fname = "%s.in%d.npy" % (name, k)
        np.save(os.path.join(OUT, fname), arr)
        entries.append((iname, fname))
    return entries


# ---------------------------------------------------------------- torch

def export_torch(name, module, feeds, opset, output_names, dynamic_axes=None):
    """feeds: list of (name, np.ndarray). Exports, saves inputs, records."""
    module.eval()
    args = tuple(torch.from_numpy(a) for _, a in feeds)
    path = os.path.join(OUT, name + ".onnx")
    with torch.no_grad():
        torch.onnx.export(module, args, path, opset_version=opset,
                          input_names=[n for n, _ in feeds],
                          output_names=output_names,
                          dynamic_axes=dynamic_axes,
                          do_constant_folding=True)
        outs = module(*args)
    if isinstance(outs, torch.Tensor):
        outs = (outs,)
    TORCH_OUT[name] = [o.numpy() for o in outs]
    m = onnx.load(path)
    if fold_constant_of_shape(m):
        onnx.save(m, path)
    onnx.checker.check_model(m)
    MODELS.append((name, write_inputs(name, feeds), output_names))


def fold_constant_of_shape(model):
    """PyTorch (1.13) writes the pads of a reflection pad at opset >= 11 as
    a Constant -> ConstantOfShape -> Concat -> Reshape -> Slice -> Transpose
    -> Cast chain its folder leaves alone. ConstantOfShape is not an op that
    impasto lists, so turn just that node into an initializer; the rest of
    the chain stays for impasto to fold at load time."""
    g = model.graph
    consts = {}
    for n in g.node:
        if n.op_type == "Constant":
            consts[n.output[0]] = numpy_helper.to_array(n.attribute[0].t)
    changed = False
    for n in list(g.node):
        if n.op_type != "ConstantOfShape" or n.input[0] not in consts:
            continue
        value = np.zeros(1, np.float32)
        for a in n.attribute:
            if a.name == "value":
                value = numpy_helper.to_array(a.t)
        arr = np.full(tuple(consts[n.input[0]].astype(np.int64)), value.reshape(-1)[0],
                      dtype=value.dtype)
        g.initializer.append(numpy_helper.from_array(arr, n.output[0]))
        g.node.remove(n)
        changed = True
    if changed:  # drop Constant nodes nothing reads any more
        used = {i for n in g.node for i in n.input} | {o.name for o in g.output}
        for n in list(g.node):
            if n.op_type == "Constant" and n.output[0] not in used:
                g.node.remove(n)
    return changed


class ConvLayer(nn.Module):
    """Reflection pad then conv, as in Johnson et al.'s transformer net."""

    def __init__(self, cin, cout, k, stride):
        super().__init__()
        self.pad = nn.ReflectionPad2d(k // 2)
        self.conv = nn.Conv2d(cin, cout, k, stride)

    def forward(self, x):
        return self.conv(self.pad(x))


class Residual(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c1 = ConvLayer(c, c, 3, 1)
        self.n1 = nn.InstanceNorm2d(c, affine=True)
        self.c2 = ConvLayer(c, c, 3, 1)
        self.n2 = nn.InstanceNorm2d(c, affine=True)

    def forward(self, x):
        y = F.relu(self.n1(self.c1(x)))
        return x + self.n2(self.c2(y))


class JohnsonMini(nn.Module):
    """A few-channel Johnson transformer: pad/conv/IN/relu, residuals,
    a strided ConvTranspose with output_padding, nearest upsampling, tanh."""

    def __init__(self):
        super().__init__()
        self.c1 = ConvLayer(3, 8, 9, 1)
        self.n1 = nn.InstanceNorm2d(8, affine=True)
        self.c2 = ConvLayer(8, 12, 3, 2)
        self.n2 = nn.InstanceNorm2d(12, affine=True)
        self.r1 = Residual(12)
        self.r2 = Residual(12)
        self.up1 = nn.ConvTranspose2d(12, 8, 3, stride=2, padding=1, output_padding=1)
        self.n3 = nn.InstanceNorm2d(8, affine=True)
        self.up2 = nn.Upsample(scale_factor=2, mode="nearest")
        self.c3 = ConvLayer(8, 8, 3, 1)
        self.n4 = nn.InstanceNorm2d(8, affine=True, eps=1e-3)
        self.c4 = ConvLayer(8, 3, 9, 1)

    def forward(self, x):
        y = F.relu(self.n1(self.c1(x)))
        y = F.relu(self.n2(self.c2(y)))
        y = self.r2(self.r1(y))
        y = F.relu(self.n3(self.up1(y)))
        y = F.relu(self.n4(self.c3(self.up2(y))))
        return torch.tanh(self.c4(y)) * 150.0 + 127.5


def randomize_norms(module, gen):
    """Give every norm layer non-trivial affine params / running stats."""
    for mod in module.modules():
        if isinstance(mod, (nn.InstanceNorm2d, nn.BatchNorm2d, nn.BatchNorm1d)):
            if mod.weight is not None:
                mod.weight.data = torch.rand(mod.weight.shape, generator=gen) + 0.5
                mod.bias.data = torch.randn(mod.bias.shape, generator=gen) * 0.3
            if getattr(mod, "running_mean", None) is not None:
                mod.running_mean.data = torch.randn(mod.running_mean.shape, generator=gen) * 0.2
                mod.running_var.data = torch.rand(mod.running_var.shape, generator=gen) + 0.5


class Classifier(nn.Module):
    """BN/pools/grouped dilated conv/hardswish/global pool/linear/softmax."""

    def __init__(self, ceil=True):
        super().__init__()
        # Before opset 10 PyTorch fakes ceil_mode with pads ORT rejects.
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.pool1 = nn.MaxPool2d(3, stride=2, padding=1)
        self.conv2 = nn.Conv2d(8, 12, 3, padding=2, dilation=2, groups=4)
        self.bn2 = nn.BatchNorm2d(12, eps=1e-3)
        self.pool2 = nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=ceil,
                                  count_include_pad=False)
        self.conv3 = nn.Conv2d(12, 12, 1)
        self.pool3 = nn.MaxPool2d(2, stride=2, ceil_mode=ceil)
        self.pool4 = nn.AvgPool2d(2, stride=1, padding=1)  # counts pads
        self.fc = nn.Linear(12, 10)

    def forward(self, x):
        y = self.pool1(F.relu(self.bn1(self.conv1(x))))
        y = self.pool2(F.hardswish(self.bn2(self.conv2(y))))
        y = self.pool4(self.pool3(torch.sigmoid(self.conv3(y))))
        y = F.adaptive_avg_pool2d(y, 1)
        y = torch.flatten(y, 1)
        return torch.softmax(self.fc(y) * 3.0, dim=1)


class Shapes(nn.Module):
    """Shape gymnastics over dynamic N/H/W: Shape/Gather/Unsqueeze/Concat
    feeding Reshape, Split, Transpose, MatMul, statistics, Slice, Gather on
    data, Squeeze/Unsqueeze, Cast of a shape into float math."""

    def __init__(self, steps=True):
        super().__init__()
        self.steps = steps
        self.conv = nn.Conv2d(3, 6, 3, padding=1)
        self.prelu = nn.PReLU(4)
        self.wm = nn.Parameter(torch.randn(4, 5) * 0.7)

    def forward(self, x):
        n, _, h, w = x.shape
        y = self.conv(x)
        a, b = torch.split(y, [2, 4], dim=1)
        a = F.leaky_relu(a, 0.1)
        b = self.prelu(b)
        t = b.permute(0, 2, 3, 1).reshape(n, h * w, 4)
        t = torch.softmax(torch.matmul(t, self.wm), dim=-1)
        m = t.mean(dim=1, keepdim=True)
        sd = ((t - m) ** 2).mean(dim=1, keepdim=True).sqrt()
        z = (t - m) / (sd + 1e-3)
        z = z.reshape(n, h, w, 5).permute(0, 3, 1, 2)
        z = torch.cat([z, a], dim=1)
        z = z[:, :, 1:, ::2] if self.steps else z[:, :, 1:, 1:-1]
        # (No "* 2 - 1" after the hardsigmoid: cancelling near 0.5 costs
        # float32 digits that a 1e-4 comparison then cannot tell from bugs.)
        z = F.hardsigmoid(z.clamp(-1.5, 1.5)) * 3.0
        z = z / h  # Shape -> Gather -> Cast -> Div
        first = z[:, 0]  # Gather on data, drops the axis
        # Squeeze a static axis: squeezing a dynamic one exports an If.
        s = z.mean(dim=(2, 3), keepdim=True).squeeze(3).unsqueeze(1)
        return z, first, s


class Interp(nn.Module):
    """F.interpolate in the modes PyTorch can export."""

    def __init__(self, align_corners=True):
        super().__init__()
        self.ac = align_corners

    def forward(self, x):
        outs = [
            F.interpolate(x, scale_factor=2, mode="nearest"),
            F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False),
            F.interpolate(x, size=(11, 14), mode="nearest"),
        ]
        if self.ac:
            outs.append(F.interpolate(x, size=(7, 9), mode="bilinear", align_corners=True))
            outs.append(F.interpolate(x, scale_factor=0.5, mode="bilinear",
                                      align_corners=False))
        return tuple(outs)


class ConvT(nn.Module):
    """ConvTranspose with output_padding, groups, dilation, odd strides;
    strided/depthwise convs."""

    def __init__(self):
        super().__init__()
        self.t1 = nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1,
                                     groups=2, dilation=2)
        self.t2 = nn.ConvTranspose2d(6, 3, (2, 3), stride=(3, 2), padding=(0, 1),
                                     output_padding=(1, 0))
        self.dw = nn.Conv2d(3, 3, 3, stride=2, padding=(1, 0), groups=3)
        self.c = nn.Conv2d(3, 5, (3, 2), stride=(1, 3), padding=(2, 1), bias=False)

    def forward(self, x):
        y = torch.tanh(self.t1(x))
        y = self.t2(y)
        return y, self.c(F.relu(self.dw(y)))


def torch_models():
    gen = torch.Generator().manual_seed(1234)
    rng = np.random.default_rng(1234)

    def img(*shape):
        return rng.standard_normal(shape).astype(np.float32)

    torch.manual_seed(1)
    johnson = JohnsonMini()
    randomize_norms(johnson, gen)
    x = (rng.random((1, 3, 17, 23)) * 2 - 1).astype(np.float32)
    for opset in (9, 11, 17):
        export_torch("johnson_mini_op%d" % opset, johnson, [("input", x)], opset, ["output"])

    x = img(2, 3, 19, 21)
    for opset in (9, 14):
        torch.manual_seed(2)
        clf = Classifier(ceil=opset >= 10)
        randomize_norms(clf, torch.Generator().manual_seed(2))
        export_torch("classifier_op%d" % opset, clf, [("input", x)], opset, ["probs"])

    dyn = {"input": {0: "n", 2: "h", 3: "w"}}
    x = img(1, 3, 9, 10)
    for opset in (11, 13):
        torch.manual_seed(3)
        export_torch("shapes_op%d" % opset, Shapes(), [("input", x)], opset,
                     ["z", "first", "stats"], dynamic_axes=dyn)
    torch.manual_seed(3)
    export_torch("shapes_op9", Shapes(steps=False), [("input", x)], 9,
                 ["z", "first", "stats"])

    x = img(1, 2, 5, 7)
    outs5 = ["near2x", "lin2x", "near_size", "lin_ac", "lin_down"]
    for opset in (11, 13):
        export_torch("interp_op%d" % opset, Interp(), [("input", x)], opset, outs5)
    for opset in (9, 10):
        export_torch("interp_op%d" % opset, Interp(align_corners=False), [("input", x)],
                     opset, outs5[:3])

    torch.manual_seed(4)
    export_torch("convt_op13", ConvT(), [("input", img(1, 4, 6, 5))], 13, ["up", "down"])


# ---------------------------------------------------------------- helper

def export_helper(name, nodes, inputs, outputs, inits=(), opset=13, ir=None,
                  check=True, shapes=None):
    """inputs: list of (name, np.ndarray) fed at run time;
    outputs: list of names (float32, shapes left to inference);
    inits: list of (name, np.ndarray) initializers;
    shapes: output shapes onnx's inference cannot work out."""
    def vi(n, a):
        elem = helper.np_dtype_to_tensor_dtype(a.dtype) if hasattr(
            helper, "np_dtype_to_tensor_dtype") else onnx.mapping.NP_TYPE_TO_TENSOR_TYPE[a.dtype]
        return helper.make_tensor_value_info(n, elem, list(a.shape))

    shapes = shapes or {}
    graph_inputs = [vi(n, a) for n, a in inputs]
    if ir is not None and ir < 4:
        # Before IR 4 every initializer must also be listed as an input.
        graph_inputs += [vi(n, a) for n, a in inits]
    graph = helper.make_graph(
        nodes, name, graph_inputs,
        [helper.make_tensor_value_info(o, TensorProto.FLOAT, shapes.get(o)) for o in outputs],
        initializer=[numpy_helper.from_array(a, n) for n, a in inits])
    kw = {"opset_imports": [helper.make_opsetid("", opset)], "producer_name": "impasto-goldens"}
    if ir is not None:
        kw["ir_version"] = ir
    model = helper.make_model(graph, **kw)
    if ir is None:
        # The newest IR this onnx writes may be newer than ORT reads: use the
        # IR that matches the opset.
        model.ir_version = 3 if opset <= 7 else (7 if opset <= 13 else 8)
    # Declare output shapes where onnx can infer them (IR 3 requires one).
    try:
        inferred = onnx.shape_inference.infer_shapes(model)
        known = {v.name: v for v in list(inferred.graph.value_info) +
                 list(inferred.graph.output) if v.type.tensor_type.HasField("shape")}
        for o in model.graph.output:
            if o.name in known:
                o.type.CopyFrom(known[o.name].type)
    except Exception:  # legacy ops onnx no longer knows
        pass
    if check:
        onnx.checker.check_model(model)
    onnx.save(model, os.path.join(OUT, name + ".onnx"))
    MODELS.append((name, write_inputs(name, inputs), list(outputs)))


N = helper.make_node


def f32(a):
    return np.asarray(a, dtype=np.float32)


def i64(a):
    return np.asarray(a, dtype=np.int64)


def helper_models():
    rng = np.random.default_rng(99)

    def img(*shape, lo=-1.0, hi=1.0):
        return f32(rng.random(shape) * (hi - lo) + lo)

    # Legacy ops of the Johnson nets (OnnxMLTools, opset 7): ImageScaler,
    # Crop by border and by centred scale, Affine, and Upsample-7.
    x = img(1, 3, 9, 11, lo=0, hi=255)
    export_helper("legacy_op7", [
        N("ImageScaler", ["x"], ["s"], scale=1.0 / 127.5, bias=[-1.0, -0.5, 0.25]),
        N("Crop", ["s"], ["c1"], border=[2, 1, 3, 2]),
        N("Affine", ["c1"], ["crop_border"], alpha=1.5, beta=-0.25),
        N("Crop", ["s"], ["crop_scale"], border=[1, 2, 0, 0], scale=[5, 6]),
        N("Upsample", ["c1"], ["up_nearest"], mode="nearest", scales=[1.0, 1.0, 2.0, 3.0]),
        N("Upsample", ["c1"], ["up_linear"], mode="linear", scales=[1.0, 1.0, 2.0, 1.5]),
    ], [("x", x)], ["crop_border", "crop_scale", "up_nearest", "up_linear"],
        opset=7, ir=3, check=False)

    # Other opset-7-era forms: Pad-2, Slice-1, Clip-6, Squeeze/Unsqueeze-1,
    # Split-2, Gemm-7, BatchNormalization-7, Softmax-1, ReduceMean-1.
    x = img(1, 3, 6, 7)
    bn = [("bn_s", img(3, lo=0.5, hi=1.5)), ("bn_b", img(3)), ("bn_m", img(3, lo=-0.2, hi=0.2)),
          ("bn_v", img(3, lo=0.5, hi=1.5))]
    export_helper("legacy_shapes_op7", [
        N("Pad", ["x"], ["pad_const"], mode="constant", pads=[0, 1, 2, 1, 0, 0, 1, 3], value=0.5),
        N("Pad", ["x"], ["pad_reflect"], mode="reflect", pads=[0, 0, 2, 3, 0, 0, 1, 0]),
        N("Pad", ["x"], ["pad_edge"], mode="edge", pads=[0, 0, 0, 1, 0, 0, 3, 2]),
        N("Slice", ["x"], ["slice_a"], starts=[1, -5], ends=[3, 1000], axes=[1, 3]),
        N("Slice", ["x"], ["slice_b"], starts=[0, 0, 2, 1], ends=[1, 2, -1, -2]),
        N("Clip", ["x"], ["clip"], min=-0.3, max=0.6),
        N("BatchNormalization", ["x", "bn_s", "bn_b", "bn_m", "bn_v"], ["bn"], epsilon=1e-3),
        N("Split", ["x"], ["sp0", "sp1", "sp2"], axis=2, split=[1, 3, 2]),
        N("Split", ["x"], ["eq0", "eq1", "eq2"], axis=1),
        N("Identity", ["sp1"], ["split_mid"]),
        N("ReduceMean", ["x"], ["rm"], axes=[2, 3], keepdims=0),
        N("Unsqueeze", ["rm"], ["rm_u"], axes=[0, 3]),
        N("Squeeze", ["rm_u"], ["rm_sq"], axes=[0]),
        N("Gemm", ["g_a", "g_b", "g_c"], ["gemm"], alpha=0.5, beta=2.0, transA=1),
        N("Softmax", ["x"], ["softmax_legacy"], axis=2),
        N("Relu", ["eq0"], ["relu"]),
    ], [("x", x), ("g_a", img(4, 3))],
        ["pad_const", "pad_reflect", "pad_edge", "slice_a", "slice_b", "clip", "bn",
         "sp0", "split_mid", "eq1", "rm_sq", "gemm", "softmax_legacy", "relu"],
        inits=bn + [("g_b", img(4, 5)), ("g_c", img(5))], opset=7, ir=3)

    # Upsample-9 (scales as an input) nearest/linear, Resize-10.
    x = img(1, 2, 4, 5)
    export_helper("upsample_op9", [
        N("Upsample", ["x", "sc_a"], ["up_nearest"], mode="nearest"),
        N("Upsample", ["x", "sc_b"], ["up_linear"], mode="linear"),
        N("Upsample", ["x", "sc_b"], ["up_nearest_frac"], mode="nearest"),
    ], [("x", x)], ["up_nearest", "up_linear", "up_nearest_frac"],
        inits=[("sc_a", f32([1, 1, 2, 3])), ("sc_b", f32([1, 1, 1.5, 2.5]))], opset=9)
    export_helper("resize_op10", [
        N("Resize", ["x", "sc_a"], ["rs_nearest"], mode="nearest"),
        N("Resize", ["x", "sc_b"], ["rs_linear"], mode="linear"),
        N("Resize", ["x", "sc_c"], ["rs_linear_down"], mode="linear"),
        N("Resize", ["x", "sc_c"], ["rs_nearest_down"], mode="nearest"),
    ], [("x", x)], ["rs_nearest", "rs_linear", "rs_linear_down", "rs_nearest_down"],
        inits=[("sc_a", f32([1, 1, 2, 3])), ("sc_b", f32([1, 1, 1.5, 2.5])),
               ("sc_c", f32([1, 1, 0.5, 0.6]))], opset=10)

    # Resize-13, one model per coordinate_transformation_mode: nearest in
    # every nearest_mode, linear up and down, by scales and by sizes.
    x = img(1, 2, 5, 7)
    up = f32([1, 1, 1.7, 2.3])
    down_sizes = i64([1, 2, 3, 4])
    odd_sizes = i64([1, 2, 1, 9])
    for mode in ("half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric"):
        nodes, outs = [], []
        for nm in ("round_prefer_floor", "round_prefer_ceil", "floor", "ceil"):
            nodes.append(N("Resize", ["x", "", "up"], ["near_" + nm], mode="nearest",
                           coordinate_transformation_mode=mode, nearest_mode=nm))
            outs.append("near_" + nm)
        nodes.append(N("Resize", ["x", "", "", "down"], ["near_down"], mode="nearest",
                       coordinate_transformation_mode=mode))
        nodes.append(N("Resize", ["x", "", "up"], ["lin_up"], mode="linear",
                       coordinate_transformation_mode=mode))
        nodes.append(N("Resize", ["x", "", "", "down"], ["lin_down"], mode="linear",
                       coordinate_transformation_mode=mode))
        nodes.append(N("Resize", ["x", "", "", "odd"], ["lin_odd"], mode="linear",
                       coordinate_transformation_mode=mode))
        outs += ["near_down", "lin_up", "lin_down", "lin_odd"]
        export_helper("resize_%s_op13" % mode, nodes, [("x", x)], outs,
                      inits=[("up", up), ("down", down_sizes), ("odd", odd_sizes)], opset=13)

    # Resize-11 forms: empty roi/scales tensors instead of omitted inputs,
    # tf_half_pixel_for_nn (gone in 13) and tf_crop_and_resize with a roi.
    empty = f32([])
    roi = f32([0, 0, 0.1, 0.2, 1, 1, 0.8, 0.9])
    export_helper("resize_tf_op11", [
        N("Resize", ["x", "roi0", "up"], ["tf_nn"], mode="nearest",
          coordinate_transformation_mode="tf_half_pixel_for_nn"),
        N("Resize", ["x", "roi", "up"], ["crop_lin"], mode="linear",
          coordinate_transformation_mode="tf_crop_and_resize", extrapolation_value=-3.0),
        N("Resize", ["x", "roi", "sc0", "down"], ["crop_near"], mode="nearest",
          coordinate_transformation_mode="tf_crop_and_resize"),
        N("Resize", ["x", "roi0", "sc0", "down"], ["half_pixel_sizes"], mode="linear"),
    ], [("x", x)], ["tf_nn", "crop_lin", "crop_near", "half_pixel_sizes"],
        inits=[("roi0", empty), ("sc0", empty), ("roi", roi), ("up", up),
               ("down", down_sizes)], opset=11)

    # ConvTranspose with output_shape, auto_pad SAME_UPPER/LOWER, asymmetric
    # pads, group. The natural output here is 11x13. An odd total padding
    # puts the larger half at the start unless SAME_UPPER (as the ONNX text
    # says: "valid_shape", "upper_shape"). A negative total (output_shape
    # past the natural size, the Johnson nets' +1: "grow") ONNX Runtime
    # clamps to 0, so the extra bias-only row/column lands at the end.
    x = img(1, 4, 5, 6)
    w = img(4, 3, 3, 3, lo=-0.5, hi=0.5)
    wg = img(4, 2, 3, 2, lo=-0.5, hi=0.5)
    b = img(3)
    export_helper("convtranspose_shape_op11", [
        N("ConvTranspose", ["x", "w", "b"], ["valid_shape"], strides=[2, 2],
          auto_pad="VALID", output_shape=[10, 12]),
        N("ConvTranspose", ["x", "w"], ["notset_shape"], strides=[2, 2],
          output_shape=[10, 12]),
        N("ConvTranspose", ["x", "w", "b"], ["upper_shape"], strides=[2, 2],
          auto_pad="SAME_UPPER", output_shape=[10, 12]),
        N("ConvTranspose", ["x", "w", "b"], ["valid_grow"], strides=[2, 2],
          auto_pad="VALID", output_shape=[12, 14]),
        N("ConvTranspose", ["x", "w", "b"], ["same_upper"], strides=[2, 2],
          auto_pad="SAME_UPPER"),
        N("ConvTranspose", ["x", "w", "b"], ["same_lower"], strides=[2, 3],
          auto_pad="SAME_LOWER"),
        N("ConvTranspose", ["x", "w", "b"], ["pads_asym"], strides=[2, 2],
          pads=[0, 1, 2, 0], output_padding=[1, 0]),
        N("ConvTranspose", ["x", "wg"], ["grouped"], strides=[1, 2], group=2,
          pads=[1, 0, 1, 1], dilations=[2, 1]),
    ], [("x", x)], ["valid_shape", "notset_shape", "upper_shape", "valid_grow", "same_upper",
                    "same_lower", "pads_asym", "grouped"],
        inits=[("w", w), ("wg", wg), ("b", b)], opset=11)
    # The output_shape form at opset 7 as in the Johnson files.
    export_helper("convtranspose_shape_op7", [
        N("ConvTranspose", ["x", "w", "b"], ["grow"], strides=[2, 2], auto_pad="VALID",
          output_shape=[12, 14]),
        N("ConvTranspose", ["x", "w", "b"], ["shrink"], strides=[2, 2], auto_pad="VALID",
          output_shape=[10, 12]),
    ], [("x", x)], ["grow", "shrink"], inits=[("w", w), ("b", b)], opset=7, ir=3,
        shapes={"grow": [1, 3, 12, 14], "shrink": [1, 3, 10, 12]})

    # Conv attribute forms: auto_pad, asymmetric pads, no bias.
    x = img(1, 3, 8, 9)
    export_helper("conv_attrs_op11", [
        N("Conv", ["x", "cw", "cb"], ["same_upper"], strides=[2, 2], auto_pad="SAME_UPPER"),
        N("Conv", ["x", "cw"], ["same_lower"], strides=[2, 3], auto_pad="SAME_LOWER"),
        N("Conv", ["x", "cw", "cb"], ["pads_asym"], pads=[0, 2, 1, 0], dilations=[1, 2]),
        N("Conv", ["x", "cw", "cb"], ["valid"], auto_pad="VALID", strides=[3, 2]),
    ], [("x", x)], ["same_upper", "same_lower", "pads_asym", "valid"],
        inits=[("cw", img(4, 3, 3, 3, lo=-0.5, hi=0.5)), ("cb", img(4))], opset=11)

    # Pad-11/13 with inputs: constant (given value and default), reflect, edge.
    x = img(1, 2, 5, 6)
    export_helper("pad_op13", [
        N("Pad", ["x", "p1", "v"], ["constant"], mode="constant"),
        N("Pad", ["x", "p2"], ["constant_zero"]),
        N("Pad", ["x", "p3"], ["reflect"], mode="reflect"),
        N("Pad", ["x", "p1"], ["edge"], mode="edge"),
    ], [("x", x)], ["constant", "constant_zero", "reflect", "edge"],
        inits=[("p1", i64([0, 1, 2, 3, 0, 0, 1, 2])), ("p2", i64([1, 0, 0, 1, 0, 2, 1, 0])),
               ("p3", i64([0, 0, 4, 1, 0, 0, 2, 5])), ("v", f32(1.25))], opset=13)

    # Slice-13 with inputs: negative steps, negative axes, clamped ends.
    x = img(2, 3, 7, 8)
    export_helper("slice_op13", [
        N("Slice", ["x", "s1", "e1"], ["plain"]),
        N("Slice", ["x", "s2", "e2", "a2", "st2"], ["steps"]),
        N("Slice", ["x", "s3", "e3", "a3", "st3"], ["reverse"]),
    ], [("x", x)], ["plain", "steps", "reverse"],
        inits=[("s1", i64([0, 1, 2, -6])), ("e1", i64([1, 3, 5, 1 << 62])),
               ("s2", i64([1, 0])), ("e2", i64([7, 1000])), ("a2", i64([-2, -1])),
               ("st2", i64([2, 3])),
               ("s3", i64([-1, 6, 100])), ("e3", i64([-1000, 0, -100])),
               ("a3", i64([3, 2, 1])), ("st3", i64([-2, -3, -1]))], opset=13)

    # Softmax: legacy coerce-to-2D semantics (opset 11) vs per-axis (13).
    x = img(2, 3, 4, 5, lo=-3, hi=3)
    export_helper("softmax_op11", [
        N("Softmax", ["x"], ["default_axis"]),
        N("Softmax", ["x"], ["axis2"], axis=2),
        N("Softmax", ["x"], ["axis_neg1"], axis=-1),
    ], [("x", x)], ["default_axis", "axis2", "axis_neg1"], opset=11)
    export_helper("softmax_op13", [
        N("Softmax", ["x"], ["default_axis"]),
        N("Softmax", ["x"], ["axis1"], axis=1),
        N("Softmax", ["x"], ["axis_neg2"], axis=-2),
    ], [("x", x)], ["default_axis", "axis1", "axis_neg2"], opset=13)

    # Pools in attribute corners.
    x = img(1, 3, 9, 10)
    export_helper("pool_op13", [
        N("MaxPool", ["x"], ["max_ceil"], kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1),
        N("MaxPool", ["x"], ["max_dil"], kernel_shape=[2, 3], dilations=[2, 1], pads=[1, 0, 0, 1]),
        N("MaxPool", ["x"], ["max_same"], kernel_shape=[3, 2], strides=[2, 2],
          auto_pad="SAME_UPPER"),
        N("AveragePool", ["x"], ["avg_excl"], kernel_shape=[3, 3], strides=[2, 2],
          pads=[1, 1, 1, 1]),
        N("AveragePool", ["x"], ["avg_incl"], kernel_shape=[3, 3], strides=[2, 2],
          pads=[1, 0, 1, 2], count_include_pad=1),
        N("AveragePool", ["x"], ["avg_ceil"], kernel_shape=[2, 2], strides=[2, 2],
          ceil_mode=1),
        N("AveragePool", ["x"], ["avg_same_lower"], kernel_shape=[3, 3], strides=[2, 2],
          auto_pad="SAME_LOWER"),
        N("GlobalAveragePool", ["x"], ["global_avg"]),
    ], [("x", x)], ["max_ceil", "max_dil", "max_same", "avg_excl", "avg_incl", "avg_ceil",
                    "avg_same_lower", "global_avg"], opset=13)

    # Norms: BatchNormalization-15 on 4-D and 2-D input, InstanceNorm eps.
    x = img(2, 3, 4, 5)
    x2 = img(4, 3)
    export_helper("norm_op15", [
        N("BatchNormalization", ["x", "s", "b", "m", "v"], ["bn4d"], epsilon=1e-2),
        N("BatchNormalization", ["x2", "s", "b", "m", "v"], ["bn2d"]),
        N("InstanceNormalization", ["x", "s", "b"], ["inorm"], epsilon=1e-3),
    ], [("x", x), ("x2", x2)], ["bn4d", "bn2d", "inorm"],
        inits=[("s", img(3, lo=0.5, hi=1.5)), ("b", img(3)), ("m", img(3, lo=-0.3, hi=0.3)),
               ("v", img(3, lo=0.3, hi=1.5))], opset=15)

    # Element-wise ops with attributes and broadcasting.
    x = img(2, 3, 4, 5, lo=-2, hi=2)
    pos = img(2, 3, 4, 5, lo=0.1, hi=3)
    export_helper("elementwise_op14", [
        N("Relu", ["x"], ["relu"]),
        N("LeakyRelu", ["x"], ["leaky_default"]),
        N("LeakyRelu", ["x"], ["leaky"], alpha=0.3),
        N("PRelu", ["x", "slope_c"], ["prelu_c"]),
        N("PRelu", ["x", "slope_1"], ["prelu_1"]),
        N("Sigmoid", ["x"], ["sigmoid"]),
        N("Tanh", ["x"], ["tanh"]),
        N("HardSigmoid", ["x"], ["hsig_default"]),
        N("HardSigmoid", ["x"], ["hsig"], alpha=0.25, beta=0.4),
        N("HardSwish", ["x"], ["hswish"]),
        N("Clip", ["x", "lo"], ["clip_min"]),
        N("Clip", ["x", "", "hi"], ["clip_max"]),
        N("Clip", ["x", "lo", "hi"], ["clip_both"]),
        N("Add", ["x", "bc"], ["add_c"]),
        N("Sub", ["row", "x"], ["sub_row"]),
        N("Mul", ["x", "scalar"], ["mul_scalar"]),
        N("Div", ["x", "pos"], ["div"]),
        N("Pow", ["pos", "three"], ["pow3"]),
        N("Pow", ["pos", "half"], ["pow_half"]),
        N("Pow", ["pos", "expo_c"], ["pow_bcast"]),
        N("Sqrt", ["pos"], ["sqrt"]),
        N("Identity", ["x"], ["identity"]),
    ], [("x", x), ("pos", pos)],
        ["relu", "leaky_default", "leaky", "prelu_c", "prelu_1", "sigmoid", "tanh",
         "hsig_default", "hsig", "hswish", "clip_min", "clip_max", "clip_both", "add_c",
         "sub_row", "mul_scalar", "div", "pow3", "pow_half", "pow_bcast", "sqrt", "identity"],
        inits=[("slope_c", img(3, 1, 1, lo=0, hi=0.5)), ("slope_1", f32([0.2])),
               ("lo", f32(-0.4)), ("hi", f32(0.7)), ("bc", img(3, 1, 1)), ("row", img(1, 5)),
               ("scalar", f32(-1.75)), ("three", f32(3.0)), ("half", f32(0.5)),
               ("expo_c", f32([[[1.0]], [[2.0]], [[-1.5]]]))], opset=14)

    # Shape and tensor plumbing with attribute/input variants.
    x = img(2, 3, 4, 5)
    export_helper("tensor_ops_op13", [
        N("Gemm", ["ga", "gb", "gc"], ["gemm_tb"], transB=1, alpha=1.5),
        N("Gemm", ["gbt", "ga2"], ["gemm_ta_noc"], transA=1),
        N("Gemm", ["ga", "gb", "gcol"], ["gemm_col"], beta=0.5, transB=1),
        N("MatMul", ["x", "mw"], ["matmul_bcast"]),
        N("MatMul", ["m3", "m4"], ["matmul_batch"]),
        N("Flatten", ["x"], ["flatten_default"]),
        N("Flatten", ["x"], ["flatten0"], axis=0),
        N("Flatten", ["x"], ["flatten_neg"], axis=-1),
        N("Transpose", ["x"], ["transpose_rev"]),
        N("Transpose", ["x"], ["transpose_perm"], perm=[2, 0, 3, 1]),
        N("Concat", ["x", "x", "cc"], ["concat_neg"], axis=-1),
        N("Split", ["x", "split"], ["split_a", "split_b"], axis=3),
        N("Split", ["x"], ["split_eq0", "split_eq1"], axis=-2),
        N("Unsqueeze", ["x", "ua"], ["unsq"]),
        N("Squeeze", ["unsq", "sa"], ["sq_axes"]),
        N("Squeeze", ["one"], ["sq_all"]),
        N("Reshape", ["x", "shp"], ["reshape"]),
        N("Gather", ["x", "gi"], ["gather_axis1"], axis=1),
        N("Gather", ["x", "gi2"], ["gather_2d"], axis=-1),
        N("ReduceMean", ["x"], ["rmean_all"]),
        N("ReduceMean", ["x"], ["rmean_axes"], axes=[1, -1], keepdims=0),
        N("Constant", [], ["k_tensor"], value=numpy_helper.from_array(img(1, 5), "k")),
        N("Constant", [], ["k_float"], value_float=0.75),
        N("Add", ["x", "k_tensor"], ["add_k"]),
        N("Mul", ["add_k", "k_float"], ["const_math"]),
    ], [("x", x)],
        ["gemm_tb", "gemm_ta_noc", "gemm_col", "matmul_bcast", "matmul_batch",
         "flatten_default", "flatten0", "flatten_neg", "transpose_rev", "transpose_perm",
         "concat_neg", "split_a", "split_b", "split_eq0", "split_eq1", "sq_axes", "sq_all",
         "reshape", "gather_axis1", "gather_2d", "rmean_all", "rmean_axes", "const_math"],
        inits=[("ga", img(3, 4)), ("gb", img(6, 4)), ("gc", img(6)), ("gbt", img(5, 3)),
               ("ga2", img(5, 2)), ("gcol", img(3, 1)), ("mw", img(5, 2)),
               ("m3", img(2, 1, 3, 4)), ("m4", img(3, 4, 2)), ("cc", img(2, 3, 4, 2)),
               ("split", i64([2, 3])), ("ua", i64([-1, 1])), ("sa", i64([1, 5])),
               ("one", img(1, 4, 1, 2)), ("shp", i64([0, -1, 2])),
               ("gi", i64([2, -3, 2])), ("gi2", i64([[0, 4], [-1, 1]]))], opset=13)

    # Integer math at run time (not foldable: it depends on the input) and
    # shape arithmetic in int64 and int32, Shape-15 start/end, Cast both ways.
    x = img(2, 3, 4, 5, lo=-9, hi=9)
    export_helper("int_math_op15", [
        N("Cast", ["x"], ["xi"], to=TensorProto.INT64),          # truncates toward 0
        N("Cast", ["x"], ["xi32"], to=TensorProto.INT32),
        N("Mul", ["xi", "k3"], ["m64"]),
        N("Add", ["m64", "k7"], ["a64"]),
        N("Sub", ["a64", "xi"], ["s64"]),
        N("Div", ["s64", "k2"], ["d64"]),
        N("Cast", ["d64"], ["int64_math"], to=TensorProto.FLOAT),
        N("Mul", ["xi32", "k3_32"], ["m32"]),
        N("Sub", ["m32", "xi32"], ["s32"]),
        N("Cast", ["s32"], ["int32_math"], to=TensorProto.FLOAT),
        N("Shape", ["x"], ["shape"]),
        N("Shape", ["x"], ["hw"], start=2),
        N("Shape", ["x"], ["c_only"], start=1, end=-2),
        N("Cast", ["hw"], ["hw32"], to=TensorProto.INT32),
        N("Mul", ["hw32", "k2_32"], ["hw2_32"]),
        N("Cast", ["hw2_32"], ["hw2"], to=TensorProto.INT64),
        N("Gather", ["shape", "idx0"], ["n"]),
        N("Concat", ["n", "c_only", "hw2"], ["newshape"], axis=0),
        N("Div", ["newshape", "div_shape"], ["newshape2"]),
        N("Reshape", ["x", "newshape2"], ["reshaped"]),
        N("Cast", ["shape"], ["shape_f"], to=TensorProto.FLOAT),
        N("Reshape", ["reshaped", "shape"], ["back"]),
        N("Unsqueeze", ["shape_f", "ax0"], ["shape_f2"]),
        N("Identity", ["shape_f2"], ["shape_float"]),
    ], [("x", x)], ["int64_math", "int32_math", "back", "shape_float"],
        inits=[("k3", i64(3)), ("k7", i64([7])), ("k2", i64(2)),
               ("k3_32", np.asarray(3, dtype=np.int32)), ("k2_32", np.asarray([2, 1], np.int32)),
               ("idx0", i64([0])), ("div_shape", i64([1, 1, 2, 1])), ("ax0", i64([0]))],
        opset=15, shapes={"back": [2, 3, 4, 5]})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--torch-dir", help="also save PyTorch's outputs here")
    args = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        if f.endswith(".onnx") or f.endswith(".npy"):
            os.remove(os.path.join(OUT, f))
    torch_models()
    helper_models()
    with open(os.path.join(OUT, "manifest.txt"), "w") as fh:
        fh.write("# Golden fixtures: model=FILE in:NAME=FILE... out:NAME=FILE...\n"
                 "# Made by tools/goldens/make_all.sh; outputs come from ONNX Runtime, except\n"
                 "# where it departs from ONNX's specification (onnx_reference_resize.py).\n")
        for name, ins, _ in MODELS:
            fh.write(" ".join(["model=%s.onnx" % name] +
                              ["in:%s=%s" % p for p in ins]) + "\n")
    if args.torch_dir:
        os.makedirs(args.torch_dir, exist_ok=True)
        for name, outs in TORCH_OUT.items():
            for k, o in enumerate(outs):
                np.save(os.path.join(args.torch_dir, "%s.out%d.npy" % (name, k)), o)
    print("exported %d models to %s" % (len(MODELS), OUT), file=sys.stderr)


if __name__ == "__main__":
    main()
