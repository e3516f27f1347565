"""Regenerates the built-in sample model py/wasm_torch/samples/tiny_cnn.pt2 (needs torch).

A small image classifier (conv-bn-relu blocks with a residual, pooling, linear) on 1x3x32x32
inputs, so the CLI and the site work with no input file. Deterministic: seed 0.
"""

import os

import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(__file__), "..", "py", "wasm_torch", "samples", "tiny_cnn.pt2")


class TinyCNN(nn.Module):
    def __init__(self, classes: int = 10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU())
        self.block = nn.Sequential(nn.Conv2d(16, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16))
        self.down = nn.Sequential(nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ReLU())
        self.head = nn.Linear(32, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        x = F.relu(x + self.block(x))
        x = F.max_pool2d(self.down(x), 2)
        return self.head(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def main() -> None:
    torch.manual_seed(0)
    m = TinyCNN().eval()
    for mod in m.modules():
        if isinstance(mod, nn.BatchNorm2d):
            mod.running_mean.normal_(0, 0.1)
            mod.running_var.uniform_(0.5, 1.5)
    ep = torch.export.export(m, (torch.randn(1, 3, 32, 32),))
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    torch.export.save(ep, OUT)
    print(f"wrote {os.path.normpath(OUT)} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
