"""Read KataGo network files (``.bin.gz``, ``.txt.gz``, ``.bin``, ``.txt``) into numpy dataclasses.

A KataGo model file is a whitespace-separated header-and-layer stream: the
model name, its version, the number of spatial and global inputs, (version 13+)
seven output post-processing multipliers, then the trunk, the policy head and
the value head, each a fixed sequence of named layers. Every layer states its
sizes in text; its weights follow either as text floats (``.txt``) or as
``@BIN@`` and that many little-endian float32 values (``.bin``).

Supported: model versions 8 to 14 (the residual, global-pooling and
nested-bottleneck nets KataGo trained from 2020 to 2024; inputs "V7": 22
spatial planes and 19 globals). Anything else raises ``KataModelError``
naming the file and the reason; versions 15 and later (SGF-metadata encoders,
new pass heads, transformer trunks) are refused, not guessed at.

Weights are stored as KataGo means them: convolutions as ``[out, in, kh, kw]``,
matrix products as ``[in, out]``, batch norms as mean/variance/scale/bias/eps.
"""

from __future__ import annotations

import gzip
import hashlib
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

MIN_VERSION = 8
MAX_VERSION = 14
ACTIVATIONS = {"ACTIVATION_IDENTITY": "identity", "ACTIVATION_RELU": "relu",
               "ACTIVATION_MISH": "mish"}


class KataModelError(ValueError):
    """A KataGo model file that is missing, damaged or of a kind zerogo does not read."""


@dataclass
class Conv:
    """A convolution without bias: ``weight [out, in, kh, kw]``, dilation (y, x)."""

    name: str
    weight: np.ndarray
    dilation: tuple[int, int] = (1, 1)

    @property
    def in_channels(self) -> int:
        """Input channels."""
        return self.weight.shape[1]

    @property
    def out_channels(self) -> int:
        """Output channels."""
        return self.weight.shape[0]


@dataclass
class BatchNorm:
    """Inference batch norm: ``(x - mean) / sqrt(var + eps) * scale + bias`` per channel."""

    name: str
    mean: np.ndarray
    variance: np.ndarray
    scale: np.ndarray
    bias: np.ndarray
    epsilon: float

    @property
    def channels(self) -> int:
        """Channels normalised."""
        return self.mean.shape[0]

    def affine(self) -> tuple[np.ndarray, np.ndarray]:
        """The same layer as ``x * mul + add`` (float64 ``mul``, ``add`` per channel)."""
        mul = self.scale.astype(np.float64) / np.sqrt(self.variance.astype(np.float64)
                                                       + self.epsilon)
        add = self.bias.astype(np.float64) - self.mean.astype(np.float64) * mul
        return mul, add


@dataclass
class Activation:
    """An activation: ``relu``, ``mish`` or ``identity``."""

    name: str
    kind: str = "relu"


@dataclass
class MatMul:
    """A dense layer without bias: ``weight [in, out]``."""

    name: str
    weight: np.ndarray


@dataclass
class MatBias:
    """A bias added after a dense layer: ``bias [channels]``."""

    name: str
    bias: np.ndarray


@dataclass
class OrdinaryBlock:
    """Residual block: x + conv2(act(bn2(conv1(act(bn1(x))))))."""

    name: str
    pre_bn: BatchNorm
    pre_act: Activation
    conv1: Conv
    mid_bn: BatchNorm
    mid_act: Activation
    conv2: Conv


@dataclass
class GlobalPoolingBlock:
    """Residual block whose first conv gets a per-channel bias from globally pooled features."""

    name: str
    pre_bn: BatchNorm
    pre_act: Activation
    regular_conv: Conv
    gpool_conv: Conv
    gpool_bn: BatchNorm
    gpool_act: Activation
    gpool_to_bias: MatMul
    mid_bn: BatchNorm
    mid_act: Activation
    final_conv: Conv


@dataclass
class NestedBottleneckBlock:
    """Residual block: 1x1 conv down, a stack of inner residual blocks, 1x1 conv up."""

    name: str
    pre_bn: BatchNorm
    pre_act: Activation
    pre_conv: Conv
    blocks: list
    post_bn: BatchNorm
    post_act: Activation
    post_conv: Conv


