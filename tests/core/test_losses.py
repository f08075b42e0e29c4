"""Every loss is zero (or minimal) on identical images, finite on random ones, and
points the right way; adversarial losses reward the side they should."""
import pytest
import torch

from core.losses import (ADVERSARIAL_LOSSES, PIXEL_LOSSES, d_loss, fft_loss, g_adv_loss, pixel_loss,
                         psnr_loss, ssim, ssim_loss)

torch.manual_seed(0)
X = torch.rand(2, 3, 24, 20)
Y = torch.rand(2, 3, 24, 20)


@pytest.mark.parametrize("kind", PIXEL_LOSSES)
def test_pixel_losses_minimal_on_identical_and_grow_with_error(kind):
    same = pixel_loss(kind, X, X)
    near = pixel_loss(kind, X + 0.01, X)
    far = pixel_loss(kind, Y, X)
    assert torch.isfinite(same) and torch.isfinite(far)
    assert same < near < far
    if kind in ("l1", "mse"):
        assert same == 0
    elif kind == "charbonnier":
        assert same == pytest.approx(1e-3)  # sqrt(eps)
    else:
        assert same == pytest.approx(-8.0)  # log10(1e-8): PSNR loss is capped, not -inf


def test_psnr_loss_is_minus_psnr_over_ten():
    target = torch.zeros(1, 3, 8, 8)
    pred = torch.full_like(target, 0.1)  # MSE 0.01 -> PSNR 20 dB
    assert psnr_loss(pred, target).item() == pytest.approx(-2.0, abs=1e-5)


def test_fft_loss_zero_on_identical_and_sees_blur():
    assert fft_loss(X, X) == 0
    blurred = torch.nn.functional.avg_pool2d(X, 3, 1, 1, count_include_pad=False)
    assert fft_loss(blurred, X) > 0 and torch.isfinite(fft_loss(Y, X))


def test_ssim_one_on_identical_and_falls_with_noise():
    assert ssim(X, X).item() == pytest.approx(1.0, abs=1e-5)
    assert ssim_loss(X, X).item() == pytest.approx(0.0, abs=1e-5)
    noisy = [ssim(X, (X + s * torch.randn_like(X)).clamp(0, 1)).item() for s in (0.02, 0.1, 0.3)]
    assert noisy[0] > noisy[1] > noisy[2]
    x = X.clone().requires_grad_(True)
    ssim_loss(x, Y).backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


@pytest.mark.parametrize("kind", ADVERSARIAL_LOSSES)
def test_adversarial_losses_reward_the_right_side(kind):
    confident_real, confident_fake = torch.full((4, 1, 3, 3), 3.0), torch.full((4, 1, 3, 3), -3.0)
    # D is better off telling real from fake than the other way round
    assert d_loss(kind, confident_real, confident_fake) < d_loss(kind, confident_fake, confident_real)
    # G is better off when D scores its images as real
    assert (g_adv_loss(kind, confident_real, confident_fake)
            < g_adv_loss(kind, confident_fake, confident_real))
    rand = torch.randn(4, 1, 3, 3)
    assert torch.isfinite(d_loss(kind, rand, -rand)) and torch.isfinite(g_adv_loss(kind, rand, -rand))


def test_bce_is_the_reports_sigmoid_bce():
    real, fake = torch.randn(8), torch.randn(8)
    bce = torch.nn.functional.binary_cross_entropy
    expected = (bce(torch.sigmoid(real), torch.ones(8)) + bce(torch.sigmoid(fake), torch.zeros(8))) / 2
    torch.testing.assert_close(d_loss("bce", real, fake), expected)


def test_unknown_names_and_ragan_without_real_are_refused():
    with pytest.raises(ValueError, match="unknown pixel loss"):
        pixel_loss("l3", X, X)
    with pytest.raises(ValueError, match="unknown adversarial loss"):
        d_loss("wgan", X, X)
    with pytest.raises(ValueError, match="real images"):
        g_adv_loss("ragan-ls", X)
