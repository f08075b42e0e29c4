"""The app's one worker mechanism: events on the GUI thread, results, errors, stops."""
from __future__ import annotations

import threading

from PySide6.QtCore import QCoreApplication, QThreadPool

from deblur_desktop import workers


def _gen(n, seen_threads):
    for i in range(n):
        seen_threads.append(threading.current_thread())
        yield i
    return "done"


def test_events_arrive_on_gui_thread_and_result_is_returned(qtbot):
    work_threads, got, event_threads, done = [], [], [], []
    job = workers.start_job(_gen(5, work_threads),
                            on_event=lambda e: (got.append(e), event_threads.append(threading.current_thread())),
                            on_done=done.append)
    assert job.wait(60_000)
    qtbot.waitUntil(lambda: done == ["done"], timeout=60_000)
    assert got == [0, 1, 2, 3, 4]
    assert all(t is threading.main_thread() for t in event_threads)
    assert all(t is not threading.main_thread() for t in work_threads)
    assert job not in workers.live_jobs()


def test_start_call_runs_a_function_off_the_gui_thread(qtbot):
    out = []
    job = workers.start_call(lambda a, b: (a + b, threading.current_thread()), 2, 3, on_done=out.append)
    job.wait(60_000)
    qtbot.waitUntil(lambda: bool(out), timeout=60_000)
    assert out[0][0] == 5 and out[0][1] is not threading.main_thread()


def test_errors_reach_on_error_on_the_gui_thread(qtbot):
    errs = []

    def boom():
        yield 1
        raise ValueError("bad.png: not a readable image")

    job = workers.start_job(boom(), on_error=lambda e: errs.append((e, threading.current_thread())))
    job.wait(60_000)
    qtbot.waitUntil(lambda: bool(errs), timeout=60_000)
    assert isinstance(errs[0][0], ValueError) and "bad.png" in str(errs[0][0])
    assert errs[0][1] is threading.main_thread()


def deliver_posted() -> None:
    """Deliver what the worker already emitted. Once `job.holding` is true the worker has
    posted every event it will send before the pause, so this replaces a sleep."""
    QCoreApplication.sendPostedEvents()
    QCoreApplication.processEvents()


class Cooperative:
    """Like the Trainer: ends itself after request_stop, with a final event."""

    def __init__(self):
        self.stop = threading.Event()

    def request_stop(self):
        self.stop.set()

    def __iter__(self):
        i = 0
        while not self.stop.is_set():
            yield i
            i += 1
            self.stop.wait(0.005)
        yield "checkpoint saved"
        return "stopped"


def test_stop_is_cooperative_and_delivers_the_last_events(qtbot):
    got, done = [], []
    job = workers.start_job(Cooperative(), on_event=got.append, on_done=done.append)
    qtbot.waitUntil(lambda: len(got) >= 3, timeout=60_000)
    assert job.cooperative
    job.stop()
    assert job.wait(60_000)
    qtbot.waitUntil(lambda: done == ["stopped"], timeout=60_000)
    assert got[-1] == "checkpoint saved"


def test_pause_holds_between_events_and_stop_ends_a_paused_job(qtbot):
    """Pause is the worker library's own (superqt); Stop takes a paused job to its end."""
    got, done = [], []
    job = workers.start_job(Cooperative(), on_event=got.append, on_done=done.append)
    qtbot.waitUntil(lambda: len(got) >= 2, timeout=60_000)
    job.pause()
    assert job.paused
    qtbot.waitUntil(lambda: job.holding, timeout=60_000)
    deliver_posted()
    held = len(got)
    qtbot.wait(200)  # watch a while: nothing may come (can only pass late, never fail)
    assert len(got) == held and job.is_running  # nothing happens while paused
    job.resume()
    qtbot.waitUntil(lambda: len(got) >= held + 3, timeout=60_000)
    assert not job.paused and not job.holding
    job.pause()
    qtbot.waitUntil(lambda: job.holding, timeout=60_000)
    job.stop()
    assert job.stopping and job.wait(60_000)
    qtbot.waitUntil(lambda: done == ["stopped"], timeout=60_000)
    assert got[-1] == "checkpoint saved"


