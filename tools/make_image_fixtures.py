#!/usr/bin/env python3
"""Tiny PNG fixtures for tests/test_image.c, written by a minimal encoder of
our own so that each colour type and bit depth is exactly what the test says
(no image library decides for us). Each picture is 5x3 with the pattern
v(x, y, c) = (40*x + 70*y + 90*c) % 256 in 8 bits; 16-bit files hold
v * 257 + 100 (which rounds back to v). Run from the repository root:

    python3 tools/make_image_fixtures.py tests/data/images
"""
import struct
import sys
import zlib

W, H = 5, 3


def v(x, y, c):
    return (40 * x + 70 * y + 90 * c) % 256


def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def png(path, color_type, depth, rows, extra=b""):
    raw = b"".join(b"\0" + r for r in rows)
    ihdr = struct.pack(">IIBBBBB", W, H, depth, color_type, 0, 0, 0)
    data = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra +
            chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    with open(path, "wb") as f:
        f.write(data)
    return data


def samples(channels, depth, alpha_of=None):
    rows = []
    for y in range(H):
        r = b""
        for x in range(W):
            vals = [v(x, y, c) for c in range(channels)]
            if alpha_of is not None:
                vals[-1] = alpha_of(x, y)
            for s in vals:
                r += struct.pack(">H", s * 257 + 100 if s < 255 else 65535) if depth == 16 \
                    else bytes([s])
        rows.append(r)
    return rows


def main(out):
    alpha = lambda x, y: (30 * x + 50 * y) % 256
    png(f"{out}/gray8.png", 0, 8, samples(1, 8))
    png(f"{out}/gray16.png", 0, 16, samples(1, 16))
    png(f"{out}/rgb16.png", 2, 16, samples(3, 16))
    png(f"{out}/rgba8.png", 6, 8, samples(4, 8, alpha))
    png(f"{out}/rgba16.png", 6, 16, samples(4, 16, alpha))
    # Palette of 4 colours (index = (x + y) % 4), entry 2 transparent.
    pal = [(10, 20, 30), (200, 100, 50), (0, 255, 0), (90, 90, 250)]
    rows = [bytes((x + y) % 4 for x in range(W)) for y in range(H)]
    extra = chunk(b"PLTE", bytes(c for p in pal for c in p)) + chunk(b"tRNS", bytes([255, 255, 0]))
    full = png(f"{out}/palette.png", 3, 8, rows, extra)
    # The same file cut in the middle of its data.
    with open(f"{out}/truncated.png", "wb") as f:
        f.write(full[: len(full) - 30])


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/data/images")
