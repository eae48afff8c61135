#!/usr/bin/python3
"""Export the benchmark networks as ONNX (Debian python3-torch, random weights).

The Johnson et al. (2016) transformer and a narrow variant, each with
nearest-upsample+conv or transposed-conv upsampling, at the resolutions the
benchmark uses; and the MobileNet-class networks of Debian's
python3-torchvision (classifiers at 224x224, the LR-ASPP segmentation net at
512x512). Weights are random: speed does not depend on them.
"""
import argparse
import os

import torch
from torch import nn


class ConvLayer(nn.Sequential):
    def __init__(self, cin, cout, k, stride=1):
        super().__init__(nn.ReflectionPad2d(k // 2), nn.Conv2d(cin, cout, k, stride))


class ConvNormRelu(nn.Sequential):
    def __init__(self, cin, cout, k, stride=1):
        super().__init__(ConvLayer(cin, cout, k, stride),
                         nn.InstanceNorm2d(cout, affine=True), nn.ReLU())


class Residual(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.body = nn.Sequential(ConvNormRelu(c, c, 3), ConvLayer(c, c, 3),
                                  nn.InstanceNorm2d(c, affine=True))

    def forward(self, x):
        return x + self.body(x)


def upsample(cin, cout, transposed):
    if transposed:
        return nn.Sequential(
            nn.ConvTranspose2d(cin, cout, 3, stride=2, padding=1, output_padding=1),
            nn.InstanceNorm2d(cout, affine=True), nn.ReLU())
    return nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"),
                         ConvNormRelu(cin, cout, 3))


class Transformer(nn.Module):
    def __init__(self, width, blocks, transposed):
        super().__init__()
        w = width
        self.net = nn.Sequential(
            ConvNormRelu(3, w, 9), ConvNormRelu(w, 2 * w, 3, 2),
            ConvNormRelu(2 * w, 4 * w, 3, 2),
            *[Residual(4 * w) for _ in range(blocks)],
            upsample(4 * w, 2 * w, transposed), upsample(2 * w, w, transposed),
            ConvLayer(w, 3, 9))

    def forward(self, x):
        return self.net(x)


VARIANTS = {
    "johnson": dict(width=32, blocks=5),   # ~1.68 M params, 20.2 GFLOP at 256^2
    "narrow": dict(width=8, blocks=3),     # quarter width, 3 residual blocks
}
SIZES = {"256x256": (256, 256), "640x480": (480, 640)}

# torchvision constructor name -> (file stem, input height and width).
MOBILE = {
    "mobilenet_v2": ("mobilenetv2", 224),
    "mobilenet_v3_small": ("mobilenetv3-small", 224),
    "mobilenet_v3_large": ("mobilenetv3-large", 224),
    "lraspp_mobilenet_v3_large": ("lraspp-mobilenetv3-large", 512),
}


class FirstOutput(nn.Module):
    """The segmentation models return a dict; export only its "out" tensor."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x)["out"]


def export_mobile(out_dir):
    import torchvision
    for ctor, (stem, size) in MOBILE.items():
        path = os.path.join(out_dir, f"{stem}-{size}x{size}.onnx")
        if os.path.exists(path):
            continue
        if ctor.startswith("lraspp"):
            # No download: random weights everywhere, backbone included.
            model = FirstOutput(torchvision.models.segmentation.__dict__[ctor](
                weights=None, weights_backbone=None))
        else:
            model = torchvision.models.__dict__[ctor](weights=None)
        model.eval()
        x = torch.rand(1, 3, size, size)
        torch.onnx.export(model, x, path, input_names=["input"],
                          output_names=["output"], opset_version=13)
        print("wrote", path)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("out_dir")
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    torch.manual_seed(0)
    for name, cfg in VARIANTS.items():
        for up in ("upsample", "convtranspose"):
            model = Transformer(transposed=(up == "convtranspose"), **cfg).eval()
            for size, (h, w) in SIZES.items():
                path = os.path.join(args.out_dir, f"{name}-{up}-{size}.onnx")
                if os.path.exists(path):
                    continue
                x = torch.rand(1, 3, h, w)
                torch.onnx.export(model, x, path, input_names=["input"],
                                  output_names=["output"], opset_version=13)
                print("wrote", path)
    export_mobile(args.out_dir)


if __name__ == "__main__":
    main()
