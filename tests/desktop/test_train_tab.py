"""Train tab: generated form, a real tiny run on CPU, pause/save/stop/resume, errors, close."""
from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtWidgets import QMessageBox

from core.config import RunConfig, field_docs
from core.events import Step
from core.model_files import export_safetensors
from deblur_desktop import workers


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Two threads on a busy 2-core machine are up to 10x slower per step than one."""
    import torch

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture
def tab(qtbot):
    from deblur_desktop.tabs.train.tab import TrainTab

    t = TrainTab()
    qtbot.addWidget(t)
    t.resize(1300, 800)
    t.show()
    yield t
    t.shutdown()
    assert workers.stop_all(60_000)


def configure(tab, root, run_dir, epochs=2, **train):
    """A seed model with one residual block on 64 px crops: a few seconds on a CPU."""
    f = tab.form
    f.set_value("data.root", str(root))
    f.set_value("data.crop", 64)
    f.set_value("data.max_side", None)
    f.set_value("data.val_fraction", 0.34)
    f.set_value("model.name", "seed")
    f.set_value("model.options", {"num_residual_blocks": 1})
    for k, v in dict(epochs=epochs, batch_size=2, log_every=1, device="cpu", samples=2, **train).items():
        f.set_value(f"train.{k}", v)
    tab.setup.run_edit.setText(str(run_dir))
    assert tab.validate(), tab.setup.problem.text()


def records(run_dir, event):
    lines = (run_dir / "metrics.jsonl").read_text().splitlines()
    return [r for r in map(json.loads, lines) if r["event"] == event]


def wait_idle(qtbot, tab, timeout=180_000):
    """Until the run's job has ended and its last signals (Finished, on_finished) were
    handled: the job leaves `live_jobs` in the slot that then calls the tab's on_finished."""
    job = tab.job
    qtbot.waitUntil(lambda: job is None or job not in workers.live_jobs(), timeout=timeout)


def test_form_is_generated_from_the_config_and_refuses_bad_values(tab, tmp_path):
    keys = {f"{sec}.{name}" for sec, typ, _ in field_docs(RunConfig) for name, *_ in field_docs(typ)}
    assert set(tab.form.editors) == keys  # a field added to core appears by itself
    configure(tab, tmp_path, tmp_path / "run")
    f = tab.form
    f.set_value("train.betas", (0.9, 0.99))
    cfg = tab.config()
    assert (cfg.data.crop, cfg.data.max_side, cfg.train.betas) == (64, None, (0.9, 0.99))
    assert cfg.model.options == {"num_residual_blocks": 1} and cfg.loss.pixel_weight == 100.0

    f.set_value("data.crop", 32)  # the GAN's discriminator needs 64 px
    assert not tab.validate() and not tab.setup.start_btn.isEnabled()
    assert "crop" in tab.setup.problem.text() and "64" in tab.setup.problem.text()
    assert "d04040" in f.editors["data.crop"].focus.styleSheet()
    f.set_value("loss.gan", False)  # ...unless the GAN is off
    assert tab.validate() and tab.setup.start_btn.isEnabled()

    f.editors["train.lr_g"].widget.setText("fast")
    assert not tab.validate() and "train.lr_g" in tab.setup.problem.text()
    f.set_value("train.lr_g", 1e-4)
    f.set_value("data.root", str(tmp_path / "missing"))
    assert not tab.validate() and "is not a folder" in tab.setup.problem.text()
    assert not tab.start()

    f.set_value("data.root", str(tmp_path))
    tab.apply_preset("best")  # a recipe from core; the data folder and device stay
    cfg = tab.config()
    assert cfg.model.name == "nafnet-s" and cfg.train.ema_decay > 0 and cfg.loss.adversarial == "ragan-ls"
    assert cfg.data.root == str(tmp_path) and cfg.train.device == "cpu" and tab.validate()


