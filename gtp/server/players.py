"""Engine options and the move-generator factory behind ``zerogo gtp``.

``make_player(options)`` returns the ``engine.player.Player`` the protocol
layer talks to. With a network file it builds the MCTS searcher
(``engine.mcts_player.MctsPlayer`` over ``engine.evaluator.load_evaluator``,
ONNX Runtime). Only ``--network none`` gives ``engine.player.SimplePlayer``
(random play on request); a network that cannot be loaded, or whose outputs
do not fit the board, is a ``PlayerError`` and ``zerogo gtp`` exits with the
reason. ``--player
MODULE:CALLABLE`` plugs in any other generator (a callable taking the options).
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from pathlib import Path

from engine.evaluator import WEIGHTS_DIR, default_network_path
from engine.player import Player, SimplePlayer

log = logging.getLogger("zerogo.players")

# ``--network auto`` looks in WEIGHTS_DIR (defined once, in engine.evaluator; tests may patch it here).

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
    threads: int = 0                   # network runtime threads (0: physical cores)
    batch_size: int = 8
    pipeline: str = "off"              # off/on/auto: gather the next batch while the net runs (engine.pipeline_choice)
    tree: str = "python"               # python/compiled/auto: the search tree (engine.tree_choice)
    runtime: str = "onnxruntime"        # CPU inference runtime (engine.runtimes)
    precision: str = "fp32"             # CPU inference precision (engine.runtimes)
    max_tree_mb: int = 1024            # search-tree memory before pruning (0: no cap)
    sgf_dir: str = "."                 # loadsgf/printsgf: this folder and below only
    allow_any_path: bool = False       # loadsgf/printsgf: any path (the old behaviour)
    resign_threshold: float = 0.05     # resign below this win rate (0 disables)
    static_score_utility: float = 0.0   # KataGo's score utility factors (engine.mcts_node.ScoreUtility)
    dynamic_score_utility: float = 0.0
    policy_temperature: float = 1.0    # > 1: flatter priors in the search (engine.search_config)
    status_network: str = "auto"       # dead stones: a strong net's ownership (auto: a cached KataGo net), none, FILE
    ponder: bool = False
    log_file: str | None = None
    seed: int | None = None
    player: str | None = None          # "module:callable" factory for a custom Player
    ogs_chat: str = "none"             # none | malkovich | discussion: gtp2ogs chat lines on stderr
    name: str = "zerogo"
    version: str = "0.1.0"


def find_network(options: EngineOptions, width: int | None = None,
                 height: int | None = None) -> Path | None:
    """The network file to load, or None for ``none``; PlayerError for ``auto`` with nothing shipped.

    ``auto`` asks ``engine.evaluator.default_network_path`` for the board size
    (default ``options.size``): weights/zerogo-{W}x{H}.onnx, zerogo-9x9.onnx,
    zerogo-19x19.onnx, zerogo.onnx, else any shipped zerogo*.onnx.
    """
    choice = (options.network or "none").strip()
    if choice.lower() == "none":
        return None
    if choice.lower() == "auto":
        width = options.size if width is None else width
        height = width if height is None else height
        path = default_network_path(width, height, WEIGHTS_DIR)
        if path is None:
            raise PlayerError(f"no network for {width}x{height} in the shipped weights folder: "
                              "give one with --network FILE, or --network none to play "
                              "random moves")
        return path
    return Path(choice).expanduser()    # loading says what is wrong with a bad path


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
    """The MCTS searcher over the ONNX network (engine.mcts_player, engine.evaluator)."""
    from engine.deadstones import DeadStoneConfig
    from engine.evaluator import EvaluatorConfig, load_evaluator
    from engine.mcts_player import MctsPlayer
    from engine.search import SearchConfig
    from engine.tree_choice import warm_up

    evaluator = load_evaluator(network, EvaluatorConfig(threads=options.threads, batch_size=options.batch_size,
                                                        seed=options.seed, runtime=options.runtime,
                                                        precision=options.precision),
                               options.size, options.size)
    settings = {"batch_size": options.batch_size, "pipeline": options.pipeline, "tree": options.tree,
                "resign_threshold": options.resign_threshold,
                "seed": options.seed, "max_tree_mb": options.max_tree_mb,
                "static_score_utility": options.static_score_utility,
                "dynamic_score_utility": options.dynamic_score_utility,
                "policy_temperature": options.policy_temperature}
    if options.visits is not None:
        settings["visits"] = options.visits
    status = DeadStoneConfig(status_net=options.status_network)   # loaded near the game's end
    _share_with_status_net(network, options, evaluator)
    config = SearchConfig(**settings)
    warm_up(config, evaluator)
    return MctsPlayer(evaluator, config, status_config=status)


def _share_with_status_net(network: Path, options: EngineOptions, evaluator) -> None:
    """If the status net would be the player's own network file, let it use the player's evaluator."""
    from engine import status_net
    status_file = status_net.find_net(options.status_network)
    if status_file is not None and Path(status_file).resolve() == Path(network).resolve():
        status_net.share(status_file, options.size, options.size, evaluator)


def _check_runtime(options: EngineOptions) -> None:
    """PlayerError for a runtime/precision that cannot run here (e.g. OpenVINO not installed)."""
    from engine import runtimes
    try:
        runtimes.candidates(options.runtime, options.precision, runtimes.cpu_flags(),
                            runtimes.openvino_available())
    except runtimes.RuntimeChoiceError as exc:
        raise PlayerError(str(exc)) from None


def make_player(options: EngineOptions, network: Path | None | str = "find") -> Player:
    """Build the move generator for ``options``.

    ``network`` is the file to load; by default ``find_network(options)``.
    Random play (SimplePlayer) only for ``--network none``: a network that
    cannot be loaded, or does not fit the board, raises PlayerError saying why.
    """
    if options.player:
        return _custom_player(options.player, options)
    _check_runtime(options)
    if network == "find":
        network = find_network(options)
    if network is None:
        log.warning("no network file (--network %s): playing with SimplePlayer "
                    "(random legal moves that never fill own eyes)", options.network)
        return SimplePlayer(options.seed)
    from engine.evaluator import ModelLoadError
    try:
        player = _mcts_player(network, options)
    except ModelLoadError as exc:
        raise PlayerError(f"cannot play with network {network}: {exc} (give another --network, "
                          "or --network none to play random moves)") from None
    log.info("playing with network %s", network)
    return player
