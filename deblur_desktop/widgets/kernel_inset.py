"""The estimated blur kernel as a small inset over the compare view (like Photoshop's
"blur trace"): white on black, scaled up without smoothing so each kernel pixel stays a
square, with its size, the confidence and what ran underneath.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QWidget

SIDE = 160  # the inset's inner width (px): the kernel square and the caption under it
PAD = 6


def kernel_image(kernel: np.ndarray) -> QImage:
    """Greyscale QImage of a kernel, its peak white. Shown through a square root so the
    faint end of a shake path (where the camera moved fast) stays visible."""
    k = np.asarray(kernel, np.float64)
    k = np.clip(k / max(float(k.max()), 1e-12), 0, 1) ** 0.5
    a = np.ascontiguousarray((k * 255 + 0.5).astype(np.uint8))
    h, w = a.shape
    return QImage(a.data, w, h, w, QImage.Format.Format_Grayscale8).copy()  # copy: owns its pixels


def caption(size: int, confidence: float, what_ran: str) -> str:
    return f"{size} px · confidence {confidence:.2f}\n{what_ran}"


class KernelInset(QWidget):
    """Hidden until `set_kernel`; `clear()` hides it again."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.image: QImage | None = None
        self.text = ""
        self.setVisible(False)

    def set_kernel(self, kernel: np.ndarray, confidence: float, extent_px: float, what_ran: str) -> None:
        self.image = kernel_image(kernel)
        self.text = caption(kernel.shape[0], confidence, what_ran)
        self.setToolTip(f"The blur kernel estimated from this photo: the path the camera shake traced "
                        f"({kernel.shape[1]}×{kernel.shape[0]} px window, blur path about {extent_px:.0f} px "
                        f"long).\nConfidence {confidence:.2f}: how much it looks like one shake path.\n"
                        f"What ran: {what_ran}.")
        self.resize(self.sizeHint())
        self.setVisible(True)
        self.raise_()
        self.update()

    def clear(self) -> None:
        self.image, self.text = None, ""
        self.setVisible(False)

    def kernel_rect(self) -> QRect:
        """Where the kernel is drawn: a whole number of screen px per kernel px (every
        kernel pixel the same square), centred in the black square."""
        k = max(self.image.width(), self.image.height())
        n = max(1, SIDE // k) if k <= SIDE else 0
        w, h = (self.image.width() * n, self.image.height() * n) if n else (SIDE, SIDE)
        return QRect(PAD + (SIDE - w) // 2, PAD + (SIDE - h) // 2, w, h)

    def _text_rect(self) -> QRect:
        return self.fontMetrics().boundingRect(QRect(0, 0, SIDE, 1000), Qt.TextFlag.TextWordWrap, self.text)

    def sizeHint(self) -> QSize:
        return QSize(SIDE + 2 * PAD, SIDE + 3 * PAD + self._text_rect().height())

    def paintEvent(self, _e) -> None:
        if self.image is None:
            return
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(QColor(255, 255, 255, 90))
        p.setBrush(QColor(0, 0, 0, 215))
        p.drawRoundedRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5), 4, 4)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)  # nearest neighbour
        p.fillRect(QRect(PAD, PAD, SIDE, SIDE), QColor("black"))
        p.drawImage(self.kernel_rect(), self.image)
        p.setPen(QColor("white"))
        p.drawText(QRect(PAD, SIDE + 2 * PAD, SIDE, self.height() - SIDE - 2 * PAD),
                   Qt.TextFlag.TextWordWrap | Qt.AlignmentFlag.AlignHCenter, self.text)
