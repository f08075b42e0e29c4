"""The Train form's tooltips come from the config fields' help metadata, not from
reading source code: the frozen app has no .py sources (issue 27)."""
from __future__ import annotations

import dataclasses
import html
import inspect

from core.config import RunConfig, field_docs, field_help


def test_every_config_field_has_help_text():
    for sec, typ, _ in field_docs(RunConfig):
        assert dataclasses.is_dataclass(typ)
        missing = [name for name, text in field_help(typ).items() if not text.strip()]
        assert not missing, f"{sec}: fields without help text: {missing}"


def test_every_form_field_gets_its_tooltip_without_sources(qtbot, monkeypatch):
    def no_sources(*_a, **_k):  # as in a PyInstaller bundle
        raise OSError("could not get source code")

    monkeypatch.setattr(inspect, "getsource", no_sources)
    monkeypatch.setattr(inspect, "getsourcelines", no_sources)
    from deblur_desktop.widgets.config_form import ConfigForm

    form = ConfigForm(RunConfig())
    qtbot.addWidget(form)
    assert form.editors
    for key, ed in form.editors.items():
        sec, name = key.split(".")
        tip = ed.widget.toolTip()
        help_text = field_help(type(getattr(RunConfig(), sec)))[name]
        assert tip.startswith(f"<b>{key}</b>: ") and "default:" in tip, key
        assert len(help_text.split()) >= 4 and html.escape(help_text, quote=False) in tip, (key, tip)
