"""Engine options and the move-generator factory behind ``zerogo gtp``.

``make_player(options)`` returns the ``engine.player.Player`` the protocol
layer talks to. With a network file it builds the MCTS searcher
(``engine.search.MctsPlayer`` over the ONNX evaluator); when there is no
network, or the searcher cannot be built, it falls back to
``engine.player.SimplePlayer`` and says so on stderr. ``--player
MODULE:CALLABLE`` plugs in any other generator (a callable taking the options).
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from pathlib import Path

from engine.player import Player, SimplePlayer

log = logging.getLogger("zerogo.players")

# Where ``--network auto`` looks for a shipped network: <repo>/weights/*.onnx.
WEIGHTS_DIR = Path(__file__).resolve().parent.parent / "weights"


class PlayerError(ValueError):
    """A ``--player`` factory that cannot be imported or does not give a Player."""


@dataclass
class EngineOptions:
    """Every setting of ``zerogo gtp`` (see ``zerogo gtp --help``)."""

    size: int = 19
    rules: str = "chinese"
    komi: float | None = None          # None: the rules' default komi
    network: str = "auto"              # path, "auto" (weights/*.onnx) or "none"
    visits: int | None = None          # None: limited by time only (or the searcher's default)
    time_per_move: float | None = None  # target seconds per move when no clock is set
    max_time: float | None = None      # hard cap in seconds on any move
    lag: float = 1.0                   # seconds kept back per move for network/GUI lag
    threads: int = 1
    batch_size: int = 8
    resign_threshold: float = 0.05     # resign below this win rate (0 disables)
    ponder: bool = False
    log_file: str | None = None
    seed: int | None = None
    player: str | None = None          # "module:callable" factory for a custom Player
    name: str = "zerogo"
    version: str = "0.1.0"


def find_network(options: EngineOptions) -> Path | None:
    """The network file to load, or None: ``none``, or ``auto`` with nothing shipped."""
    choice = (options.network or "none").strip()
    if choice.lower() == "none":
        return None
    if choice.lower() == "auto":
        found = sorted(WEIGHTS_DIR.glob("*.onnx")) if WEIGHTS_DIR.is_dir() else []
        return found[-1] if found else None
    path = Path(choice).expanduser()
    if not path.is_file():
        log.error("network file %s not found", path)
        return None
    return path


def _custom_player(spec: str, options: EngineOptions) -> Player:
    """Import ``module:callable`` and call it with the options."""
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise PlayerError(f"--player must be MODULE:CALLABLE, got {spec!r}")
    try:
        factory = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise PlayerError(f"cannot import player factory {spec!r}: {exc}") from None
    player = factory(options)
    if not isinstance(player, Player):
        raise PlayerError(f"{spec!r} returned {type(player).__name__}, not an engine.player.Player")
    return player


def _mcts_player(network: Path, options: EngineOptions) -> Player:
    """The searcher over the ONNX network (imported lazily: it may not exist yet)."""
    from engine import evaluator as evaluator_module  # noqa: WPS433 (lazy on purpose)
    from engine import search

    load = getattr(evaluator_module, "load_evaluator", None) or evaluator_module.OnnxEvaluator
    evaluator = load(str(network))
    config_cls = getattr(search, "SearchConfig", None)
    config = None
    if config_cls is not None:
        fields = getattr(config_cls, "__dataclass_fields__", {})
        wanted = {"visits": options.visits, "threads": options.threads,
                  "batch_size": options.batch_size, "resign_threshold": options.resign_threshold,
                  "seed": options.seed}
        config = config_cls(**{k: v for k, v in wanted.items() if k in fields and v is not None})
    return search.MctsPlayer(evaluator, config)


def make_player(options: EngineOptions) -> Player:
    """Build the move generator for ``options``; never fails without a network."""
    if options.player:
        return _custom_player(options.player, options)
    network = find_network(options)
    if network is None:
        log.warning("no network file (--network %s): playing with SimplePlayer "
                    "(random legal moves that never fill own eyes)", options.network)
        return SimplePlayer(options.seed)
    try:
        player = _mcts_player(network, options)
    except Exception as exc:  # missing searcher, bad file, onnxruntime trouble
        log.error("cannot build the searcher with %s (%s: %s); playing with SimplePlayer",
                  network, type(exc).__name__, exc)
        return SimplePlayer(options.seed)
    log.info("playing with network %s", network)
    return player
