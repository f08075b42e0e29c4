"""Modern training options on tiny data: EMA is what is validated and saved, resume stays
exact with EMA + cosine + GAN, accumulation equals a full batch, fine-tuning starts from
a checkpoint, presets, and a short nafnet-s run beats its blurred input."""
import argparse
import math

import numpy as np
import pytest
import torch
from PIL import Image

from core.cli.train_cmd import add_parser, config_from_args
from core.config import ConfigError, LossConfig, ModelConfig, RunConfig, TrainConfig
from core.events import Message, Validated
from core.model_files import export_safetensors
from core.models import build_generator, get_spec
from core.model_files import CheckpointError, load_checkpoint, load_generator
from core.training.loop import Trainer
from core.training.optim import lr_factor
from core.training.presets import preset
from core.training.step import gan_step
from tests.conftest import write_pair


def nafnet_config(root, epochs=2, gan=False) -> RunConfig:
    cfg = preset("best")
    cfg.data.root = str(root)
    cfg.data.crop = 64 if gan else 32
    cfg.loss.gan = gan
    cfg.loss.d_warmup_steps = 1
    t = cfg.train
    t.epochs, t.batch_size, t.log_every, t.device, t.samples = epochs, 2, 1, "cpu", 0
    t.ema_decay, t.warmup_steps = 0.9, 2
    return cfg


@pytest.fixture
def data(make_flat):
    return make_flat(n=5, size=(40, 48))  # 4 train / 1 val -> 2 steps per epoch


def test_ema_is_validated_and_saved_as_the_model(data, tmp_path):
    run = tmp_path / "run"
    events = list(Trainer(nafnet_config(data, epochs=2), run))
    best = load_checkpoint(run / "checkpoints" / "best.pt")
    raw, ema = best["generator_raw"], best["generator"]
    assert any(not torch.equal(raw[k], ema[k]) for k in raw), "EMA weights should lag the raw ones"
    # The figure the run reported for its best epoch is that of the weights best.pt serves
    val = [e for e in events if isinstance(e, Validated) and e.is_best][-1]
    g, cfg = load_generator(run / "checkpoints" / "best.pt")
    trainer = Trainer(cfg, tmp_path / "scratch")
    val_ds = trainer._setup_data()[2]
    loss, psnr, _, _ = trainer._validate(g, get_spec(cfg.model.name), val_ds, torch.device("cpu"), None)
    assert loss == pytest.approx(val.val_loss, rel=1e-5) and psnr == pytest.approx(val.psnr, rel=1e-5)


def test_resume_is_exact_with_ema_cosine_and_gan(data, tmp_path):
    full, part = tmp_path / "full", tmp_path / "part"
    list(Trainer(nafnet_config(data, epochs=2, gan=True), full))
    list(Trainer(nafnet_config(data, epochs=1, gan=True), part))
    resumed = list(Trainer(None, part, resume=True, epochs=2))
    a, b = load_checkpoint(full / "checkpoints" / "last.pt"), load_checkpoint(part / "checkpoints" / "last.pt")
    assert a["global_step"] == b["global_step"] == 4 and a["ema_updates"] == b["ema_updates"] == 4
    for key in ("generator", "generator_raw", "discriminator"):
        for k in a[key]:
            torch.testing.assert_close(a[key][k], b[key][k], rtol=0, atol=1e-6, msg=f"{key}.{k}")
    assert resumed[-1].reason == "completed"


def test_gradient_accumulation_equals_one_batch():
    torch.manual_seed(0)
    g1 = build_generator(ModelConfig(name="nafnet-s"))
    g2 = build_generator(ModelConfig(name="nafnet-s"))
    g2.load_state_dict(g1.state_dict())
    torch.nn.init.normal_(g1.ending[0].weight, std=0.01)  # leave the all-zero start
    g2.load_state_dict(g1.state_dict())
    blur, sharp = torch.rand(4, 3, 32, 32), torch.rand(4, 3, 32, 32)
    cfg = LossConfig(pixel="charbonnier", pixel_weight=1.0, fft_weight=0.1, gan=False)
    grads = []
    for g, accum in ((g1, 1), (g2, 2)):
        opt = torch.optim.SGD(g.parameters(), lr=0.0)  # keep the gradients, change nothing
        gan_step(g, None, opt, None, blur, sharp, cfg, None, torch.device("cpu"), use_gan=False, accum=accum)
        grads.append([p.grad.clone() for p in g.parameters()])
    for a, b in zip(*grads):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-7)