def test_run_until_takes_a_paused_job_to_one_event_then_holds_again(qtbot):
    got = []
    job = workers.start_job(Cooperative(), on_event=got.append)
    qtbot.waitUntil(lambda: len(got) >= 2, timeout=60_000)
    job.pause()
    qtbot.waitUntil(lambda: job.holding, timeout=60_000)
    deliver_posted()
    last = got[-1]
    job.run_until(lambda e: e == last + 3)  # "Save now" while paused: run to the checkpoint
    qtbot.waitUntil(lambda: got[-1] == last + 3 and job.holding, timeout=60_000)
    deliver_posted()
    qtbot.wait(100)  # a while longer: nothing more may come (can only pass late, never fail)
    assert got[-1] == last + 3 and job.paused  # held right after it
    job.stop()
    assert job.wait(60_000)


def test_a_pause_undone_before_the_worker_takes_it_is_not_taken(qtbot):
    got = []
    job = workers.start_job(Cooperative(), on_event=got.append)
    qtbot.waitUntil(lambda: len(got) >= 2, timeout=60_000)
    for _ in range(20):  # pause and go on at once, as a double click does
        job.pause()
        job.resume()
    n = len(got)
    qtbot.waitUntil(lambda: len(got) >= n + 5, timeout=60_000)  # still running
    assert not job.holding
    job.stop()
    assert job.wait(60_000)


def test_abort_drops_results_and_closes_the_generator(qtbot):
    closed, got, done = [], [], []

    def endless():
        try:
            i = 0
            while True:
                yield i
                i += 1
                threading.Event().wait(0.002)
        finally:
            closed.append(threading.current_thread())

    job = workers.start_job(endless(), on_event=got.append, on_done=done.append)
    qtbot.waitUntil(lambda: len(got) >= 2, timeout=60_000)
    job.abort()
    assert job.wait(60_000)
    n = len(got)
    deliver_posted()  # whatever it emitted before the abort is dropped, not delivered
    assert len(got) == n and done == []
    assert closed and closed[0] is not threading.main_thread()  # finally ran in the worker


def test_stop_all_ends_every_job(qtbot):
    jobs = [workers.start_job(Cooperative()) for _ in range(3)]
    assert workers.stop_all(60_000)
    assert not any(j.is_running for j in jobs)
    assert workers.live_jobs() == []
    assert QThreadPool.globalInstance().activeThreadCount() == 0


def test_a_runtime_error_still_reaches_on_error_and_ends_the_job(qtbot):
    """torch raises RuntimeError (CUDA out of memory too); superqt alone would swallow it."""
    errs, finished = [], []

    def oom():
        yield 1
        raise RuntimeError("CUDA out of memory")

    job = workers.start_job(oom(), on_error=errs.append, on_finished=lambda: finished.append(1))
    assert job.wait(60_000)
    qtbot.waitUntil(lambda: bool(finished), timeout=60_000)
    assert type(errs[0]) is RuntimeError and "out of memory" in str(errs[0])


def test_gui_thread_guard_reports_reads_and_model_calls_on_the_gui_thread(qtbot, tmp_path):
    import PIL.Image
    import torch

    PIL.Image.new("RGB", (4, 4)).save(tmp_path / "a.png")
    hits = []
    remove = workers.guard_gui_thread(hits)
    try:
        PIL.Image.open(tmp_path / "a.png").close()  # on the GUI thread: reported
        torch.nn.Identity()(torch.zeros(1))
        job = workers.start_call(lambda: PIL.Image.open(tmp_path / "a.png").close())  # off it: fine
        job.wait(60_000)
    finally:
        remove()
    assert [w for w, _ in hits] == ["image read", "model call"]
    PIL.Image.open(tmp_path / "a.png").close()
    assert len(hits) == 2  # removed
