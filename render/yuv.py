"""RGBA frames to Y'CbCr 4:2:0 (BT.709, limited range), redone only where a frame changed.

Handing ffmpeg rgba costs it a colour conversion and 2.7x the pipe traffic of yuv420p on every
frame, and on two cores that time is taken from x264. Our frames are a static picture with a
few small moving shapes, so we convert the first frame whole and afterwards only the tiles whose
pixels differ from the previous frame. Doing the conversion ourselves also fixes the matrix:
ffmpeg's default for rgb input is BT.601, which HD players (untagged 1080p means BT.709) show
slightly off-colour; we use BT.709 and tag the stream with it (`COLOR_TAGS`).
"""

from __future__ import annotations

import numpy as np

KR, KB = 0.2126, 0.0722  # BT.709 luma weights of red and blue
KG = 1.0 - KR - KB
# Rows give Y', Cb, Cr from R, G, B in 0..255, scaled to the limited ranges 16..235 and 16..240.
MATRIX = np.array([
    [KR, KG, KB],
    [-KR / (2 - 2 * KB), -KG / (2 - 2 * KB), 0.5],
    [0.5, -KG / (2 - 2 * KR), -KB / (2 - 2 * KR)],
], dtype=np.float64) * np.array([[219.0], [224.0], [224.0]]) / 255.0
OFFSET = np.array([16.0, 128.0, 128.0]) + 0.5  # +0.5: truncating to uint8 then rounds
# Tags the frames as BT.709 limited range without touching a pixel. (ffmpeg's -colorspace output
# options would make it insert a scaler that "converts" our already-BT.709 frames, at +30% CPU.)
COLOR_TAGS = ["-vf", "setparams=colorspace=bt709:color_primaries=bt709:color_trc=bt709:range=tv"]


def _tile_side(length: int, choices: tuple[int, ...]) -> int:
    """The largest choice dividing `length` (lengths are even, so 2 always does)."""
    return next(side for side in choices if length % side == 0)


class Yuv420Converter:
    """Keeps the previous frame and its conversion; `convert` returns the planar yuv420p bytes.

    The returned buffer is reused: write it out before the next call.
    """

    def __init__(self, width: int, height: int):
        if width % 2 or height % 2:
            raise ValueError(f"yuv420p needs an even width and height, not {width}x{height}")
        self.width, self.height = width, height
        self.tile_h, self.tile_w = _tile_side(height, (8, 6, 4, 2)), _tile_side(width, (32, 16, 8, 4, 2))
        self.buffer = np.empty(width * height * 3 // 2, dtype=np.uint8)
        luma = width * height
        self.y = self.buffer[:luma].reshape(height, width)
        self.u = self.buffer[luma:luma * 5 // 4].reshape(height // 2, width // 2)
        self.v = self.buffer[luma * 5 // 4:].reshape(height // 2, width // 2)
        self.previous: np.ndarray | None = None
        self._matrix = MATRIX.astype(np.float32)
        self._offset = OFFSET.astype(np.float32)

    def convert(self, rgba: np.ndarray) -> np.ndarray:
        if rgba.shape != (self.height, self.width, 4) or rgba.dtype != np.uint8:
            raise ValueError(f"expected a ({self.height}, {self.width}, 4) uint8 frame, got {rgba.shape} {rgba.dtype}")
        if self.previous is None:
            y, u, v = self._convert(rgba[None])
            self.y[...], self.u[...], self.v[...] = y[0], u[0], v[0]
        else:
            rows, cols = self._changed_tiles(rgba)
            if len(rows):
                th, tw = self.tile_h, self.tile_w
                nh, nw = self.height // th, self.width // tw
                tiles = rgba.reshape(nh, th, nw, tw, 4)[rows, :, cols]
                y, u, v = self._convert(tiles)
                self.y.reshape(nh, th, nw, tw)[rows, :, cols] = y
                self.u.reshape(nh, th // 2, nw, tw // 2)[rows, :, cols] = u
                self.v.reshape(nh, th // 2, nw, tw // 2)[rows, :, cols] = v
        self.previous = rgba
        return self.buffer

    def _changed_tiles(self, rgba: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(row, column) indices of the tiles where `rgba` differs from the previous frame.

        Compared two pixels per 64-bit word, and the comparison packed eight flags per word
        before the per-tile reduction: this scan reads every byte of two frames, so it is
        bound by memory speed and is kept to that.
        """
        pairs = self.width // 2
        now = rgba.reshape(-1).view(np.uint64).reshape(self.height, pairs)
        before = self.previous.reshape(-1).view(np.uint64).reshape(self.height, pairs)
        differs = now != before
        if pairs % 8 == 0 and self.tile_w % 16 == 0:
            differs = differs.view(np.uint64)  # 8 flags (16 pixels) per word
            words = self.tile_w // 16
        else:
            words = self.tile_w // 2
        per_tile = differs.reshape(self.height // self.tile_h, self.tile_h, self.width // self.tile_w, words)
        return np.nonzero(per_tile.any(axis=3).any(axis=1))

    def _convert(self, tiles: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(k, h, w, 4) RGBA -> Y' (k, h, w) and Cb, Cr (k, h/2, w/2), chroma from 2x2 averages.

        Written as plain element-wise arithmetic on purpose: a matrix product would go to
        OpenBLAS, whose worker threads spin between calls and took a whole core from x264.
        Averaging Cb and Cr after converting equals converting averaged RGB (it is linear).
        """
        k, h, w, _ = tiles.shape
        rgb = tiles.astype(np.float32)
        red, green, blue = rgb[..., 0], rgb[..., 1], rgb[..., 2]
        planes = []
        for row, offset in zip(self._matrix, self._offset):
            plane = red * row[0]
            plane += green * row[1]
            plane += blue * row[2]
            plane += offset
            planes.append(plane)
        luma, cb, cr = planes
        return luma.astype(np.uint8), _average_quads(cb).astype(np.uint8), _average_quads(cr).astype(np.uint8)


def _average_quads(plane: np.ndarray) -> np.ndarray:
    """(k, h, w) -> (k, h/2, w/2), each value the mean of a 2x2 block."""
    k, h, w = plane.shape
    quads = plane.reshape(k, h // 2, 2, w // 2, 2)
    total = quads[:, :, 0, :, 0] + quads[:, :, 0, :, 1]
    total += quads[:, :, 1, :, 0]
    total += quads[:, :, 1, :, 1]
    total *= np.float32(0.25)
    return total
