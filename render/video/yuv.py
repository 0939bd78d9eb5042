"""RGBA frames to Y'CbCr 4:2:0 (BT.709, limited range), redone only where a frame changed.

Handing ffmpeg rgba costs it a colour conversion and 2.7x the pipe traffic of yuv420p on every
frame, and on two cores that time is taken from x264. Our frames are a static picture with a
few small moving shapes, so we convert the first frame whole and afterwards only the tiles whose
pixels differ from the previous frame, or just the tiles a scene says it redrew. Doing the
conversion ourselves also fixes the matrix: ffmpeg's default for rgb input is BT.601, which HD
players (untagged 1080p means BT.709) show slightly off-colour; we use BT.709 and tag the stream
with it (`COLOR_TAGS`).
"""

from __future__ import annotations

import numpy as np

from render.video.tiles import TileGrid

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


class Yuv420Converter:
    """Keeps the previous frame and its conversion; `convert` returns the planar yuv420p bytes.

    The returned buffer is reused: write it out before the next call.
    """

    def __init__(self, width: int, height: int):
        self.grid = TileGrid(width, height)
        self.width, self.height = width, height
        self.buffer = np.empty(width * height * 3 // 2, dtype=np.uint8)
        luma = width * height
        self.y = self.buffer[:luma].reshape(height, width)
        self.u = self.buffer[luma:luma * 5 // 4].reshape(height // 2, width // 2)
        self.v = self.buffer[luma * 5 // 4:].reshape(height // 2, width // 2)
        self.previous: np.ndarray | None = None
        self._matrix = MATRIX.astype(np.float32)
        self._offset = OFFSET.astype(np.float32)

    def convert(self, rgba: np.ndarray, changed: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
        """`changed`, the (rows, cols) of the tiles that may differ from the previous frame, spares
        the comparison when the caller already knows them."""
        if rgba.shape != (self.height, self.width, 4) or rgba.dtype != np.uint8:
            raise ValueError(f"expected a ({self.height}, {self.width}, 4) uint8 frame, got {rgba.shape} {rgba.dtype}")
        if self.previous is None:
            y, u, v = self._convert(rgba[None])
            self.y[...], self.u[...], self.v[...] = y[0], u[0], v[0]
        else:
            rows, cols = changed if changed is not None else self._changed_tiles(rgba)
            if len(rows):
                grid = self.grid
                y, u, v = self._convert(grid.gather(rgba, rows, cols))
                grid.blocks(self.y)[rows, :, cols] = y
                self.u.reshape(grid.rows, grid.tile_h // 2, grid.cols, grid.tile_w // 2)[rows, :, cols] = u
                self.v.reshape(grid.rows, grid.tile_h // 2, grid.cols, grid.tile_w // 2)[rows, :, cols] = v
        self.previous = rgba
        return self.buffer

    def _changed_tiles(self, rgba: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(row, column) indices of the tiles where `rgba` differs from the previous frame.

        Compared two pixels per 64-bit word, and the comparison packed eight flags per word
        before the per-tile reduction: this scan reads every byte of two frames, so it is
        bound by memory speed and is kept to that.
        """
        grid, pairs = self.grid, self.width // 2
        now = rgba.reshape(-1).view(np.uint64).reshape(self.height, pairs)
        before = self.previous.reshape(-1).view(np.uint64).reshape(self.height, pairs)
        differs = now != before
        if pairs % 8 == 0 and grid.tile_w % 16 == 0:
            differs = differs.view(np.uint64)  # 8 flags (16 pixels) per word
            words = grid.tile_w // 16
        else:
            words = grid.tile_w // 2
        per_tile = differs.reshape(grid.rows, grid.tile_h, grid.cols, words)
        return np.nonzero(per_tile.any(axis=3).any(axis=1))

    def _convert(self, tiles: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(k, h, w, 4) RGBA -> Y' (k, h, w) and Cb, Cr (k, h/2, w/2).

        Chroma is computed from the 2x2 averages of R, G and B (the conversion is linear, so this
        equals averaging Cb and Cr, at a quarter of the arithmetic). Written as plain element-wise
        arithmetic on contiguous planes on purpose: a matrix product would go to OpenBLAS, whose
        worker threads spin between calls and took a whole core from x264.
        """
        k, h, w, _ = tiles.shape
        red, green, blue = rgb = tiles[..., :3].transpose(3, 0, 1, 2).astype(np.float32, order="C")  # (3, k, h, w)
        luma = self._combine(red, green, blue, 0, 1.0)
        quads = rgb.reshape(3, k, h // 2, 2, w // 2, 2)
        row_pairs = quads[:, :, :, 0] + quads[:, :, :, 1]  # whole rows first: contiguous, 1.5x faster than pixel by pixel
        summed = row_pairs[..., 0] + row_pairs[..., 1]  # sums of integers below 2^24: exact in any order
        cb, cr = (self._combine(*summed, row, 0.25) for row in (1, 2))
        return luma.astype(np.uint8), cb.astype(np.uint8), cr.astype(np.uint8)

    def _combine(self, red: np.ndarray, green: np.ndarray, blue: np.ndarray, row: int, scale: float) -> np.ndarray:
        """Row `row` of the matrix applied to (scale x) R, G, B planes, plus its offset."""
        weights = self._matrix[row] * np.float32(scale)
        plane = red * weights[0]
        plane += green * weights[1]
        plane += blue * weights[2]
        plane += self._offset[row]
        return plane
