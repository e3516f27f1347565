"""The four reference benchmark models (a copy of the shared bench definitions, so a clone of the
repository runs its tests on its own). Written from scratch (no torchvision); random init from a
fixed seed; eval mode. Keep in step with the benchmark: same seeds, same init, same inputs.

get(name) -> (model, example_inputs_tuple). Names: resnet18, mobilenet_v2, bert_tiny, lstm2.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

SEED = 0


def _init_cnn(model):
    """torchvision-like init, plus random BatchNorm statistics so that BN folding is exercised."""
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.uniform_(m.weight, 0.5, 1.5)
            nn.init.normal_(m.bias, 0.0, 0.1)
            m.running_mean.normal_(0.0, 0.1)
            m.running_var.uniform_(0.5, 1.5)
        elif isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0.0, 0.01)
            nn.init.zeros_(m.bias)


# ---------------------------------------------------------------- ResNet-18
class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        idt = x if self.down is None else self.down(x)
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + idt)


class ResNet18(nn.Module):
    def __init__(self, num_classes=1000):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2, 1))
        layers, cin = [], 64
        for cout, stride in [(64, 1), (128, 2), (256, 2), (512, 2)]:
            layers += [BasicBlock(cin, cout, stride), BasicBlock(cout, cout, 1)]
            cin = cout
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(512, num_classes)

    def forward(self, x):
        x = self.layers(self.stem(x))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


# ---------------------------------------------------------------- MobileNetV2
def _conv_bn(cin, cout, k, stride, groups=1, act=True):
    mods = [nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
    if act:
        mods.append(nn.ReLU6(inplace=True))
    return nn.Sequential(*mods)


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expand):
        super().__init__()
        hidden = cin * expand
        mods = [] if expand == 1 else [_conv_bn(cin, hidden, 1, 1)]
        mods += [_conv_bn(hidden, hidden, 3, stride, groups=hidden),  # depthwise
                 _conv_bn(hidden, cout, 1, 1, act=False)]             # linear bottleneck
        self.body = nn.Sequential(*mods)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        return x + self.body(x) if self.residual else self.body(x)


class MobileNetV2(nn.Module):
    CFG = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
           (6, 320, 1, 1)]

    def __init__(self, num_classes=1000):
        super().__init__()
        mods, cin = [_conv_bn(3, 32, 3, 2)], 32
        for t, c, n, s in self.CFG:
            for i in range(n):
                mods.append(InvertedResidual(cin, c, s if i == 0 else 1, t))
                cin = c
        mods.append(_conv_bn(cin, 1280, 1, 1))
        self.features = nn.Sequential(*mods)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(1280, num_classes))

    def forward(self, x):
        x = self.features(x)
        return self.classifier(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


# ---------------------------------------------------------------- small BERT-like encoder
class EncoderLayer(nn.Module):
    def __init__(self, d, heads, ffn):
        super().__init__()
        self.h, self.dh = heads, d // heads
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ln1 = nn.LayerNorm(d, eps=1e-12)
        self.ff1 = nn.Linear(d, ffn)
        self.ff2 = nn.Linear(ffn, d)
        self.ln2 = nn.LayerNorm(d, eps=1e-12)

    def forward(self, x):
        b, s, d = x.shape
        q, k, v = self.qkv(x).view(b, s, 3, self.h, self.dh).permute(2, 0, 3, 1, 4).unbind(0)
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(self.dh), dim=-1)
        ctx = (att @ v).transpose(1, 2).reshape(b, s, d)
        x = self.ln1(x + self.proj(ctx))                    # post-LN, as in BERT
        return self.ln2(x + self.ff2(F.gelu(self.ff1(x))))  # exact (erf) GELU


class BertTiny(nn.Module):
    def __init__(self, vocab=30522, d=256, layers=4, heads=4, ffn=1024, max_pos=512):
        super().__init__()
        self.tok = nn.Embedding(vocab, d)
        self.pos = nn.Embedding(max_pos, d)
        self.typ = nn.Embedding(2, d)
        self.ln = nn.LayerNorm(d, eps=1e-12)
        self.layers = nn.ModuleList(EncoderLayer(d, heads, ffn) for _ in range(layers))
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, 0.0, 0.02)
                if isinstance(m, nn.Linear):
                    nn.init.zeros_(m.bias)

    def forward(self, ids):  # ids: int64 [batch, seq]; token type 0 everywhere, no padding mask
        pos = torch.arange(ids.shape[1], device=ids.device).unsqueeze(0)
        x = self.ln(self.tok(ids) + self.pos(pos) + self.typ.weight[0])
        for layer in self.layers:
            x = layer(x)
        return x  # last hidden state [batch, seq, d]


# ---------------------------------------------------------------- 2-layer LSTM
class LSTM2(nn.Module):
    def __init__(self, inp=64, hidden=128):
        super().__init__()
        self.lstm = nn.LSTM(inp, hidden, num_layers=2, batch_first=True)

    def forward(self, x):  # x: [batch, seq, 64] -> [batch, seq, 128]
        return self.lstm(x)[0]


# ---------------------------------------------------------------- registry
def get(name):
    torch.manual_seed(SEED)
    if name == "resnet18":
        m = ResNet18()
        _init_cnn(m)
        x = (torch.randn(1, 3, 224, 224),)
    elif name == "mobilenet_v2":
        m = MobileNetV2()
        _init_cnn(m)
        x = (torch.randn(1, 3, 224, 224),)
    elif name == "bert_tiny":
        m = BertTiny()
        x = (torch.randint(0, 30522, (1, 128), dtype=torch.int64),)
    elif name == "lstm2":
        m = LSTM2()
        x = (torch.randn(1, 32, 64),)
    else:
        raise KeyError(name)
    return m.eval(), x


NAMES = ("resnet18", "mobilenet_v2", "bert_tiny", "lstm2")
