"""The Deblur tab's engine choice: the learned model, shake reduction, or auto (core.engines).

Each entry's tooltip is core's one-line description, so the app and `deblur run --engine`
describe the engines in the same words.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox

from core.engines import ENGINE_HELP, ENGINES

LABELS = {"learned": "Learned model", "shake": "Shake reduction", "auto": "Auto"}
# A new user gets auto: on a real handheld photo shake reduction is what helps most (the
# learned model gains little on real camera shake), and auto still leaves sharp photos
# alone and falls back to the model where the kernel estimate is unreliable.
DEFAULT_ENGINE = "auto"


def engine_help(engine: str) -> str:
    text = ENGINE_HELP[engine].replace("--model", "the model below")  # the CLI's wording
    return text[:1].upper() + text[1:]


class EngineChoice(QComboBox):
    """`engine()` is one of core.engines.ENGINES; `set_engine(name)` (unknown: the default)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        for e in ENGINES:
            self.addItem(LABELS[e], e)
            self.setItemData(self.count() - 1, engine_help(e), Qt.ItemDataRole.ToolTipRole)
        self.currentIndexChanged.connect(lambda _: self.setToolTip(engine_help(self.engine())))
        self.set_engine(DEFAULT_ENGINE)
        self.setToolTip(engine_help(self.engine()))

    def engine(self) -> str:
        return self.currentData()

    def set_engine(self, name: str) -> None:
        i = self.findData(name)
        self.setCurrentIndex(i if i >= 0 else self.findData(DEFAULT_ENGINE))

    def uses_model(self) -> bool:
        """Learned and auto (its fallback) need a model file; shake reduction does not."""
        return self.engine() != "shake"
