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

The layer dataclasses it fills live in ``engine.katago.layers``.
"""

from __future__ import annotations

import gzip
import hashlib
import re
import zlib
from pathlib import Path

import numpy as np

from engine.katago.layers import (
    ACTIVATIONS,
    MAX_VERSION,
    MIN_VERSION,
    Activation,
    BatchNorm,
    Conv,
    GlobalPoolingBlock,
    KataModel,
    KataModelError,
    MatBias,
    MatMul,
    NestedBottleneckBlock,
    OrdinaryBlock,
    PolicyHead,
    PostProcess,
    Trunk,
    ValueHead,
)


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
