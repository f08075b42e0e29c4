"""Dataset tab: open a folder of pairs, browse it, compare a pair, evaluate models on it.

Left: the tree (splits, scenes, counts, sizes) and the problems core found. Middle:
thumbnails of the selected split or scene. Right: the pair viewer and the Evaluate
view (`evaluate_view.py`). Folder scans, thumbnails, pair loading (`jobs.py`) and scoring
all run on worker threads.
A folder that is no data set (missing, empty, no images) clears what was shown, says
what it holds and which layouts are accepted, and stays out of Recent; a folder that
only holds paired sets below it offers to open them (NestedSetsBar).
"""
from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QComboBox, QFileDialog, QHBoxLayout, QLabel, QListWidget, QPushButton,
                               QSplitter, QTabWidget, QVBoxLayout, QWidget)

from core.data.pairs import ImagePair, PairSet, discover
from deblur_desktop import workers
from deblur_desktop.appearance import error_html
from deblur_desktop.settings import DATASET_LAST_FOLDER, forget_dataset, recent_datasets, remember_dataset, settings
from deblur_desktop.tabs.dataset.evaluate_view import EvaluateView
from deblur_desktop.tabs.dataset.jobs import load_pair, load_result
from deblur_desktop.widgets.compare_view import CompareView
from deblur_desktop.widgets.dataset_tree import DatasetTree
from deblur_desktop.widgets.drop_zone import local_paths
from deblur_desktop.widgets.nested_sets_bar import NestedSetsBar
from deblur_desktop.widgets.thumbnail_grid import ThumbnailGrid


def _local_dir(mime) -> str | None:
    """The first folder in a drag's data (a data set is a folder)."""
    return next((str(Path(p)) for p in local_paths(mime) if Path(p).is_dir()), None)


