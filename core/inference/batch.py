"""Deblur many files and folders: a generator of typed events that stops cooperatively.

    for event in deblur_paths(["photos/"], "out/", recursive=True, cancel=stop.is_set):
        print(event)

Outputs mirror the inputs' relative paths under `out_dir` with the same names (plus
`suffix`), each written atomically, so a cancel or a crash never leaves half a file.
A file that cannot be read, deblurred or written is reported (`FileFailed`) and the
batch goes on; `BatchFinished` sums up.
"""
from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

from core.data.imageio import (FORMAT_SUFFIX, RAW_SUFFIXES, ImageReadError, ImageWriteError, format_for, image_size,
                               is_image_path, read_image, write_image)
from core.events import (BatchFinished, Event, FileDone, FileFailed, FileSkipped, FileStarted,
                         KernelEstimated, Message, TileProgress)
from core.inference.tiling import Cancelled

if TYPE_CHECKING:  # torch loads only when a learned model runs
    from core.inference.deblur import Deblurrer

EXISTING = ("error", "skip", "overwrite")


class OutputFolderError(OSError):
    def __init__(self, path, problem: str):
        self.path, self.problem = Path(path), problem
        super().__init__(f"{path}: {problem}")

    def __str__(self) -> str:
        return f"{self.path}: {self.problem}"


def collect(inputs: Iterable[str | Path], recursive: bool = False) -> list[tuple[Path, Path]]:
    """(source, path relative to the output folder) for every input file, in order.
    A folder contributes its image files (and those of subfolders when recursive);
    a named file is taken as given, image or not, so a wrong file is reported."""
    out: list[tuple[Path, Path]] = []
    for item in inputs:
        p = Path(item).expanduser()
        if p.is_dir():
            found = p.rglob("*") if recursive else p.iterdir()
            files = sorted(f for f in found if f.is_file() and is_image_path(f)
                           and not any(part.startswith(".") for part in f.relative_to(p).parts))
            out += [(f, f.relative_to(p)) for f in files]
        else:
            out.append((p, Path(p.name)))
    return out


def output_path(out_dir: Path, rel: Path, suffix: str = "", fmt: str | None = None) -> Path:
    # camera RAW is read only: its result is a 16-bit TIFF, named so (as write_image does)
    ext = FORMAT_SUFFIX[format_for(rel, fmt)] if fmt or rel.suffix.lower() in RAW_SUFFIXES else rel.suffix
    return out_dir / rel.parent / f"{rel.stem}{suffix}{ext}"


def check_out_dir(out_dir: Path) -> None:
    """Create the output folder and prove it is writable, before any work is done."""
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputFolderError(out_dir, "output folder is a file")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".deblur-write-test-", dir=out_dir)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise OutputFolderError(out_dir, f"output folder is not writable ({e.strerror or e})") from None


def deblur_paths(inputs: Iterable[str | Path], out_dir: str | Path, deblurrer: "Deblurrer | None" = None, *,
                 model: str | Path | None = None, device: str = "auto", recursive: bool = False,
                 suffix: str = "", existing: str = "error", format: str | None = None, quality: int = 95,
                 tile: int | None = None, cancel: Callable[[], bool] | None = None,
                 keep_metadata: bool = True, bit_depth: int | None = None) -> Iterator[Event]:
    """Deblur every input into `out_dir`, yielding FileStarted / TileProgress / FileDone /
    FileSkipped / FileFailed, then BatchFinished. `existing`: what to do when an output
    is already there: "error" (report it as failed), "skip" or "overwrite".
    `keep_metadata=False` drops EXIF and ICC; `bit_depth=16` writes 16-bit PNG/TIFF
    even from 8-bit sources (None: as the source). An output folder that cannot be
    written raises OutputFolderError before any work."""
    _check_options(existing, format)
    check_out_dir(Path(out_dir).expanduser())
    yield from deblur_jobs([(inputs, out_dir)], deblurrer, model=model, device=device, recursive=recursive,
                           suffix=suffix, existing=existing, format=format, quality=quality, tile=tile,
                           cancel=cancel, keep_metadata=keep_metadata, bit_depth=bit_depth)