@dataclass
class Trunk:
    """Input conv plus global-input bias, the residual blocks, and the final norm."""

    name: str
    initial_conv: Conv
    initial_matmul: MatMul
    blocks: list
    tip_bn: BatchNorm
    tip_act: Activation


@dataclass
class PolicyHead:
    """Policy over points (``p2_conv``) and pass (``gpool_to_pass``), 1 or 2 channels each."""

    name: str
    p1_conv: Conv
    g1_conv: Conv
    g1_bn: BatchNorm
    g1_act: Activation
    gpool_to_bias: MatMul
    p1_bn: BatchNorm
    p1_act: Activation
    p2_conv: Conv
    gpool_to_pass: MatMul

    @property
    def channels(self) -> int:
        """Policy channels: 1, or 2 from version 12 (main and optimistic policy)."""
        return self.p2_conv.out_channels


@dataclass
class ValueHead:
    """Win/loss/no-result logits, score outputs and ownership."""

    name: str
    v1_conv: Conv
    v1_bn: BatchNorm
    v1_act: Activation
    v2_mul: MatMul
    v2_bias: MatBias
    v2_act: Activation
    v3_mul: MatMul
    v3_bias: MatBias
    sv3_mul: MatMul
    sv3_bias: MatBias
    ownership_conv: Conv


@dataclass
class PostProcess:
    """Output multipliers (stored in the file from version 13; KataGo's defaults before)."""

    td_score: float = 20.0
    score_mean: float = 20.0
    score_stdev: float = 20.0
    lead: float = 20.0
    variance_time: float = 40.0
    shortterm_value_error: float = 0.25
    shortterm_score_error: float = 30.0


@dataclass
class KataModel:
    """A whole KataGo network as read from its file."""

    name: str
    version: int
    num_spatial: int
    num_global: int
    post: PostProcess
    trunk: Trunk
    policy: PolicyHead
    value: ValueHead
    source: str = ""
    sha256: str = ""
    extra: dict = field(default_factory=dict)

    def parts(self):
        """Every block and layer of the net (the dataclasses in trunk and heads), depth first."""
        todo = [self.trunk, self.policy, self.value]
        while todo:
            obj = todo.pop(0)
            if isinstance(obj, list):
                todo[:0] = obj
            elif hasattr(obj, "__dataclass_fields__"):
                yield obj
                todo[:0] = [getattr(obj, k) for k in obj.__dataclass_fields__]

    def flops(self, height: int, width: int) -> float:
        """Floating-point operations of one evaluation (2 per multiply-add; convs and dense)."""
        total = 0.0
        for part in self.parts():
            if isinstance(part, Conv):
                total += 2.0 * part.weight.size * height * width
            elif isinstance(part, MatMul):
                total += 2.0 * part.weight.size
        return total

    @property
    def training_steps(self) -> int | None:
        """Training samples in the name (``...-s1672170752-...``), or None."""
        m = re.search(r"-s(\d+)-", self.name)
        return int(m.group(1)) if m else None


