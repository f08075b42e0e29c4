"""The Dataset tab: `tab.py` (DatasetTab: open, browse and compare a data set), its work
off the GUI thread (`jobs.py`), and the Evaluate view beside it (`evaluate_view.py`, with
its job in `evaluate_jobs.py` and its score table and histogram in `score_widgets.py`)."""
