"""Test helpers: tiny random KataGo models, their file format, and a plain numpy forward pass.

``random_model`` makes a small net of any version 8-14 using every layer kind
the reader knows; ``dump_model`` writes it in KataGo's ``.bin`` (or ``.txt``)
format, so the reader is tested on files it did not make itself; ``forward``
evaluates a parsed model with numpy (no ONNX), written from KataGo's
description of each layer, as an independent check of the ONNX graph.
"""

from __future__ import annotations

import numpy as np

from engine.katago.layers import (
    Activation,
    BatchNorm,
    Conv,
    GlobalPoolingBlock,
    KataModel,
    MatBias,
    MatMul,
    NestedBottleneckBlock,
    OrdinaryBlock,
    PolicyHead,
    PostProcess,
    Trunk,
    ValueHead,
)

ACT_TOKENS = {"relu": "ACTIVATION_RELU", "mish": "ACTIVATION_MISH",
              "identity": "ACTIVATION_IDENTITY"}


# -- random models ----------------------------------------------------------------------------
class _Maker:
    def __init__(self, version: int, seed: int):
        self.v = version
        self.rng = np.random.default_rng(seed)
        self.n = 0

    def name(self, hint):
        self.n += 1
        return f"{hint}{self.n}"

    def conv(self, cin, cout, k=3):
        w = self.rng.normal(0, 1.0 / np.sqrt(cin * k * k), (cout, cin, k, k))
        return Conv(self.name("conv"), w.astype(np.float32))

    def bn(self, c):
        r = self.rng
        return BatchNorm(self.name("bn"), r.normal(0, 0.3, c).astype(np.float32),
                         r.uniform(0.5, 1.5, c).astype(np.float32),
                         r.uniform(0.5, 1.5, c).astype(np.float32),
                         r.normal(0, 0.3, c).astype(np.float32), 1e-3)

    def act(self, kind=None):
        return Activation(self.name("act"), kind or ("mish" if self.v >= 11 else "relu"))

    def mm(self, cin, cout):
        w = self.rng.normal(0, 1.0 / np.sqrt(cin), (cin, cout))
        return MatMul(self.name("mm"), w.astype(np.float32))

    def bias(self, c):
        return MatBias(self.name("bias"), self.rng.normal(0, 0.3, c).astype(np.float32))

    def ordinary(self, c, mid):
        return OrdinaryBlock(self.name("block"), self.bn(c), self.act(), self.conv(c, mid),
                             self.bn(mid), self.act(), self.conv(mid, c))

    def gpool(self, c, reg, gp):
        return GlobalPoolingBlock(self.name("gblock"), self.bn(c), self.act(), self.conv(c, reg),
                                  self.conv(c, gp), self.bn(gp), self.act(), self.mm(3 * gp, reg),
                                  self.bn(reg), self.act(), self.conv(reg, c))

    def nested(self, c, mid):
        inner = [self.ordinary(mid, mid), self.gpool(mid, mid - 2, 2)]
        return NestedBottleneckBlock(self.name("nbt"), self.bn(c), self.act(),
                                     self.conv(c, mid, 1), inner, self.bn(mid), self.act(),
                                     self.conv(mid, c, 1))


