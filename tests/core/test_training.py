"""The report's GAN trains, logs in the report's format, checkpoints and resumes exactly."""
import json
import re

import pytest
import torch

from core.config import RunConfig
from core.events import CheckpointSaved, Finished, RunStarted, Step, Validated
from core.model_files import CheckpointError, load_checkpoint, load_generator
from core.training.loop import Trainer

STEP_LINE = re.compile(r"^Epoch \[\d+/\d+\], Step \[\d+/\d+\], D Loss: \d+\.\d{4}, G Loss: \d+\.\d{4}$")
VAL_LINE = re.compile(r"^Epoch \[\d+/\d+\] Validation Loss: \d+\.\d{4}")


def tiny_config(root, epochs=3) -> RunConfig:
    cfg = RunConfig()
    cfg.data.root = str(root)
    cfg.data.crop = 64
    cfg.train.epochs = epochs
    cfg.train.batch_size = 2
    cfg.train.log_every = 2
    cfg.train.device = "cpu"
    return cfg


def gen_weights(path):
    return load_checkpoint(path)["generator"]


def assert_same_weights(a, b):
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=0, atol=1e-6, msg=k)


@pytest.fixture
def data(make_gopro):
    # 3 train scenes x 3 frames: one scene is held apart for validation -> 6 train images,
    # 3 steps per epoch at batch 2; the test split is left for evaluation.
    return make_gopro(scenes=3, per_scene=3)


def test_two_epochs_log_validate_and_checkpoint(data, tmp_path):
    run = tmp_path / "run"
    events = list(Trainer(tiny_config(data, epochs=2), run))
    started = events[0] if isinstance(events[0], RunStarted) else events[1]
    assert isinstance(started, RunStarted) and started.steps_per_epoch == 3
    assert started.train_images == 6 and started.val_images == 3
    steps = [e for e in events if isinstance(e, Step)]
    # logged every 2 steps from step 1, as the report logs steps 1, 6, 11... every 5
    assert [(s.epoch, s.step) for s in steps] == [(1, 1), (1, 3), (2, 1), (2, 3)]
    assert all(STEP_LINE.match(str(s)) for s in steps), [str(s) for s in steps]
    vals = [e for e in events if isinstance(e, Validated)]
    assert [v.epoch for v in vals] == [1, 2]
    assert all(VAL_LINE.match(str(v)) for v in vals)
    assert all(v.val_loss > 0 and v.psnr > 0 and 0 < v.ssim <= 1 for v in vals)
    kinds = [e.kind for e in events if isinstance(e, CheckpointSaved)]
    assert kinds.count("last") == 2 and kinds.count("best") >= 1
    assert isinstance(events[-1], Finished) and events[-1].reason == "completed"

    # the run folder: config, the printed log lines, metrics of every logged step and epoch
    assert RunConfig.load(run / "config.json") == tiny_config(data, epochs=2)
    log = (run / "log.txt").read_text().splitlines()
    assert sum(bool(STEP_LINE.match(line)) for line in log) == 4
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["event"] for r in records].count("Step") == 4
    assert [r["val_loss"] for r in records if r["event"] == "Validated"] == [v.val_loss for v in vals]

    # best is the epoch with the lowest validation loss, and rebuilds from the file alone
    best_epoch = min(vals, key=lambda v: v.val_loss).epoch
    assert load_checkpoint(run / "checkpoints" / "best.pt")["epoch"] == best_epoch
    g, cfg = load_generator(run / "checkpoints" / "best.pt")
    assert cfg.model.name == "seed" and not g.training


def test_steps_carry_the_runs_eta_once_a_step_is_timed(data, tmp_path):
    cfg = tiny_config(data, epochs=3)
    cfg.train.log_every = 1
    cfg.model.options = {"num_residual_blocks": 1}
    steps = [e for e in Trainer(cfg, tmp_path / "run") if isinstance(e, Step)]
    assert len(steps) == 9 and steps[0].eta_s is None  # the session's first step is warm-up
    etas = [s.eta_s for s in steps[1:]]
    assert all(e is not None and e > 0 for e in etas), etas
    # decreasing on average: the later half of the run has less left than the earlier half
    half = len(etas) // 2
    assert sum(etas[half:]) / (len(etas) - half) < sum(etas[:half]) / half, etas
    assert etas[-1] < max(etas[:3])
    assert STEP_LINE.match(str(steps[1]))  # the log line (log.txt) stays the report's; the terminal adds the ETA
    from core.cli.train_cmd import printed

    assert printed(steps[0]) == str(steps[0])
    assert re.fullmatch(re.escape(str(steps[1])) + r" \| ETA \d+:\d\d:\d\d", printed(steps[1]))


