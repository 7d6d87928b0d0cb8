"""Reading back the ESC/POS the encoder writes, the way a printer would: raster images,
paper feeds, code-page switches and text, so tests check what would come out on paper."""

from __future__ import annotations

from dataclasses import dataclass, field

from escpos.capabilities import CAPABILITIES
from PIL import Image

ESC, GS = 0x1B, 0x1D
# Commands with one parameter byte (ESC x n, GS x n), as python-escpos writes them.
ONE_BYTE = {(ESC, c) for c in b"t!Ea-M{JdG3V"} | {(GS, c) for c in b"!Bb"}


@dataclass
class Stream:
    raster: list[tuple[int, list[bytes]]] = field(default_factory=list)  # (width bytes, rows)
    commands: list[bytes] = field(default_factory=list)
    pieces: list[tuple[int | None, bytes]] = field(default_factory=list)  # (code table, text)
    rows: list[bytes] = field(default_factory=list)  # the paper, top to bottom, as raster rows
    qr_codes: list[bytes] = field(default_factory=list)  # stored by the printer's QR command

    def text(self, decode: dict[int, dict[int, str]] | str) -> str:
        """The text sent, decoded with one Python codec or with a table per code page."""
        out = []
        for table, raw in self.pieces:
            if isinstance(decode, str):
                out.append(raw.decode(decode))
            else:
                assert table is not None, "text sent before any code page was chosen"
                out.append("".join(chr(b) if b < 128 else decode[table][b] for b in raw))
        return "".join(out)

    def image(self, width: int) -> Image.Image:
        """The raster part of the paper as an image (ink black), feeds as white rows."""
        stride = width // 8
        rows = [row.ljust(stride, b"\x00")[:stride] for row in self.rows]
        ink = b"".join(rows)
        inverted = bytes(255 - b for b in ink)
        return Image.frombytes("1", (width, len(rows)), inverted)


def parse(data: bytes, width: int) -> Stream:
    stream = Stream()
    table: int | None = None
    text = bytearray()
    i = 0

    def flush() -> None:
        if text:
            stream.pieces.append((table, bytes(text)))
            text.clear()

    while i < len(data):
        first = data[i]
        second = data[i + 1] if i + 1 < len(data) else -1
        if first == GS and second == ord("v"):  # GS v 0 m xL xH yL yH d...
            assert data[i + 2] == ord("0")
            width_bytes = data[i + 4] + 256 * data[i + 5]
            height = data[i + 6] + 256 * data[i + 7]
            body = data[i + 8 : i + 8 + width_bytes * height]
            rows = [body[r * width_bytes : (r + 1) * width_bytes] for r in range(height)]
            stream.raster.append((width_bytes, rows))
            stream.rows.extend(rows)
            stream.commands.append(data[i : i + 3])
            i += 8 + width_bytes * height
        elif first == GS and second == ord("(") and data[i + 2] == ord("k"):  # GS ( k pL pH ...
            flush()
            length = data[i + 3] + 256 * data[i + 4]
            body = data[i + 5 : i + 5 + length]
            if body[:3] == b"1P0":  # store the symbol's data
                stream.qr_codes.append(body[3:])
            stream.commands.append(data[i : i + 3])
            i += 5 + length
        elif first == GS and second == ord("V") and data[i + 2] in (65, 66):  # cut with feed
            flush()
            stream.commands.append(data[i : i + 4])
            i += 4
        elif (first, second) in ONE_BYTE:
            flush()
            command = data[i : i + 3]
            stream.commands.append(command)
            if (first, second) == (ESC, ord("t")):
                table = data[i + 2]
            if (first, second) == (ESC, ord("J")):
                stream.rows.extend([b""] * data[i + 2])
            i += 3
        elif first == ESC and second in (ord("@"), ord("2")):
            flush()
            stream.commands.append(data[i : i + 2])
            i += 2
        else:
            assert first not in (ESC, GS), f"unexpected command {data[i : i + 4]!r} at {i}"
            text.append(first)
            i += 1
    flush()
    return stream


def escpos_table(name: str) -> dict[int, str]:
    """A code page as python-escpos's printer database gives it: byte -> character."""
    chars = "".join(CAPABILITIES["encodings"][name]["data"])
    return {128 + i: c for i, c in enumerate(chars)}
