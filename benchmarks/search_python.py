"""The search's own Python work per visit: zerogo's searcher on a network that answers at once.

``zerogo bench search`` splits a visit's time into the network run and the
rest; this script takes the network away (fixed random outputs, returned
without computing anything), so all that is left is what a compiled search
would have to replace: tree descent and backup, boards, feature planes,
legal masks, softmax. It prints microseconds a visit in all and in the
evaluator's three array stages, the measure for issue 16's "search that
keeps up" (at bf16 speeds a b6c64 network takes ~210 us a 19x19 position on
2 cores, so the search keeps 85% of it only below ~36 us a visit). Run it
under ``py-spy record`` for the rest of the breakdown.

Example::

    python benchmarks/search_python.py --size 19 --visits 1600 --repeats 6
"""

from __future__ import annotations

import time

import click
import numpy as np

from engine import evaluator as evaluator_module
from engine import features
from engine.evaluator import NetEvaluator
from engine.game import Game
from engine.player import MoveLimits
from engine.search import SearchConfig, Searcher


class NullNet(NetEvaluator):
    """A network that answers at once: the same random logits and values for every position."""

    def __init__(self, size: int, batch_size: int):
        super().__init__(batch_size=batch_size)
        rng = np.random.default_rng(0)
        self.size = size
        self.logits = rng.normal(size=(batch_size, size * size + 1)).astype(np.float32)
        self.value = rng.uniform(-0.3, 0.3, batch_size).astype(np.float32)

    def run(self, planes, glob):
        """Fixed outputs for a batch (no computation)."""
        n = len(planes)
        return [self.logits[:n].copy(), self.value[:n].copy(), 10 * self.value[:n],
                np.zeros((n, self.size, self.size), np.float32)]


def _timed(module, name: str, seconds: dict) -> None:
    """Wrap ``module.name`` to add its time to ``seconds[name]``."""
    inner = getattr(module, name)

    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - start
    setattr(module, name, wrapper)


@click.command()
@click.option("--size", default=19, show_default=True, help="Board size.")
@click.option("--visits", default=1600, show_default=True, help="Visits a search.")
@click.option("--batch-size", default=16, show_default=True, help="Leaves a network call.")
@click.option("--repeats", default=6, show_default=True, help="Searches (fresh trees) to time.")
@click.option("--tree", type=click.Choice(["python", "compiled"]), default="python", show_default=True,
              help="The search tree (SearchConfig.tree); the compiled one has no array stages to time apart.")
def main(size: int, visits: int, batch_size: int, repeats: int, tree: str) -> None:
    """Microseconds of Python a visit, in all and in the evaluator's array stages."""
    seconds: dict[str, float] = {}
    _timed(features, "encode_batch", seconds)
    _timed(evaluator_module, "legal_masks", seconds)
    _timed(evaluator_module, "softmax_legal", seconds)
    net = NullNet(size, batch_size)                   # takes the wrapped encode_batch
    game = Game(size)
    for move in (size * 3 + 3, size * size - size * 3 - 4):   # two stones: not the empty board
        game.play(move)
    config = SearchConfig(batch_size=batch_size, early_stop=False, reuse_tree=False, seed=0, tree=tree)
    Searcher(net, config).search(game, MoveLimits(visits=min(visits, 64)))   # warm-up
    seconds.clear()
    done, start = 0, time.perf_counter()
    for _ in range(repeats):
        done += Searcher(net, config).search(game, MoveLimits(visits=visits)).playouts
    total = time.perf_counter() - start
    parts = ", ".join(f"{name} {1e6 * s / done:.1f}" for name, s in seconds.items())
    click.echo(f"{size}x{size}, {tree} tree, {done} visits in {total:.2f} s: {1e6 * total / done:.1f} us a visit"
               + (f" ({parts} us a visit)" if parts else ""))


if __name__ == "__main__":
    main()
