"""Which search tree a search runs on: ``engine.mcts.Tree`` (Python) or the compiled one (numba).

``SearchConfig.tree``: ``python``; ``compiled`` (numba's arrays, see
``engine.compiled``) where it applies: numba installed, a network with
zerogo's own features (``compiled.tree.raw_network``: not KataGo's nets;
random symmetries, as self-play asks, are applied by the tree), no pipeline
and the features' full history; else the Python tree, with a warning;
``auto``: the compiled tree where it applies, silently.
"""

from __future__ import annotations

import logging
import time

from engine import compiled
from engine.features import HISTORY
from engine.mcts import Tree
from engine.search_config import SearchConfig

log = logging.getLogger(__name__)


def compiled_reason(config: SearchConfig, evaluator) -> str | None:
    """Why the compiled tree cannot run this search, or None when it can."""
    if not compiled.available():
        return "numba is not installed (pip install 'zerogo[cpu-fast]')"
    if config.pipeline != "off" and getattr(evaluator, "overlaps", False):
        return "the pipelined search runs on the Python tree"
    if config.history < HISTORY:
        return f"a history of {config.history} boards (the compiled tree gives the features' {HISTORY})"
    from engine.compiled.tree import raw_network
    if raw_network(evaluator) is None:
        return "the network's features are not zerogo's"
    return None


def make_tree(game, config: SearchConfig, evaluator, warned: set):
    """A fresh tree for the game's position, of the kind ``config.tree`` asks for where it can run.

    ``warned``: reasons already logged (each is logged once per searcher).
    """
    if config.tree != "python":
        reason = compiled_reason(config, evaluator)
        if reason is None:
            from engine.compiled.tree import CompiledTree, raw_network
            return CompiledTree(game, raw_network(evaluator), config.batch_size, config.history,
                                config.ladder_factor, policy_temperature=config.policy_temperature)
        if config.tree == "compiled" and reason not in warned:
            warned.add(reason)
            log.warning("the compiled search tree cannot run: %s; searching on the Python tree", reason)
    return Tree(game, config.history, config.ladder_factor, config.policy_temperature)


def warm_up(config: SearchConfig, evaluator) -> None:
    """Load the compiled tree's kernels now (the first time after an install: compile them, ~10 s)
    if this engine's searches will run on it, so that no move's clock pays for it."""
    if config.tree == "python" or compiled_reason(config, evaluator) is not None:
        return
    from engine.compiled.tree import warm_up as load_kernels
    start = time.monotonic()
    load_kernels()
    log.info("compiled search tree ready in %.1f s", time.monotonic() - start)
