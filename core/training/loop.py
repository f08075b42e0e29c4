"""The training loop: an object you iterate for events, and stop cooperatively.

    trainer = Trainer(cfg, run_dir)
    for event in trainer:          # RunStarted, Step, Validated, Sample, CheckpointSaved, Finished
        print(event)               # the report's log lines
    trainer.request_stop()         # from any thread: checkpoint, then Finished("stopped")

The run folder's layout (config, log, metrics, checkpoints) is core.run_folder.RunFolder's.
"""
from __future__ import annotations

import json
import math
import threading
import time
from pathlib import Path
from typing import Iterator

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

from core.config import ConfigError, RunConfig
from core.data.dataset import PairDataset, epoch_order, split_train_val
from core.data.imageio import to_uint8
from core.data.pairs import DataError, discover
from core.device import amp_dtype, autocast, describe_device, pick_device, seed_everything
from core.events import CheckpointSaved, Event, Finished, Message, RunStarted, Sample, Step, Validated
from core.metrics import finite_mean, psnr, ssim
from core.models import build_discriminator, build_generator, get_spec, run_generator
from core.run_folder import RunFolder
from core.model_files import CheckpointError, ModelLoadError, load_checkpoint, load_state, read_safetensors, save_checkpoint
from core.losses import ADVERSARIAL_LOSSES, PIXEL_LOSSES
from core.training import distributed as ddp
from core.training.ema import EMA
from core.training.eta import RunEta
from core.training.optim import OPTIMIZERS, SCHEDULERS, lr_factor, make_optimizer, set_lr
from core.training.step import gan_step


def check_config(cfg: RunConfig) -> None:
    """Refuse settings that cannot work, naming the setting (in the message, and as the
    error's `key` for a form to point at)."""
    get_spec(cfg.model.name)
    t, d = cfg.train, cfg.data
    if t.epochs < 1:
        raise ConfigError(f"epochs must be at least 1 (got {t.epochs})", key="train.epochs")
    if t.batch_size < 1:
        raise ConfigError(f"batch size must be at least 1 (got {t.batch_size})", key="train.batch_size")
    if t.log_every < 1:
        raise ConfigError(f"log_every must be at least 1 (got {t.log_every})", key="train.log_every")
    if d.crop and cfg.loss.gan and d.crop < 64:
        raise ConfigError(f"crop must be at least 64 px with the GAN on: the discriminator "
                          f"downsamples 16x and ends in a 4x4 conv (got {d.crop})", key="data.crop")
    if not 0 < d.val_fraction < 1:
        raise ConfigError(f"val_fraction must be between 0 and 1 (got {d.val_fraction})", key="data.val_fraction")
    if d.repeat < 1:
        raise ConfigError(f"repeat (crops per photo per epoch) must be at least 1 (got {d.repeat})",
                          key="data.repeat")
    for name in ("lr_g", "lr_d"):
        if getattr(t, name) <= 0:
            raise ConfigError(f"{name} must be positive (got {getattr(t, name)})", key=f"train.{name}")
    for what, key, value, allowed in (("optimizer", "train.optimizer", t.optimizer, OPTIMIZERS),
                                      ("scheduler", "train.scheduler", t.scheduler, SCHEDULERS),
                                      ("pixel loss", "loss.pixel", cfg.loss.pixel, PIXEL_LOSSES),
                                      ("adversarial loss", "loss.adversarial", cfg.loss.adversarial,
                                       ADVERSARIAL_LOSSES)):
        if value not in allowed:
            raise ConfigError(f"unknown {what} {value!r} (choose from {', '.join(allowed)})", key=key)
    if not 0 <= t.ema_decay < 1:
        raise ConfigError(f"ema_decay must be in [0, 1) (got {t.ema_decay})", key="train.ema_decay")
    if not 1 <= t.grad_accum <= t.batch_size:
        raise ConfigError(f"grad_accum must be between 1 and the batch size {t.batch_size} (got {t.grad_accum})",
                          key="train.grad_accum")
    if t.init_from and not Path(t.init_from).is_file():
        raise ConfigError(f"init_from: {t.init_from}: checkpoint or model file not found", key="train.init_from")


