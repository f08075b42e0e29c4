"""The main window's tabs, one module each (imported by name in main_window.py)."""
