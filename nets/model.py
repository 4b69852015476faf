"""The network: a pre-activation residual tower with global-pooling blocks, and four heads.

Shapes (``x: NCHW``): inputs ``planes [N, NUM_PLANES, H, W]`` and
``globals [N, NUM_GLOBALS]`` from ``engine.features`` (plane 0 is the board
mask: 1 on the board, 0 in padding). ``forward`` returns a dict:

==============  =============  ==============================================
key             shape          meaning
==============  =============  ==============================================
policy_logits   [N, H*W + 1]   logits, flat ``row * W + col``, pass last;
                               off-board (padded) points are set to -1e4
value           [N]            tanh of the win/loss logit: +1 = side to move wins
score_lead      [N]            points the side to move leads by
ownership       [N, H, W]      tanh, +1 = owned by the side to move (0 off board)
value_logit     [N]            the logit before tanh (training only, not exported):
                               P(win) = sigmoid(2 * value_logit), so a stable
                               loss is BCE-with-logits(2 * value_logit, (z + 1) / 2)
==============  =============  ==============================================

Training note: BatchNorm statistics in training mode count every point of the
tensor, so train on batches of one board size (padding is exact at inference,
where BatchNorm uses running statistics and everything is masked).

Everything is convolutional or pooled over the board (mask-aware), so no
layer is tied to one board size: one net serves 9x9 to 19x19 (and padded
mixed batches). Global pooling (as in KataGo) gives ``[N, 3C]``: the masked
mean, the mean scaled by ``(sqrt(area) - 14) / 10`` and the masked max.

Configs are named by shape, ``b{blocks}c{channels}`` (KataGo style); every
third block (index 2, 5, 8, ...) is a global-pooling bias block. ``b2c16`` and
``b4c32`` are small configs for tests.

Checkpoint format (shared with ``nets.train``):
``torch.save({"config": name, "model": state_dict, "step": int, "meta": {...}}, path)``.
"""

from __future__ import annotations

from dataclasses import dataclass

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from engine.features import MASK_PLANE, NUM_GLOBALS, NUM_PLANES

SCORE_SCALE = 20.0
OFF_BOARD_LOGIT = -1e4


class ConfigError(ValueError):
    """An unknown network config name."""


@dataclass(frozen=True)
class NetConfig:
    """The shape of a network."""

    name: str
    blocks: int
    channels: int
    gpool_channels: int
    head_channels: int
    value_hidden: int
    gpool_every: int = 3

    def is_gpool_block(self, i: int) -> bool:
        """True when block ``i`` is a global-pooling bias block."""
        return i % self.gpool_every == self.gpool_every - 1


def _cfg(blocks: int, channels: int, gpool: int, head: int, hidden: int) -> NetConfig:
    return NetConfig(f"b{blocks}c{channels}", blocks, channels, gpool, head, hidden)


CONFIGS: dict[str, NetConfig] = {c.name: c for c in (
    _cfg(2, 16, 8, 8, 16),
    _cfg(4, 32, 16, 16, 32),
    _cfg(6, 64, 16, 32, 64),
    _cfg(6, 128, 32, 32, 128),
    _cfg(10, 128, 32, 32, 128),
    _cfg(15, 192, 64, 32, 128),
    _cfg(20, 256, 64, 48, 256),
)}


def get_config(name: str) -> NetConfig:
    """The named config; raises ConfigError listing the known names."""
    if name not in CONFIGS:
        raise ConfigError(f"unknown net config {name!r} (known: {', '.join(CONFIGS)})")
    return CONFIGS[name]


def global_pool(x: torch.Tensor, mask: torch.Tensor, mask_sum: torch.Tensor) -> torch.Tensor:
    """Masked pooling of ``x [N, C, H, W]`` -> ``[N, 3C]``: mean, size-scaled mean, max.

    ``mask [N, 1, H, W]``; ``mask_sum [N, 1]`` = on-board points.
    """
    mean = (x * mask).sum(dim=(2, 3)) / mask_sum
    scaled = mean * (torch.sqrt(mask_sum) - 14.0) / 10.0
    big = (x + (mask - 1.0) * 1e4).amax(dim=(2, 3))  # x >= 0 after ReLU; padding never wins
    return torch.cat([mean, scaled, big], dim=1)


