"""Turns a QR code that otpgate drew as text back into an image and decodes
it with zbarimg, so a test can compare it with the URI byte for byte."""

import os
import subprocess
import tempfile

from PIL import Image

import cli_sandbox

HALF_BLOCKS = {" ": (0, 0), "\u2580": (1, 0), "\u2584": (0, 1), "\u2588": (1, 1)}
SCALE = 8
EXTRA_QUIET_ZONE = 4


def qr_lines(text):
    """The longest run of lines made only of QR glyphs (ANSI colours removed)."""
    lines = [cli_sandbox.ANSI_ESCAPE.sub("", line).rstrip("\r") for line in text.split("\n")]
    best, run = [], []
    for line in lines + [""]:
        half_blocks = len(line) >= 21 and set(line) <= set(HALF_BLOCKS)
        ascii_art = len(line) >= 42 and set(line) <= {"#", " "}
        if half_blocks or ascii_art:
            run.append(line)
        else:
            if len(run) > len(best):
                best = run
            run = []
    return best


def ink_matrix(lines):
    """Rows of 0/1, 1 where a glyph puts ink."""
    width = max(len(line) for line in lines)
    if any("#" in line for line in lines):  # ascii: two characters per module, a row per line
        return [[1 if line.ljust(width)[x] == "#" else 0 for x in range(0, width, 2)]
                for line in lines]
    rows = []
    for line in lines:  # half blocks: two module rows per line
        cells = [HALF_BLOCKS[c] for c in line.ljust(width)]
        rows.append([top for top, _ in cells])
        rows.append([bottom for _, bottom in cells])
    return rows


def dark_matrix(ink):
    """Ink means dark unless the border (the quiet zone, which is light) is inked."""
    border = ink[0] + ink[-1] + [row[0] for row in ink] + [row[-1] for row in ink]
    inked_border = sum(border) * 2 > len(border)
    return [[1 - v if inked_border else v for v in row] for row in ink]


def decode(text, directory):
    """The text zbarimg reads from the QR code in `text`, or None. The image
    is written to `directory` for the moment zbarimg needs it."""
    lines = qr_lines(text)
    assert lines, "no QR code in:\n" + text
    dark = dark_matrix(ink_matrix(lines))
    size = len(dark[0]) + 2 * EXTRA_QUIET_ZONE
    height = len(dark) + 2 * EXTRA_QUIET_ZONE
    image = Image.new("L", (size * SCALE, height * SCALE), 255)
    for y, row in enumerate(dark):
        for x, value in enumerate(row):
            if value:
                left = (x + EXTRA_QUIET_ZONE) * SCALE
                top = (y + EXTRA_QUIET_ZONE) * SCALE
                image.paste(0, (left, top, left + SCALE, top + SCALE))
    handle, path = tempfile.mkstemp(suffix=".png", dir=directory)
    os.close(handle)
    try:
        image.save(path)
        result = subprocess.run(["zbarimg", "--nodbus", "-q", "--raw", path],
                                capture_output=True)
    finally:
        os.unlink(path)
    if result.returncode != 0:
        return None
    out = result.stdout.decode("utf-8")
    return out[:-1] if out.endswith("\n") else out