class _Stream:
    """Tokens and float blocks over a decompressed model file."""

    def __init__(self, data: bytes, binary: bool, source: str):
        self.data = data
        self.pos = 0
        self.binary = binary
        self.source = source
        self.context = "header"

    def fail(self, reason: str):
        """Raise a KataModelError naming the file and the layer being read."""
        raise KataModelError(f"{self.source}: {reason} (while reading {self.context})")

    def token(self) -> str:
        """The next whitespace-separated token."""
        data, n, i = self.data, len(self.data), self.pos
        while i < n and data[i] in b" \t\r\n":
            i += 1
        j = i
        while j < n and data[j] not in b" \t\r\n":
            j += 1
        if i == j:
            self.fail("file ends early (truncated?)")
        self.pos = j
        try:
            return data[i:j].decode("ascii")
        except UnicodeDecodeError:
            self.fail("found binary data where text was expected (not a KataGo model?)")

    def integer(self, what: str) -> int:
        """The next token as an int."""
        tok = self.token()
        try:
            return int(tok)
        except ValueError:
            self.fail(f"expected an integer for {what}, found {tok[:40]!r}")

    def number(self, what: str) -> float:
        """The next token as a float."""
        tok = self.token()
        try:
            return float(tok)
        except ValueError:
            self.fail(f"expected a number for {what}, found {tok[:40]!r}")

    def floats(self, count: int) -> np.ndarray:
        """``count`` float32 weights (binary ``@BIN@`` block or text)."""
        if self.binary:
            at = self.data.find(b"@", self.pos, self.pos + 101)
            if at < 0 or self.data[at:at + 5] != b"@BIN@":
                self.fail("expected a binary weight block '@BIN@' (is this a .txt model "
                          "named .bin?)")
            start = at + 5
            end = start + 4 * count
            if end > len(self.data):
                self.fail(f"binary weight block needs {count} floats but the file ends "
                          "early (truncated?)")
            out = np.frombuffer(self.data, dtype="<f4", count=count, offset=start).copy()
            self.pos = end
        else:
            m = re.compile(rb"(?:\s*\S+){%d}" % count).match(self.data, self.pos)
            if m is None:
                self.fail(f"expected {count} text weights but the file ends early (truncated?)")
            try:
                out = np.array(self.data[self.pos:m.end()].split()).astype(np.float32)
            except ValueError:
                self.fail("weights are not numbers (is this a .bin model named .txt?)")
            self.pos = m.end()
        if not np.all(np.isfinite(out)):
            self.fail("weights contain NaN or infinity")
        return out.astype(np.float32, copy=False)


def _conv(s: _Stream) -> Conv:
    name = s.token()
    s.context = name
    ky, kx = s.integer("conv height"), s.integer("conv width")
    cin, cout = s.integer("conv in channels"), s.integer("conv out channels")
    dy, dx = s.integer("dilation y"), s.integer("dilation x")
    if min(ky, kx, cin, cout, dy, dx) <= 0 or ky % 2 == 0 or kx % 2 == 0:
        s.fail(f"bad convolution shape {ky}x{kx} {cin}->{cout} dilation {dy},{dx}")
    w = s.floats(ky * kx * cin * cout).reshape(ky, kx, cin, cout).transpose(3, 2, 0, 1)
    return Conv(name, np.ascontiguousarray(w), (dy, dx))


def _bn(s: _Stream) -> BatchNorm:
    name = s.token()
    s.context = name
    c = s.integer("batch norm channels")
    eps = s.number("batch norm epsilon")
    has_scale, has_bias = s.integer("hasScale"), s.integer("hasBias")
    if c <= 0 or eps <= 0:
        s.fail(f"bad batch norm ({c} channels, epsilon {eps})")
    mean, var = s.floats(c), s.floats(c)
    scale = s.floats(c) if has_scale else np.ones(c, np.float32)
    bias = s.floats(c) if has_bias else np.zeros(c, np.float32)
    return BatchNorm(name, mean, var, scale, bias, eps)


def _act(s: _Stream, version: int) -> Activation:
    name = s.token()
    s.context = name
    if version < 11:
        return Activation(name, "relu")
    kind = s.token()
    if kind not in ACTIVATIONS:
        s.fail(f"activation {kind!r} is not supported (known: {', '.join(ACTIVATIONS)})")
    return Activation(name, ACTIVATIONS[kind])


def _matmul(s: _Stream) -> MatMul:
    name = s.token()
    s.context = name
    cin, cout = s.integer("matmul in channels"), s.integer("matmul out channels")
    if cin <= 0 or cout <= 0:
        s.fail(f"bad matmul shape {cin}->{cout}")
    return MatMul(name, s.floats(cin * cout).reshape(cin, cout))


def _matbias(s: _Stream) -> MatBias:
    name = s.token()
    s.context = name
    c = s.integer("bias channels")
    if c <= 0:
        s.fail(f"bad bias size {c}")
    return MatBias(name, s.floats(c))


def _check(s: _Stream, ok: bool, what: str) -> None:
    if not ok:
        s.fail(f"inconsistent layer sizes: {what}")