def test_tiny_run_fills_curves_samples_status_and_log(qtbot, tab, make_flat, tmp_path):
    root = make_flat(n=6, size=(64, 80))
    run = tmp_path / "run"
    configure(tab, root, run)
    finished = []
    tab.run_finished.connect(finished.append)
    seen = []  # the GUI thread keeps running timers while the worker trains: ticks between its events
    timer = QTimer(interval=20)
    timer.timeout.connect(lambda: seen.append("tick"))
    timer.start()
    show = tab.monitor.show_event
    tab.monitor.show_event = lambda ev: (seen.append(type(ev).__name__), show(ev))
    assert tab.start() and tab.is_running and not tab.setup.start_btn.isEnabled()
    assert not tab.form.editors["data.root"].widget.isEnabled()  # locked while it runs
    wait_idle(qtbot, tab)
    timer.stop()
    tab.monitor.plots.redraw()

    steps, vals = records(run, "Step"), records(run, "Validated")
    assert len(steps) == 4 and len(vals) == 2  # 4 training pairs / batch 2 x 2 epochs, log_every 1
    x, y = tab.monitor.plots.curve_data("g_loss")
    assert list(x) == [r["global_step"] for r in steps]
    assert np.allclose(y, [r["g_loss"] for r in steps])
    assert np.allclose(tab.monitor.plots.curve_data("d_loss")[1], [r["d_loss"] for r in steps])
    assert np.allclose(tab.monitor.plots.curve_data("psnr")[1], [r["psnr"] for r in vals])
    assert np.allclose(tab.monitor.plots.curve_data("ssim")[1], [r["ssim"] for r in vals])
    assert "epoch 2/2 · step 2/2" in tab.monitor.status["progress"].text()
    assert "images/s" in tab.monitor.status["speed"].text() and "cpu" in tab.monitor.status["device"].text()
    best = [r for r in vals if r["is_best"]][-1]["epoch"]
    assert tab.monitor.status["best"].text().startswith(f"epoch {best}")
    assert len(tab.monitor.samples.history) == 2 and len(tab.monitor.samples.cells) == 2
    assert tab.monitor.samples.cells[0][1].pixmap() is not None and not tab.monitor.samples.cells[0][1].pixmap().isNull()
    log = tab.log_text()
    assert "Epoch [1/2], Step [1/2], D Loss: " in log and "Training completed at epoch 2" in log
    assert log.count("Epoch [2/2] Validation Loss:") == 1
    assert (run / "checkpoints" / "best.pt").is_file() and finished == [str(run)]
    assert "Training completed" in tab.monitor.state.text() and tab.resume_dir is None
    # In event order, not by the clock: the GUI ran its timer while the worker trained.
    assert "tick" in seen[seen.index("Step"):seen.index("Finished")]

    tab.monitor.samples.slider.setValue(0)
    assert tab.monitor.samples.caption.text().startswith("Epoch 1")

    tab.form.set_value("model.options", {})
    tab.fine_tune_from(str(run / "checkpoints" / "best.pt"))  # its architecture comes along
    assert tab.form.value("train.init_from") == str(run / "checkpoints" / "best.pt")
    assert tab.form.value("model.options") == {"num_residual_blocks": 1} and "fine-tuned" in tab.setup.mode.text()
    export = export_safetensors(run / "checkpoints" / "best.pt", tmp_path / "mine.safetensors")
    tab.form.set_value("model.options", {})
    tab.fine_tune_from(str(export))  # an export's header names its architecture too
    assert tab.form.value("train.init_from") == str(export)
    assert tab.form.value("model.options") == {"num_residual_blocks": 1} and "mine.safetensors" in tab.setup.mode.text()
    tab.fine_tune_from(str(run / "checkpoints" / "best.pt"))
    # Starting again into the same folder is refused: it holds a run now
    assert tab.setup.run_edit.text() == ""
    tab.setup.run_edit.setText(str(run))
    assert not tab.validate() and "already holds a run" in tab.setup.problem.text()


