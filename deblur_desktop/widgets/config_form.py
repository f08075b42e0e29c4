"""A form generated from a config dataclass (core.config): one source of truth.

Every field of every section (DataConfig, ModelConfig, ...) gets an editor chosen by
its type, so a field added to core appears here without touching this module:

    bool -> check box        int -> spin box           int | None -> spin box with "none"
    float -> text (2e-4 ok)  str -> text, or a combo    tuple / dict / other -> JSON-ish text

Values are read back with `values()` (a nested dict for `RunConfig.from_dict`); a value
that cannot be parsed raises ConfigError naming the setting (its `key`, which
`mark_error` frames). Tooltips are each field's help text in core/config.py (`setting(...,
help)`, read with `field_help`): metadata, so the frozen app, which has no sources, shows them too.
"""
from __future__ import annotations

import dataclasses
import html
import json
import types
import typing
from typing import Any, Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout,
                               QLabel, QLineEdit, QPushButton, QSpinBox, QVBoxLayout, QWidget)

from core.config import ConfigError, field_docs, field_help
from deblur_desktop.appearance import RED

# Nicer labels for a few terse names; any other field is labelled from its name.
LABELS = {
    "root": "data folder", "crop": "training crop (px)", "max_side": "max side (px)",
    "lr_g": "G learning rate", "lr_d": "D learning rate", "gan": "GAN (adversarial loss)",
    "pixel_weight": "pixel loss weight", "adv_weight": "adversarial weight", "name": "architecture",
    "options": "options (JSON)", "batch_size": "batch size", "num_workers": "loader workers",
    "init_from": "fine-tune from", "amp": "mixed precision (CUDA)", "repeat": "crops per photo per epoch",
    "val_seed": "validation split seed",
}
SECTION_TITLES = {"data": "Data", "model": "Model", "loss": "Loss", "train": "Training"}
NONE_TEXT = "none"


def _optional(hint) -> tuple[Any, bool]:
    """`int | None` -> (int, True); anything else -> (hint, False)."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) == 1 and len(typing.get_args(hint)) == 2:
            return args[0], True
    return hint, False


class Editor:
    """One field's widget plus how to read and write it."""

    def __init__(self, widget: QWidget, get: Callable[[], Any], set_: Callable[[Any], None],
                 changed, focus: QWidget | None = None):
        self.widget, self.get, self.set = widget, get, set_
        self.changed = changed  # a signal
        self.focus = focus or widget


def _text_editor(to_text, parse) -> Editor:
    w = QLineEdit()
    return Editor(w, lambda: parse(w.text().strip()), lambda v: w.setText(to_text(v)), w.textChanged)


def make_editor(hint, default, choices: list[str] | None = None, path_kind: str | None = None) -> Editor:
    base, optional = _optional(hint)
    if base is bool and not optional:
        w = QCheckBox()
        return Editor(w, w.isChecked, lambda v: w.setChecked(bool(v)), w.toggled)
    if base is int:
        w = QSpinBox()
        w.setRange(-1 if optional else -10**9, 10**9)
        w.setSingleStep(1)
        if optional:  # -1 shows "none" and stands for None
            w.setSpecialValueText(NONE_TEXT)
            return Editor(w, lambda: None if w.value() == -1 else w.value(),
                          lambda v: w.setValue(-1 if v is None else int(v)), w.valueChanged)
        return Editor(w, w.value, lambda v: w.setValue(int(v)), w.valueChanged)
    if base is float:
        def parse_float(s: str):
            if optional and s.lower() in ("", NONE_TEXT):
                return None
            return float(s)
        return _text_editor(lambda v: NONE_TEXT if v is None else f"{v:g}", parse_float)
    if base is str and choices:
        w = QComboBox()
        w.setEditable(True)
        w.addItems(choices)
        return Editor(w, lambda: w.currentText().strip(), lambda v: w.setCurrentText(str(v)),
                      w.currentTextChanged)
    if base is str and path_kind:
        line = QLineEdit()
        browse = QPushButton("…")
        browse.setFixedWidth(28)
        box = QWidget()
        lay = QHBoxLayout(box)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(line, 1)
        lay.addWidget(browse)

        def pick():
            if path_kind == "dir":
                p = QFileDialog.getExistingDirectory(box, "Choose a folder", line.text())
            else:
                p, _ = QFileDialog.getOpenFileName(box, "Choose a model file", line.text(),
                                                   "Models (*.pt *.pth *.safetensors);;All files (*)")
            if p:
                line.setText(p)
        browse.clicked.connect(pick)
        return Editor(box, lambda: line.text().strip() or ("" if not optional else None),
                      lambda v: line.setText("" if v is None else str(v)), line.textChanged, line)
    if base is str:
        return _text_editor(lambda v: "" if v is None else str(v),
                            lambda s: (None if optional and not s else s))
    if typing.get_origin(base) is tuple:  # e.g. betas "0.5, 0.999"
        def parse_tuple(s: str):
            return tuple(float(x) for x in s.replace("(", "").replace(")", "").split(",") if x.strip())
        return _text_editor(lambda v: ", ".join(f"{x:g}" for x in v), parse_tuple)
    # dict / list / anything else: JSON, so nested options stay editable
    return _text_editor(lambda v: json.dumps(v), lambda s: json.loads(s) if s else default)


