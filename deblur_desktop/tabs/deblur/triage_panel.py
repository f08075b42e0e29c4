"""The Deblur tab's blur triage: every photo added is scored for blur in the background
(core.triage.scan on a worker, its Blur cell filled as each score arrives), and this
bar above the queue filters and folds by what came back.

"Only photos that need it" hides the photos scored below the threshold (the slider,
which says how many pass); bursts of near-identical shots fold under their sharpest,
the others unticked; "Stop scoring" ends a scan between two photos. Scoring never
blocks the window and a photo that cannot be scored stays listed with the reason.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QGridLayout, QLabel, QPushButton, QSlider, QWidget

from core.events import BurstFound, FileFailed, PhotoScored, ScanFinished
from core.triage import THRESHOLD, scan
from deblur_desktop import workers
from deblur_desktop.settings import settings
from deblur_desktop.tabs.deblur.jobs import QueueItem
from deblur_desktop.tabs.deblur.queue_table import QueueTable

# slider steps of 0.1 over the scores that matter: ~1-2 is crisp, the calibrated threshold
# (docs/blur-triage.md) is 2.5, a shake of a few px at screen size reads 4-8
STEP, LOWEST, HIGHEST = 0.1, 1.5, 8.0
THRESHOLD_KEY, ONLY_NEEDING_KEY, SHOW_BURSTS_KEY = "deblur/triage_threshold", "deblur/only_needing", "deblur/show_bursts"


class TriagePanel(QWidget):
    changed = Signal()  # scores, the filter or the folding changed: counts and Start may too

    def __init__(self, queue: QueueTable, parent=None):
        super().__init__(parent)
        self.queue = queue
        self._jobs: list[tuple[workers.Job, list[str]]] = []  # running scans and the rows each scores
        self._bursts: list[tuple[list[str], str]] = []  # found by a scan, applied when it ends

        self.only_needing = QCheckBox("Only photos that need it")
        self.only_needing.setToolTip("Hide the photos whose blur score is under the threshold: they look "
                                     "sharp at screen size. Start deblurs the ticked photos shown.")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(round(LOWEST / STEP), round(HIGHEST / STEP))
        self.slider.setMinimumWidth(80)
        self.slider.setToolTip(f"Blur score from which a photo needs deblurring (calibrated: {THRESHOLD:g}; "
                               "lower catches slighter blur and flags more sharp photos)")
        self.threshold_label = QLabel()
        self.count = QLabel(" ")  # how many pass the threshold
        self.details = QLabel(" ")  # scoring progress, photos that could not be scored, bursts
        self.details.setWordWrap(True)  # a long line wraps instead of widening the window
        self.show_bursts = QCheckBox("Show all burst shots")
        self.show_bursts.setToolTip("Near-identical shots taken in a row are folded under the sharpest "
                                    "(★), which stays ticked; the others are unticked")
        self.stop_btn = QPushButton("Stop scoring")
        self.stop_btn.setVisible(False)
        lay = QGridLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.only_needing, 0, 0)
        lay.addWidget(self.slider, 0, 1)
        lay.addWidget(self.threshold_label, 0, 2)
        lay.addWidget(self.count, 0, 3)
        lay.addWidget(self.show_bursts, 1, 0)
        lay.addWidget(self.details, 1, 1, 1, 3)
        lay.addWidget(self.stop_btn, 1, 4)
        lay.setColumnStretch(1, 1)
        lay.setColumnStretch(3, 1)

        s = settings()
        self.slider.setValue(round(float(s.value(THRESHOLD_KEY, THRESHOLD)) / STEP))
        self.only_needing.setChecked(s.value(ONLY_NEEDING_KEY, False, bool))
        self.show_bursts.setChecked(s.value(SHOW_BURSTS_KEY, False, bool))
        self.slider.valueChanged.connect(self._filter_changed)
        self.only_needing.toggled.connect(self._filter_changed)
        self.show_bursts.toggled.connect(self._fold_changed)
        self.stop_btn.clicked.connect(self.stop)
        self._filter_changed(save=False)
        self.queue.set_folded(not self.show_bursts.isChecked())

    @property
    def threshold(self) -> float:
        return round(self.slider.value() * STEP, 1)

    @property
    def scoring(self) -> bool:
        return bool(self._jobs)

    def set_threshold(self, value: float) -> None:
        self.slider.setValue(round(value / STEP))

    # ---- scoring ----------------------------------------------------------------------
    def score(self, items: list[QueueItem]) -> None:
        """Score `items` in the background, filling their Blur cells as scores arrive."""
        keys = [it.key for it in items if it.usable and it.score is None]
        if not keys:
            return
        holder: list[workers.Job] = []
        job = workers.start_job(scan(keys, threshold=self.threshold, bursts=True), on_event=self._event,
                                on_finished=lambda: self._ended(holder[0]), name="blur scores", owner=self)
        holder.append(job)
        self._jobs.append((job, keys))
        self._show_count()

    def _event(self, ev) -> None:
        if isinstance(ev, PhotoScored):
            self.queue.set_score(ev.path, ev.score, ev.blur_px)
        elif isinstance(ev, FileFailed):
            self.queue.set_score_error(ev.path, ev.reason)
        elif isinstance(ev, BurstFound):
            self._bursts.append((list(ev.paths), ev.sharpest))
        elif isinstance(ev, ScanFinished):
            self.queue.set_bursts(self._bursts)  # one layout for all of them
            self._bursts = []
        else:
            return
        self._show_count()
        self.changed.emit()

    def _ended(self, job: workers.Job) -> None:
        for entry in [e for e in self._jobs if e[0] is job]:
            self._jobs.remove(entry)
            self.queue.set_scoring_stopped(entry[1])
        if not self._jobs:
            self.queue.apply_order()  # scores that came in since the last sort take their places
        self._show_count()
        self.changed.emit()

    def stop(self) -> None:
        """Stop every scan after the photo at hand; the photos scored so far keep their scores."""
        for job, _ in self._jobs:
            job.stop()

    def abort(self) -> None:
        """The queue is cleared: scores still coming are for rows that are gone."""
        for job, _ in self._jobs:
            job.abort()
        self._jobs.clear()
        self._bursts = []
        self._show_count()

    # ---- filter and folding -------------------------------------------------------------
    def _filter_changed(self, *_, save: bool = True) -> None:
        self.threshold_label.setText(f"blur ≥ {self.threshold:.1f}")
        self.queue.set_filter(self.only_needing.isChecked(), self.threshold)
        if save:
            s = settings()
            s.setValue(THRESHOLD_KEY, self.threshold)
            s.setValue(ONLY_NEEDING_KEY, self.only_needing.isChecked())
        self._show_count()
        self.changed.emit()

    def _fold_changed(self, show: bool) -> None:
        settings().setValue(SHOW_BURSTS_KEY, show)
        self.queue.set_folded(not show)
        self.changed.emit()

    def _show_count(self) -> None:
        photos = [it for it in self.queue.items if it.usable]
        scored = [it for it in photos if it.score is not None]
        passing = sum(self.queue.needs_it(it) for it in scored)
        pending = sum(it.score is None and not it.score_error and not it.score_stopped for it in photos)
        failed = sum(bool(it.score_error) for it in photos)
        bursts = len({it.burst for it in photos if it.burst})
        self.count.setText(f"{passing} of {len(scored)} pass" if scored else " ")
        self.count.setToolTip("Scored photos at or above the threshold; a burst's shots go by its "
                              "sharpest one (a burst with a sharp shot needs no deblurring)")
        parts = []
        if self.scoring and pending:
            parts.append(f"Scoring blur: {pending} to go…")
        if failed:
            parts.append(f"{failed} could not be scored")
        if bursts:
            parts.append(f"{bursts} burst(s): the sharpest shot ★ ticked, the others not")
        self.details.setText(" · ".join(parts) or " ")
        self.stop_btn.setVisible(self.scoring)

    def shutdown(self) -> None:
        self.abort()
