"""Text that changes every frame, drawn with FreeType (Pillow) straight onto the RGBA frame.

matplotlib lays out a Text artist from scratch on every draw (~3.5 ms at 1080p), a third of a
blitted frame's cost. The counter only needs one line in one font at one place, which Pillow
renders in ~0.1 ms with the same font file matplotlib uses, so it looks the same.
"""

from __future__ import annotations

import numpy as np
from matplotlib import font_manager
from matplotlib.colors import to_rgb
from PIL import Image, ImageDraw, ImageFont


class TextStamp:
    """One line of text at a fixed anchor point, in pixels from the top-left of the frame.

    `anchor` is Pillow's two-letter anchor: "rd" puts the right end of the text's descender line
    on the point, which is matplotlib's ha="right", va="bottom".
    """

    def __init__(self, xy: tuple[float, float], size_px: float, color: str, anchor: str = "rd"):
        path = font_manager.findfont(font_manager.FontProperties())
        self.font = ImageFont.truetype(path, size=max(1, round(size_px)))
        self.xy = (round(xy[0]), round(xy[1]))
        self.anchor = anchor
        self.color = np.array(to_rgb(color), dtype=np.float32) * 255
        self.color_u16 = np.rint(self.color).astype(np.uint16)

    def draw(self, frame: np.ndarray, text: str, at: tuple[float, float] | None = None) -> tuple[int, int, int, int]:
        """Blend `text` over `frame` (H, W, 4) uint8, straight (not premultiplied) RGBA, in place;
        `at` moves the anchor point for this call (labels that follow a rotating view).
        Returns (x0, y0, x1, y1), the pixels it may have touched (for scenes that track what changed)."""
        left, top, right, bottom = self.font.getbbox(text, anchor=self.anchor)
        mask = Image.new("L", (right - left, bottom - top))
        ImageDraw.Draw(mask).text((-left, -top), text, font=self.font, fill=255, anchor=self.anchor)
        coverage = np.asarray(mask).astype(np.uint16)
        anchor_x, anchor_y = (round(at[0]), round(at[1])) if at is not None else self.xy
        x0, y0 = anchor_x + left, anchor_y + top
        touched = (x0, y0, x0 + coverage.shape[1], y0 + coverage.shape[0])
        # Clip to the frame.
        cx0, cy0 = max(x0, 0), max(y0, 0)
        cx1, cy1 = min(x0 + coverage.shape[1], frame.shape[1]), min(y0 + coverage.shape[0], frame.shape[0])
        if cx0 >= cx1 or cy0 >= cy1:
            return touched
        ink = coverage[cy0 - y0:cy1 - y0, cx0 - x0:cx1 - x0, None]
        region = frame[cy0:cy1, cx0:cx1]
        if region[..., 3].min() == 255:  # opaque background (every format but mov): integer blend
            region[..., :3] = (region[..., :3] * (255 - ink) + self.color_u16 * ink + 127) // 255
            return touched
        ink = ink / np.float32(255)
        below = region[..., 3:] / np.float32(255)
        alpha = ink + below * (1 - ink)  # "over", which is also right on a transparent (mov) frame
        rgb = (self.color * ink + region[..., :3] * (below * (1 - ink))) / np.maximum(alpha, 1e-6)
        region[..., :3] = np.rint(rgb)
        region[..., 3:] = np.rint(alpha * 255)
        return touched
