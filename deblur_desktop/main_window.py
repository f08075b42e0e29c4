"""Main window: tabs Dataset | Train | Deblur, menus, status bar, remembered geometry.

Tab contract (each tab is a QWidget in tabs/<name>/tab.py, beside its panels and jobs):
- constructed with no arguments; reads/writes its own keys via `deblur_desktop.settings.settings()`
- runs long work only through `deblur_desktop.workers` (never on the GUI thread)
- optional hooks the window calls: `open_folder(path)` (Dataset), `open_photos(paths)`
  (Deblur), `confirm_close()` (False keeps the window open), `shutdown()` (stop its jobs;
  called on close before `workers.stop_all()`)
"""
from __future__ import annotations

import logging
import sys
from pathlib import Path

from PySide6.QtCore import QByteArray, qVersion
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QLabel, QMainWindow, QMessageBox, QTabWidget

from deblur_desktop import workers
from deblur_desktop.appearance import app_icon
from deblur_desktop.error_log import log_file
from deblur_desktop.file_filters import IMPORT_FILTER, PHOTO_FILTER
from deblur_desktop.settings import DATASET_LAST_FOLDER, DEBLUR_LAST_FOLDER, recent_datasets, settings
from deblur_desktop.tabs.dataset.tab import DatasetTab
from deblur_desktop.tabs.deblur.tab import DeblurTab
from deblur_desktop.tabs.train.tab import TrainTab
from deblur_desktop.widgets.drop_zone import local_paths

log = logging.getLogger(__name__)


def device_text() -> str:
    """The compute device the app will use, e.g. 'cuda:0 (RTX 4090, 24 GiB)' or 'cpu (8 threads)'."""
    from core.device import describe_device, pick_device

    try:
        return describe_device(pick_device("auto"))
    except Exception as e:  # a broken driver must not stop the window from opening
        log.warning("device detection failed: %s", e)
        return f"cpu (device detection failed: {e})"


