"""Fixture for tests/test_train_torch.c: three Adam steps of a tiny
two-style student in PyTorch, written as .npy files into tests/data/train/.

The network (the same layer list as the test builds): reflection pad 1,
conv 3x3 (3 -> 4), conditional instance norm (2 styles), relu, conv 3x3
stride 2 zero pad 1 (4 -> 6), conditional norm, relu, residual: add(that,
norm(conv 3x3 pad 1 (6 -> 6))), nearest x2, reflection pad 1, conv 3x3
(6 -> 3, bias), sigmoid. Loss: mean((y - t)^2). (No bias before a norm: its
gradient is zero, and Adam turns rounding noise there into full steps.)
Parameters are flattened in layer order, each conv's weight then bias,
each norm's scales [styles, C] then shifts [styles, C].

  /usr/bin/python3 tools/make_train_fixture.py
"""
import os

import numpy as np
import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "data", "train")
torch.manual_seed(7)
torch.set_default_dtype(torch.float64)


def cin(x, g, b, styles):
    y = F.instance_norm(x, eps=1e-5)
    return y * g[styles][:, :, None, None] + b[styles][:, :, None, None]


def main():
    os.makedirs(OUT, exist_ok=True)
    n, s = 2, 10
    styles = torch.tensor([1, 0])
    p = {
        "w1": torch.randn(4, 3, 3, 3) * 0.4,
        "g1": 1 + 0.2 * torch.randn(2, 4), "b1": 0.2 * torch.randn(2, 4),
        "w2": torch.randn(6, 4, 3, 3) * 0.3,
        "g2": 1 + 0.2 * torch.randn(2, 6), "b2": 0.2 * torch.randn(2, 6),
        "w3": torch.randn(6, 6, 3, 3) * 0.3,
        "g3": 1 + 0.2 * torch.randn(2, 6), "b3": 0.2 * torch.randn(2, 6),
        "w4": torch.randn(3, 6, 3, 3) * 0.3, "c4": 0.1 * torch.randn(3),
    }
    order = ["w1", "g1", "b1", "w2", "g2", "b2", "w3", "g3", "b3", "w4", "c4"]
    # float32 values, so that C starts from exactly these
    for k in order:
        p[k] = p[k].float().double().requires_grad_(True)
    x = torch.rand(n, 3, s, s).float().double()
    t = torch.rand(n, 3, s, s).float().double()

    def forward():
        v = F.conv2d(F.pad(x, (1, 1, 1, 1), mode="reflect"), p["w1"])
        v = F.relu(cin(v, p["g1"], p["b1"], styles))
        v = F.conv2d(v, p["w2"], stride=2, padding=1)
        v = F.relu(cin(v, p["g2"], p["b2"], styles))
        r = F.conv2d(v, p["w3"], padding=1)
        v = v + cin(r, p["g3"], p["b3"], styles)
        v = F.interpolate(v, scale_factor=2, mode="nearest")
        v = F.conv2d(F.pad(v, (1, 1, 1, 1), mode="reflect"), p["w4"], p["c4"])
        return torch.sigmoid(v)

    flat = lambda: np.concatenate([p[k].detach().numpy().ravel() for k in order])
    p0 = flat()
    opt = torch.optim.Adam([p[k] for k in order], lr=0.01)
    for _ in range(3):
        opt.zero_grad()
        loss = ((forward() - t) ** 2).mean()
        loss.backward()
        opt.step()
    np.save(os.path.join(OUT, "x.npy"), x.float().numpy())
    np.save(os.path.join(OUT, "t.npy"), t.float().numpy())
    np.save(os.path.join(OUT, "params0.npy"), p0.astype(np.float32))
    np.save(os.path.join(OUT, "params3.npy"), flat().astype(np.float32))
    print("wrote", OUT, "with", p0.size, "parameters")


if __name__ == "__main__":
    main()
