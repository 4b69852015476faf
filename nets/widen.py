"""Grow a trained net into a bigger config without changing what it computes (Net2Net-style).

``zerogo train --config b10c128 --init small-b6c64.pt`` starts the bigger net
from the smaller one's knowledge instead of from random weights. Every old
weight is copied to its place in the bigger net; the new parts (more trunk
channels, more channels inside each block, more global-pooling channels, more
value-head units, more blocks appended after the old ones) keep their random
initialisation on the way *into* them, and every weight *out of* a new part
into an old one is set to zero. So, in eval mode, the grown net's outputs
equal the small net's; in training the zero weights get non-zero gradients
(the new units' activations are not zero) and the new capacity starts to
work from there.

Each tensor's dimensions are named by what they index: the trunk (``T``),
the channels inside a block (``I``), a block's global-pooling channels
(``G``) and their pooled features (``PG``: mean, scaled mean and max of each),
the heads' channels (``H``, pooled ``PH``), the value head's hidden units
(``V``), or something fixed (``X``: input planes, globals, outputs).
"""

from __future__ import annotations

import torch

from nets.model import NetConfig, ZeroGoNet

# tensor name (after the block prefix) -> dimension kinds, output first
_BLOCK_DIMS = {
    "bn1": ("T",), "conv1.weight": ("I", "T"), "bn2": ("I",), "conv2.weight": ("T", "I"),
    "conv1g.weight": ("G", "T"), "bng": ("G",), "gpool_fc.weight": ("I", "PG"),
}
_NET_DIMS = {
    "stem.weight": ("T", "X"), "stem_globals.weight": ("T", "X"), "trunk_bn": ("T",),
    "pol_conv.weight": ("H", "T"), "pol_gconv.weight": ("H", "T"), "pol_gbn": ("H",),
    "pol_gfc.weight": ("H", "PH"), "pol_bn": ("H",), "pol_out.weight": ("X", "H"),
    "pol_out.bias": ("X",), "pol_pass.weight": ("X", "PH"), "pol_pass.bias": ("X",),
    "val_conv.weight": ("H", "T"), "val_bn": ("H",), "val_fc.weight": ("V", "PH"),
    "val_fc.bias": ("V",), "val_out.weight": ("X", "V"), "val_out.bias": ("X",),
    "own_out.weight": ("X", "H"), "own_out.bias": ("X",),
}


class WidenError(ValueError):
    """The bigger config cannot hold the smaller one."""


def widen_problem(small: NetConfig, big: NetConfig) -> str | None:
    """Why ``small`` cannot grow into ``big`` (None when it can)."""
    fields = ("blocks", "channels", "gpool_channels", "head_channels", "value_hidden")
    smaller = [f for f in fields if getattr(big, f) < getattr(small, f)]
    if smaller:
        return f"{big.name} has fewer {', '.join(smaller)} than {small.name}"
    if big.gpool_every != small.gpool_every:
        return f"{big.name} places its global-pooling blocks differently from {small.name}"
    return None


def _sizes(small: NetConfig, big: NetConfig, block: int | None) -> dict[str, tuple[int, int]]:
    """Kind -> (old size, new size); a block the small net lacks has no old inside."""
    new_block = block is not None and block >= small.blocks
    gpool_old = 0 if new_block or block is None or not small.is_gpool_block(block) else small.gpool_channels
    return {"T": (small.channels, big.channels),
            "I": (0 if new_block else small.channels, big.channels),
            "G": (gpool_old, big.gpool_channels),
            "H": (small.head_channels, big.head_channels),
            "V": (small.value_hidden, big.value_hidden)}


def _old_positions(kind: str, size: int, sizes: dict) -> torch.Tensor:
    """Where the old indices of a dimension of this kind land in the new one."""
    if kind == "X":
        return torch.arange(size)
    if kind in ("PG", "PH"):
        old, new = sizes[kind[1]]
        return torch.cat([torch.arange(old) + s * new for s in range(3)])
    return torch.arange(sizes[kind][0])


def _dims_of(name: str) -> tuple[int | None, tuple[str, ...]]:
    """(block index or None, dimension kinds) of a state-dict entry."""
    block = None
    key = name
    if name.startswith("blocks."):
        _, index, key = name.split(".", 2)
        block = int(index)
    table = _BLOCK_DIMS if block is not None else _NET_DIMS
    if key in table:
        return block, table[key]
    layer = key.rsplit(".", 1)[0]          # a BatchNorm's weight, bias, running_mean, running_var
    if layer in table:
        return block, table[layer]
    raise WidenError(f"no widening rule for {name}")


def widen_into(small_state: dict, small: NetConfig, big_model: ZeroGoNet) -> None:
    """Copy ``small_state`` into ``big_model`` (already initialised, changed in place) so its outputs do not change."""
    big = big_model.config
    problem = widen_problem(small, big)
    if problem:
        raise WidenError(problem)
    with torch.no_grad():
        for name, target in big_model.state_dict().items():   # tensors share the model's storage
            old = small_state.get(name)
            if name.endswith("num_batches_tracked"):
                if old is not None:
                    target.copy_(old)
                continue
            block, kinds = _dims_of(name)
            sizes = _sizes(small, big, block)
            rows = _old_positions(kinds[0], target.shape[0], sizes)
            if not len(rows):
                continue
            if len(kinds) == 1:
                if old is not None:
                    target[rows] = old.to(target.dtype)
                continue
            cols = _old_positions(kinds[1], target.shape[1], sizes)
            new_cols = torch.ones(target.shape[1], dtype=torch.bool)
            new_cols[cols] = False
            target[rows[:, None], new_cols.nonzero()[:, 0][None, :]] = 0.0   # nothing new flows into an old output
            if old is not None:
                target[rows[:, None], cols[None, :]] = old.to(target.dtype)
