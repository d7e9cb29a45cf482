"""PyTorch definitions of the benchmark models and their example inputs.

Each entry of MODELS names a model, how to build it, the shape of its one input (batch 1)
and whether it is a CNN (CNNs are also converted to FLOAT16 ML programs). Sizes are kept
modest because the benchmark runs on a 2-core CPU. Weights come from a fixed seed, so
prepare.py and run.py rebuild exactly the same network.
"""
import math
from dataclasses import dataclass
from typing import Callable

import torch
from torch import nn


class MLP(nn.Module):
    def __init__(self, n_in=256, hidden=1024, n_out=10):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(n_in, hidden), nn.ReLU(),
            nn.Linear(hidden, hidden), nn.ReLU(),
            nn.Linear(hidden, hidden), nn.ReLU(),
            nn.Linear(hidden, n_out),
        )

    def forward(self, x):
        return self.net(x)


def conv_bn(c_in, c_out, kernel, stride=1, groups=1, act=nn.ReLU6):
    layers = [nn.Conv2d(c_in, c_out, kernel, stride, kernel // 2, groups=groups, bias=False), nn.BatchNorm2d(c_out)]
    if act is not None:
        layers.append(act())
    return nn.Sequential(*layers)


class InvertedResidual(nn.Module):
    """MobileNetV2 block: 1x1 expansion, 3x3 depthwise, linear 1x1 projection; a shortcut
    when the shape is kept."""

    def __init__(self, c_in, c_out, stride, expand):
        super().__init__()
        hidden = c_in * expand
        layers = [conv_bn(c_in, hidden, 1)] if expand != 1 else []
        layers += [conv_bn(hidden, hidden, 3, stride, groups=hidden), conv_bn(hidden, c_out, 1, act=None)]
        self.body = nn.Sequential(*layers)
        self.shortcut = stride == 1 and c_in == c_out

    def forward(self, x):
        y = self.body(x)
        return x + y if self.shortcut else y


class MobileNetV2Like(nn.Module):
    # (expansion, out channels, repeats, first stride): MobileNetV2's stages at width 0.5.
    STAGES = ((1, 8, 1, 1), (6, 12, 2, 2), (6, 16, 3, 2), (6, 32, 4, 2), (6, 48, 3, 1), (6, 80, 3, 2), (6, 160, 1, 1))

    def __init__(self, n_classes=100):
        super().__init__()
        layers = [conv_bn(3, 16, 3, 2)]
        c = 16
        for expand, c_out, repeats, stride in self.STAGES:
            for i in range(repeats):
                layers.append(InvertedResidual(c, c_out, stride if i == 0 else 1, expand))
                c = c_out
        layers.append(conv_bn(c, 640, 1))
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(640, n_classes)

    def forward(self, x):
        return self.classifier(self.features(x).mean(dim=(2, 3)))


class BasicBlock(nn.Module):
    def __init__(self, c_in, c_out, stride):
        super().__init__()
        self.body = nn.Sequential(conv_bn(c_in, c_out, 3, stride, act=nn.ReLU), conv_bn(c_out, c_out, 3, act=None))
        self.down = conv_bn(c_in, c_out, 1, stride, act=None) if stride != 1 or c_in != c_out else nn.Identity()

    def forward(self, x):
        return torch.relu(self.body(x) + self.down(x))


class ResNetLike(nn.Module):
    """ResNet-18 layout (2 basic blocks per stage) at half width."""

    def __init__(self, widths=(32, 64, 128, 256), n_classes=100):
        super().__init__()
        layers = [conv_bn(3, widths[0], 7, 2, act=nn.ReLU), nn.MaxPool2d(3, 2, 1)]
        c = widths[0]
        for i, w in enumerate(widths):
            layers += [BasicBlock(c, w, 1 if i == 0 else 2), BasicBlock(w, w, 1)]
            c = w
        self.features = nn.Sequential(*layers)
        self.fc = nn.Linear(c, n_classes)

    def forward(self, x):
        return self.fc(self.features(x).mean(dim=(2, 3)))


class EncoderLayer(nn.Module):
    """Pre-norm transformer encoder layer with GELU. Attention is written out with matmul and
    softmax so that every exporter sees the same plain ops."""

    def __init__(self, d, heads, d_ff):
        super().__init__()
        self.heads, self.head_dim = heads, d // heads
        self.scale = 1.0 / math.sqrt(self.head_dim)  # a Python float, so tracing keeps it constant
        self.norm1, self.norm2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.ff = nn.Sequential(nn.Linear(d, d_ff), nn.GELU(), nn.Linear(d_ff, d))

    def split_heads(self, x):
        return x.reshape(x.shape[0], -1, self.heads, self.head_dim).transpose(1, 2)

    def attention(self, x):
        q, k, v = (self.split_heads(p) for p in self.qkv(x).chunk(3, dim=-1))
        scores = torch.matmul(q, k.transpose(-1, -2)) * self.scale
        out = torch.matmul(torch.softmax(scores, dim=-1), v).transpose(1, 2)
        return self.proj(out.reshape(x.shape))

    def forward(self, x):
        x = x + self.attention(self.norm1(x))
        return x + self.ff(self.norm2(x))


class TransformerEncoder(nn.Module):
    def __init__(self, d=128, heads=4, d_ff=256, n_layers=2):
        super().__init__()
        self.layers = nn.Sequential(*[EncoderLayer(d, heads, d_ff) for _ in range(n_layers)])
        self.norm = nn.LayerNorm(d)

    def forward(self, x):
        return self.norm(self.layers(x))


class LSTMModel(nn.Module):
    def __init__(self, n_in=64, hidden=128, n_out=10):
        super().__init__()
        self.lstm = nn.LSTM(n_in, hidden, num_layers=2, batch_first=True)
        self.head = nn.Linear(hidden, n_out)

    def forward(self, x):
        return self.head(self.lstm(x)[0])


@dataclass(frozen=True)
class Spec:
    name: str
    build: Callable[[], nn.Module]
    input_shape: tuple  # batch 1
    is_cnn: bool = False


MODELS = [
    Spec("mlp", MLP, (1, 256)),
    Spec("mobilenetv2", MobileNetV2Like, (1, 3, 128, 128), is_cnn=True),
    Spec("resnet", ResNetLike, (1, 3, 128, 128), is_cnn=True),
    Spec("transformer", TransformerEncoder, (1, 64, 128)),
    Spec("lstm", LSTMModel, (1, 32, 64)),
]
BY_NAME = {m.name: m for m in MODELS}
INPUT_NAME, OUTPUT_NAME = "x", "y"


def build(name):
    """The model `name` in eval mode, with its seeded weights (BatchNorm statistics made
    non-trivial so folding them is actually exercised)."""
    torch.manual_seed(0)
    model = BY_NAME[name].build()
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)
    return model.eval()
