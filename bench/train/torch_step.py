"""PyTorch's time for the same training step as bench/train/step_time.c:
the same student (reflection pad, convs, instance norm with scale and shift,
nearest x2 + conv upsampling, sigmoid), VGG19 to relu3_4 with the same
weights (read from the TF.js shards) and caffe preprocessing, content loss
at relu2_2, Gram style loss at relu1_2, relu2_2, relu3_4, total variation,
one Adam step.

  /usr/bin/python3 bench/train/torch_step.py VGG_DIR [--batch 4] [--size 256]
      [--threads 2] [--steps 3] [--width 16] [--blocks 3]
"""
import argparse
import json
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def block(cin, cout, k, stride, relu=True):
    layers = [nn.ReflectionPad2d(k // 2), nn.Conv2d(cin, cout, k, stride, bias=False),
              nn.InstanceNorm2d(cout, affine=True)]
    if relu:
        layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class Residual(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.body = nn.Sequential(block(c, c, 3, 1), block(c, c, 3, 1, relu=False))

    def forward(self, x):
        return x + self.body(x)


def student(w, blocks):
    return nn.Sequential(
        block(3, w, 9, 1), block(w, 2 * w, 3, 2), block(2 * w, 4 * w, 3, 2),
        *[Residual(4 * w) for _ in range(blocks)],
        nn.Upsample(scale_factor=2, mode="nearest"), block(4 * w, 2 * w, 3, 1),
        nn.Upsample(scale_factor=2, mode="nearest"), block(2 * w, w, 3, 1),
        nn.ReflectionPad2d(4), nn.Conv2d(w, 3, 9), nn.Sigmoid())


def vgg19_to_relu3_4(folder):
    with open(os.path.join(folder, "weights_manifest_groups1-8.json")) as f:
        manifest = json.load(f)
    convs = []
    for group in manifest:
        raw = np.fromfile(os.path.join(folder, group["paths"][0]), dtype="<f4")
        k_shape = group["weights"][0]["shape"]
        n = int(np.prod(k_shape))
        conv = nn.Conv2d(k_shape[2], k_shape[3], 3, padding=1)
        conv.weight.data = torch.from_numpy(raw[:n].reshape(k_shape).transpose(3, 2, 0, 1).copy())
        conv.bias.data = torch.from_numpy(raw[n:].copy())
        convs.append(conv)
    for p in (q for c in convs for q in c.parameters()):
        p.requires_grad_(False)
    return convs


def features(convs, rgb, upto):
    """relu outputs 0..7; caffe preprocessing: BGR 0..255 minus the mean"""
    mean = torch.tensor([103.939, 116.779, 123.68]).view(1, 3, 1, 1)
    x = rgb.flip(1) * 255.0 - mean
    out = []
    for i, conv in enumerate(convs[:upto + 1]):
        if i in (2, 4):
            x = F.max_pool2d(x, 2)
        x = F.relu(conv(x))
        out.append(x)
    return out


def gram(f):
    n, c, h, w = f.shape
    f = f.reshape(n, c, h * w)
    return torch.bmm(f, f.transpose(1, 2)) / (c * h * w)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("vgg")
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--width", type=int, default=16)
    ap.add_argument("--blocks", type=int, default=3)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    net = student(a.width, a.blocks)
    convs = vgg19_to_relu3_4(a.vgg)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    x = torch.rand(a.batch, 3, a.size, a.size)
    style = [gram(f) for f in features(convs, x[:1], 7)]
    style_ids = (1, 3, 7)
    for s in range(a.steps + 1):
        t0, c0 = time.perf_counter(), time.process_time()
        opt.zero_grad()
        y = net(x)
        with torch.no_grad():
            target = features(convs, x, 3)[3]
        fy = features(convs, y, 7)
        content = F.mse_loss(fy[3], target)
        style_loss = sum(F.mse_loss(gram(fy[i]), style[i].expand(a.batch, -1, -1)) for i in style_ids)
        tv = ((y[:, :, :, 1:] - y[:, :, :, :-1]) ** 2).sum() + \
             ((y[:, :, 1:, :] - y[:, :, :-1, :]) ** 2).sum()
        loss = content + 5 * style_loss + 1e-6 * 255.0 ** 2 * tv / a.batch
        loss.backward()
        opt.step()
        t, c = time.perf_counter() - t0, time.process_time() - c0
        print(f"{'warm-up ' if s == 0 else ''}step {s}: wall {t:.3f} s, cpu {c:.3f} s "
              f"loss {loss.item():.4g}", flush=True)


if __name__ == "__main__":
    main()
