"""Deblur Studio's Qt-free core: data, models, training, inference, evaluation.

Front ends (the `deblur` CLI, the desktop app, tests) import from the submodules;
nothing here imports Qt.
"""
__version__ = "0.1.0"
