"""Game records to training positions: SGF games -> (features, targets) rows -> shards.

For every move of a game's main line, the position before the move is encoded
with ``engine.features.encode`` (the same function play uses) and given:

* policy: one-hot on the move played (pass included);
* value: the game result from the side to move (+1 won, -1 lost, 0 draw);
* score: the final margin from the side to move, valid when RE gives a number;
* ownership: the Tromp-Taylor owner of each point of the final position, from
  the side to move, valid only when the game was played out: it ended with
  two passes and the Tromp-Taylor score of the final board matches RE within
  one point (a resigned game, or one with dead stones left on the board, has
  no ownership target).

With a teacher (``nets.relabel``) the policy target is the teacher's raw
policy instead of the move played, and each row also holds the teacher's
value, score lead and ownership.

Games without a usable result, too short, or with an unreadable or illegal
record are skipped with a counted reason (``SkipGame``).
"""

from __future__ import annotations

import json
import re
import tarfile
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from engine.atomic_files import write_text_atomic
from engine.board import BLACK, WHITE
from engine.evaluation import Position
from engine.features import encode
from engine.game import Game
from engine.scoring import area_ownership, tromp_taylor_score
from engine.sgf import SgfError, load_sgf

if TYPE_CHECKING:
    from nets.relabel import TeacherLabeller

_RESULT = re.compile(r"^\s*([BW])\s*\+\s*(.*)$", re.IGNORECASE)
PROGRESS_SUFFIX = "-progress.json"  # one progress file per shard prefix


