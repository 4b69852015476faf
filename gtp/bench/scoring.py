"""``zerogo bench scoring``: an engine's final_score and dead stones against the scoring corpus.

The corpus (``../shared/scoring-corpus``: SGFs and ``scores.json``) holds
finished games with a strong referee's score and dead-stone list. Any GTP
engine is driven the same way (``loadsgf``, ``final_score``,
``final_status_list dead``), so the old and the new code, or another engine,
are measured by one yardstick: the share of games with the right winner, the
exact score and the same dead stones.
"""

from __future__ import annotations

import json
import shlex
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from gtp.match.client import GtpClient, GtpClientError

DEFAULT_CORPUS = Path(__file__).resolve().parents[3] / "shared" / "scoring-corpus"   # beside the repo


@dataclass
class CorpusGame:
    """One corpus entry: the SGF and the referee's verdict."""

    sgf: Path
    size: int
    komi: float
    final_score: str
    dead: frozenset[str]


@dataclass
class GameVerdict:
    """What the engine said about one corpus game, beside the referee."""

    game: CorpusGame
    score: str
    dead: frozenset[str]
    seconds: float

    @property
    def winner_ok(self) -> bool:
        """Same winner (or both a draw)."""
        return winner(self.score) == winner(self.game.final_score)

    @property
    def score_ok(self) -> bool:
        """Exactly the referee's score."""
        return normal_score(self.score) == normal_score(self.game.final_score)

    @property
    def dead_ok(self) -> bool:
        """Exactly the referee's dead stones."""
        return self.dead == self.game.dead


@dataclass
class CorpusReport:
    """Verdicts on a set of corpus games, with the shares the issue asks for."""

    verdicts: list[GameVerdict] = field(default_factory=list)

    def share(self, attr: str) -> float:
        """Fraction of games whose verdict has ``attr`` true."""
        return sum(getattr(v, attr) for v in self.verdicts) / max(len(self.verdicts), 1)

    def summary(self) -> str:
        """One line: games, winner / score / dead-stone agreement, seconds."""
        n = len(self.verdicts)
        secs = [v.seconds for v in self.verdicts]
        return (f"{n} games: winner {sum(v.winner_ok for v in self.verdicts)}/{n} "
                f"({100 * self.share('winner_ok'):.0f}%), exact score {sum(v.score_ok for v in self.verdicts)}/{n} "
                f"({100 * self.share('score_ok'):.0f}%), dead stones {sum(v.dead_ok for v in self.verdicts)}/{n} "
                f"({100 * self.share('dead_ok'):.0f}%); seconds per game mean {sum(secs) / max(n, 1):.2f}, "
                f"max {max(secs, default=0):.2f}")


def normal_score(text: str) -> str:
    """``B+4.0`` -> ``B+4``; draws -> ``0``."""
    text = text.strip().upper()
    if len(text) > 2 and text[0] in "BW" and text[1] == "+":
        try:
            value = float(text[2:])
        except ValueError:
            return text
        return "0" if value == 0 else f"{text[0]}+{value:g}"
    return "0" if text in ("0", "DRAW", "JIGO") else text


def winner(text: str) -> str:
    """``B``, ``W`` or ``0`` (draw) from a score text."""
    text = normal_score(text)
    return text[0] if text[:1] in ("B", "W") else "0"


def load_corpus(folder: Path | str = DEFAULT_CORPUS, sizes: tuple[int, ...] = (),
                limit: int = 0) -> list[CorpusGame]:
    """The corpus games (optionally only some board sizes, at most ``limit`` per size)."""
    folder = Path(folder)
    index = folder / "scores.json"
    if not index.is_file():
        raise FileNotFoundError(f"no scoring corpus at {folder} (scores.json missing)")
    data = json.loads(index.read_text())
    games, per_size = [], {}
    for entry in data["games"]:
        size = int(entry["size"])
        if sizes and size not in sizes:
            continue
        if limit and per_size.get(size, 0) >= limit:
            continue
        per_size[size] = per_size.get(size, 0) + 1
        games.append(CorpusGame(folder / entry["sgf"], size, float(entry["komi"]), entry["final_score"],
                                frozenset(v.upper() for v in entry["dead"])))
    return games


def judge(client: GtpClient, game: CorpusGame, timeout: float = 120.0) -> GameVerdict:
    """Ask a running engine for one game's score and dead stones."""
    started = time.monotonic()
    client.send(f"loadsgf {game.sgf}", timeout=timeout)
    client.send(f"komi {game.komi:g}", timeout=timeout)
    score = client.send("final_score", timeout=timeout).strip()
    dead = client.send("final_status_list dead", timeout=timeout).split()
    return GameVerdict(game, score, frozenset(v.upper() for v in dead), time.monotonic() - started)


def default_engine(corpus: Path | str = DEFAULT_CORPUS) -> str:
    """This zerogo's GTP engine, started the way the tests start it, reading SGFs from the corpus folder."""
    return shlex.join([sys.executable, "-c", "from gtp.cli import main; main()", "gtp", "--sgf-dir", str(corpus)])


def run_corpus(command: str, games: list[CorpusGame], cwd: str | None = None,
               progress=None) -> CorpusReport:
    """Judge every game with one engine process."""
    report = CorpusReport()
    with GtpClient(command, cwd=cwd) as client:
        for game in games:
            try:
                verdict = judge(client, game)
            except GtpClientError as exc:
                verdict = GameVerdict(game, f"? {exc}", frozenset(), 0.0)
            report.verdicts.append(verdict)
            if progress:
                progress(verdict)
    return report