class MainWindow(QMainWindow):
    def __init__(self):
        super().__init__()
        self.setWindowTitle("Deblur Studio")
        self.setWindowIcon(app_icon())
        self.tabs = QTabWidget(documentMode=True)
        self.dataset_tab = DatasetTab()
        self.train_tab = TrainTab()
        self.deblur_tab = DeblurTab()
        for tab, name in ((self.dataset_tab, "Dataset"), (self.train_tab, "Train"), (self.deblur_tab, "Deblur")):
            self.tabs.addTab(tab, name)
        self.dataset_tab.dataset_loaded.connect(self.train_tab.set_dataset)  # "train on what I opened"
        for lister in (self.deblur_tab, getattr(self.dataset_tab, "evaluate", None)):
            if hasattr(lister, "refresh_models"):  # a finished run's models appear there
                self.train_tab.run_finished.connect(lambda _=None, f=lister.refresh_models: f())
        self.setCentralWidget(self.tabs)
        self.setAcceptDrops(True)  # photos/folders dropped where no tab takes them go to Deblur
        self._build_menus()
        self.device = device_text()
        self.device_label = QLabel(f"Device: {self.device}")
        self.statusBar().addPermanentWidget(self.device_label)
        self._restore()
        self._closing = False

    # ---- menus ------------------------------------------------------------------
    def _action(self, menu, text, slot, shortcut=None) -> QAction:
        a = QAction(text, self)
        if shortcut is not None:
            a.setShortcut(QKeySequence(shortcut))
        a.triggered.connect(slot)
        menu.addAction(a)
        return a

    def _build_menus(self) -> None:
        f = self.menuBar().addMenu("&File")
        self._action(f, "Open &dataset folder…", self.choose_dataset, QKeySequence.StandardKey.Open)
        self.recent_menu = f.addMenu("Open &recent dataset")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self._action(f, "Open &photos to deblur…", self.choose_photos, "Ctrl+Shift+O")
        self._action(f, "&Import a model…", self.choose_model_to_import)
        f.addSeparator()
        self._action(f, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        v = self.menuBar().addMenu("&View")
        for i, name in enumerate(("Dataset", "Train", "Deblur")):
            self._action(v, f"&{name}", lambda _=False, i=i: self.tabs.setCurrentIndex(i), f"Ctrl+{i + 1}")
        h = self.menuBar().addMenu("&Help")
        self._action(h, "&About Deblur Studio", self.about, QKeySequence.StandardKey.HelpContents)
        self._action(h, "Show &log file location", self.show_log_location)

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        for folder in recent_datasets():
            self._action(self.recent_menu, folder, lambda _=False, f=folder: self.open_dataset(f))
        if self.recent_menu.isEmpty():
            self.recent_menu.addAction("(none yet)").setEnabled(False)

    # ---- actions ----------------------------------------------------------------
    def choose_dataset(self) -> None:
        start = settings().value(DATASET_LAST_FOLDER, "", str)
        folder = QFileDialog.getExistingDirectory(self, "Open a data set folder", start)
        if folder:
            self.open_dataset(folder)

    def open_dataset(self, folder: str) -> None:
        self.tabs.setCurrentWidget(self.dataset_tab)
        self.dataset_tab.open_folder(folder)

    def choose_photos(self) -> None:
        start = settings().value(DEBLUR_LAST_FOLDER, "", str)
        files, _ = QFileDialog.getOpenFileNames(self, "Open photos to deblur", start, PHOTO_FILTER)
        if files:
            self.open_photos(files)

    def open_photos(self, paths: list[str]) -> None:
        settings().setValue(DEBLUR_LAST_FOLDER, str(Path(paths[0]).parent))
        self.tabs.setCurrentWidget(self.deblur_tab)
        hook = getattr(self.deblur_tab, "open_photos", None)
        if hook is not None:
            hook(paths)

    def choose_model_to_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import a model into the library", "", IMPORT_FILTER)
        if path:
            self.import_model(path)

    def import_model(self, path: str):
        """Identify a model file and copy it into the library (core.model_library), off the
        GUI thread; model pickers list it afterwards, a refusal says why in a dialog."""
        from core.model_library import add_model

        self.statusBar().showMessage(f"Importing {path}…")
        return workers.start_call(add_model, path, name="import model", owner=self,
                                  on_done=self._model_imported,
                                  on_error=lambda e: self._model_import_failed(path, e))

    def _model_imported(self, card) -> None:
        self.statusBar().showMessage(f"Added to the model library: {card}", 15000)
        hook = getattr(self.deblur_tab, "refresh_models", None)
        if hook is not None:
            hook()

    def _model_import_failed(self, path: str, exc: BaseException) -> None:
        self.statusBar().clearMessage()
        QMessageBox.warning(self, "Model not imported", str(exc) or f"{path}: {type(exc).__name__}")

    def dragEnterEvent(self, event) -> None:
        if local_paths(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        paths = local_paths(event.mimeData())
        if paths:
            event.acceptProposedAction()
            self.open_photos(paths)

    def about_text(self) -> str:
        import PySide6
        import torch

        from core import __version__

        return (f"<h3>Deblur Studio {__version__}</h3>"
                "<p>Restores sharp photos from motion-blurred ones with GAN-trained networks.</p>"
                f"<table><tr><td>Device</td><td>{self.device}</td></tr>"
                f"<tr><td>PyTorch</td><td>{torch.__version__}</td></tr>"
                f"<tr><td>Qt</td><td>{qVersion()} (PySide6 {PySide6.__version__})</td></tr>"
                f"<tr><td>Python</td><td>{sys.version.split()[0]}</td></tr>"
                f"<tr><td>Log file</td><td>{log_file()}</td></tr></table>")

    def about(self) -> None:
        QMessageBox.about(self, "About Deblur Studio", self.about_text())

    def show_log_location(self) -> None:
        QMessageBox.information(self, "Log file", f"The app writes its log to:\n{log_file()}")

    # ---- state ------------------------------------------------------------------
    def _restore(self) -> None:
        s = settings()
        geo = s.value("window/geometry")
        if isinstance(geo, QByteArray) and not geo.isEmpty():
            self.restoreGeometry(geo)
        else:  # 1280x800, or the screen where it is smaller (the layout holds down to 1024x640)
            avail = self.screen().availableGeometry()
            self.resize(min(1280, avail.width()), min(800, avail.height()))
        self.tabs.setCurrentIndex(int(s.value("window/tab", 0)))

    def _save(self) -> None:
        s = settings()
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/tab", self.tabs.currentIndex())
        s.sync()

    def closeEvent(self, event) -> None:
        """Stop every job cleanly (training saves a checkpoint) before the window goes."""
        if self._closing:
            event.accept()
            return
        for tab in (self.dataset_tab, self.train_tab, self.deblur_tab):
            ask = getattr(tab, "confirm_close", None)  # e.g. "training is running: stop it?"
            if ask is not None and not ask():
                event.ignore()
                return
        self._closing = True
        self._save()
        self.statusBar().showMessage("Stopping background work…")
        for tab in (self.dataset_tab, self.train_tab, self.deblur_tab):
            hook = getattr(tab, "shutdown", None)
            if hook is not None:
                hook()
        if not workers.stop_all():
            log.warning("some background work did not stop in time")
        event.accept()
