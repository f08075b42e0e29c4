"""The "Blur region" tool: while it is on, a drag on an image pane draws a rectangle (in
image pixels) instead of panning. Shake reduction then estimates the photo's kernel from
that part only: one uniform blur, not a moving subject or a blurred background.

The rectangle lives in the panes' shared ViewState (`state.region`), so every pane draws
it at the same image spot; `drawn` is emitted when the drag ends.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPointF, QRect, QRectF, Qt, Signal

MIN_SIDE = 16  # px: the engine needs at least this much to estimate a blur from


class RegionTool(QObject):
    drawn = Signal(int, int, int, int)  # x, y, w, h in image pixels

    def __init__(self, state, parent=None):
        super().__init__(parent)
        self.state = state
        self.active = False
        self.panes: list = []
        self._start: QPointF | None = None

    def watch(self, pane) -> None:
        self.panes.append(pane)
        pane.installEventFilter(self)

    def set_active(self, on: bool) -> None:
        self.active = on
        self._start = None
        for pane in self.panes:
            pane.setCursor(Qt.CursorShape.CrossCursor if on else Qt.CursorShape.OpenHandCursor)

    def clear(self) -> None:
        if self.state.region is not None:
            self.state.region = None
            self.state.changed.emit()

    def eventFilter(self, pane, e) -> bool:
        t = e.type()
        if not self.active or not getattr(pane, "images", None) or t not in (
                QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove, QEvent.Type.MouseButtonRelease,
                QEvent.Type.MouseButtonDblClick):
            return False
        if t == QEvent.Type.MouseButtonPress and e.button() == Qt.MouseButton.LeftButton:
            self._start = pane.to_image(e.position())
            self._show(QRectF(self._start, self._start))
        elif t == QEvent.Type.MouseMove and self._start is not None:
            self._show(QRectF(self._start, pane.to_image(e.position())).normalized())
        elif t == QEvent.Type.MouseButtonRelease and self._start is not None:
            iw, ih = pane.image_size()
            r = QRectF(self._start, pane.to_image(e.position())).normalized().toAlignedRect()
            r = r.intersected(QRect(0, 0, iw, ih))
            self._start = None
            if r.width() < MIN_SIDE or r.height() < MIN_SIDE:
                self.clear()  # a click, not a region
            else:
                self._show(QRectF(r))
                self.drawn.emit(r.x(), r.y(), r.width(), r.height())
        return True  # no panning or zooming while the tool is on

    def _show(self, r: QRectF) -> None:
        self.state.region = r
        self.state.changed.emit()