def test_run_eta_leaves_out_warm_up_and_holds_and_counts_epoch_ends():
    from core.training.eta import RunEta

    now = [0.0]
    eta = RunEta(clock=lambda: now[0])
    now[0] = 30.0  # the first step: compilation, autotuning, workers starting
    eta.step_done(1)
    assert eta.eta(1, 20, 2) is None
    now[0] += 2.0
    eta.step_done(2)
    now[0] += 2.0
    eta.step_done(3)
    assert eta.eta(3, 20, 2) == pytest.approx(2.0 * 17)  # no epoch end timed yet: steps alone
    eta.held(100.0)  # paused in the app at a yield: not the run's time
    now[0] += 100.0 + 2.0
    eta.step_done(4)
    eta.epoch_end_begins()
    now[0] += 10.0  # validation, samples, checkpoints
    eta.epoch_end_done()
    assert eta.eta(4, 20, 1) == pytest.approx(2.0 * 16 + 10.0)


def test_resume_equals_uninterrupted(data, tmp_path):
    full = tmp_path / "full"
    list(Trainer(tiny_config(data), full))

    # Stop after epoch 2's validation, then resume to finish epoch 3.
    part = tmp_path / "part"
    trainer = Trainer(tiny_config(data), part)
    for ev in trainer:
        if isinstance(ev, Validated) and ev.epoch == 2:
            trainer.request_stop()
    assert ev.reason == "stopped" and ev.epoch == 2
    assert load_checkpoint(part / "checkpoints" / "last.pt")["epoch"] == 2
    resumed = list(Trainer(None, part, resume=True))
    assert resumed[0].resumed and resumed[0].start_epoch == 3
    assert [e.epoch for e in resumed if isinstance(e, Validated)] == [3]
    assert_same_weights(gen_weights(full / "checkpoints" / "last.pt"), gen_weights(part / "checkpoints" / "last.pt"))
    full_ck, part_ck = load_checkpoint(full / "checkpoints" / "last.pt"), load_checkpoint(part / "checkpoints" / "last.pt")
    assert_same_weights(full_ck["discriminator"], part_ck["discriminator"])
    assert full_ck["global_step"] == part_ck["global_step"] == 9


def test_stop_mid_epoch_resumes_at_the_same_step(data, tmp_path):
    cfg = tiny_config(data, epochs=2)
    cfg.model.options = {"num_residual_blocks": 1}  # smaller, same code path: keeps CI quick
    full = tmp_path / "full"
    list(Trainer(cfg, full))
    part = tmp_path / "part"
    trainer = Trainer(cfg, part)
    for ev in trainer:
        if isinstance(ev, Step) and (ev.epoch, ev.step) == (2, 1):
            trainer.request_stop()
    assert ev.reason == "stopped"
    ck = load_checkpoint(part / "checkpoints" / "last.pt")
    assert (ck["epoch"], ck["step"]) == (2, 1)
    list(Trainer(None, part, resume=True))
    assert_same_weights(gen_weights(full / "checkpoints" / "last.pt"), gen_weights(part / "checkpoints" / "last.pt"))


def test_resume_without_checkpoint_and_corrupt_checkpoint_are_clear(tmp_path):
    with pytest.raises(CheckpointError, match="last.pt.*file not found"):
        Trainer(None, tmp_path / "nothing", resume=True)
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint at all")
    with pytest.raises(CheckpointError, match="bad.pt: not a readable checkpoint"):
        load_checkpoint(bad)
    torch.save({"weights": torch.zeros(1)}, tmp_path / "other.pt")
    with pytest.raises(CheckpointError, match="not a Deblur Studio checkpoint"):
        load_checkpoint(tmp_path / "other.pt")


def test_checkpoint_of_another_architecture_is_refused(data, tmp_path):
    run = tmp_path / "run"
    cfg = tiny_config(data, epochs=1)
    cfg.model.options = {"num_residual_blocks": 1}
    list(Trainer(cfg, run))
    ck = load_checkpoint(run / "checkpoints" / "last.pt")
    from core.models import build_generator
    from core.model_files import load_state
    from core.config import ModelConfig

    with pytest.raises(CheckpointError, match="do not fit this architecture"):
        load_state(build_generator(ModelConfig("seed")), ck["generator"], run / "x.pt", "generator")
