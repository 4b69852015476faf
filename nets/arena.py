"""In-process matches between two (network, search settings) players, many games at once.

Used by gating in ``nets.loop``, by ``zerogo tune --mode search`` and by the
policy-gradient report. Games alternate colours; both players' searches share
one ``SharedBatcher`` that batches each network separately. Match searches
run without root noise or forced playouts; the first ``opening_moves`` plies are
sampled by visits (temperature 1) so the games differ. A player resigns when
its root win rate stays below ``resign_threshold`` for two of its moves in a row
(``engine.player.ResignCounter``; 0: never).
An optional SPRT stops the match once it is decided (games already under way
are finished and counted). For matches against other GTP programs (GNU Go
anchors) see ``gtp/match/referee.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from engine.batching import SharedBatcher
from engine.board import BLACK
from engine.evaluation import Evaluator
from engine.game import Game
from engine.player import ResignCounter, value_to_winrate
from engine.rules import default_komi
from gtp.match.stats import Sprt, Tally, match_elo
from nets.selfplay import GAME_WAIT, run_in_threads
from nets.selfplay_search import MoveSearch, SearchSettings


@dataclass
class ArenaConfig:
    """How match games are played."""

    board_size: int = 9
    rules: str = "chinese"
    komi: float | None = None               # None: engine.rules.default_komi(board_size)
    games: int = 40
    parallel: int = 16
    opening_moves: int = 4
    resign_threshold: float = 0.025   # win rate (engine.player.ResignCounter); 0: never resign
    max_moves: int | None = None          # None: 2 * area
    sprt: Sprt | None = None
    seed: int | None = None

    def __post_init__(self) -> None:
        if self.komi is None:
            self.komi = default_komi(self.board_size)


@dataclass
class MatchResult:
    """A match from player A's point of view."""

    wins: int = 0
    losses: int = 0
    draws: int = 0
    a_black_wins: int = 0
    decision: str = ""                    # SPRT: "H1", "H0" or ""
    results: list[str] = field(default_factory=list)

    @property
    def games(self) -> int:
        """Games played."""
        return self.wins + self.losses + self.draws

    @property
    def score(self) -> float:
        """A's score fraction (``Tally.score``: nan without games)."""
        return Tally(self.wins, self.draws, self.losses).score

    def elo(self) -> tuple[float, float]:
        """(Elo of A over B, ~95% half-width)."""
        return match_elo(self.wins, self.losses, self.draws)


def match_settings(s: SearchSettings, opening_moves: int) -> SearchSettings:
    """Settings for match play: no noise, no forced playouts, a short sampled opening."""
    return replace(s, dirichlet_eps=0.0, forced_playouts_k=0.0, temperature_moves=opening_moves)


def play_one(searchers: dict, a_color: int, cfg: ArenaConfig) -> tuple[int, str]:
    """Play one game; returns (winner colour or 0, result string)."""
    game = Game(cfg.board_size, rules=cfg.rules, komi=cfg.komi)
    max_moves = cfg.max_moves or 2 * game.board.area
    resign = ResignCounter()
    while not game.is_over() and len(game.moves) < max_moves:
        color = game.to_play
        who = "a" if color == a_color else "b"
        res = searchers[who].run(game, full=True)
        if resign.update(color, value_to_winrate(res.value), cfg.resign_threshold, 2):
            return -color, ("W" if color == BLACK else "B") + "+R"
        game.play(res.move)
    margin = game.score()
    return (0 if margin == 0 else BLACK if margin > 0 else -BLACK), game.result_string()


def play_match(a: tuple[Evaluator, SearchSettings], b: tuple[Evaluator, SearchSettings],
               cfg: ArenaConfig) -> MatchResult:
    """Play A against B (A black in even games); stops early on an SPRT decision."""
    parallel = max(1, min(cfg.parallel, cfg.games))
    batcher = SharedBatcher({"a": a[0], "b": b[0]}, clients=parallel, max_wait=GAME_WAIT)
    settings = {"a": match_settings(a[1], cfg.opening_moves),
                "b": match_settings(b[1], cfg.opening_moves)}
    out = MatchResult()
    indices = iter(range(cfg.games))

    def next_game() -> int | None:
        return None if out.decision else next(indices, None)

    def play(index: int, rng) -> tuple[int, int, str]:
        searchers = {k: MoveSearch(batcher.client(k), settings[k], rng) for k in "ab"}
        a_color = BLACK if index % 2 == 0 else -BLACK
        return (a_color, *play_one(searchers, a_color, cfg))

    def record(index: int, result: tuple[int, int, str]) -> None:
        a_color, winner, text = result
        _record(out, winner, a_color, text, cfg.sprt)

    run_in_threads(batcher, cfg.seed, parallel, next_game, play, record)
    return out


def _record(out: MatchResult, winner: int, a_color: int, text: str, sprt: Sprt | None) -> None:
    """Count one finished game and update the SPRT decision."""
    out.results.append(text)
    if winner == 0:
        out.draws += 1
    elif winner == a_color:
        out.wins += 1
        out.a_black_wins += a_color == BLACK
    else:
        out.losses += 1
    if sprt is not None and not out.decision:
        out.decision = sprt.decide(out.wins, out.losses, out.draws)
