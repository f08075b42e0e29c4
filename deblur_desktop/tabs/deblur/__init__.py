"""The Deblur tab: `tab.py` (DeblurTab: the queue and the batch), its panels
(`options_panel.py`, `batch_panel.py`, `preview_panel.py`, `queue_table.py`) and its
work off the GUI thread (`jobs.py`)."""
