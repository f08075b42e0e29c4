"""The seed models are the report's, layer for layer."""
import torch
from torch import nn

from core.config import ModelConfig
from core.models import build_discriminator, build_generator, count_parameters, get_spec, run_generator
from core.models.seed import Discriminator, Generator, ResidualBlock


def _convs(m):
    return [(type(l).__name__, l.in_channels, l.out_channels, l.kernel_size, l.stride, l.padding)
            for l in m.modules() if isinstance(l, (nn.Conv2d, nn.ConvTranspose2d))]


def test_generator_parameter_count_and_layers():
    g = build_generator(ModelConfig("seed"))
    # 8.13 M: the figure the reference README lists for the report's generator.
    assert count_parameters(g) == 8_131_843
    convs = _convs(g)
    assert convs[:3] == [("Conv2d", 3, 64, (7, 7), (1, 1), (3, 3)),
                         ("Conv2d", 64, 128, (3, 3), (2, 2), (1, 1)),
                         ("Conv2d", 128, 256, (3, 3), (2, 2), (1, 1))]
    assert convs[-3:] == [("ConvTranspose2d", 256, 128, (4, 4), (2, 2), (1, 1)),
                          ("ConvTranspose2d", 128, 64, (4, 4), (2, 2), (1, 1)),
                          ("Conv2d", 64, 3, (7, 7), (1, 1), (3, 3))]
    assert sum(isinstance(m, ResidualBlock) for m in g.modules()) == 6
    assert isinstance(g.decoder[-1], nn.Tanh)
    assert count_parameters(Generator(num_residual_blocks=9)) == 8_131_843 + 3 * count_parameters(ResidualBlock(256))


def test_discriminator_parameter_count_and_output():
    d = build_discriminator(ModelConfig("seed"))
    assert isinstance(d, Discriminator)
    assert count_parameters(d) == 2_766_529
    assert isinstance(d.model[-1], nn.Sigmoid)
    x = torch.rand(2, 3, 256, 256) * 2 - 1
    with torch.no_grad():
        p, logits = d.eval()(x), d(x, logits=True)
    # 256 -> 128 -> 64 -> 32 -> 16, then a valid 4x4 conv: a 13x13 patch map
    assert p.shape == (2, 1, 13, 13)
    assert ((p > 0) & (p < 1)).all()
    torch.testing.assert_close(torch.sigmoid(logits), p)


def test_generator_shapes_and_value_range():
    g = build_generator(ModelConfig("seed", {"num_residual_blocks": 1})).eval()
    x = torch.rand(1, 3, 360, 640) * 2 - 1  # the report's 640x360 frames
    with torch.no_grad():
        y = g(x)
    assert y.shape == x.shape and y.abs().max() <= 1
    spec = get_spec("seed")
    with torch.no_grad():
        z = run_generator(g, spec, torch.rand(1, 3, 37, 53))  # not a multiple of 4
    assert z.shape == (1, 3, 37, 53) and 0 <= z.min() and z.max() <= 1
