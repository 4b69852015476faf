"""Positions from real games: calibration data for int8 networks and the accuracy check.

``game_positions(source, count, seed)`` reads SGF records (a ``.sgf`` file, a
folder of them, or a ``.tar.gz`` of them such as the shipped
``weights/data/gnugo9-level1-1211games.tar.gz``) and returns ``count``
positions drawn evenly over the games and their move numbers, each with its
history (``Position.from_game``). The same ``seed`` gives the same positions,
so a quantized net's cache key can name them.

``policy_game_positions(evaluate, size, count, seed)`` plays games with moves
sampled from a network's own policy: positions "from games" for board sizes
that have no shipped records (e.g. a 19x19 net).
"""

from __future__ import annotations

import hashlib
import logging
import tarfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from engine.evaluation import Position
from engine.game import Game
from engine.runtime_accuracy import Probe
from engine.sgf import SgfError, load_sgf

log = logging.getLogger(__name__)

SHIPPED_GAMES = Path(__file__).resolve().parent.parent / "weights" / "data" / \
    "gnugo9-level1-1211games.tar.gz"
HISTORY = 8


def _records(source: Path, limit: int, skip: int = 0) -> list[bytes]:
    """SGF texts ``skip .. skip + limit`` from a file, a folder or a tar archive, in name order."""
    source = Path(source)
    if source.is_dir():
        return [p.read_bytes() for p in sorted(source.rglob("*.sgf"))[skip:skip + limit]]
    if source.name.endswith((".tar.gz", ".tgz", ".tar")):
        out = []
        with tarfile.open(source) as tar:
            members = sorted((m for m in tar.getmembers() if m.name.endswith(".sgf")),
                             key=lambda m: m.name)
            for m in members[skip:skip + limit]:
                out.append(tar.extractfile(m).read())
        return out
    return [source.read_bytes()]


def source_digest(source: Path) -> str:
    """SHA-256 of a games file (or of a folder's SGF files in name order)."""
    h = hashlib.sha256()
    source = Path(source)
    files = sorted(source.rglob("*.sgf")) if source.is_dir() else [source]
    for f in files:
        h.update(f.read_bytes())
    return h.hexdigest()


def game_positions(source: Path = SHIPPED_GAMES, count: int = 128, seed: int = 0,
                   size: int | None = None, max_games: int = 400, skip_games: int = 0,
                   per_game: int = 4) -> list[Position]:
    """``count`` positions from the games in ``source`` (only ``size`` x ``size`` ones if given).

    Games are taken in name order from ``skip_games`` on, at most ``max_games``
    of them (calibration uses the first 400 of the shipped games, so a check
    that skips them is held out), visited in a seeded random order, with
    ``per_game`` positions at random move numbers from each.
    """
    rng = np.random.default_rng(seed)
    records = _records(Path(source), max_games, skip_games)
    out: list[Position] = []
    for index in rng.permutation(len(records)):
        try:
            game = load_sgf(records[index])
        except SgfError as exc:
            log.debug("skipping an unreadable record: %s", exc)
            continue
        if (size is not None and (game.width, game.height) != (size, size)) or not game.moves:
            continue
        out.extend(_sample_game(game, per_game, rng))
        if len(out) >= count:
            return out[:count]
    if not out:
        raise ValueError(f"no usable {'' if size is None else f'{size}x{size} '}games in {source}")
    log.info("only %d positions in %s (asked for %d)", len(out), source, count)
    return out


def _sample_game(game: Game, k: int, rng: np.random.Generator) -> list[Position]:
    """Up to ``k`` positions at distinct random move numbers of ``game`` (undoing moves)."""
    n = len(game.moves)
    wanted = set(rng.choice(n + 1, size=min(k, n + 1), replace=False).tolist())
    out = []
    for number in range(n, -1, -1):
        if number in wanted:
            out.append(Position.from_game(game, HISTORY))
        if number:
            game.undo()
    return out


def policy_game_positions(evaluate, size: int, count: int = 128, seed: int = 0,
                          games: int = 16) -> list[Position]:
    """Positions from ``games`` games of moves sampled from ``evaluate``'s policy (batched).

    ``evaluate(positions) -> list[Evaluation]`` with legal-move probabilities.
    Each game runs for ``count / games`` plies (capped at the board's area) and
    every ply is kept, so the set spans openings to middle games.
    """
    rng = np.random.default_rng(seed)
    plies = min(size * size, -(-count // games))
    live = [Game(size) for _ in range(games)]
    out: list[Position] = []
    for _ in range(plies):
        positions = [Position.from_game(g, HISTORY) for g in live]
        out.extend(positions)
        for g, ev in zip(live, evaluate(positions)):
            p = np.asarray(ev.policy, np.float64)
            p[-1] = 0.0 if p[:-1].sum() > 0 else 1.0   # no passes: keep the games going
            move = int(rng.choice(len(p), p=p / p.sum()))
            if g.illegal_reason(move) is not None:
                move = g.board.pass_move
            g.play(move)
    return out[:count]


def probe_key(board_sizes: list[int], calibration_count: int = 128, check_count: int = 128,
              batch: int = 16, source: Path = SHIPPED_GAMES) -> str:
    """Names the positions ``make_probe`` would use (part of converted nets' cache keys)."""
    sizes = sorted(set(board_sizes)) or [9]
    real = 9 in sizes and Path(source).is_file()
    return (f"{source_digest(source)[:16] if real else 'policy-games'}|sizes={sizes}|"
            f"cal={calibration_count}|check={check_count}|batch={batch}")


def make_probe(feeds: Callable[[list[Position]], dict], evaluate, board_sizes: list[int],
               calibration_count: int = 128, check_count: int = 128, batch: int = 16,
               source: Path = SHIPPED_GAMES) -> Probe:
    """Calibration and check feeds for ``engine.runtimes`` from real positions, held apart.

    9x9 positions come from the shipped games (``source``); other sizes in
    ``board_sizes`` from games sampled from ``evaluate``'s policy (the fp32
    net), since no records of them are shipped. ``feeds(positions)`` encodes a
    batch into the network's inputs (input name -> array).
    """
    sizes = sorted(set(board_sizes)) or [9]
    real = 9 in sizes and Path(source).is_file()
    cal: list[Position] = []
    chk: list[Position] = []
    for size in sizes:
        n_cal, n_chk = -(-calibration_count // len(sizes)), -(-check_count // len(sizes))
        if size == 9 and real:
            both = game_positions(source, n_cal + n_chk, seed=0, size=9)
        else:
            both = policy_game_positions(evaluate, size, n_cal + n_chk, seed=size)
        order = np.random.default_rng(size).permutation(len(both))
        cal += [both[i] for i in order[:n_cal]]
        chk += [both[i] for i in order[n_cal:]]

    def batches(positions):
        by_size: dict = {}
        for p in positions:
            by_size.setdefault((p.board.height, p.board.width), []).append(p)
        return [group[i:i + batch] for group in by_size.values() for i in range(0, len(group), batch)]

    checks = batches(chk)
    return Probe([feeds(b) for b in batches(cal)], [feeds(b) for b in checks],
                 [np.stack([p.board.legal_mask() for p in b]) for b in checks],
                 probe_key(board_sizes, calibration_count, check_count, batch, source))
