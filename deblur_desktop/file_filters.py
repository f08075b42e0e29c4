"""The file dialogs' name filters, built from core's own suffix lists, so a format core
learns to read (or a model file type) is offered by every dialog at once."""
from __future__ import annotations

from core.data.imageio import HEIF_SUFFIXES, IMAGE_SUFFIXES, RAW_SUFFIXES
from core.model_files import MODEL_SUFFIXES

ALL_FILES = "All files (*)"


def name_filter(title: str, suffixes) -> str:
    """'Title (*.a *.b);;All files (*)' for QFileDialog."""
    return f"{title} ({' '.join('*' + s for s in suffixes)});;{ALL_FILES}"


# photos: what core reads; the common formats first, then HEIF, then camera RAW
PHOTO_FILTER = name_filter("Images", sorted(IMAGE_SUFFIXES, key=lambda s: (s in RAW_SUFFIXES, s in HEIF_SUFFIXES, s)))
# a model to deblur with or fine-tune from: an export (.safetensors) or a checkpoint
MODEL_FILTER = name_filter("Models", MODEL_SUFFIXES)
# File > Import a model: published weights also come as Lightning .ckpt files
IMPORT_FILTER = name_filter("Models", (*MODEL_SUFFIXES, ".ckpt"))