class ResBlock(nn.Module):
    """Pre-activation residual block: BN-ReLU-conv3x3-BN-ReLU-conv3x3 (+ input).

    With ``gpool > 0`` (a KataGo global-pooling block) the first conv also makes
    ``gpool`` channels that are pooled and turned into a per-channel bias.
    """

    def __init__(self, channels: int, gpool: int = 0):
        super().__init__()
        self.gpool = gpool
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        if gpool:
            self.conv1g = nn.Conv2d(channels, gpool, 3, padding=1, bias=False)
            self.bng = nn.BatchNorm2d(gpool)
            self.gpool_fc = nn.Linear(3 * gpool, channels, bias=False)

    def forward(self, x: torch.Tensor, mask: torch.Tensor, mask_sum: torch.Tensor) -> torch.Tensor:
        """``x [N, C, H, W]`` -> ``[N, C, H, W]`` (zero off the board)."""
        a = F.relu(self.bn1(x)) * mask
        y = self.conv1(a)
        if self.gpool:
            g = F.relu(self.bng(self.conv1g(a))) * mask
            y = y + self.gpool_fc(global_pool(g, mask, mask_sum))[:, :, None, None]
        y = F.relu(self.bn2(y)) * mask
        return x + self.conv2(y)


class ZeroGoNet(nn.Module):
    """Residual tower and policy / value / score / ownership heads (see module docstring)."""

    def __init__(self, config: NetConfig):
        super().__init__()
        self.config = config
        c, hc = config.channels, config.head_channels
        self.stem = nn.Conv2d(NUM_PLANES, c, 3, padding=1, bias=False)
        self.stem_globals = nn.Linear(NUM_GLOBALS, c, bias=False)
        self.blocks = nn.ModuleList(
            ResBlock(c, config.gpool_channels if config.is_gpool_block(i) else 0)
            for i in range(config.blocks))
        self.trunk_bn = nn.BatchNorm2d(c)
        # policy head: 1x1 conv, pooled bias, 1x1 conv to one logit per point; pass from pooling
        self.pol_conv = nn.Conv2d(c, hc, 1, bias=False)
        self.pol_gconv = nn.Conv2d(c, hc, 1, bias=False)
        self.pol_gbn = nn.BatchNorm2d(hc)
        self.pol_gfc = nn.Linear(3 * hc, hc, bias=False)
        self.pol_bn = nn.BatchNorm2d(hc)
        self.pol_out = nn.Conv2d(hc, 1, 1)
        self.pol_pass = nn.Linear(3 * hc, 1)
        # value head: 1x1 conv, pooled -> hidden -> (value, score); ownership 1x1 conv
        self.val_conv = nn.Conv2d(c, hc, 1, bias=False)
        self.val_bn = nn.BatchNorm2d(hc)
        self.val_fc = nn.Linear(3 * hc, config.value_hidden)
        self.val_out = nn.Linear(config.value_hidden, 2)
        self.own_out = nn.Conv2d(hc, 1, 1)

    def forward(self, planes: torch.Tensor, globals_: torch.Tensor) -> dict[str, torch.Tensor]:
        """``planes [N, C_in, H, W]``, ``globals_ [N, G]`` -> dict of head outputs."""
        mask = planes[:, MASK_PLANE:MASK_PLANE + 1]
        mask_sum = mask.sum(dim=(2, 3))
        x = (self.stem(planes) + self.stem_globals(globals_)[:, :, None, None]) * mask
        for block in self.blocks:
            x = block(x, mask, mask_sum)
        x = F.relu(self.trunk_bn(x)) * mask
        policy = self._policy(x, mask, mask_sum)
        value, score, ownership = self._value(x, mask, mask_sum)
        return {"policy_logits": policy, "value": torch.tanh(value), "score_lead": score,
                "ownership": ownership, "value_logit": value}

    def _policy(self, x, mask, mask_sum) -> torch.Tensor:
        """Trunk ``[N, C, H, W]`` -> policy logits ``[N, H*W + 1]``."""
        g = F.relu(self.pol_gbn(self.pol_gconv(x))) * mask
        pooled = global_pool(g, mask, mask_sum)
        p = self.pol_conv(x) + self.pol_gfc(pooled)[:, :, None, None]
        p = F.relu(self.pol_bn(p)) * mask
        logits = self.pol_out(p) * mask + (1.0 - mask) * OFF_BOARD_LOGIT  # [N, 1, H, W]
        return torch.cat([logits.flatten(1), self.pol_pass(pooled)], dim=1)

    def _value(self, x, mask, mask_sum):
        """Trunk -> value logit ``[N]``, score lead ``[N]`` (points), ownership ``[N, H, W]``."""
        v = F.relu(self.val_bn(self.val_conv(x))) * mask
        hidden = F.relu(self.val_fc(global_pool(v, mask, mask_sum)))
        out = self.val_out(hidden)
        ownership = torch.tanh(self.own_out(v)) * mask
        return out[:, 0], out[:, 1] * SCORE_SCALE, ownership[:, 0]