def _ordinary(s: _Stream, v: int) -> OrdinaryBlock:
    b = OrdinaryBlock(s.token(), _bn(s), _act(s, v), _conv(s), _bn(s), _act(s, v), _conv(s))
    _check(s, b.pre_bn.channels == b.conv1.in_channels == b.conv2.out_channels
           and b.mid_bn.channels == b.conv1.out_channels == b.conv2.in_channels,
           f"block {b.name}")
    return b


def _gpool(s: _Stream, v: int) -> GlobalPoolingBlock:
    b = GlobalPoolingBlock(s.token(), _bn(s), _act(s, v), _conv(s), _conv(s), _bn(s),
                           _act(s, v), _matmul(s), _bn(s), _act(s, v), _conv(s))
    g = b.gpool_conv.out_channels
    _check(s, b.pre_bn.channels == b.regular_conv.in_channels == b.gpool_conv.in_channels
           == b.final_conv.out_channels and b.gpool_bn.channels == g
           and b.gpool_to_bias.weight.shape == (3 * g, b.regular_conv.out_channels)
           and b.mid_bn.channels == b.regular_conv.out_channels == b.final_conv.in_channels,
           f"global pooling block {b.name}")
    return b


def _nested(s: _Stream, v: int) -> NestedBottleneckBlock:
    name = s.token()
    s.context = name
    n = s.integer("nested block count")
    if n < 1:
        s.fail(f"nested bottleneck block {name} has {n} inner blocks")
    pre_bn, pre_act, pre_conv = _bn(s), _act(s, v), _conv(s)
    blocks = _block_stack(s, v, n, pre_conv.out_channels)
    b = NestedBottleneckBlock(name, pre_bn, pre_act, pre_conv, blocks, _bn(s), _act(s, v),
                              _conv(s))
    _check(s, b.pre_bn.channels == b.pre_conv.in_channels == b.post_conv.out_channels
           and b.post_bn.channels == b.pre_conv.out_channels == b.post_conv.in_channels,
           f"nested bottleneck block {name}")
    return b


BLOCK_READERS = {"ordinary_block": _ordinary, "gpool_block": _gpool,
                 "nested_bottleneck_block": _nested}


def _block_stack(s: _Stream, v: int, n: int, channels: int) -> list:
    blocks = []
    for _ in range(n):
        kind = s.token()
        if kind not in BLOCK_READERS:
            s.fail(f"block kind {kind!r} is not supported (known: {', '.join(BLOCK_READERS)})")
        block = BLOCK_READERS[kind](s, v)
        outer = block.pre_bn.channels
        _check(s, outer == channels, f"block {block.name} has {outer} channels, "
               f"its stack {channels}")
        blocks.append(block)
    return blocks


def _trunk(s: _Stream, v: int) -> Trunk:
    name = s.token()
    s.context = name
    n = s.integer("trunk block count")
    channels = s.integer("trunk channels")
    for what in ("mid channels", "regular channels", "dilated channels", "gpool channels"):
        s.integer(what)
    if n < 1 or channels < 1:
        s.fail(f"bad trunk ({n} blocks, {channels} channels)")
    conv, mm = _conv(s), _matmul(s)
    _check(s, conv.out_channels == channels == mm.weight.shape[1], "trunk input layers")
    blocks = _block_stack(s, v, n, channels)
    tip_bn, tip_act = _bn(s), _act(s, v)
    _check(s, tip_bn.channels == channels, "trunk tip")
    return Trunk(name, conv, mm, blocks, tip_bn, tip_act)


def _policy(s: _Stream, v: int, channels: int) -> PolicyHead:
    name = s.token()
    s.context = name
    h = PolicyHead(name, _conv(s), _conv(s), _bn(s), _act(s, v), _matmul(s), _bn(s),
                   _act(s, v), _conv(s), _matmul(s))
    want = 2 if v >= 12 else 1
    g = h.g1_conv.out_channels
    _check(s, h.p1_conv.in_channels == h.g1_conv.in_channels == channels
           and h.g1_bn.channels == g and h.p1_bn.channels == h.p1_conv.out_channels
           and h.gpool_to_bias.weight.shape == (3 * g, h.p1_conv.out_channels)
           and h.p2_conv.in_channels == h.p1_conv.out_channels
           and h.p2_conv.out_channels == want
           and h.gpool_to_pass.weight.shape == (3 * g, want), f"policy head {name}")
    return h


