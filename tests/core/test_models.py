"""Every registered generator keeps any image size; the NAFNet family and PatchGAN train."""
import pytest
import torch

from core.config import ModelConfig
from core.models import REGISTRY, build_discriminator, build_generator, get_spec, run_generator
from core.models.blocks import LayerNorm2d


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_generator_keeps_odd_sizes(name):
    torch.manual_seed(0)
    g = build_generator(ModelConfig(name=name)).eval()
    x = torch.rand(1, get_spec(name).input_channels, 37, 53)  # the refiner takes blurred + deconvolved
    with torch.inference_mode():
        y = run_generator(g, get_spec(name), x)
    assert y.shape == (1, 3, 37, 53) and torch.isfinite(y).all()
    if get_spec(name).value_range == "unit":  # these models also take odd sizes directly
        with torch.inference_mode():
            assert g(x).shape == y.shape


def test_nafnet_starts_as_identity_and_trains_a_step():
    # Zero-initialised last conv and branch scales + global residual: an untrained model
    # returns its input, so training starts from the blurred image rather than from noise.
    torch.manual_seed(0)
    cfg = ModelConfig(name="nafnet-s")
    g, d = build_generator(cfg), build_discriminator(cfg)
    x = torch.rand(2, 3, 32, 32)
    torch.testing.assert_close(g(x), x, atol=1e-6, rtol=0)
    target = x * 0.5 + 0.1  # a learnable change of the input
    opt = torch.optim.Adam(g.parameters(), lr=1e-3)
    before = (g(x) - target).abs().mean().item()
    for _ in range(3):
        loss = (g(x) - target).abs().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert (g(x) - target).abs().mean().item() < 0.9 * before
    d(g(x), logits=True).mean().backward()  # the discriminator back-propagates into G
    assert g.intro[1].weight.grad is not None


def test_patch_discriminator_probabilities_and_logits():
    d = build_discriminator(ModelConfig(name="nafnet-s", options={"discriminator": {"spectral_norm": True}}))
    d.eval()  # in train mode each call runs one more spectral-norm power iteration
    x = torch.rand(2, 3, 64, 64)
    logits, probs = d(x, logits=True), d(x)
    assert logits.shape[:2] == (2, 1) and logits.shape[-1] > 1  # one logit per patch
    torch.testing.assert_close(probs, torch.sigmoid(logits))


def test_layernorm2d_normalises_channels_in_both_memory_formats():
    x = torch.randn(2, 8, 5, 7) * 3 + 1
    ln = LayerNorm2d(8)
    for t in (x, x.contiguous(memory_format=torch.channels_last)):
        y = ln(t)
        torch.testing.assert_close(y.mean(1), torch.zeros(2, 5, 7), atol=1e-5, rtol=0)
        torch.testing.assert_close(y.var(1, unbiased=False), torch.ones(2, 5, 7), atol=1e-3, rtol=0)
