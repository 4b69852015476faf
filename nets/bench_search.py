"""``zerogo bench search``: MCTS visits per second on random-weight nets, beside Leela Zero.

The measuring code (no torch) lives in ``gtp.bench.search``; this module adds
what needs the training extras: making a random-weight ONNX net of each shape.
"""

from __future__ import annotations

from pathlib import Path

import click

from gtp.bench.search import NET_SHAPES


def make_random_onnx(name: str, path: Path) -> None:
    """Export a random-weight net of shape ``name`` (needs torch: the training extras)."""
    try:
        import torch

        from nets.export import export_onnx, random_net
        from nets.model import CONFIGS, NetConfig, ZeroGoNet
    except ImportError as exc:
        raise click.ClickException(f"making random nets needs the training extras: {exc}") from exc
    if name in CONFIGS:
        model = random_net(name, seed=0)
    else:   # b6c128: the b10c128 heads on a 6-block trunk, BatchNorm statistics as random_net sets them
        blocks, channels = NET_SHAPES[name]
        torch.manual_seed(0)
        model = ZeroGoNet(NetConfig(name, blocks, channels, 32, 32, 128))
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.copy_(torch.rand(m.num_features) * 0.2 - 0.1)
                m.running_var.copy_(torch.rand(m.num_features) * 0.5 + 0.75)
        model.eval()
    export_onnx(model, path, {"provenance": "random weights for zerogo bench search"}, check_sizes=(9,))