class Trainer:
    def __init__(self, cfg: RunConfig | None, run_dir: str | Path, resume: bool = False,
                 epochs: int | None = None, device: str | None = None):
        """`resume=True` continues `run_dir` from checkpoints/last.pt with the run's own
        config (cfg may be None); `epochs` and `device` may still be changed."""
        self.run_dir = Path(run_dir)
        self.folder = RunFolder(run_dir)
        self.resume = resume
        self._ckpt = None
        if resume:
            try:
                self._ckpt = load_checkpoint(self.folder.last)
            except CheckpointError as e:
                raise CheckpointError(e.path, f"cannot resume: {e.problem}") from None
            cfg = self._ckpt["config"]
        if cfg is None:
            raise ConfigError("a config is needed to start a new run")
        if epochs is not None:
            cfg.train.epochs = epochs
        if device is not None:
            cfg.train.device = device
        check_config(cfg)
        self.cfg = cfg
        self._stop = threading.Event()
        self._save_now = threading.Event()

    # Commands, safe to call from any thread; handled between steps.
    def request_stop(self) -> None:
        self._stop.set()

    def request_save(self) -> None:
        self._save_now.set()

    def __iter__(self) -> Iterator[Event]:
        return self.run()

    # ------------------------------------------------------------------------------
    def _setup_data(self):
        cfg = self.cfg
        pairset = discover(cfg.data.root)
        if not pairset.pairs:
            detail = "; ".join(str(p) for p in pairset.problems[:5])
            raise DataError(f"{cfg.data.root}: no usable image pairs found"
                            + (f" ({detail})" if detail else
                               " (expected blur/ and sharp/ folders, a GoPro tree or RealBlur lists)"))
        if pairset.layout == "sharp-only" and not cfg.data.synthetic:
            raise DataError(f"{cfg.data.root}: holds only sharp photos (no blur/ and sharp/ folders); "
                            f"train with synthetic blur (--synthetic) or give a paired folder")
        val_seed = cfg.train.seed if cfg.data.val_seed is None else cfg.data.val_seed
        train, val = split_train_val(pairset, cfg.data.val_fraction, val_seed)
        if cfg.data.val_max_images:
            val = val[: cfg.data.val_max_images]
        aware = get_spec(cfg.model.name).kernel_aware
        train_ds = PairDataset(train, cfg.data, True, cfg.train.seed, kernel_aware=aware)
        val_ds = PairDataset(val, cfg.data, False, cfg.train.seed, kernel_aware=aware)
        train_ds.preload()  # small sharp-only folders: decode once, not for every crop
        return pairset, train_ds, val_ds

    def run(self) -> Iterator[Event]:
        """Events of the run; under torchrun only rank 0 reports (the others train silently)."""
        info, device_name = ddp.setup(self.cfg.train.device)
        if info.enabled and self.cfg.train.batch_size < info.world_size:
            raise ConfigError(f"batch size {self.cfg.train.batch_size} is the global batch: it must be at least "
                              f"the number of processes ({info.world_size})")
        pace = RunEta()  # Step.eta_s; the time the consumer holds us at a yield is not the run's
        try:
            for ev in self._run(info, device_name, pace):
                if info.is_main:
                    held = time.perf_counter()
                    yield ev
                    pace.held(time.perf_counter() - held)
        finally:
            ddp.teardown()

    def _run(self, info: ddp.DistInfo, device_name: str, pace: RunEta) -> Iterator[Event]:
        cfg, t = self.cfg, self.cfg.train
        ckpt = self._ckpt
        pairset, train_ds, val_ds = self._setup_data()
        dev = pick_device(device_name)
        amp = amp_dtype(dev, t.amp)
        seed_everything(t.seed)
        spec = get_spec(cfg.model.name)
        g = build_generator(cfg.model).to(dev)
        use_gan = cfg.loss.gan
        d = build_discriminator(cfg.model).to(dev) if use_gan else None
        if t.channels_last:
            g = g.to(memory_format=torch.channels_last)
            d = d.to(memory_format=torch.channels_last) if d is not None else None
        opt_g = make_optimizer(t, g, t.lr_g)
        opt_d = make_optimizer(t, d, t.lr_d) if d is not None else None
        scaler = torch.amp.GradScaler("cuda") if amp == torch.float16 else None
        notes = []

        steps = math.ceil(len(train_ds) / t.batch_size)
        epoch, done_steps, global_step = 1, 0, 0
        best_val, best_epoch = math.inf, 0
        if ckpt is not None:
            # With EMA on, "generator" holds the averaged weights (the model every tool
            # loads) and "generator_raw" the weights being trained.
            load_state(g, ckpt.get("generator_raw", ckpt["generator"]), self.folder.last, "generator")
            if d is not None and "discriminator" in ckpt:
                load_state(d, ckpt["discriminator"], self.folder.last, "discriminator")
                opt_d.load_state_dict(ckpt["opt_d"])
            opt_g.load_state_dict(ckpt["opt_g"])
            if scaler is not None and ckpt.get("scaler"):
                scaler.load_state_dict(ckpt["scaler"])
            torch.set_rng_state(ckpt["torch_rng"])
            epoch, done_steps, global_step = ckpt["epoch"], ckpt["step"], ckpt["global_step"]
            best_val, best_epoch = ckpt["best_val"], ckpt["best_epoch"]
            if done_steps >= steps:  # that epoch was finished and validated
                epoch, done_steps = epoch + 1, 0
        elif t.init_from:
            notes.append(self._init_from(Path(t.init_from), g, d))
        ema = None
        if t.ema_decay > 0:
            ema = EMA(g, t.ema_decay, updates=ckpt.get("ema_updates", global_step) if ckpt is not None else 0)
            if ckpt is not None and "generator_raw" in ckpt:
                load_state(ema.model, ckpt["generator"], self.folder.last, "EMA generator")
        g_eval = ema.model if ema is not None else g  # what is validated and saved as the model
        g_train, d_train = g, d
        if info.enabled:  # after loading: DDP broadcasts rank 0's weights when it wraps
            g_train = ddp.wrap(g, dev)
            d_train = ddp.wrap(d, dev) if d is not None else None
            if dev.type != "cuda" and any(isinstance(m, torch.nn.BatchNorm2d) for m in g.modules()):
                notes.append("BatchNorm statistics stay per process on CPU (SyncBatchNorm needs GPUs)")
        g_train = torch.compile(g_train) if t.compile else g_train
        total_steps = t.epochs * steps
        adv_warmup = cfg.loss.d_warmup_steps

        log = metrics = None
        if info.is_main:  # only rank 0 writes the run folder
            self.run_dir.mkdir(parents=True, exist_ok=True)
            cfg.save(self.folder.config)
            log = self.folder.log.open("a", encoding="utf-8")
            metrics = self.folder.metrics.open("a", encoding="utf-8")

        def emit(ev: Event) -> Event:
            if log is not None and not isinstance(ev, Sample):
                log.write(f"{ev}\n")
                log.flush()
            if metrics is not None and isinstance(ev, (Step, Validated, CheckpointSaved, Finished)):
                metrics.write(json.dumps(ev.to_record()) + "\n")
                metrics.flush()
            return ev

        def save(kind: str, path: Path, ep: int, st: int) -> Iterator[Event]:
            if not info.is_main:
                return
            state = dict(epoch=ep, step=st, global_step=global_step, best_val=best_val,
                         best_epoch=best_epoch, opt_g=opt_g.state_dict(), torch_rng=torch.get_rng_state(),
                         scaler=scaler.state_dict() if scaler is not None else {})
            if d is not None:
                state.update(discriminator=d.state_dict(), opt_d=opt_d.state_dict())
            if ema is not None:
                state.update(generator_raw=g.state_dict(), ema_updates=ema.updates)
            save_checkpoint(path, cfg, g_eval, **state)
            yield emit(CheckpointSaved(str(path), kind, ep, global_step))

        try:
            skipped = [p for p in pairset.problems if not p.warning]
            for p in (p for p in pairset.problems if p.warning):  # usable data, maybe not what was meant
                yield emit(Message("warning", str(p)))
            if skipped:
                yield emit(Message("warning", f"{len(skipped)} file(s) skipped: "
                                   + "; ".join(str(p) for p in skipped[:3])))
            for note in notes:
                yield emit(Message("info", note))
            where = describe_device(dev) + (f" x {info.world_size} processes" if info.enabled else "")
            yield emit(RunStarted(str(self.run_dir), cfg.model.name, where, t.epochs, steps,
                                  epoch, len(train_ds.pairs), len(val_ds), resumed=ckpt is not None))
            t0 = time.perf_counter()
            while epoch <= t.epochs:
                train_ds.set_epoch(epoch)
                order = epoch_order(len(train_ds), epoch, t.seed)
                batches = [order[i:i + t.batch_size] for i in range(0, len(order), t.batch_size)]
                if info.enabled:  # each rank takes its slice of every global batch
                    batches = [ddp.shard(b, info, order) for b in batches]
                loader = DataLoader(train_ds, batch_sampler=batches[done_steps:], num_workers=cfg.data.num_workers,
                                    pin_memory=dev.type == "cuda")
                g.train()
                if d is not None:
                    d.train()
                tick, seen = time.perf_counter(), 0
                for step, (blur, sharp) in enumerate(loader, start=done_steps + 1):
                    blur = spec.to_model(blur.to(dev, non_blocking=True))
                    sharp = spec.to_model(sharp.to(dev, non_blocking=True))
                    if t.channels_last:
                        blur, sharp = blur.contiguous(memory_format=torch.channels_last), sharp.contiguous(memory_format=torch.channels_last)
                    factor = lr_factor(t, global_step, total_steps)
                    set_lr(opt_g, t.lr_g, factor)
                    set_lr(opt_d, t.lr_d, factor)
                    losses = gan_step(g_train, d_train, opt_g, opt_d, blur, sharp, cfg.loss, amp, dev, scaler,
                                      use_gan=use_gan, adv_on=global_step >= adv_warmup, to01=spec.from_model,
                                      grad_clip=t.grad_clip, accum=t.grad_accum)
                    if ema is not None:
                        ema.update(g)
                    global_step += 1
                    seen += blur.shape[0] * info.world_size
                    done_steps = step
                    pace.step_done(global_step)
                    if (step - 1) % t.log_every == 0:
                        now = time.perf_counter()
                        d_val = float(losses.d) if losses.d is not None else 0.0
                        local = (d_val, float(losses.g), float(losses.pixel))
                        d_val, g_val, pix_val = ddp.mean_over_ranks(list(local), dev) if info.enabled else local
                        yield emit(Step(epoch, t.epochs, step, steps, global_step,
                                        d_val if losses.d is not None else None, g_val, pix_val,
                                        opt_g.param_groups[0]["lr"], seen / max(now - tick, 1e-9), now - t0,
                                        pace.eta(global_step, total_steps, t.epochs - epoch + 1)))
                        tick, seen = now, 0
                    if info.enabled:  # a request that reached one process applies to all
                        save_now, stop = ddp.any_rank(self._save_now.is_set(), self._stop.is_set(), dev=dev)
                        if save_now:
                            self._save_now.set()
                        if stop:
                            self._stop.set()
                    if self._save_now.is_set():
                        self._save_now.clear()
                        yield from save("manual", self.folder.last, epoch, step)
                    if self._stop.is_set() and step < steps:
                        yield from save("last", self.folder.last, epoch, step)
                        yield emit(Finished("stopped", epoch, global_step, best_epoch,
                                            None if best_val == math.inf else best_val, str(self.run_dir)))
                        return

                pace.epoch_end_begins()
                if info.is_main:  # the other ranks wait at the barrier below
                    val_loss, p, s, samples = self._validate(g_eval, spec, val_ds, dev, amp)
                    is_best = val_loss < best_val
                    if is_best:
                        best_val, best_epoch = val_loss, epoch
                    yield emit(Validated(epoch, t.epochs, val_loss, p, s, is_best, best_epoch, len(val_ds)))
                    if samples:
                        yield Sample(epoch, samples)
                    if is_best:
                        yield from save("best", self.folder.best, epoch, steps)
                    yield from save("last", self.folder.last, epoch, steps)
                    if t.keep_every and epoch % t.keep_every == 0:
                        yield from save("snapshot", self.folder.epoch_checkpoint(epoch), epoch, steps)
                if info.enabled:
                    torch.distributed.barrier()
                    if ddp.any_rank(self._stop.is_set(), dev=dev)[0]:
                        self._stop.set()
                pace.epoch_end_done()
                epoch, done_steps = epoch + 1, 0
                if self._stop.is_set() and epoch <= t.epochs:
                    yield emit(Finished("stopped", epoch - 1, global_step, best_epoch, best_val, str(self.run_dir)))
                    return
            yield emit(Finished("completed", t.epochs, global_step, best_epoch,
                                None if best_val == math.inf else best_val, str(self.run_dir)))
        finally:
            for f in (log, metrics):
                if f is not None:
                    f.close()

    def _init_from(self, path: Path, g, d) -> str:
        """Fine-tuning: the checkpoint's generator (its saved model, the EMA one when it
        had EMA) must fit this architecture; its discriminator is taken when it fits.
        A .safetensors export (e.g. the shipped default model) gives the generator alone."""
        if path.suffix == ".safetensors":
            try:
                src_cfg, state = read_safetensors(path)
            except ModelLoadError as e:
                raise CheckpointError(path, e.problem) from None
            src = {"config": src_cfg, "generator": state}
        else:
            src = load_checkpoint(path)
        if src["config"].model.name != self.cfg.model.name:
            raise CheckpointError(path, f"holds a {src['config'].model.name!r} model, this run trains "
                                        f"{self.cfg.model.name!r}")
        load_state(g, src["generator"], path, "generator")
        took_d = False
        if d is not None and "discriminator" in src:
            try:
                load_state(d, src["discriminator"], path, "discriminator")
                took_d = True
            except CheckpointError:
                pass  # a different D (e.g. spectral norm on): it learns from scratch
        return f"Fine-tuning from {path} (generator{' and discriminator' if took_d else ''})"

    @torch.inference_mode()
    def _validate(self, g, spec, val_ds: PairDataset, dev, amp):
        """Whole images, batch 1, eval mode: L1 in the model's value range (as the
        training loss, so the report's figure is comparable) plus PSNR/SSIM on 8-bit RGB."""
        g.eval()
        losses, psnrs, ssims, samples = [], [], [], []
        for i in range(len(val_ds)):
            blur, sharp = val_ds[i]
            blur, sharp = blur[None].to(dev), sharp[None].to(dev)
            with autocast(dev, amp):
                out = run_generator(g, spec, blur).float()
            losses.append(float(F.l1_loss(spec.to_model(out), spec.to_model(sharp))))
            o8 = to_uint8(out[0].permute(1, 2, 0).cpu().numpy())
            s8 = to_uint8(sharp[0].permute(1, 2, 0).cpu().numpy())
            psnrs.append(psnr(o8, s8))
            ssims.append(ssim(o8, s8))
            if i < self.cfg.train.samples:
                # blurred | (deconvolved, for a kernel-aware model) | generated | sharp
                inputs = [to_uint8(blur[0, c:c + 3].permute(1, 2, 0).cpu().numpy()) for c in range(0, blur.shape[1], 3)]
                samples.append((*inputs, o8, s8))
        g.train()
        return float(np.mean(losses)), finite_mean(psnrs), float(np.mean(ssims)), samples