def test_pause_save_stop_then_resume_continues(qtbot, tab, make_flat, tmp_path):
    root = make_flat(n=12, size=(64, 80))  # 8 training pairs, batch 2: 4 steps per epoch
    run = tmp_path / "run"
    configure(tab, root, run, epochs=2)
    tab.start()
    qtbot.waitUntil(lambda: len(tab.monitor.plots.steps) >= 1, timeout=60_000)
    tab.toggle_pause()
    assert tab.setup.pause_btn.text() == "Continue"
    qtbot.waitUntil(lambda: tab.job.holding, timeout=60_000)  # it holds after its next event
    QCoreApplication.sendPostedEvents()  # what it sent before holding (already posted)
    held = len(tab.monitor.plots.steps)
    qtbot.wait(1200)  # watch a while: nothing may come (can only pass late, never fail)
    assert len(tab.monitor.plots.steps) == held and tab.is_running  # nothing trains while paused

    tab.save_now()  # paused: runs exactly until the checkpoint is written
    qtbot.waitUntil(lambda: "Saved manual checkpoint" in tab.log_text(), timeout=60_000)
    assert (run / "checkpoints" / "last.pt").is_file()
    tab.stop()
    wait_idle(qtbot, tab)
    log = tab.log_text()
    assert "Training stopped at epoch 1" in log
    stopped_at = records(run, "Finished")[-1]["global_step"]
    assert stopped_at < 8

    # The stopped run is offered for resuming; only epochs and device stay editable
    assert tab.resume_dir == str(run) and tab.setup.start_btn.text() == "Resume"
    assert not tab.form.editors["data.crop"].widget.isEnabled()
    assert tab.form.editors["train.epochs"].widget.isEnabled()
    tab.start()
    wait_idle(qtbot, tab)
    assert "Resuming seed" in tab.log_text() and "Training completed at epoch 2" in tab.log_text()
    after = [r["global_step"] for r in records(run, "Step")]
    assert after[-1] == 8 and sorted(set(after)) == list(range(1, 9))  # no step lost, none repeated
    tab.monitor.plots.redraw()
    assert list(tab.monitor.plots.curve_data("g_loss")[0]) == list(range(1, 9))  # one curve across both sessions


def test_resume_a_run_from_its_folder_loads_its_config_and_curves(qtbot, tab, make_flat, tmp_path):
    from core.training.loop import Trainer

    root = make_flat(n=6, size=(64, 80))
    run = tmp_path / "old"
    configure(tab, root, run, epochs=1)
    for _ in Trainer(tab.config(), run):  # a run made elsewhere (the CLI)
        pass
    tab.new_run()
    assert not tab.resume_run(str(tmp_path))  # no checkpoint there
    assert "no checkpoints/last.pt" in tab.setup.problem.text()
    assert tab.resume_run(str(run))
    assert tab.form.value("model.options") == {"num_residual_blocks": 1}
    assert len(tab.monitor.plots.steps) == 2 and len(tab.monitor.plots.vals) == 1
    tab.form.set_value("train.epochs", 2)
    tab.start()
    wait_idle(qtbot, tab)
    assert [r["epoch"] for r in records(run, "Validated")] == [1, 2]
    assert len(tab.monitor.plots.vals) == 2


def test_an_error_in_the_loop_is_a_message_not_a_crash(qtbot, tab, make_flat, tmp_path, monkeypatch):
    from core.training.loop import Trainer

    def oom(*a, **k):
        raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")

    monkeypatch.setattr(Trainer, "_validate", oom)
    configure(tab, make_flat(n=6, size=(64, 80)), tmp_path / "run")
    tab.start()
    wait_idle(qtbot, tab)
    assert "CUDA out of memory" in tab.last_error and "smaller batch size" in tab.last_error
    assert tab.error_box.isVisible() and "out of memory" in tab.error_box.text()
    assert "ERROR: RuntimeError" in tab.log_text() and tab.monitor.state.text() == "Training failed"
    tab.error_box.close()

    # A folder of sharp photos without synthetic blur: the loop's own DataError
    monkeypatch.undo()
    sharp_only = tmp_path / "sharp"
    (make_flat(n=3, size=(64, 80), name="s") / "sharp").rename(sharp_only)
    tab.new_run()
    configure(tab, sharp_only, tmp_path / "run2")
    tab.start()
    wait_idle(qtbot, tab)
    assert "holds only sharp photos" in tab.last_error and tab.setup.start_btn.isEnabled()


def test_closing_the_window_while_training_asks_then_stops_with_a_checkpoint(qtbot, window, make_flat,
                                                                           tmp_path, monkeypatch):
    tab = window.train_tab
    run = tmp_path / "run"
    configure(tab, make_flat(n=12, size=(64, 80)), run, epochs=3)
    tab.start()
    qtbot.waitUntil(lambda: len(tab.monitor.plots.steps) >= 1, timeout=60_000)
    answers = [QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes]
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: answers.pop(0))
    window.close()
    assert window.isVisible() and tab.is_running  # "No": nothing happens
    window.close()
    assert not window.isVisible() and not tab.is_running
    assert (run / "checkpoints" / "last.pt").is_file()
    assert records(run, "Finished")[-1]["reason"] == "stopped"


