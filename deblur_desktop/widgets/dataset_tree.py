"""Tree of a discovered data set: root -> splits -> scenes, with pair counts and sizes."""
from __future__ import annotations

from collections import Counter, defaultdict

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHeaderView, QTreeWidget, QTreeWidgetItem

from core.data.pairs import ImagePair, PairSet

PAIRS_ROLE = Qt.ItemDataRole.UserRole  # each item holds the list of its pairs


def _size_counts(pairs: list[ImagePair]) -> Counter:
    return Counter(p.size for p in pairs if p.size != (0, 0))  # (0, 0): size unknown


def sizes_text(pairs: list[ImagePair]) -> str:
    """'768x512' when all agree, else the most common size and how many others ('+1')."""
    counts = _size_counts(pairs)
    if not counts:
        return ""
    (w, h), _ = counts.most_common(1)[0]
    return f"{w}x{h}" if len(counts) == 1 else f"{w}x{h} +{len(counts) - 1}"


def sizes_tooltip(pairs: list[ImagePair]) -> str:
    counts = _size_counts(pairs)
    return "\n".join(f"{w}x{h}: {n} image{'s' if n > 1 else ''}" for (w, h), n in counts.most_common(12))


class DatasetTree(QTreeWidget):
    """Selecting an item emits `pairs_selected` with the pairs under it."""

    pairs_selected = Signal(list)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setHeaderLabels(["Split / scene", "Pairs", "Size (w x h)"])
        head = self.header()
        head.setStretchLastSection(False)
        head.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        head.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        head.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.setUniformRowHeights(True)
        self.itemSelectionChanged.connect(self._emit)

    def _item(self, parent, name: str, pairs: list[ImagePair]) -> QTreeWidgetItem:
        it = QTreeWidgetItem(parent, [name, str(len(pairs)), sizes_text(pairs)])
        it.setData(0, PAIRS_ROLE, pairs)
        it.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        it.setToolTip(0, name)
        it.setToolTip(2, sizes_tooltip(pairs))
        return it

    def show_pairs(self, ps: PairSet) -> None:
        self.clear()
        root = self._item(self, f"{ps.root.name}  ({ps.layout})", ps.pairs)
        root.setToolTip(0, str(ps.root))
        splits = ps.splits()
        for split in sorted(splits):
            pairs = splits[split]
            parent = root
            if split or len(splits) > 1:
                parent = self._item(root, split or "(no split)", pairs)
            scenes: dict[str, list[ImagePair]] = defaultdict(list)
            for p in pairs:
                scenes[p.scene].append(p)
            if len(scenes) > 1 or next(iter(scenes)) != "":
                for scene in sorted(scenes):
                    self._item(parent, scene or "(top folder)", scenes[scene])
        self.expandToDepth(1)
        self.setCurrentItem(root)

    def item_for(self, *names: str) -> QTreeWidgetItem | None:
        """The item reached by following child names from the root (for tests and scripts)."""
        it = self.topLevelItem(0)
        for name in names:
            if it is None:
                return None
            it = next((it.child(i) for i in range(it.childCount()) if it.child(i).text(0) == name), None)
        return it

    def _emit(self) -> None:
        items = self.selectedItems()
        if items:
            self.pairs_selected.emit(items[0].data(0, PAIRS_ROLE) or [])
