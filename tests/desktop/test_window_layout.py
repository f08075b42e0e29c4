"""Window size (issue 26 item 5): usable at 1024x640 on every tab, comfortable at 1280x800,
where the Deblur queue shows at least six rows; panels scroll or give way instead of
forcing the window wider or taller."""
from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

SMALL, COMFORTABLE = (1024, 640), (1280, 800)


def settle():
    for _ in range(3):
        QApplication.processEvents()


@pytest.mark.parametrize("index", [0, 1, 2], ids=["Dataset", "Train", "Deblur"])
def test_the_window_shrinks_to_1024x640_on_every_tab(window, index):
    window.tabs.setCurrentIndex(index)
    settle()
    hint = window.minimumSizeHint()
    assert hint.width() <= SMALL[0] and hint.height() <= SMALL[1], hint
    window.resize(*SMALL)
    settle()
    assert window.width() <= SMALL[0] and window.height() <= SMALL[1], window.size()


def test_long_messages_do_not_widen_the_window(window):
    """A long status line (a model's error, the triage's details) wraps: it must not push
    the window past 1024 px, as unwrapped labels did."""
    long = "Cannot use this model: " + "a-very-long-reason-without-a-break " * 12
    tab = window.deblur_tab
    tab.options.model_info.setText(long)
    tab.triage.details.setText(long)
    tab.queue_info.setText(long)
    window.tabs.setCurrentWidget(tab)
    settle()
    assert window.minimumSizeHint().width() <= SMALL[0]


def test_the_deblur_queue_shows_six_rows_at_1280x800(window):
    from deblur_desktop.tabs.deblur.jobs import QueueItem

    tab = window.deblur_tab
    window.tabs.setCurrentWidget(tab)
    root = Path("/nonexistent/trip")
    tab.queue.add_items([QueueItem(path=root / f"img{i:02d}.jpg", root=root, rel=Path(f"img{i:02d}.jpg"),
                                   bytes=2_000_000, width=4000, height=3000) for i in range(20)])
    window.resize(*COMFORTABLE)
    settle()
    assert window.size().toTuple() == COMFORTABLE
    q = tab.queue
    rows = q.viewport().height() / q.rowHeight(0)
    assert rows >= 6, f"{rows:.1f} rows in a {q.viewport().height()} px queue"
    # at the small size the queue still shows some rows, and Start stays on screen
    window.resize(*SMALL)
    settle()
    assert q.viewport().height() / q.rowHeight(0) >= 2
    start = tab.batch.start_btn
    assert start.isVisible() and start.mapTo(window, start.rect().bottomLeft()).y() <= window.height()
