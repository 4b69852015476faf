"""Gating and rating matches for the generation loop: candidate vs best, network vs anchors.

Two backends give the same ``GateOutcome``:

* ``gtp``: the match runner (``gtp.match.runner.run_match``) refereeing two
  ``zerogo gtp`` processes (or GNU Go), alternating colours, with an SPRT
  stop. Games start from short openings cut from self-play games (the engines
  are deterministic, so without openings every pair of games would repeat).
* ``arena``: the in-process batched match of ``nets.arena`` (no process start
  up, one network batch for many games; used for quick checks and tuning).

The gate promotes on an SPRT ``H1``, rejects on ``H0``, and when the games run
out undecided promotes if the candidate scored at least ``min_score``.
"""

from __future__ import annotations

import logging
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

from engine.sgf import load_sgf_file, save_sgf_file
from engine.rules import default_komi
from gtp.match.stats import Sprt, Tally, json_number, match_elo

log = logging.getLogger(__name__)


@dataclass
class GateSettings:
    """How candidate and best are compared."""

    backend: str = "gtp"          # gtp or arena
    games: int = 40
    visits: int = 32
    parallel: int = 2
    elo0: float = 0.0
    elo1: float = 35.0
    min_score: float = 0.55
    opening_moves: int = 4
    board_size: int = 9
    komi: float | None = None               # None: engine.rules.default_komi(board_size)
    rules: str = "chinese"

    def __post_init__(self) -> None:
        if self.komi is None:
            self.komi = default_komi(self.board_size)
        if self.backend not in ("gtp", "arena"):
            raise ValueError(f"gate backend must be 'gtp' or 'arena', not {self.backend!r}")


@dataclass
class GateOutcome:
    """A match result from the first player's side."""

    wins: int
    losses: int
    draws: int
    decision: str                 # "H1", "H0" or "" (undecided)

    @property
    def games(self) -> int:
        """Games counted."""
        return self.wins + self.losses + self.draws

    @property
    def score(self) -> float:
        """First player's score fraction (``Tally.score``: nan without games)."""
        return Tally(self.wins, self.draws, self.losses).score

    def promote(self, min_score: float) -> bool:
        """The gate's verdict: SPRT H1, or undecided with a score of at least ``min_score``."""
        if self.decision:
            return self.decision == "H1"
        return self.games > 0 and self.score >= min_score

    def as_dict(self) -> dict:
        """JSON-ready summary with the Elo estimate."""
        elo, half = match_elo(self.wins, self.losses, self.draws)
        return {"wins": self.wins, "losses": self.losses, "draws": self.draws,
                "decision": self.decision, "score": json_number(round(self.score, 3)),
                "elo": round(elo, 1), "ci95": round(half, 1)}


def zerogo_command(network: str, s: GateSettings, seed: int = 0) -> str:
    """The command line of a ``zerogo gtp`` engine playing ``network`` at ``s.visits``."""
    return " ".join(shlex.quote(x) for x in [
        sys.executable, "-m", "gtp.cli", "gtp", "--size", str(s.board_size), "--komi", str(s.komi),
        "--rules", s.rules, "--network", str(network), "--visits", str(s.visits),
        "--seed", str(seed), "--threads", "1", "--runtime", "onnxruntime", "--precision", "fp32"])


def gnugo_path() -> str | None:
    """The GNU Go binary (PATH, then /usr/games), or None."""
    import shutil
    return shutil.which("gnugo") or shutil.which("gnugo", path="/usr/games:/usr/local/games")


def gnugo_command(level: int) -> str:
    """GNU Go at ``level`` in GTP mode with Chinese (area) rules."""
    binary = gnugo_path()
    if binary is None:
        raise FileNotFoundError("GNU Go (gnugo) is not installed")
    return f"{binary} --mode gtp --level {level} --chinese-rules"


def make_openings(sgf_dir: Path | str, out_dir: Path | str, moves: int, count: int) -> list[str]:
    """Cut the first ``moves`` moves of up to ``count`` SGF games into opening files."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for src in sorted(Path(sgf_dir).glob("*.sgf"))[:count]:
        game = load_sgf_file(src)
        while len(game.moves) > moves:
            game.undo()
        path = out_dir / f"opening-{len(paths):03d}.sgf"
        save_sgf_file(game, path, result="?")
        paths.append(str(path))
    return paths


def gtp_match(first: str, second: str, s: GateSettings, openings: list[str],
              sgf_dir: str | None = None, sprt: bool = True) -> GateOutcome:
    """Run the GTP match runner; ``first``/``second`` are engine command lines.

    The match is played in chunks of ``2 * parallel`` games with this module's
    SPRT (``gtp.match.stats.Sprt``) checked between chunks, openings rotating on.
    """
    from gtp.match.referee import MatchConfig
    from gtp.match.runner import run_match
    test = Sprt(s.elo0, s.elo1) if sprt else None
    out = GateOutcome(0, 0, 0, "")
    chunk = max(2, 2 * s.parallel)
    while out.games < s.games and not out.decision:
        n = min(chunk, s.games - out.games)
        n += n % 2                      # whole colour pairs
        turn = (out.games // 2) % len(openings) if openings else 0
        cfg = MatchConfig(black=first, white=second, games=n, size=s.board_size, komi=s.komi,
                          rules=s.rules, alternate=True, parallel=s.parallel,
                          sgf_dir=None if sgf_dir is None else f"{sgf_dir}/{out.games:04d}",
                          openings=openings[turn:] + openings[:turn], move_timeout=120.0)
        _, summary = run_match(cfg, progress=True)
        if summary.errors:
            log.warning("%d match games ended in an engine error", summary.errors)
        t = summary.tally
        if t.games == 0:
            raise RuntimeError(f"no match game finished: see the engines ({first!r}, {second!r})")
        out = GateOutcome(out.wins + t.wins, out.losses + t.losses, out.draws + t.draws, "")
        out.decision = test.decide(out.wins, out.losses, out.draws) if test else ""
    return out


def arena_match(first: str, second: str, s: GateSettings, sprt: bool = True,
                seed: int | None = None) -> GateOutcome:
    """Play networks ``first`` and ``second`` in-process (``nets.arena``)."""
    from nets.arena import ArenaConfig, play_match
    from nets.netload import open_evaluator
    from nets.selfplay_search import SearchSettings
    search = SearchSettings(visits=s.visits)
    cfg = ArenaConfig(board_size=s.board_size, rules=s.rules, komi=s.komi, games=s.games,
                      parallel=max(s.parallel, 8), opening_moves=s.opening_moves,
                      sprt=Sprt(s.elo0, s.elo1) if sprt else None, seed=seed)
    a, b = open_evaluator(first), open_evaluator(second)
    try:
        r = play_match((a, search), (b, search), cfg)
    finally:
        a.close()
        b.close()
    return GateOutcome(r.wins, r.losses, r.draws, r.decision)


def gate(candidate_onnx: str, best_onnx: str, s: GateSettings, work_dir: Path,
         selfplay_sgf: Path | None = None) -> GateOutcome:
    """Candidate against best with the configured backend (SPRT on)."""
    if s.backend == "arena":
        return arena_match(candidate_onnx, best_onnx, s)
    openings = []
    if selfplay_sgf is not None and s.opening_moves > 0:
        openings = make_openings(selfplay_sgf, work_dir / "openings", s.opening_moves,
                                 max(1, s.games // 2))
    return gtp_match(zerogo_command(candidate_onnx, s, 1), zerogo_command(best_onnx, s, 2), s,
                     openings, str(work_dir / "gate_sgf"))
