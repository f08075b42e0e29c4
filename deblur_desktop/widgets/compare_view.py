"""Compare images: a before/after split slider, side by side, or flicker (hold the button
or Space to see the first image in place of the second), with synced zoom and pan.

All panes share one `ViewState` (scale and the image point at the pane centre), so a
wheel zoom or a drag in any pane moves every pane the same way. Fit shows the whole
image; 1:1 maps one image pixel to one screen pixel (drawn without smoothing, so the
pixels the model produced are what you see). The "Blur region" tool draws a rectangle
for shake reduction to estimate its kernel from, and a kernel inset shows what it found.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QObject, QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QPushButton, QSlider, QSizePolicy,
                               QStackedWidget, QToolButton, QVBoxLayout, QWidget)

from deblur_desktop.widgets.kernel_inset import KernelInset
from deblur_desktop.widgets.qimage import to_qimage
from deblur_desktop.widgets.region_tool import RegionTool

ZOOM_STEP = 1.25
MIN_SCALE, MAX_SCALE = 0.02, 32.0


class ViewState(QObject):
    changed = Signal()

    def __init__(self):
        super().__init__()
        self.fit = True
        self.scale = 1.0
        self.center = QPointF(0, 0)  # image coordinates at the pane centre (when not fit)
        self.region: QRectF | None = None  # the blur region drawn (image coordinates)

    def set(self, scale: float, center: QPointF) -> None:
        self.fit = False
        self.scale = min(max(scale, MIN_SCALE), MAX_SCALE)
        self.center = QPointF(center)
        self.changed.emit()

    def set_fit(self) -> None:
        self.fit = True
        self.changed.emit()


class ImagePane(QWidget):
    """Paints one image, or two split at `split` (fraction of the width) when given two."""

    def __init__(self, state: ViewState, parent=None):
        super().__init__(parent)
        self.state = state
        self.images: list[QImage] = []
        self.labels: list[str] = []
        self.split = 0.5
        self._drag: QPointF | None = None
        self.setMinimumSize(120, 90)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setCursor(Qt.CursorShape.OpenHandCursor)
        state.changed.connect(self.update)

    def set_images(self, images: list[QImage], labels: list[str]) -> None:
        self.images, self.labels = images, labels
        self.update()

    # ---- geometry ----------------------------------------------------------------
    def image_size(self) -> tuple[int, int]:
        return (self.images[0].width(), self.images[0].height()) if self.images else (1, 1)

    def transform(self) -> tuple[float, QPointF]:
        """(scale, image point shown at the pane centre) as currently in effect."""
        iw, ih = self.image_size()
        if self.state.fit:
            return min(self.width() / iw, self.height() / ih), QPointF(iw / 2, ih / 2)
        return self.state.scale, self.state.center

    def to_image(self, p: QPointF) -> QPointF:
        s, c = self.transform()
        return QPointF(c.x() + (p.x() - self.width() / 2) / s, c.y() + (p.y() - self.height() / 2) / s)

    def visible_image_rect(self) -> QRect:
        """The part of the image shown in the pane, in image pixels."""
        iw, ih = self.image_size()
        a, b = self.to_image(QPointF(0, 0)), self.to_image(QPointF(self.width(), self.height()))
        return QRectF(a, b).toAlignedRect().intersected(QRect(0, 0, iw, ih))

    # ---- painting ----------------------------------------------------------------
    def _target(self) -> QRectF:
        s, c = self.transform()
        iw, ih = self.image_size()
        x0 = self.width() / 2 - c.x() * s
        y0 = self.height() / 2 - c.y() * s
        return QRectF(x0, y0, iw * s, ih * s)

    def paintEvent(self, _e) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), self.palette().color(self.backgroundRole()).darker(115))
        if not self.images:
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No image selected")
            return
        s, _ = self.transform()
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, s < 1.0)
        target = self._target()
        p.drawImage(target, self.images[0])
        if len(self.images) > 1:
            x = round(self.width() * self.split)
            p.save()
            p.setClipRect(QRectF(x, 0, self.width() - x, self.height()))
            p.drawImage(target, self.images[1])
            p.restore()
            p.setPen(QPen(QColor(255, 255, 255, 220), 2))
            p.drawLine(x, 0, x, self.height())
        if self.state.region is not None:
            self._draw_region(p, target, s)
        self._draw_labels(p)

    def _draw_region(self, p: QPainter, target: QRectF, s: float) -> None:
        r = self.state.region
        box = QRectF(target.x() + r.x() * s, target.y() + r.y() * s, r.width() * s, r.height() * s)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(QPen(QColor(0, 0, 0, 200), 3))  # dark under light: visible on any photo
        p.drawRect(box)
        p.setPen(QPen(QColor(255, 210, 40), 1, Qt.PenStyle.DashLine))
        p.drawRect(box)

    def _draw_labels(self, p: QPainter) -> None:
        fm = p.fontMetrics()
        spots = [(self.labels[0], 6)] if self.labels else []
        if len(self.labels) > 1 and len(self.images) > 1:
            spots.append((self.labels[1], self.width() - fm.horizontalAdvance(self.labels[1]) - 14))
        for text, x in spots:
            r = QRectF(x, 6, fm.horizontalAdvance(text) + 8, fm.height() + 4)
            p.fillRect(r, QColor(0, 0, 0, 150))
            p.setPen(QColor("white"))
            p.drawText(r, Qt.AlignmentFlag.AlignCenter, text)

    # ---- interaction -------------------------------------------------------------
    def wheelEvent(self, e) -> None:
        if not self.images:
            return
        steps = e.angleDelta().y() / 120
        s, _ = self.transform()
        self.zoom_at(e.position(), s * ZOOM_STEP ** steps)

    def zoom_at(self, pos: QPointF, new_scale: float) -> None:
        """Zoom so the image point under `pos` stays under it."""
        new_scale = min(max(new_scale, MIN_SCALE), MAX_SCALE)
        anchor = self.to_image(pos)
        off = QPointF((pos.x() - self.width() / 2) / new_scale, (pos.y() - self.height() / 2) / new_scale)
        self.state.set(new_scale, anchor - off)

    def mousePressEvent(self, e) -> None:
        if e.button() == Qt.MouseButton.LeftButton:
            self._drag = e.position()
            self.setCursor(Qt.CursorShape.ClosedHandCursor)

    def mouseMoveEvent(self, e) -> None:
        if self._drag is None:
            return
        s, c = self.transform()
        d = e.position() - self._drag
        self._drag = e.position()
        self.state.set(s, QPointF(c.x() - d.x() / s, c.y() - d.y() / s))

    def mouseReleaseEvent(self, _e) -> None:
        self._drag = None
        self.setCursor(Qt.CursorShape.OpenHandCursor)

    def mouseDoubleClickEvent(self, e) -> None:
        """Double click toggles fit <-> 1:1 at the clicked point."""
        if self.state.fit:
            self.zoom_at(e.position(), 1.0)
        else:
            self.state.set_fit()


class CompareView(QWidget):
    """`set_images([("Blurred", a), ("Sharp", b), ...])` with uint8 arrays or QImages.
    `region_tool=True` adds the "Blur region" button (the Deblur tab's shake reduction)."""

    MODES = ("Split", "Side by side", "Flicker")

    def __init__(self, parent=None, region_tool: bool = False):
        super().__init__(parent)
        self.state = ViewState()
        self.images: list[QImage] = []
        self.labels: list[str] = []

        self.mode = QComboBox()
        self.mode.addItems(self.MODES)
        self.mode.setToolTip("Split: one image with a before/after divider; side by side: every image; "
                             "flicker: the second image, hold the button or Space to see the first")
        self.hold_btn = QPushButton("Hold: original")
        self.hold_btn.setToolTip("Shows the first image while held (Space works too)")
        self.hold_btn.setVisible(False)
        self.holding = False
        self.fit_btn = QPushButton("Fit")
        self.one_btn = QPushButton("1:1")
        self.one_btn.setToolTip("One image pixel per screen pixel (double-click an image to toggle)")
        self.zoom_label = QLabel()
        self.zoom_label.setMinimumWidth(48)
        self.region_btn = QToolButton()
        self.region_btn.setText("Blur region")
        self.region_btn.setCheckable(True)
        self.region_btn.setVisible(region_tool)
        self.region_btn.setToolTip("Drag a rectangle over a part of the photo with one even camera-shake "
                                   "blur (not a moving subject, not the out-of-focus background): shake "
                                   "reduction estimates the kernel from it and runs the photo again")
        bar = QHBoxLayout()
        for w in (QLabel("View:"), self.mode, self.hold_btn, self.fit_btn, self.one_btn, self.zoom_label):
            bar.addWidget(w)
        bar.addStretch(1)
        bar.addWidget(self.region_btn)

        self.region_tool = RegionTool(self.state, self)
        self.region_drawn = self.region_tool.drawn  # (x, y, w, h) in image pixels
        self.split_pane = ImagePane(self.state)
        self.side = QWidget()
        self.side_layout = QHBoxLayout(self.side)
        self.side_layout.setContentsMargins(0, 0, 0, 0)
        self.side_layout.setSpacing(4)
        self.side_panes: list[ImagePane] = []
        self.stack = QStackedWidget()
        self.stack.addWidget(self.split_pane)
        self.stack.addWidget(self.side)
        self.flicker_pane = ImagePane(self.state)
        self.stack.addWidget(self.flicker_pane)
        self.region_tool.watch(self.split_pane)
        self.region_tool.watch(self.flicker_pane)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # for Space in flicker mode

        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 1000)
        self.slider.setValue(500)
        self.slider.setToolTip("Move the divider between the two images")

        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(bar)
        lay.addWidget(self.stack, 1)
        lay.addWidget(self.slider)
        self.kernel_inset = KernelInset(self)  # over the image, bottom right: created last, drawn on top
        self.stack.installEventFilter(self)  # keeps the inset in its corner

        self.mode.currentIndexChanged.connect(self._mode_changed)
        self.slider.valueChanged.connect(self._split_changed)
        self.fit_btn.clicked.connect(self.state.set_fit)
        self.one_btn.clicked.connect(self.one_to_one)
        self.hold_btn.pressed.connect(lambda: self.hold(True))
        self.hold_btn.released.connect(lambda: self.hold(False))
        self.region_btn.toggled.connect(self.region_tool.set_active)
        self.region_tool.drawn.connect(lambda *_: self.region_btn.setChecked(False))  # back to panning
        self.state.changed.connect(self._show_zoom)
        self._show_zoom()

    @property
    def split(self) -> float:
        return self.split_pane.split

    def set_images(self, items: list[tuple[str, np.ndarray | QImage]]) -> None:
        self.labels = [label for label, _ in items]
        self.images = [im if isinstance(im, QImage) else to_qimage(im) for _, im in items]
        self.split_pane.set_images(self.images[:2], self.labels[:2])
        while len(self.side_panes) < len(self.images):
            pane = ImagePane(self.state)
            self.region_tool.watch(pane)
            self.side_panes.append(pane)
            self.side_layout.addWidget(pane)
        for i, pane in enumerate(self.side_panes):
            pane.setVisible(i < len(self.images))
            pane.set_images(self.images[i:i + 1], self.labels[i:i + 1])
        self.slider.setEnabled(len(self.images) > 1)
        self.hold_btn.setEnabled(len(self.images) > 1)
        self._show_flicker()
        self._show_zoom()

    def hold(self, on: bool) -> None:
        """Flicker: show the first image while held, the second otherwise."""
        self.holding = on
        self._show_flicker()

    def _show_flicker(self) -> None:
        i = 0 if self.holding or len(self.images) < 2 else 1
        self.flicker_pane.set_images(self.images[i:i + 1], self.labels[i:i + 1])

    def keyPressEvent(self, e) -> None:
        if e.key() == Qt.Key.Key_Space and self.stack.currentIndex() == 2:
            if not e.isAutoRepeat():
                self.hold(True)
            return
        super().keyPressEvent(e)

    def keyReleaseEvent(self, e) -> None:
        if e.key() == Qt.Key.Key_Space and self.stack.currentIndex() == 2:
            if not e.isAutoRepeat():
                self.hold(False)
            return
        super().keyReleaseEvent(e)

    def clear(self) -> None:
        self.set_images([])
        self.clear_kernel()
        self.region_tool.clear()

    # ---- kernel inset --------------------------------------------------------------
    def show_kernel(self, kernel, confidence: float, extent_px: float, what_ran: str) -> None:
        self.kernel_inset.set_kernel(kernel, confidence, extent_px, what_ran)
        self._place_inset()

    def clear_kernel(self) -> None:
        self.kernel_inset.clear()

    def _place_inset(self) -> None:
        g, s = self.stack.geometry(), self.kernel_inset.size()
        self.kernel_inset.move(g.right() - s.width() - 8, g.bottom() - s.height() - 8)
        self.kernel_inset.raise_()

    def eventFilter(self, obj, e) -> bool:
        if obj is self.stack and e.type() in (QEvent.Type.Resize, QEvent.Type.Move):
            self._place_inset()
        return False

    def set_mode(self, mode: str) -> None:
        self.mode.setCurrentIndex(self.MODES.index(mode))

    def _mode_changed(self, i: int) -> None:
        self.stack.setCurrentIndex(i)
        self.slider.setVisible(i == 0)
        self.hold_btn.setVisible(i == 2)
        self._show_zoom()

    def _split_changed(self, v: int) -> None:
        self.split_pane.split = v / 1000
        self.split_pane.update()

    def current_pane(self) -> ImagePane:
        i = self.stack.currentIndex()
        return self.split_pane if i == 0 else self.flicker_pane if i == 2 else self.side_panes[0]

    def one_to_one(self) -> None:
        pane = self.current_pane()
        _, c = pane.transform()
        self.state.set(1.0, c)

    def _show_zoom(self) -> None:
        if not self.images:
            self.zoom_label.setText("")
            return
        s, _ = self.current_pane().transform()
        self.zoom_label.setText(f"{s * 100:.0f}%")
