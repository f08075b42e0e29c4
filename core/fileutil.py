"""Atomic writes: a temp file in the target folder, then os.replace.

A crash, a cancel or a full disk leaves either the old file or the new one, never
half of one. Everything core writes goes through here.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Callable, Iterator


_UMASK = os.umask(0o022)  # read once at import (os.umask can only be read by setting it)
os.umask(_UMASK)


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temp path next to `target`; on success rename it over `target`."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        # mkstemp makes the file 0600, and some writers (safetensors) recreate it so:
        # give it, once written, the mode a plain open() would (or the old file's)
        with contextlib.suppress(OSError):
            os.chmod(tmp_path, target.stat().st_mode & 0o777 if target.exists() else 0o666 & ~_UMASK)
        os.replace(tmp_path, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
        raise


def atomic_write_bytes(target: Path, data: bytes) -> None:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def atomic_write_text(target: Path, text: str) -> None:
    atomic_write_bytes(target, text.encode("utf-8"))


def atomic_save(target: Path, save: Callable[[Path], None]) -> None:
    """Call `save(tmp_path)` (e.g. torch.save or PIL's save) and rename on success."""
    with atomic_path(target) as tmp:
        save(tmp)
