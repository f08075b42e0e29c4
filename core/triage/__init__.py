"""Blur triage: which photos of a folder are blurred (and need deblurring), which
shots of a burst to keep. Qt-free and torch-free (the optional kernel estimate aside)."""
from core.triage.score import THRESHOLD, BlurMeasure, measure
from core.triage.scan import find_photos, scan

__all__ = ["THRESHOLD", "BlurMeasure", "measure", "find_photos", "scan"]