def deblur_jobs(jobs: Iterable[tuple[Iterable[str | Path], str | Path]], deblurrer: "Deblurrer | None" = None, *,
                model: str | Path | None = None, device: str = "auto", recursive: bool = False,
                suffix: str = "", existing: str = "error", format: str | None = None, quality: int = 95,
                tile: int | None = None, cancel: Callable[[], bool] | None = None,
                keep_metadata: bool = True, bit_depth: int | None = None) -> Iterator[Event]:
    """`deblur_paths` over several output folders as one batch: `jobs` holds (inputs,
    output folder) items, in order. The events count the files of all of them (index,
    total), TileProgress.eta_s covers them all, one BatchFinished sums up (its out_dir:
    the folder when there is one). An output folder is made when its first file comes;
    one that cannot be written fails its files (FileFailed) and the batch goes on."""
    _check_options(existing, format)
    jobs = [(inputs, Path(out_dir).expanduser()) for inputs, out_dir in jobs]
    items = [(src, rel, out_dir) for inputs, out_dir in jobs for src, rel in collect(inputs, recursive)]
    cancel = cancel or (lambda: False)
    if deblurrer is None:
        # late: torch loads only when a learned model runs (see TYPE_CHECKING above)
        from core.inference.deblur import Deblurrer
        from core.inference.loading import resolve_model
        deblurrer = Deblurrer.from_file(resolve_model(model), device=device)
    dirs = list(dict.fromkeys(out_dir for _, out_dir in jobs))
    into = str(dirs[0]) if len(dirs) == 1 else f"{len(dirs)} folders"
    yield Message("info", f"Deblurring {len(items)} file(s) with {deblurrer.describe()} into {into}")

    # The ETA: the pixels left over the pixel rate so far, every folder's files counted;
    # a file skipped or refused before any work leaves the total (it takes no time).
    sizes = []  # pixels per file; 0 when the header cannot be read
    for src, _, _ in items:
        try:
            w, h = image_size(src)
            sizes.append(w * h)
        except ImageReadError:
            sizes.append(0)
    total_px, px_done, t0 = sum(sizes), 0.0, time.perf_counter()
    done = skipped = 0
    failures: list[list[str]] = []
    claimed: dict[Path, Path] = {}  # output -> the source that claimed it
    unwritable: dict[Path, str] = {}  # output folder -> why it cannot be written ("": it can)
    cancelled = False
    n = len(items)
    for i, (src, rel, out_dir) in enumerate(items, 1):
        if cancel():
            cancelled = True
            break
        if out_dir not in unwritable:
            try:
                check_out_dir(out_dir)
                unwritable[out_dir] = ""
            except OutputFolderError as e:
                unwritable[out_dir] = str(e)
        out = output_path(out_dir, rel, suffix, format)
        reason = unwritable[out_dir] or _refuse(src, out, claimed)
        if not reason:
            claimed[out.resolve()] = src
            if out.exists() and existing == "skip":
                skipped += 1
                total_px -= sizes[i - 1]
                yield FileSkipped(i, n, str(src), f"{out} exists")
                continue
            if out.exists() and existing == "error":
                reason = f"{out} exists (use --overwrite or --skip-existing)"
        if reason:
            failures.append([str(src), reason])
            total_px -= sizes[i - 1]
            yield FileFailed(i, n, str(src), reason)
            continue
        t_file = time.perf_counter()
        try:
            rgb, info = read_image(src)
        except ImageReadError as e:
            failures.append([str(src), e.problem])
            total_px -= sizes[i - 1]
            yield FileFailed(i, n, str(src), e.problem)
            continue
        h, w = rgb.shape[:2]
        try:
            grid = deblurrer.grid(h, w, tile)
            yield FileStarted(i, n, str(src), str(out), w, h, len(grid))
            steps = deblurrer.deblur_steps(rgb, grid)
            while True:
                if cancel():
                    steps.close()
                    raise Cancelled()
                try:
                    k, tiles = next(steps)
                except StopIteration as stop:
                    result = stop.value
                    break
                frac_px = px_done + (w * h) * k / tiles
                rate = frac_px / max(time.perf_counter() - t0, 1e-9)
                eta = max(total_px - frac_px, 0.0) / rate if rate > 0 and frac_px > 0 else None
                yield TileProgress(i, n, str(src), k, tiles, eta, rate / 1e6 if frac_px > 0 else None)
            del rgb
            if not keep_metadata:
                info.exif = info.icc = None
            write_image(out, result, like=info, format=format, quality=quality, bit_depth=bit_depth)
        except Cancelled:
            cancelled = True
            break
        except ImageWriteError as e:
            failures.append([str(src), str(e)])
            yield FileFailed(i, n, str(src), str(e))
            continue
        except (RuntimeError, MemoryError, ValueError) as e:  # e.g. out of memory on the device
            reason = f"deblurring failed ({e.__class__.__name__}: {str(e).splitlines()[0] if str(e) else ''})"
            failures.append([str(src), reason])
            yield FileFailed(i, n, str(src), reason)
            continue
        finally:
            px_done += sizes[i - 1]
        done += 1
        report = getattr(deblurrer, "last", None)
        if report is not None:
            what = report.path + (" + refined" if getattr(report, "refined", False) else "")
            yield KernelEstimated(i, n, str(src), report.kernel, report.confidence, report.extent_px, what)
        yield FileDone(i, n, str(src), str(out), time.perf_counter() - t_file, w * h / 1e6, _what_ran(deblurrer))
    yield BatchFinished(done, skipped, len(failures), cancelled, time.perf_counter() - t0,
                        failures, str(dirs[0]) if len(dirs) == 1 else "")


def _check_options(existing: str, format: str | None) -> None:
    if existing not in EXISTING:
        raise ValueError(f"existing must be one of {', '.join(EXISTING)} (got {existing!r})")
    if format:
        format_for(Path("x"), format)  # refuse an unknown format before any work


def _refuse(src: Path, out: Path, claimed: dict[Path, Path]) -> str | None:
    if not src.exists():
        return "file not found"
    if src.is_dir():
        return "is a folder (folders are read by their image files)"
    if out.resolve() == src.resolve():
        return "the output would replace the input; choose another output folder or a --suffix"
    other = claimed.get(out.resolve())
    if other is not None:
        return f"same output file as {other} ({out}); use separate output folders"
    return None


def _what_ran(deblurrer) -> str:
    """An engine's account of the latest photo ('kernel 31 px ...: deconvolved'), or ''."""
    report = getattr(deblurrer, "last", None)
    return str(report) if report is not None else ""
