"""Deblur Studio desktop app (PySide6). All science comes from `core`."""