def test_lr_schedule_warms_up_then_follows_a_cosine():
    t = TrainConfig(scheduler="cosine", warmup_steps=10)
    f = [lr_factor(t, s, 110) for s in range(110)]
    assert f[0] == pytest.approx(0.1) and f[9] == pytest.approx(1.0) and f[10] == pytest.approx(1.0)
    assert f[60] == pytest.approx(0.5) and f[-1] < 0.001
    assert all(a >= b for a, b in zip(f[10:], f[11:]))
    assert lr_factor(TrainConfig(), 5, 100) == 1.0  # the report: constant


def test_fine_tuning_starts_from_the_checkpoint(data, tmp_path):
    src = tmp_path / "src"
    list(Trainer(nafnet_config(data, epochs=1), src))
    cfg = nafnet_config(data, epochs=1)
    cfg.train.init_from = str(src / "checkpoints" / "last.pt")
    cfg.train.lr_g = 1e-12  # barely moves: the result must still be the source model
    cfg.train.ema_decay = 0.0
    events = list(Trainer(cfg, tmp_path / "ft"))
    assert any(isinstance(e, Message) and "Fine-tuning from" in e.text for e in events)
    before = load_checkpoint(src / "checkpoints" / "last.pt")["generator"]
    after = load_checkpoint(tmp_path / "ft" / "checkpoints" / "last.pt")["generator"]
    for k in before:
        torch.testing.assert_close(before[k], after[k], rtol=0, atol=1e-6)
    other = nafnet_config(data, epochs=1)
    other.model.name = "seed-plus"
    other.train.init_from = cfg.train.init_from
    with pytest.raises(CheckpointError, match="nafnet-s"):
        list(Trainer(other, tmp_path / "wrong"))


def test_short_nafnet_run_lowers_the_validation_loss(tmp_path):
    # Pairs whose "blur" is also 25% darker: a change a few steps can learn, so the test
    # shows the whole path (data -> loss -> optimiser -> validation) works, quickly.
    rng = np.random.default_rng(3)
    root = tmp_path / "pairs"
    for i in range(5):
        write_pair(root / "blur", root / "sharp", f"p{i}.png", rng, (48, 64))
        p = root / "blur" / f"p{i}.png"
        Image.fromarray((np.asarray(Image.open(p)) * 0.75).astype(np.uint8)).save(p)
    cfg = nafnet_config(root, epochs=3)
    cfg.train.ema_decay, cfg.train.scheduler, cfg.train.lr_g = 0.0, "constant", 2e-3
    vals = [e for e in Trainer(cfg, tmp_path / "run") if isinstance(e, Validated)]
    # the untrained model is the identity, whose validation loss is L1(blur, sharp)
    val_ds = Trainer(cfg, tmp_path / "x")._setup_data()[2]
    identity = sum(float((b - s).abs().mean()) for b, s in (val_ds[i] for i in range(len(val_ds)))) / len(val_ds)
    assert vals[-1].val_loss < 0.8 * identity, (identity, [v.val_loss for v in vals])


def test_presets_and_bad_settings():
    ap = argparse.ArgumentParser()
    add_parser(ap.add_subparsers())
    report = config_from_args(ap.parse_args(["train", "--preset", "report"]))
    assert report.to_dict() == RunConfig().to_dict()
    best = config_from_args(ap.parse_args(["train", "--preset", "best", "--ema", "0.99", "--gan-loss", "hinge"]))
    assert best.model.name == "nafnet-s" and best.train.ema_decay == 0.99 and best.loss.adversarial == "hinge"
    assert not best.loss.gan and config_from_args(ap.parse_args(["train", "--preset", "best", "--gan"])).loss.gan
    for section, name, value, message in (("train", "optimizer", "sgd", "optimizer"),
                                          ("loss", "adversarial", "wgan", "adversarial"),
                                          ("train", "grad_accum", 9, "grad_accum"),
                                          ("train", "init_from", "/no/such.pt", "init_from")):
        cfg = RunConfig()
        setattr(getattr(cfg, section), name, value)
        with pytest.raises(ConfigError, match=message):
            Trainer(cfg, "unused")


