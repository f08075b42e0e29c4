"""The one way the app runs long work off the GUI thread (superqt generator workers).

    job = start_job(trainer, on_event=tab.show_event, on_done=..., on_error=...)
    job.pause()     # hold between two events (superqt's worker pause); job.resume()
    job.stop()      # cooperative: calls trainer.request_stop(), keeps delivering its
                    # last events (checkpoint, Finished), then ends
    job.abort()     # drop it: no more events or on_done; the iterator is closed

    start_call(discover, folder, on_done=tab.show_pairs)   # one function, one result

A job runs any iterable (a core generator, a `Trainer`) on a pool thread. A source that
can end itself cleanly has one stop verb, `request_stop()` (`Stoppable`): core's Trainer
and Evaluation, the tabs' job classes; any other source stops between two items. Each yielded
item arrives through a Qt signal, so `on_event` runs on the GUI thread and may touch
widgets. The iterator's return value (or the function's result) goes to `on_done`,
an exception to `on_error` (default: the app's error dialog). `on_finished` runs last,
whatever happened. `stop_all()` is what closing the window calls.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Generator
from typing import Any, Callable, Iterable, Protocol, runtime_checkable

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, QThreadPool
from superqt.utils import GeneratorWorker

from deblur_desktop.error_log import show_exception

log = logging.getLogger(__name__)

# A long training job and an evaluation must never leave a folder scan queued behind
# them: the default pool has only as many threads as cores (2 on small laptops).
MIN_POOL_THREADS = 8

_live: set["Job"] = set()


@runtime_checkable
class Stoppable(Protocol):
    """A job source that ends itself when asked (saves, then yields its last events).
    `request_stop` is called from the GUI thread, so it only sets a flag."""

    def request_stop(self) -> None: ...


class _Carried(Exception):
    """Carries a RuntimeError out of a job. superqt takes a RuntimeError raised by the
    generator for a deleted worker and drops it: no errored, no finished, a job that
    never ends. torch raises RuntimeErrors (CUDA out of memory too)."""


def in_gui_thread() -> bool:
    app = QCoreApplication.instance()
    return app is not None and QThread.currentThread() is app.thread()


def _report_error(exc: BaseException) -> None:
    """Default on_error: the same dialog + log file as an uncaught exception."""
    show_exception(type(exc), exc, exc.__traceback__)


class Job:
    """Handle on one background job. Create with `start_job` / `start_call`."""

    def __init__(self, source: Iterable, name: str = ""):
        self.source = source
        self.name = name or type(source).__name__
        self._stop = threading.Event()   # cooperative stop asked
        self._abort = threading.Event()  # results no longer wanted
        self._done = threading.Event()
        self._hold = False  # pause asked (the worker takes it after its next event)
        self._until: Callable[[Any], bool] | None = None  # run_until: run on to this event
        self.worker = GeneratorWorker(self._drive)

    def _drive(self):
        it = iter(self.source)
        try:
            while not self._abort.is_set():
                if self._stop.is_set() and not self.cooperative:
                    return None
                try:
                    item = next(it)
                except StopIteration as e:
                    return e.value
                except RuntimeError as e:
                    raise _Carried(e) from e
                until = self._until
                if until is not None and until(item):
                    self._until = None
                if self._hold and self._until is None and not self._stop.is_set():
                    self.worker.pause()  # taken right after this item is delivered
                yield item
            return None
        finally:
            if isinstance(it, Generator):  # runs the generator's finally blocks in this thread
                it.close()

    @property
    def cooperative(self) -> bool:
        """True when the source ends itself when asked (saves, then yields Finished)."""
        return isinstance(self.source, Stoppable)

    @property
    def is_running(self) -> bool:
        return not self._done.is_set()

    @property
    def aborted(self) -> bool:
        return self._abort.is_set()

    @property
    def stopping(self) -> bool:
        """Stop was asked; the last events may still be on their way."""
        return self._stop.is_set()

    @property
    def paused(self) -> bool:
        """A pause was asked and not undone (the worker may still be finishing an item)."""
        return self._hold

    @property
    def holding(self) -> bool:
        """The worker is waiting between two events right now."""
        return self.worker.is_paused

    def pause(self) -> None:
        """Hold between two events: nothing is lost, `resume()` or `stop()` goes on."""
        self._hold = True
        if self._until is None and not self._stop.is_set():
            self.worker.pause()

    def resume(self) -> None:
        self._hold = False
        self.worker.resume()

    def run_until(self, wanted: Callable[[Any], bool]) -> None:
        """Keep going until an event for which `wanted` is true, paused or not; a pause
        asked meanwhile (or before) is taken right after that event (Save now while paused)."""
        self._until = wanted
        self.worker.resume()

    def _paused_by_worker(self) -> None:
        """GUI thread: the worker took a pause. One that is no longer wanted (resume or
        stop came between asking and taking it) is undone here."""
        if not self._hold or self._until is not None or self._stop.is_set():
            self.worker.resume()

    def stop(self) -> None:
        """Ask the job to end cooperatively; its last events and on_done still arrive."""
        if self._stop.is_set():
            return
        self._stop.set()
        if isinstance(self.source, Stoppable):
            self.source.request_stop()
        self.worker.resume()  # a paused job must run on to deliver them

    def abort(self) -> None:
        """Stop and drop everything it would still deliver (stale results)."""
        self._abort.set()
        self.stop()

    def wait(self, timeout_ms: int = 10_000) -> bool:
        """Block until the job ended, pumping GUI events so its signals are delivered."""
        waited = 0
        while self.is_running and waited < timeout_ms:
            QCoreApplication.processEvents()
            self._done.wait(0.01)
            waited += 10
        QCoreApplication.processEvents()
        return not self.is_running


def _ensure_pool() -> None:
    pool = QThreadPool.globalInstance()
    if pool.maxThreadCount() < MIN_POOL_THREADS:
        pool.setMaxThreadCount(MIN_POOL_THREADS)


def start_job(source: Iterable, on_event: Callable[[Any], None] | None = None,
              on_done: Callable[[Any], None] | None = None,
              on_error: Callable[[BaseException], None] | None = None,
              on_finished: Callable[[], None] | None = None, name: str = "",
              owner: QObject | None = None) -> Job:
    """Run `source` (any iterable) on a pool thread; callbacks run on the GUI thread.

    `owner` (default: the widget whose bound method is a callback) ends the job when it
    is destroyed, so no callback ever reaches a deleted widget."""
    job = Job(source, name)
    w = job.worker
    on_error = on_error or _report_error
    if owner is None:
        owner = next((cb.__self__ for cb in (on_event, on_done, on_error, on_finished)
                      if isinstance(getattr(cb, "__self__", None), QObject)), None)
    if owner is not None:
        owner.destroyed.connect(job.abort)

    def alive() -> bool:
        return not job.aborted and (owner is None or shiboken6.isValid(owner))

    def _event(item):
        if on_event is not None and alive():
            on_event(item)

    def _returned(value):
        if on_done is not None and alive():
            on_done(value)

    def _errored(exc):
        if isinstance(exc, _Carried):
            exc = exc.__cause__
        log.error("job %s failed", job.name, exc_info=(type(exc), exc, exc.__traceback__))
        if alive():
            on_error(exc)

    def _finished():
        _live.discard(job)
        if on_finished is not None and (owner is None or shiboken6.isValid(owner)):
            on_finished()

    # superqt emits from the worker thread; signals live on the GUI thread, so these
    # slots are queued to it. `_done` is set in the thread itself, for wait().
    w.yielded.connect(_event)
    w.returned.connect(_returned)
    w.errored.connect(_errored)
    w.finished.connect(_finished)
    w.paused.connect(job._paused_by_worker)
    w.signals._finished.connect(lambda *_: job._done.set(), type=Qt.ConnectionType.DirectConnection)
    _live.add(job)
    _ensure_pool()
    QThreadPool.globalInstance().start(w)  # not w.start(): no 1 ms timer, no event loop needed
    return job


def start_call(fn: Callable[..., Any], *args, on_done: Callable[[Any], None] | None = None,
               on_error: Callable[[BaseException], None] | None = None,
               on_finished: Callable[[], None] | None = None, name: str = "",
               owner: QObject | None = None, **kwargs) -> Job:
    """Run one function call off the GUI thread; its result goes to `on_done`."""
    def call():
        return fn(*args, **kwargs)
        yield  # a generator with no events: the result is its return value

    return start_job(call(), on_done=on_done, on_error=on_error, on_finished=on_finished,
                     name=name or getattr(fn, "__name__", "call"), owner=owner)


def live_jobs() -> list[Job]:
    return list(_live)


def stop_all(timeout_ms: int = 15_000) -> bool:
    """Ask every job to stop (training saves a checkpoint), wait, then drop stragglers.

    Returns True when every thread ended within the timeout."""
    jobs = live_jobs()
    for job in jobs:
        job.stop()
    deadline = time.monotonic() + timeout_ms / 1000  # one budget for all, not one each
    for job in jobs:
        job.wait(max(0, int((deadline - time.monotonic()) * 1000)))
    for job in jobs:
        if job.is_running:
            log.warning("job %s did not stop within %d ms; dropping its results", job.name, timeout_ms)
            job.abort()
    ok = QThreadPool.globalInstance().waitForDone(2000)
    QCoreApplication.processEvents()
    return ok and not any(j.is_running for j in jobs)


# ---- debug check: heavy work on the GUI thread ------------------------------------
GUARD_ENV = "DEBLUR_STUDIO_CHECK_GUI_THREAD"  # set to 1: log every violation with its stack


def guard_gui_thread(record: list | None = None) -> Callable[[], None]:
    """Report image decoding (PIL's Image.open) and model calls (nn.Module.__call__) made
    on the GUI thread, where they freeze the window. Each one is logged as a warning with
    the calling stack and appended to `record` as (what, detail). Returns the function
    that removes the guard. `run_app` installs it when DEBLUR_STUDIO_CHECK_GUI_THREAD=1;
    the desktop tests install it around whole user flows."""
    import traceback

    import PIL.Image
    import torch

    real_open, real_call = PIL.Image.open, torch.nn.Module.__call__

    def report(what: str, detail: str) -> None:
        if record is not None:
            record.append((what, detail))
        log.warning("%s on the GUI thread (%s):\n%s", what, detail, "".join(traceback.format_stack(limit=12)))

    def open_(fp, *a, **k):
        if in_gui_thread():
            report("image read", str(fp))
        return real_open(fp, *a, **k)

    def call(self, *a, **k):
        if in_gui_thread():
            report("model call", type(self).__name__)
        return real_call(self, *a, **k)

    PIL.Image.open, torch.nn.Module.__call__ = open_, call

    def remove() -> None:
        PIL.Image.open, torch.nn.Module.__call__ = real_open, real_call

    return remove