def _value(s: _Stream, v: int, channels: int) -> ValueHead:
    name = s.token()
    s.context = name
    h = ValueHead(name, _conv(s), _bn(s), _act(s, v), _matmul(s), _matbias(s), _act(s, v),
                  _matmul(s), _matbias(s), _matmul(s), _matbias(s), _conv(s))
    c1, c2 = h.v1_conv.out_channels, h.v2_mul.weight.shape[1]
    nscore = 6 if v >= 9 else 4
    _check(s, h.v1_conv.in_channels == channels and h.v1_bn.channels == c1
           and h.v2_mul.weight.shape[0] == 3 * c1 and h.v2_bias.bias.shape == (c2,)
           and h.v3_mul.weight.shape == (c2, 3) and h.v3_bias.bias.shape == (3,)
           and h.sv3_mul.weight.shape == (c2, nscore) and h.sv3_bias.bias.shape == (nscore,)
           and h.ownership_conv.in_channels == c1 and h.ownership_conv.out_channels == 1,
           f"value head {name}")
    return h


def parse_model(data: bytes, binary: bool = True, source: str = "<model>") -> KataModel:
    """A KataModel from a decompressed model file's bytes; KataModelError if it is not one."""
    s = _Stream(data, binary, source)
    name = s.token()
    try:
        version = int(s.token())
    except (ValueError, KataModelError):
        raise KataModelError(f"{source}: not a KataGo model file (no model version after "
                             f"the name {name[:40]!r})") from None
    if version > MAX_VERSION:
        raise KataModelError(
            f"{source}: KataGo model version {version} is not supported: zerogo reads model "
            f"versions {MIN_VERSION} to {MAX_VERSION} (residual, global-pooling and "
            "nested-bottleneck nets); versions 15 and later (SGF-metadata encoders, new pass "
            "heads, transformer trunks) are not")
    if version < MIN_VERSION:
        raise KataModelError(
            f"{source}: KataGo model version {version} is too old: zerogo reads model "
            f"versions {MIN_VERSION} to {MAX_VERSION} (their inputs are KataGo's V7 features)")
    s.context = "header"
    num_spatial, num_global = s.integer("spatial inputs"), s.integer("global inputs")
    if (num_spatial, num_global) != (22, 19):
        s.fail(f"model has {num_spatial} spatial and {num_global} global inputs; "
               "KataGo's V7 features are 22 and 19")
    post = PostProcess()
    if version >= 13:
        vals = [s.number("post-process multiplier") for _ in range(7)]
        if min(vals) <= 0:
            s.fail(f"post-process multipliers must be positive, found {vals}")
        post = PostProcess(*vals)
    trunk = _trunk(s, version)
    channels = trunk.initial_conv.out_channels
    _check(s, trunk.initial_conv.in_channels == num_spatial
           and trunk.initial_matmul.weight.shape[0] == num_global, "model inputs")
    policy = _policy(s, version, channels)
    value = _value(s, version, channels)
    s.context = "the end of the file"
    if s.data[s.pos:].strip():
        s.fail("unexpected data after the value head (not a version "
               f"{version} model, or a damaged file)")
    return KataModel(name, version, num_spatial, num_global, post, trunk, policy, value,
                     source=source)


def read_bytes(path: Path) -> tuple[bytes, bool]:
    """The decompressed contents of ``path`` and whether its floats are binary."""
    lower = path.name.lower()
    if not path.is_file():
        raise KataModelError(f"{path}: no such file")
    raw = path.read_bytes()
    binary = not (lower.endswith((".txt", ".txt.gz")))
    if lower.endswith(".gz") or raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise KataModelError(f"{path}: cannot decompress ({exc}); the file is truncated "
                                 "or not gzip") from None
    return raw, binary


def load_model(path) -> KataModel:
    """Read a KataGo model file (``.bin.gz``, ``.txt.gz``, ``.bin``, ``.txt``)."""
    path = Path(path)
    data, binary = read_bytes(path)
    model = parse_model(data, binary, str(path))
    model.sha256 = file_sha256(path)
    return model


def file_sha256(path) -> str:
    """Hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
