"""KataGo network layers as numpy dataclasses: what ``engine.katago.modelfile`` reads a model file into.

Weights are stored as KataGo means them: convolutions as ``[out, in, kh, kw]``,
matrix products as ``[in, out]``, batch norms as mean/variance/scale/bias/eps.
``KataModel`` is the whole net: trunk, policy head, value head and the output
post-processing multipliers (model versions 8 to 14).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

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
