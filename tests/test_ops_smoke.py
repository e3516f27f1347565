import torch
from parity import parity


def test_add_broadcast_and_promotion():
    parity("add", torch.add, [torch.randn(3, 1, 5), torch.randn(4, 1)])
    parity("add", torch.add, [torch.randint(0, 5, (2, 3)), 2.5])
    parity("add", torch.add, [torch.randn(7), torch.randn(7)], alpha=3)


def test_relu():
    parity("relu", torch.relu, [torch.randn(2, 17)])
