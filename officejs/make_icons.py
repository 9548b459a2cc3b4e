"""Draw the add-in's icons (officejs/src/icon-{16,32,64,80}.png): a green tile with a white "e".

Pure Python (zlib PNG), so the icons are reproducible: ``python officejs/make_icons.py``.
"""

from __future__ import annotations

import math
import struct
import zlib
from pathlib import Path

GREEN = (11, 106, 83)
WHITE = (255, 255, 255)


def _png(size: int, pixels: list[list[tuple[int, int, int, int]]]) -> bytes:
    raw = b"".join(b"\x00" + bytes(c for px in row for c in px) for row in pixels)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def _pixel(x: float, y: float, size: int) -> tuple[int, int, int, int]:
    """Colour at the centre of pixel (x, y): a rounded tile, a ring open at the lower right and
    a bar (an "e")."""
    r = size * 0.18
    inside = all(min(v, size - v) >= 0 for v in (x, y))
    cx, cy = min(max(x, r), size - r), min(max(y, r), size - r)
    if not inside or math.hypot(x - cx, y - cy) > r:
        return (0, 0, 0, 0)
    mx, my, ring = size / 2, size / 2, size * 0.30
    d = math.hypot(x - mx, y - my)
    angle = math.degrees(math.atan2(y - my, x - mx))
    on_ring = abs(d - ring) <= size * 0.075 and not (10 < angle < 55)
    on_bar = abs(y - my) <= size * 0.06 and abs(x - mx) <= ring
    return (*WHITE, 255) if on_ring or on_bar else (*GREEN, 255)


def main() -> None:
    out = Path(__file__).parent / "src"
    for size in (16, 32, 64, 80):
        pixels = [[_pixel(x + 0.5, y + 0.5, size) for x in range(size)] for y in range(size)]
        (out / f"icon-{size}.png").write_bytes(_png(size, pixels))


if __name__ == "__main__":
    main()