def test_fine_tuning_with_a_new_seed_keeps_the_parent_split(make_flat, tmp_path):
    # New crops and blur (train.seed) must not move photos between the held-apart
    # split and training, or a fine-tuned model would be validated on photos it saw.
    root = make_flat(n=8, size=(40, 48))

    def val_names(seed, val_seed=None):
        cfg = nafnet_config(root)
        cfg.data.val_fraction, cfg.train.seed, cfg.data.val_seed = 0.25, seed, val_seed
        return sorted(p.name for p in Trainer(cfg, tmp_path / "x")._setup_data()[2].pairs)

    parent = val_names(0)
    assert any(val_names(s) != parent for s in range(1, 6)), "the split should follow train.seed by default"
    assert all(val_names(s, val_seed=0) == parent for s in range(1, 6))


def test_repeat_draws_several_crops_per_photo_each_epoch(data, tmp_path):
    cfg = nafnet_config(data, epochs=1)
    cfg.data.repeat = 3
    trainer = Trainer(cfg, tmp_path / "run")
    _, train_ds, val_ds = trainer._setup_data()
    n = len(train_ds.pairs)
    assert len(train_ds) == 3 * n and len(val_ds) == len(val_ds.pairs)  # validation is not repeated
    train_ds.set_epoch(1)
    a, b = train_ds[0], train_ds[n]  # the same photo, two different crops
    assert train_ds.name(0) == train_ds.name(n) and not torch.equal(a[0], b[0])
    events = list(trainer)
    started = next(e for e in events if type(e).__name__ == "RunStarted")
    assert started.train_images == n and started.steps_per_epoch == math.ceil(3 * n / cfg.train.batch_size)
    cfg.data.repeat = 0
    with pytest.raises(ConfigError, match="repeat"):
        Trainer(cfg, tmp_path / "bad")


def test_fine_tuning_from_a_safetensors_model(data, tmp_path):
    src = tmp_path / "src"
    list(Trainer(nafnet_config(data, epochs=1), src))
    model = export_safetensors(src / "checkpoints" / "last.pt", tmp_path / "model.safetensors")
    cfg = nafnet_config(data, epochs=1)
    cfg.train.init_from, cfg.train.lr_g, cfg.train.ema_decay = str(model), 1e-12, 0.0
    list(Trainer(cfg, tmp_path / "ft"))
    before = load_checkpoint(src / "checkpoints" / "last.pt")["generator"]
    after = load_checkpoint(tmp_path / "ft" / "checkpoints" / "last.pt")["generator"]
    for k in before:
        torch.testing.assert_close(before[k], after[k], rtol=0, atol=1e-6)
    broken = tmp_path / "broken.safetensors"
    broken.write_bytes(b"not a model")
    cfg.train.init_from = str(broken)
    with pytest.raises(CheckpointError, match="broken.safetensors"):
        list(Trainer(cfg, tmp_path / "ft2"))


def test_keep_every_keeps_mid_run_weights(data, tmp_path):
    """A cosine run's mid-run weights can be worth shipping or averaging: keep_every N keeps
    checkpoints/epoch-NNNN.pt, and epoch 2's is what a run stopped after epoch 2 saved."""
    cfg = nafnet_config(data, epochs=3)
    cfg.train.keep_every = 2
    events = list(Trainer(cfg, tmp_path / "full"))
    kept = sorted(p.name for p in (tmp_path / "full" / "checkpoints").glob("epoch-*.pt"))
    assert kept == ["epoch-0002.pt"]
    assert [(e.kind, e.epoch) for e in events if getattr(e, "kind", None) == "snapshot"] == [("snapshot", 2)]
    short = nafnet_config(data, epochs=3)
    part = Trainer(short, tmp_path / "part")
    for e in part:  # the same 3-epoch schedule, stopped once epoch 2 is saved
        if getattr(e, "kind", None) == "last" and e.epoch == 2:
            part.request_stop()
    a = load_checkpoint(tmp_path / "full" / "checkpoints" / "epoch-0002.pt")
    b = load_checkpoint(tmp_path / "part" / "checkpoints" / "last.pt")
    assert a["epoch"] == b["epoch"] == 2 and a["config"].train.keep_every == 2
    for k in a["generator"]:
        torch.testing.assert_close(a["generator"][k], b["generator"][k], rtol=0, atol=1e-6)
