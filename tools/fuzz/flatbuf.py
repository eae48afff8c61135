"""A small FlatBuffers writer, enough to build TFLite files by hand.

There is no flatc or TensorFlow on the project's machines, so the fuzz
seeds are written from the schema's slot numbers directly. Objects are
laid out front to back: a parent table first, its children after it, so
every uoffset is positive as the format requires. Vtables sit just before
their table (a positive soffset).

    Table({0: ("I", 3), 2: Vector("off", [Table(...)]), 3: String("x")})

A field is (type, value) for scalars, with struct-module codes
(b B h H i I q Q f d and "?" for bool), or a Table/Vector/String child.
"""

import struct

_SIZES = {"b": 1, "B": 1, "?": 1, "h": 2, "H": 2, "i": 4, "I": 4, "f": 4,
          "q": 8, "Q": 8, "d": 8}


class Table:
    def __init__(self, fields):
        self.fields = fields


class Vector:
    """elem is a scalar code, or "off" for tables/strings/vectors."""

    def __init__(self, elem, items, align=1):
        self.elem = elem
        self.items = list(items)
        self.align = align  # of the first element (TFLite buffers: 16)


class String:
    def __init__(self, text):
        self.data = text.encode() if isinstance(text, str) else bytes(text)


def _pad_to(buf, align, offset=0):
    while (len(buf) + offset) % align:
        buf.append(0)


def _write(buf, obj):
    """Append obj (and its children) to buf; return obj's position."""
    if isinstance(obj, String):
        _pad_to(buf, 4)
        pos = len(buf)
        buf += struct.pack("<I", len(obj.data)) + obj.data + b"\0"
        return pos
    if isinstance(obj, Vector):
        esize = 4 if obj.elem == "off" else _SIZES[obj.elem]
        _pad_to(buf, max(esize, 4, obj.align), 4)
        pos = len(buf)
        buf += struct.pack("<I", len(obj.items))
        if obj.elem != "off":
            for v in obj.items:
                buf += struct.pack("<" + obj.elem, v)
            return pos
        slots = []
        for _ in obj.items:
            slots.append(len(buf))
            buf += b"\0\0\0\0"
        for slot, child in zip(slots, obj.items):
            cpos = _write(buf, child)
            struct.pack_into("<I", buf, slot, cpos - slot)
        return pos
    assert isinstance(obj, Table)
    nslots = max(obj.fields) + 1 if obj.fields else 0
    _pad_to(buf, 2)
    vt = len(buf)
    buf += b"\0" * (4 + 2 * nslots)
    _pad_to(buf, 8)
    pos = len(buf)
    buf += struct.pack("<i", pos - vt)
    children = []
    # Larger scalars first keeps padding small; order does not matter.
    def size_of(item):
        f = item[1]
        return 4 if not isinstance(f, tuple) else _SIZES[f[0]]
    for slot, f in sorted(obj.fields.items(), key=size_of, reverse=True):
        if isinstance(f, tuple):
            code, value = f
            _pad_to(buf, _SIZES[code])
            struct.pack_into("<H", buf, vt + 4 + 2 * slot, len(buf) - pos)
            buf += struct.pack("<" + code, value)
        else:
            _pad_to(buf, 4)
            struct.pack_into("<H", buf, vt + 4 + 2 * slot, len(buf) - pos)
            children.append((len(buf), f))
            buf += b"\0\0\0\0"
    struct.pack_into("<HH", buf, vt, 4 + 2 * nslots, len(buf) - pos)
    for slot, child in children:
        cpos = _write(buf, child)
        struct.pack_into("<I", buf, slot, cpos - slot)
    return pos


def finish(root, ident=b"TFL3"):
    buf = bytearray(struct.pack("<I", 0) + ident)
    pos = _write(buf, root)
    struct.pack_into("<I", buf, 0, pos)
    _pad_to(buf, 4)
    return bytes(buf)
