"""The grid of small tiles on which video frames are compared, converted and updated.

Most of our frames are a still picture with a few small shapes moving over it. Cutting the frame
into tiles (8 rows x 32 columns where the size allows) lets each stage touch only what moved: a
scene that knows where it drew hands over just those tiles (`TileUpdate`), and the yuv converter
redoes just those. Both sides build the grid from the frame size alone, so they always agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def _tile_side(length: int, choices: tuple[int, ...]) -> int:
    """The largest choice dividing `length` (lengths are even, so 2 always does)."""
    return next(side for side in choices if length % side == 0)


@dataclass(frozen=True)
class TileUpdate:
    """A frame given as the tiles that may differ from the frame before it."""

    rows: np.ndarray  # (k,) tile row indices
    cols: np.ndarray  # (k,) tile column indices
    tiles: np.ndarray  # (k, tile_h, tile_w, 4) uint8 RGBA


class TileGrid:
    def __init__(self, width: int, height: int):
        if width % 2 or height % 2:
            raise ValueError(f"frames need an even width and height, not {width}x{height}")
        self.width, self.height = width, height
        self.tile_h, self.tile_w = _tile_side(height, (8, 6, 4, 2)), _tile_side(width, (32, 16, 8, 4, 2))
        self.rows, self.cols = height // self.tile_h, width // self.tile_w

    def blocks(self, image: np.ndarray) -> np.ndarray:
        """A (rows, tile_h, cols, tile_w, ...) view of an (H, W, ...) image."""
        return image.reshape(self.rows, self.tile_h, self.cols, self.tile_w, *image.shape[2:])

    def covering(self, boxes: np.ndarray) -> np.ndarray:
        """(rows, cols) bool: the tiles that overlap any of the (x0, y0, x1, y1) pixel `boxes`.

        Boxes are painted into a 2-D difference array and summed up, so a few hundred boxes cost
        a handful of numpy calls rather than a Python loop.
        """
        mask = np.zeros((self.rows + 1, self.cols + 1), np.int32)
        boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
        inside = (boxes[:, 2] > 0) & (boxes[:, 3] > 0) & (boxes[:, 0] < self.width) & (boxes[:, 1] < self.height)
        x0, y0, x1, y1 = boxes[inside].T
        c0 = np.clip(np.floor(x0 / self.tile_w), 0, self.cols - 1).astype(np.intp)
        r0 = np.clip(np.floor(y0 / self.tile_h), 0, self.rows - 1).astype(np.intp)
        c1 = np.clip(np.ceil(x1 / self.tile_w), 1, self.cols).astype(np.intp)  # exclusive ends
        r1 = np.clip(np.ceil(y1 / self.tile_h), 1, self.rows).astype(np.intp)
        np.add.at(mask, (r0, c0), 1)
        np.add.at(mask, (r0, c1), -1)
        np.add.at(mask, (r1, c0), -1)
        np.add.at(mask, (r1, c1), 1)
        return mask.cumsum(axis=0).cumsum(axis=1)[:-1, :-1] > 0

    def gather(self, image: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """A copy of the chosen tiles, (k, tile_h, tile_w, ...)."""
        return self.blocks(image)[rows, :, cols]

    def put(self, image: np.ndarray, rows: np.ndarray, cols: np.ndarray, tiles: np.ndarray) -> None:
        self.blocks(image)[rows, :, cols] = tiles
