#!/usr/bin/python3
"""Replace the Resize goldens where ONNX Runtime and the ONNX specification disagree.

ONNX Runtime divides align_corners (and tf_crop_and_resize) coordinates by the
rounded output length; ONNX's own reference (the one its backend node tests were
made with) divides by in * scale, unrounded, when the sizes come from scales
(onnx/onnx#2462: intended). impasto follows the specification, so the few golden
outputs with fractional in * scale are recomputed here with ONNX's reference
implementation (Debian's python3-onnx). Run after tools/goldens/make_all.sh:

    /usr/bin/python3 tools/goldens/onnx_reference_resize.py tests/data/goldens
"""
import functools
import sys

import numpy as np
import onnx
from onnx import numpy_helper
from onnx.backend.test.case.node import resize as ref

MODELS = ["resize_align_corners_op13.onnx", "resize_tf_op11.onnx"]


def attr(node, name, default):
    for a in node.attribute:
        if a.name == name:
            v = onnx.helper.get_attribute_value(a)
            return v.decode() if isinstance(v, bytes) else v
    return default


def reference(node, x, inits):
    def given(i):
        if len(node.input) <= i or not node.input[i]:
            return None
        v = inits[node.input[i]]
        return v if v.size else None

    roi, scales, sizes = given(1), given(2), given(3)
    mode = attr(node, "mode", "nearest")
    if mode == "nearest":
        coeffs = functools.partial(ref.nearest_coeffs,
                                   mode=attr(node, "nearest_mode", "round_prefer_floor"))
    elif mode == "linear":
        coeffs = ref.linear_coeffs
    else:
        coeffs = functools.partial(ref.cubic_coeffs, A=attr(node, "cubic_coeff_a", -0.75))
    return ref.interpolate_nd(
        x, coeffs, output_size=sizes, scale_factors=scales, roi=roi,
        coordinate_transformation_mode=attr(node, "coordinate_transformation_mode",
                                            "half_pixel"),
        extrapolation_value=attr(node, "extrapolation_value", 0.0),
        exclude_outside=attr(node, "exclude_outside", 0)).astype(np.float32)


def main(folder):
    manifest = open(f"{folder}/manifest.txt").read().splitlines()
    for name in MODELS:
        model = onnx.load(f"{folder}/{name}")
        inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
        line = next(l for l in manifest if l.startswith(f"model={name} "))
        files = dict(tok.split(":", 1)[1].split("=", 1) for tok in line.split()[1:])
        x = np.load(f"{folder}/{files[model.graph.input[0].name]}")
        for node in model.graph.node:
            out = node.output[0]
            try:
                want = reference(node, x, inits)
            except ValueError as e:  # a mode this onnx's reference lacks
                print(f"{name} {out}: kept ({e})")
                continue
            have = np.load(f"{folder}/{files[out]}")
            if have.shape == want.shape and np.allclose(have, want, rtol=1e-5, atol=1e-5):
                continue
            print(f"{name} {out}: ONNX Runtime differs from the specification by "
                  f"{np.abs(have.astype(np.float64) - want).max() if have.shape == want.shape else 'shape'}; "
                  f"replaced")
            np.save(f"{folder}/{files[out]}", want)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/data/goldens")
