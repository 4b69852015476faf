"""A strong network's ownership for the group status: a KataGo net when one is on this machine.

``engine.deadstones.find_status`` mixes this ownership into the play-out
evidence (never in place of it) when it is given the game. ``"auto"`` looks
for KataGo's g170e b15c192 net (the scoring corpus's referee net, quick on a
CPU), else any other ``*.bin.gz`` net, in ``$ZEROGO_KATAGO_NETS`` (default
``~/.cache/zerogo/katago-nets``); with none there the status does without.
A net that cannot be loaded is logged once and left out. Loaded evaluators
are kept for the process (one per net and board size).

Order: evaluator, katago ← status_net.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

PREFERRED = ("g170e-b15c192",)   # name fragments, in order of preference
_loaded: dict[tuple[str, int, int], object] = {}
_failed: set[str] = set()
_lock = threading.Lock()


def nets_folder() -> Path:
    """The folder KataGo networks are kept in (``$ZEROGO_KATAGO_NETS``, default ``~/.cache/zerogo/katago-nets``)."""
    return Path(os.environ.get("ZEROGO_KATAGO_NETS", "~/.cache/zerogo/katago-nets")).expanduser()


def find_net(spec: str) -> Path | None:
    """The network file ``spec`` names: ``none``, ``auto`` (see the module docstring) or a path."""
    if spec == "none":
        return None
    if spec != "auto":
        return Path(spec)
    folder = nets_folder()
    nets = sorted(folder.glob("*.bin.gz")) if folder.is_dir() else []
    for fragment in PREFERRED:
        for net in nets:
            if fragment in net.name:
                return net
    return nets[0] if nets else None


def _evaluator(path: Path, width: int, height: int):
    with _lock:   # one load per net and size, also when a preload is still running
        return _load(path, width, height)


def _key(path, width: int, height: int) -> tuple[str, int, int]:
    """One key per net file and board size, however the path is spelled."""
    return str(Path(path).expanduser().resolve()), width, height


def share(path, width: int, height: int, evaluator) -> None:
    """Use ``evaluator`` (already loaded for ``path``: the player's own net) as this size's status net.

    When the player runs the very KataGo file the status would load, the
    status uses the player's evaluator instead of loading a second copy.
    """
    with _lock:
        _loaded.setdefault(_key(path, width, height), evaluator)


def _load(path: Path, width: int, height: int):
    key = _key(path, width, height)
    if key not in _loaded:
        from engine.evaluator import EvaluatorConfig, ModelLoadError, load_evaluator
        try:
            _loaded[key] = load_evaluator(path, EvaluatorConfig(cache_size=0), width, height)
        except (ModelLoadError, OSError, ValueError) as exc:
            if str(path) not in _failed:
                log.warning("status network %s not used: %s", path, exc)
                _failed.add(str(path))
            return None
    return _loaded[key]


def preload(spec: str, width: int, height: int) -> threading.Thread | None:
    """Load the status net for this board size in a background thread (the first final_score then pays nothing)."""
    path = find_net(spec)
    if path is None:
        return None
    thread = threading.Thread(target=_load_quietly, args=(path, width, height), name="status-net", daemon=True)
    thread.start()
    return thread


def _load_quietly(path: Path, width: int, height: int) -> None:
    """Load at the lowest CPU priority (Linux: this thread only), so a search running beside it keeps the CPU."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
    except (AttributeError, OSError):   # not Linux, or not allowed: load at normal priority
        pass
    _evaluator(path, width, height)


def ownership(game, spec: str = "auto") -> np.ndarray | None:
    """The net's ownership of the game's position, black's view, shape (height, width); None without a net."""
    path = find_net(spec)
    if path is None or str(path) in _failed:
        return None
    evaluator = _evaluator(path, game.width, game.height)
    if evaluator is None:
        return None
    from engine.evaluation import Position
    result = evaluator.evaluate([Position.from_game(game)])[0]
    if result.ownership is None:
        return None
    return np.asarray(result.ownership, dtype=np.float64).reshape(game.height, game.width) * game.to_play