class DatasetTab(QWidget):
    dataset_loaded = Signal(object)  # PairSet

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.pairset: PairSet | None = None
        self.folder = ""
        self._scan: workers.Job | None = None
        self._pair_job: workers.Job | None = None

        self.open_btn = QPushButton("Open folder…")
        self.open_btn.setToolTip("A GoPro tree, a blur/ + sharp/ folder, a RealBlur folder with "
                                 "*_list.txt, or a folder of sharp photos (you can also drop it here)")
        self.recent = QComboBox()
        self.recent.setMinimumContentsLength(30)
        self.recent.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.recent.setToolTip("Recently opened folders")
        self.summary = QLabel("Open a data set folder, or drop one here.")
        self.summary.setTextFormat(Qt.TextFormat.RichText)  # core's text is escaped: "<split>" stays
        self.summary.setWordWrap(True)  # "not a data set" names the accepted layouts
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.nested = NestedSetsBar()
        top = QHBoxLayout()
        top.addWidget(self.open_btn)
        top.addWidget(QLabel("Recent:"))
        top.addWidget(self.recent)
        top.addWidget(self.summary, 1)

        self.tree = DatasetTree()
        self.problems = QListWidget()
        self.problems.setWordWrap(True)
        self.problems_title = QLabel("Problems")
        self.problems.setMaximumHeight(220)
        self.problems.setVisible(False)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(self.tree, 1)
        ll.addWidget(self.problems_title)
        ll.addWidget(self.problems)

        self.grid = ThumbnailGrid()
        self.viewer = CompareView()
        self.pair_info = QLabel(" ")
        self.pair_info.setWordWrap(True)
        self.pair_info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        compare = QWidget()
        cl = QVBoxLayout(compare)
        cl.setContentsMargins(4, 4, 4, 4)
        cl.addWidget(self.viewer, 1)
        cl.addWidget(self.pair_info)
        self.right = QTabWidget()
        self.right.addTab(compare, "Compare")
        self.evaluate = EvaluateView()
        self.right.addTab(self.evaluate, "Evaluate")

        body = QSplitter(Qt.Orientation.Horizontal)
        body.addWidget(left)
        body.addWidget(self.grid)
        body.addWidget(self.right)
        body.setStretchFactor(0, 1)  # a narrower window takes from the tree too
        body.setStretchFactor(1, 1)
        body.setStretchFactor(2, 2)
        body.setSizes([300, 440, 700])  # three thumbnail columns at 1440 px

        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.nested)
        lay.addWidget(body, 1)

        self.open_btn.clicked.connect(self.choose_folder)
        self.nested.open_requested.connect(self.open_folder)
        self.recent.activated.connect(lambda i: self.open_folder(self.recent.itemData(i)))
        self.tree.pairs_selected.connect(self.grid.set_pairs)
        self.grid.pair_activated.connect(self.show_pair)
        self.evaluate.row_activated.connect(self.show_result)
        self._fill_recent()

    # ---- opening ----------------------------------------------------------------
    def _fill_recent(self) -> None:
        self.recent.clear()
        for f in recent_datasets():
            self.recent.addItem(Path(f).name or f, f)
            self.recent.setItemData(self.recent.count() - 1, f, Qt.ItemDataRole.ToolTipRole)
        self.recent.setEnabled(self.recent.count() > 0)

    def _remember(self, folder: str) -> None:
        remember_dataset(folder)
        self._fill_recent()

    def _forget(self, folder: str) -> None:
        """A folder that did not open leaves Recent (it would fail again from there)."""
        if forget_dataset(folder):
            self._fill_recent()

    def choose_folder(self) -> None:
        start = settings().value(DATASET_LAST_FOLDER, "", str)
        folder = QFileDialog.getExistingDirectory(self, "Open a data set folder", start)
        if folder:
            self.open_folder(folder)

    def open_folder(self, folder: str) -> None:
        """Scan `folder` on a worker thread; the tree fills when core has the pairs."""
        if self._scan is not None:
            self._scan.abort()  # the user moved on: the old scan's result is dropped
        self.folder = str(folder)
        self.summary.setText(f"Scanning {self.folder} …")
        self._scan = workers.start_call(discover, self.folder, on_done=self._scanned,
                                        on_error=self._scan_failed, name="discover")

    def _scanned(self, ps: PairSet) -> None:
        self._scan = None
        if not ps.is_dataset:
            self._not_opened(str(ps.root), ps.summary())
            self.nested.show_sets(ps.root, ps.nested)  # e.g. pair sets whose folders hold no images yet
            return
        self.pairset = ps
        self._remember(str(ps.root))
        self.summary.setText(html.escape(ps.summary()))
        self.summary.setToolTip(ps.summary())
        self.nested.show_sets(ps.root, ps.nested)
        self.problems.clear()
        self.problems.addItems([f"Warning: {p}" if p.warning else str(p) for p in ps.problems])
        self.problems_title.setText(f"<b>Problems ({len(ps.problems)})</b>" if ps.problems
                                    else "Problems: none found")
        self.problems.setVisible(bool(ps.problems))
        self.viewer.clear()
        self.pair_info.setText(" ")
        self.tree.show_pairs(ps)
        self.evaluate.set_data(str(ps.root), any(p.blur is not None for p in ps.pairs))
        self.dataset_loaded.emit(ps)

    def _scan_failed(self, exc: BaseException) -> None:
        self._scan = None
        self._not_opened(self.folder, f"Cannot open {exc}" if str(exc).startswith(self.folder)
                         else f"Cannot open {self.folder}: {exc}")
        self.nested.show_sets(Path(self.folder), [])

    def _not_opened(self, folder: str, message: str) -> None:
        """Nothing usable there: say why and clear the old data set, so its tree and
        photos are not taken for this folder's."""
        self.pairset = None
        if self._pair_job is not None:
            self._pair_job.abort()  # a pair of the old folder must not appear after this
            self._pair_job = None
        self._forget(folder)
        self.summary.setText(error_html(html.escape(message)))
        self.summary.setToolTip(message)
        self.tree.clear()
        self.grid.set_pairs([])
        self.viewer.clear()
        self.pair_info.setText(" ")
        self.problems.clear()
        self.problems.setVisible(False)
        self.problems_title.setText("Problems")
        self.evaluate.set_data("", False)

    # ---- drag and drop ----------------------------------------------------------
    def dragEnterEvent(self, e) -> None:
        if _local_dir(e.mimeData()):
            e.acceptProposedAction()

    def dropEvent(self, e) -> None:
        folder = _local_dir(e.mimeData())
        if folder:
            e.acceptProposedAction()
            self.open_folder(folder)

    # ---- pair viewer ------------------------------------------------------------
    def show_pair(self, pair: ImagePair) -> None:
        if self._pair_job is not None:
            self._pair_job.abort()
        self.pair_info.setText(f"Loading {pair.name} …")
        self._pair_job = workers.start_call(load_pair, pair, on_done=self._pair_loaded,
                                            on_error=self._pair_failed, name="load pair")

    def _pair_loaded(self, d: dict) -> None:
        self._pair_job = None
        pair: ImagePair = d["pair"]
        h, w = d["sharp"].shape[:2]
        label = "Synthetic blur" if d.get("synthetic") else "Blurred"
        self.viewer.set_images([(label, d["blur"]), ("Sharp", d["sharp"])])
        scores = (f" · {label} vs sharp: PSNR {d['psnr']:.2f} dB, SSIM {d['ssim']:.4f}"
                  if "psnr" in d else "")
        where = f"{pair.blur}" if pair.blur else f"{pair.sharp} (blur made on the fly, a preview)"
        self.pair_info.setText(f"<b>{pair.name}</b> · {w}x{h}{scores}<br><small>{where}</small>")

    def _pair_failed(self, exc: BaseException) -> None:
        self._pair_job = None
        self.viewer.clear()
        self.pair_info.setText(error_html(f"Cannot show this pair: {exc}"))

    # ---- evaluation results -----------------------------------------------------
    def show_result(self, model: str, image: str) -> None:
        """A per-image row was clicked: blurred | the model's result | sharp."""
        pair = self.evaluate.pair_named(image)
        if pair is None:
            return
        if self._pair_job is not None:
            self._pair_job.abort()
        self.right.setCurrentIndex(0)
        self.pair_info.setText(f"Loading {model} on {image} …")
        self._pair_job = workers.start_call(load_result, pair, model, self.evaluate.result_path(model, image),
                                            on_done=self._result_loaded, on_error=self._pair_failed,
                                            name="load result")

    def _result_loaded(self, d: dict) -> None:
        self._pair_job = None
        self.viewer.set_images([("Blurred", d["blur"]), (f"Result: {d['model']}", d["result"]),
                                ("Sharp", d["sharp"])])
        h, w = d["sharp"].shape[:2]
        self.pair_info.setText(
            f"<b>{d['pair'].name}</b> · {w}x{h} · {d['model']}: PSNR {d['psnr']:.2f} dB, "
            f"SSIM {d['ssim']:.4f} (blurred: {d['psnr_blur']:.2f} dB, {d['ssim_blur']:.4f})")

    def shutdown(self) -> None:
        self.evaluate.shutdown()
        self.grid.stop()
        for job in (self._scan, self._pair_job):
            if job is not None:
                job.abort()
