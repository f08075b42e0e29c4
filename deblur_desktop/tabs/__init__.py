"""The main window's tabs, one package each (dataset/, deblur/, train/): the tab in tab.py,
its panels and its jobs beside it; main_window.py imports each tab.py by name."""