class ExportWrapper(nn.Module):
    """The net with tuple outputs in the ONNX order: policy_logits, value, score_lead, ownership."""

    OUTPUTS = ("policy_logits", "value", "score_lead", "ownership")

    def __init__(self, net: ZeroGoNet):
        super().__init__()
        self.net = net

    def forward(self, planes: torch.Tensor, globals_: torch.Tensor):
        """Same as ``ZeroGoNet.forward`` but a tuple."""
        out = self.net(planes, globals_)
        return tuple(out[k] for k in self.OUTPUTS)


def build_model(config_name: str) -> ZeroGoNet:
    """A freshly initialised net of the named config."""
    return ZeroGoNet(get_config(config_name))


def count_params(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def flops_per_eval(config_name: str, height: int, width: int) -> float:
    """Multiply-adds x 2 of one evaluation on an ``height x width`` board (convs and linears)."""
    cfg = get_config(config_name)
    area, c, hc = height * width, cfg.channels, cfg.head_channels
    macs = NUM_PLANES * c * 9 * area
    for i in range(cfg.blocks):
        macs += 2 * c * c * 9 * area
        if cfg.is_gpool_block(i):
            macs += c * cfg.gpool_channels * 9 * area
    macs += 3 * c * hc * area + 2 * hc * area
    return 2.0 * macs


class CheckpointError(ConfigError):
    """A checkpoint file that cannot be read or does not hold what is needed."""


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]


def read_checkpoint(path, map_location="cpu", need: tuple[str, ...] = ("config", "model"),
                    advice: str = "") -> dict:
    """The checkpoint dict at ``path`` holding every key in ``need``, or CheckpointError.

    ``advice`` ends the message (what to do); a generic one is used by default.
    """
    path = Path(path)
    advice = advice or "restore a good copy or point to another checkpoint"
    if not path.exists():
        raise CheckpointError(f"{path}: no such checkpoint file")
    if not path.is_file():
        raise CheckpointError(f"{path} is not a regular file (a directory?): {advice}")
    if path.stat().st_size == 0:
        raise CheckpointError(f"{path} is empty (0 bytes; an interrupted copy or a full disk?): "
                              f"{advice}")
    try:
        ckpt = torch.load(path, map_location=map_location, weights_only=False)
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001  (torch raises RuntimeError, UnpicklingError, EOFError...)
        raise CheckpointError(f"{path} is not a readable checkpoint (truncated or corrupt: "
                              f"{type(exc).__name__}: {_first_line(exc)}): {advice}") from None
    if not isinstance(ckpt, dict):
        raise CheckpointError(f"{path} holds a {type(ckpt).__name__}, not a zerogo checkpoint "
                              f"dict: {advice}")
    if "model" not in ckpt and ckpt and all(isinstance(v, torch.Tensor) for v in ckpt.values()):
        raise CheckpointError(f"{path} holds bare weights (a state_dict), not a zerogo checkpoint "
                              f"with a config: save it with nets.model.save_checkpoint, or "
                              f"{advice}")
    missing = [k for k in need if k not in ckpt]
    if missing:
        raise CheckpointError(f"{path} lacks {', '.join(missing)}: {advice}")
    return ckpt


def load_weights(model, state: dict, path) -> None:
    """``model.load_state_dict(state)``, CheckpointError when the shapes or names do not fit."""
    try:
        model.load_state_dict(state)
    except (RuntimeError, KeyError, TypeError, AttributeError) as exc:
        raise CheckpointError(f"{path}: the weights do not fit the network "
                              f"({_first_line(exc)})") from None


def load_checkpoint(path, map_location="cpu") -> tuple[ZeroGoNet, dict]:
    """Load a checkpoint written in the shared format; returns (model in eval mode, checkpoint)."""
    ckpt = read_checkpoint(path, map_location)
    model = build_model(ckpt["config"])
    load_weights(model, ckpt["model"], path)
    model.eval()
    return model, ckpt