def test_dataset_tab_folder_fills_the_data_field(tab, make_flat):
    from core.data.pairs import discover

    root = make_flat(n=3)
    tab.set_dataset(discover(root))
    assert tab.form.value("data.root") == str(root) and tab.setup.from_dataset.isEnabled()
    tab.form.set_value("data.root", "")
    tab.setup.from_dataset.click()
    assert tab.form.value("data.root") == str(root)


# ---- the plot widget alone --------------------------------------------------------
def _step(i, d=0.7, g=5.0, lr=2e-4):
    return Step(1, 1, i, 100, i, d, g, 0.05, lr, 10.0, float(i))


def test_the_monitor_shows_cores_eta_and_computes_none(qtbot):
    from dataclasses import replace

    from deblur_desktop.tabs.train.monitor_panel import TrainMonitor

    m = TrainMonitor()
    qtbot.addWidget(m)
    m.show_event(_step(1))  # the session's first step: core cannot tell yet
    assert m.status["time"].text() == "elapsed 0:00:01"
    m.show_event(replace(_step(50), eta_s=3725.0))  # shown as core has it, whatever the steps say
    assert m.status["time"].text() == "elapsed 0:00:50 · ETA 1:02:05"


def test_loss_plot_smoothing_log_scale_hover_and_export(qtbot, tmp_path):
    from deblur_desktop.widgets.loss_plot import LossPlot, ema

    p = LossPlot(redraw_ms=10_000)  # no timer redraws during the test
    qtbot.addWidget(p)
    p.resize(900, 500)
    p.show()
    for i in range(1, 1001):
        p.add_step(_step(i, d=None if i == 3 else 0.7, g=float(i % 2), lr=0.0 if i == 1 else 1e-4))
    assert p.redraws == 1  # adding points never redraws by itself (only the timer does)
    p.redraw_if_dirty()
    assert p.redraws == 2 and len(p.curve_data("g_loss")[0]) == 1000
    assert np.isnan(p.curve_data("d_loss")[1][2])  # GAN-off steps are gaps, not zeros
    p.smooth.setValue(90)
    sx, sy = p.smoothed["g_loss"].getOriginalDataset()
    assert np.allclose(sy, ema(np.array([i % 2 for i in range(1, 1001)], float), 0.9))
    assert 0.4 < sy[-1] < 0.6  # 0/1 alternation smooths to about 0.5
    p.log_scale.setChecked(True)
    assert np.isnan(p.curve_data("lr")[1][0]) and p.curve_data("lr")[1][1] == pytest.approx(1e-4)
    assert p.hover_text("g_loss", 10.2).startswith("step 10 (epoch 1): G loss 0, smoothed ")
    assert "off" in p.hover_text("d_loss", 3)

    p.export_csv(tmp_path / "c.csv")
    lines = (tmp_path / "c.csv").read_text().splitlines()
    assert lines[0].startswith("kind,epoch,step,global_step,d_loss,g_loss") and len(lines) == 1001
    assert lines[3].split(",")[4] == ""  # step 3: D loss off
    p.export_png(tmp_path / "c.png")
    from PIL import Image
    assert Image.open(tmp_path / "c.png").size[0] > 100


def test_run_config_form_round_trips_every_field(tab):
    cfg = RunConfig()
    cfg.train.epochs, cfg.data.val_crop, cfg.loss.gan = 7, 128, False
    cfg.model.options = {"num_residual_blocks": 3}
    tab.form.set_config(cfg)
    assert dataclasses.asdict(tab.form.config()) == dataclasses.asdict(cfg)


def test_a_finished_runs_model_appears_in_the_deblur_tab(qtbot, window, make_flat, tmp_path, monkeypatch):
    runs = tmp_path / "runs"  # stands in for the user's runs folder
    monkeypatch.setattr("deblur_desktop.tabs.train.tab.default_runs_dir", lambda: runs)
    monkeypatch.setattr("core.model_library.default_runs_dir", lambda: runs)
    tab = window.train_tab
    configure(tab, make_flat(n=4, size=(64, 80)), "", epochs=1)
    assert tab.setup.run_edit.text() == ""  # automatic folder: <runs>/seed-<time>
    tab.start()
    wait_idle(qtbot, tab)
    (run,) = runs.iterdir()
    assert run.name.startswith("seed-") and (run / "checkpoints" / "best.pt").is_file()
    labels = [window.deblur_tab.options.model.itemText(i) for i in range(window.deblur_tab.options.model.count())]
    assert f"run {run.name} (best)" in labels
    assert "The Deblur tab lists its best model" in tab.log_text()