class SkipGame(Exception):
    """A game that gives no training data; ``reason`` is a short category."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass
class DataSettings:
    """What to keep from the game records."""

    min_moves: int = 10              # games with fewer moves are skipped
    positions_per_shard: int = 8192  # a shard is written after the game that reaches this
    prefix: str = "sgf"
    compact: bool = False            # compact shards (nets.shard_codec: policy and ownership quantised)


def parse_result(text: str) -> tuple[int, float | None]:
    """SGF RE -> (winner: BLACK / WHITE / 0 for a draw, margin or None); SkipGame if unknown."""
    t = (text or "").strip()
    if t.lower() in ("0", "draw", "jigo", "d"):
        return 0, 0.0
    m = _RESULT.match(t)
    if not m:
        raise SkipGame("no result", repr(t))
    winner = BLACK if m.group(1).upper() == "B" else WHITE
    rest = m.group(2).strip()
    try:
        return winner, float(rest)
    except ValueError:
        return winner, None  # R, Resign, T, Time, F, Forfeit, or empty


def tromp_taylor_ownership(board) -> np.ndarray:
    """int8 [h, w]: the colour of each stone, or of the only colour an empty region touches."""
    return area_ownership(board)


def _categorise(exc: SgfError) -> str:
    """A short skip reason for an SGF loading error."""
    msg = str(exc).lower()
    for key, reason in (("illegal", "illegal move"), ("malformed", "malformed SGF"),
                        ("not a go game", "not a Go game"), ("sz", "unsupported board size"),
                        ("board", "unsupported board size"), ("setup", "unsupported setup"),
                        ("handicap", "bad handicap"), ("rules", "bad rules or komi")):
        if key in msg:
            return reason
    return "unsupported SGF"


def _final_targets(game: Game, winner: int, margin: float | None) -> tuple[np.ndarray, bool]:
    """Black-view final ownership and whether it is a valid target."""
    own = tromp_taylor_ownership(game.board)
    if margin is None or not game.is_over():
        return own, False
    tt = tromp_taylor_score(game.board, game.komi)
    return own, abs(tt - winner * margin) <= 1.0 if winner else abs(tt) <= 1.0


def game_rows(data: bytes | str, settings: DataSettings = DataSettings(),
              teacher: TeacherLabeller | None = None) -> list[dict]:
    """The training rows of one SGF record (labelled by ``teacher`` if given); raises SkipGame with the reason."""
    try:
        final = load_sgf(data)
        game = load_sgf(data, max_moves=0)
    except SgfError as exc:
        raise SkipGame(_categorise(exc), str(exc)) from None
    winner, margin = parse_result(final.record.result)
    if len(final.moves) < settings.min_moves:
        raise SkipGame("too short", f"{len(final.moves)} moves")
    own_black, own_valid = _final_targets(final, winner, margin)
    rows, snapshots = [], []
    area = game.board.area
    for color, move in final.moves:
        game.board.to_play = color  # a record may give one colour two moves in a row
        planes, glob = encode(Position.from_game(game))
        policy = np.zeros(area + 1, np.float32)
        policy[move] = 1.0
        rows.append({"planes": planes, "globals_": glob, "policy": policy,
                     "value": float(winner * color), "score": float((margin or 0.0) * winner * color),
                     "ownership": own_black * color, "score_valid": margin is not None,
                     "ownership_valid": own_valid})
        if teacher is not None:
            snapshots.append(game.copy())
        game.play(move, color)
    if teacher is not None:
        for row, (policy, evaluation) in zip(rows, teacher.label(snapshots)):
            row["policy"], row["teacher"] = policy, evaluation
    return rows


def iter_inputs(inputs: list[str | Path]):
    """Yield ``(game id, SGF bytes)`` from .sgf files, directories, .zip and .tar(.gz) archives."""
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            for sub in sorted(p for p in path.rglob("*") if p.is_file()):
                if _is_input(sub):
                    yield from iter_inputs([sub])
        elif path.suffix.lower() == ".zip":
            with zipfile.ZipFile(path) as zf:
                for name in sorted(zf.namelist()):
                    if name.lower().endswith(".sgf"):
                        yield f"{path}::{name}", zf.read(name)
        elif _is_tar(path):
            with tarfile.open(path) as tf:
                for member in sorted(tf.getmembers(), key=lambda m: m.name):
                    if member.isfile() and member.name.lower().endswith(".sgf"):
                        yield f"{path}::{member.name}", tf.extractfile(member).read()
        elif path.is_file():
            yield str(path), path.read_bytes()
        else:
            raise FileNotFoundError(f"{path}: no such file or directory")


def _is_tar(path: Path) -> bool:
    name = path.name.lower()
    return name.endswith((".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz"))


def _is_input(path: Path) -> bool:
    return path.suffix.lower() in (".sgf", ".zip") or _is_tar(path)


@dataclass
class Progress:
    """Resumable state of a conversion: games done, next shard index, counts."""

    done: set = field(default_factory=set)
    next_index: int = 0
    games: int = 0
    positions: int = 0
    skipped: Counter = field(default_factory=Counter)
    examples: dict = field(default_factory=dict)
    teacher: str | None = None   # the teacher's file name, for shards labelled by one

    @classmethod
    def load(cls, path: Path) -> "Progress":
        """The progress saved at path, or a fresh one."""
        if not path.exists():
            return cls()
        d = json.loads(path.read_text())
        return cls(set(d["done"]), d["next_index"], d["games"], d["positions"],
                   Counter(d["skipped"]), d.get("examples", {}), d.get("teacher"))

    def save(self, path: Path) -> None:
        """Write atomically to path."""
        d = {"done": sorted(self.done), "next_index": self.next_index, "games": self.games,
             "positions": self.positions, "skipped": dict(self.skipped), "examples": self.examples,
             "teacher": self.teacher}
        write_text_atomic(path, json.dumps(d, indent=1))

    def skip(self, game_id: str, exc: SkipGame) -> None:
        """Count a skipped game (and keep a few examples per reason)."""
        self.skipped[exc.reason] += 1
        ex = self.examples.setdefault(exc.reason, [])
        if len(ex) < 3:
            ex.append(f"{game_id}: {exc.detail}")


def convert(inputs: list, out_dir: Path | str, settings: DataSettings = DataSettings(),
            progress_bar: bool = True, teacher: TeacherLabeller | None = None) -> Progress:
    """Convert SGF inputs into shards in out_dir (labelled by ``teacher`` if given); resumes from its progress file."""
    from tqdm import tqdm

    from nets.shards import ShardWriter

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    prog_path = out_dir / (settings.prefix + PROGRESS_SUFFIX)
    prog = Progress.load(prog_path)
    if not prog_path.exists() and any(out_dir.glob(f"{settings.prefix}-*.npz")):
        raise FileExistsError(f"{out_dir} already holds {settings.prefix}-*.npz shards that no "
                              "conversion there made: choose another --prefix or directory")
    name = None if teacher is None else teacher.name
    if prog_path.exists() and prog.teacher != name:
        raise ValueError(f"{prog_path} was begun {_labelled_by(prog.teacher)}, this run is "
                         f"{_labelled_by(name)}: choose another --prefix or directory")
    prog.teacher = name
    source = "sgf" if name is None else f"sgf+teacher:{name}"
    writer = ShardWriter(out_dir, settings.prefix, None, prog.next_index, source=source,   # cut between games
                         compact=settings.compact)
    pending: list[str] = []  # games done since the last shard, in the writer's buffer or skipped
    for game_id, data in tqdm(iter_inputs(inputs), desc="games", unit="game",
                              disable=not progress_bar):
        if game_id in prog.done:
            continue
        try:
            rows = game_rows(data, settings, teacher)
        except SkipGame as exc:
            prog.skip(game_id, exc)
            rows = []
        for row in rows:
            writer.add(**row)
        pending.append(game_id)
        prog.games += bool(rows)
        prog.positions += len(rows)
        if len(writer) >= settings.positions_per_shard:
            _commit(writer, prog, pending, prog_path)
    _commit(writer, prog, pending, prog_path)
    return prog


def _labelled_by(teacher: str | None) -> str:
    """How a conversion's labels are described in an error."""
    return "with the moves played as policy" if teacher is None else f"labelled by the teacher {teacher}"


def _commit(writer, prog: Progress, pending: list[str], prog_path: Path) -> None:
    """Flush the writer, then record the games it held as done."""
    writer.flush()
    prog.next_index = writer.index
    prog.done.update(pending)
    pending.clear()
    prog.save(prog_path)