class ConfigForm(QWidget):
    """Group boxes of editors for each dataclass section of `config` (e.g. a RunConfig).

    `choices` and `paths` map dotted names ("train.device") to combo items or a path
    picker ("dir" | "file"); `basic` names the rows shown when "all settings" is off."""

    changed = Signal()

    def __init__(self, config, choices: dict[str, list[str]] | None = None,
                 paths: dict[str, str] | None = None, basic: set[str] | None = None, parent=None):
        super().__init__(parent)
        self.config_type = type(config)
        self.editors: dict[str, Editor] = {}
        self._rows: dict[str, tuple[QFormLayout, QWidget]] = {}
        self._basic = basic
        choices, paths = choices or {}, paths or {}
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        for sec_name, sec_type, sec_value in field_docs(self.config_type):
            value = getattr(config, sec_name)
            if not dataclasses.is_dataclass(sec_type):  # a top-level plain field
                continue
            box = QGroupBox(SECTION_TITLES.get(sec_name, sec_name.replace("_", " ").capitalize()))
            form = QFormLayout(box)
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
            helps = field_help(sec_type)
            for name, hint, default in field_docs(sec_type):
                key = f"{sec_name}.{name}"
                ed = make_editor(hint, default, choices.get(key), paths.get(key))
                ed.set(getattr(value, name))
                label = QLabel(LABELS.get(name, name.replace("_", " ")))
                help_text = html.escape(helps.get(name, ""), quote=False)
                tip = (f"<b>{key}</b>" + (f": {help_text}" if help_text else "")
                       + f"<br>default: {html.escape(repr(default), quote=False)}")
                label.setToolTip(tip)
                ed.widget.setToolTip(tip)
                form.addRow(label, ed.widget)
                ed.changed.connect(lambda *_: self.changed.emit())
                self.editors[key] = ed
                self._rows[key] = (form, ed.widget)
            lay.addWidget(box)
        self.set_show_all(basic is None)

    # ---- values -----------------------------------------------------------------
    def value(self, key: str):
        try:
            return self.editors[key].get()
        except (ValueError, TypeError) as e:
            raise ConfigError(f"{key}: {e}", key=key) from None

    def value_or(self, key: str, default=None):
        """The field's value, or `default` when it is missing or cannot be parsed."""
        try:
            return self.value(key) if key in self.editors else default
        except ConfigError:
            return default

    def set_value(self, key: str, v) -> None:
        self.editors[key].set(v)

    def values(self) -> dict:
        """Nested dict of every field; raises ConfigError naming an unparsable one."""
        out: dict[str, dict] = {}
        for key in self.editors:
            sec, name = key.split(".", 1)
            out.setdefault(sec, {})[name] = self.value(key)
        return out

    def config(self):
        return self.config_type.from_dict(self.values())

    def set_config(self, config) -> None:
        for key, ed in self.editors.items():
            sec, name = key.split(".", 1)
            ed.set(getattr(getattr(config, sec), name))

    # ---- presentation -------------------------------------------------------------
    def set_show_all(self, on: bool) -> None:
        for key, (form, w) in self._rows.items():
            form.setRowVisible(w, on or self._basic is None or key in self._basic)

    def lock(self, except_keys: set[str] | None) -> None:
        """Make every field read-only except `except_keys` (None: unlock all)."""
        for key, ed in self.editors.items():
            ed.widget.setEnabled(except_keys is None or key in except_keys)

    def mark_error(self, key: str | None) -> None:
        """Red frame on the field `key` (a ConfigError's `key`; None clears)."""
        for k, ed in self.editors.items():
            ed.focus.setStyleSheet(f"border: 1px solid {RED};" if k == key else "")
