"""The Train tab: `tab.py` (TrainTab: the run's commands and state), its panels
(`setup_panel.py`: the form and the run's buttons; `monitor_panel.py`: status, curves,
samples and log) and its job (`jobs.py`: the Trainer on a worker thread)."""
