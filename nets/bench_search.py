"""``zerogo bench search``: MCTS visits per second on random-weight nets, beside Leela Zero.

The measuring code (no torch) lives in ``gtp.bench.search``; this module adds
what needs the training extras: making a random-weight ONNX net of each shape.
"""

from __future__ import annotations

from pathlib import Path

import click


def make_random_onnx(name: str, path: Path) -> None:
    """Export a random-weight net of shape ``name`` (needs torch: the training extras)."""
    try:
        from nets.export import export_onnx, random_net
    except ImportError as exc:
        raise click.ClickException(f"making random nets needs the training extras: {exc}") from exc
    model = random_net(name, seed=0)
    export_onnx(model, path, {"provenance": "random weights for zerogo bench search"}, check_sizes=(9,))
