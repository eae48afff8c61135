#!/usr/bin/python3
"""Frames that carry their capture time, for impasto live's latency benchmark.

  stamp.py send W H FPS N TIMES   YUV4MPEG2 on stdout: N frames, each with its
                                  index drawn as a 16-bit bar code, written at
                                  FPS in real time; TIMES gets "index seconds"
                                  of the moment each frame's write began.
  stamp.py receive TIMES          reads the YUV4MPEG2 that impasto live writes
                                  (-o -) on stdin, reads each frame's index back
                                  from its pixels, and prints the held frame
                                  rate and the capture-to-output latency.

Both ends use CLOCK_MONOTONIC (time.monotonic), one clock for the machine.
The bar code is 16 blocks of 32x32 pixels in the top rows, with its inverse
below as a check: frames whose two rows disagree (torn or blurred past
reading) are counted, not used. impasto live must leave the pixels readable:
run it with --strength 0 (the network still runs on every frame; only the
final blend shows the camera picture).
"""
import sys
import time

import numpy as np

BITS, BLOCK, X0, GAP, Y0 = 16, 32, 16, 36, 8


def bar_rows(index):
    """The luma of the code rows for an index: 1 bits white (235), 0 black (16)."""
    return [(235 if (index >> b) & 1 else 16) for b in range(BITS)]


def send(w, h, fps, n, times_path):
    out = sys.stdout.buffer
    out.write(b"YUV4MPEG2 W%d H%d F%d:1 Ip A1:1 C420jpeg\n" % (w, h, fps))
    y = np.full((h, w), 110, np.uint8)
    # A moving gradient under the code, so the picture is not still.
    ramp = (np.arange(w, dtype=np.int32)[None, :] + np.arange(h, dtype=np.int32)[:, None])
    chroma = np.full(((h + 1) // 2) * ((w + 1) // 2) * 2, 128, np.uint8).tobytes()
    start = time.monotonic()
    with open(times_path, "w") as times:
        for i in range(n):
            due = start + i / fps
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            y[:] = ((ramp + 4 * i) % 160 + 40).astype(np.uint8)
            for b, v in enumerate(bar_rows(i)):
                x = X0 + b * GAP
                y[Y0:Y0 + BLOCK, x:x + BLOCK] = v
                y[Y0 + BLOCK + 8:Y0 + 2 * BLOCK + 8, x:x + BLOCK] = 251 - v
            times.write("%d %.6f\n" % (i, time.monotonic()))
            out.write(b"FRAME\n" + y.tobytes() + chroma)
            out.flush()


def read_code(y):
    """The index in a frame's luma, or None when the code and its inverse disagree."""
    index = 0
    for b in range(BITS):
        x = X0 + b * GAP + BLOCK // 4
        top = y[Y0 + BLOCK // 4:Y0 + 3 * BLOCK // 4, x:x + BLOCK // 2].mean()
        low = y[Y0 + BLOCK + 8 + BLOCK // 4:Y0 + 2 * BLOCK + 8 - BLOCK // 4,
                x:x + BLOCK // 2].mean()
        one, inverse_one = top > 125, low < 125
        if one != inverse_one or min(abs(top - 125), abs(low - 125)) < 40:
            return None
        index |= one << b
    return index


def receive(times_path):
    src = sys.stdin.buffer
    header = src.readline().split()
    if not header or header[0] != b"YUV4MPEG2":
        sys.exit("stamp.py: no YUV4MPEG2 stream on stdin")
    w = int([t for t in header if t.startswith(b"W")][0][1:])
    h = int([t for t in header if t.startswith(b"H")][0][1:])
    size = w * h + 2 * ((w + 1) // 2) * ((h + 1) // 2)
    got = []  # (index, seconds)
    unreadable = 0
    while True:
        line = src.readline()
        if not line:
            break
        data = src.read(size)
        now = time.monotonic()
        if len(data) < size:
            break
        index = read_code(np.frombuffer(data, np.uint8, w * h).reshape(h, w))
        if index is None:
            unreadable += 1
        else:
            got.append((index, now))
    sent = {}
    with open(times_path) as times:
        for line in times:
            i, t = line.split()
            sent[int(i)] = float(t)
    lat = np.array([(t - sent[i]) * 1000 for i, t in got if i in sent])
    if len(got) < 2 or len(lat) == 0:
        sys.exit("stamp.py: fewer than 2 frames came back readable")
    # Held rate: frames shown per second over the steady part (the first
    # second holds FFmpeg's probing of the pipe and the first plans).
    steady = [t for i, t in got if t - got[0][1] >= 1.0]
    fps = (len(steady) - 1) / (steady[-1] - steady[0]) if len(steady) > 1 else 0.0
    distinct = len({i for i, _ in got})
    late = lat[[k for k, (_, t) in enumerate(got) if t - got[0][1] >= 1.0]]
    late = late if len(late) else lat
    print("frames   %d sent, %d came back (%d distinct, %d unreadable)"
          % (len(sent), len(got) + unreadable, distinct, unreadable))
    print("fps      %.1f held (after the first second)" % fps)
    print("latency  median %.1f ms, p95 %.1f ms, worst %.1f ms (capture to output, "
          "after the first second)" % (np.median(late), np.percentile(late, 95), late.max()))


if __name__ == "__main__":
    if len(sys.argv) == 7 and sys.argv[1] == "send":
        send(*map(int, sys.argv[2:6]), sys.argv[6])
    elif len(sys.argv) == 3 and sys.argv[1] == "receive":
        receive(sys.argv[2])
    else:
        sys.exit(__doc__)
