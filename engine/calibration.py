"""Positions from real games: calibration data for int8 networks and the accuracy check.

``game_positions(source, count, seed)`` reads SGF records (a ``.sgf`` file, a
folder of them, or a ``.tar.gz`` of them such as the shipped
``weights/data/gnugo9-level1-1211games.tar.gz``) and returns ``count``
positions drawn evenly over the games and their move numbers, each with its
history (``Position.from_game``). The same ``seed`` gives the same positions,
so a quantized net's cache key can name them.

``policy_game_positions(evaluate, size, count, seed)`` plays games with moves
sampled from a network's own policy: positions "from games" for board sizes
that have no shipped records (e.g. 13x13). The games run two thirds of the
board's area and the positions are spread over them: a quantized net's
activation ranges and the accuracy check must cover middle and late games
(an int8 19x19 net calibrated on the first 8 plies only passed the check on
openings and had a value error of 0.25 on real games).

``GAMES_BY_SIZE``: the shipped records per board size (9x9: GNU Go level-1
games; 19x19: zerogo's 40 games against GNU Go level 10, issue 15).
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
GAMES_BY_SIZE = {9: SHIPPED_GAMES,
                 19: SHIPPED_GAMES.parent / "zerogo-gnugo10-19x19-40games.tar.gz"}
POLICY_GAMES_VERSION = 2   # 2: full-length games (1: the first count/games plies only)
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
    return _positions_at(game, set(rng.choice(n + 1, size=min(k, n + 1), replace=False).tolist()))


def _positions_at(game: Game, wanted: set[int]) -> list[Position]:
    """The positions after each move number in ``wanted``, latest first, taken while undoing the game.

    Undoing swaps in the earlier board object, so a taken position's board is
    never changed afterwards (playing on would change the live board in place).
    """
    out = []
    for number in range(len(game.moves), -1, -1):
        if number in wanted:
            out.append(Position.from_game(game, HISTORY))
        if number:
            game.undo()
    return out


def policy_game_positions(evaluate, size: int, count: int = 128, seed: int = 0,
                          games: int = 8) -> list[Position]:
    """``count`` positions spread over ``games`` games of moves sampled from ``evaluate``'s policy.

    ``evaluate(positions) -> list[Evaluation]`` with legal-move probabilities
    (one batch of ``games`` positions a ply). Each game runs two thirds of the
    board's area in plies, passes left out; each keeps ``count / games``
    positions, one from each equal stretch of its plies, so openings, middle
    and late games all appear.
    """
    log.info("no shipped %dx%d games: playing %d from the net's own policy to calibrate and check on "
             "(once; the verdict is cached)", size, size, games)
    rng = np.random.default_rng(seed)
    plies = max(1, size * size * 2 // 3)
    per_game = -(-count // games)
    edges = np.linspace(0, plies, per_game + 1)
    live = [Game(size) for _ in range(games)]
    for _ in range(plies):
        for g, ev in zip(live, evaluate([Position.from_game(g, HISTORY) for g in live])):
            p = np.asarray(ev.policy, np.float64)
            p[-1] = 0.0 if p[:-1].sum() > 0 else 1.0   # no passes: keep the games going
            move = int(rng.choice(len(p), p=p / p.sum()))
            if g.illegal_reason(move) is not None:
                move = g.board.pass_move
            g.play(move)
    kept = []
    for g in live:   # one position from each equal stretch of the game's plies
        wanted = {int(rng.integers(int(a), max(int(a) + 1, int(b)))) for a, b in zip(edges[:-1], edges[1:])}
        kept.append(_positions_at(g, wanted))
    out = [pos for stretch in zip(*kept) for pos in stretch]   # interleaved: any prefix spans the games
    return out[:count]


def _sources(board_sizes: list[int], sources: dict | None) -> dict[int, Path | None]:
    """Each size's shipped records (None: policy games)."""
    sources = GAMES_BY_SIZE if sources is None else sources
    return {size: (Path(sources[size]) if size in sources and Path(sources[size]).is_file() else None)
            for size in (sorted(set(board_sizes)) or [9])}


def probe_key(board_sizes: list[int], calibration_count: int = 128, check_count: int = 128,
              batch: int = 16, sources: dict | None = None) -> str:
    """Names the positions ``make_probe`` would use (part of converted nets' cache keys)."""
    by_size = _sources(board_sizes, sources)
    names = [f"{size}:{source_digest(src)[:16] if src else f'policy-games-v{POLICY_GAMES_VERSION}'}"
             for size, src in by_size.items()]
    return f"{','.join(names)}|cal={calibration_count}|check={check_count}|batch={batch}"


def make_probe(feeds: Callable[[list[Position]], dict], evaluate, board_sizes: list[int],
               calibration_count: int = 128, check_count: int = 128, batch: int = 16,
               sources: dict | None = None) -> Probe:
    """Calibration and check feeds for ``engine.runtimes`` from real positions, held apart.

    Sizes with shipped records (``GAMES_BY_SIZE``, or ``sources``) take
    positions from them; other sizes in ``board_sizes`` from games sampled
    from ``evaluate``'s policy (the fp32 net). ``feeds(positions)`` encodes a
    batch into the network's inputs (input name -> array).
    """
    by_size = _sources(board_sizes, sources)
    cal: list[Position] = []
    chk: list[Position] = []
    for size, source in by_size.items():
        n_cal, n_chk = -(-calibration_count // len(by_size)), -(-check_count // len(by_size))
        if source is not None:
            both = game_positions(source, n_cal + n_chk, seed=0, size=size)
        else:
            both = policy_game_positions(evaluate, size, n_cal + n_chk, seed=size)
        order = np.random.default_rng(size).permutation(len(both))
        cal += [both[i] for i in order[:n_cal]]
        chk += [both[i] for i in order[n_cal:]]

    def batches(positions):
        groups: dict = {}
        for p in positions:
            groups.setdefault((p.board.height, p.board.width), []).append(p)
        return [group[i:i + batch] for group in groups.values() for i in range(0, len(group), batch)]

    checks = batches(chk)
    return Probe([feeds(b) for b in batches(cal)], [feeds(b) for b in checks],
                 [np.stack([p.board.legal_mask() for p in b]) for b in checks],
                 probe_key(board_sizes, calibration_count, check_count, batch, sources))
