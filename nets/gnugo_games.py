"""GNU Go self-play game records (SGF) for a first supervised network.

One GNU Go process plays both colours over GTP at a low level. The first few
moves of each game are random legal moves (not filling own eyes) so the games
differ; GNU Go then plays on with ``genmove`` until two passes, with
``--capture-all-dead`` so the final position scores correctly under
Tromp-Taylor, and ``final_score`` gives the result.

    python -m nets.gnugo_games --games 300 --out data/gnugo-sgf --size 9 --level 1
"""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

from sgfmill import sgf

from engine import coords
from engine.atomic_files import write_bytes_atomic
from engine.board import IllegalMoveError
from engine.game import Game
from engine.playout import random_move
from engine.rules import default_komi
from gtp.match.client import GtpClient, GtpClientError


@dataclasses.dataclass
class GnuGoGameSettings:
    """How the GNU Go games are played."""

    size: int = 9
    komi: float | None = None               # None: engine.rules.default_komi(size)
    level: int = 1
    random_moves: int = 6       # random opening moves; the number is drawn in [0, this]
    max_moves: int = 250
    gnugo: str = "/usr/games/gnugo"

    def __post_init__(self) -> None:
        if self.komi is None:
            self.komi = default_komi(self.size)


def play_game(gtp: GtpClient, cfg: GnuGoGameSettings, rng: random.Random) -> tuple[Game, str]:
    """Play one game; return the engine-side Game and GNU Go's final score (e.g. 'B+4.0')."""
    gtp.send(f"boardsize {cfg.size}", timeout=None)
    gtp.send("clear_board", timeout=None)
    gtp.send(f"komi {cfg.komi}", timeout=None)
    game = Game(cfg.size, rules="chinese", komi=cfg.komi)
    n_random = rng.randint(0, cfg.random_moves)
    while not game.is_over() and len(game.moves) < cfg.max_moves:
        color = coords.color_name(game.to_play)
        if len(game.moves) < n_random:
            mask = game.legal_mask()
            move = random_move(game.board, game.to_play, rng, legal=lambda p: bool(mask[p]))
            gtp.send(f"play {color} {coords.to_gtp(move, cfg.size, cfg.size)}", timeout=None)
        else:
            vertex = gtp.send(f"genmove {color}", timeout=None)
            if vertex.lower() == "resign":
                return game, ("W+R" if color[0] == "b" else "B+R")
            move = coords.from_gtp(vertex, cfg.size, cfg.size)
        game.play(move)
    return game, gtp.send("final_score", timeout=None)


def game_sgf(game: Game, result: str, cfg: GnuGoGameSettings, seed: int) -> bytes:
    """The game as SGF bytes."""
    rec = sgf.Sgf_game(size=cfg.size)
    root = rec.get_root()
    root.set("KM", cfg.komi)
    root.set("RU", "Chinese")
    root.set("RE", result)
    player = f"GNU Go 3.8 level {cfg.level}"
    root.set("PB", player)
    root.set("PW", player)
    root.set("GN", f"gnugo-selfplay seed {seed}")
    for color, move in game.moves:
        node = rec.extend_main_sequence()
        node.set_move("b" if color == 1 else "w", coords.to_sgfmill(move, cfg.size, cfg.size))
    return rec.serialise()


def generate(out_dir: Path, games: int, cfg: GnuGoGameSettings, seed: int = 0) -> int:
    """Write ``games`` SGF files into out_dir (resumable: existing files are kept)."""
    from tqdm import tqdm

    out_dir.mkdir(parents=True, exist_ok=True)
    gtp = GtpClient([cfg.gnugo, "--mode", "gtp", "--level", str(cfg.level), "--chinese-rules",
                     "--capture-all-dead", "--seed", str(seed + 1)])
    written = 0
    try:
        for i in tqdm(range(games), desc="gnugo games", unit="game"):
            path = out_dir / f"gnugo-{seed}-{i:05d}.sgf"
            if path.exists():
                continue
            rng = random.Random(seed * 1_000_003 + i)
            try:
                game, result = play_game(gtp, cfg, rng)
            except (GtpClientError, IllegalMoveError, coords.CoordinateError) as exc:
                tqdm.write(f"game {i} abandoned: {exc}")
                continue
            write_bytes_atomic(path, game_sgf(game, result, cfg, seed * 1_000_003 + i))
            written += 1
    finally:
        gtp.close()
    return written

