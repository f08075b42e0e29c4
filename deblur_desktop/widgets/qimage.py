"""numpy uint8 images -> QImage (the one conversion the widgets use)."""
from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage


def to_qimage(a: np.ndarray) -> QImage:
    """uint8 HxW or HxWx3/4 -> an RGB888 QImage that owns its pixels (safe across threads)."""
    if a.dtype != np.uint8:
        raise TypeError(f"to_qimage needs uint8 pixels, got {a.dtype}")
    a = a[..., :3] if a.ndim == 3 else np.repeat(a[..., None], 3, axis=2)
    a = np.ascontiguousarray(a)
    h, w, _ = a.shape
    return QImage(a.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