def random_model(version: int = 14, channels: int = 8, seed: int = 0) -> KataModel:
    """A tiny KataGo net of ``version`` with ordinary, gpool (and, v14, nested) blocks."""
    mk = _Maker(version, seed)
    c = channels
    blocks = [mk.ordinary(c, c), mk.gpool(c, c - 3, 3)]
    if version >= 14:
        blocks.append(mk.nested(c, c // 2 + 2))
    trunk = Trunk("trunk", mk.conv(22, c, 5), mk.mm(19, c), blocks, mk.bn(c), mk.act())
    pch = 2 if version >= 12 else 1
    policy = PolicyHead("policy", mk.conv(c, 4, 1), mk.conv(c, 3, 1), mk.bn(3), mk.act(),
                        mk.mm(9, 4), mk.bn(4), mk.act(), mk.conv(4, pch, 1), mk.mm(9, pch))
    nscore = 6 if version >= 9 else 4
    value = ValueHead("value", mk.conv(c, 4, 1), mk.bn(4), mk.act(), mk.mm(12, 5), mk.bias(5),
                      mk.act(), mk.mm(5, 3), mk.bias(3), mk.mm(5, nscore), mk.bias(nscore),
                      mk.conv(4, 1, 1))
    post = PostProcess(20.0, 20.0, 20.0, 20.0, 40.0, 0.25, 150.0) if version >= 13 \
        else PostProcess()
    return KataModel(f"tiny-b{len(blocks)}c{c}-s1234-d5", version, 22, 19, post, trunk,
                     policy, value)


# -- file format ------------------------------------------------------------------------------
class _Writer:
    def __init__(self, version: int, binary: bool):
        self.v = version
        self.binary = binary
        self.parts: list[bytes] = []

    def text(self, *tokens):
        self.parts.append(("\n".join(str(t) for t in tokens) + "\n").encode())

    def floats(self, arr):
        arr = np.asarray(arr, np.float32).ravel()
        if self.binary:
            self.parts.append(b"@BIN@" + arr.astype("<f4").tobytes() + b"\n")
        else:
            self.text(" ".join(repr(float(x)) for x in arr))

    def conv(self, c: Conv):
        oc, ic, kh, kw = c.weight.shape
        self.text(c.name, kh, kw, ic, oc, *c.dilation)
        self.floats(c.weight.transpose(2, 3, 1, 0))

    def bn(self, b: BatchNorm):
        self.text(b.name, b.channels, b.epsilon, 1, 1)
        for a in (b.mean, b.variance, b.scale, b.bias):
            self.floats(a)

    def act(self, a: Activation):
        self.text(a.name, ACT_TOKENS[a.kind]) if self.v >= 11 else self.text(a.name)

    def mm(self, m: MatMul):
        self.text(m.name, *m.weight.shape)
        self.floats(m.weight)

    def bias(self, b: MatBias):
        self.text(b.name, b.bias.shape[0])
        self.floats(b.bias)

    def block(self, b):
        if isinstance(b, OrdinaryBlock):
            self.text("ordinary_block", b.name)
            self.bn(b.pre_bn), self.act(b.pre_act), self.conv(b.conv1)
            self.bn(b.mid_bn), self.act(b.mid_act), self.conv(b.conv2)
        elif isinstance(b, GlobalPoolingBlock):
            self.text("gpool_block", b.name)
            self.bn(b.pre_bn), self.act(b.pre_act), self.conv(b.regular_conv)
            self.conv(b.gpool_conv), self.bn(b.gpool_bn), self.act(b.gpool_act)
            self.mm(b.gpool_to_bias), self.bn(b.mid_bn), self.act(b.mid_act)
            self.conv(b.final_conv)
        else:
            self.text("nested_bottleneck_block", b.name, len(b.blocks))
            self.bn(b.pre_bn), self.act(b.pre_act), self.conv(b.pre_conv)
            for sub in b.blocks:
                self.block(sub)
            self.bn(b.post_bn), self.act(b.post_act), self.conv(b.post_conv)


def dump_model(m: KataModel, binary: bool = True) -> bytes:
    """``m`` in KataGo's model file format (uncompressed)."""
    w = _Writer(m.version, binary)
    w.text(m.name, m.version, m.num_spatial, m.num_global)
    if m.version >= 13:
        p = m.post
        w.text(p.td_score, p.score_mean, p.score_stdev, p.lead, p.variance_time,
               p.shortterm_value_error, p.shortterm_score_error)
    t = m.trunk
    c = t.initial_conv.out_channels
    w.text(t.name, len(t.blocks), c, c, c, c, c)
    w.conv(t.initial_conv), w.mm(t.initial_matmul)
    for b in t.blocks:
        w.block(b)
    w.bn(t.tip_bn), w.act(t.tip_act)
    h = m.policy
    w.text(h.name)
    w.conv(h.p1_conv), w.conv(h.g1_conv), w.bn(h.g1_bn), w.act(h.g1_act)
    w.mm(h.gpool_to_bias), w.bn(h.p1_bn), w.act(h.p1_act), w.conv(h.p2_conv)
    w.mm(h.gpool_to_pass)
    v = m.value
    w.text(v.name)
    w.conv(v.v1_conv), w.bn(v.v1_bn), w.act(v.v1_act), w.mm(v.v2_mul), w.bias(v.v2_bias)
    w.act(v.v2_act), w.mm(v.v3_mul), w.bias(v.v3_bias), w.mm(v.sv3_mul), w.bias(v.sv3_bias)
    w.conv(v.ownership_conv)
    return b"".join(w.parts)


# -- numpy forward ----------------------------------------------------------------------------
def _act(x, a: Activation):
    if a.kind == "relu":
        return np.maximum(x, 0)
    if a.kind == "mish":
        return x * np.tanh(np.logaddexp(0, x))
    return x


def _conv(x, c: Conv):
    """'Same' convolution with zero padding, float64."""
    w = c.weight.astype(np.float64)
    oc, ic, kh, kw = w.shape
    n, _, h, wd = x.shape
    ph, pw = kh // 2, kw // 2
    xp = np.zeros((n, ic, h + 2 * ph, wd + 2 * pw))
    xp[:, :, ph:ph + h, pw:pw + wd] = x
    out = np.zeros((n, oc, h, wd))
    for dy in range(kh):
        for dx in range(kw):
            out += np.einsum("nihw,oi->nohw", xp[:, :, dy:dy + h, dx:dx + wd], w[:, :, dy, dx])
    return out


def _bn(x, b: BatchNorm):
    sh = (1, -1, 1, 1)
    return ((x - b.mean.reshape(sh)) / np.sqrt(b.variance.reshape(sh) + b.epsilon)
            * b.scale.reshape(sh) + b.bias.reshape(sh))


class _Forward:
    def __init__(self, mask):
        self.mask = mask
        self.area = mask.sum(axis=(2, 3))                       # [N, 1]
        self.s = (np.sqrt(self.area) - 14.0) / 10.0

    def bn_act(self, x, bn, act):
        return _act(_bn(x, bn), act) * self.mask

    def gpool(self, x):
        mean = x.sum(axis=(2, 3)) / self.area
        mx = np.where(self.mask > 0, x, -np.inf).max(axis=(2, 3))
        return np.concatenate([mean, mean * self.s, mx], axis=1)

    def vpool(self, x):
        mean = x.sum(axis=(2, 3)) / self.area
        return np.concatenate([mean, mean * self.s, mean * (self.s ** 2 - 0.1)], axis=1)

    def block(self, x, b):
        if isinstance(b, OrdinaryBlock):
            a = self.bn_act(x, b.pre_bn, b.pre_act)
            a = self.bn_act(_conv(a, b.conv1), b.mid_bn, b.mid_act)
            return x + _conv(a, b.conv2)
        if isinstance(b, GlobalPoolingBlock):
            a = self.bn_act(x, b.pre_bn, b.pre_act)
            r = _conv(a, b.regular_conv)
            g = self.bn_act(_conv(a, b.gpool_conv), b.gpool_bn, b.gpool_act)
            r = r + (self.gpool(g) @ b.gpool_to_bias.weight)[:, :, None, None]
            return x + _conv(self.bn_act(r, b.mid_bn, b.mid_act), b.final_conv)
        a = _conv(self.bn_act(x, b.pre_bn, b.pre_act), b.pre_conv)
        for sub in b.blocks:
            a = self.block(a, sub)
        return x + _conv(self.bn_act(a, b.post_bn, b.post_act), b.post_conv)


def forward(m: KataModel, planes: np.ndarray, glob: np.ndarray) -> dict:
    """Raw head outputs in float64: policy ``[N, P, H*W+1]``, value logits, score values, ownership."""
    planes = planes.astype(np.float64)
    glob = glob.astype(np.float64)
    f = _Forward(planes[:, :1])
    t = m.trunk
    x = _conv(planes, t.initial_conv) + (glob @ t.initial_matmul.weight)[:, :, None, None]
    for b in t.blocks:
        x = f.block(x, b)
    tip = f.bn_act(x, t.tip_bn, t.tip_act)
    h = m.policy
    g1 = f.bn_act(_conv(tip, h.g1_conv), h.g1_bn, h.g1_act)
    pooled = f.gpool(g1)
    p1 = _conv(tip, h.p1_conv) + (pooled @ h.gpool_to_bias.weight)[:, :, None, None]
    p2 = _conv(f.bn_act(p1, h.p1_bn, h.p1_act), h.p2_conv)
    n, pch = p2.shape[:2]
    policy = np.concatenate([p2.reshape(n, pch, -1), (pooled @ h.gpool_to_pass.weight)[:, :, None]],
                            axis=2)
    v = m.value
    v1 = f.bn_act(_conv(tip, v.v1_conv), v.v1_bn, v.v1_act)
    v2 = _act(f.vpool(v1) @ v.v2_mul.weight + v.v2_bias.bias, v.v2_act)
    return {"policy": policy, "value_logits": v2 @ v.v3_mul.weight + v.v3_bias.bias,
            "score_values": v2 @ v.sv3_mul.weight + v.sv3_bias.bias,
            "ownership": _conv(v1, v.ownership_conv)[:, 0]}
